"""The audit report for the clinic admin (ONC 170.315(d)(3)): filter, sort, export, verify.

The filters travel in the query string, so that a filtered and sorted report can be paged,
re-sorted and exported with plain links; but a URL ends up in server logs and browser history,
so it carries only opaque values: the patient's database id (never a record number or a name),
a user name, an action, dates. The record number an admin types is posted, looked up here and
replaced by the patient's id (post, redirect, get), as the patient search posts its words.
"""

import csv
import json
from datetime import UTC, datetime, time, timedelta
from itertools import islice

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from audit.chain import audit_seal, audit_verify_all
from audit.models import AuditEvent
from audit.registry import audit_registry
from milia_clinic.ids import MAX_ID

AUDIT_PERMISSION = "audit.view_auditevent"
EVENTS_PER_PAGE = 50
CSV_BATCH = 2000

# Sort key in the URL → the column it orders by; the id breaks ties in the same direction.
SORT_COLUMNS = {"at": "at", "actor": "actor_username", "action": "action", "patient": "patient_id"}
SORT_CHOICES = [key for name in SORT_COLUMNS for key in (name, f"-{name}")]
DEFAULT_SORT = "-at"
HEADERS = (("at", "When"), ("actor", "User"), ("action", "Action"), ("patient", "Patient"))

CSV_COLUMNS = (
    "seq",
    "at",
    "actor",
    "remote_addr",
    "action",
    "patient_id",
    "patient_record_number",
    "object_type",
    "object_id",
    "summary",
    "detail",
    "hash",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Forms ----------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    """The browser's date picker, which needs ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    """The report's filters as the URL carries them."""

    patient = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    user = forms.CharField(label="User name", required=False, max_length=150)
    action = forms.ChoiceField(
        choices=[("", "Any action"), *AuditEvent.Action.choices], required=False
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To (inclusive)", required=False, widget=DateInput())
    sort = forms.ChoiceField(
        choices=[(key, key) for key in SORT_CHOICES], required=False, widget=forms.HiddenInput
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to", ValidationError("Choose a day on or after the first.", code="order")
            )
        return cleaned

    def query(self) -> dict:
        """The filters that are set, as URL parameters."""
        values = {name: self.cleaned_data.get(name) for name in AuditFilterForm.base_fields}
        return {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in values.items()
            if value not in (None, "")
        }


class AuditSearchForm(AuditFilterForm):
    """What the admin types: a record number, looked up and replaced by the patient's id."""

    record_number = forms.CharField(label="Patient record number", required=False, max_length=32)

    field_order = ["record_number", "user", "action", "date_from", "date_to"]

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("record_number", "").strip()
        cleaned["patient"] = None
        if number:
            cleaned["patient"] = _patient_with_record_number(number)
            if cleaned["patient"] is None:
                self.add_error(
                    "record_number",
                    ValidationError("No patient has this record number.", code="unknown"),
                )
        return cleaned


# --- Views ----------------------------------------------------------------------------------


def audit_required(view):
    """The permission to read the trail (else 403); sign-in is LoginRequiredMiddleware's."""
    return permission_required(AUDIT_PERMISSION, raise_exception=True)(view)


@require_http_methods(["GET", "POST"])
@audit_required
def audit_report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        search = AuditSearchForm(request.POST)
        if search.is_valid():
            return redirect(_report_url(search.query()))
        return _report_page(request, search, None, status=400)
    filters = AuditFilterForm(request.GET)
    if not filters.is_valid():
        return _report_page(request, AuditSearchForm(), filters, status=400)
    record_number = ""
    if filters.cleaned_data["patient"]:
        patient = filters.cleaned_data["patient"]
        record_number = _record_numbers([patient]).get(patient, "")
    search = AuditSearchForm(initial=filters.cleaned_data | {"record_number": record_number})
    return _report_page(request, search, filters)


@require_GET
@audit_required
def audit_export_csv(request: HttpRequest) -> HttpResponse:
    """The filtered events as CSV, streamed, in the report's order, each with its hash (the
    events committed so far are sealed first)."""
    filters = AuditFilterForm(request.GET)
    if not filters.is_valid():
        return HttpResponse(
            "The filters are not valid.", status=400, content_type="text/plain; charset=utf-8"
        )
    audit_seal()
    events = _filtered_events(filters.cleaned_data)
    response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    filename = f"audit-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@audit_required
def audit_verify_view(request: HttpRequest) -> HttpResponse:
    # Sealing first checks every event committed so far, and is all the sealing that a
    # development server (`make run`, no sealer beside it) needs.
    audit_seal()
    found = audit_verify_all()
    return render(
        request,
        "audit/verify.html",
        {
            "ok": found.ok,
            "checked": found.checked,
            "broken": found.broken,
            "problems": found.problems,
            "checkpoints": found.checkpoints,
            "checkpoint": found.latest_checkpoint,
            # Noted down elsewhere, the latest hash also shows whether events were cut off since.
            "latest": found.head,
            "unsealed": found.unsealed,
            "oldest_unsealed": found.oldest_unsealed,
        },
    )


# --- Helpers --------------------------------------------------------------------------------


def _report_page(request, search, filters, *, status=200) -> HttpResponse:
    context = {"search": search, "filters": filters, "page": None}
    if filters is not None and filters.is_valid():
        query = filters.query()
        sort = filters.cleaned_data["sort"] or DEFAULT_SORT
        page = Paginator(_filtered_events(filters.cleaned_data), EVENTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        events = list(page.object_list)
        numbers = _record_numbers(event.patient_id for event in events)
        for event in events:
            event.record_number = numbers.get(event.patient_id, "")
            event.changes = change_rows(event.detail)
            event.object_label = object_label(event.object_type, event.object_id)
        context |= {
            "page": page,
            "events": events,
            "headers": _headers(query, sort),
            "export_url": _url("audit:export", query),
            "previous_url": _page_url(query, page.previous_page_number())
            if page.has_previous()
            else "",
            "next_url": _page_url(query, page.next_page_number()) if page.has_next() else "",
            "filtered": bool(query.keys() - {"sort"}),
        }
    return render(request, "audit/report.html", context, status=status)


def _filtered_events(filters: dict):
    start, end = filters.get("date_from"), filters.get("date_to")
    sort = filters.get("sort") or DEFAULT_SORT
    column = F(SORT_COLUMNS[sort.lstrip("-")])
    # Events about no patient (or by no user) come last both ways, on either database.
    if sort.startswith("-"):
        order = [column.desc(nulls_last=True), F("id").desc()]
    else:
        order = [column.asc(nulls_last=True), F("id").asc()]
    return AuditEvent.objects.matching(
        patient_id=filters.get("patient"),
        username=filters.get("user", ""),
        action=filters.get("action", ""),
        since=_start_of(start) if start else None,
        before=_start_of(end + timedelta(days=1)) if end else None,
    ).order_by(*order)


def _start_of(day) -> datetime:
    """Midnight at the start of a day in the clinic's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _patient_with_record_number(number: str) -> int | None:
    """The id of the patient with this record number (``audit_registry.register_patient``)."""
    model, field = audit_registry.patient_model, audit_registry.record_number_field
    if model is None:
        return None
    found = model._default_manager.filter(**{field: number})
    return found.values_list("pk", flat=True).first()


def _record_numbers(patient_ids) -> dict[int, str]:
    """The record numbers of these patients, in one query."""
    ids = {patient_id for patient_id in patient_ids if patient_id is not None}
    model, field = audit_registry.patient_model, audit_registry.record_number_field
    if not ids or model is None:
        return {}
    return dict(model._default_manager.filter(pk__in=ids).values_list("pk", field))


def object_label(object_type: str, object_id: str) -> str:
    """``treatments.lesionsite`` and ``12`` as "lesion site #12", for people to read."""
    if not object_type:
        return ""
    try:
        name = apps.get_model(object_type)._meta.verbose_name
    except (LookupError, ValueError):
        name = object_type
    if not object_id:
        return str(name)
    return f"{name} #{object_id}" if object_id.isdigit() else f"{name} “{object_id}”"


def change_rows(detail: dict) -> list[tuple[str, str, str]]:
    """The field-level before and after of a change event: ``(field, before, after)`` rows."""
    rows = []
    changes = detail.get("changes") if isinstance(detail, dict) else None
    for name, change in sorted((changes or {}).items()):
        if isinstance(change, dict) and change.get("type") == "m2m":
            verb = "added" if change.get("operation") == "add" else "removed"
            rows.append((name, "", f"{verb}: {', '.join(map(str, change.get('objects', [])))}"))
        elif isinstance(change, list) and len(change) == 2:
            rows.append((name, str(change[0]), str(change[1])))
    return rows


def _headers(query: dict, sort: str) -> dict[str, dict]:
    """The sortable column headers, by sort key: a link that sorts by the column (or reverses
    the order when it is the column sorted by), and the column's ``aria-sort``."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    headers = {}
    for key, label in HEADERS:
        active = key == current
        next_sort = (key if descending else f"-{key}") if active else key
        headers[key] = {
            "label": label,
            "url": _url("audit:report", query | {"sort": next_sort}),
            "aria_sort": ("descending" if descending else "ascending") if active else "",
            "next": "descending" if next_sort.startswith("-") else "ascending",
        }
    return headers


def _url(name: str, query: dict) -> str:
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


def _report_url(query: dict) -> str:
    return _url("audit:report", query)


def _page_url(query: dict, number: int) -> str:
    return _url("audit:report", query | {"page": number})


class _Echo:
    """A file-like object that hands back what is written, for streaming a CSV."""

    def write(self, value):
        return value


def _csv_lines(events):
    writer = csv.writer(_Echo())
    # The byte-order mark lets spreadsheet programs read the file as UTF-8.
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    rows = events.iterator(chunk_size=CSV_BATCH)
    while batch := list(islice(rows, CSV_BATCH)):
        numbers = _record_numbers(event.patient_id for event in batch)
        for event in batch:
            yield writer.writerow([
                _cell(value)
                for value in (
                    event.pk,
                    event.at.astimezone(UTC).isoformat(),
                    event.actor_username,
                    event.remote_addr,
                    event.action,
                    event.patient_id,
                    numbers.get(event.patient_id, ""),
                    event.object_type,
                    event.object_id,
                    event.summary,
                    json.dumps(event.detail, sort_keys=True, ensure_ascii=False),
                    event.hash,
                )
            ])  # fmt: skip


def _cell(value):
    """A cell a spreadsheet shows as text: one that could start a formula gets a quote first."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
