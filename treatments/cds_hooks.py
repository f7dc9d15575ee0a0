"""CDS Hooks 2.0 for milia, in pure Python: an EHR's request in, the rules' facts, cards out.

No Django, no database, no clock: the views (``treatments.ehr_views``) hand in today's date, the
ICD-10-CM code in force and a function that turns a rule id into the absolute URL of its row on
the rules reference page. Specification: https://cds-hooks.hl7.org/2.0/

Reading an EHR's data (FHIR R4/R4B JSON):

- ``prefetch.patient`` (Patient): ``birthDate`` gives the age; nothing else is read, so the
  patient facts the rules know beyond age (pregnancy, skin type, cold intolerance, ...) are taken
  as absent, and the options card says so.
- ``prefetch.conditions`` (a Bundle of Condition): a milia Condition is one coded with the
  ICD-10-CM code in force (``MILIA_ICD10_CODE``) or named milia/milium in its text or display;
  its ``bodySite`` entries are the charted sites.
- ``prefetch.observations`` (a Bundle of Observation) coded in ``OBSERVATION_SYSTEM``: per body
  site, the lesion count, the largest diameter and how long the milia have been present.
- ``context.draftOrders`` (a Bundle of ServiceRequest, order-select and order-sign): the
  procedure (``code``) and its ``bodySite``, each with its laterality.

Body sites and procedures are SNOMED CT codes from the tables below, each with the published
source it was taken from. Laterality is the mCODE laterality qualifier extension on a bodySite.
Whatever cannot be used (an unknown body site, no milia condition, no birth date) is named in an
``info`` card; it never fails the request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from treatments import rules

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
# The clinic's own code systems, for what no published code names as precisely.
CLINIC_SYSTEMS = "https://milia-clinic.example.org/fhir/CodeSystem"
TREATMENT_SYSTEM = f"{CLINIC_SYSTEMS}/milia-treatment"
OBSERVATION_SYSTEM = f"{CLINIC_SYSTEMS}/milia-observation"
OVERRIDE_SYSTEM = f"{CLINIC_SYSTEMS}/cds-override-reason"
# HL7 mCODE STU4, Laterality Qualifier Extension; its context of use includes
# ServiceRequest.bodySite, Condition.bodySite and Observation.bodySite.
LATERALITY_EXTENSION = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"

# SNOMED CT body structures -> the rules' location. Source: DESIGN §3 ("Codes worth carrying on
# the data"), itself to be verified on a terminology server before release. Face (89545001) is
# deliberately absent: too broad to say where on the face.
BODY_SITES: dict[str, tuple[str, str]] = {
    "80243003": ("eyelid", "Eyelid structure"),
    "38934000": ("eyelid", "Upper eyelid structure"),
    "62736007": ("eyelid", "Lower eyelid structure"),
    "1711002": ("periorbital", "Periorbital region structure"),
    "60819002": ("cheek", "Cheek structure"),
    "45206002": ("nose", "Nasal structure"),
    "52795006": ("forehead", "Forehead structure"),
    "30291003": ("chin", "Chin structure"),
}
# The code written for a location in what the app emits (the general code of that location).
LOCATION_CODES: dict[str, str] = {
    "eyelid": "80243003",
    "periorbital": "1711002",
    "cheek": "60819002",
    "nose": "45206002",
    "forehead": "52795006",
    "chin": "30291003",
}

# SNOMED CT laterality qualifier values. Source: HL7 FHIR ValueSet bodystructure-laterality
# (http://hl7.org/fhir/ValueSet/bodystructure-laterality) and HL7 Europe ValueSet
# siteLaterality-eu, both expanded from SNOMED CT International.
LATERALITY: dict[str, str] = {"7771000": "left", "24028007": "right", "51440002": "bilateral"}
LATERALITY_DISPLAY = {"left": "Left", "right": "Right", "bilateral": "Right and left"}
SIDE_CODES = {side: code for code, side in LATERALITY.items()}

# Procedures -> the rules' treatment codes, as (system, code).
# - 302396003 "Cryotherapy to skin lesion" and 445907001 "Laser procedure on skin": DICOM PS3.16
#   CID 4409 "Skin Procedure" (the laser code is broader than a CO2 laser; an EHR that orders a
#   laser for milia is ordering an ablative one).
# - 26782000 "Cryotherapy": a small mapping table entry to verify on a terminology server (as
#   DESIGN §3 says of its codes); seen in published FHIR value sets of procedures.
# - The clinic's own TREATMENT_SYSTEM codes the five treatments exactly (extraction, peels and
#   retinoids have no code here whose published source we can name).
PROCEDURES: dict[tuple[str, str], str] = {
    (SNOMED, "302396003"): "cryotherapy",
    (SNOMED, "26782000"): "cryotherapy",
    (SNOMED, "445907001"): "co2_laser",
    **{(TREATMENT_SYSTEM, code): code for code in rules.TREATMENTS},
}
TREATMENT_NAMES = rules.TREATMENT_LABELS


def _treatment_words(code: str) -> str:
    return rules.in_sentence(TREATMENT_NAMES[code])


def _status_words(status: str) -> str:
    return rules.in_sentence(rules.STATUS_LABELS[status])


SNOMED_TREATMENTS = {
    "cryotherapy": ("302396003", "Cryotherapy to skin lesion"),
    "co2_laser": ("445907001", "Laser procedure on skin"),
}

# Observations the service reads, coded in OBSERVATION_SYSTEM.
OBSERVATION_CODES = {
    "lesion-count": "Number of milia at the site",
    "largest-diameter": "Largest milium diameter at the site",
    "duration": "How long the milia have been present at the site",
}

OVERRIDE_REASONS = (
    ("clinical-judgement", "Clinical judgement: the benefit outweighs the risk for this patient"),
    ("site-not-as-coded", "The lesions to treat are not at the coded body site"),
    ("patient-informed-choice", "The patient was told of the risk and chose this treatment"),
)

SUMMARY_MAX = 139  # the specification: "less than 140 characters"

SERVICES = {
    "milia-order-select": {
        "hook": "order-select",
        "title": "Milia treatment check (order select)",
        "description": "Checks a selected milia procedure (cryotherapy, laser, extraction, peel, "
        "retinoid) at its body site against the Milia Clinic rules: contraindications, "
        "cautions and the ranked options.",
    },
    "milia-order-sign": {
        "hook": "order-sign",
        "title": "Milia treatment check (order sign)",
        "description": "Before signing, checks milia procedure orders at their body sites "
        "against the Milia Clinic rules.",
    },
    "milia-patient-view": {
        "hook": "patient-view",
        "title": "Milia treatment options",
        "description": "The ranked treatment options for a patient with charted milia.",
    },
}
ORDER_HOOKS = frozenset({"order-select", "order-sign"})


def prefetch_templates(icd10_code: str) -> dict[str, str]:
    return {
        "patient": "Patient/{{context.patientId}}",
        "conditions": f"Condition?patient={{{{context.patientId}}}}&code={ICD10CM}|{icd10_code}",
        "observations": "Observation?patient={{context.patientId}}&code="
        + ",".join(f"{OBSERVATION_SYSTEM}|{code}" for code in OBSERVATION_CODES),
    }


def discovery(icd10_code: str) -> dict[str, Any]:
    """The discovery response (CDS Hooks 2.0 §Discovery)."""
    prefetch = prefetch_templates(icd10_code)
    return {
        "services": [
            {"id": service_id, **service, "prefetch": prefetch}
            for service_id, service in SERVICES.items()
        ]
    }


# --- The request ------------------------------------------------------------------------------


class BadRequest(Exception):
    """The request is not a CDS Hooks request this service can read: answered 400, naming what."""


def _object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise BadRequest(f"{path}: must be a JSON object")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{path}: must be a non-empty string")
    return value


def check_request(body: Any, service_id: str) -> dict:
    """The request's shape (CDS Hooks 2.0 §HTTP Request); raises ``BadRequest`` naming the
    first problem."""
    service = SERVICES[service_id]
    body = _object(body, "request")
    hook = _string(body.get("hook"), "hook")
    if hook != service["hook"]:
        raise BadRequest(f"hook: this service answers '{service['hook']}', not '{hook}'")
    _string(body.get("hookInstance"), "hookInstance")
    context = _object(body.get("context"), "context")
    _string(context.get("patientId"), "context.patientId")
    if hook in ORDER_HOOKS:
        orders = _object(context.get("draftOrders"), "context.draftOrders")
        if orders.get("resourceType") != "Bundle":
            raise BadRequest("context.draftOrders: must be a FHIR Bundle")
    if hook == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise BadRequest("context.selections: must be a list of strings")
    prefetch = body.get("prefetch")
    if prefetch is not None:
        _object(prefetch, "prefetch")
    return body


# --- From FHIR to the rules' facts --------------------------------------------------------------


@dataclass
class Order:
    ref: str  # "ServiceRequest/<id>"
    resource: dict
    treatment: str | None
    sites: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Mapped:
    """What the request says in the rules' terms, and what could not be used."""

    facts: dict | None
    site_keys: list[tuple[str, str]]
    orders: list[Order]
    has_milia: bool
    problems: list[str]
    assumptions: list[str]


def _resources(value: Any, resource_type: str) -> list[dict]:
    """The resources of a prefetch value: a search Bundle, one resource, or nothing."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == resource_type:
        return [value]
    if value.get("resourceType") != "Bundle":
        return []
    found = []
    for entry in value.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == resource_type:
            found.append(resource)
    return found


def _codings(concept: Any) -> list[dict]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _words(concept: Any) -> str:
    """A concept in words, for a message."""
    if not isinstance(concept, dict):
        return "(not a CodeableConcept)"
    if concept.get("text"):
        return str(concept["text"])[:80]
    codes = [f"{c.get('system', '?')}|{c.get('code', '?')}" for c in _codings(concept)]
    return ", ".join(codes)[:120] or "(no coding)"


def body_site(concept: Any) -> tuple[str, str] | None:
    """A bodySite CodeableConcept as (location, side), or None when no code is known."""
    location = None
    for coding in _codings(concept):
        if coding.get("system") == SNOMED and coding.get("code") in BODY_SITES:
            location = BODY_SITES[coding["code"]][0]
            break
    if location is None:
        return None
    side = "midline"
    for extension in concept.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == LATERALITY_EXTENSION:
            for coding in _codings(extension.get("valueCodeableConcept")):
                if coding.get("system") == SNOMED and coding.get("code") in LATERALITY:
                    side = LATERALITY[coding["code"]]
    return location, side


def _treatment(concept: Any) -> str | None:
    for coding in _codings(concept):
        treatment = PROCEDURES.get((coding.get("system"), coding.get("code")))
        if treatment:
            return treatment
    return None


_MILIA_WORDS = re.compile(r"\bmili(a|um)\b", re.IGNORECASE)


def is_milia(condition: dict, icd10_code: str) -> bool:
    status = " ".join(c.get("code", "") for c in _codings(condition.get("clinicalStatus")))
    verification = " ".join(
        c.get("code", "") for c in _codings(condition.get("verificationStatus"))
    )
    if status in ("inactive", "resolved", "remission") or verification in (
        "entered-in-error",
        "refuted",
    ):
        return False
    code = condition.get("code")
    for coding in _codings(code):
        if coding.get("system") == ICD10CM and coding.get("code") == icd10_code:
            return True
        if _MILIA_WORDS.search(str(coding.get("display", ""))):
            return True
    return isinstance(code, dict) and bool(_MILIA_WORDS.search(str(code.get("text", ""))))


def _age_years(birth_date: Any, today: date) -> int | None:
    if not isinstance(birth_date, str):
        return None
    try:
        parts = [int(part) for part in birth_date.split("-")]
        born = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None
    had_birthday = (today.month, today.day) >= (born.month, born.day)
    return today.year - born.year - (0 if had_birthday else 1)


_TO_MM = {"mm": 1.0, "cm": 10.0}
_TO_MONTHS = {"mo": 1.0, "a": 12.0, "wk": 12 / 52.0, "d": 12 / 365.25}


def _quantity(observation: dict, factors: dict[str, float]) -> float | None:
    quantity = observation.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None
    value, unit = quantity.get("value"), quantity.get("code") or quantity.get("unit")
    if not isinstance(value, int | float) or isinstance(value, bool) or unit not in factors:
        return None
    if not math.isfinite(value):
        return None
    return value * factors[unit]


def _observation_facts(observation: dict, key: str) -> tuple[str, Any] | None:
    if key == "lesion-count":
        value = observation.get("valueInteger")
        if isinstance(value, int) and not isinstance(value, bool):
            return "count", value
        return None
    if key == "largest-diameter":
        value = _quantity(observation, _TO_MM)
        return ("largest_mm", round(value, 1)) if value is not None else None
    value = _quantity(observation, _TO_MONTHS)
    return ("months_present", int(value)) if value is not None else None


def _ref(resource: dict) -> str:
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def map_request(body: dict, *, today: date, icd10_code: str) -> Mapped:
    """The rules' facts for a checked request (``check_request``), and what could not be used."""
    context, prefetch = body["context"], body.get("prefetch") or {}
    problems: list[str] = []
    assumptions: list[str] = []
    sites: dict[tuple[str, str], dict] = {}

    def site(key: tuple[str, str]) -> dict:
        return sites.setdefault(key, {"location": key[0], "side": key[1]})

    conditions = [
        c for c in _resources(prefetch.get("conditions"), "Condition") if is_milia(c, icd10_code)
    ]
    has_milia = bool(conditions)
    for condition in conditions:
        for concept in condition.get("bodySite") or []:
            key = body_site(concept)
            if key is None:
                problems.append(
                    f"{_ref(condition)}: body site {_words(concept)} is not one the rules know."
                )
            else:
                site(key)

    found: dict[tuple[str, str], set[str]] = {}
    for observation in _resources(prefetch.get("observations"), "Observation"):
        codes = [c.get("code") for c in _codings(observation.get("code"))]
        systems = [c.get("system") for c in _codings(observation.get("code"))]
        known = [
            code
            for code, system in zip(codes, systems, strict=True)
            if system == OBSERVATION_SYSTEM and code in OBSERVATION_CODES
        ]
        if not known:
            continue
        key = body_site(observation.get("bodySite"))
        fact = _observation_facts(observation, known[0])
        if key is None:
            problems.append(
                f"{_ref(observation)}: body site {_words(observation.get('bodySite'))} is not "
                "one the rules know."
            )
        elif fact is None:
            problems.append(f"{_ref(observation)}: its value is missing or in an unknown unit.")
        else:
            site(key)[fact[0]] = fact[1]
            found.setdefault(key, set()).add(fact[0])

    orders = []
    if body["hook"] in ORDER_HOOKS:
        selected = set(context.get("selections") or [])
        for resource in _resources(context["draftOrders"], "ServiceRequest"):
            ref = _ref(resource)
            if selected and ref not in selected:
                continue
            order = Order(ref, resource, _treatment(resource.get("code")))
            if order.treatment is None:
                continue  # not a milia treatment: none of this service's business
            for concept in resource.get("bodySite") or []:
                key = body_site(concept)
                if key is None:
                    problems.append(
                        f"{ref}: body site {_words(concept)} is not one the rules know, so "
                        f"{_treatment_words(order.treatment)} there was not checked."
                    )
                else:
                    order.sites.append(key)
                    site(key)
            if not resource.get("bodySite"):
                problems.append(f"{ref}: no body site, so the order was not checked.")
            orders.append(order)
        if orders and not has_milia:
            problems.append(
                "No active milia condition (ICD-10-CM "
                f"{icd10_code}) in the prefetched conditions: the rules did not run."
            )

    patients = _resources(prefetch.get("patient"), "Patient")
    age = _age_years(patients[0].get("birthDate"), today) if patients else None
    if (has_milia or orders) and age is None:
        problems.append(
            "Patient: no birth date in the prefetched Patient, so the rules did not run."
        )
    facts = None
    if has_milia and age is not None and sites:
        for key in sites:
            missing = {"count", "largest_mm", "months_present"} - found.get(key, set())
            if missing:
                assumptions.append(
                    f"{rules.site_title(*key)}: no "
                    + ", ".join(_FACT_WORDS[name] for name in sorted(missing))
                    + " observation; the rules took "
                    + ", ".join(_FACT_DEFAULTS[name] for name in sorted(missing))
                    + "."
                )
        assumptions.append(
            "Pregnancy, breastfeeding, skin type, cold intolerance, recent isotretinoin, cold "
            "sores and the other patient facts are not read from the EHR: the rules took them "
            "as absent. Check them before acting."
        )
        candidate = {"patient": {"age_years": age}, "sites": list(sites.values())}
        errors = rules.validate_case(candidate)
        if errors:
            problems.extend(f"{path}: {'; '.join(messages)}" for path, messages in errors.items())
        else:
            facts = candidate
    elif has_milia and not sites and not orders:
        problems.append("The milia condition names no body site the rules know.")
    return Mapped(facts, list(sites), orders, has_milia, problems, assumptions)


_FACT_WORDS = {"count": "count", "largest_mm": "size", "months_present": "duration"}
_FACT_DEFAULTS = {
    "count": "1 milium",
    "largest_mm": "1 mm",
    "months_present": "0 months",
}


# --- From the rules' result to cards ----------------------------------------------------------

# Which (rule, treatment) pairs make a treatment contraindicated: the rows of the rule table.
CONTRAINDICATING = frozenset(
    (rule.id, rule.treatment)
    for rule in rules.RULES
    if rule.kind == "verdict" and rule.status == "contraindicated"
)
_SAFE = ("recommended", "consider")


@dataclass(frozen=True)
class IssuedCard:
    """A card and the rule it speaks for (empty for the options and problems cards)."""

    card: dict
    rule: str


def summary(text: str) -> str:
    """A card summary: under 140 characters, cut on a word with an ellipsis when longer."""
    text = " ".join(text.split())
    if len(text) <= SUMMARY_MAX:
        return text
    return text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def treatment_concept(treatment: str) -> dict:
    """A treatment as a CodeableConcept: the clinic's code, and SNOMED CT where sourced."""
    codings = [
        {"system": TREATMENT_SYSTEM, "code": treatment, "display": TREATMENT_NAMES[treatment]}
    ]
    if treatment in SNOMED_TREATMENTS:
        code, display = SNOMED_TREATMENTS[treatment]
        codings.append({"system": SNOMED, "code": code, "display": display})
    return {"coding": codings, "text": TREATMENT_NAMES[treatment]}


def _source(result: rules.CaseResult, finding: rules.Finding | None, rule_url) -> dict:
    if finding is None:
        return {"label": f"Milia Clinic rules {result.rules_version}", "url": rule_url(None)}
    label = f"Milia Clinic rules {result.rules_version} · {finding.rule} · {finding.source}"
    return {"label": label[:200], "url": rule_url(finding.rule)}


def _card(new_uuid, summary_text, indicator, detail, source) -> dict:
    return {
        "uuid": new_uuid(),
        "summary": summary(summary_text),
        "indicator": indicator,
        "detail": detail,
        "source": source,
    }


def _replacement(order: Order, site_result: rules.SiteResult, new_uuid) -> list[dict]:
    """Replace the order by the first safe option at the site, when there is one."""
    safe = [
        option
        for option in site_result.options
        if option.status in _SAFE and option.treatment != order.treatment
    ]
    if not safe:
        return []
    best = safe[0].treatment
    where = rules.site_words(site_result.location, site_result.side)
    resource = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": order.resource.get("intent") or "proposal",
        "code": treatment_concept(best),
        "subject": order.resource.get("subject") or {},
        "bodySite": order.resource.get("bodySite") or [],
    }
    return [
        {
            "label": summary(f"Replace with {_treatment_words(best)} at the {where}"),
            "uuid": new_uuid(),
            "isRecommended": True,
            "actions": [
                {
                    "type": "delete",
                    "description": f"Remove the {_treatment_words(order.treatment)} order.",
                    "resourceId": order.ref,
                },
                {
                    "type": "create",
                    "description": f"Order {_treatment_words(best)} at the {where} instead.",
                    "resource": resource,
                },
            ],
        }
    ]


def _options_lines(options: tuple[rules.Option, ...]) -> str:
    lines = []
    for option in options:
        rule_ids = ", ".join(f.rule for f in option.reasons) or "no rule"
        lines.append(
            f"{option.rank}. **{TREATMENT_NAMES[option.treatment]}**: "
            f"{_status_words(option.status)} ({rule_ids})"
        )
    return "\n".join(lines)


def _problems_card(problems: list[str], result, rule_url, new_uuid) -> IssuedCard:
    detail = "Some of the EHR's data could not be used:\n\n" + "\n".join(
        f"- {problem}" for problem in problems
    )
    source = {
        "label": "Milia Clinic rules" + (f" {result.rules_version}" if result else ""),
        "url": rule_url(None),
    }
    text = "Milia check: some of the EHR's data could not be used"
    return IssuedCard(_card(new_uuid, text, "info", detail, source), "")


def _order_cards(mapped, result, rule_url, new_uuid) -> list[IssuedCard]:
    cards: list[IssuedCard] = []
    index_of = {key: index for index, key in enumerate(mapped.site_keys)}
    shown_sites: list[int] = []
    for order in mapped.orders:
        name = TREATMENT_NAMES[order.treatment]
        for key in order.sites:
            site_result = result.sites[index_of[key]]
            where = rules.site_words(*key)
            option = next(o for o in site_result.options if o.treatment == order.treatment)
            if index_of[key] not in shown_sites:
                shown_sites.append(index_of[key])
            if option.status == "contraindicated":
                suggestions = _replacement(order, site_result, new_uuid)
                for finding in option.reasons:
                    if (finding.rule, order.treatment) not in CONTRAINDICATING:
                        continue
                    card = _card(
                        new_uuid,
                        f"{name} is contraindicated at the {where} ({finding.rule})",
                        "critical",
                        f"{finding.text}\n\nSource: {finding.source}.",
                        _source(result, finding, rule_url),
                    )
                    card["overrideReasons"] = [
                        {"system": OVERRIDE_SYSTEM, "code": code, "display": display}
                        for code, display in OVERRIDE_REASONS
                    ]
                    if suggestions:
                        card["suggestions"] = suggestions
                        card["selectionBehavior"] = "at-most-one"
                        suggestions = []  # offered once, on the first reason
                    cards.append(IssuedCard(card, finding.rule))
                continue
            for finding in option.cautions:
                card = _card(
                    new_uuid,
                    f"{name} at the {where}: {finding.text}",
                    "warning",
                    f"{finding.text}\n\nSource: {finding.source}.",
                    _source(result, finding, rule_url),
                )
                cards.append(IssuedCard(card, finding.rule))
    for index in shown_sites:
        cards.append(_site_options_card(result, result.sites[index], mapped, rule_url, new_uuid))
    return cards


def _site_options_card(result, site_result, mapped, rule_url, new_uuid) -> IssuedCard:
    where = rules.site_words(site_result.location, site_result.side)
    first = site_result.options[0]
    text = (
        f"Milia options at the {where}: {_treatment_words(first.treatment)} first "
        f"({_status_words(first.status)})"
    )
    detail = _options_lines(site_result.options)
    if mapped.assumptions:
        detail += "\n\n" + "\n".join(f"- {line}" for line in mapped.assumptions)
    finding = first.reasons[0] if first.reasons else None
    return IssuedCard(_card(new_uuid, text, "info", detail, _source(result, finding, rule_url)), "")


def _case_options_card(result, mapped, rule_url, new_uuid) -> IssuedCard:
    first = result.options[0]
    text = (
        f"Milia options: {_treatment_words(first.treatment)} first "
        f"({_status_words(first.status)}), rules {result.rules_version}"
    )
    detail = _options_lines(result.options)
    for site_result in result.sites:
        excluded = [
            _treatment_words(o.treatment)
            for o in site_result.options
            if o.status == "contraindicated"
        ]
        if excluded:
            where = rules.site_words(site_result.location, site_result.side)
            detail += f"\n\nNot at the {where}: {', '.join(excluded)}."
    if result.advice:
        detail += "\n\n" + "\n".join(f"- {f.text} ({f.rule})" for f in result.advice)
    if mapped.assumptions:
        detail += "\n\n" + "\n".join(f"- {line}" for line in mapped.assumptions)
    finding = first.reasons[0] if first.reasons else None
    return IssuedCard(_card(new_uuid, text, "info", detail, _source(result, finding, rule_url)), "")


def evaluate(mapped: Mapped, thresholds: rules.Thresholds) -> rules.CaseResult | None:
    if mapped.facts is None:
        return None
    return rules.evaluate(rules.CaseFacts.from_dict(mapped.facts), thresholds)


def cards_for(
    hook: str,
    mapped: Mapped,
    result: rules.CaseResult | None,
    *,
    rule_url: Callable[[str | None], str],
    new_uuid: Callable[[], str],
) -> list[IssuedCard]:
    """The cards answering a hook, most urgent first.

    Order hooks: a ``critical`` card per rule that contraindicates an ordered treatment at its
    site (with override reasons, and a suggestion to replace the order by the first safe option
    there), a ``warning`` card per caution, an ``info`` card with the ranked options at each
    ordered site. patient-view: an ``info`` card with the options when milia are charted.
    An ``info`` card names whatever could not be used. No milia order, no milia: no cards.
    """
    cards: list[IssuedCard] = []
    if hook in ORDER_HOOKS:
        if not mapped.orders:
            return []
        if result is not None:
            cards = _order_cards(mapped, result, rule_url, new_uuid)
    elif mapped.has_milia and result is not None:
        cards = [_case_options_card(result, mapped, rule_url, new_uuid)]
    elif not mapped.has_milia:
        return []
    if mapped.problems:
        cards.append(_problems_card(mapped.problems, result, rule_url, new_uuid))
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(cards, key=lambda issued: order[issued.card["indicator"]])
