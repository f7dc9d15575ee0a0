"""Changes, from django-auditlog: each of its log entries is mirrored into the chain with the
patient it concerns (``audit_registry.patient_id_of``). django-auditlog computes the field-level
before and after of every save and delete of the models registered with
``audit_registry.register_changes``, and of their many-to-many fields (a user's groups are their
roles); a change of a user's groups, permissions or active/staff/superuser flags is a
``role_change``."""

from auditlog.models import LogEntry
from auditlog.signals import post_log
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from audit.chain import audit_record
from audit.context import current_request
from audit.models import AuditEvent
from audit.registry import audit_registry

Action = AuditEvent.Action
User = get_user_model()

# A change of one of these fields of a user changes what the user may do.
ROLE_FIELDS = frozenset({"groups", "user_permissions", "is_active", "is_staff", "is_superuser"})


_VERB = {
    LogEntry.Action.CREATE: (Action.CREATE, "Created"),
    LogEntry.Action.UPDATE: (Action.UPDATE, "Changed"),
    LogEntry.Action.DELETE: (Action.DELETE, "Deleted"),
}


@receiver(post_log, dispatch_uid="audit.mirror.model_change")
def _model_changed(sender, instance, action, changes, log_entry, **kwargs):
    if log_entry is None or action not in _VERB:
        return
    verb, said = _VERB[action]
    changes = changes or {}
    if sender is User and action == LogEntry.Action.UPDATE and ROLE_FIELDS & set(changes):
        verb = Action.ROLE_CHANGE
    summary = f"{said} {sender._meta.verbose_name} “{log_entry.object_repr}”"
    if action == LogEntry.Action.UPDATE:
        summary += ": " + ", ".join(sorted(changes))
    audit_record(
        action=verb,
        actor=_actor(log_entry),
        patient_id=audit_registry.patient_id_of(instance),
        obj=instance,
        summary=summary,
        detail={"changes": changes, "auditlog_entry": log_entry.pk},
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="audit.mirror.m2m_change")
def _m2m_changed(sender, instance: LogEntry, created, **kwargs):
    """A many-to-many change (a user's groups, a planned treatment's sites): django-auditlog
    writes its entry without sending ``post_log``, so the entry itself is the signal."""
    changes = instance.changes if isinstance(instance.changes, dict) else {}
    kinds = [isinstance(change, dict) and change.get("type") for change in changes.values()]
    if not created or not kinds or set(kinds) != {"m2m"}:
        return
    model = instance.content_type.model_class()
    parts = []
    for name, change in sorted(changes.items()):
        verb = "added" if change.get("operation") == "add" else "removed"
        parts.append(f"{name} ({verb} {', '.join(map(str, change.get('objects', [])))})")
    patient_id = audit_registry.patient_id_by_pk(model, instance.object_pk) if model else None
    audit_record(
        action=Action.ROLE_CHANGE if model is User else Action.UPDATE,
        actor=_actor(instance),
        patient_id=patient_id,
        object_type=model._meta.label_lower if model else "",
        object_id=instance.object_pk,
        summary=(
            f"Changed {model._meta.verbose_name if model else 'object'} “{instance.object_repr}”: "
            + "; ".join(parts)
        ),
        detail={"changes": changes, "auditlog_entry": instance.pk},
    )


def _actor(log_entry: LogEntry):
    """The signed-in user of the request being served; outside a request, whoever
    django-auditlog was told (``auditlog.context.set_actor``), if anyone."""
    request = current_request()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return log_entry.actor
