"""python manage.py audit_checkpoint: sign the audit trail's length and head (run from cron).

Run it as the database role that may insert checkpoints (README "Audit"), with the private key
that only this job holds: ``--private-key PATH``, or ``MILIA_AUDIT_PRIVATE_KEY_FILE`` in the
job's own environment, never the app's.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from audit.chain import TrailNotIntact, audit_checkpoint, load_private_key

EXIT_BROKEN = 1


class Command(BaseCommand):
    help = (
        "Verify the audit trail and store a checkpoint of its length and head, signed with the "
        "Ed25519 private key. Exit 1 without signing when the trail does not verify."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--private-key",
            default=os.environ.get("MILIA_AUDIT_PRIVATE_KEY_FILE", ""),
            help="the PEM file from audit_keygen (default: $MILIA_AUDIT_PRIVATE_KEY_FILE)",
        )

    def handle(self, *args, private_key, **options):
        if not private_key:
            raise CommandError("Give --private-key or set MILIA_AUDIT_PRIVATE_KEY_FILE.")
        try:
            key = load_private_key(private_key)
        except (OSError, ValueError) as unreadable:
            raise CommandError(f"Cannot read the private key: {unreadable}") from None
        try:
            checkpoint = audit_checkpoint(private_key=key)
        except TrailNotIntact as refused:
            found = refused.args[0]
            if found.broken is not None:
                self.stderr.write(
                    f"Audit trail BROKEN at event #{found.broken.pk}: {found.broken.problem}."
                )
            for problem in found.problems:
                self.stderr.write(problem + ".")
            self.stderr.write("No checkpoint signed.")
            raise SystemExit(EXIT_BROKEN) from None
        # The same line in cron's mail or a remote log is a copy out of the database's reach.
        self.stdout.write(
            f"Checkpoint #{checkpoint.pk} at {checkpoint.at.isoformat()}: "
            f"{checkpoint.event_count} events, head #{checkpoint.head_id} {checkpoint.head_hash}, "
            f"key {checkpoint.key_id}, signature {checkpoint.signature}"
        )
