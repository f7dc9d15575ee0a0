"""WSGI entry point (gunicorn milia_clinic.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from milia_clinic.startup import check_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "milia_clinic.settings")
check_settings_or_exit()
application = get_wsgi_application()
