"""`make bench`: the real pages on PostgreSQL, as ratios to a bare Django view in the same run.

Run from the repository root:  python bench/run_bench.py [--size full|small]

1. Creates the benchmark database when missing (``BENCH_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/milia_bench``), migrates it, and loads the data set
   (bench/load_data.py) unless the same one is already there.
2. Collects the static files and starts gunicorn with the production settings (DEBUG off,
   whitenoise, a generated secret key) on loopback; bench/settings.py adds the bare view.
3. Logs in over HTTP as the benchmark dermatologist, then drives each endpoint with wrk
   (8 connections, a warm-up run first): the floor (a role-checked page rendering only
   base.html), the patient search (8 clients, then 1), the consultation page with 20 sites
   (repeated, then while another connection changes a site and bumps the version about every
   20 ms, so no cache can serve it), the recommendations API, one aftercare sheet PDF (one
   client at a time: the time to print a sheet; marked "not available yet" while the URL
   answers 404), the patient page (audited and the same view unaudited, bench/urls.py, in
   alternating rounds; audited, and unaudited, while bench/long_sign.py signs a 250-session
   plan in a loop) and the bare view.
4. Stops the server, then counts the queries of each endpoint in a separate pass (Django's
   test client against the same database), so counting never slows the timed run, and, where
   valgrind is installed, the instructions per request of each page in one process
   (bench/inprocess.py, `make bench-cpu`), which the load on the machine does not move.
5. Prints a table and, last, one JSON line: each endpoint's throughput divided by the bare
   view's, and its p95 latency. Beside the rates, "app ms" and "db ms" are the CPU time the
   gunicorn processes and the PostgreSQL backends spent per request (read from /proc), which
   other work on the machine disturbs far less than it disturbs the rates. The load average
   is printed beside every figure; `make bench-cpu` (bench/inprocess.py) gives the CPU time
   and the instructions per request measured in one process, which the load does not move.

Options: --size small, --regenerate (load the data set again), --seconds N, --only search,api;
BENCH_WORKERS sets the number of gunicorn workers (3).
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/milia_bench"
LUA = REPO / "bench" / "wrk" / "report.lua"
SERVER_LOG = Path(tempfile.gettempdir()) / "milia-bench-gunicorn.log"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Seconds of warm-up and of measurement per endpoint.
MODES = {"full": (3, 12), "small": (2, 3)}
CONNECTIONS = 8
QUERY_COUNT_REQUESTS = 20

# Partial names a receptionist types: the known "Benchmark" patients, partial surnames and
# given names from the generated lists, two words, and a record number fragment.
SEARCHES = ("Benchm", "enchmar", "okaf", "Benchmark Ol", "rossi", "MRN00123", "kowal", "tanaka")

# endpoint: its targets, each ("ratio", other endpoint, minimum of its rate / the other's) or
# ("p95", None, maximum p95 in ms). Issue 14's targets, on the full data set.
TARGETS = {
    "floor": [("ratio", "bare", 0.25)],
    "search": [("p95", None, 80.0)],
    "search_1": [("p95", None, 25.0)],
    "consultation": [("ratio", "bare", 0.05), ("ratio", "floor", 0.20)],
    "consultation_changed": [("ratio", "bare", 0.05), ("ratio", "floor", 0.20)],
    "api": [("ratio", "bare", 0.25)],
    "pdf": [("p95", None, 300.0)],
    "patient": [("ratio", "patient_unaudited", 0.90)],
    "patient_signing": [("ratio", "patient_unaudited_signing", 0.90)],
}
# How often the "after a site change" run changes the site, in seconds.
CHANGE_EVERY = 0.02
# A page measured against another (its ratio is a target) and that other, in alternating rounds.
PAIRED = {"patient": "patient_unaudited"}
PAIRED_ROUNDS = 4


@dataclass
class Endpoint:
    key: str
    label: str
    method: str
    path: str
    bodies: tuple[str, ...] = ("",)
    headers: dict = field(default_factory=dict)
    connections: int = CONNECTIONS
    available: bool = True
    note: str = ""
    # Runs beside the measured load (a context manager factory): a site change, a long sign.
    during: object = None
    result: dict | None = None
    queries: float | None = None
    instructions: float | None = None


def log(message: str) -> None:
    print(message, flush=True)


# --- Setting up ------------------------------------------------------------------------------


def bench_environment(database_url: str) -> dict:
    """The production configuration on plain-HTTP loopback, for this process and gunicorn."""
    return {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "0",
    }


def connect(database_url: str, dbname: str | None = None):
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(database_url)
    return psycopg2.connect(
        dbname=dbname or config["NAME"],
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )


def ensure_database(database_url: str) -> None:
    import dj_database_url

    name = dj_database_url.parse(database_url)["NAME"]
    admin = connect(database_url, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"Creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def collect_static() -> None:
    """collectstatic, unless the manifest holds every static file and is newer than each (the
    folder is shared with runs of other checkouts)."""
    from django.conf import settings
    from django.contrib.staticfiles import finders
    from django.core.management import call_command

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        collected = manifest.stat().st_mtime
        found = {
            path: Path(storage.path(path)).stat().st_mtime
            for finder in finders.get_finders()
            for path, storage in finder.list([])
        }
        listed = json.loads(manifest.read_text()).get("paths", {})
        if max(found.values()) < collected and found.keys() <= listed.keys():
            return
    log(f"Collecting the static files into {settings.STATIC_ROOT}")
    call_command("collectstatic", interactive=False, verbosity=0)


# --- The server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "milia_clinic.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--chdir", str(REPO), "--log-level", "warning",
    ]  # fmt: skip
    with SERVER_LOG.open("w") as output:
        server = subprocess.Popen(
            command, cwd=REPO, start_new_session=True, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with code {server.returncode}: {SERVER_LOG}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare/", timeout=10):
                    return server
            except OSError:  # refused while it starts, or a worker still importing
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within 60 seconds")
    except BaseException:
        stop_server(server)
        raise


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def log_in(base: str, username: str, password: str) -> dict[str, str]:
    """Log in through the real login form; the session and CSRF cookies it sets."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    try:
        opener.open(urllib.request.Request(f"{base}/accounts/login/", data=form))
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            raise
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"Logging in as {username} failed: no session cookie")
    return cookies


def probe(base: str, endpoint: Endpoint) -> int:
    """One request as wrk will send it; its status code."""
    body = endpoint.bodies[0].encode() or None
    request = urllib.request.Request(
        base + endpoint.path, data=body, method=endpoint.method, headers=endpoint.headers
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as answer:
        return answer.code


def cpu_seconds(pids) -> dict[int, float]:
    """User plus system CPU time of each of these processes so far."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return seconds


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings; processes started since count from zero (a
    process that ended in between is lost, so this errs low, never negative)."""
    return sum(spent - before.get(pid, 0.0) for pid, spent in after.items())


def server_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's master and its workers."""
    pids = [server.pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.pid:
            pids.append(int(stat.parent.name))
    return pids


def database_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark database (the app's connections)."""
    with connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    conn.close()
    return pids


def run_wrk(base: str, endpoint: Endpoint, seconds: int, connections: int | None = None) -> dict:
    command = [
        "wrk", "--threads", "1", "--connections", str(connections or endpoint.connections),
        "--duration", f"{seconds}s", "--timeout", "10s", "--latency", "--script", str(LUA),
    ]  # fmt: skip
    for name, value in endpoint.headers.items():
        command += ["--header", f"{name}: {value}"]
    command += [base + endpoint.path, "--", endpoint.method, *endpoint.bodies]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    return json.loads(line.removeprefix("BENCH_JSON "))


# --- Beside the load ------------------------------------------------------------------------


class SiteChanges:
    """Changes a site of the consultation and bumps its version every CHANGE_EVERY seconds, on
    a connection of its own, while the consultation page is measured: every request then
    shows a version no earlier request showed."""

    def __init__(self, database_url: str, consultation: int):
        self.database_url, self.consultation = database_url, consultation
        self.stop = threading.Event()
        self.changes = 0

    def _run(self) -> None:
        conn = connect(self.database_url)
        conn.autocommit = True
        with conn.cursor() as cursor:
            while not self.stop.wait(CHANGE_EVERY):
                cursor.execute(
                    "UPDATE treatments_lesionsite SET count = 3 - mod(count, 2) WHERE id ="
                    " (SELECT min(id) FROM treatments_lesionsite WHERE consultation_id = %s)",
                    [self.consultation],
                )
                cursor.execute(
                    "UPDATE treatments_consultation SET version = version + 1 WHERE id = %s",
                    [self.consultation],
                )
                self.changes += 1
        conn.close()

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        log(f"    {self.changes} site changes during the run")


class LongSign:
    """bench/long_sign.py in a process of its own: signs a 250-session plan in a loop (each
    round rolled back) while the audited page is measured."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "long_sign.py"), "--seconds", str(self.seconds)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1)  # its Django starting, so that the measured run overlaps a sign
        return self

    def __exit__(self, *exc) -> None:
        output, _ = self.process.communicate(timeout=120)
        line = next((ln for ln in output.splitlines() if ln.startswith("LONG_SIGN ")), None)
        if line is None:
            raise SystemExit(f"bench/long_sign.py failed (exit {self.process.returncode})")
        signed = json.loads(line.removeprefix("LONG_SIGN "))
        log(f"    {signed['rounds']} signs of 250 sessions, {signed['mean_ms']:.0f} ms each")


# --- Counting queries ------------------------------------------------------------------------


def count_queries(endpoints: list[Endpoint], username: str) -> None:
    """Queries per request of each endpoint, from Django's test client on the same database."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    for endpoint in endpoints:
        if not endpoint.available:
            continue
        extra = {}
        if "HX-Request" in endpoint.headers:
            extra["HTTP_HX_REQUEST"] = "true"
        total = 0
        for index in range(QUERY_COUNT_REQUESTS):
            body = endpoint.bodies[index % len(endpoint.bodies)]
            with CaptureQueriesContext(connection) as captured:
                if endpoint.method == "GET":
                    response = client.get(endpoint.path, **extra)
                else:
                    content_type = endpoint.headers["Content-Type"]
                    response = client.post(
                        endpoint.path, data=body, content_type=content_type, **extra
                    )
            if response.status_code != 200:
                raise SystemExit(f"{endpoint.path} answered {response.status_code} when counted")
            total += len(captured)
        endpoint.queries = total / QUERY_COUNT_REQUESTS


# --- Reporting -------------------------------------------------------------------------------


def measure(base: str, endpoint: Endpoint, seconds: int, server, database_url: str) -> dict:
    """One wrk run of ``endpoint``, with the CPU seconds its server and the database spent."""
    with endpoint.during() if endpoint.during else contextlib.nullcontext():
        app_cpu = cpu_seconds(server_pids(server))
        db_cpu = cpu_seconds(database_pids(database_url))
        result = run_wrk(base, endpoint, seconds)
        result["app_cpu_s"] = cpu_used(app_cpu, cpu_seconds(server_pids(server)))
        result["db_cpu_s"] = cpu_used(db_cpu, cpu_seconds(database_pids(database_url)))
    result["load"] = os.getloadavg()[0]
    return result


def merged(runs: list[dict]) -> dict:
    """The rounds of one endpoint as one result: counts and times added up, each latency
    percentile the mean of the rounds' weighted by their requests (close to the percentile of
    all the requests when the rounds are alike), the CPU per request over all of them."""
    requests = sum(run["requests"] for run in runs)
    result = {
        key: sum(run[key] for run in runs)
        for key in ("requests", "duration_us", "non2xx", "connect", "read", "write", "timeout")
    }
    for key in ("p50_us", "p95_us", "p99_us"):
        result[key] = sum(run[key] * run["requests"] for run in runs) / max(requests, 1)
    result["app_cpu_ms"] = sum(run["app_cpu_s"] for run in runs) * 1000 / max(requests, 1)
    result["db_cpu_ms"] = sum(run["db_cpu_s"] for run in runs) * 1000 / max(requests, 1)
    result["load"] = runs[-1]["load"]
    return result


def count_instructions(size: str, keys: list[str]) -> dict[str, float]:
    """Instructions per request of the endpoints that bench/inprocess.py (`make bench-cpu`) also
    drives, counted by callgrind in one process on the same data set: what the load on the
    machine, which moves every rate above, does not move. Empty without valgrind."""
    from bench.inprocess import PAGES

    if shutil.which("valgrind") is None:
        log(
            "Instructions not counted: valgrind is not installed (Debian: apt-get install valgrind)"
        )
        return {}
    pages = [key for key in keys if key in PAGES]
    log(
        f"Counting instructions per request in one process (bench/inprocess.py): {len(pages)} pages"
    )
    output = subprocess.run(
        [sys.executable, str(REPO / "bench" / "inprocess.py"), "--size", size, "--instructions",
         "--only", ",".join(pages)],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    summary = json.loads(output.strip().splitlines()[-1])
    return {key: page["instructions"] for key, page in summary.items() if "instructions" in page}


def errors_of(result: dict) -> int:
    return sum(result[key] for key in ("non2xx", "connect", "read", "write", "timeout"))


def rps_of(result: dict) -> float:
    return result["requests"] / (result["duration_us"] / 1e6)


def report(endpoints: list[Endpoint], bare: Endpoint) -> dict:
    bare_rps = rps_of(bare.result)
    measured = {e.key: e for e in [*endpoints, bare] if e.available and e.result}
    header = (
        f"{'endpoint':<36} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'queries':>7} {'M instr':>7} {'app ms':>6} {'db ms':>5} {'load':>5} "
        f"{'ratio':>6}"
        "  target"
    )
    log("")
    log(header)
    log("-" * len(header))
    summary = {}
    for endpoint in [*endpoints, bare]:
        if not endpoint.available:
            log(f"{endpoint.label:<36} not available yet ({endpoint.note})")
            summary[endpoint.key] = {"ratio": None, "p95_ms": None, "note": "not available yet"}
            continue
        result = endpoint.result
        rps = rps_of(result)
        ratio = rps / bare_rps
        p95 = result["p95_us"] / 1000
        verdicts = []
        for kind, other, limit in TARGETS.get(endpoint.key, []):
            if kind == "p95":
                met = p95 < limit
                verdicts.append(f"p95 < {limit:.0f} ms: {'met' if met else 'MISSED'}")
            elif other in measured:
                of_other = rps / rps_of(measured[other].result)
                met = of_other >= limit
                verdicts.append(
                    f"{of_other:.3f} of {other} >= {limit:.2f}: {'met' if met else 'MISSED'}"
                )
        if errors_of(result):
            verdicts.append("errors: MISSED")
        queries = "-" if endpoint.queries is None else f"{endpoint.queries:g}"
        instructions = (
            "-" if endpoint.instructions is None else f"{endpoint.instructions / 1e6:.1f}"
        )
        log(
            f"{endpoint.label:<36} {rps:>7.1f} {result['p50_us'] / 1000:>7.2f} {p95:>7.2f} "
            f"{result['p99_us'] / 1000:>7.2f} {errors_of(result):>6} {queries:>7} "
            f"{instructions:>7} {result['app_cpu_ms']:>6.2f} {result['db_cpu_ms']:>5.2f} "
            f"{result['load']:>5.2f} "
            f"{ratio:>6.3f}  {'; '.join(verdicts)}"
        )
        if endpoint is not bare:
            summary[endpoint.key] = {
                "ratio": round(ratio, 3),
                "p95_ms": round(p95, 2),
                "app_cpu_ms": round(result["app_cpu_ms"], 2),
                "instructions": endpoint.instructions,
                "load": result["load"],
            }
    return {"bare_rps": round(bare_rps, 1), "endpoints": summary}


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


# --- Main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("full", "small"), default="full")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 3)))
    parser.add_argument("--regenerate", action="store_true", help="load the data set again")
    parser.add_argument("--seconds", type=int, help="measured seconds per endpoint")
    parser.add_argument(
        "--only",
        help="comma-separated endpoints (floor,search,search_1,consultation,"
        "consultation_changed,api,pdf,patient,patient_unaudited,patient_signing,"
        "patient_unaudited_signing)",
    )
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    if options.size == "small":
        # A database of its own, so that switching sizes never regenerates the full one.
        database_url += "_small"
    warmup, seconds = MODES[options.size]
    seconds = options.seconds or seconds
    os.environ.update(bench_environment(database_url))
    started = time.perf_counter()
    load_before = load_average()

    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    collect_static()

    from bench import load_data
    from treatments import services
    from treatments.models import Consultation

    marker = load_data.ensure_dataset(options.size, force=options.regenerate, log=log)
    fixtures = marker["fixtures"]
    case = services.consultation_facts(
        services.consultation_with_chart(fixtures["consultation_20"])
    )
    # The audited page: the patient of the 20-site consultation.
    patient = Consultation.objects.get(pk=fixtures["consultation_20"]).patient_id
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0]
    connection.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log(f"Starting gunicorn ({options.workers} sync workers) on {base}; its log: {SERVER_LOG}")
    server = start_server(port, options.workers)
    try:
        cookies = log_in(base, load_data.DERMATOLOGIST, load_data.BENCH_PASSWORD)
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        token = cookies["csrftoken"]
        session = {"Cookie": cookie}
        posted = session | {"X-CSRFToken": token}
        form = "application/x-www-form-urlencoded"
        searches = tuple(urllib.parse.urlencode({"q": q}) for q in SEARCHES)
        search_headers = posted | {"Content-Type": form, "HX-Request": "true"}
        consultation_path = f"/consultations/{fixtures['consultation_20']}/"
        endpoints = [
            Endpoint(
                "floor", "floor: role check, base.html", "GET", "/bench/floor/", headers=session
            ),  # fmt: skip
            Endpoint(
                "search",
                "patient search (htmx POST)",
                "POST",
                "/patients/",
                searches,
                search_headers,
            ),  # fmt: skip
            Endpoint(
                "search_1",
                "  the same, 1 client",
                "POST",
                "/patients/",
                searches,
                search_headers,
                connections=1,
            ),  # fmt: skip
            Endpoint(
                "consultation",
                "consultation page (20 sites)",
                "GET",
                consultation_path,
                headers=session,
            ),
            Endpoint(
                "consultation_changed",
                "  the same, after a site change",
                "GET",
                consultation_path,
                headers=session,
                during=lambda: SiteChanges(database_url, fixtures["consultation_20"]),
            ),
            Endpoint(
                "api",
                "recommendations API (20 sites)",
                "POST",
                "/api/v1/recommendations",
                (json.dumps(case, separators=(",", ":")),),
                posted | {"Content-Type": "application/json"},
            ),
            Endpoint(
                "pdf",
                "aftercare sheet PDF (1 client)",
                "GET",
                f"/planned/{fixtures['planned_treatment']}/aftercare.pdf",
                headers=session,
                # The time to print one sheet: one request at a time.
                connections=1,
            ),
            Endpoint(
                "patient", "patient page (audited)", "GET", f"/patients/{patient}/", headers=session
            ),  # fmt: skip
            Endpoint(
                "patient_unaudited",
                "  the same, unaudited",
                "GET",
                f"/bench/unaudited/patients/{patient}/",
                headers=session,
            ),  # fmt: skip
            Endpoint(
                "patient_signing",
                "  audited, while a long sign runs",
                "GET",
                f"/patients/{patient}/",
                headers=session,
                during=lambda: LongSign(seconds + 2),
            ),  # fmt: skip
            # The sign takes a core of its own: the page's yardstick is the same page,
            # unaudited, beside the same sign.
            Endpoint(
                "patient_unaudited_signing",
                "  unaudited, while a long sign runs",
                "GET",
                f"/bench/unaudited/patients/{patient}/",
                headers=session,
                during=lambda: LongSign(seconds + 2),
            ),  # fmt: skip
        ]
        if options.only:
            endpoints = [e for e in endpoints if e.key in options.only.split(",")]
        bare = Endpoint("bare", "bare Django view (baseline)", "GET", "/bench/bare/")
        for endpoint in [*endpoints, bare]:
            status = probe(base, endpoint)
            if status == 404 and endpoint.key == "pdf":
                endpoint.available, endpoint.note = False, "the URL answers 404"
            elif status != 200:
                raise SystemExit(f"{endpoint.method} {endpoint.path} answered {status}")
        by_key = {e.key: e for e in endpoints}
        beside = {PAIRED[e.key] for e in endpoints if e.key in PAIRED and e.available}
        for endpoint in [bare, *endpoints, bare]:
            if not endpoint.available or endpoint.key in beside:
                continue  # measured beside the page it is compared with
            partner = by_key.get(PAIRED.get(endpoint.key, ""))
            pair = [endpoint, *([partner] if partner and partner.available else [])]
            for each in pair:
                log(f"  {each.label}: {warmup} s warm-up, {seconds} s measured")
                # Warm every worker up (its connections, its caches), whatever the measured load.
                run_wrk(base, each, warmup, max(each.connections, options.workers))
            # A page compared with another is measured in alternating rounds, so that a change
            # of load on the machine during the run falls on both alike.
            rounds = PAIRED_ROUNDS if len(pair) > 1 else 1
            runs = {each.key: [] for each in pair}
            for _round in range(rounds):
                for each in pair:
                    runs[each.key].append(
                        measure(base, each, max(1, seconds // rounds), server, database_url)
                    )
            for each in pair:
                result = merged(runs[each.key])
                # The bare view runs first and last; the better run is the baseline.
                if each.result is None or rps_of(result) > rps_of(each.result):
                    each.result = result
    finally:
        stop_server(server)

    count_queries(endpoints, load_data.DERMATOLOGIST)
    bare.queries = 0
    counted = count_instructions(options.size, [bare.key, *(e.key for e in endpoints)])
    for endpoint in [bare, *endpoints]:
        endpoint.instructions = counted.get(endpoint.key)
    elapsed = time.perf_counter() - started
    log("")
    log(f"Machine: {machine()}; PostgreSQL {postgres_version}; Python {platform.python_version()}")
    log(
        f"Load average (1 min): {load_before} before the run, {load_average()} after "
        "(anything else running on these cores lowers every rate)"
    )
    log(
        f"Data set '{marker['size']}': {marker['patients']:,} patients, "
        f"{marker['consultations']:,} consultations, {marker['sites']:,} lesion sites "
        f"({'reused' if marker['reused'] else 'generated'}; generation took "
        f"{marker['generated_seconds']:.1f} s)"
    )
    log(
        f"Server: gunicorn, {options.workers} sync workers, DEBUG off; load: wrk, 1 thread, "
        f"{CONNECTIONS} connections (the PDF: 1), {seconds} s per endpoint after {warmup} s "
        "warm-up; "
        f"whole run {elapsed:.0f} s"
    )
    summary = report(endpoints, bare)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
