from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only, hash-chained audit trail. Other apps tell it what they audit through
    ``audit.registry.audit_registry`` in their own ``ready()``; it imports nothing from them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "Audit"

    def ready(self):
        # Receivers (changes, logins, passwords) and system checks connect on import.
        from audit import accounts, checks, mirror, policy  # noqa: F401

        policy.register()
