"""Session safety for a health-record system: automatic logoff and no caching of pages."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

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
                if request.headers.get("HX-Request"):
                    return HttpResponse(status=401, headers={"HX-Redirect": settings.LOGIN_URL})
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= ACTIVITY_RESOLUTION_SECONDS or "last_seen" not in session:
                session["last_seen"] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages may hold patient data: no browser or proxy keeps a copy (HIPAA 164.312)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
