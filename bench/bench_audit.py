"""Benchmark of the audit trail's appends and its sealer: events per second (not a test).

Run from the repository root, against a PostgreSQL database this script may migrate and fill:

    DJANGO_SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/milia_audit \\
        .venv/bin/python bench/bench_audit.py [--seconds 10] [--writers 1 4]

Each writer is a process of its own with its own connection, as app servers are, and appends
events one transaction each (``audit_record`` in ``transaction.atomic``, committed, as a request
does) for the given seconds. Prints appends per second for each number of writers; then, where
the code has a sealer, how fast it seals the backlog the writers left, and that the trail
verifies. The last line is the same as JSON.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "milia_clinic.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from audit import chain  # noqa: E402


def writer(number: int, seconds: float, start_at: float, counts) -> None:
    """Append events for ``seconds`` from ``start_at``; put how many in ``counts``."""
    connections.close_all()  # never share the parent's connection across the fork
    detail = {"query": "bench", "patients": list(range(5))}
    appended = 0
    while time.time() < start_at:
        time.sleep(0.001)
    stop = start_at + seconds
    while time.time() < stop:
        with transaction.atomic():
            chain.audit_record(
                action="search", username=f"bench{number}", summary="bench", detail=detail
            )
        appended += 1
    counts.put(appended)


def appends_per_second(writers: int, seconds: float) -> float:
    connections.close_all()
    counts = multiprocessing.Queue()
    start_at = time.time() + 1.0
    processes = [
        multiprocessing.Process(target=writer, args=(n, seconds, start_at, counts))
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    total = sum(counts.get() for _ in processes)
    for process in processes:
        process.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Give DATABASE_URL=postgres://... (the appends race on PostgreSQL).")
    call_command("migrate", verbosity=0)
    seal = getattr(chain, "audit_seal", None)
    if seal is not None:
        seal()  # what earlier runs left, so that the timing below is this run's backlog only
    results = {}
    for writers in args.writers:
        rate = appends_per_second(writers, args.seconds)
        results[f"appends_per_s_{writers}_writers"] = round(rate, 1)
        print(f"{writers} writer(s): {rate:8.1f} appends/s")
    if seal is not None:
        started = time.perf_counter()
        sealed = seal()
        elapsed = time.perf_counter() - started
        results["sealed"] = sealed
        results["seals_per_s"] = round(sealed / elapsed, 1) if elapsed else None
        print(f"sealer: {sealed} events in {elapsed:.2f} s, {sealed / elapsed:8.1f} events/s")
    started = time.perf_counter()
    ok, checked, _broken = chain.audit_verify()
    elapsed = time.perf_counter() - started
    results |= {"verified": ok, "events": checked, "verify_s": round(elapsed, 2)}
    print(f"verify: {'intact' if ok else 'BROKEN'}, {checked} events in {elapsed:.2f} s")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
