"""The catalogue as loaded into the database by the data migration."""

import pytest

from treatments import rules
from treatments.catalogue import TREATMENT_CATALOGUE
from treatments.models import Handout, Location, MiliaType, Treatment, TreatmentCode

pytestmark = pytest.mark.django_db


def test_catalogue_holds_exactly_the_five_treatments_in_order():
    assert list(Treatment.objects.values_list("code", flat=True)) == [
        "extraction",
        "chemical_peel",
        "topical_retinoid",
        "cryotherapy",
        "co2_laser",
    ]


def test_catalogue_rows_carry_the_module_texts():
    peel = Treatment.objects.get(code="chemical_peel")
    source = next(entry for entry in TREATMENT_CATALOGUE if entry["code"] == "chemical_peel")
    assert (peel.name, peel.default_sessions, peel.default_interval_weeks) == (
        source["name"],
        4,
        3,
    )
    assert peel.patient_do.splitlines() == list(source["patient_do"])


def test_why_not_at_home_handout_is_loaded():
    handout = Handout.objects.get(slug="why-not-at-home")
    assert handout.body.count("\n\n") >= 1


def test_model_vocabularies_equal_the_rules_vocabularies():
    assert tuple(TreatmentCode.values) == rules.TREATMENTS
    assert tuple(Location.values) == rules.LOCATIONS
    assert tuple(MiliaType.values) == rules.MILIA_TYPES
