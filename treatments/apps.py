from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "treatments"
    verbose_name = "Milia treatments"

    def ready(self):
        from treatments import accounts  # noqa: F401  (connects its receiver)
