from django.conf import settings


def clinic(request):
    """The clinic's name and phone, shown in the page header and on printed sheets."""
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "session_idle_seconds": settings.SESSION_IDLE_SECONDS,
    }
