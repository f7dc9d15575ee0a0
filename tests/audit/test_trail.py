"""The audit trail (audit.chain, audit.mirror, audit.accounts, audit.views): what is recorded,
that it cannot be changed or removed unnoticed, and the admin's report."""

import csv
import io
import json
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit.chain import audit_record, audit_seal, audit_verify, event_hash
from audit.context import client_address
from audit.models import AuditEvent, AuditTrailIsAppendOnly
from tests.factories import (
    make_consultation,
    make_patient,
    make_planned,
    make_site,
    make_user,
    sign,
)
from treatments import roles
from treatments.models import (
    Patient,
)

PASSWORD = "a-long-test-password"
TRIGGERS = import_module("audit.migrations.0002_sealed_after_commit")


@pytest.fixture
def audit_client(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


def _events_after(marker: int, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=marker, **filters).order_by("id"))


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _actions_after(marker: int) -> list[tuple[str, str]]:
    return [(e.action, e.object_type) for e in _events_after(marker)]


@contextmanager
def _append_only_triggers_dropped():
    """What someone with direct database access could do; rolled back with the test."""
    TRIGGERS.uninstall_triggers(connection)
    try:
        yield
    finally:
        TRIGGERS.install_triggers(connection)


def _three_events() -> list[AuditEvent]:
    """Three events, sealed (with any the test database held), as stored."""
    events = [
        audit_record(action="search", username="u1", summary="one", detail={"query": "ada"}),
        audit_record(action="search", username="u1", summary="two", detail={"query": "bob"}),
        audit_record(action="search", username="u1", summary="three", detail={"query": "cy"}),
    ]
    audit_seal()
    return [AuditEvent.objects.get(pk=event.pk) for event in events]


# --- The chain ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_record_appends_an_event_that_the_sealer_chains_to_the_one_before():
    audit_seal()
    before = AuditEvent.objects.order_by("-seq").first()
    recorded = audit_record(action="search", username="u1", summary="one")
    unsealed = AuditEvent.objects.get(pk=recorded.pk)

    first, second, third = _three_events()

    assert (unsealed.seq, unsealed.prev_hash, unsealed.hash) == (None, None, None)
    assert AuditEvent.objects.get(pk=recorded.pk).seq == (before.seq if before else 0) + 1
    assert first.prev_hash == AuditEvent.objects.get(pk=recorded.pk).hash
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    assert (second.seq, third.seq) == (first.seq + 1, first.seq + 2)
    assert event_hash(second) == second.hash
    assert audit_verify() == (True, AuditEvent.objects.count(), None)


@pytest.mark.django_db
def test_audit_verify_names_a_row_whose_detail_was_changed():
    first, second, third = _three_events()
    checked_before = AuditEvent.objects.filter(id__lt=second.pk).count()

    with _append_only_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE treatments_auditevent SET detail = %s WHERE id = %s",
            [json.dumps({"query": "someone else"}), second.pk],
        )
    ok, checked, broken = audit_verify()

    assert (ok, checked, broken) == (False, checked_before, second)
    assert broken.problem == "its hash does not match"


@pytest.mark.django_db
def test_audit_verify_names_the_row_after_a_deleted_one():
    first, second, third = _three_events()

    with _append_only_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM treatments_auditevent WHERE id = %s", [second.pk])
    ok, _checked, broken = audit_verify()

    assert (ok, broken) == (False, third)
    assert broken.problem == (
        f"it does not follow event #{first.pk} (an event was removed or rewritten)"
    )


@pytest.mark.django_db
def test_audit_verify_names_the_row_after_one_whose_hash_was_recomputed():
    # Rewriting a row and its hash moves the break to the next row, which still names the old hash.
    first, second, third = _three_events()
    second.summary = "rewritten"
    forged = event_hash(second)

    with _append_only_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE treatments_auditevent SET summary = %s, hash = %s WHERE id = %s",
            ["rewritten", forged, second.pk],
        )

    assert audit_verify()[2] == third


@pytest.mark.django_db
def test_audit_verify_command_says_intact_or_names_the_broken_row():
    first, second, _third = _three_events()
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    count = AuditEvent.objects.count()
    assert out.getvalue().splitlines()[0] == f"Audit trail intact: {count} events checked."

    with _append_only_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE treatments_auditevent SET patient_id = 999 WHERE id = %s", [second.pk]
        )
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("audit_verify", stdout=io.StringIO(), stderr=err)

    assert exit_code.value.code == 1
    assert err.getvalue().strip() == (
        f"Audit trail BROKEN at event #{second.pk} ({second.at.isoformat()}, search): "
        "its hash does not match."
    )


@pytest.mark.django_db
def test_audit_verify_reads_the_trail_in_chunks(django_assert_num_queries):
    for _ in range(5):
        audit_record(action="search", username="u1")
    audit_seal()
    # The trail as migrating the test database left it, and the five searches.
    events = AuditEvent.objects.count()

    # One query per chunk of two; the last chunk is short or empty and ends the walk.
    with django_assert_num_queries(events // 2 + 1):
        ok, checked, _ = audit_verify(chunk_size=2)

    assert (ok, checked) == (True, events)


@pytest.mark.django_db
def test_two_events_cannot_take_the_same_place_or_follow_the_same_event():
    # Two sealers that raced past the lock would fork the chain; the database refuses.
    (first, *_rest) = _three_events()
    twins = [
        AuditEvent(action="search", seq=first.seq, prev_hash="e" * 64, hash="f" * 64),
        AuditEvent(action="search", seq=10**9, prev_hash=first.prev_hash, hash="f" * 64),
    ]
    for twin in twins:
        with pytest.raises(IntegrityError), transaction.atomic():
            twin.save()


# --- Append-only ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_delete_events():
    event = audit_record(action="search", username="u1", summary="kept")
    refusals = [
        lambda: AuditEvent.objects.filter(pk=event.pk).update(summary="changed"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.bulk_update([event], ["summary"]),
        lambda: AuditEvent.objects.bulk_create([AuditEvent(action="search")]),
        event.delete,
    ]
    for refused in refusals:
        with pytest.raises(AuditTrailIsAppendOnly):
            refused()
    event.summary = "changed"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


@pytest.mark.django_db
def test_a_new_event_with_an_existing_id_does_not_overwrite_it():
    event = audit_record(action="search", username="u1", summary="kept")
    impostor = AuditEvent(pk=event.pk, action="search", summary="impostor")
    # The model's own guard, without the trigger behind it: an INSERT, refused as a duplicate.
    with _append_only_triggers_dropped(), pytest.raises(IntegrityError), transaction.atomic():
        impostor.save()
    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


@pytest.mark.django_db
def test_the_database_refuses_a_raw_update():
    event = audit_record(action="search", username="u1", summary="kept")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE treatments_auditevent SET summary = 'changed' WHERE id = %s", [event.pk]
        )
    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


@pytest.mark.django_db
def test_the_database_lets_an_update_clear_the_user_link_and_nothing_else():
    user = make_user("leaver")
    event = audit_record(action="search", actor=user, summary="kept")
    sql = "UPDATE treatments_auditevent SET actor_id = NULL{} WHERE id = %s"

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql.format(", summary = 'changed'"), [event.pk])
    with connection.cursor() as cursor:
        cursor.execute(sql.format(""), [event.pk])

    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.actor_id, kept.actor_username, kept.summary) == (None, "leaver", "kept")


@pytest.mark.django_db
def test_the_database_refuses_a_raw_delete_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the model and its manager refuse deletes (see migration 0005)")
    event = audit_record(action="search", username="u1")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM treatments_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_deleting_a_user_keeps_their_events_and_the_chain_intact():
    user = make_user("leaver")
    event = audit_record(action="search", actor=user)

    user.delete()
    audit_seal()

    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.actor_id, kept.actor_username) == (None, "leaver")
    assert audit_verify()[0] is True


@pytest.mark.django_db
def test_the_admin_shows_events_but_cannot_add_change_or_delete_them(audit_client):
    event = audit_record(action="search", username="u1", summary="kept")
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])

    responses = {
        "list": audit_client.get(reverse("admin:audit_auditevent_changelist")),
        "view": audit_client.get(change_url),
        "change": audit_client.post(change_url, {"summary": "changed"}),
        "add": audit_client.get(reverse("admin:audit_auditevent_add")),
        "delete": audit_client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ),
    }

    assert {name: r.status_code for name, r in responses.items()} == {
        "list": 200,
        "view": 200,
        "change": 403,
        "add": 403,
        "delete": 403,
    }
    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


# --- What is recorded: logins -----------------------------------------------------------------


@pytest.mark.django_db
def test_login_is_recorded_with_the_user_and_address(client):
    user = make_user("dr.login", roles.DERMATOLOGIST)
    marker = _last_id()

    client.post(reverse("login"), {"username": "dr.login", "password": PASSWORD})

    (event,) = _events_after(marker, action="login")
    assert (event.actor, event.actor_username, event.remote_addr) == (user, "dr.login", "127.0.0.1")


@pytest.mark.django_db
def test_failed_login_is_recorded_with_the_name_tried_and_never_the_password(client):
    make_user("dr.login", roles.DERMATOLOGIST)
    marker = _last_id()

    client.post(reverse("login"), {"username": "dr.login", "password": "wrong-secret-guess"})

    (event,) = _events_after(marker)
    assert (event.action, event.actor, event.actor_username) == ("login_failed", None, "dr.login")
    assert event.detail == {"username": "dr.login"}
    stored = json.dumps([event.summary, event.detail, event.object_id])
    assert "wrong-secret-guess" not in stored


@pytest.mark.django_db
def test_logout_is_recorded(dermatologist_client, dermatologist):
    marker = _last_id()

    dermatologist_client.post(reverse("logout"))

    (event,) = _events_after(marker)
    assert (event.action, event.actor, event.detail) == (
        "logout",
        dermatologist,
        {"automatic": False},
    )


@pytest.mark.django_db
def test_automatic_logoff_is_recorded_as_such(settings, staff_client, staff):
    staff_client.get("/")
    session = staff_client.session
    session["last_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 1
    session.save()
    marker = _last_id()

    staff_client.get(reverse("treatments:patient_list"))

    (event,) = _events_after(marker)
    assert (event.action, event.actor, event.detail) == ("logout", staff, {"automatic": True})


# --- What is recorded: access -----------------------------------------------------------------


@pytest.mark.django_db
def test_viewing_a_patient_is_recorded_with_the_patient(staff_client, staff):
    patient = make_patient()
    marker = _last_id()

    staff_client.get(reverse("treatments:patient_detail", args=[patient.pk]))

    (event,) = _events_after(marker)
    assert (event.action, event.actor, event.patient_id, event.object_id) == (
        "view_patient",
        staff,
        patient.pk,
        str(patient.pk),
    )


@pytest.mark.django_db
def test_viewing_a_consultation_is_recorded_with_its_patient(staff_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    marker = _last_id()

    staff_client.get(reverse("treatments:consultation_detail", args=[consultation.pk]))

    (event,) = _events_after(marker)
    assert (event.action, event.patient_id, event.object_type, event.object_id) == (
        "view_consultation",
        consultation.patient_id,
        "treatments.consultation",
        str(consultation.pk),
    )


@pytest.mark.django_db
def test_a_search_is_recorded_with_its_text(staff_client):
    marker = _last_id()

    staff_client.post(reverse("treatments:patient_list"), {"q": "lovelace"})

    (event,) = _events_after(marker)
    assert (event.action, event.detail) == (
        "search",
        {"query": "lovelace", "page": "", "patients": []},
    )
    assert event.summary == "Searched the patients for “lovelace”"


@pytest.mark.django_db
def test_refused_or_missing_pages_record_no_access(staff_client):
    patient = make_patient()
    marker = _last_id()

    Client().get(reverse("treatments:patient_detail", args=[patient.pk]))  # anonymous: to login
    staff_client.get(reverse("treatments:patient_detail", args=[patient.pk + 1000]))  # 404

    assert _events_after(marker) == []


def _planned(dermatologist):
    patient = make_patient()
    consultation = make_consultation(patient=patient, clinician=dermatologist)
    make_site(consultation)
    planned = make_planned(consultation)
    sign(consultation)
    return planned


@pytest.mark.django_db
def test_printing_and_downloading_a_sheet_are_recorded_with_the_patient(
    staff_client, dermatologist
):
    planned = _planned(dermatologist)
    patient_id = planned.plan.consultation.patient_id
    marker = _last_id()

    staff_client.get(reverse("treatments:aftercare_sheet", args=[planned.pk]))
    staff_client.get(reverse("treatments:aftercare_pdf", args=[planned.pk]))
    staff_client.get(reverse("treatments:today"))  # the list of today's sessions: a list
    staff_client.get(reverse("treatments:today"), {"print": "1"})
    staff_client.get(reverse("treatments:today_pdf"))
    staff_client.get(reverse("treatments:handout", args=["why-not-at-home"]))

    assert [
        (e.action, e.patient_id, e.object_type, e.object_id) for e in _events_after(marker)
    ] == [
        ("print", patient_id, "treatments.plannedtreatment", str(planned.pk)),
        ("download", patient_id, "treatments.plannedtreatment", str(planned.pk)),
        ("view_list", None, "", ""),
        ("print", patient_id, "", ""),
        ("download", patient_id, "", ""),
        ("print", None, "treatments.handout", "why-not-at-home"),
    ]


# --- What is recorded: changes and roles --------------------------------------------------------


@pytest.mark.django_db
def test_a_change_of_a_lesion_site_is_recorded_field_by_field(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation, location="cheek", side="left", count=1)
    marker = _last_id()

    dermatologist_client.post(
        reverse("treatments:site_update", args=[site.pk]),
        {
            "location": "cheek",
            "side": "left",
            "count": "3",
            "largest_mm": "1.0",
            "depth": "superficial",
            "months_present": "2",
            "version": "1",
        },
    )

    (event,) = _events_after(marker, action="update", object_type="treatments.lesionsite")
    assert event.detail["changes"] == {"count": ["1", "3"]}
    assert (event.actor, event.patient_id, event.object_id) == (
        dermatologist,
        consultation.patient_id,
        str(site.pk),
    )
    assert event.summary == "Changed lesion site “Left cheek”: count"


@pytest.mark.django_db
def test_registering_a_patient_is_recorded_with_the_new_patient(dermatologist_client):
    marker = _last_id()

    dermatologist_client.post(
        reverse("treatments:patient_create"),
        {
            "medical_record_number": "MRN-NEW-1",
            "given_name": "Grace",
            "family_name": "Hopper",
            "date_of_birth": "1980-12-09",
        },
    )

    (event,) = _events_after(marker, action="create")
    patient = Patient.objects.get(medical_record_number="MRN-NEW-1")
    assert (event.patient_id, event.object_type) == (patient.pk, "treatments.patient")
    assert event.detail["changes"]["medical_record_number"] == ["None", "MRN-NEW-1"]


@pytest.mark.django_db
def test_a_change_of_a_users_groups_is_a_role_change(clinic_admin):
    user = make_user("dr.new")
    marker = _last_id()

    user.groups.add(Group.objects.get(name=roles.DERMATOLOGIST))
    user.is_active = False
    user.save()

    events = _events_after(marker)
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("role_change", "auth.user", str(user.pk)),
        ("role_change", "auth.user", str(user.pk)),
    ]
    assert events[0].detail["changes"] == {
        "groups": {"type": "m2m", "operation": "add", "objects": [roles.DERMATOLOGIST]}
    }
    assert events[1].detail["changes"] == {"is_active": ["True", "False"]}


@pytest.mark.django_db
def test_a_role_change_in_the_admin_is_recorded_with_the_admin_as_actor(audit_client, clinic_admin):
    user = make_user("dr.admin.edit")
    marker = _last_id()

    response = audit_client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": "dr.admin.edit",
            "is_active": "on",
            "groups": [Group.objects.get(name=roles.CLINIC_STAFF).pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "09:00:00",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    (event,) = _events_after(marker, action="role_change")
    assert (event.actor, event.detail["changes"]["groups"]["objects"]) == (
        clinic_admin,
        [roles.CLINIC_STAFF],
    )


@pytest.mark.django_db
def test_choosing_the_sites_of_a_planned_treatment_is_recorded_with_the_patient(dermatologist):
    marker = _last_id()

    planned = _planned(dermatologist)

    (event,) = _events_after(marker, object_type="treatments.plannedtreatment", action="update")
    site = planned.sites.get()
    assert event.patient_id == planned.plan.consultation.patient_id
    assert event.detail["changes"] == {
        "sites": {"type": "m2m", "operation": "add", "objects": [str(site)]}
    }


@pytest.mark.django_db
def test_the_password_hash_is_never_recorded():
    marker = _last_id()

    user = make_user("dr.secret")
    user.set_password("another-long-password")
    user.save()

    stored = json.dumps([e.detail for e in _events_after(marker)])
    assert "password" not in stored
    assert user.password not in stored


@pytest.mark.django_db
def test_changing_ones_own_password_is_recorded_without_the_password(client):
    user = make_user("dr.pw", roles.DERMATOLOGIST)
    client.force_login(user)
    marker = _last_id()

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase-26",
            "new_password2": "a-brand-new-passphrase-26",
        },
    )

    assert response.status_code == 302
    (event,) = _events_after(marker)
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        "password_change",
        user,
        "auth.user",
        str(user.pk),
    )
    assert (event.summary, event.detail) == (
        "Changed their own password",
        {"user": "dr.pw", "by": "self"},
    )
    assert "a-brand-new-passphrase-26" not in json.dumps([event.summary, event.detail])


@pytest.mark.django_db
def test_an_admin_setting_a_users_password_is_recorded(client):
    root = get_user_model().objects.create_superuser("root.pw", password=PASSWORD)
    user = make_user("nurse.pw", roles.CLINIC_STAFF)
    client.force_login(root)
    marker = _last_id()

    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "a-reset-passphrase-2026", "password2": "a-reset-passphrase-2026"},
    )

    assert response.status_code == 302
    (event,) = _events_after(marker)
    assert (event.action, event.actor, event.object_id, event.summary) == (
        "password_change",
        root,
        str(user.pk),
        "Set the password of “nurse.pw”",
    )


@pytest.mark.django_db
def test_a_password_set_outside_a_request_is_recorded_without_an_actor():
    user = make_user("dr.cmd")
    marker = _last_id()

    user.set_password("set-by-a-command-2026")
    user.save()

    (event,) = _events_after(marker)
    assert (event.action, event.actor, event.actor_username, event.detail["by"]) == (
        "password_change",
        None,
        "",
        "no signed-in user (a command or a reset link)",
    )


# Writes that send no signal (bulk_create, QuerySet.update) would escape django-auditlog: the
# services save these rows one by one so that each is recorded.


@pytest.mark.django_db
def test_the_treatments_tried_at_a_site_are_recorded(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    marker = _last_id()

    dermatologist_client.post(
        reverse("treatments:site_create", args=[consultation.pk]),
        {
            "location": "cheek",
            "side": "left",
            "count": "3",
            "largest_mm": "1.0",
            "depth": "superficial",
            "months_present": "2",
            "tried_extraction": "failed",
            "version": "1",
        },
    )

    (event,) = _events_after(marker, object_type="treatments.triedtreatment")
    assert (event.action, event.patient_id) == ("create", consultation.patient_id)


@pytest.mark.django_db
def test_signing_a_consultation_is_recorded(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation)
    marker = _last_id()

    dermatologist_client.post(
        reverse("treatments:consultation_sign", args=[consultation.pk]), {"version": "1"}
    )

    (event,) = _events_after(marker, action="update", object_type="treatments.consultation")
    assert event.detail["changes"]["status"] == ["draft", "signed"]


# --- The whole workflow, through the real views ------------------------------------------------


@pytest.mark.django_db
def test_charting_a_consultation_records_each_step_in_order(dermatologist_client):
    marker = _last_id()

    created = dermatologist_client.post(
        reverse("treatments:patient_create"),
        {
            "medical_record_number": "MRN-FLOW-1",
            "given_name": "Ada",
            "family_name": "Byron",
            "date_of_birth": "1990-05-17",
        },
        follow=True,
    )
    patient = created.context["patient"]
    opened = dermatologist_client.post(
        reverse("treatments:consultation_create", args=[patient.pk]),
        {"date": "2026-11-26", "milia_type": "primary"},
        follow=True,
    )
    consultation = opened.context["consultation"]
    dermatologist_client.post(
        reverse("treatments:site_create", args=[consultation.pk]),
        {
            "location": "forehead",
            "side": "midline",
            "count": "4",
            "largest_mm": "1.0",
            "depth": "superficial",
            "months_present": "3",
            "version": "1",
        },
        follow=True,
    )

    assert _actions_after(marker) == [
        ("create", "treatments.patient"),
        ("view_patient", "treatments.patient"),
        ("create", "treatments.consultation"),
        ("view_consultation", "treatments.consultation"),
        ("create", "treatments.lesionsite"),
        ("view_consultation", "treatments.consultation"),
    ]
    assert {e.patient_id for e in _events_after(marker)} == {patient.pk}
    audit_seal()
    assert audit_verify()[0] is True


# --- The address ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6, 203.0.113.9", "10.0.0.5"),  # no proxy: the header is the client's own
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # our proxy appended the last entry
        (1, "", "10.0.0.5"),  # a request that did not pass through the proxy
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two proxies: 2nd from the end
        (2, "203.0.113.9", "10.0.0.5"),  # shorter than the proxies that should have appended
        (1, "6.6.6.6, not-an-address", "10.0.0.5"),
    ],
)
def test_client_address_takes_the_entry_the_trusted_proxies_wrote(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


def _login_through_proxy(client_ip: str, username: str, password: str, *, forged: str = ""):
    """A login as the documented proxy passes it on: it appends the address it saw."""
    forwarded = f"{forged}, {client_ip}" if forged else client_ip
    return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).post(
        reverse("login"), {"username": username, "password": password}
    )


@pytest.mark.django_db
def test_behind_the_proxy_a_lockout_locks_out_only_the_client_that_failed(settings):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXY_COUNT = 1
    make_user("target", roles.DERMATOLOGIST)
    attacker, clinician = "198.51.100.7", "203.0.113.20"
    marker = _last_id()

    # The attacker fails up to the limit, claiming in vain to be the clinician's address.
    answers = [
        _login_through_proxy(attacker, "target", "wrong", forged=clinician).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    locked = _login_through_proxy(attacker, "target", PASSWORD)
    clinician_login = _login_through_proxy(clinician, "target", PASSWORD)

    assert answers[-1] == 429
    assert locked.status_code == 429
    assert clinician_login.status_code == 302
    # The audit trail and django-axes name the same address: the one the proxy saw.
    failed = {e.remote_addr for e in _events_after(marker, action="login_failed")}
    assert failed == {attacker}
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {attacker}


def test_deploy_check_warns_behind_the_proxy_without_a_trusted_proxy_count():
    from tests.test_security import production_env, run_manage

    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env=production_env(DJANGO_TRUSTED_PROXY_COUNT="0"),
    )  # fmt: skip

    assert result.returncode == 1
    assert "audit.W001" in result.stdout + result.stderr


# --- The report -------------------------------------------------------------------------------


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def report_events(db, monkeypatch):
    """Five events by two users about two patients over three days, in a known order."""
    ada, bob = make_patient(), make_patient()
    rows = [
        (_at(1), "search", "u.alpha", None),
        (_at(2), "view_patient", "u.beta", ada.pk),
        (_at(2, 15), "view_patient", "u.alpha", bob.pk),
        (_at(3), "print", "u.beta", ada.pk),
        (_at(3, 9), "view_patient", "u.alpha", ada.pk),
    ]
    events = []
    for at, action, username, patient_id in rows:
        monkeypatch.setattr(timezone, "now", lambda at=at: at)
        events.append(
            audit_record(action=action, username=username, patient_id=patient_id, summary=action)
        )
    monkeypatch.undo()
    return {"events": events, "ada": ada, "bob": bob}


def _report_ids(client, **params) -> list[int]:
    response = client.get(reverse("audit:report"), params)
    assert response.status_code == 200
    return [event.pk for event in response.context["events"]]


@pytest.mark.django_db
def test_audit_report_filters_by_patient_user_action_and_period(audit_client, report_events):
    e = [event.pk for event in report_events["events"]]
    ada = report_events["ada"]

    # (Registering the two patients was recorded too, today: outside March.)
    assert _report_ids(audit_client, patient=ada.pk, date_to="2026-03-31") == [e[3], e[4], e[1]]
    assert _report_ids(audit_client, user="u.alpha") == [e[4], e[2], e[0]]
    assert _report_ids(audit_client, action="view_patient", user="u.alpha") == [e[4], e[2]]
    assert _report_ids(
        audit_client, date_from="2026-03-02", date_to="2026-03-02", user="u.beta"
    ) == [e[1]]
    assert _report_ids(
        audit_client, patient=ada.pk, date_from="2026-03-03", date_to="2026-03-03"
    ) == [e[3], e[4]]


@pytest.mark.django_db
def test_audit_report_sorts_by_each_column_both_ways(audit_client, report_events):
    e = [event.pk for event in report_events["events"]]
    mine = {"date_from": "2026-03-01", "date_to": "2026-03-03"}

    assert _report_ids(audit_client, sort="at", **mine) == [e[0], e[1], e[2], e[4], e[3]]
    assert _report_ids(audit_client, sort="-at", **mine) == [e[3], e[4], e[2], e[1], e[0]]
    assert _report_ids(audit_client, sort="actor", **mine) == [e[0], e[2], e[4], e[1], e[3]]
    assert _report_ids(audit_client, sort="action", **mine) == [e[3], e[0], e[1], e[2], e[4]]
    # Ada was registered before Bob; events about no patient come last either way.
    assert _report_ids(audit_client, sort="patient", **mine) == [e[1], e[3], e[4], e[2], e[0]]
    assert _report_ids(audit_client, sort="-patient", **mine) == [e[2], e[4], e[3], e[1], e[0]]


@pytest.mark.django_db
def test_audit_report_marks_the_sorted_column_for_screen_readers(audit_client, report_events):
    response = audit_client.get(reverse("audit:report"), {"sort": "actor"})
    html = response.content.decode()

    assert html.count("aria-sort=") == 1
    assert 'aria-sort="ascending"><a class="sort-link" href="/audit/?sort=-actor">User' in html


@pytest.mark.django_db
def test_audit_report_looks_up_a_record_number_and_keeps_it_out_of_the_url(
    audit_client, report_events
):
    ada = report_events["ada"]

    response = audit_client.post(
        reverse("audit:report"),
        {"record_number": ada.medical_record_number, "action": "print"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/audit/?patient={ada.pk}&action=print"
    assert ada.medical_record_number not in response["Location"]


@pytest.mark.django_db
def test_audit_report_says_when_no_patient_has_the_record_number(audit_client):
    response = audit_client.post(reverse("audit:report"), {"record_number": "NOPE"})

    assert response.status_code == 400
    assert response.context["search"].errors == {
        "record_number": ["No patient has this record number."]
    }


@pytest.mark.django_db
def test_audit_report_refuses_filters_it_does_not_know(audit_client):
    response = audit_client.get(reverse("audit:report"), {"sort": "hash"})
    assert response.status_code == 400
    assert list(response.context["filters"].errors) == ["sort"]


@pytest.mark.django_db
def test_audit_report_queries_do_not_grow_with_the_events(audit_client, django_assert_num_queries):
    patients = [make_patient() for _ in range(5)]
    url = reverse("audit:report")
    # 5 for the page; reading the report is itself recorded: one INSERT.
    budget = 5 + 1

    for added in (5, 45):  # 5 events viewed, then 50
        for index in range(added):
            audit_record(action="view_patient", username="u", patient_id=patients[index % 5].pk)
        audit_client.get(url)  # the first request of a login session records its start
        with django_assert_num_queries(budget):
            response = audit_client.get(url)
        assert response.status_code == 200


@pytest.mark.django_db
def test_audit_export_has_the_rows_and_neutralises_formulas(audit_client):
    Client().post(reverse("login"), {"username": "=cmd()", "password": "x"})
    patient = make_patient(medical_record_number="+44-1")
    audit_record(action="view_patient", username="u.csv", patient_id=patient.pk, summary="-1")

    response = audit_client.get(reverse("audit:export"), {"sort": "at"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    # Every event, the export's own (recorded before the file is streamed) included.
    assert len(rows) == AuditEvent.objects.count()
    failed = next(row for row in rows if row["action"] == "login_failed")
    assert (failed["actor"], failed["summary"]) == ("'=cmd()", "Failed login as “=cmd()”")
    viewed = next(row for row in rows if row["actor"] == "u.csv")
    assert (viewed["patient_id"], viewed["patient_record_number"], viewed["summary"]) == (
        str(patient.pk),
        "'+44-1",
        "'-1",
    )
    stored = AuditEvent.objects.get(pk=int(viewed["seq"]))
    assert (viewed["at"], viewed["hash"]) == (stored.at.isoformat(), stored.hash)
    assert list(rows[0]) == [
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
    ]


@pytest.mark.django_db
def test_audit_export_follows_the_filters_and_is_itself_recorded(audit_client, report_events):
    ada = report_events["ada"]
    marker = _last_id()

    response = audit_client.get(
        reverse("audit:export"),
        {"patient": ada.pk, "date_to": "2026-03-31", "sort": "at"},
    )
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )

    e = report_events["events"]
    assert [int(row["seq"]) for row in rows] == [e[1].pk, e[4].pk, e[3].pk]
    (recorded,) = _events_after(marker)
    assert (recorded.action, recorded.detail) == (
        "download",
        {"filters": {"patient": str(ada.pk), "date_to": "2026-03-31", "sort": "at"}},
    )


@pytest.mark.django_db
def test_audit_verify_page_says_intact_or_names_the_broken_row(audit_client):
    first, second, _third = _three_events()
    count = AuditEvent.objects.count()
    intact = audit_client.get(reverse("audit:verify")).content.decode()
    assert f"Intact: {count} events checked." in intact

    with _append_only_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute("UPDATE treatments_auditevent SET summary = 'x' WHERE id = %s", [second.pk])
    broken = audit_client.get(reverse("audit:verify")).content.decode()

    assert f"Broken at event #{second.pk}</strong>" in broken
    assert "its hash does not match" in broken


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["report", "export", "verify"])
def test_audit_pages_are_for_the_clinic_admin_only(client, name, dermatologist, staff):
    url = reverse(f"audit:{name}")
    statuses = {}
    for who, user in (("anonymous", None), ("dermatologist", dermatologist), ("staff", staff)):
        client.logout()
        if user is not None:
            client.force_login(user)
        statuses[who] = client.get(url).status_code
    client.logout()
    anonymous = client.get(url)

    assert statuses == {"anonymous": 302, "dermatologist": 403, "staff": 403}
    assert anonymous["Location"].startswith(reverse("login"))
