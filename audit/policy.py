"""What the audit records of its own pages and models, and of Django's and the third-party apps'
the project uses (the accounts pages, the Django admin, django-auditlog, django-axes). The apps of
the project register theirs in their own ``AppConfig.ready()``."""

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from audit.registry import Access, audit_registry
from milia_clinic.ids import parse_id

Action = AuditEvent.Action


def _report_detail(request) -> dict:
    # The report's URL carries only opaque ids and dates (see audit.views).
    return {"filters": request.GET.dict()}


def _report_patient(request, kwargs) -> list[int | None]:
    return [parse_id(request.GET.get("patient", ""))]


def _logged_change_patient(entry: LogEntry) -> int | None:
    """The patient of the row a django-auditlog entry is about."""
    model = entry.content_type.model_class()
    return audit_registry.patient_id_by_pk(model, entry.object_pk) if model else None


PAGES = {
    # The report names patients (record numbers, and the names in change summaries).
    "audit:report": Access(
        Action.VIEW_AUDIT,
        "Opened the audit report",
        object_type="audit.auditevent",
        patients=_report_patient,
        detail=_report_detail,
    ),
    "audit:export": Access(
        Action.DOWNLOAD,
        "Exported the audit report (CSV)",
        object_type="audit.auditevent",
        patients=_report_patient,
        detail=_report_detail,
    ),
    "audit:verify": Access(
        Action.VIEW_AUDIT, "Checked the audit trail", object_type="audit.auditevent"
    ),
    # The admin's start page lists the admin's own recent changes, by the records' names.
    "admin:index": Access(Action.VIEW_LIST, "Opened the admin's start page"),
}

NO_PATIENT_DATA = {
    "login": "the login form",
    "logout": "logs out and redirects",
    "admin:login": "the login form",
    "admin:logout": "logs out",
    "admin:jsi18n": "the admin's translations",
    "admin:app_list": "the list of an app's models",
    "admin:view_on_site": "redirects to the record's page, which records the access",
    "admin:autocomplete": "refused: no admin field uses autocomplete",
    **dict.fromkeys(
        (
            "password_change",
            "password_change_done",
            "admin:password_change",
            "admin:password_change_done",
            "admin:auth_user_password_change",
        ),
        "a password form or its confirmation; a new password is recorded",
    ),
}

NO_PATIENT_DATA_MODELS = {
    "auth.user": "the users; their changes are recorded",
    "auth.group": "the roles",
    "axes.accessattempt": "login attempts, by user name and address",
    "axes.accessfailurelog": "failed logins, by user name and address",
    "axes.accesslog": "logins, by user name and address",
}


def register() -> None:
    """Register the decisions above (once, from ``AuditConfig.ready()``)."""
    # The trail itself, and django-auditlog's log: every view of them is a view of the audit.
    audit_registry.register_record(
        AuditEvent,
        patient_id="patient_id",
        read_action=Action.VIEW_AUDIT,
        list_action=Action.VIEW_AUDIT,
    )
    audit_registry.register_record(
        LogEntry,
        patient_id=_logged_change_patient,
        read_action=Action.VIEW_AUDIT,
        list_action=Action.VIEW_AUDIT,
    )
    # A user's groups are their roles. Never the password hash; last_login changes at every
    # login, which has its own event.
    audit_registry.register_changes(
        get_user_model(),
        exclude_fields=["password", "last_login"],
        m2m_fields=["groups", "user_permissions"],
    )
    for label, reason in NO_PATIENT_DATA_MODELS.items():
        audit_registry.register_no_patient_data_model(label, reason)
    for view_name, access in PAGES.items():
        audit_registry.register_page(view_name, access)
    for view_name, reason in NO_PATIENT_DATA.items():
        audit_registry.register_no_patient_data(view_name, reason)
