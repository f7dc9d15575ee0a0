"""The audit off the critical path (issue 14, item 1): a request only inserts its event, with no
lock, and the sealer chains the committed events afterwards, in batches. A long sign never
blocks another user's page; any interleaving of commits, rollbacks and seals ends in a chain that
verifies; tampering with a sealed event, or an unsealed one, is found or refused."""

import io
import os
import signal
import threading
import time
from importlib import import_module

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.chain import (
    audit_checkpoint,
    audit_record,
    audit_seal,
    audit_unsealed,
    audit_verify,
    audit_verify_all,
    public_key_text,
)
from audit.models import AuditEvent
from tests.factories import make_consultation, make_site, make_user
from treatments import roles, services
from treatments.models import Consultation

TRIGGERS = import_module("audit.migrations.0002_sealed_after_commit")
TABLE = "treatments_auditevent"
# Well under the 5 s lock_timeout a page would have waited on the lock before issue 14.
PAGE_SECONDS = 2.0

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="transactions that commit out of id order need PostgreSQL: SQLite has one writer",
)


def _summaries(**filters) -> list[str]:
    return list(
        AuditEvent.objects.filter(**filters).order_by("seq").values_list("summary", flat=True)
    )


def _raw(*statements: str, params=()) -> None:
    """What someone with direct database access could do, triggers dropped; rolled back with
    the test (or its savepoint)."""
    TRIGGERS.uninstall_triggers(connection)
    try:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql, params)
    finally:
        TRIGGERS.install_triggers(connection)


def _session():
    """A connection of its own to the test database, as another app server has."""
    return connection.get_new_connection(connection.get_connection_params())


def _insert(session, summary: str) -> int:
    """What ``audit_record`` sends: one INSERT, in the session's open transaction."""
    with session.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (at, actor_username, remote_addr, action, object_type, "
            "object_id, summary, detail) VALUES (%s, 'u', '', 'search', '', '', %s, '{}') "
            "RETURNING id",
            [timezone.now(), summary],
        )
        return cursor.fetchone()[0]


# --- Appending ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recording_an_event_is_one_insert_and_leaves_it_unsealed(django_assert_num_queries):
    with django_assert_num_queries(1):
        event = audit_record(action="search", username="u1", summary="one")

    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.seq, stored.prev_hash, stored.hash) == (None, None, None)
    assert audit_unsealed()[0] >= 1


@pytest.mark.django_db
def test_the_sealer_seals_in_batches_of_one_read_and_one_update(django_assert_num_queries):
    audit_seal()
    for n in range(5):
        audit_record(action="search", username="u1", summary=f"e{n}")

    # The last id; then per batch: savepoint, head, batch, UPDATE, release (and the lock on
    # PostgreSQL); batches of 2 for 5 events: 2, 2, 1.
    per_batch = 6 if connection.vendor == "postgresql" else 5
    with django_assert_num_queries(1 + 3 * per_batch):
        sealed = audit_seal(batch_size=2)

    assert sealed == 5
    assert _summaries(summary__startswith="e") == ["e0", "e1", "e2", "e3", "e4"]
    assert audit_verify() == (True, AuditEvent.objects.count(), None)


@pytest.mark.django_db
def test_a_rolled_back_event_leaves_a_gap_in_the_ids_that_never_stalls_the_sealer():
    before = audit_record(action="search", username="u1", summary="before")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="search", username="u1", summary="rolled back")
        raise RuntimeError("the request failed")
    after = audit_record(action="search", username="u1", summary="after")

    audit_seal()

    sealed = AuditEvent.objects.filter(pk__in=[before.pk, after.pk]).order_by("seq")
    assert [(e.summary, e.seq is not None) for e in sealed] == [
        ("before", True),
        ("after", True),
    ]
    assert sealed[1].prev_hash == sealed[0].hash
    assert audit_unsealed() == (0, None)
    assert audit_verify()[0] is True


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_event_committed_after_later_ids_were_sealed_takes_the_next_place():
    slow, quick = _session(), _session()
    try:
        slow_id = _insert(slow, "slow")  # the lower id, committed last
        quick_id = _insert(quick, "quick")
        quick.commit()

        audit_seal()
        placed = {e.summary: e.seq for e in AuditEvent.objects.filter(pk__in=[slow_id, quick_id])}
        slow.commit()
        audit_seal()
    finally:
        slow.close()
        quick.close()

    assert placed == {"quick": placed["quick"]}  # the slow one was not committed: not seen
    sealed = {e.summary: e.seq for e in AuditEvent.objects.filter(pk__in=[slow_id, quick_id])}
    assert slow_id < quick_id
    assert sealed == {"quick": placed["quick"], "slow": placed["quick"] + 1}
    assert audit_verify()[0] is True


# --- A long sign does not hold up anyone's page ----------------------------------------------


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_long_sign_never_blocks_another_users_audited_page():
    dermatologist = make_user("dr.slow", roles.DERMATOLOGIST)
    staff = make_user("nurse.quick", roles.CLINIC_STAFF)
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation)
    signed, release, failures = threading.Event(), threading.Event(), []

    def sign_and_hold():
        try:
            with transaction.atomic():
                # Signing writes audited changes (the consultation, its recommendation) ...
                services.consultation_sign(consultation=consultation, user=dermatologist)
                signed.set()
                # ... and the clinician's transaction stays open, as a 250-session plan's does.
                release.wait(timeout=30)
        except Exception as error:  # reported by the test below, in the main thread
            failures.append(error)
            signed.set()
        finally:
            connection.close()

    signer = threading.Thread(target=sign_and_hold)
    signer.start()
    try:
        assert signed.wait(timeout=30)
        assert failures == []
        page = Client()
        page.force_login(staff)
        started = time.monotonic()
        response = page.get(reverse("treatments:patient_detail", args=[consultation.patient_id]))
        elapsed = time.monotonic() - started
        still_signing = signer.is_alive()
        seen_by_page = AuditEvent.objects.filter(
            action="view_patient", actor_username="nurse.quick"
        ).count()
        signs_visible = AuditEvent.objects.filter(actor_username="dr.slow").count()
    finally:
        release.set()
        signer.join(timeout=30)

    assert (response.status_code, still_signing) == (200, True)
    assert elapsed < PAGE_SECONDS
    assert (seen_by_page, signs_visible) == (1, 0)  # the sign's events were not committed yet
    assert failures == []
    assert Consultation.objects.get(pk=consultation.pk).status == Consultation.Status.SIGNED
    audit_seal()
    assert AuditEvent.objects.filter(actor_username="dr.slow", seq__isnull=True).count() == 0
    assert audit_verify()[0] is True


# --- Any interleaving seals into a chain that verifies -----------------------------------------

SESSIONS = 3
STEPS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["insert", "commit", "rollback"]), st.integers(0, SESSIONS - 1)),
        st.just(("seal", None)),
    ),
    max_size=25,
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, commit_at_end=st.booleans())
def test_any_interleaving_of_commits_rollbacks_and_seals_ends_in_a_chain_that_verifies(
    steps, commit_at_end
):
    sessions = [_session() for _ in range(SESSIONS)]
    pending = [[] for _ in range(SESSIONS)]
    committed, rolled_back = [], []
    try:
        for number, (step, which) in enumerate(steps):
            if step == "insert":
                pending[which].append(_insert(sessions[which], f"step {number}"))
            elif step == "commit":
                sessions[which].commit()
                committed += pending[which]
                pending[which] = []
            elif step == "rollback":
                sessions[which].rollback()
                rolled_back += pending[which]
                pending[which] = []
            else:
                audit_seal()
                sealed = set(
                    AuditEvent.objects.filter(seq__isnull=False).values_list("id", flat=True)
                )
                assert sealed >= set(committed)  # every event committed before the seal
                assert audit_verify()[0] is True
        for which, session in enumerate(sessions):
            (session.commit if commit_at_end else session.rollback)()
            (committed if commit_at_end else rolled_back).extend(pending[which])
    finally:
        for session in sessions:
            session.close()

    audit_seal()

    mine = AuditEvent.objects.filter(pk__in=committed + rolled_back)
    assert sorted(mine.filter(seq__isnull=False).values_list("id", flat=True)) == sorted(committed)
    assert audit_unsealed() == (0, None)
    assert audit_verify() == (True, AuditEvent.objects.count(), None)


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.sampled_from(["append", "append and roll back", "seal"]), max_size=20))
def test_appends_rollbacks_and_seals_in_any_order_chain_every_kept_event_once(steps):
    kept = []
    for number, step in enumerate(steps):
        if step == "seal":
            audit_seal(batch_size=3)
        elif step == "append":
            kept.append(audit_record(action="search", username="u", summary=f"{number}").pk)
        else:
            with pytest.raises(RuntimeError), transaction.atomic():
                audit_record(action="search", username="u", summary="rolled back")
                raise RuntimeError("rolled back")

    audit_seal(batch_size=3)

    places = list(
        AuditEvent.objects.filter(pk__in=kept).order_by("seq").values_list("id", flat=True)
    )
    assert places == kept  # one writer: the chain keeps the order it appended in
    assert not AuditEvent.objects.filter(summary="rolled back").exists()
    assert audit_verify() == (True, AuditEvent.objects.count(), None)


# --- Tampering is found -----------------------------------------------------------------------

TAMPERING = {
    "edit": ["UPDATE {table} SET summary = 'rewritten' WHERE id = %s"],
    "delete": ["DELETE FROM {table} WHERE id = %s"],
    "unseal": ["UPDATE {table} SET seq = NULL, prev_hash = NULL, hash = NULL WHERE id = %s"],
    # Swap the places of an event and the one after it (through -1: seq is unique).
    "reorder": [
        "UPDATE {table} SET seq = -1 WHERE seq = {a}",
        "UPDATE {table} SET seq = {a} WHERE seq = {b}",
        "UPDATE {table} SET seq = {b} WHERE seq = -1",
    ],
}


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(count=st.integers(2, 6), kind=st.sampled_from(sorted(TAMPERING)), data=st.data())
def test_any_tampering_with_a_sealed_event_fails_verification(settings, count, kind, data):
    key = Ed25519PrivateKey.generate()
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY = public_key_text(key.public_key())
    savepoint = transaction.savepoint()
    try:
        events = [audit_record(action="search", username="u", summary=f"{n}") for n in range(count)]
        audit_seal()
        audit_checkpoint(private_key=key)
        index = data.draw(st.integers(0, count - 2 if kind == "reorder" else count - 1))
        target = AuditEvent.objects.get(pk=events[index].pk)
        statements = [
            sql.format(table=TABLE, a=target.seq, b=target.seq + 1) for sql in TAMPERING[kind]
        ]
        _raw(*statements, params=[] if kind == "reorder" else [target.pk])

        found = audit_verify_all()
    finally:
        transaction.savepoint_rollback(savepoint)

    assert found.ok is False


# --- Unsealed events are append-only too ----------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_to_change_an_unsealed_event_or_seal_it_twice():
    event = audit_record(action="search", username="u1", summary="kept")
    sql = {
        "change": "UPDATE {t} SET summary = 'changed' WHERE id = %s",
        "seal and change": "UPDATE {t} SET seq = -5, prev_hash = %s, hash = %s, "
        "summary = 'changed' WHERE id = %s",
        "seal in part": "UPDATE {t} SET seq = -5 WHERE id = %s",
    }
    params = {"seal and change": ["a" * 64, "b" * 64, event.pk]}
    refused = {}
    for name, statement in sql.items():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement.format(t=TABLE), params.get(name, [event.pk]))
        except IntegrityError:
            refused[name] = True
        else:
            refused[name] = False
    audit_seal()
    sealed = AuditEvent.objects.get(pk=event.pk)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET hash = %s WHERE id = %s", ["c" * 64, event.pk])

    assert refused == {"change": True, "seal and change": True, "seal in part": True}
    assert (sealed.summary, sealed.hash is not None) == ("kept", True)


@postgresql_only
@pytest.mark.django_db
def test_the_database_refuses_to_delete_an_unsealed_event():
    event = audit_record(action="search", username="u1")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, seq__isnull=True).exists()


# --- The commands -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_seal_command_seals_once_and_says_how_many():
    audit_seal()
    for _ in range(3):
        audit_record(action="search", username="u1")
    out = io.StringIO()

    call_command("audit_seal", "--once", stdout=out)

    assert out.getvalue() == "Sealed 3 audit events; 0 wait for the next run.\n"
    assert audit_unsealed() == (0, None)


@pytest.mark.django_db
def test_the_seal_command_loops_until_it_is_stopped():
    audit_seal()
    audit_record(action="search", username="u1")
    # SIGTERM, as systemd stops the service, ends the loop between two runs.
    stop = threading.Timer(0.5, os.kill, [os.getpid(), signal.SIGTERM])
    previous = signal.getsignal(signal.SIGTERM)

    stop.start()
    started = time.monotonic()
    call_command("audit_seal", "--loop", "--interval", "0.1", stdout=io.StringIO())

    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGTERM) == previous
    assert audit_unsealed() == (0, None)
    with pytest.raises(CommandError, match="--interval"):
        call_command("audit_seal", "--loop", "--interval", "0")


@pytest.mark.django_db
def test_verify_seals_first_unless_told_not_to_and_reports_what_waits():
    audit_seal()
    audit_record(action="search", username="u1")
    count = AuditEvent.objects.count()
    waiting, oldest = audit_unsealed()

    unsealed = io.StringIO()
    call_command("audit_verify", "--no-seal", stdout=unsealed)
    sealed = io.StringIO()
    call_command("audit_verify", stdout=sealed)

    assert unsealed.getvalue().splitlines()[:2] == [
        f"Audit trail intact: {count - 1} events checked.",
        f"Not sealed yet, so not checked: {waiting} events, the oldest recorded "
        f"{oldest.isoformat()}.",
    ]
    assert sealed.getvalue().splitlines()[:2] == [
        f"Audit trail intact: {count} events checked.",
        "No signed checkpoint yet (see README: audit_checkpoint).",
    ]


@pytest.mark.django_db
def test_the_verify_page_seals_first(client):
    client.force_login(make_user("admin.seal", roles.CLINIC_ADMIN, is_staff=True))
    audit_record(action="search", username="u1")
    count = AuditEvent.objects.count()

    page = client.get(reverse("audit:verify")).content.decode()

    assert f"Intact: {count} events checked." in page
    # Only the page's own event, recorded after it was answered, waits.
    assert audit_unsealed()[0] == 1


@pytest.mark.django_db
def test_an_event_chained_at_insert_as_before_the_sealer_is_refused():
    # What an app server still running the code of before issue 14 would write: the sealer
    # could never seal it, so the database refuses it (the request fails, loudly).
    half_sealed = [
        AuditEvent(action="search", prev_hash="a" * 64, hash="b" * 64),
        AuditEvent(action="search", seq=10**9),
    ]
    for event in half_sealed:
        with pytest.raises(IntegrityError), transaction.atomic():
            event.save()
    assert not AuditEvent.objects.filter(action="search", actor_username="").exists()
