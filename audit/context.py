"""The request being served, and the client's address, as the audit trail sees them."""

import ipaddress
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

# The request being served, so that signal receivers know who and from where
# (set by ``audit.middleware.AuditAccessMiddleware``).
_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def current_request() -> HttpRequest | None:
    """The request being served, if any."""
    return _current_request.get()


def serving(request: HttpRequest):
    """Make ``request`` the current one; hand the token back to ``done``."""
    return _current_request.set(request)


def done(token) -> None:
    _current_request.reset(token)


def client_address(request: HttpRequest | None) -> str:
    """The client's IP address, as the audit trail and django-axes (``AXES_CLIENT_IP_CALLABLE``)
    both see it.

    With ``TRUSTED_PROXY_COUNT`` = 0 (the default) it is REMOTE_ADDR. Behind N trusted proxies,
    each appending the address that connected to it to ``X-Forwarded-For``, the last N entries
    were written by our proxies and the N-th from the end is the client as the outermost proxy
    saw it; anything before it is whatever the client sent, and never trusted. A header shorter
    than N (a request that did not pass through every proxy) or an entry that is not an address
    falls back to REMOTE_ADDR.
    """
    if request is None:
        return ""
    candidates = [request.META.get("REMOTE_ADDR", "")]
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [
            entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [entry for entry in forwarded if entry]
        if len(forwarded) >= proxies:
            candidates.insert(0, forwarded[-proxies])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return ""
