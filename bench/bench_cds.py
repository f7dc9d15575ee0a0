"""Benchmark of the CDS Hooks order-sign service: requests per second (not a test).

Run from the repository root:

    DJANGO_SECRET_KEY=x .venv/bin/python bench/bench_cds.py [--requests N] [--repeat R]

It creates a throw-away test database (SQLite in memory unless DATABASE_URL says otherwise),
registers an EHR with an ES384 public key, and sends N order-sign requests (a cryotherapy order
at the left eyelid and one at the forehead, with the patient, the milia condition and count, size
and duration observations prefetched) through the whole Django stack in one process: token
check (signature, audience, expiry, replay store), mapping, the rules, cards, storing the cards.
Each request has its own token, minted before the clock starts. Prints requests per second,
the median and the best of R runs, and the mean latency.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "milia_clinic.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SERVICE = "milia-order-sign"


def request_body() -> str:
    from tests import ehr

    count, size, months = (
        ("lesion-count", {"valueInteger": 6}),
        ("largest-diameter", {"valueQuantity": {"value": 1.5, "code": "mm"}}),
        ("duration", {"valueQuantity": {"value": 8, "code": "mo"}}),
    )
    observations = [
        ehr.observation(f"{where}-{code}", code, site, value)
        for where, site in (("eyelid", ehr.LEFT_EYELID), ("forehead", ehr.FOREHEAD))
        for code, value in (count, size, months)
    ]
    body = ehr.order_request(
        "order-sign",
        [
            ehr.service_request("cryo-eyelid", ehr.LEFT_EYELID),
            ehr.service_request("cryo-forehead", ehr.FOREHEAD),
        ],
        observations=observations,
    )
    return json.dumps(body)


def run(client: Client, body: str, tokens: list[str]) -> float:
    started = time.perf_counter()
    for token in tokens:
        response = client.post(
            f"/cds-services/{SERVICE}",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        if response.status_code != 200:
            raise SystemExit(f"unexpected {response.status_code}: {response.content[:300]!r}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from tests import ehr
        from tests.factories import make_ehr_client

        make_ehr_client()
        client = Client()
        body = request_body()
        audience = ehr.service_url(SERVICE)
        run(client, body, [ehr.mint_token(audience) for _ in range(20)])  # warm-up
        rates = []
        for _ in range(args.repeat):
            tokens = [ehr.mint_token(audience) for _ in range(args.requests)]
            rates.append(args.requests / run(client, body, tokens))
        median = statistics.median(rates)
        print(
            f"order-sign: median {median:.0f} req/s, best {max(rates):.0f} req/s, "
            f"mean latency {1000 / median:.1f} ms ({args.repeat} runs of {args.requests} "
            f"requests; {connection.vendor}; {os.cpu_count()} CPUs; load average "
            f"{os.getloadavg()[0]:.1f})"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
