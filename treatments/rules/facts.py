"""The facts of a case (DESIGN §3 input), the thresholds the rules compare them with, and the
validation that refuses bad input whole, naming every problem by its path."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from treatments.rules import sources
from treatments.rules.vocabulary import (
    DEPTHS,
    EYE_AREA,
    LOCATIONS,
    MAX_AGE_YEARS,
    MAX_COUNT,
    MAX_FITZPATRICK,
    MAX_LARGEST_MM,
    MAX_MONTHS_PRESENT,
    MAX_SITES,
    MAX_TRIED,
    MILIA_TYPES,
    MIN_COUNT,
    MIN_MONTHS_PRESENT,
    SIDES,
    TREATMENTS,
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_int(value)


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
        sources.BERK_BAYLISS,
        "Milia are 1 to 2 mm; a lesion larger than this many millimetres may be something else, "
        "so the diagnosis is confirmed before it is frozen or lasered.",
    )
    NEWBORN_PERSISTENT_MONTHS: int = _threshold(
        3,
        sources.BERK_BAYLISS,
        "Newborn milia clear within weeks; in a baby, milia present longer than this many months "
        "are not the usual newborn kind.",
    )
    CHILD_MAX_AGE: int = _threshold(
        12,
        sources.SAFETY_REVIEW,
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
        if not overrides:
            return DEFAULT_THRESHOLDS  # the usual case (settings hold {}); equal to cls()
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
    if value is None or (_is_int(value) and 1 <= value <= MAX_FITZPATRICK):
        return None
    return f"must be a whole number from 1 to {MAX_FITZPATRICK}"


def _count(value: Any) -> str | None:
    if not (_is_int(value) and value >= MIN_COUNT):
        return f"must be a whole number of at least {MIN_COUNT}"
    return f"must be at most {MAX_COUNT}" if value > MAX_COUNT else None


def _largest_mm(value: Any) -> str | None:
    if _not_finite(value):
        return "must be a finite number"
    if not (_is_number(value) and value > 0):
        return "must be a number greater than 0"
    return f"must be at most {MAX_LARGEST_MM}" if value > MAX_LARGEST_MM else None


def _months_present(value: Any) -> str | None:
    if not (_is_int(value) and value >= MIN_MONTHS_PRESENT):
        return f"must be a whole number of at least {MIN_MONTHS_PRESENT}"
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
    cls_fields = fields(cls)
    if name_set != {f.name for f in cls_fields}:
        raise TypeError(f"the input fields of {cls.__name__} do not match its dataclass fields")
    if any(f.default_factory is not MISSING for f in cls_fields):
        raise TypeError(f"{cls.__name__} has a default factory, which _object does not call")
    unknown_message = "unknown field; allowed: " + ", ".join(names)
    # The object is built from positional arguments, a third cheaper than keywords: its fields'
    # defaults (MISSING where required, never passed), overwritten by what the input holds.
    # The checks stay in spec order, the order in which problems are reported.
    defaults = tuple(f.default for f in cls_fields)
    positions = [f.name for f in cls_fields]
    checks = tuple((name, check, nested, positions.index(name)) for name, check, nested in spec)

    def checker(value: Any, path: str, errors: dict[str, list[str]]) -> Any:
        if not isinstance(value, dict):
            errors.setdefault(path, []).append("must be an object")
            return _BAD
        prefix = f"{path}." if path else ""
        arguments = list(defaults)
        found = 0  # fields of the spec in the input
        ok = True
        for name, check, nested, position in checks:
            if name in value:
                found += 1
                if nested:
                    built = check(value[name], prefix + name, errors)
                    if built is _BAD:
                        ok = False
                    else:
                        arguments[position] = built
                else:
                    message = check(value[name])
                    if message is None:
                        arguments[position] = value[name]
                    else:
                        errors.setdefault(prefix + name, []).append(message)
                        ok = False
            elif name in required:
                errors.setdefault(prefix + name, []).append("is required")
                ok = False
        if len(value) > found or not ok:
            for key in value:
                if key not in name_set:
                    errors.setdefault(f"{prefix}{key}", []).append(unknown_message)
                    ok = False
        return cls(*arguments) if ok else _BAD

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
