"""System checks of the audit's settings."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from audit.chain import public_keys


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
                id="audit.W001",
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
            Error(
                "MILIA_AUDIT_PUBLIC_KEY is not a comma-separated list of base64 Ed25519 keys.",
                hint="Use the line that manage.py audit_keygen printed.",
                id="audit.E001",
            )
        ]
    return []
