"""Object permissions, in one place (django-rules): who may do what to which record.

A role's reach is a set of model permissions (treatments.roles); what depends on the record
itself, such as "a signed consultation is final", is a rule here, used by the views, the
templates (through ``chart.can_edit``) and the admin alike. Call the rule (``.test(user, obj)``)
rather than ``user.has_perm``: Django grants a superuser every permission, and a signed record
is final for a superuser too.
"""

import rules


@rules.predicate
def may_chart(user) -> bool:
    """The role that charts and plans (dermatologists): the model permission."""
    return user.has_perm("treatments.change_consultation")


@rules.predicate
def is_draft(user, consultation) -> bool:
    """A consultation not yet signed (signed means final)."""
    return consultation is not None and not consultation.is_signed


# A dermatologist may change a draft consultation and every part of it, never a signed one.
can_change_consultation = may_chart & is_draft
# Whatever the role, even a superuser's in the admin: nothing under a signed consultation
# changes (only marking a session done, which is the record of what took place).
is_open_for_change = is_draft

rules.add_perm("treatments.change_draft_consultation", can_change_consultation)
