from datetime import date
from decimal import Decimal

import pytest

from tests.factories import make_consultation, make_patient, make_site
from treatments import rules
from treatments.models import Consultation, Recommendation
from treatments.services import (
    age_in_years,
    consultation_facts,
    consultation_sign,
    consultation_with_chart,
)


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        (date(1990, 5, 17), date(2026, 5, 16), 35),
        (date(1990, 5, 17), date(2026, 5, 17), 36),
        (date(2026, 11, 1), date(2026, 11, 26), 0),
        (date(2000, 2, 29), date(2025, 2, 28), 24),
    ],
)
def test_age_in_years_counts_completed_years(born, on, expected):
    assert age_in_years(born, on) == expected


@pytest.mark.django_db
def test_consultation_facts_follow_the_rules_contract(dermatologist):
    patient = make_patient(
        date_of_birth=date(1990, 1, 1), fitzpatrick=4, pregnant=True, anticoagulant=True
    )
    consultation = make_consultation(
        patient=patient, clinician=dermatologist, date=date(2026, 6, 1), recurrent=True
    )
    make_site(
        consultation,
        location="eyelid",
        side="left",
        count=4,
        largest_mm=Decimal("1.5"),
        months_present=3,
        tried=[("topical_retinoid", False)],
        active_inflammation=True,
    )
    facts = consultation_facts(consultation_with_chart(consultation.pk))
    assert facts == {
        "patient": {
            "age_years": 36,
            "fitzpatrick": 4,
            "pregnant": True,
            "breastfeeding": False,
            "isotretinoin_last_6_months": False,
            "herpes_simplex_history": False,
            "cold_intolerance": False,
            "keloid_tendency": False,
            "anticoagulant": True,
            "photosensitising_drug": False,
        },
        "milia_type": "primary",
        "recurrent": True,
        "sites": [
            {
                "location": "eyelid",
                "side": "left",
                "count": 4,
                "largest_mm": 1.5,
                "depth": "superficial",
                "months_present": 3,
                "tried": [{"treatment": "topical_retinoid", "worked": False}],
                "red_flags": False,
                "active_inflammation": True,
            }
        ],
    }
    assert rules.validate_case(facts) == {}


@pytest.mark.django_db
def test_consultation_sign_stores_the_advice_with_its_input_and_version(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left", count=4)
    stored = consultation_sign(consultation=consultation, user=dermatologist)
    stored.refresh_from_db()
    assert stored.rules_version == "2026.2"
    assert stored.output == rules.recommend(stored.input_facts)
    assert stored.requested_by == dermatologist
    eyelid_cryo = next(
        o for o in stored.output["sites"][0]["options"] if o["treatment"] == "cryotherapy"
    )
    assert eyelid_cryo["status"] == "contraindicated"


@pytest.mark.django_db
def test_consultation_sign_without_sites_stores_nothing(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    with pytest.raises(rules.InvalidCase):
        consultation_sign(consultation=consultation, user=dermatologist)
    assert Recommendation.objects.count() == 0
    assert Consultation.objects.get(pk=consultation.pk).status == "draft"


@pytest.mark.django_db
@pytest.mark.parametrize("site_count", [1, 20])
def test_consultation_with_chart_costs_three_queries_whatever_the_sites(
    dermatologist, site_count, django_assert_num_queries
):
    consultation = make_consultation(clinician=dermatologist)
    locations = ["eyelid", "periorbital", "forehead", "temple", "cheek", "nose", "perioral",
                 "chin", "jawline", "ear"]  # fmt: skip
    for index in range(site_count):
        make_site(
            consultation,
            location=locations[index % 10],
            side=["left", "right"][index // 10],
            tried=[("extraction", False)],
        )
    with django_assert_num_queries(3):
        facts = consultation_facts(consultation_with_chart(consultation.pk))
    assert len(facts["sites"]) == site_count
