"""The CPU cost of the hot pages, in process, as ratios to a bare view and to the floor page.

Run from the repository root (a scratch PostgreSQL database, made anew each run)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/milia_hot \
        .venv/bin/python bench/profile_pages.py [--rounds 9] [--requests 30]
    ... bench/profile_pages.py --cprofile consultation_20   # where one page's time goes
    ... bench/profile_pages.py --only consultation_20 --requests 200  # one page, under callgrind

Not a test and not `make bench` (which drives gunicorn over HTTP): this one asks Django's test
client for each page in a loop, with the production settings (DEBUG off, cached templates,
the static files' manifest), and reads the CPU time of this process (``time.process_time``),
which other work on the machine disturbs far less than the wall clock. The database's own CPU
(another process) is not counted. Pages are measured in turns, round after round, and each
page's median round is reported, so a burst of load on the machine hits every page alike.

Pages: the bare view (no database, no template), the floor page (a role-checked page that
renders only base.html), the consultation page (draft) with 1 and with 20 sites, and the
patient page (10 consultations of 3 sites).
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "milia_clinic.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "profile-pages-" + "x" * 40)
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/milia_hot")

STATIC_ROOT = Path(tempfile.gettempdir()) / "milia-profile-static"
PLACES = [(location, side) for side in ("left", "right")
          for location in ("eyelid", "periorbital", "forehead", "temple", "cheek", "nose",
                           "perioral", "chin", "jawline", "ear")]  # fmt: skip


def urlconf():
    """The app's URLs, the bare view and the floor page."""
    from django.contrib.auth.decorators import permission_required
    from django.http import HttpResponse
    from django.shortcuts import render
    from django.urls import include, path

    def bare(request):
        return HttpResponse("ok", content_type="text/plain")

    @permission_required("treatments.view_patient", raise_exception=True)
    def floor(request):
        return render(request, "base.html")

    module = types.ModuleType("profile_urls")
    module.urlpatterns = [
        path("profile/bare/", bare),
        path("profile/floor/", floor),
        path("", include("milia_clinic.urls")),
    ]
    return module


def recreate_database(database_url: str):
    """Drop and create the scratch database (PostgreSQL), or delete the SQLite file."""
    import dj_database_url

    config = dj_database_url.parse(database_url)
    if "sqlite" in config["ENGINE"]:
        Path(config["NAME"]).unlink(missing_ok=True)
        return
    import psycopg2

    admin = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        password=config["PASSWORD"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}"')
        cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    admin.close()


def build_pages() -> dict[str, str]:
    from tests.factories import make_consultation, make_patient, make_site, make_user
    from treatments import roles

    user = make_user("dr.profile", roles.DERMATOLOGIST)

    def consultation(sites, patient=None):
        made = make_consultation(clinician=user, patient=patient)
        for location, side in PLACES[:sites]:
            make_site(made, location=location, side=side, tried=[("extraction", False)])
        return made

    patient = make_patient()
    for _ in range(10):
        consultation(3, patient=patient)
    return user, {
        "bare": "/profile/bare/",
        "floor": "/profile/floor/",
        "consultation_1": f"/consultations/{consultation(1).pk}/",
        "consultation_20": f"/consultations/{consultation(20).pk}/",
        "patient": f"/patients/{patient.pk}/",
    }


def collect_static():
    from django.core.management import call_command

    if not (STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


class Browser:
    """GET requests straight into Django's WSGI handler, as gunicorn makes them, with the
    session and CSRF cookies of a signed-in user (no test client bookkeeping)."""

    def __init__(self, cookies: dict[str, str]):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.environ = {
            "REQUEST_METHOD": "GET",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "testserver",
            "HTTP_COOKIE": "; ".join(f"{name}={value}" for name, value in cookies.items()),
            "wsgi.url_scheme": "https",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }

    def get(self, url: str) -> tuple[str, bytes]:
        status = []
        environ = self.environ | {"PATH_INFO": url, "wsgi.input": io.BytesIO()}
        response = self.handler(environ, lambda code, headers, exc_info=None: status.append(code))
        try:
            body = b"".join(response)
        finally:
            response.close()
        return status[0], body


def measure(browser, pages, *, rounds, requests):
    times = {name: [] for name in pages}
    for _ in range(rounds):
        for name, url in pages.items():
            start = time.process_time()
            for _ in range(requests):
                browser.get(url)
            times[name].append((time.process_time() - start) / requests * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=30, help="per page per round")
    parser.add_argument("--cprofile", metavar="PAGE", help="profile one page instead")
    parser.add_argument("--only", metavar="PAGE", help="ask for one page --requests times")
    parser.add_argument("--sort", default="cumulative", help="the cProfile order")
    args, _ = parser.parse_known_args()

    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    recreate_database(os.environ["DATABASE_URL"])
    django.setup()
    with override_settings(
        ROOT_URLCONF=urlconf(),
        STATIC_ROOT=STATIC_ROOT,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            },
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        from django.test import Client

        collect_static()
        call_command("migrate", verbosity=0)
        user, pages = build_pages()
        client = Client()
        client.force_login(user)
        client.get(pages["floor"], secure=True)  # the CSRF cookie a page sets
        browser = Browser({name: morsel.value for name, morsel in client.cookies.items()})
        for url in pages.values():
            for _ in range(3):
                status, _ = browser.get(url)
                assert status.startswith("200"), (url, status)

        if args.only:
            ready = os.environ.get("PROFILE_READY_FILE")
            if ready:  # bench/count_instructions.sh switches callgrind on now, and off after
                Path(ready).write_text("ready")
                while Path(ready).read_text() != "go":
                    time.sleep(0.05)
            for _ in range(args.requests):
                browser.get(pages[args.only])
            if ready:
                Path(ready).write_text("done")
                while Path(ready).exists():
                    time.sleep(0.05)
            return
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                browser.get(pages[args.cprofile])
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(60)
            return

        load = os.getloadavg()[0]
        medians = measure(browser, pages, rounds=args.rounds, requests=args.requests)
        bare, floor = medians["bare"], medians["floor"]
        print(f"load average {load:.1f}; {args.rounds} rounds of {args.requests} requests")
        print("| page | CPU ms | ratio to bare | ratio to floor |")
        print("| --- | ---: | ---: | ---: |")
        for name, ms in medians.items():
            print(f"| {name} | {ms:.2f} | {bare / ms:.3f} | {floor / ms:.2f} |")


if __name__ == "__main__":
    main()
