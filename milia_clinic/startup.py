"""Turn a configuration mistake into one clear line instead of a deep traceback."""

import sys

from django.core.exceptions import ImproperlyConfigured

# 1, like any other failure to run; 2 is kept for bad input (`manage.py recommend`).
EXIT_CONFIGURATION_ERROR = 1


def check_settings_or_exit() -> None:
    from django.conf import settings

    try:
        settings.SECRET_KEY  # noqa: B018 - touching a setting imports the settings module
    except ImproperlyConfigured as error:
        sys.stderr.write(f"Milia Clinic cannot start: {error}\n")
        raise SystemExit(EXIT_CONFIGURATION_ERROR) from None
