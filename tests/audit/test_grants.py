"""The documented database grants (deploy/grants.sql, README "Audit"), applied to real roles on
PostgreSQL: the app can do its work, deleting a user and sealing the trail included, and can
neither change the audit trail nor write a checkpoint; the checkpoint job can (issue 11, items 8
and 14; issue 14, item 1)."""

import io
import secrets
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.chain import (
    audit_checkpoint,
    audit_record,
    audit_seal,
    audit_verify_all,
    public_key_text,
)
from audit.models import AuditCheckpoint, AuditEvent
from tests.factories import make_user

GRANTS = Path(__file__).resolve().parents[2] / "deploy" / "grants.sql"

pytestmark = pytest.mark.django_db


@pytest.fixture
def db_roles():
    """The app's role and the checkpoint job's, with exactly the documented grants; created in
    the test's transaction, so they vanish with it."""
    if connection.vendor != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    suffix = secrets.token_hex(4)
    app, job = f"milia_app_t{suffix}", f"milia_checkpoint_t{suffix}"
    sql = GRANTS.read_text().replace("milia_app", app).replace("milia_checkpoint", job)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {app} NOLOGIN")
        cursor.execute(f"CREATE ROLE {job} NOLOGIN")
        cursor.execute(sql)
    return {"app": app, "job": job}


@contextmanager
def acting_as(role: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _refused(sql: str, params=()) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


def test_the_app_role_can_delete_a_user_who_has_audit_events(db_roles):
    user = make_user("leaver")
    event = audit_record(action="search", actor=user, summary="kept")

    with acting_as(db_roles["app"]):
        user.delete()
        audit_seal()

    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.actor_id, kept.actor_username, kept.summary) == (None, "leaver", "kept")
    assert audit_verify_all().ok is True


def test_the_app_role_can_only_append_to_the_trail_seal_it_and_read_checkpoints(db_roles):
    event = audit_record(action="search", username="u1", summary="kept")

    with acting_as(db_roles["app"]):
        appended = audit_record(action="search", username="u1")
        sealed = audit_seal()
        refused = {
            "seal again": _refused(
                "UPDATE treatments_auditevent SET hash = %s WHERE id = %s", ["f" * 64, event.pk]
            ),
            "update": _refused(
                "UPDATE treatments_auditevent SET summary = 'x' WHERE id = %s", [event.pk]
            ),
            "delete": _refused("DELETE FROM treatments_auditevent WHERE id = %s", [event.pk]),
            "truncate": _refused("TRUNCATE treatments_auditevent"),
            "checkpoint insert": _refused(
                "INSERT INTO treatments_auditcheckpoint "
                "(at, event_count, head_hash, key_id, signature) "
                "VALUES (now(), 0, %s, 'k', 's')",
                [AuditEvent.GENESIS_HASH],
            ),
            "checkpoint read": _refused("SELECT count(*) FROM treatments_auditcheckpoint"),
        }

    assert AuditEvent.objects.get(pk=appended.pk).hash is not None
    assert sealed >= 2
    assert audit_verify_all().ok is True
    assert refused == {
        "seal again": True,
        "update": True,
        "delete": True,
        "truncate": True,
        "checkpoint insert": True,
        "checkpoint read": False,
    }


def test_the_checkpoint_role_signs_checkpoints_and_cannot_write_events(db_roles, settings):
    key = Ed25519PrivateKey.generate()
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY = public_key_text(key.public_key())
    audit_record(action="search", username="u1")
    audit_seal()
    waiting = audit_record(action="search", username="u1")

    with acting_as(db_roles["job"]):
        checkpoint = audit_checkpoint(private_key=key)
        cannot_append = _refused(
            "INSERT INTO treatments_auditevent (at, actor_username, remote_addr, action, "
            "object_type, object_id, summary, detail) "
            "VALUES (now(), '', '', 'search', '', '', '', '{}')"
        )
        cannot_seal = _refused(
            "UPDATE treatments_auditevent SET seq = -1, prev_hash = %s, hash = %s WHERE id = %s",
            ["a" * 64, "b" * 64, waiting.pk],
        )

    assert AuditCheckpoint.objects.get().pk == checkpoint.pk
    assert (cannot_append, cannot_seal) == (True, True)
    assert audit_verify_all().checkpoints == 1


def test_verify_as_a_role_that_may_not_seal_checks_what_is_sealed(db_roles):
    audit_record(action="search", username="u1")
    audit_seal()
    audit_record(action="search", username="u1")
    sealed = AuditEvent.objects.filter(seq__isnull=False).count()
    out, err = io.StringIO(), io.StringIO()

    with acting_as(db_roles["job"]):
        call_command("audit_verify", stdout=out, stderr=err)

    lines = out.getvalue().splitlines()
    assert err.getvalue().startswith("Could not seal first (permission denied")
    assert lines[0] == f"Audit trail intact: {sealed} events checked."
    assert lines[1].startswith("Not sealed yet, so not checked: 1 events, the oldest recorded ")
