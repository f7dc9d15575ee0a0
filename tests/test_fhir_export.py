"""FHIR R4B export of a consultation: every resource parses with fhir.resources R4B."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from audit.models import AuditEvent
from tests import ehr
from tests.factories import make_consultation, make_patient, make_site
from treatments import services

SCT = "http://snomed.info/sct"


@pytest.fixture
def signed_case(dermatologist):
    patient = make_patient(sex="female")
    consultation = make_consultation(patient=patient, clinician=dermatologist)
    eyelid = make_site(consultation, location="eyelid", side="left", count=4)
    forehead = make_site(
        consultation, location="forehead", side="midline", count=2, largest_mm=Decimal("3.5")
    )
    consultation = services.consultation_with_chart(consultation.pk)
    services.plan_save(
        consultation=consultation,
        user=dermatologist,
        choices=[
            services.PlanChoice(
                treatment="extraction",
                site_ids=(eyelid.pk, forehead.pk),
                sessions=1,
                interval_weeks=None,
                starts_on=date(2026, 12, 1),
            )
        ],
        version=None,
    )
    services.consultation_sign(consultation=consultation, user=dermatologist)
    return consultation


def _export(client, consultation):
    response = client.get(f"/fhir/Consultation/{consultation.pk}/$export")
    assert response.status_code == 200
    return response, json.loads(response.content)


def test_fhir_export_every_resource_validates_with_fhir_resources_r4b(
    dermatologist_client, signed_case
):
    _, bundle = _export(dermatologist_client, signed_case)

    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        ehr.assert_valid_r4b(entry["resource"])
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == [
        "Patient",
        "Condition",
        *["Observation"] * 6,
        "ServiceRequest",
        "CarePlan",
        "Parameters",
        "GuidanceResponse",
    ]
    assert bundle["type"] == "collection"


def test_fhir_export_condition_has_icd10_code_and_each_body_site(dermatologist_client, signed_case):
    _, bundle = _export(dermatologist_client, signed_case)

    condition = bundle["entry"][1]["resource"]
    assert condition["code"]["coding"] == [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "L72.0"}
    ]
    assert condition["bodySite"] == [
        {
            "text": "left eyelid",
            "coding": [{"system": SCT, "code": "80243003", "display": "Eyelid structure"}],
            "extension": [
                {
                    "url": ehr.LATERALITY_URL,
                    "valueCodeableConcept": {
                        "coding": [{"system": SCT, "code": "7771000", "display": "Left"}]
                    },
                }
            ],
        },
        {
            "text": "forehead",
            "coding": [
                {
                    "system": "http://snomed.info/sct",
                    "code": "52795006",
                    "display": "Forehead structure",
                }
            ],
        },
    ]


def test_fhir_export_condition_carries_the_code_recorded_on_the_consultation(
    dermatologist_client, dermatologist, settings
):
    settings.MILIA_ICD10_CODE = "L72.8"
    recorded_then = make_consultation(clinician=dermatologist)
    chosen = make_consultation(clinician=dermatologist, diagnosis_code="L72.9")
    settings.MILIA_ICD10_CODE = "L72.0"

    codes = [
        _export(dermatologist_client, c)[1]["entry"][1]["resource"]["code"]["coding"]
        for c in (recorded_then, chosen)
    ]

    assert codes == [
        [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "L72.8"}],
        [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "L72.9"}],
    ]


def test_fhir_export_observations_give_count_size_and_duration_per_site(
    dermatologist_client, signed_case
):
    _, bundle = _export(dermatologist_client, signed_case)

    observations = [
        (
            e["resource"]["bodySite"]["text"],
            e["resource"]["code"]["coding"][0]["code"],
            e["resource"].get("valueInteger", e["resource"].get("valueQuantity", {}).get("value")),
        )
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    ]
    assert observations == [
        ("left eyelid", "lesion-count", 4),
        ("left eyelid", "largest-diameter", 1.0),
        ("left eyelid", "duration", 2),
        ("forehead", "lesion-count", 2),
        ("forehead", "largest-diameter", 3.5),
        ("forehead", "duration", 2),
    ]


def test_fhir_export_signed_plan_has_service_requests_and_stored_advice(
    dermatologist_client, signed_case
):
    _, bundle = _export(dermatologist_client, signed_case)

    by_type = {e["resource"]["resourceType"]: e for e in bundle["entry"]}
    request = by_type["ServiceRequest"]["resource"]
    assert (request["status"], request["intent"], request["code"]["text"]) == (
        "active",
        "order",
        "Mechanical extraction",
    )
    assert request["requester"] == {"display": "dr.grey (Dermatologist)"}
    careplan = by_type["CarePlan"]["resource"]
    assert careplan["activity"][0]["reference"]["reference"] == by_type["ServiceRequest"]["fullUrl"]
    guidance = by_type["GuidanceResponse"]["resource"]
    assert guidance["identifier"][0]["value"] == "2026.2"
    assert guidance["moduleUri"] == "http://testserver/rules/?version=2026.2"
    parameters = by_type["Parameters"]["resource"]["parameter"]
    stored = signed_case.recommendations.get()
    assert json.loads(parameters[1]["valueString"]) == stored.output


def test_fhir_export_draft_without_plan_validates_and_says_advice_not_stored(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="cheek", side="right")

    _, bundle = _export(dermatologist_client, consultation)

    for entry in bundle["entry"]:
        ehr.assert_valid_r4b(entry["resource"])
    guidance = bundle["entry"][-1]["resource"]
    assert guidance["note"][0] == {
        "text": "No stored advice yet: computed from the chart at export."
    }


def test_fhir_export_is_audited_as_a_download_of_the_patient(staff_client, signed_case):
    response, _ = _export(staff_client, signed_case)

    # A neutral name: the day of the download, never the record's number or the patient's name.
    assert response["Content-Disposition"] == (
        f'attachment; filename="consultation-{timezone.localdate():%Y-%m-%d}.fhir.json"'
    )
    event = AuditEvent.objects.filter(action="download").get()
    assert (event.patient_id, event.object_id, event.summary, event.actor_username) == (
        signed_case.patient_id,
        str(signed_case.pk),
        "Exported the consultation as FHIR (Bundle)",
        "nurse.lee",
    )


def test_consultation_page_links_to_the_fhir_export(dermatologist_client, signed_case):
    page = dermatologist_client.get(f"/consultations/{signed_case.pk}/").content.decode()

    assert f'href="/fhir/Consultation/{signed_case.pk}/$export" download' in page


def test_rules_reference_page_has_the_row_cards_point_at(dermatologist_client):
    page = dermatologist_client.get("/rules/").content.decode()

    assert 'id="rule-CRYO-EYE"' in page
