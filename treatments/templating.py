"""The Jinja2 environment of the advice panel (issue 14, docs/hot-pages.md)."""

from django.utils.html import conditional_escape
from jinja2 import Environment


def environment(**options) -> Environment:
    """Jinja2 as configured in settings, printing values escaped the way Django escapes them
    (``&#x27;`` and ``&quot;``, where Jinja's own escaping writes ``&#39;`` and ``&#34;``), so a
    partial prints the same bytes whichever engine draws it."""
    options.pop("autoescape", None)  # always on
    return Environment(autoescape=True, finalize=conditional_escape, **options)
