"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from milia_clinic.startup import check_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "milia_clinic.settings")
check_settings_or_exit()
application = get_asgi_application()
