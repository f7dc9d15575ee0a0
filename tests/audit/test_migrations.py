"""The audit trail's move from ``treatments`` to ``audit`` (issue 12): a trail written before the
move, its signed checkpoint and the granted permission are all still there and hold after it;
the tables and their append-only triggers are the same."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from audit.chain import audit_checkpoint, audit_record, audit_verify_all, public_key_text
from audit.models import AuditEvent
from treatments import roles

BEFORE = [("treatments", "0010_ehr"), ("audit", None)]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _content_type(app_label: str, model: str) -> int | None:
    found = ContentType.objects.filter(app_label=app_label, model=model)
    return found.values_list("pk", flat=True).first()


def test_a_trail_written_before_the_move_still_verifies_after_it(settings):
    key = Ed25519PrivateKey.generate()
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY = public_key_text(key.public_key())
    _migrate(BEFORE)
    ContentType.objects.clear_cache()
    # Before the move: the permission is treatments', and the Clinic admin role holds it.
    permission = Permission.objects.get(
        content_type__app_label="treatments", codename="view_auditevent"
    )
    role = Group.objects.get(name=roles.CLINIC_ADMIN)
    assert role.permissions.filter(pk=permission.pk).exists()
    written = [
        audit_record(action="search", username="before", summary=f"event {n}", detail={"n": n})
        for n in range(3)
    ]
    checkpoint = audit_checkpoint(private_key=key)
    event_type = _content_type("treatments", "auditevent")

    _migrate(_latest())
    ContentType.objects.clear_cache()

    found = audit_verify_all()
    assert (found.ok, found.problems, found.checkpoints) == (True, [], 1)
    assert found.checked == checkpoint.event_count
    assert list(AuditEvent.objects.filter(actor_username="before").values_list("id", "hash")) == [
        (event.pk, event.hash) for event in written
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
            [written[0].pk],
        )


def test_the_move_can_be_undone_and_done_again():
    marker = audit_record(action="search", username="undo", summary="kept")
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
