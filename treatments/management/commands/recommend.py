"""python manage.py recommend FILE: evaluate a case (DESIGN §3 JSON) from a file or stdin."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from treatments import rules
from treatments.services import rules_thresholds

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = "Print the ranked treatment options for a case given as JSON (FILE, or - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the case JSON, or - to read standard input")

    def handle(self, *args, file, **options):
        text = self._read(file)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{file}: not valid JSON: {error}", returncode=EXIT_BAD_INPUT
            ) from None
        except (RecursionError, ValueError):
            # Nesting too deep, or an integer of thousands of digits, as the API refuses.
            raise CommandError(
                f"{file}: JSON nested too deeply or holding a number too long to read",
                returncode=EXIT_BAD_INPUT,
            ) from None
        try:
            output = rules.recommend(data, rules_thresholds())
        except rules.InvalidCase as invalid:
            for path, messages in invalid.errors.items():
                for message in messages:
                    self.stderr.write(f"{path}: {message}" if path else message)
            sys.exit(EXIT_BAD_INPUT)
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))

    def _read(self, file: str) -> str:
        if file == "-":
            return sys.stdin.read()
        try:
            with open(file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as error:
            raise CommandError(
                f"{file}: cannot be read: {error.strerror}", returncode=EXIT_BAD_INPUT
            ) from None
