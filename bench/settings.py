"""The production settings for `make bench`, plus the bare baseline view (bench/urls.py).

Everything the timed requests go through (DEBUG off, the middleware, whitenoise, the templates,
the database from DATABASE_URL) is exactly milia_clinic.settings, read from the same environment.
Two things differ, neither on a measured page's path:

* ROOT_URLCONF adds the bare view;
* the static files are collected with Django's manifest storage into a folder of the benchmark's
  own. Pages look their static URLs up in the same kind of manifest, but collecting skips
  whitenoise's gzip and Brotli compression of every file, which takes about a minute here and
  only matters when the files themselves are served (the benchmark never asks for them).
"""

import tempfile
from pathlib import Path

from milia_clinic.settings import *  # noqa: F403
from milia_clinic.settings import STORAGES

ROOT_URLCONF = "bench.urls"

STATIC_ROOT = Path(tempfile.gettempdir()) / "milia-bench-static"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
