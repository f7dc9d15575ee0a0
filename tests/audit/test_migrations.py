"""The audit trail's move from ``treatments`` to ``audit`` (issue 12), and its sealing after
commit (issue 14): a trail written before the move, chained at insert as it then was, its signed
checkpoint and the granted permission are all still there and hold after both; the tables and
their append-only triggers are the same."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.chain import (
    audit_record,
    audit_seal,
    audit_verify_all,
    checkpoint_message,
    event_hash,
    public_key_id,
    public_key_text,
)
from audit.models import AuditCheckpoint, AuditEvent
from treatments import roles

BEFORE = [("treatments", "0010_ehr"), ("audit", None)]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _chained_as_before(summary: str, detail: dict) -> AuditEvent:
    """An event as the code before issue 14 wrote it: chained at insert, in the order of ids."""
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        at=timezone.now(),
        actor_username="before",
        action="search",
        summary=summary,
        detail=detail,
        prev_hash=last or AuditEvent.GENESIS_HASH,
    )
    event.hash = event_hash(event)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO treatments_auditevent (at, actor_username, remote_addr, action, "
            "object_type, object_id, summary, detail, prev_hash, hash) "
            "VALUES (%s, %s, '', %s, '', '', %s, %s, %s, %s)",
            [event.at, event.actor_username, event.action, event.summary,
             json.dumps(detail), event.prev_hash, event.hash],
        )  # fmt: skip
    return event


def _checkpoint_as_before(key) -> AuditCheckpoint:
    """A checkpoint signed before issue 14, over every event in the order of ids."""
    count = AuditEvent.objects.count()
    head_id, head_hash = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    checkpoint = AuditCheckpoint(
        at=timezone.now(),
        event_count=count,
        head_id=head_id,
        head_hash=head_hash,
        key_id=public_key_id(key.public_key()),
    )
    message = checkpoint_message(event_count=count, head_hash=head_hash, at=checkpoint.at)
    checkpoint.signature = base64.b64encode(key.sign(message)).decode("ascii")
    checkpoint.save()
    return checkpoint


def _content_type(app_label: str, model: str) -> int | None:
    found = ContentType.objects.filter(app_label=app_label, model=model)
    return found.values_list("pk", flat=True).first()


def test_a_trail_written_before_the_move_still_verifies_after_it(settings):
    key = Ed25519PrivateKey.generate()
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY = public_key_text(key.public_key())
    audit_seal()  # going back needs every event sealed
    _migrate(BEFORE)
    ContentType.objects.clear_cache()
    # Before the move: the permission is treatments', and the Clinic admin role holds it.
    permission = Permission.objects.get(
        content_type__app_label="treatments", codename="view_auditevent"
    )
    role = Group.objects.get(name=roles.CLINIC_ADMIN)
    assert role.permissions.filter(pk=permission.pk).exists()
    written = [_chained_as_before(f"event {n}", {"n": n}) for n in range(3)]
    checkpoint = _checkpoint_as_before(key)
    event_type = _content_type("treatments", "auditevent")

    _migrate(_latest())
    ContentType.objects.clear_cache()

    found = audit_verify_all()
    assert (found.ok, found.problems, found.checkpoints) == (True, [], 1)
    assert found.checked == checkpoint.event_count
    assert list(AuditEvent.objects.filter(actor_username="before").values_list("hash")) == [
        (event.hash,) for event in written
    ]
    assert (_content_type("treatments", "auditevent"), _content_type("audit", "auditevent")) == (
        None,
        event_type,
    )
    moved = Permission.objects.get(pk=permission.pk)
    assert (moved.content_type.app_label, moved.codename) == ("audit", "view_auditevent")
    assert role.permissions.filter(pk=moved.pk).exists()
    # The triggers came through the move with the table.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE treatments_auditevent SET summary = 'rewritten' WHERE id = %s",
            [found.head.pk],
        )


def test_the_move_can_be_undone_and_done_again():
    marker = audit_record(action="search", username="undo", summary="kept")
    audit_seal()
    marker.refresh_from_db()
    view = Permission.objects.get(content_type__app_label="audit", codename="view_auditevent")

    _migrate(BEFORE)
    ContentType.objects.clear_cache()
    back = Permission.objects.get(pk=view.pk)
    app_label_before = back.content_type.app_label
    _migrate(_latest())
    ContentType.objects.clear_cache()

    assert app_label_before == "treatments"
    assert Permission.objects.get(pk=view.pk).content_type.app_label == "audit"
    assert AuditEvent.objects.get(pk=marker.pk).hash == marker.hash
    assert audit_verify_all().ok


def test_going_back_before_the_sealer_is_refused_while_events_wait_to_be_sealed():
    audit_seal()
    audit_record(action="search", username="waiting")

    with pytest.raises(RuntimeError, match="1 audit events are not sealed yet"):
        _migrate([("audit", "0001_initial")])

    audit_seal()
    _migrate([("audit", "0001_initial")])
    _migrate(_latest())
    assert audit_verify_all().ok
