"""Helpers for the EHR integration's tests: keys, tokens, CDS Hooks requests, FHIR validation
(the EHR client row itself is built by `tests.factories.make_ehr_client`)."""

import time
import uuid

import jsonschema
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fhir.resources.R4B import get_fhir_model_class

from tests import cds_hooks_schema

ISSUER = "https://ehr.example.org"
KID = "ehr-key-1"
# One key pair per test run: generating EC keys is cheap, but there is no need to repeat it.
EHR_KEY = ec.generate_private_key(ec.SECP384R1())
OTHER_KEY = ec.generate_private_key(ec.SECP384R1())

SNOMED = "http://snomed.info/sct"
LATERALITY_URL = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
OBSERVATIONS = "https://milia-clinic.example.org/fhir/CodeSystem/milia-observation"


def public_jwks(private_key=EHR_KEY, kid=KID) -> dict:
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {"keys": [jwk | {"kid": kid, "use": "sig", "alg": "ES384"}]}


def mint_token(audience: str, *, key=EHR_KEY, kid=KID, **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    } | claims
    jsonschema.validate(payload, cds_hooks_schema.JWT_CLAIMS)
    return jwt.encode(payload, key, algorithm="ES384", headers={"kid": kid})


def service_url(service_id: str) -> str:
    return f"http://testserver/cds-services/{service_id}"


def site_concept(code: str, display: str, side_code: str | None = None) -> dict:
    concept = {"coding": [{"system": SNOMED, "code": code, "display": display}]}
    if side_code:
        concept["extension"] = [
            {
                "url": LATERALITY_URL,
                "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": side_code}]},
            }
        ]
    return concept


LEFT_EYELID = site_concept("80243003", "Eyelid structure", "7771000")
FOREHEAD = site_concept("52795006", "Forehead structure")


def service_request(order_id: str, body_site: dict, *, code="302396003", display=None) -> dict:
    return {
        "resourceType": "ServiceRequest",
        "id": order_id,
        "status": "draft",
        "intent": "proposal",
        "code": {
            "coding": [
                {"system": SNOMED, "code": code, "display": display or "Cryotherapy to skin lesion"}
            ]
        },
        "subject": {"reference": "Patient/1288992"},
        "bodySite": [body_site],
    }


def milia_condition(*body_sites, code="L72.0") -> dict:
    return {
        "resourceType": "Condition",
        "id": "milia-1",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code}],
            "text": "Milia",
        },
        "bodySite": list(body_sites),
        "subject": {"reference": "Patient/1288992"},
    }


def observation(obs_id: str, code: str, body_site: dict, value: dict) -> dict:
    return {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "code": {"coding": [{"system": OBSERVATIONS, "code": code}]},
        "subject": {"reference": "Patient/1288992"},
        "bodySite": body_site,
        **value,
    }


def searchset(*resources) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": resource} for resource in resources],
    }


def patient(birth_date="1990-05-17") -> dict:
    resource = {"resourceType": "Patient", "id": "1288992", "gender": "female"}
    if birth_date:
        resource["birthDate"] = birth_date
    return resource


def order_request(hook: str, orders: list[dict], *, conditions=None, observations=(), pat=None):
    """A CDS Hooks request for an order hook, shaped like the specification's order-select
    example (https://cds-hooks.hl7.org/hooks/order-select/), with milia procedure orders."""
    context = {
        "userId": "Practitioner/123",
        "patientId": "1288992",
        "encounterId": "89284",
        "draftOrders": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": order} for order in orders],
        },
    }
    if hook == "order-select":
        context["selections"] = [f"ServiceRequest/{orders[0]['id']}"]
    if conditions is None:
        conditions = [milia_condition(*[o["bodySite"][0] for o in orders])]
    return {
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "http://hooks.smarthealthit.org:9080",
        "hook": hook,
        "fhirAuthorization": None,
        "context": context,
        "prefetch": {
            "patient": pat if pat is not None else patient(),
            "conditions": searchset(*conditions),
            "observations": searchset(*observations),
        },
    }


def fhir_resources_in(value) -> list[dict]:
    """Every FHIR resource nested anywhere in a JSON value (a Bundle's entries included)."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("resourceType"), str):
            found.append(value)
        for item in value.values():
            found.extend(fhir_resources_in(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(fhir_resources_in(item))
    return found


def assert_valid_r4b(resource: dict) -> None:
    """Parses with fhir.resources' R4B models (raises on any invalid element)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
