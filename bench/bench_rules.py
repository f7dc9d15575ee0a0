"""Benchmark of the clinical rules on a realistic 20-site case (not a test).

Run from the repository root:  python bench/bench_rules.py [--number N] [--repeat R]

Prints the median and best time per evaluation, in microseconds, of the full JSON path
(from_dict -> evaluate -> to_dict) and of evaluate alone. The target is under 1 ms.
"""

import argparse
import statistics
import sys
import timeit
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from treatments.rules import CaseFacts, evaluate, recommend  # noqa: E402

TARGET_US = 1000.0


def make_case_input() -> dict:
    """A face and body chart of 20 sites, mixed sizes, depths, ages and failed attempts."""
    sites = [
        ("eyelid", "left", 4, 1.0, "superficial", 6, []),
        ("eyelid", "right", 3, 0.8, "superficial", 6, []),
        ("periorbital", "left", 9, 1.2, "superficial", 14, [("topical_retinoid", False)]),
        ("periorbital", "right", 7, 1.0, "deep", 14, [("extraction", False)]),
        ("forehead", "midline", 1, 4.0, "superficial", 36, []),
        ("forehead", "left", 5, 1.5, "superficial", 8, [("chemical_peel", True)]),
        ("temple", "right", 2, 3.5, "deep", 20, [("extraction", False), ("cryotherapy", False)]),
        ("cheek", "left", 12, 1.0, "superficial", 10, []),
        ("cheek", "right", 11, 1.1, "superficial", 10, [("topical_retinoid", False)]),
        ("nose", "midline", 6, 0.9, "superficial", 4, []),
        ("perioral", "bilateral", 3, 1.0, "superficial", 2, []),
        ("chin", "midline", 2, 2.0, "deep", 30, [("extraction", False)]),
        ("jawline", "left", 1, 3.2, "superficial", 18, []),
        ("ear", "right", 2, 1.0, "superficial", 5, []),
        ("neck", "bilateral", 8, 1.3, "superficial", 9, []),
        ("scalp", "midline", 1, 5.0, "deep", 48, [("co2_laser", False)]),
        ("trunk", "bilateral", 25, 1.0, "superficial", 12, [("chemical_peel", False)]),
        ("arm", "left", 4, 1.5, "superficial", 3, []),
        ("hand", "right", 2, 2.5, "superficial", 7, [("cryotherapy", True)]),
        ("leg", "left", 1, 3.0, "deep", 60, []),
    ]
    return {
        "patient": {
            "age_years": 47,
            "fitzpatrick": 4,
            "pregnant": False,
            "breastfeeding": False,
            "isotretinoin_last_6_months": False,
            "herpes_simplex_history": True,
            "cold_intolerance": False,
        },
        "milia_type": "secondary",
        "recurrent": True,
        "sites": [
            {
                "location": location,
                "side": side,
                "count": count,
                "largest_mm": largest_mm,
                "depth": depth,
                "months_present": months,
                "tried": [{"treatment": t, "worked": worked} for t, worked in tried],
            }
            for location, side, count, largest_mm, depth, months, tried in sites
        ],
    }


def measure(label: str, func, number: int, repeat: int) -> float:
    func()  # warm up
    totals = timeit.repeat(func, number=number, repeat=repeat)
    per_call = [total / number * 1e6 for total in totals]
    median, best = statistics.median(per_call), min(per_call)
    print(f"{label:<40} median {median:8.1f} us   best {best:8.1f} us   ({repeat} x {number})")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=500, help="evaluations per timing")
    parser.add_argument("--repeat", type=int, default=7, help="timings")
    args = parser.parse_args()

    data = make_case_input()
    case = CaseFacts.from_dict(data)
    print(f"Python {sys.version.split()[0]}; case of {len(case.sites)} sites")

    full = measure(
        "from_dict -> evaluate -> to_dict", lambda: recommend(data), args.number, args.repeat
    )
    measure("evaluate alone", lambda: evaluate(case), args.number, args.repeat)
    verdict = "OK" if full < TARGET_US else "TOO SLOW"
    print(f"target: full path under {TARGET_US:.0f} us per evaluation: {verdict}")
    return 0 if full < TARGET_US else 1


if __name__ == "__main__":
    sys.exit(main())
