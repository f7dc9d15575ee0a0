"""The audit trail (issues 6 and 11): who did what to which patient, when, and from where.

It answers ONC 170.315(d)(2) (auditable events), (d)(3) (audit reports, in ``audit_views``) and
HIPAA 164.312(b) (audit controls). Four sources feed one append-only, hash-chained table,
``AuditEvent``, through one function, ``audit_record``:

- Changes: django-auditlog computes the field-level before and after of every save and delete of
  the models registered below, and of their many-to-many fields (a user's groups are their
  roles). Each of its log entries is mirrored into the chain with the patient it concerns; a
  change of a user's groups, permissions or active/staff/superuser flags is a ``role_change``.
- Logins, failed logins (the name tried, never the password) and logouts: Django's auth signals.
- New passwords, however set: the save that stores them.
- Access: ``AuditAccessMiddleware`` records every response that shows a page holding patient
  data, whatever the method; every URL has a decision (``access_for``, ``NO_PATIENT_DATA``).

An event is written in the same transaction as the change it records, so a change that is rolled
back leaves no event, and an event that cannot be written fails the request rather than letting
it go unrecorded. ``audit_verify`` walks the chain and names the first row that does not hold;
``audit_verify_all`` also checks it against the signed checkpoints (``audit_checkpoint``).
The client's address, for the trail and for django-axes alike, is ``client_address``."""

import base64
import hashlib
import ipaddress
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import post_log
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.checks import Error as CheckError
from django.core.checks import Tags, Warning, register
from django.db import connections, router, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from treatments.models import (
    AuditEvent,
    Consultation,
    Handout,
    LesionSite,
    Patient,
    Plan,
    PlannedTreatment,
    Recommendation,
    Session,
    Treatment,
    TriedTreatment,
)

Action = AuditEvent.Action
User = get_user_model()

# Any constant will do, as long as nothing else in the database takes the same advisory lock.
AUDIT_LOCK_KEY = 0x6D696C6961  # "milia"

# A change of one of these fields of a user changes what the user may do.
ROLE_FIELDS = frozenset({"groups", "user_permissions", "is_active", "is_staff", "is_superuser"})

# --- What django-auditlog tracks ------------------------------------------------------------

# ``updated_at`` changes with every save and says nothing the event's own time does not.
for _model in (Patient, Consultation, LesionSite, TriedTreatment, Plan, Session, Treatment):
    auditlog.register(_model, exclude_fields=["updated_at"])
auditlog.register(Handout, exclude_fields=["updated_at"])
auditlog.register(PlannedTreatment, m2m_fields={"sites"})
# The advice itself is stored unchanged in the Recommendation row; the event says who asked.
auditlog.register(Recommendation, exclude_fields=["input_facts", "output"])
# Never the password hash; last_login changes at every login, which has its own event.
auditlog.register(
    User, exclude_fields=["password", "last_login"], m2m_fields={"groups", "user_permissions"}
)

# How each clinical model reaches its consultation, one foreign key at a time.
_TO_CONSULTATION: dict[type, tuple[str, ...]] = {
    Consultation: (),
    LesionSite: ("consultation",),
    TriedTreatment: ("site", "consultation"),
    Plan: ("consultation",),
    PlannedTreatment: ("plan", "consultation"),
    Session: ("planned_treatment", "plan", "consultation"),
    Recommendation: ("consultation",),
}

# The request being served, so that signal receivers know who and from where.
_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


# --- Appending ------------------------------------------------------------------------------


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor=None,
    username: str | None = None,
    patient_id: int | None = None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    summary: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain and return it.

    The user is ``actor``, else the signed-in user of ``request`` (by default the request being
    served); ``username`` records a name without a user (the name tried in a failed login).
    ``obj`` names the object acted on (or ``object_type`` and ``object_id`` do).

    The append reads the last hash and inserts in one transaction; on PostgreSQL it first takes
    an advisory lock, held until the enclosing transaction ends, so that appends from several
    app processes chain one after another instead of forking.
    """
    if request is None:
        request = _current_request.get()
    if actor is None and username is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    if username is None:
        username = actor.get_username() if actor is not None else ""
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, obj.pk
    event = AuditEvent(
        actor=actor,
        actor_username=_text(username, 150),
        remote_addr=client_address(request),
        action=Action(action).value,
        patient_id=int(patient_id) if patient_id is not None else None,
        object_type=_text(object_type, 100),
        object_id=_text("" if object_id is None else str(object_id), 64),
        summary=_text(summary, 255),
        detail=_plain(detail or {}),
    )
    using = router.db_for_write(AuditEvent)
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
        # Timed once the lock is held, so that the chain's order is also the order in time.
        event.at = timezone.now()
        last = AuditEvent.objects.using(using).order_by("-id").values_list("hash", flat=True)
        event.prev_hash = last.first() or AuditEvent.GENESIS_HASH
        event.hash = event_hash(event)
        event.save(using=using)
    return event


def event_hash(event: AuditEvent) -> str:
    """SHA-256 of the previous hash and the canonical JSON of the event's own fields.

    The id is left out (the chain itself fixes the order), and so is the link to the user row
    (the user name is in): deleting a user clears that link and nothing else.
    """
    fields = {
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_username,
        "remote_addr": event.remote_addr,
        "action": event.action,
        "patient_id": event.patient_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "detail": event.detail,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256((event.prev_hash + canonical).encode("ascii")).hexdigest()


def client_address(request: HttpRequest | None) -> str:
    """The client's IP address, as the audit trail and django-axes (``AXES_CLIENT_IP_CALLABLE``)
    both see it.

    With ``TRUSTED_PROXY_COUNT`` = 0 (the default) it is REMOTE_ADDR. Behind N trusted proxies,
    each appending the address that connected to it to ``X-Forwarded-For``, the last N entries
    were written by our proxies and the N-th from the end is the client as the outermost proxy
    saw it; anything before it is whatever the client sent, and never trusted. A header shorter
    than N (a request that did not pass through every proxy) or an entry that is not an address
    falls back to REMOTE_ADDR.
    """
    if request is None:
        return ""
    candidates = [request.META.get("REMOTE_ADDR", "")]
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [
            entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [entry for entry in forwarded if entry]
        if len(forwarded) >= proxies:
            candidates.insert(0, forwarded[-proxies])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return ""


def _text(value, length: int) -> str:
    # PostgreSQL refuses NUL in text; the hash must cover what the database gives back.
    return str(value).replace("\x00", "")[:length]


def _plain(value):
    """``value`` as JSON that reads back identically from SQLite and PostgreSQL (so its hash
    holds): text, whole numbers, booleans, null, lists, objects; anything else as text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_text(key, 200): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return _plain(str(value))


# --- Verifying ------------------------------------------------------------------------------


def audit_verify(
    *, chunk_size: int = 2000, seen: Callable | None = None
) -> tuple[bool, int, AuditEvent | None]:
    """Walk the chain in order: ``(ok, events checked, the first broken event or None)``.

    A row is broken when its hash does not match its content (it was changed), or when its
    previous hash is not the hash of the row before it (a row before it was removed, or a
    changed row's hash recomputed). The broken event carries the reason in ``problem``. Reads
    the rows in chunks, so memory stays flat whatever the length of the trail. ``seen`` is
    called with the position (from 1) and each event that holds.

    The chain alone cannot tell events cut off its end, or a chain rewritten and re-hashed from
    some event on: ``audit_verify_all`` also checks it against the signed checkpoints.
    """
    expected, previous, checked, after = AuditEvent.GENESIS_HASH, None, 0, 0
    while True:
        chunk = list(AuditEvent.objects.filter(id__gt=after).order_by("id")[:chunk_size])
        if not chunk:
            return True, checked, None
        for event in chunk:
            if event.prev_hash != expected:
                event.problem = (
                    f"it does not follow event #{previous.pk} (an event was removed or rewritten)"
                    if previous is not None
                    else "it does not start the chain (an event was removed or rewritten)"
                )
                return False, checked, event
            if event_hash(event) != event.hash:
                event.problem = "its hash does not match"
                return False, checked, event
            expected, previous, checked = event.hash, event, checked + 1
            if seen is not None:
                seen(checked, event)
        if len(chunk) < chunk_size:
            return True, checked, None
        after = chunk[-1].pk


# --- Signed checkpoints ---------------------------------------------------------------------
#
# A checkpoint states "the first N events of the trail end with this hash", signed with an
# Ed25519 key held only by the cron job that runs ``manage.py audit_checkpoint`` (never by the
# app). Whoever can write the table can append events and re-hash the chain, but cannot sign:
# events cut off the end, or events rewritten before a checkpoint, no longer match it.

CHECKPOINT_FORMAT = "milia-audit-checkpoint/1"


class TrailNotIntact(Exception):
    """The trail does not verify: no checkpoint is signed over it."""


@dataclass
class Verification:
    """What ``audit_verify_all`` found."""

    ok: bool
    checked: int
    broken: AuditEvent | None
    head: AuditEvent | None
    checkpoints: int = 0
    latest_checkpoint: object = None
    problems: list = field(default_factory=list)


def checkpoint_message(*, event_count: int, head_hash: str, at) -> bytes:
    """The bytes a checkpoint signs."""
    when = at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{CHECKPOINT_FORMAT}\n{event_count}\n{head_hash}\n{when}".encode("ascii")


def public_key_id(public_key) -> str:
    """A short name for a public key: the start of the SHA-256 of its raw bytes."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_text(public_key) -> str:
    """A public key as ``MILIA_AUDIT_PUBLIC_KEY`` holds it: base64 of its 32 raw bytes."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_keys(text: str | None = None) -> dict:
    """The checkpoint public keys by id, from ``text`` or the ``AUDIT_CHECKPOINT_PUBLIC_KEY``
    setting: base64 keys separated by commas (the current key, and older ones while their
    checkpoints are kept)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if text is None:
        text = getattr(settings, "AUDIT_CHECKPOINT_PUBLIC_KEY", "")
    keys = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(item, validate=True))
        keys[public_key_id(key)] = key
    return keys


def load_private_key(path):
    """The Ed25519 private key in a PEM file (``audit_keygen`` writes one)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with open(path, "rb") as file:
        key = serialization.load_pem_private_key(file.read(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def audit_verify_all(*, keys: dict | None = None, chunk_size: int = 2000) -> Verification:
    """The chain (``audit_verify``), then every checkpoint against it.

    A checkpoint fails when its signature does not verify with any of ``keys`` (by default
    the setting's), when it counted more events than the chain now has (events were removed
    from the end), or when the event at its count does not have the hash it signed (the chain
    was rewritten and re-hashed).
    """
    from cryptography.exceptions import InvalidSignature

    from treatments.models import AuditCheckpoint

    keys = public_keys() if keys is None else keys
    checkpoints = list(AuditCheckpoint.objects.order_by("id"))
    wanted = {checkpoint.event_count for checkpoint in checkpoints}
    at_count: dict[int, AuditEvent] = {}
    last: list[AuditEvent] = []

    def seen(position, event):
        if position in wanted:
            at_count[position] = event
        last[:] = [event]

    ok, checked, broken = audit_verify(chunk_size=chunk_size, seen=seen)
    result = Verification(ok, checked, broken, last[0] if last else None)
    for checkpoint in checkpoints:
        problem = _checkpoint_problem(checkpoint, keys, InvalidSignature)
        if problem is None and checkpoint.event_count > checked:
            if broken is not None:
                continue  # not reached: the chain's own break is the finding
            problem = (
                f"it counted {checkpoint.event_count} events and the trail has {checked}: "
                "events were removed from the end"
            )
        if problem is None and checkpoint.event_count > 0:
            event = at_count[checkpoint.event_count]
            if event.hash != checkpoint.head_hash:
                problem = (
                    f"event #{event.pk}, number {checkpoint.event_count} of the trail, does not "
                    "have the hash it signed: the trail was rewritten"
                )
        empty = checkpoint.event_count == 0
        if problem is None and empty and checkpoint.head_hash != AuditEvent.GENESIS_HASH:
            problem = "it signed an empty trail with a head that is not the chain's start"
        if problem is None:
            result.checkpoints += 1
            result.latest_checkpoint = checkpoint
        else:
            result.problems.append(
                f"Checkpoint #{checkpoint.pk} ({checkpoint.at:%Y-%m-%d %H:%M}): {problem}"
            )
    result.ok = ok and not result.problems
    return result


def _checkpoint_problem(checkpoint, keys: dict, invalid) -> str | None:
    key = keys.get(checkpoint.key_id)
    if key is None:
        return (
            f"it was signed with key {checkpoint.key_id}, which is not among the public keys "
            "(MILIA_AUDIT_PUBLIC_KEY): it cannot be checked"
        )
    message = checkpoint_message(
        event_count=checkpoint.event_count, head_hash=checkpoint.head_hash, at=checkpoint.at
    )
    try:
        key.verify(base64.b64decode(checkpoint.signature), message)
    except (invalid, ValueError):
        return "its signature does not verify: it was forged or altered"
    return None


def audit_checkpoint(*, private_key):
    """Verify the trail (against the earlier checkpoints too), then sign and store a checkpoint
    of its length and head. Refuses (``TrailNotIntact``) to sign a trail that does not verify."""
    from treatments.models import AuditCheckpoint

    public_key = private_key.public_key()
    keys = public_keys() | {public_key_id(public_key): public_key}
    found = audit_verify_all(keys=keys)
    if not found.ok:
        raise TrailNotIntact(found)
    head_hash = found.head.hash if found.head is not None else AuditEvent.GENESIS_HASH
    checkpoint = AuditCheckpoint(
        at=timezone.now(),
        event_count=found.checked,
        head_id=found.head.pk if found.head is not None else None,
        head_hash=head_hash,
        key_id=public_key_id(public_key),
    )
    message = checkpoint_message(
        event_count=checkpoint.event_count, head_hash=head_hash, at=checkpoint.at
    )
    checkpoint.signature = base64.b64encode(private_key.sign(message)).decode("ascii")
    checkpoint.save()
    return checkpoint


@register(Tags.security, deploy=True)
def check_trusted_proxies(app_configs, **kwargs):
    """Behind the HTTPS proxy with no trusted proxy, every client has the proxy's address: one
    client's failed logins would lock the account for every client."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and settings.TRUSTED_PROXY_COUNT < 1:
        return [
            Warning(
                "The app is behind an HTTPS proxy but DJANGO_TRUSTED_PROXY_COUNT is 0: the audit "
                "trail and the login throttling see the proxy's address for every client.",
                hint="Set DJANGO_TRUSTED_PROXY_COUNT to the number of proxies that append to "
                "X-Forwarded-For (README: Deploying).",
                id="treatments.W001",
            )
        ]
    return []


@register(Tags.security)
def check_checkpoint_keys(app_configs, **kwargs):
    """A public key that does not parse would leave every checkpoint unverifiable."""
    try:
        public_keys()
    except ValueError:
        return [
            CheckError(
                "MILIA_AUDIT_PUBLIC_KEY is not a comma-separated list of base64 Ed25519 keys.",
                hint="Use the line that manage.py audit_keygen printed.",
                id="treatments.E001",
            )
        ]
    return []


# --- Changes, from django-auditlog ----------------------------------------------------------


def patient_id_of(instance) -> int | None:
    """The id of the patient a clinical record belongs to (None for anything else).

    Follows the foreign keys already loaded on the instance; where one is not, finishes the path
    in one query.
    """
    if isinstance(instance, Patient):
        return instance.pk
    path = _TO_CONSULTATION.get(type(instance))
    if path is None:
        return None
    current = instance
    for depth, name in enumerate(path):
        fk = type(current)._meta.get_field(name)
        if not fk.is_cached(current):
            rest = "__".join((*path[depth + 1 :], "patient_id"))
            return (
                fk.related_model._base_manager.filter(pk=getattr(current, fk.attname))
                .values_list(rest, flat=True)
                .first()
            )
        current = getattr(current, name)
    return current.patient_id


_VERB = {
    LogEntry.Action.CREATE: (Action.CREATE, "Created"),
    LogEntry.Action.UPDATE: (Action.UPDATE, "Changed"),
    LogEntry.Action.DELETE: (Action.DELETE, "Deleted"),
}


@receiver(post_log, dispatch_uid="treatments.audit.model_change")
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
        patient_id=patient_id_of(instance),
        obj=instance,
        summary=summary,
        detail={"changes": changes, "auditlog_entry": log_entry.pk},
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="treatments.audit.m2m_change")
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
    patient_id = None
    if model is PlannedTreatment:
        patient_id = (
            PlannedTreatment._base_manager.filter(pk=instance.object_pk)
            .values_list("plan__consultation__patient_id", flat=True)
            .first()
        )
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
    request = _current_request.get()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return log_entry.actor


# --- Logins and logouts ---------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="treatments.audit.login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(action=Action.LOGIN, request=request, actor=user, obj=user, summary="Logged in")


@receiver(user_login_failed, dispatch_uid="treatments.audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Only the name that was tried: the password (which Django has already masked) never is.
    username = _text(credentials.get("username", ""), 150)
    audit_record(
        action=Action.LOGIN_FAILED,
        request=request,
        username=username,
        summary=f"Failed login as “{username}”",
        detail={"username": username},
    )


@receiver(user_logged_out, dispatch_uid="treatments.audit.logout")
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    # The logout page is a choice; anywhere else it is the automatic logoff of an idle or
    # too-long session (treatments.middleware.SessionTimeoutMiddleware).
    automatic = request is not None and request.path != reverse("logout")
    audit_record(
        action=Action.LOGOUT,
        request=request,
        actor=user,
        obj=user,
        summary="Logged out automatically (session timed out)" if automatic else "Logged out",
        detail={"automatic": automatic},
    )


# --- Passwords ------------------------------------------------------------------------------


@receiver(post_save, sender=User, dispatch_uid="treatments.audit.password_change")
def _password_changed(sender, instance, created, **kwargs):
    """Any new password (the user's own change, an admin setting it, ``changepassword``, a
    reset link): ``set_password()`` keeps the new raw password in ``_password`` until the save
    that stores its hash, the same hook Django uses to tell the password validators. The
    password itself is never recorded (django-auditlog leaves the hash out too)."""
    if getattr(instance, "_password", None) is None:
        return
    request = _current_request.get()
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    name = instance.get_username()
    if created:
        summary, by = f"Set the password of the new user “{name}”", "another user"
    elif actor is not None and actor.pk == instance.pk:
        summary, by = "Changed their own password", "self"
    else:
        summary, by = f"Set the password of “{name}”", "another user"
    if actor is None:
        by = "no signed-in user (a command or a reset link)"
    audit_record(
        action=Action.PASSWORD_CHANGE,
        request=request,
        actor=actor,
        username=None if actor is not None else "",
        obj=instance,
        summary=summary,
        detail={"user": name, "by": by},
    )


# --- Access, by URL name --------------------------------------------------------------------
#
# Every URL of the URLconf has a decision: it shows patient data, and then ``access_for`` gives
# what a response to it records, or it does not (``NO_PATIENT_DATA``, with the reason).
# tests/test_audit_access.py walks the whole URLconf, the Django admin's included, with every
# method, and fails on a URL without a decision, on a response that shows a patient and wrote no
# event, and on a URL said to show none whose page names a patient.

# A page shows what it is about when it answers 2xx, or re-renders a form or chart with its
# errors (400) or with the newer version it refused to overwrite (409).
SHOWN_ERRORS = frozenset({400, 409})


def note_patients(request: HttpRequest, patient_ids) -> None:
    """A page that lists patients says which it showed; its access event names them."""
    request.audit_patients = sorted({int(pk) for pk in patient_ids if pk is not None})


def _no_patient(request, kwargs) -> list[int | None]:
    return [None]


def _noted(request, kwargs, response) -> list[int]:
    return getattr(request, "audit_patients", [])


def _patient_arg(name: str):
    def patients(request, kwargs) -> list[int | None]:
        value = str(kwargs.get(name, ""))
        return [int(value)] if value.isdigit() else [None]

    return patients


def _patient_of(model, name: str):
    """The patient of the ``model`` row whose id is the URL argument ``name``."""

    def patients(request, kwargs) -> list[int | None]:
        value = str(kwargs.get(name, ""))
        row = model._base_manager.filter(pk=int(value)).first() if value.isdigit() else None
        return [patient_id_of(row) if row is not None else None]

    return patients


def _patient_of_planned(request, kwargs) -> list[int | None]:
    found = PlannedTreatment.objects.filter(pk=kwargs["planned_pk"]).values_list(
        "plan__consultation__patient_id", flat=True
    )
    return list(found) or [None]


def _sessions_today():
    from treatments import aftercare

    sessions = aftercare.sessions_on(timezone.localdate())
    ids = (
        sessions.order_by()
        .values_list("planned_treatment__plan__consultation__patient_id", flat=True)
        .distinct()
    )
    return sorted(ids)


def _patients_printed_today(request, kwargs) -> list[int | None]:
    return _sessions_today() or [None]


def _listed_today(request, kwargs, response) -> list[int]:
    return _sessions_today()


def _no_detail(request) -> dict:
    return {}


def _search_detail(request) -> dict:
    return {"query": request.POST.get("q", "").strip()[:200], "page": request.POST.get("page", "")}


def _search_summary(request) -> str:
    query = request.POST.get("q", "").strip()
    return f"Searched the patients for “{query}”" if query else "Listed the patients"


def _page_detail(request) -> dict:
    return {"page": request.GET.get("page", "")}


def _sheet_detail(request) -> dict:
    return {"session": request.GET.get("session", ""), "handout": request.GET.get("handout") == "1"}


def _today_detail(request) -> dict:
    return {"day": timezone.localdate().isoformat(), "handout": request.GET.get("handout") == "1"}


def _report_detail(request) -> dict:
    # The report's URL carries only opaque ids and dates (see audit_views).
    return {"filters": request.GET.dict()}


def _report_patient(request, kwargs) -> list[int | None]:
    value = request.GET.get("patient", "")
    return [int(value)] if value.isdigit() else [None]


@dataclass(frozen=True)
class Access:
    """A page that shows, searches, prints or downloads patient data, and how to record it.

    ``patients`` gives the patient(s) the page is about: one event each. ``listed`` instead
    gives the patients a list showed: one event, naming them in ``detail["patients"]``.
    ``before`` finds the patients before the view runs (a view that deletes the row they are
    found from).
    """

    action: str
    summary: str | Callable
    object_type: str = ""
    object_arg: str = ""
    patients: Callable = _no_patient
    listed: Callable | None = None
    detail: Callable = _no_detail
    before: bool = False


def _consultation_page(summary: str, *, arg: str = "pk", model=Consultation) -> Access:
    return Access(
        Action.VIEW_CONSULTATION,
        summary,
        object_type=model._meta.label_lower,
        object_arg=arg,
        patients=_patient_of(model, arg),
        before=model is LesionSite,
    )


_PATIENT_LIST = Access(Action.VIEW_LIST, "Listed the patients", listed=_noted, detail=_page_detail)
_PATIENT_SEARCH = Access(Action.SEARCH, _search_summary, listed=_noted, detail=_search_detail)
_TODAY_LIST = Access(
    Action.VIEW_LIST, "Opened today's sessions", listed=_listed_today, detail=_today_detail
)
_TODAY_PRINT = Access(
    Action.PRINT,
    "Opened today's aftercare sheets for printing",
    patients=_patients_printed_today,
    detail=_today_detail,
)

# View name (namespace:url_name) → what a response showing it means; a function of the request
# where that depends on what was asked.
ACCESS_EVENTS: dict[str, Access | Callable] = {
    "treatments:home": Access(Action.VIEW_LIST, "Opened the home page", listed=_noted),
    "treatments:patient_list": lambda request: (
        _PATIENT_SEARCH if request.method == "POST" else _PATIENT_LIST
    ),
    "treatments:patient_detail": Access(
        Action.VIEW_PATIENT,
        "Opened the patient's record",
        object_type="treatments.patient",
        object_arg="pk",
        patients=_patient_arg("pk"),
    ),
    "treatments:patient_update": Access(
        Action.VIEW_PATIENT,
        "Opened the patient's record to edit",
        object_type="treatments.patient",
        object_arg="pk",
        patients=_patient_arg("pk"),
    ),
    "treatments:consultation_create": Access(
        Action.VIEW_PATIENT,
        "Opened a new consultation for the patient",
        object_type="treatments.patient",
        object_arg="patient_pk",
        patients=_patient_arg("patient_pk"),
    ),
    "treatments:consultation_detail": _consultation_page("Opened a consultation"),
    "treatments:consultation_update": _consultation_page("Was shown a consultation it changed"),
    "treatments:consultation_recommendations": _consultation_page(
        "Read the options of a consultation"
    ),
    "treatments:consultation_sign": _consultation_page("Was shown a consultation it signed"),
    "treatments:site_create": _consultation_page("Opened a new site of a consultation"),
    "treatments:plan_edit": _consultation_page("Opened the plan of a consultation"),
    "treatments:site_update": _consultation_page(
        "Opened a lesion site to edit", arg="site_pk", model=LesionSite
    ),
    "treatments:site_delete": _consultation_page(
        "Was shown a consultation after removing a site", arg="site_pk", model=LesionSite
    ),
    "treatments:session_list": Access(
        Action.VIEW_LIST, "Listed the upcoming sessions", listed=_noted, detail=_page_detail
    ),
    "treatments:today": lambda request: (
        _TODAY_PRINT if request.GET.get("print") == "1" else _TODAY_LIST
    ),
    "treatments:today_pdf": Access(
        Action.DOWNLOAD,
        "Downloaded today's aftercare sheets (PDF)",
        patients=_patients_printed_today,
        detail=_today_detail,
    ),
    "treatments:aftercare_sheet": Access(
        Action.PRINT,
        "Opened the aftercare sheet for printing",
        object_type="treatments.plannedtreatment",
        object_arg="planned_pk",
        patients=_patient_of_planned,
        detail=_sheet_detail,
    ),
    "treatments:fhir_export": Access(
        Action.DOWNLOAD,
        "Exported the consultation as FHIR (Bundle)",
        object_type="treatments.consultation",
        object_arg="pk",
        patients=_patient_of(Consultation, "pk"),
    ),
    "treatments:aftercare_pdf": Access(
        Action.DOWNLOAD,
        "Downloaded the aftercare sheet (PDF)",
        object_type="treatments.plannedtreatment",
        object_arg="planned_pk",
        patients=_patient_of_planned,
        detail=_sheet_detail,
    ),
    "treatments:handout": Access(
        Action.PRINT,
        "Opened a handout for printing",
        object_type="treatments.handout",
        object_arg="slug",
    ),
    "treatments:handout_pdf": Access(
        Action.DOWNLOAD,
        "Downloaded a handout (PDF)",
        object_type="treatments.handout",
        object_arg="slug",
    ),
    # The report names patients (record numbers, and the names in change summaries).
    "treatments:audit_report": Access(
        Action.VIEW_AUDIT,
        "Opened the audit report",
        object_type="treatments.auditevent",
        patients=_report_patient,
        detail=_report_detail,
    ),
    "treatments:audit_export": Access(
        Action.DOWNLOAD,
        "Exported the audit report (CSV)",
        object_type="treatments.auditevent",
        patients=_report_patient,
        detail=_report_detail,
    ),
    "treatments:audit_verify": Access(
        Action.VIEW_AUDIT, "Checked the audit trail", object_type="treatments.auditevent"
    ),
    # The admin's start page lists the admin's own recent changes, by the records' names.
    "admin:index": Access(Action.VIEW_LIST, "Opened the admin's start page"),
}

# View name → why it shows no patient data.
NO_PATIENT_DATA: dict[str, str] = {
    "login": "the login form",
    "logout": "logs out and redirects",
    "treatments:patient_create": "an empty form; the registration is recorded as a change",
    "treatments:session_done": "redirects; marking the session done is recorded as a change",
    "treatments:session_keepalive": "answers 204",
    "treatments:api_recommendations": "evaluates the case the caller sends; reads no record",
    "treatments:rules_reference": "the rule table, its sources and thresholds",
    "treatments:cds_discovery": "the list of CDS Hooks services",
    "treatments:cds_service": "answers the case the EHR sends; reads no stored record",
    "treatments:cds_feedback": "stores the EHR's feedback on cards, recorded as a change",
    "treatments:cds_feedback_report": "counts and override reasons per rule; names no patient",
    "treatments:api_rules": "the rule table, its sources and thresholds, as JSON",
    "admin:login": "the login form",
    "admin:logout": "logs out",
    "admin:jsi18n": "the admin's translations",
    "admin:app_list": "the list of an app's models",
    "admin:view_on_site": "redirects to the record's page, which records the access",
    "admin:autocomplete": "refused: no admin field uses autocomplete",
}
NO_PATIENT_DATA.update(
    (name, "a password form or its confirmation; a new password is recorded")
    for name in (
        "password_change",
        "password_change_done",
        "admin:password_change",
        "admin:password_change_done",
        "admin:auth_user_password_change",
    )
)

# Admin pages are decided by the model they show: every view of a clinical record or of the
# audit trail is recorded, except the empty add form.
PATIENT_MODELS = (
    Patient,
    Consultation,
    LesionSite,
    TriedTreatment,
    Plan,
    PlannedTreatment,
    Session,
    Recommendation,
)
AUDIT_MODELS = (AuditEvent, LogEntry)
NOT_PATIENT_MODELS = (
    "auth.user",
    "auth.group",
    "treatments.treatment",
    "treatments.handout",
    # EHR integration: the EHRs' keys, and the cards and feedback, which name rules, not patients
    "treatments.ehrclient",
    "treatments.cdscard",
    "treatments.cdsfeedback",
    # django-axes: login attempts, by user name and address
    "axes.accessattempt",
    "axes.accessfailurelog",
    "axes.accesslog",
)
ADMIN_VIEWS = {
    "changelist": "Listed the {}s in the admin",
    "change": "Opened a {} in the admin",
    "history": "Opened the history of a {} in the admin",
    "delete": "Opened the deletion of a {} in the admin",
}


def _admin_object_patients(model):
    def patients(request, kwargs) -> list[int | None]:
        value = str(kwargs.get("object_id", ""))
        row = model._base_manager.filter(pk=int(value)).first() if value.isdigit() else None
        if isinstance(row, AuditEvent):
            return [row.patient_id]
        if isinstance(row, LogEntry):
            target = row.content_type.model_class()
            row = target._base_manager.filter(pk=row.object_pk).first() if target else None
        return [patient_id_of(row) if row is not None else None]

    return patients


def _admin_listed(request, kwargs, response) -> list[int]:
    changelist = (getattr(response, "context_data", None) or {}).get("cl")
    rows = list(changelist.result_list) if changelist is not None else []
    if not rows:
        return []
    model = type(rows[0])
    if model is AuditEvent:
        return [row.patient_id for row in rows if row.patient_id is not None]
    if model is Patient:
        return [row.pk for row in rows]
    path = _TO_CONSULTATION.get(model)
    if path is None:
        return []
    lookup = "__".join((*path, "patient_id"))
    return list(
        model._base_manager.filter(pk__in=[row.pk for row in rows]).values_list(lookup, flat=True)
    )


def _admin_detail(request) -> dict:
    # The admin's list filters travel in its URL; the page is about what they selected.
    return {"query": request.GET.dict()}


def _admin_access(match) -> Access | None:
    model_admin = getattr(match.func, "model_admin", None)
    if model_admin is None:
        return None
    model = model_admin.model
    if model not in PATIENT_MODELS + AUDIT_MODELS:
        return None
    view = match.url_name.removeprefix(f"{model._meta.app_label}_{model._meta.model_name}_")
    if view not in ADMIN_VIEWS:
        return None
    summary = ADMIN_VIEWS[view].format(model._meta.verbose_name)
    if model in AUDIT_MODELS:
        action = Action.VIEW_AUDIT
    elif view == "changelist":
        action = Action.VIEW_LIST
    else:
        action = Action.VIEW_PATIENT if model is Patient else Action.VIEW_CONSULTATION
    if view == "changelist":
        return Access(action, summary, object_type=model._meta.label_lower,
                      listed=_admin_listed, detail=_admin_detail)  # fmt: skip
    return Access(
        action,
        summary,
        object_type=model._meta.label_lower,
        object_arg="object_id",
        patients=_admin_object_patients(model),
    )


def access_for(request: HttpRequest) -> Access | None:
    """What a response to this request that shows its page must record (None: nothing)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    access = ACCESS_EVENTS.get(match.view_name)
    if access is None and match.namespace == "admin":
        access = _admin_access(match)
    if access is not None and not isinstance(access, Access):
        access = access(request)
    return access


def record_access(request: HttpRequest, response=None, patients=None) -> list[AuditEvent]:
    """The events a response to this request means (most often none): one per patient whose
    record it showed, or one naming the patients a list showed. Any method: HEAD and POST
    show a record as GET does (the other methods are refused before any view runs)."""
    access = access_for(request)
    if access is None:
        return []
    match = request.resolver_match
    object_id = str(match.kwargs.get(access.object_arg, "")) if access.object_arg else ""
    detail = access.detail(request)
    summary = access.summary(request) if callable(access.summary) else access.summary
    if access.listed is not None:
        listed = access.listed(request, match.kwargs, response)
        detail = detail | {"patients": sorted({int(pk) for pk in listed if pk is not None})}
        patients = [None]
    elif patients is None:
        patients = access.patients(request, match.kwargs)
    return [
        audit_record(
            action=access.action,
            request=request,
            patient_id=patient_id,
            object_type=access.object_type,
            object_id=object_id,
            summary=summary,
            detail=detail,
        )
        for patient_id in patients
    ]


class AuditAccessMiddleware:
    """Records access to patient data after each response that shows it (``access_for``), and
    makes the request known to the receivers that record changes during it.

    If the event cannot be written the request fails: data is not shown unrecorded.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
            if 200 <= response.status_code < 300 or response.status_code in SHOWN_ERRORS:
                record_access(request, response, getattr(request, "audit_patients_before", None))
            return response
        finally:
            _current_request.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        access = access_for(request)
        if access is not None and access.before and access.listed is None:
            request.audit_patients_before = access.patients(request, view_kwargs)
