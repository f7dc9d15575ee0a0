"""The clinical rules: the facts of one milia case in, ranked treatment options out.

A functional core: pure Python, standard library only. No Django, no database, no clock, no
randomness; the same facts and thresholds always give the same result. The web pages, the JSON
API and the command line all call `recommend` (or `CaseFacts.from_dict` then `evaluate`).

Input is validated whole before anything is evaluated (`CaseFacts.from_dict` raises
`InvalidCase` naming every problem by path, e.g. ``sites[0].count``); bad input is never
half-evaluated.

Rules are rows of the `RULES` table. Each row names its rule id, the treatment it speaks about
(None for case-level advice), its kind (``verdict``, ``caution`` or ``advice``), the status a
verdict gives, a tiny named predicate ``applies(patient, site, case, thresholds)``, the
plain-language text a clinician reads, and the source it rests on. One id may have a row per
treatment it speaks about (``FITZ-PIGMENT`` has three); an (id, treatment) pair is unique.

Hit policy
----------
* Every rule that applies contributes: a verdict its reason, a caution its caution, an advice row
  its advice. Nothing is dropped because a stronger rule also applied.
* At a site, a treatment's status is the strongest verdict among the rules that apply:
  ``contraindicated`` beats everything, then ``recommended`` > ``consider`` > ``not_indicated``.
  Its reasons are listed strongest verdict first, then in table order.
* A rule that recommends a treatment holds only where that treatment has not already been tried
  without success; there ``TRIED-FAILED`` says not indicated instead (a treatment that failed at
  a site is never recommended again for it; the clinician may still choose it, with a reason).
* A ``limit`` row caps a treatment's status at a site (``consider`` at most, or
  ``not_indicated``): the status is the strongest verdict, then lowered to the tightest limit that
  applies. A limit never lowers ``contraindicated``. A limit that lowered the status opens the
  reasons; one that did not is listed after the verdicts.
* Cautions never change a status (they only order options of equal status: fewer cautions first).
* For the whole case, a treatment's status is the best of its site statuses at the sites where it
  is not contraindicated; it is contraindicated only if it is contraindicated at every site. Its
  reasons are those of the sites that reached that status; its cautions those of every site where
  it is not contraindicated (all sites when contraindicated everywhere), each rule id once, in
  site order. If it is contraindicated at some sites only, a ``SITE-EXCLUDED`` caution names them.
* Options are ranked 1..5 by status (recommended, consider, not_indicated, contraindicated), then
  fewer cautions first, then the order of `TREATMENTS`. At an eye-area site a peel or a retinoid
  ranks after the other options of its status, and is never first while any other option there
  is not contraindicated: the one exception to ranking by status (DESIGN §3a row 1).

Versioning
----------
`RULES_BASE_VERSION` is the version of the rule table: bump it whenever a rule, a text, a source,
a course or the hit policy changes. `rules_version(thresholds)` appends a fingerprint of the
thresholds when they differ from the defaults, so stored advice always says what produced it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

__all__ = [
    "CHANGE_LOG",
    "DEFAULT_THRESHOLDS",
    "DEPTHS",
    "EYE_AREA",
    "FACE_AREA",
    "LOCATIONS",
    "MAX_AGE_YEARS",
    "MAX_COUNT",
    "MAX_LARGEST_MM",
    "MAX_MONTHS_PRESENT",
    "MAX_SITES",
    "MAX_TRIED",
    "MILIA_TYPES",
    "MUCOSAL_AREA",
    "PROCEDURES",
    "RULES",
    "RULES_BASE_VERSION",
    "SIDES",
    "STATUSES",
    "THRESHOLD_SOURCES",
    "TREATMENTS",
    "CaseAggregates",
    "CaseFacts",
    "CaseResult",
    "Course",
    "COURSES",
    "Finding",
    "InvalidCase",
    "Option",
    "PatientFacts",
    "Rule",
    "SiteFacts",
    "SiteResult",
    "Thresholds",
    "TriedTreatment",
    "aggregate",
    "evaluate",
    "recommend",
    "rules_version",
    "site_words",
    "validate_case",
]

RULES_BASE_VERSION = "2026.2"

# What changed in each version of the rule table, newest first: shown on the rules reference page.
CHANGE_LOG: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "2026.2",
        (
            "Eye area: a peel or a retinoid is at most 'consider' and never the first option; "
            "keep acid off the lids and the cream away from the eyes (PEEL-EYE, RET-EYE).",
            "Genital sites: no peel and no retinoid (PEEL-MUCOSA, RET-MUCOSA).",
            "Widespread now counts distinct locations (both sides of one area count once) or the "
            "total number of milia.",
            "CO2 laser is recommended only for deep milia or where extraction failed at the site; "
            "after another failed treatment it is 'consider' (LASER-RESISTED, LASER-OTHER-FAILED).",
            "Corneal shields for laser near the lids (LASER-EYE-SHIELD). EYE-DELICATE is "
            "retired: PEEL-EYE-GUARD, RET-EYE-AWAY and LASER-EYE-SHIELD replace it.",
            "Confirm the diagnosis before destroying large, resistant or unusual milia "
            "(DX-CONFIRM); warning signs at a site rule out cryotherapy and laser there "
            "(RED-FLAGS).",
            "A site's location is required; 'neonatal' is refused from age 1; persistent milia "
            "in a baby prompt a search for a syndrome (NEO-PERSISTENT).",
            "Secondary milia: look for the cause (SECONDARY-CAUSE); eruptive or persistent "
            "childhood milia: consider inherited syndromes (SYNDROME-CHECK).",
            "Pregnancy: peels with glycolic or lactic acid only (PEEL-PREGNANT); defer laser "
            "(LASER-PREGNANT).",
            "Active inflammation at a site rules out procedures there until it settles (INFLAMED).",
            "New patient cautions: keloids (KELOID), anticoagulants (ANTICOAGULANT), "
            "photosensitising drugs (PHOTOSENSITISING), children aged 1 to 12 (CHILD-PROCEDURE).",
            "Texts say what the tretinoin label says (pregnancy category C; caution when "
            "nursing); laser cautions cite laser sources.",
        ),
    ),
    ("2026.1", ("First rule table, from the clinical guide and DESIGN §3.",)),
)

# --- Vocabularies ------------------------------------------------------------------------------

TREATMENTS = ("extraction", "chemical_peel", "topical_retinoid", "cryotherapy", "co2_laser")
LOCATIONS = (
    "eyelid",
    "periorbital",
    "forehead",
    "temple",
    "cheek",
    "nose",
    "perioral",
    "chin",
    "jawline",
    "ear",
    "neck",
    "scalp",
    "trunk",
    "arm",
    "hand",
    "leg",
    "genital",
    "other",
)
EYE_AREA = frozenset({"eyelid", "periorbital"})
FACE_AREA = frozenset(LOCATIONS[: LOCATIONS.index("ear") + 1])  # eyelid .. ear
MUCOSAL_AREA = frozenset({"genital"})
SIDES = ("left", "right", "midline", "bilateral")
DEPTHS = ("superficial", "deep")
MILIA_TYPES = ("primary", "secondary", "neonatal", "milia_en_plaque", "multiple_eruptive", "unsure")
STATUSES = ("recommended", "consider", "not_indicated", "contraindicated")

PROCEDURES = frozenset({"extraction", "chemical_peel", "cryotherapy", "co2_laser"})

# Input limits (beyond them a value is refused as implausible).
MAX_SITES = 50
MAX_TRIED = 20
MAX_AGE_YEARS = 130
MAX_COUNT = 10_000
MAX_LARGEST_MM = 100
MAX_MONTHS_PRESENT = 1200


# --- Thresholds --------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_int(value)


_GUIDE_EXTRACTION = "guide: Mechanical Extraction"
_GUIDE_PEELS = "guide: Chemical Peels"
_GUIDE_RETINOIDS = "guide: Topical Retinoids"
_GUIDE_CRYO = "guide: Cryotherapy"
_GUIDE_LASER = "guide: Laser Ablation"
_BERK_BAYLISS = "Berk & Bayliss, J Am Acad Dermatol 2008;59:1050–63"
_SAFETY_REVIEW = "Dermatology safety review of the rules (DESIGN §3a, 2026.2)"


def _threshold(default: int | float, source: str, basis: str) -> Any:
    return field(default=default, metadata={"source": source, "basis": basis})


@dataclass(frozen=True)
class Thresholds:
    """The numbers the rules compare against, each with the part of the guide it rests on.

    The guide speaks in words ("a small to moderate number", "large", "persistent"); the numbers
    are the clinic's reading of those words, which is why they can be overridden
    (`from_mapping`) and why any override changes `rules_version`.
    """

    FEW_MAX: int = _threshold(
        10,
        "guide: Mechanical Extraction",
        "Hand extraction is meant for a modest number of milia, not dozens; up to this many "
        "lesions at one site count as 'few'.",
    )
    MANY_MIN: int = _threshold(
        15,
        "guide: Chemical Peels",
        "Peels are for many milia spread over a larger area; from this many lesions in the whole "
        "case the milia count as widespread.",
    )
    WIDESPREAD_SITES: int = _threshold(
        3,
        "guide: Chemical Peels",
        "Peels are for milia over a broad area rather than single bumps; milia at this many "
        "sites or more count as spread over a broad area.",
    )
    LARGE_MM: float = _threshold(
        3.0,
        "guide: Cryotherapy",
        "Freezing is kept for larger milia; a site whose largest lesion is at least this many "
        "millimetres across counts as large.",
    )
    PERSISTENT_MONTHS: int = _threshold(
        12,
        "guide: Cryotherapy",
        "Freezing is kept for persistent milia, such as one that has stayed for years; a site "
        "present at least this many months counts as persistent.",
    )
    DX_CONFIRM_MM: float = _threshold(
        3.0,
        _BERK_BAYLISS,
        "Milia are 1 to 2 mm; a lesion larger than this many millimetres may be something else, "
        "so the diagnosis is confirmed before it is frozen or lasered.",
    )
    NEWBORN_PERSISTENT_MONTHS: int = _threshold(
        3,
        _BERK_BAYLISS,
        "Newborn milia clear within weeks; in a baby, milia present longer than this many months "
        "are not the usual newborn kind.",
    )
    CHILD_MAX_AGE: int = _threshold(
        12,
        _SAFETY_REVIEW,
        "Children from 1 year up to this age get a caution on freezing and laser (pain and "
        "keeping still); persistent milia at these ages prompt a look for inherited syndromes.",
    )

    def __post_init__(self) -> None:
        problems = _threshold_problems(self)
        if problems:
            raise ValueError("invalid thresholds: " + "; ".join(problems))
        for name in _MM_THRESHOLDS:
            if isinstance(getattr(self, name), int):
                # One spelling per value, so equal thresholds give the same version fingerprint.
                object.__setattr__(self, name, float(getattr(self, name)))

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Any] | None) -> Thresholds:
        """Thresholds from a partial mapping of overrides, e.g. ``{"FEW_MAX": 8}``.

        Unknown names and bad values raise ValueError naming them.
        """
        if overrides is None:
            return DEFAULT_THRESHOLDS
        if not isinstance(overrides, Mapping):
            raise ValueError("thresholds must be a mapping of names to values")
        names = [f.name for f in fields(cls)]
        unknown = [str(key) for key in overrides if key not in names]
        if unknown:
            raise ValueError(
                f"unknown threshold(s): {', '.join(unknown)}; allowed: {', '.join(names)}"
            )
        return cls(**overrides)


_WHOLE_MINIMUMS = {
    "FEW_MAX": 1,
    "MANY_MIN": 1,
    "WIDESPREAD_SITES": 1,
    "PERSISTENT_MONTHS": 0,
    "NEWBORN_PERSISTENT_MONTHS": 0,
    "CHILD_MAX_AGE": 1,
}
_MM_THRESHOLDS = ("LARGE_MM", "DX_CONFIRM_MM")


def _threshold_problems(thresholds: Thresholds) -> list[str]:
    problems = []
    for name, minimum in _WHOLE_MINIMUMS.items():
        value = getattr(thresholds, name)
        if not (_is_int(value) and value >= minimum):
            problems.append(f"{name} must be a whole number of at least {minimum} (got {value!r})")
    for name in _MM_THRESHOLDS:
        value = getattr(thresholds, name)
        if not (_is_number(value) and value > 0):
            problems.append(f"{name} must be a number greater than 0 (got {value!r})")
    return problems


DEFAULT_THRESHOLDS = Thresholds()

THRESHOLD_SOURCES: dict[str, dict[str, Any]] = {
    f.name: {"default": f.default, "source": f.metadata["source"], "basis": f.metadata["basis"]}
    for f in fields(Thresholds)
}


@lru_cache(maxsize=64)
def rules_version(thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """`RULES_BASE_VERSION`, plus ``+t`` and a fingerprint of the thresholds unless the defaults."""
    if thresholds == DEFAULT_THRESHOLDS:
        return RULES_BASE_VERSION
    canonical = json.dumps(
        {f.name: getattr(thresholds, f.name) for f in fields(Thresholds)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return f"{RULES_BASE_VERSION}+t{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"


# --- Input facts -------------------------------------------------------------------------------
# The dataclass defaults below are the one place where the defaults of optional input fields
# are written; `from_dict` fills every missing field from them.


@dataclass(frozen=True, slots=True)
class PatientFacts:
    age_years: int | float
    fitzpatrick: int | None = None  # None: skin type not recorded
    pregnant: bool = False
    breastfeeding: bool = False
    isotretinoin_last_6_months: bool = False
    herpes_simplex_history: bool = False
    cold_intolerance: bool = False
    keloid_tendency: bool = False
    anticoagulant: bool = False
    photosensitising_drug: bool = False

    @classmethod
    def from_dict(cls, data: Any) -> PatientFacts:
        return _build(_check_patient, data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "age_years": self.age_years,
            "fitzpatrick": self.fitzpatrick,
            "pregnant": self.pregnant,
            "breastfeeding": self.breastfeeding,
            "isotretinoin_last_6_months": self.isotretinoin_last_6_months,
            "herpes_simplex_history": self.herpes_simplex_history,
            "cold_intolerance": self.cold_intolerance,
            "keloid_tendency": self.keloid_tendency,
            "anticoagulant": self.anticoagulant,
            "photosensitising_drug": self.photosensitising_drug,
        }


@dataclass(frozen=True, slots=True)
class TriedTreatment:
    treatment: str
    worked: bool = False

    @classmethod
    def from_dict(cls, data: Any) -> TriedTreatment:
        return _build(_check_tried, data)

    def to_dict(self) -> dict[str, Any]:
        return {"treatment": self.treatment, "worked": self.worked}


@dataclass(frozen=True, slots=True)
class SiteFacts:
    location: str
    side: str = "midline"
    count: int = 1
    largest_mm: int | float = 1.0
    depth: str = "superficial"
    months_present: int = 0
    tried: tuple[TriedTreatment, ...] = ()
    red_flags: bool = False  # enlarging, bleeding, ulcerated or pigmented
    active_inflammation: bool = False  # infection, a cold sore or dermatitis at the site

    @property
    def eye_area(self) -> bool:
        return self.location in EYE_AREA

    @classmethod
    def from_dict(cls, data: Any) -> SiteFacts:
        return _build(_check_site, data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "side": self.side,
            "count": self.count,
            "largest_mm": self.largest_mm,
            "depth": self.depth,
            "months_present": self.months_present,
            "tried": [tried.to_dict() for tried in self.tried],
            "red_flags": self.red_flags,
            "active_inflammation": self.active_inflammation,
        }


@dataclass(frozen=True, slots=True)
class CaseFacts:
    patient: PatientFacts
    sites: tuple[SiteFacts, ...]
    milia_type: str = "primary"
    recurrent: bool = False

    @classmethod
    def from_dict(cls, data: Any) -> CaseFacts:
        """Validate the whole input, then build the facts; raise `InvalidCase` on any problem."""
        return _build(_check_case, data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient": self.patient.to_dict(),
            "milia_type": self.milia_type,
            "recurrent": self.recurrent,
            "sites": [site.to_dict() for site in self.sites],
        }


class InvalidCase(Exception):
    """The input was refused; ``errors`` maps each field path to its problems, in field order."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(
            "invalid case: "
            + "; ".join(
                f"{path}: {message}" if path else message
                for path, messages in errors.items()
                for message in messages
            )
        )


def validate_case(data: Any) -> dict[str, list[str]]:
    """Every problem with a case input, path -> messages (empty: valid). Never raises."""
    errors: dict[str, list[str]] = {}
    _check_case(data, "", errors)
    return errors


# --- Validation --------------------------------------------------------------------------------
# A check takes a value and returns a message or None. A checker takes (value, path, errors)
# and returns the built value, or _BAD after recording its problems in `errors`.
# Paths: "" is the input itself, then "patient.age_years", "sites[0].tried[1].treatment".

_BAD: Any = object()


def _one_of(allowed: tuple[str, ...]) -> Callable[[Any], str | None]:
    allowed_set = frozenset(allowed)
    message = "must be one of: " + ", ".join(allowed)

    def check(value: Any) -> str | None:
        return None if isinstance(value, str) and value in allowed_set else message

    return check


def _boolean(value: Any) -> str | None:
    return None if value is True or value is False else "must be true or false"


def _not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _age_years(value: Any) -> str | None:
    if _not_finite(value):
        return "must be a finite number"
    if _is_number(value) and 0 <= value <= MAX_AGE_YEARS:
        return None
    return f"must be a number from 0 to {MAX_AGE_YEARS}"


def _fitzpatrick(value: Any) -> str | None:
    if value is None or (_is_int(value) and 1 <= value <= 6):
        return None
    return "must be a whole number from 1 to 6"


def _count(value: Any) -> str | None:
    if not (_is_int(value) and value >= 1):
        return "must be a whole number of at least 1"
    return f"must be at most {MAX_COUNT}" if value > MAX_COUNT else None


def _largest_mm(value: Any) -> str | None:
    if _not_finite(value):
        return "must be a finite number"
    if not (_is_number(value) and value > 0):
        return "must be a number greater than 0"
    return f"must be at most {MAX_LARGEST_MM}" if value > MAX_LARGEST_MM else None


def _months_present(value: Any) -> str | None:
    if not (_is_int(value) and value >= 0):
        return "must be a whole number of at least 0"
    return f"must be at most {MAX_MONTHS_PRESENT}" if value > MAX_MONTHS_PRESENT else None


def _list_of(
    item: Callable[[Any, str, dict], Any], low: int, high: int, message: str
) -> Callable[[Any, str, dict], Any]:
    def checker(value: Any, path: str, errors: dict[str, list[str]]) -> Any:
        if not isinstance(value, list | tuple):
            errors.setdefault(path, []).append(message)
            return _BAD
        ok = low <= len(value) <= high
        if not ok:
            errors.setdefault(path, []).append(message)
        items = []
        # Items past the limit are not inspected: the length problem already refuses the input.
        for index, element in enumerate(value[:high]):
            built = item(element, f"{path}[{index}]", errors)
            if built is _BAD:
                ok = False
            items.append(built)
        return tuple(items) if ok else _BAD

    return checker


def _object(
    cls: type, spec: tuple[tuple[str, Callable, bool], ...], required: set[str]
) -> Callable[[Any, str, dict], Any]:
    """A checker for an object whose fields are (name, check, nested) in `spec`.

    A nested check is a checker(value, path, errors); any other check is check(value) returning a
    message or None, and its path is only spelled out when there is a problem.
    """
    names = tuple(name for name, _, _ in spec)
    name_set = frozenset(names)
    if name_set != {f.name for f in fields(cls)}:
        raise TypeError(f"the input fields of {cls.__name__} do not match its dataclass fields")
    unknown_message = "unknown field; allowed: " + ", ".join(names)

    def checker(value: Any, path: str, errors: dict[str, list[str]]) -> Any:
        if not isinstance(value, dict):
            errors.setdefault(path, []).append("must be an object")
            return _BAD
        prefix = f"{path}." if path else ""
        values = {}
        ok = True
        for name, check, nested in spec:
            if name in value:
                if nested:
                    built = check(value[name], prefix + name, errors)
                    if built is _BAD:
                        ok = False
                    else:
                        values[name] = built
                else:
                    message = check(value[name])
                    if message is None:
                        values[name] = value[name]
                    else:
                        errors.setdefault(prefix + name, []).append(message)
                        ok = False
            elif name in required:
                errors.setdefault(prefix + name, []).append("is required")
                ok = False
        if len(value) > len(values) or not ok:
            for key in value:
                if key not in name_set:
                    errors.setdefault(f"{prefix}{key}", []).append(unknown_message)
                    ok = False
        return cls(**values) if ok else _BAD

    return checker


_check_patient = _object(
    PatientFacts,
    (
        ("age_years", _age_years, False),
        ("fitzpatrick", _fitzpatrick, False),
        ("pregnant", _boolean, False),
        ("breastfeeding", _boolean, False),
        ("isotretinoin_last_6_months", _boolean, False),
        ("herpes_simplex_history", _boolean, False),
        ("cold_intolerance", _boolean, False),
        ("keloid_tendency", _boolean, False),
        ("anticoagulant", _boolean, False),
        ("photosensitising_drug", _boolean, False),
    ),
    required={"age_years"},
)
_check_tried = _object(
    TriedTreatment,
    (("treatment", _one_of(TREATMENTS), False), ("worked", _boolean, False)),
    required={"treatment"},
)
_check_site = _object(
    SiteFacts,
    (
        ("location", _one_of(LOCATIONS), False),
        ("side", _one_of(SIDES), False),
        ("count", _count, False),
        ("largest_mm", _largest_mm, False),
        ("depth", _one_of(DEPTHS), False),
        ("months_present", _months_present, False),
        (
            "tried",
            _list_of(
                _check_tried,
                0,
                MAX_TRIED,
                f"must be a list of at most {MAX_TRIED} tried treatments",
            ),
            True,
        ),
        ("red_flags", _boolean, False),
        ("active_inflammation", _boolean, False),
    ),
    required={"location"},
)
_check_case_object = _object(
    CaseFacts,
    (
        ("patient", _check_patient, True),
        ("milia_type", _one_of(MILIA_TYPES), False),
        ("recurrent", _boolean, False),
        (
            "sites",
            _list_of(_check_site, 1, MAX_SITES, f"must be a list of 1 to {MAX_SITES} sites"),
            True,
        ),
    ),
    required={"sites"},
)


def _check_case(value: Any, path: str, errors: dict[str, list[str]]) -> Any:
    # A missing patient is reported as its one required field, the most useful thing to say.
    if isinstance(value, dict) and "patient" not in value:
        value = {"patient": {}, **value}
    built = _check_case_object(value, path, errors)
    if isinstance(value, dict) and value.get("milia_type") == "neonatal":
        age = value["patient"].get("age_years") if isinstance(value["patient"], dict) else None
        if _age_years(age) is None and age >= 1:
            # Newborn milia clear within weeks of birth; from age 1 the type is another one.
            errors.setdefault("milia_type", []).append(
                "neonatal milia are for a baby under 1 year; choose another type for this "
                f"patient (patient.age_years is {age})"
            )
            return _BAD
    return built


def _build(checker: Callable[[Any, str, dict], Any], data: Any) -> Any:
    errors: dict[str, list[str]] = {}
    built = checker(data, "", errors)
    if errors or built is _BAD:
        raise InvalidCase(errors)
    return built


# --- Output ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason, caution or piece of advice: the rule that said it, what it says, and why."""

    rule: str
    text: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(data["rule"], data["text"], data["source"])


@dataclass(frozen=True, slots=True)
class Course:
    """The typical course of a treatment (None: not counted in sessions or intervals)."""

    sessions: int | None
    interval_weeks: int | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"sessions": self.sessions, "interval_weeks": self.interval_weeks, "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Course:
        return cls(data["sessions"], data["interval_weeks"], data.get("note", ""))


@dataclass(frozen=True, slots=True)
class Option:
    treatment: str
    status: str
    rank: int
    reasons: tuple[Finding, ...]
    cautions: tuple[Finding, ...]
    course: Course

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "status": self.status,
            "rank": self.rank,
            "reasons": [{"rule": f.rule, "text": f.text, "source": f.source} for f in self.reasons],
            "cautions": [
                {"rule": f.rule, "text": f.text, "source": f.source} for f in self.cautions
            ],
            "course": self.course.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Option:
        return cls(
            data["treatment"],
            data["status"],
            data["rank"],
            tuple(Finding.from_dict(f) for f in data["reasons"]),
            tuple(Finding.from_dict(f) for f in data["cautions"]),
            Course.from_dict(data["course"]),
        )


@dataclass(frozen=True, slots=True)
class SiteResult:
    index: int
    location: str
    side: str
    eye_area: bool
    options: tuple[Option, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "location": self.location,
            "side": self.side,
            "eye_area": self.eye_area,
            "options": [option.to_dict() for option in self.options],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SiteResult:
        return cls(
            data["index"],
            data["location"],
            data["side"],
            data["eye_area"],
            tuple(Option.from_dict(o) for o in data["options"]),
        )


@dataclass(frozen=True, slots=True)
class CaseResult:
    rules_version: str
    options: tuple[Option, ...]
    sites: tuple[SiteResult, ...]
    advice: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules_version": self.rules_version,
            "options": [option.to_dict() for option in self.options],
            "sites": [site.to_dict() for site in self.sites],
            "advice": [finding.to_dict() for finding in self.advice],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseResult:
        """Rebuild a result from its `to_dict` form (e.g. stored advice). Trusts its input."""
        return cls(
            data["rules_version"],
            tuple(Option.from_dict(o) for o in data["options"]),
            tuple(SiteResult.from_dict(s) for s in data["sites"]),
            tuple(Finding.from_dict(f) for f in data["advice"]),
        )


COURSES: dict[str, Course] = {
    "extraction": Course(1, None, "One visit; each milium takes less than a minute to remove."),
    "chemical_peel": Course(4, 3, "A series of 4 to 6 peels, spaced a few weeks apart."),
    "topical_retinoid": Course(
        None,
        None,
        "Applied at home at night, a few nights a week at first, more often as the skin "
        "tolerates it; results build over several months.",
    ),
    "cryotherapy": Course(1, None, "One treatment; the scab comes away by itself within a week."),
    "co2_laser": Course(1, None, "One procedure; the tiny crusts come away in 5 to 7 days."),
}


# --- The rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseAggregates:
    """Facts about the whole case that site rules need, computed once per evaluation."""

    newborn: bool
    newborn_persistent: bool  # a baby whose milia have lasted beyond the newborn weeks
    child: bool  # from 1 year up to CHILD_MAX_AGE
    childhood_persistent: bool  # a child whose milia have lasted PERSISTENT_MONTHS or more
    widespread: bool
    total_count: int
    location_count: int  # distinct locations: the left and right of one area count once
    milia_type: str
    recurrent: bool
    red_flags: bool  # warning signs at any site


Predicate = Callable[[PatientFacts, SiteFacts | None, CaseAggregates, Thresholds], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the rule table.

    Advice rows have no treatment. Predicates marked `case_level` (all advice predicates among
    them) read no site fact: they are called once per case, with ``site=None``.
    """

    id: str
    treatment: str | None
    kind: str  # "verdict", "limit", "caution" or "advice"
    status: str | None  # the status a verdict gives, or the most a limit allows; else None
    applies: Predicate
    text: str
    source: str

    @property
    def finding(self) -> Finding:
        return Finding(self.id, self.text, self.source)


def aggregate(case: CaseFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> CaseAggregates:
    total = sum(site.count for site in case.sites)
    locations = len({site.location for site in case.sites})
    age = case.patient.age_years
    newborn = case.milia_type == "neonatal" or age < 1
    longest = max(site.months_present for site in case.sites)
    # Age in completed years, as the app counts it: 12.5 is "aged 12", still a child.
    child = 1 <= age < thresholds.CHILD_MAX_AGE + 1
    return CaseAggregates(
        newborn=newborn,
        newborn_persistent=newborn and longest > thresholds.NEWBORN_PERSISTENT_MONTHS,
        child=child,
        childhood_persistent=child and longest >= thresholds.PERSISTENT_MONTHS,
        widespread=total >= thresholds.MANY_MIN or locations >= thresholds.WIDESPREAD_SITES,
        total_count=total,
        location_count=locations,
        milia_type=case.milia_type,
        recurrent=case.recurrent,
        red_flags=any(site.red_flags for site in case.sites),
    )


def _resisted(site: SiteFacts, except_treatment: str) -> bool:
    """Some treatment other than `except_treatment` was tried at this site and did not work."""
    return any(not tried.worked and tried.treatment != except_treatment for tried in site.tried)


def _failed_here(site: SiteFacts, treatment: str) -> bool:
    return any(tried.treatment == treatment and not tried.worked for tried in site.tried)


def _large_persistent(site: SiteFacts, th: Thresholds) -> bool:
    return site.largest_mm >= th.LARGE_MM and (
        site.months_present >= th.PERSISTENT_MONTHS or _resisted(site, "cryotherapy")
    )


def case_level(predicate: Predicate) -> Predicate:
    """Mark a predicate that reads no site fact: it is evaluated once per case, not per site."""
    predicate.case_level = True  # type: ignore[attr-defined]
    return predicate


# Predicates: (patient, site, case aggregates, thresholds) -> bool. Every indication rule
# (anything but a contraindication, limit, caution or the newborn rule) holds only when not
# newborn.


def few_superficial(p, s, c, th):
    return not c.newborn and s.depth == "superficial" and s.count <= th.FEW_MAX


def few_superficial_eye_area(p, s, c, th):
    return few_superficial(p, s, c, th) and s.location in EYE_AREA


def many_at_site(p, s, c, th):
    return not c.newborn and s.count > th.FEW_MAX


def deep(p, s, c, th):
    return not c.newborn and s.depth == "deep"


def large_persistent(p, s, c, th):
    return not c.newborn and _large_persistent(s, th)


def not_large_persistent(p, s, c, th):
    return not c.newborn and not _large_persistent(s, th)


def eye_area(p, s, c, th):
    return s.location in EYE_AREA


def mucosal_area(p, s, c, th):
    return s.location in MUCOSAL_AREA


def extraction_failed_here(p, s, c, th):
    return not c.newborn and _failed_here(s, "extraction")


def other_than_extraction_or_laser_failed(p, s, c, th):
    return not c.newborn and any(
        not tried.worked and tried.treatment not in ("extraction", "co2_laser") for tried in s.tried
    )


def neither_deep_nor_resisted(p, s, c, th):
    return not c.newborn and s.depth != "deep" and not _resisted(s, "co2_laser")


def diagnosis_in_doubt(p, s, c, th):
    """Large for a milium, resisted two treatments, or a type that mimics other lesions."""
    failed = {tried.treatment for tried in s.tried if not tried.worked}
    return (
        s.largest_mm > th.DX_CONFIRM_MM
        or len(failed) >= 2
        or c.milia_type in ("secondary", "milia_en_plaque", "multiple_eruptive")
    )


def warning_signs(p, s, c, th):
    return s.red_flags


def inflamed(p, s, c, th):
    return s.active_inflammation


def _tried_without_success(treatment: str) -> Predicate:
    def tried_without_success(p, s, c, th):
        return _failed_here(s, treatment)

    tried_without_success.__name__ = f"tried_{treatment}_without_success"
    return tried_without_success


def _unless_failed_here(treatment: str, predicate: Predicate) -> Predicate:
    """A recommending rule holds only where the treatment has not already failed."""

    def applies(p, s, c, th):
        return predicate(p, s, c, th) and not _failed_here(s, treatment)

    applies.__name__ = f"{predicate.__name__}_unless_{treatment}_failed_here"
    return applies


@case_level
def widespread(p, s, c, th):
    return not c.newborn and c.widespread


@case_level
def not_widespread(p, s, c, th):
    return not c.newborn and not c.widespread


@case_level
def recurrent(p, s, c, th):
    return not c.newborn and c.recurrent


@case_level
def neither_recurrent_nor_widespread(p, s, c, th):
    return not c.newborn and not c.recurrent and not c.widespread


@case_level
def pregnant(p, s, c, th):
    return p.pregnant


@case_level
def breastfeeding(p, s, c, th):
    return p.breastfeeding


@case_level
def cold_intolerant(p, s, c, th):
    return p.cold_intolerance


@case_level
def keloid_tendency(p, s, c, th):
    return p.keloid_tendency


@case_level
def on_anticoagulant(p, s, c, th):
    return p.anticoagulant


@case_level
def photosensitising_drug(p, s, c, th):
    return p.photosensitising_drug


@case_level
def child(p, s, c, th):
    return c.child


@case_level
def newborn(p, s, c, th):
    return c.newborn


@case_level
def newborn_settling(p, s, c, th):
    return c.newborn and not c.newborn_persistent


@case_level
def newborn_persistent(p, s, c, th):
    return c.newborn_persistent


@case_level
def not_newborn(p, s, c, th):
    return not c.newborn


@case_level
def secondary(p, s, c, th):
    return c.milia_type == "secondary"


@case_level
def eruptive_or_persistent_in_childhood(p, s, c, th):
    return c.milia_type == "multiple_eruptive" or c.childhood_persistent


@case_level
def any_warning_signs(p, s, c, th):
    return c.red_flags


@case_level
def darker_skin_type(p, s, c, th):
    return p.fitzpatrick is not None and p.fitzpatrick >= 4


@case_level
def recent_isotretinoin(p, s, c, th):
    return p.isotretinoin_last_6_months


@case_level
def cold_sore_history(p, s, c, th):
    return p.herpes_simplex_history


@case_level
def always(p, s, c, th):
    return True


@case_level
def uncertain_type(p, s, c, th):
    return c.milia_type in ("unsure", "milia_en_plaque", "multiple_eruptive")


def _rows(
    rule_id: str,
    treatments: tuple[str | None, ...],
    kind: str,
    status: str | None,
    applies: Predicate,
    text: str,
    source: str,
) -> tuple[Rule, ...]:
    return tuple(Rule(rule_id, t, kind, status, applies, text, source) for t in treatments)


_TRETINOIN_LABEL = "Tretinoin prescribing information"
_IADVL_PEELS = "IADVL chemical peel guideline (Khunger et al. 2008)"
_TRIVEDI = "Trivedi et al., Int J Womens Dermatol 2017;3:6-10"
_CLEBAK = "Clebak et al., Am Fam Physician 2020;101:399-406"
_ALEXIS = "Alexis, Br J Dermatol 2013;169 Suppl 3:91-7"
_GILBERT = "Gilbert & McBurney, Dermatol Surg 2000;26:50-4"
_CRYO_PIGMENT = "Am Fam Physician 2004 (cryosurgery); IADVL chemical peel guideline"
_PROCEDURE_ROWS = ("extraction", "chemical_peel", "cryotherapy", "co2_laser")

# fmt: off
RULES: tuple[Rule, ...] = (
    # Extraction
    *_rows(
        "EXT-FEW", ("extraction",), "verdict", "recommended",
        _unless_failed_here("extraction", few_superficial),
        "Few superficial milia here: lifting each one out by hand through a tiny nick is the "
        "usual first choice and clears them in a single visit.",
        _GUIDE_EXTRACTION,
    ),
    *_rows(
        "EXT-EYE", ("extraction",), "verdict", "recommended",
        _unless_failed_here("extraction", few_superficial_eye_area),
        "Eye area: hand extraction is gentle enough for this thin, sensitive skin, where other "
        "methods can be too harsh.",
        _GUIDE_EXTRACTION,
    ),
    *_rows(
        "EXT-MANY", ("extraction",), "verdict", "consider", many_at_site,
        "Many milia here: removing them one at a time is possible but slow and laborious.",
        _GUIDE_EXTRACTION,
    ),
    *_rows(
        "EXT-DEEP", ("extraction",), "verdict", "consider", deep,
        "Deep-seated milia can be hard to lift out by hand.",
        _GUIDE_LASER,
    ),
    # Chemical peel
    *_rows(
        "PEEL-WIDESPREAD", ("chemical_peel",), "verdict", "recommended",
        _unless_failed_here("chemical_peel", widespread),
        "Many milia, or milia in several areas: a series of 4 to 6 light acid peels a few weeks "
        "apart thins them out across the whole area and helps stop new ones forming.",
        _GUIDE_PEELS,
    ),
    *_rows(
        "PEEL-FEW", ("chemical_peel",), "verdict", "not_indicated", not_widespread,
        "Few milia on a small area: resurfacing the whole area is not needed.",
        _GUIDE_PEELS,
    ),
    *_rows(
        "PEEL-EYE", ("chemical_peel",), "limit", "consider", eye_area,
        "Eye area: a peel is at most an option to consider here, never the first choice; acid "
        "on the thin eyelid skin or in the eye does harm.",
        _IADVL_PEELS,
    ),
    *_rows(
        "PEEL-EYE-GUARD", ("chemical_peel",), "caution", None, eye_area,
        "Keep the acid off the eyelids and out of the eyes; have eye wash ready.",
        _IADVL_PEELS,
    ),
    *_rows(
        "PEEL-MUCOSA", ("chemical_peel",), "limit", "not_indicated", mucosal_area,
        "Genital skin: peels are not used on mucous membranes or the skin next to them.",
        f"{_TRETINOIN_LABEL} (keep away from mucous membranes)",
    ),
    *_rows(
        "PEEL-PREGNANT", ("chemical_peel",), "caution", None, pregnant,
        "Pregnant: use a glycolic or lactic acid peel only; no salicylic acid and no TCA.",
        _TRIVEDI,
    ),
    # Topical retinoid
    *_rows(
        "RET-PREGNANT", ("topical_retinoid",), "verdict", "contraindicated", pregnant,
        "Pregnant: tretinoin is pregnancy category C on its label (use only if the benefit "
        "justifies the risk; birth defects have been reported). For milia that bar is not met: "
        "do not use it while pregnant.",
        f"{_TRETINOIN_LABEL} (pregnancy)",
    ),
    *_rows(
        "RET-RECURRENT", ("topical_retinoid",), "verdict", "recommended",
        _unless_failed_here("topical_retinoid", recurrent),
        "Milia keep coming back: a retinoid speeds up skin turnover and is the mainstay of "
        "long-term prevention.",
        _GUIDE_RETINOIDS,
    ),
    *_rows(
        "RET-WIDESPREAD", ("topical_retinoid",), "verdict", "recommended",
        _unless_failed_here("topical_retinoid", widespread),
        "Widespread milia: a retinoid gradually loosens existing milia and cuts down new ones.",
        _GUIDE_RETINOIDS,
    ),
    *_rows(
        "RET-PREVENT", ("topical_retinoid",), "verdict", "consider",
        neither_recurrent_nor_widespread,
        "Can help prevent new milia in anyone prone to them, but works slowly, over months.",
        _GUIDE_RETINOIDS,
    ),
    *_rows(
        "RET-EYE", ("topical_retinoid",), "limit", "consider", eye_area,
        "Eye area: a retinoid is at most an option to consider here, never the first choice.",
        f"{_TRETINOIN_LABEL} (keep away from the eyes)",
    ),
    *_rows(
        "RET-EYE-AWAY", ("topical_retinoid",), "caution", None, eye_area,
        "Keep the cream away from the eyes and the edges of the eyelids.",
        f"{_TRETINOIN_LABEL} (keep away from the eyes)",
    ),
    *_rows(
        "RET-MUCOSA", ("topical_retinoid",), "limit", "not_indicated", mucosal_area,
        "Genital skin: the label says to keep tretinoin away from mucous membranes.",
        f"{_TRETINOIN_LABEL} (keep away from mucous membranes)",
    ),
    *_rows(
        "RET-BREASTFEEDING", ("topical_retinoid",), "caution", None, breastfeeding,
        "Breastfeeding: the label advises caution when nursing; little tretinoin is absorbed "
        "through the skin. Keep the baby's skin from touching treated skin.",
        f"{_TRETINOIN_LABEL} (nursing mothers); LactMed: tretinoin",
    ),
    *_rows(
        "RET-INFLAMED", ("topical_retinoid",), "caution", None, inflamed,
        "Inflamed skin here: tretinoin can badly irritate it; wait until it settles.",
        f"{_TRETINOIN_LABEL} (eczema and irritated skin)",
    ),
    # Cryotherapy
    *_rows(
        "CRYO-EYE", ("cryotherapy",), "verdict", "contraindicated", eye_area,
        "Eye area: never freeze milia here; the delicate skin can be damaged.",
        _GUIDE_CRYO,
    ),
    *_rows(
        "CRYO-COLD", ("cryotherapy",), "verdict", "contraindicated", cold_intolerant,
        "Cold intolerance (such as cryoglobulinaemia, Raynaud's or cold urticaria): liquid "
        "nitrogen must not be used.",
        "DermNet NZ / BAD guidance on cryotherapy: cold intolerance",
    ),
    *_rows(
        "CRYO-LARGE-PERSISTENT", ("cryotherapy",), "verdict", "recommended",
        _unless_failed_here("cryotherapy", large_persistent),
        "A large milium that is long-standing or resisted another treatment: freezing it with "
        "liquid nitrogen is a precise, targeted option.",
        _GUIDE_CRYO,
    ),
    *_rows(
        "CRYO-RESERVED", ("cryotherapy",), "verdict", "not_indicated", not_large_persistent,
        "Freezing is a more aggressive method kept for large, persistent milia; not needed here.",
        _GUIDE_CRYO,
    ),
    # CO2 laser
    *_rows(
        "LASER-DEEP", ("co2_laser",), "verdict", "recommended",
        _unless_failed_here("co2_laser", deep),
        "Deep milia: a CO2 laser opens or vaporises each one precisely, sparing the skin "
        "around it.",
        _GUIDE_LASER,
    ),
    *_rows(
        "LASER-RESISTED", ("co2_laser",), "verdict", "recommended",
        _unless_failed_here("co2_laser", extraction_failed_here),
        "Extraction did not work here: the CO2 laser is meant for milia that other methods "
        "cannot clear.",
        _GUIDE_LASER,
    ),
    *_rows(
        "LASER-OTHER-FAILED", ("co2_laser",), "verdict", "consider",
        _unless_failed_here("co2_laser", other_than_extraction_or_laser_failed),
        "Another treatment did not work here: the laser may be considered, though it is kept "
        "for when other methods, extraction first, are not viable.",
        _GUIDE_LASER,
    ),
    *_rows(
        "LASER-RESERVED", ("co2_laser",), "verdict", "not_indicated", neither_deep_nor_resisted,
        "The CO2 laser is an advanced procedure kept for deep or stubborn milia when other "
        "methods will not do; not needed here.",
        _GUIDE_LASER,
    ),
    *_rows(
        "LASER-PREGNANT", ("co2_laser",), "limit", "consider", pregnant,
        "Pregnant: laser for milia is elective; defer it until after the pregnancy.",
        _TRIVEDI,
    ),
    *_rows(
        "LASER-EYE-SHIELD", ("co2_laser",), "caution", None, eye_area,
        "Near the eyelids: protect the eyes with internal metal corneal shields.",
        "Huang et al., J Clin Aesthet Dermatol 2018;11(2):15-18; ANSI Z136.3",
    ),
    # Newborn
    *_rows(
        "NEO-OBSERVE", TREATMENTS, "verdict", "not_indicated", newborn,
        "Under 1 year: no treatment for milia in a baby; observe.",
        _BERK_BAYLISS,
    ),
    # Site conditions
    *_rows(
        "RED-FLAGS", ("cryotherapy", "co2_laser"), "verdict", "contraindicated", warning_signs,
        "Warning signs here (growing, bleeding, ulcerated or pigmented): do not destroy the "
        "lesion before a biopsy or a referral has confirmed what it is.",
        f"{_BERK_BAYLISS}; {_CLEBAK}",
    ),
    *_rows(
        "RED-FLAGS", ("extraction", "chemical_peel", "topical_retinoid"), "caution", None,
        warning_signs,
        "Warning signs here (growing, bleeding, ulcerated or pigmented): confirm what the "
        "lesion is, by biopsy or referral, before treating it.",
        f"{_BERK_BAYLISS}; {_CLEBAK}",
    ),
    *_rows(
        "INFLAMED", _PROCEDURE_ROWS, "verdict", "contraindicated", inflamed,
        "Active inflammation here (infection, a cold sore or dermatitis): no procedure at this "
        "site until it has settled.",
        _IADVL_PEELS,
    ),
    # Cautions
    *_rows(
        "FITZ-PIGMENT", ("chemical_peel", "cryotherapy"), "caution", None, darker_skin_type,
        "Skin type IV to VI: a higher risk of lasting darker or lighter patches afterwards; "
        "use with care.",
        _CRYO_PIGMENT,
    ),
    *_rows(
        "FITZ-PIGMENT", ("co2_laser",), "caution", None, darker_skin_type,
        "Skin type IV to VI: a higher risk of lasting darker or lighter patches after laser; "
        "use conservative settings.",
        _ALEXIS,
    ),
    *_rows(
        "ISO-RECENT", ("chemical_peel", "co2_laser"), "caution", None, recent_isotretinoin,
        "Isotretinoin in the last 6 months: review the timing of this procedure against the "
        "published consensus before going ahead.",
        "ASDS consensus, Waldman et al. 2017",
    ),
    *_rows(
        "HSV-PROPHYLAXIS", ("chemical_peel",), "caution", None, cold_sore_history,
        "History of cold sores: consider antiviral prophylaxis before this procedure.",
        "IADVL chemical peel guideline",
    ),
    *_rows(
        "HSV-PROPHYLAXIS", ("co2_laser",), "caution", None, cold_sore_history,
        "History of cold sores: consider antiviral prophylaxis before laser resurfacing.",
        _GILBERT,
    ),
    *_rows(
        "KELOID", ("chemical_peel", "cryotherapy", "co2_laser"), "caution", None,
        keloid_tendency,
        "Keloids or raised scars in the past: a higher risk of scarring; weigh this first.",
        "Gold et al., Dermatol Surg 2014;40:825-31",
    ),
    *_rows(
        "ANTICOAGULANT", _PROCEDURE_ROWS, "caution", None, on_anticoagulant,
        "On an anticoagulant: keep taking it; expect more bruising or bleeding.",
        "Otley, Mayo Clin Proc 2003;78:1392-6",
    ),
    *_rows(
        "PHOTOSENSITISING", ("chemical_peel", "topical_retinoid", "co2_laser"), "caution", None,
        photosensitising_drug,
        "On a drug that makes the skin sensitive to light: a higher risk of burns and "
        "irritation; strict sun protection.",
        "Monteiro et al., Clin Dermatol 2016;34:571-81",
    ),
    *_rows(
        "CHILD-PROCEDURE", ("cryotherapy", "co2_laser"), "caution", None, child,
        "A child: freezing and laser hurt and need the child to keep still; weigh this first.",
        _SAFETY_REVIEW,
    ),
    *_rows(
        "DX-CONFIRM", ("cryotherapy", "co2_laser"), "caution", None, diagnosis_in_doubt,
        "Larger than a typical milium, resistant to two treatments, or an unusual type: "
        "confirm the diagnosis before destroying the lesion.",
        f"{_BERK_BAYLISS}; {_CLEBAK}",
    ),
    *(
        Rule(
            "TRIED-FAILED", treatment, "verdict", "not_indicated",
            _tried_without_success(treatment),
            "Already tried at this site without success: not recommended here again.",
            "case record: treatments already tried at this site",
        )
        for treatment in TREATMENTS
    ),
    *_rows(
        "IATRO-MILIA", ("cryotherapy", "co2_laser"), "caution", None, always,
        "This procedure can itself cause new milia.",
        "Berk & Bayliss, J Am Acad Dermatol 2008",
    ),
    # Advice for the whole case
    *_rows(
        "NO-DIY", (None,), "advice", None, always,
        "Do not squeeze or pick milia at home: it does not work and risks infection, scars, "
        "dark marks that take months to fade, and pushing the keratin deeper.",
        "guide: Understanding the Milia Challenge: Why DIY Fails",
    ),
    *_rows(
        "SUN-PROTECT", (None,), "advice", None, not_newborn,
        "Use a high-SPF sunscreen every day, above all after a peel or laser and while using a "
        "retinoid.",
        "guide: Chemical Peels; Topical Retinoids; Laser Ablation",
    ),
    *_rows(
        "NEO-OBSERVE", (None,), "advice", None, newborn_settling,
        "Newborn milia go away on their own within a few weeks; reassure and observe.",
        _BERK_BAYLISS,
    ),
    *_rows(
        "NEO-PERSISTENT", (None,), "advice", None, newborn_persistent,
        "Milia in a baby that have lasted beyond the first months are not the usual newborn "
        "kind: look for an associated syndrome rather than reassure.",
        _BERK_BAYLISS,
    ),
    *_rows(
        "SECONDARY-CAUSE", (None,), "advice", None, secondary,
        "Secondary milia: look for the cause, such as porphyria cutanea tarda (milia on the "
        "hands), a blistering disease, burns, radiotherapy or potent topical steroids.",
        _BERK_BAYLISS,
    ),
    *_rows(
        "SYNDROME-CHECK", (None,), "advice", None, eruptive_or_persistent_in_childhood,
        "Eruptive milia, or milia that persist in childhood: consider an inherited syndrome "
        "(such as Gorlin, Bazex-Dupré-Christol or Rombo).",
        _BERK_BAYLISS,
    ),
    *_rows(
        "RED-FLAGS", (None,), "advice", None, any_warning_signs,
        "A site shows warning signs: arrange a biopsy or a referral before any destructive "
        "treatment there.",
        f"{_BERK_BAYLISS}; {_CLEBAK}",
    ),
    *_rows(
        "DX-CONFIRM", (None,), "advice", None, uncertain_type,
        "The type of milia is unsure or uncommon: confirm the diagnosis and type before "
        "planning a procedure.",
        f"guide: Conclusion; {_BERK_BAYLISS}",
    ),
)
# fmt: on

# --- Evaluation --------------------------------------------------------------------------------

_STRENGTH = {"contraindicated": 3, "recommended": 2, "consider": 1, "not_indicated": 0}
_RANK_ORDER = {status: position for position, status in enumerate(STATUSES)}
_TREATMENT_ORDER = {treatment: position for position, treatment in enumerate(TREATMENTS)}
_CONTRAINDICATING_RULES = frozenset(
    r.id for r in RULES if r.kind == "verdict" and r.status == "contraindicated"
)
# At an eye-area site these rank after every other option that is not contraindicated there.
_NEVER_FIRST_AT_EYE = frozenset({"chemical_peel", "topical_retinoid"})
# Limits are verdict rows whose strength is negative, so they sort after every verdict: a limit
# of "consider" is -2, "not_indicated" -3 (the status strength it allows, minus 3).
_LIMIT_OFFSET = 3


def _compile() -> tuple[tuple, dict, dict, tuple]:
    """The rule table as lookup rows: per treatment, verdicts (strongest first, then limits) and
    cautions.

    Each row carries a slot: None for a case-level predicate, else the index of its predicate in
    the tuple of distinct site-level predicates.
    """
    site_predicates: list[Predicate] = []
    verdicts: dict[str, list] = {t: [] for t in TREATMENTS}
    cautions: dict[str, list] = {t: [] for t in TREATMENTS}
    advice = []
    for rule in RULES:
        slot = None
        if rule.kind != "advice" and not getattr(rule.applies, "case_level", False):
            if rule.applies not in site_predicates:
                site_predicates.append(rule.applies)
            slot = site_predicates.index(rule.applies)
        if rule.kind == "verdict":
            row = (rule.applies, slot, rule.finding, rule.status, _STRENGTH[rule.status])
            verdicts[rule.treatment].append(row)
        elif rule.kind == "limit":
            strength = _STRENGTH[rule.status] - _LIMIT_OFFSET
            verdicts[rule.treatment].append(
                (rule.applies, slot, rule.finding, rule.status, strength)
            )
        elif rule.kind == "caution":
            cautions[rule.treatment].append((rule.applies, slot, rule.finding))
        else:
            advice.append((rule.applies, rule.finding))
    for treatment in TREATMENTS:
        # Strongest verdict first, so a site's reasons open with the one that decided it.
        verdicts[treatment].sort(key=lambda row: -row[4])
    return (
        tuple(site_predicates),
        {t: tuple(rows) for t, rows in verdicts.items()},
        {t: tuple(rows) for t, rows in cautions.items()},
        tuple(advice),
    )


_SITE_PREDICATES, _VERDICTS, _CAUTIONS, _ADVICE = _compile()
_HOLDS = -1  # the slot of a case-level row already known to hold


def _rows_for_case(patient, agg, th):
    """The rule rows left to check at each site, as (slot, finding[, status, strength]).

    Case-level rows are decided here, once per case: those that hold get slot `_HOLDS`, those
    that do not are dropped. Table order is kept.
    """
    verdicts = tuple(
        tuple(
            (_HOLDS if slot is None else slot, finding, status, strength)
            for applies, slot, finding, status, strength in _VERDICTS[treatment]
            if slot is not None or applies(patient, None, agg, th)
        )
        for treatment in TREATMENTS
    )
    cautions = tuple(
        tuple(
            (_HOLDS if slot is None else slot, finding)
            for applies, slot, finding in _CAUTIONS[treatment]
            if slot is not None or applies(patient, None, agg, th)
        )
        for treatment in TREATMENTS
    )
    return verdicts, cautions


def _rank(
    assessed: list[tuple[str, str, tuple[Finding, ...], tuple[Finding, ...]]],
    eye_site: bool = False,
) -> tuple[Option, ...]:
    """Options ranked 1..5: by status, then fewer cautions, then the order of TREATMENTS.

    At an eye-area site a peel or a retinoid ranks after the other options of its status, and
    is never first while another option there is not contraindicated.
    """
    keyed = sorted(
        (
            _RANK_ORDER[status],
            eye_site and treatment in _NEVER_FIRST_AT_EYE,
            len(cautions),
            _TREATMENT_ORDER[treatment],
            status,
            reasons,
            cautions,
        )
        for treatment, status, reasons, cautions in assessed
    )
    if eye_site and keyed[0][1]:
        first = next((row for row in keyed if not row[1] and row[4] != "contraindicated"), keyed[0])
        keyed.remove(first)
        keyed.insert(0, first)
    return tuple(
        Option(TREATMENTS[position], status, rank, reasons, cautions, COURSES[TREATMENTS[position]])
        for rank, (*_, position, status, reasons, cautions) in enumerate(keyed, start=1)
    )


def _assess_site(hits, verdict_rows, caution_rows):
    """(treatment, status, reasons, cautions) per treatment at a site, unranked.

    `hits` holds the value of each site-level predicate at this site.
    """
    assessed = []
    for treatment, verdicts, cautions in zip(TREATMENTS, verdict_rows, caution_rows, strict=True):
        status = "not_indicated"
        best = -1
        reasons = []
        binding = []  # limits that lowered the status: they open the reasons
        for slot, finding, verdict, strength in verdicts:
            if slot == _HOLDS or hits[slot]:
                if strength < 0:  # a limit: rows are sorted, so every verdict came before
                    if status != "contraindicated" and _STRENGTH[verdict] < _STRENGTH[status]:
                        status = verdict
                        binding.append(finding)
                    else:
                        reasons.append(finding)
                    continue
                reasons.append(finding)
                if strength > best:
                    best = strength
                    status = verdict
        if binding:
            reasons = binding + reasons
        found = tuple(finding for slot, finding in cautions if slot == _HOLDS or hits[slot])
        assessed.append((treatment, status, tuple(reasons), found))
    return assessed


_SIDE_WORDS = {
    "left": "left {}",
    "right": "right {}",
    "midline": "{}",
    "bilateral": "{} (both sides)",
}
_LOCATION_WORDS = {"other": "unlisted area"}


def site_words(location: str, side: str) -> str:
    """A site in words for a sentence: "left eyelid", "nose", "cheek (both sides)"."""
    return _SIDE_WORDS[side].format(_LOCATION_WORDS.get(location, location))


def _site_excluded(excluded: list[tuple[SiteFacts, tuple[Finding, ...]]]) -> Finding:
    names = list(dict.fromkeys(site_words(site.location, site.side) for site, _ in excluded))
    if len(names) == 1:
        text = f"Not for the {names[0]} site."
    else:
        text = f"Not for the {', '.join(names[:-1])} and {names[-1]} sites."
    sources = dict.fromkeys(
        finding.source
        for site, findings in excluded
        for finding in findings
        if finding.rule in _CONTRAINDICATING_RULES
    )
    return Finding("SITE-EXCLUDED", text, "; ".join(sources))


def _unique(findings_lists) -> tuple[Finding, ...]:
    seen: dict[str, Finding] = {}
    for findings in findings_lists:
        for finding in findings:
            if finding.rule not in seen:
                seen[finding.rule] = finding
    return tuple(seen.values())


def _assess_case(sites: tuple[SiteFacts, ...], per_site: list[list]) -> list:
    assessed = []
    for position, treatment in enumerate(TREATMENTS):
        rows = [site_rows[position] for site_rows in per_site]
        usable = [row for row in rows if row[1] != "contraindicated"]
        if not usable:
            assessed.append(
                (
                    treatment,
                    "contraindicated",
                    _unique(row[2] for row in rows),
                    _unique(row[3] for row in rows),
                )
            )
            continue
        status = min((row[1] for row in usable), key=_RANK_ORDER.__getitem__)
        reasons = _unique(row[2] for row in usable if row[1] == status)
        cautions = _unique(row[3] for row in usable)
        if len(usable) < len(rows):
            excluded = [
                (site, row[2])
                for site, row in zip(sites, rows, strict=True)
                if row[1] == "contraindicated"
            ]
            cautions += (_site_excluded(excluded),)
        assessed.append((treatment, status, reasons, cautions))
    return assessed


def evaluate(case: CaseFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> CaseResult:
    """Apply every rule to the case; see the module docstring for the hit policy."""
    if not case.sites:
        raise ValueError("a case needs at least one site")
    patient = case.patient
    agg = aggregate(case, thresholds)
    verdict_rows, caution_rows = _rows_for_case(patient, agg, thresholds)
    # Sites with the same pattern of site-level rule hits get the same (immutable) assessment.
    assessments: dict[tuple[bool, ...], tuple[list, tuple[Option, ...]]] = {}
    per_site = []
    site_results = []
    for index, site in enumerate(case.sites):
        hits = tuple([applies(patient, site, agg, thresholds) for applies in _SITE_PREDICATES])
        # The eye-area predicate is among the hits, so equal hits mean an equal eye_area too.
        known = assessments.get(hits)
        if known is None:
            assessed = _assess_site(hits, verdict_rows, caution_rows)
            known = assessments[hits] = (assessed, _rank(assessed, site.location in EYE_AREA))
        per_site.append(known[0])
        site_results.append(
            SiteResult(index, site.location, site.side, site.location in EYE_AREA, known[1])
        )
    advice = tuple(
        finding for applies, finding in _ADVICE if applies(patient, None, agg, thresholds)
    )
    return CaseResult(
        rules_version(thresholds),
        _rank(_assess_case(case.sites, per_site)),
        tuple(site_results),
        advice,
    )


def recommend(data: Any, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> dict[str, Any]:
    """Validate a case input, evaluate it and return the output as JSON-ready dicts.

    Raises `InvalidCase` (with every problem) on bad input.
    """
    return evaluate(CaseFacts.from_dict(data), thresholds).to_dict()
