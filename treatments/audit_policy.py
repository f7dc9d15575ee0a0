"""What the audit records of treatments' pages and models (registered in
``TreatmentsConfig.ready()`` with ``audit.registry.audit_registry``).

Every URL of ``treatments.urls`` is either a page that shows patient data (``PAGES``: what a
response that shows it records) or one that shows none (``NO_PATIENT_DATA``, with the reason);
every clinical model is a record of one patient (``RECORDS``: how a row reaches its patient) and
its changes are recorded field by field (``CHANGES``).
"""

from collections.abc import Callable

from django.utils import timezone

from audit.models import AuditEvent
from audit.registry import Access, audit_registry, noted, patient_arg, patient_of
from treatments.models import (
    ClinicalPhoto,
    Consultation,
    ConsultationAddendum,
    Handout,
    LesionSite,
    Patient,
    Plan,
    PlannedTreatment,
    Recommendation,
    Session,
    SiteOutcome,
    Treatment,
    TriedTreatment,
)

Action = AuditEvent.Action

# How each clinical record reaches its patient's id.
RECORDS = {
    Consultation: "patient_id",
    LesionSite: "consultation__patient_id",
    TriedTreatment: "site__consultation__patient_id",
    Plan: "consultation__patient_id",
    PlannedTreatment: "plan__consultation__patient_id",
    Session: "planned_treatment__plan__consultation__patient_id",
    Recommendation: "consultation__patient_id",
    ConsultationAddendum: "consultation__patient_id",
    ClinicalPhoto: "site__consultation__patient_id",
    SiteOutcome: "consultation__patient_id",
}

# The models whose every create, change and delete is recorded, with what is left out:
# ``updated_at`` changes with every save and says nothing the event's own time does not; the
# advice itself is stored unchanged in the Recommendation row (the event says who asked).
CHANGES = {
    **{
        model: {"exclude_fields": ["updated_at"]}
        for model in (Consultation, LesionSite, TriedTreatment, Plan, Session, Treatment)
    },
    # The search key is the names again, folded (treatments.text): nothing of its own to log.
    Patient: {"exclude_fields": ["updated_at", "search_key"]},
    Handout: {"exclude_fields": ["updated_at"]},
    ConsultationAddendum: {},
    ClinicalPhoto: {},
    PlannedTreatment: {"m2m_fields": ["sites"]},
    SiteOutcome: {"m2m_fields": ["treatments"]},
    Recommendation: {"exclude_fields": ["input_facts", "output"]},
}

# Admin models that hold no patient data.
NO_PATIENT_DATA_MODELS = {
    "treatments.treatment": "the treatment catalogue's texts",
    "treatments.handout": "the handouts' texts",
    "treatments.ehrclient": "an EHR's name, issuer and public key",
    "treatments.cdscard": "a card the CDS service answered: a rule and its summary, no patient",
    "treatments.cdsfeedback": "an EHR's feedback on a card: accepted or overridden, and why",
}


def _patient_of_planned(request, kwargs) -> list[int | None]:
    found = PlannedTreatment.objects.filter(pk=kwargs["planned_pk"]).values_list(
        "plan__consultation__patient_id", flat=True
    )
    return list(found) or [None]


def _sessions_today():
    sessions = Session.objects.scheduled_on()
    ids = (
        sessions.order_by()
        .values_list("planned_treatment__plan__consultation__patient_id", flat=True)
        .distinct()
    )
    return sorted(ids)


def _patients_printed_today(request, kwargs) -> list[int | None]:
    return _sessions_today() or [None]


def _listed_today(request, kwargs, response) -> list[int]:
    """Today's sessions' patients, and those whose home treatment is reviewed today."""
    reviewed = PlannedTreatment.objects.reviews_from(until=timezone.localdate()).values_list(
        "plan__consultation__patient_id", flat=True
    )
    return sorted(set(_sessions_today()) | set(reviewed))


def _search_detail(request) -> dict:
    return {"query": request.POST.get("q", "").strip()[:200], "page": request.POST.get("page", "")}


def _search_summary(request) -> str:
    query = request.POST.get("q", "").strip()
    return f"Searched the patients for “{query}”" if query else "Listed the patients"


def _page_detail(request) -> dict:
    return {"page": request.GET.get("page", "")}


def _sheet_detail(request) -> dict:
    return {"session": request.GET.get("session", ""), "handout": request.GET.get("handout") == "1"}


def _today_detail(request) -> dict:
    return {"day": timezone.localdate().isoformat(), "handout": request.GET.get("handout") == "1"}


def _consultation_page(summary: str, *, arg: str = "pk", model=Consultation) -> Access:
    return Access(
        Action.VIEW_CONSULTATION,
        summary,
        object_type=model._meta.label_lower,
        object_arg=arg,
        patients=patient_of(model, arg),
        before=model is LesionSite,
    )


_PATIENT_LIST = Access(Action.VIEW_LIST, "Listed the patients", listed=noted, detail=_page_detail)
_PATIENT_SEARCH = Access(Action.SEARCH, _search_summary, listed=noted, detail=_search_detail)
_TODAY_LIST = Access(
    Action.VIEW_LIST, "Opened today's sessions", listed=_listed_today, detail=_today_detail
)
_TODAY_PRINT = Access(
    Action.PRINT,
    "Opened today's aftercare sheets for printing",
    patients=_patients_printed_today,
    detail=_today_detail,
)

_SIGNED = _consultation_page("Was shown a consultation it signed")
_SIGN_REVIEW = _consultation_page("Opened the summary of a consultation to sign it")

# View name (namespace:url_name) → what a response showing it means; a function of the request
# where that depends on what was asked.
PAGES: dict[str, Access | Callable] = {
    "treatments:home": Access(Action.VIEW_LIST, "Opened the home page", listed=noted),
    "treatments:patient_list": lambda request: (
        _PATIENT_SEARCH if request.method == "POST" else _PATIENT_LIST
    ),
    "treatments:patient_detail": Access(
        Action.VIEW_PATIENT,
        "Opened the patient's record",
        object_type="treatments.patient",
        object_arg="pk",
        patients=patient_arg("pk"),
    ),
    "treatments:patient_update": Access(
        Action.VIEW_PATIENT,
        "Opened the patient's record to edit",
        object_type="treatments.patient",
        object_arg="pk",
        patients=patient_arg("pk"),
    ),
    "treatments:consultation_create": Access(
        Action.VIEW_PATIENT,
        "Opened a new consultation for the patient",
        object_type="treatments.patient",
        object_arg="patient_pk",
        patients=patient_arg("patient_pk"),
    ),
    "treatments:consultation_detail": _consultation_page("Opened a consultation"),
    "treatments:consultation_update": _consultation_page("Was shown a consultation it changed"),
    "treatments:consultation_sign": lambda request: (
        _SIGNED if request.method == "POST" else _SIGN_REVIEW
    ),
    "treatments:addendum_create": _consultation_page(
        "Was shown a signed consultation it added an addendum to"
    ),
    "treatments:site_create": _consultation_page("Opened a new site of a consultation"),
    "treatments:plan_edit": _consultation_page("Opened the plan of a consultation"),
    "treatments:site_update": _consultation_page(
        "Opened a lesion site to edit", arg="site_pk", model=LesionSite
    ),
    "treatments:site_delete": _consultation_page(
        "Was shown a consultation after removing a site", arg="site_pk", model=LesionSite
    ),
    "treatments:session_done": Access(
        Action.VIEW_PATIENT,
        "Opened a session to confirm it took place",
        object_type="treatments.session",
        object_arg="session_pk",
        patients=patient_of(Session, "session_pk"),
    ),
    "treatments:session_list": Access(
        Action.VIEW_LIST, "Listed the upcoming sessions", listed=noted, detail=_page_detail
    ),
    "treatments:today": lambda request: (
        _TODAY_PRINT if request.GET.get("print") == "1" else _TODAY_LIST
    ),
    "treatments:today_pdf": Access(
        Action.DOWNLOAD,
        "Downloaded today's aftercare sheets (PDF)",
        patients=_patients_printed_today,
        detail=_today_detail,
    ),
    "treatments:aftercare_sheet": Access(
        Action.PRINT,
        "Opened the aftercare sheet for printing",
        object_type="treatments.plannedtreatment",
        object_arg="planned_pk",
        patients=_patient_of_planned,
        detail=_sheet_detail,
    ),
    "treatments:aftercare_pdf": Access(
        Action.DOWNLOAD,
        "Downloaded the aftercare sheet (PDF)",
        object_type="treatments.plannedtreatment",
        object_arg="planned_pk",
        patients=_patient_of_planned,
        detail=_sheet_detail,
    ),
    "treatments:handout": Access(
        Action.PRINT,
        "Opened a handout for printing",
        object_type="treatments.handout",
        object_arg="slug",
    ),
    "treatments:fhir_export": Access(
        Action.DOWNLOAD,
        "Exported the consultation as FHIR (Bundle)",
        object_type="treatments.consultation",
        object_arg="pk",
        patients=patient_of(Consultation, "pk"),
    ),
    "treatments:site_advice": _consultation_page(
        "Opened the ranked options at a lesion site", arg="site_pk", model=LesionSite
    ),
    "treatments:site_photos": _consultation_page(
        "Opened the photos of a lesion site", arg="site_pk", model=LesionSite
    ),
    "treatments:photo_upload": _consultation_page(
        "Was shown the photos of a lesion site after adding one", arg="site_pk", model=LesionSite
    ),
    # Every fetch of a photo's file, the thumbnail too, is a view of the record.
    "treatments:photo_file": Access(
        Action.VIEW_CONSULTATION,
        "Viewed a clinical photo",
        object_type="treatments.clinicalphoto",
        object_arg="photo_pk",
        patients=patient_of(ClinicalPhoto, "photo_pk"),
        detail=lambda request: {"size": request.resolver_match.kwargs.get("size", "")},
    ),
    "treatments:follow_up_start": _consultation_page(
        "Was shown the follow-up it opened of a consultation"
    ),
    "treatments:site_outcome_edit": _consultation_page(
        "Opened the outcome of a site carried into a follow-up",
        arg="outcome_pk",
        model=SiteOutcome,
    ),
    "treatments:site_outcome_remove": _consultation_page(
        "Was shown a follow-up after leaving a carried site out",
        arg="outcome_pk",
        model=SiteOutcome,
    ),
    "treatments:handout_pdf": Access(
        Action.DOWNLOAD,
        "Downloaded a handout (PDF)",
        object_type="treatments.handout",
        object_arg="slug",
    ),
}

# View name → why it shows no patient data.
NO_PATIENT_DATA: dict[str, str] = {
    "treatments:patient_create": "an empty form; the registration is recorded as a change",
    "treatments:session_undo": "redirects; undoing a session done is recorded as a change",
    "treatments:photo_remove": "redirects; removing a photo is recorded as a change",
    "treatments:session_keepalive": "answers 204",
    "treatments:api_recommendations": "evaluates the case the caller sends; reads no record",
    "treatments:rules_reference": "the rule table, its sources and thresholds",
    "treatments:api_rules": "the rule table, its sources and thresholds, as JSON",
    "treatments:cds_discovery": "the list of CDS Hooks services",
    "treatments:cds_service": "answers the case the EHR sends; reads no stored record",
    "treatments:cds_feedback": "stores the EHR's feedback on cards, recorded as a change",
    "treatments:cds_feedback_report": "counts and override reasons per rule; names no patient",
    "treatments:outcome_report": "counts of sites per treatment and outcome; names no patient",
    "treatments:outcome_report_csv": "the same counts as CSV; names no patient",
}


def register() -> None:
    """Tell the audit all of the above (once, from ``TreatmentsConfig.ready()``)."""
    audit_registry.register_patient(Patient, record_number="medical_record_number")
    for model, patient_id in RECORDS.items():
        audit_registry.register_record(
            model, patient_id=patient_id, read_action=Action.VIEW_CONSULTATION
        )
    for model, options in CHANGES.items():
        audit_registry.register_changes(model, **options)
    for label, reason in NO_PATIENT_DATA_MODELS.items():
        audit_registry.register_no_patient_data_model(label, reason)
    for view_name, access in PAGES.items():
        audit_registry.register_page(view_name, access)
    for view_name, reason in NO_PATIENT_DATA.items():
        audit_registry.register_no_patient_data(view_name, reason)
