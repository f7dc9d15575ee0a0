"""Turn a configuration mistake into one clear line instead of a deep traceback."""

import sys

from django.core.exceptions import ImproperlyConfigured


def check_settings_or_exit() -> None:
    from django.conf import settings

    try:
        settings.SECRET_KEY  # noqa: B018 - touching a setting imports the settings module
    except ImproperlyConfigured as error:
        sys.stderr.write(f"Milia Clinic cannot start: {error}\n")
        raise SystemExit(2) from None
