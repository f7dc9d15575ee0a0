"""A consultation as a FHIR R4B ``Bundle`` of type ``collection``.

What it holds, each entry with a ``urn:uuid`` full URL (stable for the same record) and every
reference between them by that URL:

- ``Patient``: record number, name, birth date, sex.
- ``Condition``: milia, coded with the ICD-10-CM code recorded on the consultation (its default
  is ``MILIA_ICD10_CODE``; no SNOMED CT code for milia is used, since none here has a published
  source we can name), with one
  ``bodySite`` per charted site: SNOMED CT where ``cds_hooks.LOCATION_CODES`` has the location
  (DESIGN §3), text otherwise, and the laterality as the mCODE laterality qualifier extension.
- ``Observation`` per site and fact: the number of milia, the largest diameter (mm) and how long
  they have been present (months), coded in the clinic's observation code system, the same codes
  the CDS Hooks service reads.
- ``CarePlan`` with one activity per planned treatment; once the consultation is signed, each
  activity refers to a ``ServiceRequest`` (status active, intent order) for the treatment at its
  sites.
- ``GuidanceResponse`` with the stored advice (the signed one, else the latest asked for; else
  the advice computed at export, which the note says), its rules version as the module URI's
  version and as an identifier, and the advice itself in an output ``Parameters`` resource.

Fetches the plan and the stored advice in two queries beyond the chart.
"""

import json
import uuid
from datetime import datetime

from django.utils.text import get_text_list

from treatments import cds_hooks, rules
from treatments.models import Consultation, Plan

NAMESPACE = uuid.UUID("7f3c8a52-4c61-4b5e-9a1e-6d2b9c0f1e11")  # this app's, for stable urn:uuid
MRN_SYSTEM = "https://milia-clinic.example.org/fhir/sid/medical-record-number"
RULES_VERSION_SYSTEM = "https://milia-clinic.example.org/fhir/sid/rules-version"
GENDER = {"female": "female", "male": "male", "other": "other", "": "unknown"}
STATUS_WORDS = {
    "recommended": "recommended",
    "consider": "consider",
    "not_indicated": "not indicated",
    "contraindicated": "contraindicated",
}


def _urn(*parts) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '/'.join(str(p) for p in parts))}"


def _id(urn: str) -> str:
    return urn.removeprefix("urn:uuid:")


def body_site_concept(location: str, side: str) -> dict:
    concept: dict = {"text": rules.site_words(location, side)}
    code = cds_hooks.LOCATION_CODES.get(location)
    if code:
        concept["coding"] = [
            {"system": cds_hooks.SNOMED, "code": code, "display": cds_hooks.BODY_SITES[code][1]}
        ]
    if side in cds_hooks.SIDE_CODES:
        concept["extension"] = [
            {
                "url": cds_hooks.LATERALITY_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": cds_hooks.SNOMED,
                            "code": cds_hooks.SIDE_CODES[side],
                            "display": cds_hooks.LATERALITY_DISPLAY[side],
                        }
                    ]
                },
            }
        ]
    return concept


def _observation(key, patient_ref, condition_ref, site, code, when, value: dict) -> dict:
    return {
        "resourceType": "Observation",
        "id": _id(key),
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "exam",
                        "display": "Exam",
                    }
                ]
            }
        ],
        "code": {
            "coding": [
                {
                    "system": cds_hooks.OBSERVATION_SYSTEM,
                    "code": code,
                    "display": cds_hooks.OBSERVATION_CODES[code],
                }
            ],
            "text": cds_hooks.OBSERVATION_CODES[code],
        },
        "subject": {"reference": patient_ref},
        "focus": [{"reference": condition_ref}],
        "effectiveDateTime": when,
        "bodySite": body_site_concept(site.location, site.side),
        **value,
    }


def _stored_advice(consultation: Consultation):
    stored = consultation.recommendations.order_by("-requested_at", "-id").first()
    if stored is not None:
        return rules.CaseResult.from_dict(stored.output), stored.requested_at, True
    sites = list(consultation.sites.all())
    if not sites:
        return None, None, False
    from treatments.services import consultation_evaluate

    return consultation_evaluate(consultation), None, False


def consultation_bundle(
    consultation: Consultation, *, base_url: str, rules_url: str, now: datetime
) -> dict:
    """The Bundle for a consultation fetched with ``services.consultation_with_chart``."""
    patient = consultation.patient
    sites = list(consultation.sites.all())
    when = consultation.date.isoformat()
    patient_ref = _urn("patient", patient.pk)
    condition_ref = _urn("condition", consultation.pk)
    entries: list[dict] = []

    def add(full_url: str, resource: dict) -> None:
        entries.append({"fullUrl": full_url, "resource": resource})

    add(
        patient_ref,
        {
            "resourceType": "Patient",
            "id": _id(patient_ref),
            "identifier": [{"system": MRN_SYSTEM, "value": patient.medical_record_number}],
            "name": [{"family": patient.family_name, "given": [patient.given_name]}],
            "gender": GENDER.get(patient.sex, "unknown"),
            "birthDate": patient.date_of_birth.isoformat(),
        },
    )
    add(
        condition_ref,
        {
            "resourceType": "Condition",
            "id": _id(condition_ref),
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "verificationStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                        "code": "confirmed",
                    }
                ]
            },
            "code": {
                "coding": [{"system": cds_hooks.ICD10CM, "code": consultation.diagnosis_code}],
                "text": f"Milia ({consultation.get_milia_type_display().lower()})",
            },
            "bodySite": [body_site_concept(site.location, site.side) for site in sites],
            "subject": {"reference": patient_ref},
            "recordedDate": when,
        },
    )
    for site in sites:
        facts = (
            ("lesion-count", {"valueInteger": site.count}),
            (
                "largest-diameter",
                {
                    "valueQuantity": {
                        "value": float(site.largest_mm),
                        "unit": "mm",
                        "system": cds_hooks.UCUM,
                        "code": "mm",
                    }
                },
            ),
            (
                "duration",
                {
                    "valueQuantity": {
                        "value": site.months_present,
                        "unit": "months",
                        "system": cds_hooks.UCUM,
                        "code": "mo",
                    }
                },
            ),
        )
        for code, value in facts:
            key = _urn("observation", site.pk, code)
            add(key, _observation(key, patient_ref, condition_ref, site, code, when, value))

    plan = Plan.objects.filter(consultation=consultation).with_treatments().first()
    if plan is not None:
        _add_plan(add, plan, consultation, patient_ref, condition_ref)

    result, asked_at, stored = _stored_advice(consultation)
    if result is not None:
        _add_guidance(
            add, result, asked_at, stored, consultation, patient_ref, rules_url, base_url, now
        )

    return {
        "resourceType": "Bundle",
        "id": _id(_urn("bundle", consultation.pk, now.isoformat())),
        "identifier": {"system": f"{base_url}/fhir/Consultation", "value": str(consultation.pk)},
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": entries,
    }


def _add_plan(add, plan, consultation, patient_ref, condition_ref) -> None:
    signed = consultation.is_signed
    careplan_ref = _urn("careplan", plan.pk)
    activities = []
    for planned in plan.treatments.all():
        code = planned.treatment.code
        planned_sites = list(planned.sites.all())
        where = get_text_list([rules.site_words(s.location, s.side) for s in planned_sites], "and")
        description = f"{cds_hooks.TREATMENT_NAMES[code]} at the {where}: "
        if planned.sessions is None:  # a home treatment: no sessions, a review
            description += "used at home"
        else:
            description += f"{planned.sessions} session" + ("s" if planned.sessions != 1 else "")
        if planned.review_on:
            description += f", review on {planned.review_on.isoformat()}"
        if planned.interval_weeks:
            description += f", every {planned.interval_weeks} weeks"
        if not signed:
            activities.append(
                {
                    "detail": {
                        "kind": "ServiceRequest",
                        "code": cds_hooks.treatment_concept(code),
                        "status": "not-started",
                        "description": description,
                    }
                }
            )
            continue
        request_ref = _urn("servicerequest", planned.pk)
        activities.append({"reference": {"reference": request_ref, "display": description}})
        notes = []
        if planned.product_notes:
            notes.append({"text": f"Product and strength: {planned.product_notes}"})
        if planned.override_reason:
            notes.append({"text": f"Reason for this choice: {planned.override_reason}"})
        if planned.contraindicated_at:
            notes.append(
                {"text": f"Planned although contraindicated at: {planned.contraindicated_at}"}
            )
        resource = {
            "resourceType": "ServiceRequest",
            "id": _id(request_ref),
            "basedOn": [{"reference": careplan_ref}],
            "status": "active",
            "intent": "order",
            "code": cds_hooks.treatment_concept(code),
            "subject": {"reference": patient_ref},
            "reasonReference": [{"reference": condition_ref}],
            "bodySite": [body_site_concept(s.location, s.side) for s in planned_sites],
            "authoredOn": consultation.signed_at.isoformat(),
            # Who signed the plan, as the record names them (no Practitioner resource is kept).
            **({"requester": {"display": _signer(consultation)}} if consultation.signed_by else {}),
            "patientInstruction": description,
        }
        if planned.sessions is not None:
            resource["quantityQuantity"] = {"value": planned.sessions, "unit": "sessions"}
        if planned.starts_on:
            resource["occurrenceDateTime"] = planned.starts_on.isoformat()
        if notes:
            resource["note"] = notes
        add(request_ref, resource)
    careplan = {
        "resourceType": "CarePlan",
        "id": _id(careplan_ref),
        "status": "active" if signed else "draft",
        "intent": "plan",
        "title": "Milia treatment plan",
        "subject": {"reference": patient_ref},
        "created": plan.created_at.isoformat(),
        "addresses": [{"reference": condition_ref}],
    }
    if activities:
        careplan["activity"] = activities
    if plan.notes:
        careplan["note"] = [{"text": plan.notes}]
    add(careplan_ref, careplan)


def _signer(consultation) -> str:
    user = consultation.signed_by
    name = user.get_full_name() or user.get_username()
    role = consultation.signed_by_role
    return f"{name} ({role})" if role else name


def _advice_lines(result: rules.CaseResult) -> list[str]:
    lines = []
    for option in result.options:
        rule_ids = ", ".join(f.rule for f in option.reasons + option.cautions)
        lines.append(
            f"{option.rank}. {cds_hooks.TREATMENT_NAMES[option.treatment]}: "
            f"{STATUS_WORDS[option.status]}" + (f" ({rule_ids})" if rule_ids else "")
        )
    lines.extend(f"{finding.text} ({finding.rule})" for finding in result.advice)
    return lines


def _add_guidance(
    add, result, asked_at, stored, consultation, patient_ref, rules_url, base_url, now
) -> None:
    guidance_ref = _urn("guidanceresponse", consultation.pk)
    parameters_ref = _urn("parameters", consultation.pk)
    add(
        parameters_ref,
        {
            "resourceType": "Parameters",
            "id": _id(parameters_ref),
            "parameter": [
                {"name": "rules_version", "valueString": result.rules_version},
                {"name": "advice", "valueString": json.dumps(result.to_dict())},
            ],
        },
    )
    notes = [{"text": line} for line in _advice_lines(result)]
    if not stored:
        notes.insert(0, {"text": "No stored advice yet: computed from the chart at export."})
    add(
        guidance_ref,
        {
            "resourceType": "GuidanceResponse",
            "id": _id(guidance_ref),
            "identifier": [{"system": RULES_VERSION_SYSTEM, "value": result.rules_version}],
            "moduleUri": f"{rules_url}?version={result.rules_version}",
            "status": "success",
            "subject": {"reference": patient_ref},
            "occurrenceDateTime": (asked_at or now).isoformat(),
            "note": notes,
            "outputParameters": {"reference": parameters_ref},
        },
    )
