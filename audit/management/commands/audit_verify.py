"""python manage.py audit_verify: seal what is committed, then check the audit trail's hash
chain, row by row, and against every signed checkpoint."""

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from audit.chain import audit_seal, audit_verify_all, public_keys

EXIT_BROKEN = 1


class Command(BaseCommand):
    help = (
        "Check that no audit event was changed or removed: exit 0 when the chain is intact and "
        "holds against every signed checkpoint, 1 naming what does not hold otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-key",
            default=None,
            help="base64 Ed25519 public key(s), comma-separated (default: MILIA_AUDIT_PUBLIC_KEY)",
        )
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="check what is sealed as it is (a role that may not seal, or a read-only copy)",
        )

    def handle(self, *args, public_key=None, no_seal=False, **options):
        if not no_seal:
            try:
                audit_seal()
            except DatabaseError as refused:  # a role that may only read, as monitoring's
                first_line = str(refused).strip().splitlines()[0]
                self.stderr.write(f"Could not seal first ({first_line}): checking what is sealed.")
        found = audit_verify_all(keys=public_keys(public_key))
        if found.broken is not None:
            broken = found.broken
            self.stderr.write(
                f"Audit trail BROKEN at event #{broken.pk} ({broken.at.isoformat()}, "
                f"{broken.action}): {broken.problem}."
            )
        for problem in found.problems:
            self.stderr.write(f"Audit trail BROKEN: {problem}.")
        if not found.ok:
            raise SystemExit(EXIT_BROKEN)
        self.stdout.write(f"Audit trail intact: {found.checked} events checked.")
        if found.unsealed:
            self.stdout.write(
                f"Not sealed yet, so not checked: {found.unsealed} events, the oldest recorded "
                f"{found.oldest_unsealed.isoformat()}."
            )
        latest = found.latest_checkpoint
        if latest is None:
            self.stdout.write("No signed checkpoint yet (see README: audit_checkpoint).")
        else:
            self.stdout.write(
                f"Signed checkpoints: {found.checkpoints} hold; the latest, #{latest.pk} at "
                f"{latest.at.isoformat()}, counts {latest.event_count} events."
            )
        if found.head is not None:
            # Kept somewhere else (a ticket, a log), this detects the removal of later events too.
            self.stdout.write(f"Latest event: #{found.head.pk}, hash {found.head.hash}")
