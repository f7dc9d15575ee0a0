"""The audit trail's hash chain: append an event, seal the chain, verify it, sign checkpoints.

An event is written in the same transaction as the change it records, so a change that is rolled
back leaves no event, and an event that cannot be written fails the request rather than letting
it go unrecorded. Writing it is one INSERT and takes no lock: requests never wait for each other
on the audit. The sealer (``audit_seal``, run by ``manage.py audit_seal``, and on demand before
the trail is verified) then chains the committed events, in batches, one sealer at a time: each
gets the next place (``seq``) and stores the SHA-256 of the previous event's hash and its own
content, so a changed, removed or reordered sealed event breaks the chain (``audit_verify``
names the first row that does not hold). Signed checkpoints (``audit_checkpoint``) fix the
sealed trail's length and head, which the chain alone cannot: ``audit_verify_all`` checks the
chain against them.

The chain's order is the order in which the sealer finds events committed, not the order of
their ids: an id is drawn from a sequence at INSERT, and transactions commit out of that order
(a clinician's 3-second sign commits after the page another user loaded meanwhile), or never
(rolled back: the id is a gap for ever). Sealing in id order would have to wait at every gap
until it knew whether a lower id could still arrive. Sealing what is committed, whatever its
id, never waits: an event committed after later ids were sealed takes the next place at the end.
"""

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, Min
from django.http import HttpRequest
from django.utils import timezone

from audit.context import client_address, current_request
from audit.models import AuditCheckpoint, AuditEvent

Action = AuditEvent.Action

# Any constant will do, as long as nothing else in the database takes the same advisory lock.
SEAL_LOCK_KEY = 0x6D696C6961  # "milia"
# Events sealed per transaction: one read and one UPDATE each.
SEAL_BATCH = 1000


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
    """Append one event to the trail (one INSERT, no lock) and return it, not sealed yet.

    The user is ``actor``, else the signed-in user of ``request`` (by default the request being
    served); ``username`` records a name without a user (the name tried in a failed login).
    ``obj`` names the object acted on (or ``object_type`` and ``object_id`` do).
    """
    if request is None:
        request = current_request()
    if actor is None and username is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    if username is None:
        username = actor.get_username() if actor is not None else ""
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, obj.pk
    event = AuditEvent(
        at=timezone.now(),
        actor=actor,
        actor_username=clip_text(username, 150),
        remote_addr=client_address(request),
        action=Action(action).value,
        patient_id=int(patient_id) if patient_id is not None else None,
        object_type=clip_text(object_type, 100),
        object_id=clip_text("" if object_id is None else str(object_id), 64),
        summary=clip_text(summary, 255),
        detail=_plain(detail or {}),
    )
    event.save(using=router.db_for_write(AuditEvent))
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


def clip_text(value, length: int) -> str:
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
        return {clip_text(key, 200): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return _plain(str(value))


# --- Sealing --------------------------------------------------------------------------------


class SealRaced(Exception):
    """Another sealer sealed some of the same events first (only where no lock keeps sealers
    apart: SQLite, in development)."""


def audit_seal(*, batch_size: int = SEAL_BATCH, using: str | None = None) -> int:
    """Seal every event committed when the call starts, oldest id first, in batches of
    ``batch_size`` (one transaction each); return how many were sealed.

    Sealers take turns on an advisory lock (PostgreSQL), so two of them (``audit_seal --loop``
    and a verification that seals first) never fork the chain; the unique ``seq`` and
    ``prev_hash`` refuse a fork anyway. No request ever takes that lock.
    """
    using = using or router.db_for_write(AuditEvent)
    last_id = AuditEvent.objects.using(using).order_by("-id").values_list("id", flat=True).first()
    sealed, races = 0, 0
    while last_id is not None:
        try:
            count = _seal_batch(using, last_id, batch_size)
        except SealRaced:
            races += 1
            if races > 3:
                raise
            continue
        sealed += count
        if count < batch_size:
            break
    return sealed


def _seal_batch(using: str, last_id: int, batch_size: int) -> int:
    connection = connections[using]
    events = AuditEvent.objects.using(using)
    try:
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            head = events.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash")
            seq, previous = head.first() or (0, AuditEvent.GENESIS_HASH)
            batch = list(
                events.filter(seq__isnull=True, id__lte=last_id).order_by("id")[:batch_size]
            )
            rows = []
            for event in batch:
                seq += 1
                event.seq, event.prev_hash = seq, previous
                event.hash = previous = event_hash(event)
                rows.append((event.pk, event.seq, event.prev_hash, event.hash))
            if rows:
                _store_seals(connection, rows)
    except IntegrityError as raced:
        raise SealRaced from raced
    return len(batch)


# One UPDATE for a batch: the table's name and one ``(%s, %s, %s, %s)`` per event go in, never a
# value. VALUES names its columns column1, column2, ... on both databases.
SEAL_SQL = (
    "UPDATE {table} AS e SET seq = v.column2, prev_hash = v.column3, hash = v.column4 "
    "FROM (VALUES {values}) AS v WHERE e.id = v.column1 AND e.seq IS NULL"
)


def _store_seals(connection, rows: list[tuple]) -> None:
    """Write a batch's places and hashes in one UPDATE, only onto events still unsealed."""
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    sql = SEAL_SQL.format(table=AuditEvent._meta.db_table, values=values)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        if cursor.rowcount != len(rows):
            raise SealRaced(f"{len(rows) - cursor.rowcount} events were sealed meanwhile")


def audit_unsealed(*, using: str | None = None) -> tuple[int, datetime | None]:
    """How many events wait to be sealed, and when the oldest of them was recorded."""
    found = AuditEvent.objects.using(using or router.db_for_read(AuditEvent))
    found = found.filter(seq__isnull=True).aggregate(count=Count("id"), oldest=Min("at"))
    return found["count"], found["oldest"]


# --- Verifying ------------------------------------------------------------------------------


def audit_verify(
    *, chunk_size: int = 2000, seen: Callable | None = None
) -> tuple[bool, int, AuditEvent | None]:
    """Walk the sealed chain in order: ``(ok, events checked, the first broken event or None)``.

    A row is broken when its previous hash is not the hash of the row before it (a row before
    it was removed or moved, or a changed row's hash recomputed), when its hash does not match
    its content (it was changed), or when it is not at the next place. The broken event
    carries the reason in ``problem``. Reads the rows in chunks, so memory stays flat whatever
    the length of the trail. ``seen`` is called with the position (from 1) and each event that
    holds. Events not sealed yet are not in the chain (``audit_unsealed`` counts them).

    The chain alone cannot tell events cut off its end, or a chain rewritten and re-hashed from
    some event on: ``audit_verify_all`` also checks it against the signed checkpoints.
    """
    expected, previous, checked, after = AuditEvent.GENESIS_HASH, None, 0, 0
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:chunk_size])
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
            if event.seq != checked + 1:
                event.problem = f"it is at place {event.seq} of the chain, not {checked + 1}"
                return False, checked, event
            expected, previous, checked = event.hash, event, checked + 1
            if seen is not None:
                seen(checked, event)
        if len(chunk) < chunk_size:
            return True, checked, None
        after = chunk[-1].seq


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
    # Events recorded but not in the chain yet: not an error (the sealer has not run since).
    unsealed: int = 0
    oldest_unsealed: datetime | None = None


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
    """The sealed chain (``audit_verify``), then every checkpoint against it; and how many
    events wait to be sealed (callers that want them checked too seal first: ``audit_seal``).

    A checkpoint fails when its signature does not verify with any of ``keys`` (by default
    the setting's), when it counted more events than the chain now has (events were removed
    from the end), or when the event at its count does not have the hash it signed (the chain
    was rewritten and re-hashed).
    """
    from cryptography.exceptions import InvalidSignature

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
    result.unsealed, result.oldest_unsealed = audit_unsealed()
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
    """Verify the sealed trail (against the earlier checkpoints too), then sign and store a
    checkpoint of its length and head. Refuses (``TrailNotIntact``) to sign a trail that does
    not verify. It covers the events sealed so far only (the job's role cannot seal)."""
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
