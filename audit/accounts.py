"""Logins, failed logins (the name tried, never the password), logouts, and new passwords
however set, from Django's auth signals and the save that stores a password."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse

from audit.chain import audit_record, clip_text
from audit.context import current_request
from audit.models import AuditEvent

Action = AuditEvent.Action
User = get_user_model()


@receiver(user_logged_in, dispatch_uid="audit.accounts.login")
def _logged_in(sender, request, user, **kwargs):
    audit_record(action=Action.LOGIN, request=request, actor=user, obj=user, summary="Logged in")


@receiver(user_login_failed, dispatch_uid="audit.accounts.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Only the name that was tried: the password (which Django has already masked) never is.
    username = clip_text(credentials.get("username", ""), 150)
    audit_record(
        action=Action.LOGIN_FAILED,
        request=request,
        username=username,
        summary=f"Failed login as “{username}”",
        detail={"username": username},
    )


@receiver(user_logged_out, dispatch_uid="audit.accounts.logout")
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    # The logout page is a choice; anywhere else it is the automatic logoff of an idle or
    # too-long session (the project's session timeout logs the user out).
    automatic = request is not None and request.path != reverse("logout")
    audit_record(
        action=Action.LOGOUT,
        request=request,
        actor=user,
        obj=user,
        summary="Logged out automatically (session timed out)" if automatic else "Logged out",
        detail={"automatic": automatic},
    )


# --- Passwords ------------------------------------------------------------------------------


@receiver(post_save, sender=User, dispatch_uid="audit.accounts.password_change")
def _password_changed(sender, instance, created, **kwargs):
    """Any new password (the user's own change, an admin setting it, ``changepassword``, a
    reset link): ``set_password()`` keeps the new raw password in ``_password`` until the save
    that stores its hash, the same hook Django uses to tell the password validators. The
    password itself is never recorded (django-auditlog leaves the hash out too)."""
    if getattr(instance, "_password", None) is None:
        return
    request = current_request()
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    name = instance.get_username()
    if created:
        summary, by = f"Set the password of the new user “{name}”", "another user"
    elif actor is not None and actor.pk == instance.pk:
        summary, by = "Changed their own password", "self"
    else:
        summary, by = f"Set the password of “{name}”", "another user"
    if actor is None:
        by = "no signed-in user (a command or a reset link)"
    audit_record(
        action=Action.PASSWORD_CHANGE,
        request=request,
        actor=actor,
        username=None if actor is not None else "",
        obj=instance,
        summary=summary,
        detail={"user": name, "by": by},
    )
