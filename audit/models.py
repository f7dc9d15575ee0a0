"""The audit trail's two tables: the hash-chained events and the signed checkpoints.

They were made by treatments' migrations 0005 and 0008 (with their append-only triggers) and
moved here by state only: ``db_table`` keeps the tables, their triggers and every stored chain.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditTrailIsAppendOnly(Exception):
    """An audit event, once written, is never changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    """Reads only: a bulk change or delete of the trail is refused before it reaches the database
    (triggers refuse it there too). Events are appended one at a time by ``audit_record`` and
    sealed into the chain by ``audit_seal``, with SQL of its own."""

    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def bulk_create(self, objs, *args, **kwargs):
        raise AuditTrailIsAppendOnly(
            "Audit events are appended one at a time: use audit.chain.audit_record."
        )

    def matching(self, *, patient_id=None, username="", action="", since=None, before=None):
        """The events of one patient, user (by name) and action in ``[since, before)``; any
        argument left empty does not filter."""
        events = self
        if patient_id is not None:
            events = events.filter(patient_id=patient_id)
        if username:
            events = events.filter(actor_username=username)
        if action:
            events = events.filter(action=action)
        if since is not None:
            events = events.filter(at__gte=since)
        if before is not None:
            events = events.filter(at__lt=before)
        return events


class AuditEvent(models.Model):
    """One entry of the append-only audit trail: who did what to which patient, when, from where.

    A request only inserts its event (``audit.chain.audit_record``: one INSERT, no lock); the
    sealer (``audit.chain.audit_seal``) later gives each committed event its place in the hash
    chain: ``seq`` (1, 2, 3, ...), ``prev_hash`` (the hash of the event at ``seq - 1``) and
    ``hash``, the SHA-256 of ``prev_hash`` followed by the canonical JSON of the event's own
    fields (``audit.chain.event_hash``). Changing, removing or reordering a sealed event breaks
    the chain from there on. An unsealed event has none of the three yet. The model, its manager,
    the admin and database triggers refuse any other change or deletion, sealed or not.
    """

    class Action(models.TextChoices):
        LOGIN = "login", "Login"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOGOUT = "logout", "Logout"
        VIEW_PATIENT = "view_patient", "Viewed a patient"
        VIEW_CONSULTATION = "view_consultation", "Viewed a consultation"
        SEARCH = "search", "Searched patients"
        PRINT = "print", "Printed"
        DOWNLOAD = "download", "Downloaded"
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"
        ROLE_CHANGE = "role_change", "Changed a user's roles"
        VIEW_LIST = "view_list", "Viewed a list of patients"
        VIEW_AUDIT = "view_audit", "Viewed the audit trail"
        PASSWORD_CHANGE = "password_change", "Changed a password"

    GENESIS_HASH = "0" * 64

    at = models.DateTimeField(default=timezone.now, editable=False)
    # The hash covers the user name, not this link, so deleting a user (which clears the link)
    # leaves the trail readable and intact.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    actor_username = models.CharField("user", max_length=150, blank=True, editable=False)
    remote_addr = models.CharField("IP address", max_length=45, blank=True, editable=False)
    action = models.CharField(max_length=20, choices=Action.choices, editable=False)
    # A plain number, not a foreign key: the trail outlives whatever happens to the patient row.
    patient_id = models.BigIntegerField("patient id", null=True, blank=True, editable=False)
    object_type = models.CharField(max_length=100, blank=True, editable=False)
    object_id = models.CharField(max_length=64, blank=True, editable=False)
    summary = models.CharField(max_length=255, blank=True, editable=False)
    detail = models.JSONField(default=dict, blank=True, editable=False)
    # Set once, by the sealer; NULL until then (see the class docstring). NULL, not "": many
    # events wait unsealed at once, and the unique constraints on seq and prev_hash skip NULLs.
    seq = models.BigIntegerField("chain position", null=True, unique=True, editable=False)
    prev_hash = models.CharField("previous hash", max_length=64, null=True, editable=False)  # noqa: DJ001
    hash = models.CharField(max_length=64, null=True, editable=False)  # noqa: DJ001

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "treatments_auditevent"
        ordering = ["id"]
        # Adding, changing and deleting are not things anyone may be granted.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["patient_id", "at"], name="auditevent_patient_at"),
            models.Index(fields=["actor_username", "at"], name="auditevent_actor_at"),
            models.Index(fields=["action", "at"], name="auditevent_action_at"),
            # The sealer's work list: small, whatever the length of the trail.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="auditevent_unsealed"
            ),
        ]
        constraints = [
            # One successor per event: two sealers that raced past the lock cannot fork the chain.
            models.UniqueConstraint(fields=["prev_hash"], name="auditevent_one_successor"),
            # Sealed whole or not at all: an event is inserted unsealed, and sealed in one go.
            models.CheckConstraint(
                condition=models.Q(seq__isnull=True, prev_hash__isnull=True, hash__isnull=True)
                | models.Q(seq__isnull=False, prev_hash__isnull=False, hash__isnull=False),
                name="auditevent_sealed_whole",
            ),
        ]

    def __str__(self):
        return f"Audit event #{self.pk}: {self.get_action_display()} by {self.actor_username}"

    def save(self, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed.")
        # Always an INSERT: a row built with the id of an existing one must not overwrite it.
        super().save(**(kwargs | {"force_insert": True}))

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")


class AuditCheckpointQuerySet(AuditEventQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Checkpoints are written one at a time.")


class AuditCheckpoint(models.Model):
    """A signed statement of the audit trail's length and head: "the first ``event_count``
    events end with ``head_hash``", signed with an Ed25519 key that the app does not hold.

    Written only by ``manage.py audit_checkpoint`` (run from cron as a database role that may
    insert here; the app's role may only read). Verification checks the chain against every
    checkpoint, so events removed from the end, or rewritten and re-hashed, no longer verify.
    """

    at = models.DateTimeField(default=timezone.now, editable=False)
    event_count = models.BigIntegerField(editable=False)
    head_id = models.BigIntegerField("head event id", null=True, editable=False)
    head_hash = models.CharField(max_length=64, editable=False)
    key_id = models.CharField("key id", max_length=16, editable=False)
    signature = models.CharField(max_length=128, editable=False)

    objects = AuditCheckpointQuerySet.as_manager()

    class Meta:
        db_table = "treatments_auditcheckpoint"
        ordering = ["id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"Audit checkpoint #{self.pk}: {self.event_count} events"

    def save(self, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit checkpoints cannot be changed.")
        super().save(**(kwargs | {"force_insert": True}))

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit checkpoints cannot be deleted.")
