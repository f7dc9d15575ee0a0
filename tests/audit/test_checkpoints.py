"""Signed checkpoints of the audit trail (issue 11, item 8): what the hash chain alone cannot
show (events cut off its end, a TRUNCATE, a chain rewritten and re-hashed) no longer verifies."""

import io
import os
import stat
from importlib import import_module

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from audit.chain import (
    audit_checkpoint,
    audit_record,
    audit_seal,
    audit_verify,
    audit_verify_all,
    event_hash,
    public_key_id,
    public_key_text,
)
from audit.models import AuditCheckpoint, AuditEvent, AuditTrailIsAppendOnly
from tests.factories import make_user
from treatments import roles

EVENTS = import_module("audit.migrations.0002_sealed_after_commit")


@pytest.fixture
def key(settings):
    """The signing key, and its public half where the app reads it."""
    private = Ed25519PrivateKey.generate()
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY = public_key_text(private.public_key())
    return private


@pytest.fixture
def key_file(key, tmp_path):
    from cryptography.hazmat.primitives import serialization

    path = tmp_path / "audit-ed25519.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _events(count: int) -> list[AuditEvent]:
    """``count`` events, sealed (with any the test database held)."""
    events = [audit_record(action="search", username="u1", summary=f"e{n}") for n in range(count)]
    audit_seal()
    return [AuditEvent.objects.get(pk=event.pk) for event in events]


def _raw(sql: str, params=()):
    """What someone with direct database access could do, triggers dropped; rolled back with
    the test."""
    EVENTS.uninstall_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        EVENTS.install_triggers(connection)


def _verify_command() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_code:
        code = exit_code.code
    return code, out.getvalue(), err.getvalue()


# --- Keys -------------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_only_its_owner_reads_and_prints_the_public_key(tmp_path):
    path = tmp_path / "audit.pem"
    out = io.StringIO()

    call_command("audit_keygen", private_key=str(path), stdout=out)

    from audit.chain import load_private_key

    private = load_private_key(path)
    lines = out.getvalue().splitlines()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert lines == [
        f"Private key written to {path} (key id {public_key_id(private.public_key())}).",
        f"MILIA_AUDIT_PUBLIC_KEY={public_key_text(private.public_key())}",
    ]
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("audit_keygen", private_key=str(path), stdout=io.StringIO())


# --- Signing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_checkpoint_command_signs_the_count_and_head_of_the_trail(key, key_file):
    _events(3)
    head = AuditEvent.objects.order_by("-id").first()
    out = io.StringIO()

    call_command("audit_checkpoint", private_key=str(key_file), stdout=out)

    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.event_count, checkpoint.head_id, checkpoint.head_hash) == (
        AuditEvent.objects.count(),
        head.pk,
        head.hash,
    )
    assert checkpoint.key_id == public_key_id(key.public_key())
    assert out.getvalue().startswith(f"Checkpoint #{checkpoint.pk} at ")
    code, said, _ = _verify_command()
    assert code == 0
    assert said.splitlines()[1] == (
        f"Signed checkpoints: 1 hold; the latest, #{checkpoint.pk} at "
        f"{checkpoint.at.isoformat()}, counts {checkpoint.event_count} events."
    )


@pytest.mark.django_db
def test_the_checkpoint_command_refuses_to_sign_a_broken_trail(key, key_file):
    _first, second, _third = _events(3)
    _raw("UPDATE treatments_auditevent SET summary = 'x' WHERE id = %s", [second.pk])
    err = io.StringIO()

    with pytest.raises(SystemExit) as exit_code:
        call_command(
            "audit_checkpoint", private_key=str(key_file), stdout=io.StringIO(), stderr=err
        )

    assert exit_code.value.code == 1
    assert err.getvalue().splitlines() == [
        f"Audit trail BROKEN at event #{second.pk}: its hash does not match.",
        "No checkpoint signed.",
    ]
    assert AuditCheckpoint.objects.count() == 0


# --- What the checkpoints catch -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("cut", ["delete the last events", "truncate"])
def test_events_cut_off_the_end_are_reported(key, cut):
    _events(4)
    checkpoint = audit_checkpoint(private_key=key)
    count = checkpoint.event_count
    if cut == "truncate":
        if connection.vendor != "postgresql":
            pytest.skip("TRUNCATE is PostgreSQL's (SQLite has DELETE without WHERE)")
        # (The deferred foreign-key checks of this test's own inserts run first.)
        _raw("SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE treatments_auditevent")
        left = 0
    else:
        last_two = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:2])
        _raw("DELETE FROM treatments_auditevent WHERE id IN (%s, %s)", last_two)
        left = count - 2

    chain_only = audit_verify()
    found = audit_verify_all()

    assert chain_only == (True, left, None)  # the hole the chain alone leaves
    assert (found.ok, found.checkpoints) == (False, 0)
    assert found.problems == [
        f"Checkpoint #{checkpoint.pk} ({checkpoint.at:%Y-%m-%d %H:%M}): it counted {count} "
        f"events and the trail has {left}: events were removed from the end"
    ]
    code, _out, err = _verify_command()
    assert (code, err.splitlines()) == (1, [f"Audit trail BROKEN: {found.problems[0]}."])


@pytest.mark.django_db
def test_a_trail_rewritten_and_rehashed_is_reported(key):
    _events(3)
    checkpoint = audit_checkpoint(private_key=key)
    events = list(AuditEvent.objects.order_by("id"))
    # Rewrite the second-to-last event and re-hash it and every event after it.
    target = events[-2]
    target.summary = "rewritten"
    previous = target.prev_hash
    for event in events[-2:]:
        event.prev_hash = previous
        event.hash = event_hash(event)
        previous = event.hash
        _raw(
            "UPDATE treatments_auditevent SET summary = %s, prev_hash = %s, hash = %s "
            "WHERE id = %s",
            [event.summary, event.prev_hash, event.hash, event.pk],
        )

    found = audit_verify_all()

    assert audit_verify() == (True, len(events), None)  # the chain alone says intact
    assert found.ok is False
    assert found.problems == [
        f"Checkpoint #{checkpoint.pk} ({checkpoint.at:%Y-%m-%d %H:%M}): event #{events[-1].pk}, "
        f"number {len(events)} of the trail, does not have the hash it signed: "
        "the trail was rewritten"
    ]


@pytest.mark.django_db
def test_a_checkpoint_not_signed_with_the_key_is_reported(key):
    _events(2)
    good = audit_checkpoint(private_key=key)
    # Whoever can insert rows, without the private key: a different key under the right id,
    # and a key the app does not know.
    other = Ed25519PrivateKey.generate()
    forged = AuditCheckpoint.objects.create(
        event_count=good.event_count,
        head_id=good.head_id,
        head_hash=good.head_hash,
        key_id=good.key_id,
        signature=audit_checkpoint(private_key=other).signature,
    )
    unknown = AuditCheckpoint.objects.order_by("id").filter(
        key_id=public_key_id(other.public_key())
    )

    found = audit_verify_all()

    (stranger,) = unknown
    assert (found.ok, found.checkpoints) == (False, 1)
    assert found.problems == [
        f"Checkpoint #{stranger.pk} ({stranger.at:%Y-%m-%d %H:%M}): it was signed with key "
        f"{stranger.key_id}, which is not among the public keys (MILIA_AUDIT_PUBLIC_KEY): "
        "it cannot be checked",
        f"Checkpoint #{forged.pk} ({forged.at:%Y-%m-%d %H:%M}): its signature does not "
        "verify: it was forged or altered",
    ]


@pytest.mark.django_db
def test_events_appended_after_a_checkpoint_verify_and_the_next_checkpoint_covers_them(key):
    _events(2)
    first = audit_checkpoint(private_key=key)
    _events(2)
    second = audit_checkpoint(private_key=key)

    found = audit_verify_all()

    assert (found.ok, found.checkpoints, found.latest_checkpoint) == (True, 2, second)
    assert second.event_count == first.event_count + 2


# --- Checkpoints cannot be changed ------------------------------------------------------------


@pytest.mark.django_db
def test_checkpoints_cannot_be_changed_or_deleted(key):
    _events(1)
    checkpoint = audit_checkpoint(private_key=key)

    for refused in (
        lambda: AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(event_count=0),
        lambda: AuditCheckpoint.objects.all().delete(),
        checkpoint.delete,
        checkpoint.save,
    ):
        with pytest.raises(AuditTrailIsAppendOnly):
            refused()
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE treatments_auditcheckpoint SET event_count = 0 WHERE id = %s",
            [checkpoint.pk],
        )
    if connection.vendor == "postgresql":
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM treatments_auditcheckpoint")
    assert AuditCheckpoint.objects.get().event_count == checkpoint.event_count


# --- The verify page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_verify_page_reports_a_truncated_trail(client, key):
    client.force_login(make_user("admin.cp", roles.CLINIC_ADMIN, is_staff=True))
    _events(3)
    checkpoint = audit_checkpoint(private_key=key)
    intact = client.get(reverse("audit:verify")).content.decode()
    _raw("DELETE FROM treatments_auditevent WHERE id >= %s", [checkpoint.head_id])

    broken = client.get(reverse("audit:verify")).content.decode()

    assert "Signed checkpoints: 1 hold." in intact
    assert "Broken: the trail does not hold against its signed checkpoints." in broken
    assert "events were removed from the end" in broken
