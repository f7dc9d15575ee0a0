"""Session safety for a health-record system: automatic logoff and no caching of pages."""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers

from treatments import api

logger = logging.getLogger(__name__)

# Record activity at most this often, so a page view does not always cost a session write.
ACTIVITY_RESOLUTION_SECONDS = 60


class SessionTimeoutMiddleware:
    """Log out after ``SESSION_IDLE_SECONDS`` without a request, and after ``SESSION_COOKIE_AGE``
    since login whatever the activity (ONC 170.315(d)(5) automatic logoff)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault("started_at", now)
            last_seen = session.get("last_seen", now)
            idle = now - last_seen > settings.SESSION_IDLE_SECONDS
            expired = now - started > settings.SESSION_COOKIE_AGE
            if idle or expired:
                logout(request)
                messages.info(
                    request,
                    "You were logged out after "
                    + (
                        f"{settings.SESSION_IDLE_SECONDS // 60} minutes without activity."
                        if idle
                        else "the longest time a session may last."
                    ),
                )
                return _logged_off_response(request)
            if now - last_seen >= ACTIVITY_RESOLUTION_SECONDS or "last_seen" not in session:
                session["last_seen"] = now
        return self.get_response(request)


def _logged_off_response(request) -> HttpResponse:
    """The JSON API answers 401 JSON, as it does to anyone not logged in; htmx is told where
    the login page is (a path: the browser goes there); a page redirects to the login."""
    if _is_api(request):
        return JsonResponse({"errors": {"": ["authentication required"]}}, status=401)
    if request.headers.get("HX-Request"):
        return HttpResponse(status=401, headers={"HX-Redirect": resolve_url(settings.LOGIN_URL)})
    return redirect_to_login(request.get_full_path())


def _is_api(request) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.func.__module__ == api.__name__


# PostgreSQL's lock_not_available (lock_timeout) and query_canceled (statement_timeout).
_BUSY_PGCODES = frozenset({"55P03", "57014"})
BUSY_MESSAGE = (
    "The clinic's database was too busy to finish this in time, so nothing was saved. "
    "Please try again in a moment."
)


class DatabaseBusyMiddleware:
    """A statement stopped by the database's lock or statement timeout (settings) answers a
    clear "try again" (503), not a server error; its transaction was rolled back whole."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _database_busy(exception):
            return None
        logger.warning("Database busy (%s): %s", exception, request.path)
        if request.headers.get("HX-Request"):
            # Shown above the page, which keeps whatever was typed.
            response = render(
                request, "treatments/_busy.html", {"message": BUSY_MESSAGE}, status=503
            )
            response["HX-Retarget"] = "#main"
            response["HX-Reswap"] = "afterbegin"
        else:
            response = render(request, "503.html", {"message": BUSY_MESSAGE}, status=503)
        response["Retry-After"] = "5"
        return response


def _database_busy(exception) -> bool:
    if not isinstance(exception, OperationalError):
        return False
    if getattr(exception.__cause__, "pgcode", None) in _BUSY_PGCODES:
        return True
    return "database is locked" in str(exception)  # SQLite's busy timeout


class NoStoreMiddleware:
    """Pages may hold patient data: no browser or proxy keeps a copy (HIPAA 164.312)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
