"""A contraindication cannot slip into a plan (DESIGN §3a, issue 10).

Cryotherapy in the eye area can never be planned, by any path: the plan form, the service, the
admin. Any other contraindicated choice needs a reason of substance and an explicit acceptance,
and is then flagged wherever the plan shows: the plan, the signed record, Today and Sessions.
"""

import pytest
from django.utils import timezone

from tests.factories import make_consultation, make_patient, make_plan, make_site, make_user
from tests.test_views import plan_post
from treatments import services
from treatments.models import Consultation, LesionSite, Plan, PlannedTreatment, Session, Treatment
from treatments.planning import CONTRAINDICATION_REASON_MIN_CHARS
from treatments.services import PlanChoice, PlanNeedsReview

pytestmark = pytest.mark.django_db

GOOD_REASON = "Only the inflamed site is bothering her; agreed after discussion."


def _eyelid_case(clinician):
    consultation = make_consultation(clinician=clinician)
    eyelid = make_site(consultation, location="eyelid", side="left", count=3)
    return consultation, eyelid


def _inflamed_cheek_case(clinician):
    consultation = make_consultation(clinician=clinician)
    cheek = make_site(consultation, location="cheek", side="left", active_inflammation=True)
    return consultation, cheek


def _choice(treatment, site, **fields):
    return PlanChoice(
        treatment=treatment,
        site_ids=(site.pk,),
        sessions=1,
        interval_weeks=None,
        starts_on=timezone.localdate(),
        **fields,
    )


def test_plan_save_refuses_cryotherapy_at_an_eyelid_whoever_calls(dermatologist):
    consultation, eyelid = _eyelid_case(dermatologist)
    choice = _choice(
        "cryotherapy", eyelid, override_reason=GOOD_REASON, accept_contraindication=True
    )

    with pytest.raises(PlanNeedsReview) as refused:
        services.plan_save(
            consultation=consultation, user=dermatologist, choices=[choice], version=None
        )

    assert [field for field, _ in refused.value.problems["cryotherapy"]] == ["sites"]
    assert Plan.objects.count() == 0


@pytest.mark.parametrize(
    ("reason", "accepted", "fields"),
    [
        ("", True, ["override_reason"]),
        ("x", True, ["override_reason"]),
        ("y" * (CONTRAINDICATION_REASON_MIN_CHARS - 1), True, ["override_reason"]),
        (GOOD_REASON, False, ["accept_contraindication"]),
        ("x", False, ["override_reason", "accept_contraindication"]),
    ],
)
def test_plan_save_contraindicated_choice_needs_a_real_reason_and_acceptance(
    dermatologist, reason, accepted, fields
):
    consultation, cheek = _inflamed_cheek_case(dermatologist)
    choice = _choice("extraction", cheek, override_reason=reason, accept_contraindication=accepted)

    with pytest.raises(PlanNeedsReview) as refused:
        services.plan_save(
            consultation=consultation, user=dermatologist, choices=[choice], version=None
        )

    assert [field for field, _ in refused.value.problems["extraction"]] == fields


def test_plan_save_contraindicated_choice_with_reason_and_acceptance_is_flagged(dermatologist):
    consultation, cheek = _inflamed_cheek_case(dermatologist)
    choice = _choice("extraction", cheek, override_reason=GOOD_REASON, accept_contraindication=True)

    plan = services.plan_save(
        consultation=consultation, user=dermatologist, choices=[choice], version=None
    )

    planned = plan.treatments.get()
    assert (planned.contraindicated_at, planned.contraindication_accepted, planned.is_flagged) == (
        "left cheek",
        True,
        True,
    )


def test_plan_form_names_each_missing_piece_of_a_contraindicated_choice(
    dermatologist_client, dermatologist
):
    consultation, cheek = _inflamed_cheek_case(dermatologist)
    data = plan_post(
        {"extraction": {"include": "on", "sites": str(cheek.pk), "sessions": "1",
                        "override_reason": "x"}}
    )  # fmt: skip

    response = dermatologist_client.post(f"/consultations/{consultation.pk}/plan/", data)

    errors = response.context["formset"].forms[0].errors
    assert (response.status_code, errors["override_reason"], errors["accept_contraindication"]) == (
        400,
        [
            "A contraindicated choice needs a reason of at least 20 characters: say why it is "
            "right for this patient."
        ],
        [
            "Mechanical extraction is contraindicated at the left cheek: tick to confirm that "
            "you accept this contraindication."
        ],
    )
    assert "I accept this contraindication" in response.content.decode()


def test_plan_form_saves_an_accepted_contraindication(dermatologist_client, dermatologist):
    consultation, cheek = _inflamed_cheek_case(dermatologist)
    data = plan_post(
        {"extraction": {"include": "on", "sites": str(cheek.pk), "sessions": "1",
                        "override_reason": GOOD_REASON, "accept_contraindication": "on"}}
    )  # fmt: skip

    response = dermatologist_client.post(f"/consultations/{consultation.pk}/plan/", data)

    assert response.status_code == 302
    assert PlannedTreatment.objects.get().contraindicated_at == "left cheek"


def _signed_flagged_plan(dermatologist, on):
    consultation, cheek = _inflamed_cheek_case(dermatologist)
    choice = PlanChoice(
        treatment="extraction",
        site_ids=(cheek.pk,),
        sessions=2,
        interval_weeks=1,
        starts_on=on,
        override_reason=GOOD_REASON,
        accept_contraindication=True,
    )
    services.plan_save(
        consultation=consultation, user=dermatologist, choices=[choice], version=None
    )
    services.consultation_sign(consultation=consultation, user=dermatologist)
    return consultation


FLAG = "Contraindicated</span> at the left cheek"


@pytest.mark.parametrize("page", ["record", "today", "sessions"])
def test_accepted_contraindication_is_flagged_for_staff_on_every_list(
    client, dermatologist, staff, page
):
    today = timezone.localdate()
    consultation = _signed_flagged_plan(dermatologist, today)
    client.force_login(staff)
    url = {
        "record": f"/consultations/{consultation.pk}/",
        "today": "/today/",
        "sessions": "/sessions/",
    }[page]

    html = client.get(url).content.decode()

    assert FLAG in html
    assert GOOD_REASON in html


def test_sign_refuses_when_a_site_became_eye_area_under_planned_cryotherapy(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    forehead = make_site(
        consultation, location="forehead", side="midline", largest_mm=4, months_present=24
    )
    services.plan_save(
        consultation=consultation,
        user=dermatologist,
        choices=[_choice("cryotherapy", forehead, override_reason="Freezing suits this one.")],
        version=None,
    )
    # The site is corrected to an eyelid after the plan was saved.
    LesionSite.objects.filter(pk=forehead.pk).update(location="eyelid", side="left")

    with pytest.raises(PlanNeedsReview):
        services.consultation_sign(consultation=consultation, user=dermatologist)

    assert (
        Consultation.objects.get(pk=consultation.pk).status,
        Session.objects.count(),
    ) == (
        "draft",
        0,
    )


def test_admin_refuses_cryotherapy_at_an_eyelid(client, dermatologist):
    superuser = make_user("root", is_staff=True, is_superuser=True)
    consultation, eyelid = _eyelid_case(dermatologist)
    plan = make_plan(consultation)
    client.force_login(superuser)
    cryotherapy = Treatment.objects.get(code="cryotherapy")
    response = client.post(
        "/admin/treatments/plannedtreatment/add/",
        {
            "plan": plan.pk,
            "treatment": cryotherapy.pk,
            "sites": [eyelid.pk],
            "sessions": 1,
            "override_reason": GOOD_REASON,
        },
    )

    assert response.status_code == 200
    assert "Cryotherapy cannot be planned here" in response.content.decode()
    assert PlannedTreatment.objects.count() == 0


def test_admin_allows_cryotherapy_at_a_forehead(client, dermatologist):
    superuser = make_user("root", is_staff=True, is_superuser=True)
    consultation = make_consultation(clinician=dermatologist, patient=make_patient())
    forehead = make_site(consultation, location="forehead", side="midline")
    plan = make_plan(consultation)
    client.force_login(superuser)
    response = client.post(
        "/admin/treatments/plannedtreatment/add/",
        {
            "plan": plan.pk,
            "treatment": Treatment.objects.get(code="cryotherapy").pk,
            "sites": [forehead.pk],
            "sessions": 1,
        },
    )

    assert response.status_code == 302
    assert PlannedTreatment.objects.get().treatment.code == "cryotherapy"


def test_sign_refuses_a_planned_treatment_whose_sites_were_all_removed(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    cheek = make_site(consultation, location="cheek", side="left")
    forehead = make_site(consultation, location="forehead", side="midline")
    services.plan_save(
        consultation=consultation,
        user=dermatologist,
        choices=[
            _choice("extraction", cheek),
            _choice("chemical_peel", forehead, override_reason="Wants the whole area done."),
        ],
        version=None,
    )
    cheek.delete()

    with pytest.raises(PlanNeedsReview) as refused:
        services.consultation_sign(consultation=consultation, user=dermatologist)

    assert refused.value.problems["extraction"] == [
        ("sites", "Mechanical extraction is planned for no site: choose its sites again.")
    ]
    assert Session.objects.count() == 0


def test_plan_save_refuses_a_site_of_another_consultation(dermatologist):
    consultation, cheek = _inflamed_cheek_case(dermatologist)
    other_eyelid = make_site(make_consultation(clinician=dermatologist), location="eyelid")
    choice = PlanChoice(
        treatment="cryotherapy",
        site_ids=(other_eyelid.pk,),
        sessions=1,
        interval_weeks=None,
        starts_on=timezone.localdate(),
        override_reason=GOOD_REASON,
    )

    with pytest.raises(PlanNeedsReview) as refused:
        services.plan_save(
            consultation=consultation, user=dermatologist, choices=[choice], version=None
        )

    assert refused.value.problems["cryotherapy"] == [
        ("sites", "Cryotherapy is planned for a site that is not in this consultation.")
    ]
    assert Plan.objects.count() == 0


def test_admin_refuses_a_site_of_another_consultation(client, dermatologist):
    superuser = make_user("root", is_staff=True, is_superuser=True)
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="forehead", side="midline")
    other_eyelid = make_site(make_consultation(clinician=dermatologist), location="eyelid")
    plan = Plan.objects.create(consultation=consultation, created_by=dermatologist)
    client.force_login(superuser)

    response = client.post(
        "/admin/treatments/plannedtreatment/add/",
        {
            "plan": plan.pk,
            "treatment": Treatment.objects.get(code="extraction").pk,
            "sites": [other_eyelid.pk],
            "sessions": 1,
        },
    )

    assert response.status_code == 200
    assert "Choose only sites of this plan&#x27;s consultation." in response.content.decode()
    assert PlannedTreatment.objects.count() == 0
