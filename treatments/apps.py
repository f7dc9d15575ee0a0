from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TreatmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "treatments"
    verbose_name = "Milia treatments"

    def ready(self):
        from treatments import (
            accounts,  # noqa: F401  (connects its receiver)
            audit_policy,
        )
        from treatments.reference_data import sync_reference_data

        post_migrate.connect(sync_reference_data, sender=self)
        audit_policy.register()
