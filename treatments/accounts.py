"""User accounts: a deactivated user's sessions end at once.

Sessions live in the database (``SESSION_ENGINE``). A deactivated user already fails
authentication, but the session rows would survive and a reactivation would bring the old
cookie back to life; so deactivating a user deletes them, by whatever path it is done (the admin,
the shell, a command).
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save
from django.dispatch import receiver


def user_sessions_end(user) -> int:
    """Delete every stored session of ``user``; returns how many there were."""
    user_key = str(user.pk)
    keys = [
        session.session_key
        for session in Session.objects.iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == user_key
    ]
    # Through the session engine, so that a cached copy (cached_db on Redis) goes too.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    return len(keys)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="treatments.accounts.inactive")
def _deactivated(sender, instance, **kwargs):
    if not instance.is_active:
        user_sessions_end(instance)
