"""Every read of patient data is audited, whatever the URL and whatever the method (issue 11,
items 3 and 4).

The URLs come from the URLconf itself, the Django admin's included, so a new URL without a
decision in ``audit.registry`` fails here. Each one is tried with every method, as a superuser
(who may open everything), against one patient with a name found nowhere else; a response that
shows a page said to hold patient data must have written an access event, and so must any
response whose body names the patient, whatever the decision said.
"""

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.chain import audit_record
from audit.middleware import SHOWN_ERRORS, admin_view
from audit.models import AuditEvent
from audit.registry import audit_registry
from tests.factories import (
    make_consultation,
    make_patient,
    make_photo,
    make_planned,
    make_recommendation,
    make_site,
    sign,
)
from treatments import services
from treatments.models import (
    Handout,
    Treatment,
)

MARKERS = ("Quixotlwyn", "MRN-QX-4242")
READS = ("GET", "HEAD", "POST")
REFUSED = ("PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "TRACE")
# POST last: it may change the record (sign, delete a site, log out). "htmx" is the same method
# asked by htmx, which some views answer with a partial.
METHODS = ("GET", "GET htmx", "HEAD", *REFUSED, "POST htmx", "POST")
ACCESS_ACTIONS = {
    "view_patient",
    "view_consultation",
    "view_list",
    "view_audit",
    "search",
    "print",
    "download",
}


def _patterns(resolver=None, namespace="", params=()):
    """(view name, URL parameter names, model of its ModelAdmin or None) of every named URL."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        names = (*params, *_parameters(pattern))
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, inner, names)
        elif isinstance(pattern, URLPattern) and pattern.name:
            model_admin = getattr(pattern.callback, "model_admin", None)
            model = model_admin.model if model_admin is not None else None
            yield f"{namespace}{pattern.name}", names, model


def _parameters(pattern) -> tuple[str, ...]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return tuple(converters)
    return tuple(pattern.pattern.regex.groupindex)


PATTERNS = {name: (params, model) for name, params, model in _patterns()}


def _admin_decided(name: str, model) -> bool:
    if model in audit_registry.records:
        return True  # every view of it recorded, but the empty add form
    return model._meta.label_lower in audit_registry.no_patient_data_models


def test_every_url_of_the_urlconf_has_an_audit_decision():
    undecided = [
        name
        for name, (_params, model) in PATTERNS.items()
        if name not in audit_registry.pages
        and name not in audit_registry.no_patient_data
        and not (model is not None and _admin_decided(name, model))
    ]
    assert undecided == []
    assert set(audit_registry.pages) & set(audit_registry.no_patient_data) == set()
    registered = {model._meta.label_lower for model in admin.site._registry}
    decided = {model._meta.label_lower for model in audit_registry.records}
    assert registered - decided - set(audit_registry.no_patient_data_models) == set()


def _declared(name: str, model) -> bool:
    """Whether the audit's registry says this URL shows patient data."""
    if name in audit_registry.pages:
        return True
    return model is not None and admin_view(name, model) is not None


@pytest.fixture
def walk(db, client):
    """A superuser, and one of every record, all about one patient no other page names."""
    root = get_user_model().objects.create_superuser("walker", password="a-long-test-password")
    patient = make_patient(family_name=MARKERS[0], medical_record_number=MARKERS[1])
    draft = make_consultation(patient=patient, clinician=root)
    site = make_site(draft, location="cheek", side="left")
    photo = make_photo(site, by=root)
    signed = make_consultation(patient=patient, clinician=root)
    signed_site = make_site(signed, location="chin", side="midline")
    planned = make_planned(signed, sites=[signed_site], sessions=2, scheduled=1)
    plan, session = planned.plan, planned.treatment_sessions.get()
    recommendation = make_recommendation(signed)
    sign(signed)
    carried = services.follow_up_start(consultation=signed, clinician=root).site_outcomes.get()
    event = audit_record(action="view_patient", actor=root, patient_id=patient.pk)
    client.force_login(root)
    objects = {
        "treatments.patient": patient,
        "treatments.consultation": draft,
        "treatments.lesionsite": site,
        "treatments.plan": plan,
        "treatments.plannedtreatment": planned,
        "treatments.session": session,
        "treatments.recommendation": recommendation,
        "audit.auditevent": event,
        "auditlog.logentry": LogEntry.objects.get_for_object(patient).first(),
        "auth.user": root,
        "auth.group": Group.objects.first(),
        "treatments.treatment": Treatment.objects.first(),
        "treatments.handout": Handout.objects.first(),
    }
    by_app_url = {
        "pk": draft.pk,
        "patient_pk": patient.pk,
        "site_pk": site.pk,
        "session_pk": session.pk,
        "planned_pk": planned.pk,
        "photo_pk": photo.pk,
        "size": "full",
        "outcome_pk": carried.pk,
        "slug": "why-not-at-home",
        "service_id": "milia-order-sign",
        "app_label": "treatments",
        "id": root.pk,
        "content_type_id": ContentType.objects.get_for_model(patient).pk,
    }
    return {"client": client, "patient": patient, "objects": objects, "args": by_app_url}


def _url(name: str, walk) -> str:
    params, model = PATTERNS[name]
    kwargs = {}
    for param in params:
        if param == "object_id":
            if model is None:  # the admin's "view on site": the patient
                kwargs[param] = walk["patient"].pk
            else:
                found = walk["objects"].get(model._meta.label_lower)
                kwargs[param] = found.pk if found is not None else 1
        elif name == "treatments:patient_detail" or name == "treatments:patient_update":
            kwargs[param] = walk["patient"].pk
        else:
            kwargs[param] = walk["args"][param]
    return reverse(name, kwargs=kwargs)


def _access_events(after: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=after, action__in=ACCESS_ACTIONS))


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _names(event: AuditEvent, patient_id: int) -> bool:
    return event.patient_id == patient_id or patient_id in event.detail.get("patients", [])


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_read_of_patient_data_is_audited_whatever_the_method(walk, name):
    client, patient = walk["client"], walk["patient"]
    _params, model = PATTERNS[name]
    url = _url(name, walk)
    unaudited = []
    for method in METHODS:
        marker = _last_id()
        verb, _, htmx = method.partition(" ")
        response = client.generic(verb, url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
        body = b"" if response.streaming else response.content
        named = any(text.encode() in body for text in MARKERS)
        events = _access_events(marker)
        shown = 200 <= response.status_code < 300 or response.status_code in SHOWN_ERRORS
        if method in REFUSED:
            assert (response.status_code, named, events) == (405, False, []), method
            continue
        if shown and _declared(name, model) and not events:
            unaudited.append((method, response.status_code, "declared, no event"))
        if named and not events:
            unaudited.append((method, response.status_code, "names the patient, no event"))
        # A page about the patient names them in its event (the audit trail's own pages name
        # whatever the events they list are about).
        about_trail = {e.action for e in events} == {"view_audit"}
        names_patient = any(_names(e, patient.pk) for e in events)
        if named and events and not about_trail and not names_patient:
            unaudited.append((method, response.status_code, "event without the patient"))
    assert unaudited == []


@pytest.mark.parametrize(
    "label",
    [
        "treatments.patient",
        "treatments.consultation",
        "treatments.lesionsite",
        "treatments.plan",
        "treatments.session",
    ],
)
def test_admin_change_pages_refuse_other_methods_and_audit_every_read(walk, label):
    client, patient = walk["client"], walk["patient"]
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_change", args=[walk["objects"][label].pk])

    answers = {}
    for method in ("OPTIONS", "PUT", "PATCH", "PROPFIND", "GET", "HEAD"):
        marker = _last_id()
        response = client.generic(method, url)
        answers[method] = (
            response.status_code,
            [(e.action, e.patient_id, e.object_id) for e in _access_events(marker)],
        )

    action = "view_patient" if label == "treatments.patient" else "view_consultation"
    read = [(action, patient.pk, str(walk["objects"][label].pk))]
    assert answers == {
        "OPTIONS": (405, []),
        "PUT": (405, []),
        "PATCH": (405, []),
        "PROPFIND": (405, []),
        "GET": (200, read),
        "HEAD": (200, read),
    }


def test_a_list_page_names_the_patients_it_showed(walk):
    client, patient = walk["client"], walk["patient"]
    other = make_patient(family_name="Zzother")
    marker = _last_id()

    client.get(reverse("treatments:patient_list"))
    client.get(reverse("admin:treatments_patient_changelist"))

    assert [(e.action, e.patient_id, e.detail["patients"]) for e in _access_events(marker)] == [
        ("view_list", None, [patient.pk, other.pk]),
        ("view_list", None, [patient.pk, other.pk]),
    ]
