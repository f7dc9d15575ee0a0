"""`make bench-cpu`: what each page costs in CPU time and instructions, measured in one process.

Throughput on a shared machine moves by up to 2x with the load; the CPU time of the thread that
serves a request moves much less, and an instruction count (valgrind's callgrind) not at all.
This drives the pages of `make bench` through Django's test client in this process, on the
benchmark's database and data set (bench/load_data.py), and prints for each page: the CPU ms
of a request (the median of several rounds), its wall-clock p95 at one client, its queries,
with --instructions its instructions, and its cost as a ratio to the bare view's (the
throughput ratio the page would reach if only the app's CPU limited it), against its target.
PostgreSQL's own work (another process) is not counted; `make bench` reports it as "db ms".

Run from the repository root:  python bench/inprocess.py [--size small] [--instructions]

--instructions runs the measurement under `valgrind --tool=callgrind`, counting only the
measured requests (bench/callgrind_shim.c, built with gcc); it needs valgrind and its headers
and takes a few minutes. --only floor,api picks pages; --cprofile PAGE shows where one page's
time goes instead.
"""

import argparse
import cProfile
import ctypes
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.run_bench import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    SEARCHES,
    bench_environment,
    collect_static,
    ensure_database,
    load_average,
    log,
)

SHIM_SOURCE = REPO / "bench" / "callgrind_shim.c"
ROUNDS, PER_ROUND = 5, 10
# Instructions repeat exactly: a few requests suffice (each takes about 50x longer there).
COUNTED = 4

# page: (label, the page it is compared with, the minimum ratio of its cost to that page's)
PAGES = {
    "bare": ("bare Django view (baseline)", []),
    "floor": ("role-checked page, base.html only", [("bare", 0.25)]),
    "search": ("patient search (htmx POST)", []),
    "consultation": ("consultation page (20 sites)", [("bare", 0.05), ("floor", 0.20)]),
    "consultation_changed": ("  the same, after a site change", [("bare", 0.05), ("floor", 0.20)]),
    "api": ("recommendations API (20 sites)", [("bare", 0.25)]),
    "pdf": ("aftercare sheet PDF", []),
    "patient": ("patient page (audited)", [("patient_unaudited", 0.90)]),
    "patient_unaudited": ("  the same, unaudited", []),
}
# Wall-clock p95 at one client, in ms: the search on 100,000 patients, the PDF.
MAX_P95_MS = {"search": 25.0, "pdf": 300.0}


def requests_of(fixtures: dict, anonymous):
    """Each page's request, as a function of the request's index, and what runs before each
    request unmeasured (the site change)."""
    from django.db.models import F

    from treatments.models import Consultation, LesionSite

    consultation = fixtures["consultation_20"]
    site = LesionSite.objects.filter(consultation_id=consultation).order_by("id").first()
    patient = Consultation.objects.get(pk=consultation).patient_id
    htmx = {"HTTP_HX_REQUEST": "true"}
    from treatments import services

    case = services.consultation_facts(services.consultation_with_chart(consultation))
    body = json.dumps(case)

    def change_site(index: int) -> None:
        # A new count and a new version, as editing the site does: nothing cached can serve it.
        LesionSite.objects.filter(pk=site.pk).update(count=site.count + index % 2)
        Consultation.objects.filter(pk=consultation).update(version=F("version") + 1)

    return {
        "bare": (lambda c, i: anonymous.get("/bench/bare/"), None),
        "floor": (lambda c, i: c.get("/bench/floor/"), None),
        "search": (
            lambda c, i: c.post("/patients/", {"q": SEARCHES[i % len(SEARCHES)]}, **htmx),
            None,
        ),
        "consultation": (lambda c, i: c.get(f"/consultations/{consultation}/"), None),
        "consultation_changed": (
            lambda c, i: c.get(f"/consultations/{consultation}/"),
            change_site,
        ),
        "api": (
            lambda c, i: c.post("/api/v1/recommendations", body, content_type="application/json"),
            None,
        ),
        "pdf": (
            lambda c, i: c.get(f"/planned/{fixtures['planned_treatment']}/aftercare.pdf"),
            None,
        ),
        "patient": (lambda c, i: c.get(f"/patients/{patient}/"), None),
        "patient_unaudited": (lambda c, i: c.get(f"/bench/unaudited/patients/{patient}/"), None),
    }


def shim():
    """The callgrind client requests (None outside valgrind)."""
    library = Path(tempfile.gettempdir()) / "milia-bench-callgrind-shim.so"
    if not library.exists() or library.stat().st_mtime < SHIM_SOURCE.stat().st_mtime:
        subprocess.run(
            ["gcc", "-shared", "-fPIC", "-O2", "-o", str(library), str(SHIM_SOURCE)], check=True
        )
    loaded = ctypes.CDLL(str(library))
    loaded.bench_stop.argtypes = [ctypes.c_char_p]
    return loaded if loaded.bench_on_valgrind() else None


def measure(pages: list[str], fixtures: dict, username: str, counting) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # No setup_test_environment(): its template signals would add to every page's cost.
    client = Client(HTTP_HOST="127.0.0.1")
    anonymous = Client(HTTP_HOST="127.0.0.1")  # the bare view: no session, no user
    client.force_login(get_user_model().objects.get(username=username))
    requests = requests_of(fixtures, anonymous)
    results = {}
    for page in pages:
        send, before = requests[page]
        for index in range(3):  # warm up: the session, the templates, the connection
            if before:
                before(index)
            response = send(client, index)
            if response.status_code != 200:
                raise SystemExit(f"{page} answered {response.status_code}")
        if before:
            before(3)
        with CaptureQueriesContext(connection) as captured:
            send(client, 3)
        result = {"queries": len(captured), "load": os.getloadavg()[0]}
        if counting is not None:
            for index in range(COUNTED):
                if before:
                    before(index)
                counting.bench_start()
                send(client, index)
                counting.bench_stop(page.encode())
        else:
            cpu, wall = [], []
            for _round in range(ROUNDS):
                spent = 0.0
                for index in range(PER_ROUND):
                    if before:
                        before(index)
                    started_cpu, started = time.thread_time(), time.perf_counter()
                    send(client, index)
                    spent += time.thread_time() - started_cpu
                    wall.append(time.perf_counter() - started)
                cpu.append(spent * 1000 / PER_ROUND)
            result["cpu_ms"] = statistics.median(cpu)
            result["p95_ms"] = statistics.quantiles(wall, n=20)[-1] * 1000
        results[page] = result
        log(f"  {page}: {result}")
    return results


def profile(page: str, fixtures: dict, username: str, requests: int = 50) -> None:
    """cProfile of ``requests`` requests of one page, after the same warm-up as measure()."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    send, before = requests_of(fixtures, Client(HTTP_HOST="127.0.0.1"))[page]
    for index in range(3):
        if before:
            before(index)
        send(client, index)
    profiler = cProfile.Profile()
    for index in range(requests):
        if before:
            before(index)
        profiler.runcall(send, client, index)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


def instructions_of(directory: Path) -> dict[str, float]:
    """Instructions per request of each page, from callgrind's dumps (one per request)."""
    totals: dict[str, list[int]] = {}
    for dump in directory.glob("callgrind.out*"):
        label, total = None, None
        for line in dump.read_text(errors="replace").splitlines():
            if line.startswith("desc: Trigger: Client Request: "):
                label = line.rsplit(": ", 1)[1].strip()
            elif line.startswith(("summary:", "totals:")):
                total = int(line.split(":", 1)[1].split()[0])
        if label is not None and total is not None:
            totals.setdefault(label, []).append(total)
    return {label: statistics.median(counts) for label, counts in totals.items()}


def report(results: dict, instructions: dict | None) -> None:
    header = (
        f"{'page':<36} {'CPU ms':>7} {'p95 ms':>7} {'M instr':>8} {'queries':>7} "
        f"{'load':>5}  ratio to target"
    )
    log("")
    log(header)
    log("-" * len(header))
    summary = {}
    for page, result in results.items():
        label, targets = PAGES[page]
        instr = instructions.get(page) if instructions else None
        verdicts = []
        for other, minimum in targets:
            if other not in results:
                continue
            # The cost ratio: instructions when counted, else CPU time.
            if instr is not None and instructions.get(other):
                ratio = instructions[other] / instr
            else:
                ratio = results[other]["cpu_ms"] / result["cpu_ms"]
            met = "met" if ratio >= minimum else "MISSED"
            verdicts.append(f"{ratio:.3f} of {other} (>= {minimum:.2f}: {met})")
        if page in MAX_P95_MS:
            limit = MAX_P95_MS[page]
            met = "met" if result["p95_ms"] < limit else "MISSED"
            verdicts.append(f"p95 < {limit:.0f} ms at 1 client: {met}")
        log(
            f"{label:<36} {result['cpu_ms']:>7.2f} {result['p95_ms']:>7.2f} "
            f"{'-' if instr is None else f'{instr / 1e6:.1f}':>8} {result['queries']:>7} "
            f"{result['load']:>5.2f}  {'; '.join(verdicts)}"
        )
        summary[page] = result | ({"instructions": instr} if instr is not None else {})
    print(json.dumps(summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("full", "small"), default="full")
    parser.add_argument("--instructions", action="store_true", help="count them under callgrind")
    parser.add_argument("--only", help="comma-separated pages (" + ",".join(PAGES) + ")")
    parser.add_argument("--cprofile", metavar="PAGE", help="where one page's time goes, instead")
    parser.add_argument("--counting", help=argparse.SUPPRESS)  # the run under callgrind
    options = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    if options.size == "small":
        database_url += "_small"
    pages = options.only.split(",") if options.only else list(PAGES)
    if options.counting:
        os.environ.update(json.loads(options.counting))
    else:
        os.environ.update(bench_environment(database_url))
        ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    from bench import load_data

    if options.counting:
        fixtures = load_data.ensure_dataset(options.size, log=log)["fixtures"]
        counting = shim()
        if counting is None:
            raise SystemExit("--counting runs only under valgrind")
        measure(pages, fixtures, load_data.DERMATOLOGIST, counting)
        return
    call_command("migrate", interactive=False, verbosity=0)
    collect_static()
    marker = load_data.ensure_dataset(options.size, log=log)
    if options.cprofile:
        profile(options.cprofile, marker["fixtures"], load_data.DERMATOLOGIST)
        return
    log(f"Load average (1 min) {load_average()}; measuring CPU time in this process")
    results = measure(pages, marker["fixtures"], load_data.DERMATOLOGIST, None)
    instructions = None
    if options.instructions:
        shim()  # built here, so that the run under valgrind only loads it
        environment = {key: os.environ[key] for key in bench_environment(database_url)}
        with tempfile.TemporaryDirectory(prefix="milia-callgrind-") as directory:
            log("Counting instructions under callgrind (a few minutes)")
            subprocess.run(
                [
                    "valgrind", "--tool=callgrind", "--instr-atstart=no",
                    f"--callgrind-out-file={directory}/callgrind.out", "--dump-line=no",
                    sys.executable, str(Path(__file__).resolve()), "--size", options.size,
                    "--only", ",".join(pages), "--counting", json.dumps(environment),
                ],
                check=True,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            instructions = instructions_of(Path(directory))
    log(
        f"Data set '{marker['size']}': {marker['patients']:,} patients; Django's test client in "
        f"one process, {ROUNDS} rounds of {PER_ROUND} requests per page; load average after: "
        f"{load_average()}"
    )
    report(results, instructions)


if __name__ == "__main__":
    main()
