"""What every page's layout (base.html) shows: the clinic, the menu this user may use, and the
addresses of the links and files it draws.

The addresses are worked out once per process rather than by a ``{% url %}`` or ``{% static %}``
tag on each page (they change only with a deployment or a setting): about a fifth of what a
page that shows nothing else costs (issue 14, README "Performance").
"""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

# Shown to users who may open the admin, whatever their permissions.
STAFF = "staff"

# The main menu, in order: label, URL name, and what shows it (a permission; None: every
# signed-in user).
MENU = (
    ("Patients", "treatments:patient_list", "treatments.view_patient"),
    ("Today", "treatments:today", "treatments.view_session"),
    ("Sessions", "treatments:session_list", "treatments.view_session"),
    ("Rules", "treatments:rules_reference", None),
    ("Admin", "admin:index", STAFF),
    ("Audit", "audit:report", "audit.view_auditevent"),
    ("EHR feedback", "treatments:cds_feedback_report", "treatments.view_cdsfeedback"),
    ("Outcomes", "treatments:outcome_report", "treatments.view_outcome_report"),
)
# The layout's other links, and its files.
LINKS = {
    "home": "treatments:home",
    "keepalive": "treatments:session_keepalive",
    "password_change": "password_change",  # nosec B105 - a URL name, not a password
    "logout": "logout",
}
ASSETS = {
    "favicon": "img/favicon.svg",
    "bootstrap_css": "bootstrap/css/bootstrap.min.css",
    "app_css": "css/app.css",
    "body_map_css": "css/body_map.css",
    "bootstrap_js": "bootstrap/js/bootstrap.bundle.min.js",
    "htmx_js": "django_htmx/htmx-2.min.js",
    "app_js": "js/app.js",
}


def clinic(request):
    """The clinic's name and phone, shown in the page header and on printed sheets."""
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "session_idle_seconds": settings.SESSION_IDLE_SECONDS,
    }


def layout(request):
    """The menu (worked out only if the page draws it: a fragment does not), the links and the
    files of base.html."""
    return {
        "menu": lambda: menu_of(request.user),
        "links": _addresses(get_urlconf(), get_script_prefix()),
        "assets": _assets(),
    }


def menu_of(user) -> list[dict[str, str]]:
    """The menu items ``user`` may use, each a label and an address."""
    urls = _menu_addresses(get_urlconf(), get_script_prefix())
    return [
        {"label": label, "url": urls[name]}
        for label, name, shown_by in MENU
        if shown_by is None or (user.is_staff if shown_by == STAFF else user.has_perm(shown_by))
    ]


# The URL configuration and the script prefix are keys of the caches below: reverse() reads
# them itself, and a request or a test may change either.
@cache
def _menu_addresses(urlconf, prefix: str) -> dict[str, str]:
    return {name: reverse(name, urlconf=urlconf) for _label, name, _shown_by in MENU}


@cache
def _addresses(urlconf, prefix: str) -> dict[str, str]:
    return {key: reverse(name, urlconf=urlconf) for key, name in LINKS.items()}


@cache
def _assets() -> dict[str, str]:
    return {key: static(path) for key, path in ASSETS.items()}


def _forget_addresses(*, setting: str, **kwargs) -> None:
    """A test that changes the URLs or the static files' storage gets fresh addresses."""
    if setting in {"ROOT_URLCONF", "STATIC_URL", "STORAGES", "STATIC_ROOT", "FORCE_SCRIPT_NAME"}:
        for cached in (_menu_addresses, _addresses, _assets):
            cached.cache_clear()


setting_changed.connect(_forget_addresses)
