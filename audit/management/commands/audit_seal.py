"""python manage.py audit_seal: chain the audit events committed since the last run.

``--once`` (the default) seals what is committed and exits: from cron, or by hand. ``--loop``
keeps sealing every ``--interval`` seconds until stopped (SIGTERM or Ctrl-C end it between two
runs): as a service beside the app. Run it as the app's database role (README "Audit").
"""

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from audit.chain import SealRaced, audit_seal, audit_unsealed


class Command(BaseCommand):
    help = (
        "Seal the committed audit events into the hash chain, once (default) or every "
        "--interval seconds with --loop."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="seal once and exit (default)")
        mode.add_argument("--loop", action="store_true", help="seal until stopped")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between two runs with --loop (default 1)",
        )

    def handle(self, *args, loop=False, interval=1.0, verbosity=1, **options):
        if interval <= 0:
            raise CommandError("--interval must be a number of seconds above 0.")
        if not loop:
            self._seal(verbosity)
            return
        stopping = []
        previous = signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            while not stopping:
                try:
                    self._seal(verbosity if verbosity > 1 else 0)
                except (DatabaseError, SealRaced) as failed:
                    # A lock timeout or a database restart: what is left waits for the next run.
                    self.stderr.write(f"Sealing failed, tried again in {interval} s: {failed}")
                    close_old_connections()
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _seal(self, verbosity: int) -> None:
        sealed = audit_seal()
        if verbosity:
            waiting, _oldest = audit_unsealed()
            self.stdout.write(f"Sealed {sealed} audit events; {waiting} wait for the next run.")
