"""python manage.py audit_keygen --private-key PATH: the key pair that signs audit checkpoints."""

import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError

from audit.chain import public_key_id, public_key_text


class Command(BaseCommand):
    help = (
        "Make an Ed25519 key pair for signing audit checkpoints: write the private key to a new "
        "file (readable by its owner only) and print the public key for MILIA_AUDIT_PUBLIC_KEY."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--private-key",
            required=True,
            help="the file to create; it must not exist. Keep it away from the app's host.",
        )

    def handle(self, *args, private_key, **options):
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            descriptor = os.open(private_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{private_key} exists: a key is never overwritten.") from None
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        public = key.public_key()
        self.stdout.write(f"Private key written to {private_key} (key id {public_key_id(public)}).")
        self.stdout.write(f"MILIA_AUDIT_PUBLIC_KEY={public_key_text(public)}")
