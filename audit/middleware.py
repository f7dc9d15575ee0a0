"""Access: every response that shows a page holding patient data, whatever the method, appends
an event; and only the methods the audit records are served.

Every URL of the URLconf has a decision in ``audit_registry``: it shows patient data, and then
``access_for`` gives what a response to it records, or it does not (with the reason). Pages of
the Django admin are decided by their model (``Record``). tests/audit/test_access.py walks the
whole URLconf, the Django admin's included, with every method, and fails on a URL without a
decision, on a response that shows a patient and wrote no event, and on a URL said to show none
whose page names a patient.
"""

from django.http import HttpRequest, HttpResponseNotAllowed

from audit import context
from audit.chain import audit_record
from audit.models import AuditEvent
from audit.registry import Access, audit_registry
from milia_clinic.ids import parse_id

Action = AuditEvent.Action

# A page shows what it is about when it answers 2xx, or re-renders a form or chart with its
# errors (400) or with the newer version it refused to overwrite (409).
SHOWN_ERRORS = frozenset({400, 409})

# The admin's views of a record that show it, and what their event says.
ADMIN_VIEWS = {
    "changelist": "Listed the {}s in the admin",
    "change": "Opened a {} in the admin",
    "history": "Opened the history of a {} in the admin",
    "delete": "Opened the deletion of a {} in the admin",
}


def note_patients(request: HttpRequest, patient_ids) -> None:
    """A page that lists patients says which it showed; its access event names them."""
    request.audit_patients = sorted({int(pk) for pk in patient_ids if pk is not None})


# --- The Django admin, by model -------------------------------------------------------------


def _admin_object_patients(model):
    def patients(request, kwargs) -> list[int | None]:
        pk = parse_id(kwargs.get("object_id", ""))
        return [audit_registry.patient_id_by_pk(model, pk) if pk is not None else None]

    return patients


def _admin_listed(request, kwargs, response) -> list[int]:
    changelist = (getattr(response, "context_data", None) or {}).get("cl")
    rows = list(changelist.result_list) if changelist is not None else []
    return audit_registry.patient_ids_of(rows)


def _admin_detail(request) -> dict:
    # The admin's list filters travel in its URL; the page is about what they selected.
    return {"query": request.GET.dict()}


def admin_view(view_name: str, model) -> str | None:
    """Which of ``ADMIN_VIEWS`` an admin URL of a record model is (None: another view)."""
    record = audit_registry.records.get(model)
    if record is None:
        return None
    view = view_name.removeprefix("admin:").removeprefix(
        f"{model._meta.app_label}_{model._meta.model_name}_"
    )
    return view if view in ADMIN_VIEWS else None


def _admin_access(match) -> Access | None:
    model_admin = getattr(match.func, "model_admin", None)
    if model_admin is None:
        return None
    model = model_admin.model
    view = admin_view(match.view_name, model)
    if view is None:
        return None
    record = audit_registry.records[model]
    summary = ADMIN_VIEWS[view].format(model._meta.verbose_name)
    if view == "changelist":
        return Access(record.list_action, summary, object_type=model._meta.label_lower,
                      listed=_admin_listed, detail=_admin_detail)  # fmt: skip
    return Access(
        record.read_action,
        summary,
        object_type=model._meta.label_lower,
        object_arg="object_id",
        patients=_admin_object_patients(model),
    )


# --- Recording ------------------------------------------------------------------------------


def access_for(request: HttpRequest) -> Access | None:
    """What a response to this request that shows its page must record (None: nothing)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    access = audit_registry.pages.get(match.view_name)
    if access is None and match.namespace == "admin":
        access = _admin_access(match)
    if access is not None and not isinstance(access, Access):
        access = access(request)
    return access


def record_access(request: HttpRequest, response=None, patients=None) -> list[AuditEvent]:
    """The events a response to this request means (most often none): one per patient whose
    record it showed, or one naming the patients a list showed. Any method: HEAD and POST
    show a record as GET does (the other methods are refused before any view runs)."""
    access = access_for(request)
    if access is None:
        return []
    match = request.resolver_match
    object_id = str(match.kwargs.get(access.object_arg, "")) if access.object_arg else ""
    detail = access.detail(request)
    summary = access.summary(request) if callable(access.summary) else access.summary
    if access.listed is not None:
        listed = access.listed(request, match.kwargs, response)
        detail = detail | {"patients": sorted({int(pk) for pk in listed if pk is not None})}
        patients = [None]
    elif patients is None:
        patients = access.patients(request, match.kwargs)
    return [
        audit_record(
            action=access.action,
            request=request,
            patient_id=patient_id,
            object_type=access.object_type,
            object_id=object_id,
            summary=summary,
            detail=detail,
        )
        for patient_id in patients
    ]


class AuditAccessMiddleware:
    """Records access to patient data after each response that shows it (``access_for``), and
    makes the request known to the receivers that record changes during it.

    If the event cannot be written the request fails: data is not shown unrecorded.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.serving(request)
        try:
            response = self.get_response(request)
            if 200 <= response.status_code < 300 or response.status_code in SHOWN_ERRORS:
                record_access(request, response, getattr(request, "audit_patients_before", None))
            return response
        finally:
            context.done(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        access = access_for(request)
        if access is not None and access.before and access.listed is None:
            request.audit_patients_before = access.patients(request, view_kwargs)


class AllowedMethodsMiddleware:
    """Answer 405 to any method but GET, HEAD and POST, before any view runs.

    The Django admin's views answer OPTIONS, PUT or PROPFIND like GET, with the whole record;
    refusing them here means that every response that shows patient data is one the audit
    records (``record_access``), whatever view serves it.
    """

    ALLOWED = ("GET", "HEAD", "POST")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.ALLOWED:
            return HttpResponseNotAllowed(self.ALLOWED)
        return self.get_response(request)
