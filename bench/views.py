"""The benchmark's baseline: the cheapest page Django can serve (no database, no template).

`make bench` reports every page as a ratio to this view, served by the same server in the same
run, so the numbers compare the app with the framework rather than with the machine.
"""

from django.http import HttpRequest, HttpResponse


def bench_bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
