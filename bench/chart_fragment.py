"""The chart fragment's render alone: the old Django template (tests/chart_reference/) against
the Jinja2 one, on the same chart and context (docs/hot-pages.md). From the repository root::

    .venv/bin/python bench/chart_fragment.py [--sites 20] [--renders 200] [--rounds 7]

A scratch in-memory SQLite database (the render makes no query: the chart is fetched once).
Prints the median round's milliseconds per render, CPU time of this process.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "milia_clinic.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "chart-fragment-" + "x" * 40)
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ["DATABASE_URL"] = "sqlite://:memory:"

PLACES = [(location, side) for side in ("left", "right")
          for location in ("eyelid", "periorbital", "forehead", "temple", "cheek", "nose",
                           "perioral", "chin", "jawline", "ear")]  # fmt: skip


def per_render(render, renders: int, rounds: int) -> float:
    """The median round's CPU milliseconds per render."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(renders):
            render()
        times.append((time.process_time() - start) / renders * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.template import Engine, RequestContext
    from django.test import RequestFactory

    from tests.factories import make_consultation, make_site, make_user
    from treatments import roles, selectors, views

    connection.creation.create_test_db(verbosity=0)
    clinician = make_user("dr.bench", roles.DERMATOLOGIST)
    consultation = make_consultation(clinician=clinician)
    for location, side in PLACES[: args.sites]:
        make_site(consultation, location=location, side=side, tried=[("extraction", False)])
    request = RequestFactory().get("/")
    request.user = clinician
    chart = selectors.consultation_chart(consultation.pk, user=clinician)
    context = views._chart_context(request, chart)

    reference = Engine(
        dirs=[REPO / "tests" / "chart_reference", REPO / "templates"],
        context_processors=[
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
        ],
    ).get_template("treatments/_chart.html")
    old_context = context | {
        "site_links": [(row.site, row.edit_url, row.delete_url) for row in context["charted_sites"]]
    }

    def django_render():
        return reference.render(RequestContext(request, old_context))

    def jinja_render():
        return views._chart_markup(request, context)

    django_render(), jinja_render()
    old = per_render(django_render, args.renders, args.rounds)
    new = per_render(jinja_render, args.renders, args.rounds)
    print(f"chart fragment, {args.sites} sites: Django {old:.2f} ms, Jinja2 {new:.2f} ms a render")


if __name__ == "__main__":
    main()
