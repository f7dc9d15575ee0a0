"""The benchmark's baselines: the cheapest page Django can serve (no database, no template), and
the floor of every page of the app (signed in, a role checked, only base.html rendered).

`make bench` reports every page as a ratio to the bare view, served by the same server in the
same run, so the numbers compare the app with the framework rather than with the machine; the
floor says how much of a page is the session, the user, the role and the layout.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from treatments.views import role_required


@login_not_required
def bench_bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@role_required("treatments.view_patient")
def bench_floor(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")
