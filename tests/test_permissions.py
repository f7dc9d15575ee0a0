"""Object permissions (treatments.permissions): a dermatologist may change a draft, nobody a
signed consultation, not even a superuser; staff never."""

import pytest
from django.utils import timezone

from tests.factories import make_consultation, make_user
from treatments import roles
from treatments.permissions import can_change_consultation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "signed", "expected"),
    [
        ("dermatologist", False, True),
        ("dermatologist", True, False),
        ("staff", False, False),
        ("superuser", False, True),
        ("superuser", True, False),
    ],
)
def test_can_change_consultation_only_a_draft_and_only_for_the_charting_role(
    dermatologist, staff, who, signed, expected
):
    user = {
        "dermatologist": dermatologist,
        "staff": staff,
        "superuser": make_user("root", is_superuser=True, is_staff=True),
    }[who]
    fields = {"status": "signed", "signed_at": timezone.now()} if signed else {}
    consultation = make_consultation(clinician=dermatologist, **fields)

    assert can_change_consultation.test(user, consultation) is expected


def test_django_permission_answers_the_same_rule_for_a_role_user(dermatologist):
    draft = make_consultation(clinician=dermatologist)

    assert dermatologist.has_perm("treatments.change_draft_consultation", draft) is True
    assert (
        make_user("nurse", roles.CLINIC_STAFF).has_perm(
            "treatments.change_draft_consultation", draft
        )
        is False
    )
