"""Aftercare sheets and handouts: print views, PDFs and the staff's Today page (issue 5).

The browser's print view and the PDF render the same template body
(``treatments/print/_pages.html``) from the same data (``treatments.aftercare``), so what is
printed from the browser and what is downloaded say the same thing. Nothing here changes clinical
data; marking a session done is ``views.session_done``.

WeasyPrint is imported when a PDF is made, not with this module (its import is slow), and it is
never allowed to fetch anything: every URL it meets is refused.
"""

import logging
import threading
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from milia_clinic.ids import parse_id
from treatments import aftercare
from treatments.models import Handout, PlannedTreatment, Session
from treatments.views import role_required

logger = logging.getLogger(__name__)

PRINT_CSS = "css/print.css"
PDF_TEMPLATE = "treatments/print/pdf.html"
PRINT_TEMPLATE = "treatments/print/pages.html"


# --- Views --------------------------------------------------------------------------------------


@require_GET
@role_required("treatments.view_session")
def today(request: HttpRequest) -> HttpResponse:
    """Today's sessions; ``?print=1`` gives the print view of all their sheets instead."""
    sessions = list(Session.objects.scheduled_on())
    with_handout = _wants_handout(request)
    if request.GET.get("print") == "1":
        if not sessions:
            return _no_sessions_today(request)
        pages = aftercare.with_handout(
            aftercare.sheets_for_sessions(sessions), _handout_or_none(with_handout)
        )
        pdf_url = _with_query(reverse("treatments:today_pdf"), handout=with_handout)
        return _print_view(request, pages, title="Today's aftercare sheets", pdf_url=pdf_url)
    reviews = PlannedTreatment.objects.reviews_from(until=timezone.localdate())
    context = {"sessions": sessions, "day": _today(), "reviews": reviews}
    return render(request, "treatments/today.html", context)


@require_GET
@role_required("treatments.view_session")
def today_pdf(request: HttpRequest) -> HttpResponse:
    """One PDF of every sheet of today's sessions, each followed by the handout on request."""
    sessions = list(Session.objects.scheduled_on())
    if not sessions:
        return _no_sessions_today(request)
    pages = aftercare.with_handout(
        aftercare.sheets_for_sessions(sessions), _handout_or_none(_wants_handout(request))
    )
    return _pdf_response(render_pdf(pages), _dated_filename("aftercare"))


@require_GET
@role_required("treatments.view_plannedtreatment")
def aftercare_sheet(request: HttpRequest, planned_pk: int) -> HttpResponse:
    planned, pages = _sheet_pages(request, planned_pk)
    query = {"session": request.GET.get("session"), "handout": _wants_handout(request)}
    pdf_url = _with_query(reverse("treatments:aftercare_pdf", args=[planned.pk]), **query)
    toggle_url = _with_query(request.path, session=query["session"], handout=not query["handout"])
    return _print_view(
        request,
        pages,
        title=f"Aftercare sheet: {planned.treatment.patient_name}",
        pdf_url=pdf_url,
        handout_toggle_url=toggle_url,
        handout_shown=query["handout"],
    )


@require_GET
@role_required("treatments.view_plannedtreatment")
def aftercare_pdf(request: HttpRequest, planned_pk: int) -> HttpResponse:
    _, pages = _sheet_pages(request, planned_pk)
    return _pdf_response(render_pdf(pages), _dated_filename("aftercare"))


@require_GET
@role_required("treatments.view_handout")
def handout(request: HttpRequest, slug: str) -> HttpResponse:
    sheet = aftercare.handout_sheet(get_object_or_404(Handout, slug=slug))
    pdf_url = reverse("treatments:handout_pdf", args=[slug])
    return _print_view(request, [sheet], title=sheet.title, pdf_url=pdf_url)


@require_GET
@role_required("treatments.view_handout")
def handout_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    sheet = aftercare.handout_sheet(get_object_or_404(Handout, slug=slug))
    return _pdf_response(render_pdf([sheet]), f"handout-{slug}.pdf")


# --- PDF ----------------------------------------------------------------------------------------


def render_pdf(pages, *, page_size: str | None = None, url_fetcher=None) -> bytes:
    """The PDF of these pages (aftercare sheets and handouts), one sheet per printed page.

    The paper is the print stylesheet's (A4) unless ``page_size`` names another ("letter").
    """
    from weasyprint import CSS, HTML

    html = render_to_string(PDF_TEMPLATE, {"pages": pages})
    fetcher = url_fetcher or no_network_fetcher()
    stylesheets = [_print_stylesheet()]
    if page_size is not None:
        stylesheets.append(CSS(string=f"@page {{ size: {page_size} }}", url_fetcher=fetcher))
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=stylesheets, font_config=_font_config()
    )


_per_thread = threading.local()


def _font_config():
    """One WeasyPrint font configuration per thread, kept between PDFs: loading the fonts anew
    for every PDF costs about a third of the time of a one-page sheet. One per thread, since
    Pango's objects are not meant to be shared between threads."""
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_per_thread, "font_config"):
        _per_thread.font_config = FontConfiguration()
    return _per_thread.font_config


def no_network_fetcher():
    """A WeasyPrint URL fetcher that refuses every URL and keeps the list of what it refused."""
    return _no_network_fetcher_class()()


@cache
def _no_network_fetcher_class():
    from weasyprint.urls import URLFetcher

    class NoNetworkFetcher(URLFetcher):
        """A sheet needs nothing from outside, so nothing is ever fetched, not even a file."""

        def __init__(self):
            super().__init__(allowed_protocols=())
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            self.refused.append(url)
            logger.warning("Refused to fetch %s while making a PDF.", url)
            raise ValueError(f"Fetching is disabled for PDFs: {url}")

    return NoNetworkFetcher


def _print_stylesheet():
    """The print stylesheet from the static files, parsed once per version of the file."""
    path = finders.find(PRINT_CSS)
    if path is None:
        raise FileNotFoundError(f"The static file {PRINT_CSS} is missing.")
    path = Path(path)
    return _parsed_stylesheet(str(path), path.stat().st_mtime_ns)


@cache
def _parsed_stylesheet(path: str, mtime_ns: int):
    from weasyprint import CSS

    return CSS(string=Path(path).read_text(encoding="utf-8"), url_fetcher=no_network_fetcher())


# --- Helpers ------------------------------------------------------------------------------------


def _sheet_pages(request: HttpRequest, planned_pk: int) -> tuple[PlannedTreatment, list]:
    planned = get_object_or_404(aftercare.sheet_queryset(), pk=planned_pk)
    try:
        session = aftercare.session_of(planned, _session_pk(request))
    except Session.DoesNotExist:
        raise Http404("No such session for this treatment.") from None
    sheet = aftercare.sheet_for(planned, session)
    handout = _handout_or_none(_wants_handout(request))
    return planned, aftercare.with_handout([sheet], handout)


def _session_pk(request: HttpRequest) -> int | None:
    value = request.GET.get("session")
    if value in (None, ""):
        return None
    pk = parse_id(value)
    if pk is None:
        raise Http404("No such session for this treatment.")
    return pk


def _wants_handout(request: HttpRequest) -> bool:
    return request.GET.get("handout") == "1"


def _handout_or_none(wanted: bool):
    if not wanted:
        return None
    return aftercare.handout_sheet(get_object_or_404(Handout, slug=aftercare.WHY_NOT_AT_HOME))


def _with_query(path: str, **params) -> str:
    query = {
        key: "1" if value is True else value
        for key, value in params.items()
        if value not in (None, "", False)
    }
    return f"{path}?{urlencode(query)}" if query else path


def _print_view(request, pages, *, title, pdf_url, **extra) -> HttpResponse:
    context = {"pages": pages, "title": title, "pdf_url": pdf_url} | extra
    return render(request, PRINT_TEMPLATE, context)


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
    return response


def _dated_filename(kind: str) -> str:
    """A download's name that says what it is and when, never whose: "aftercare-2026-11-29.pdf"
    (the Downloads folder, and whoever looks in it, should not learn a record number)."""
    return f"{kind}-{timezone.localdate():%Y-%m-%d}.pdf"


def _safe_filename(name: str) -> str:
    """Letters, digits, dot, dash and underscore only: a record number may hold anything."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in name)


def _no_sessions_today(request: HttpRequest) -> HttpResponse:
    return render(request, "treatments/print/no_sessions.html", {"day": _today()}, status=404)


def _today() -> str:
    return aftercare.long_date(timezone.localdate())
