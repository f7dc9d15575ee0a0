"""The words the rules speak: treatments, locations, sides, depths, milia types, statuses and
the kinds of rule, and the limits of a plausible input. Plain data, defined once; every other
place (the models' choices, the forms, the map, the texts) derives from it."""

from enum import StrEnum

__all__ = [
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
    "SIDES",
    "STATUSES",
    "TREATMENTS",
    "Kind",
    "Status",
    "site_words",
]


class Status(StrEnum):
    """What the advice says of a treatment, best first."""

    RECOMMENDED = "recommended"
    CONSIDER = "consider"
    NOT_INDICATED = "not_indicated"
    CONTRAINDICATED = "contraindicated"


class Kind(StrEnum):
    """What a row of the rule table does."""

    VERDICT = "verdict"  # gives a status
    LIMIT = "limit"  # caps a status
    CAUTION = "caution"  # warns, never changes a status
    ADVICE = "advice"  # speaks to the whole case


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

# Done at the clinic: every treatment but the retinoid, which the patient applies at home.
PROCEDURES = tuple(treatment for treatment in TREATMENTS if treatment != "topical_retinoid")

# Input limits (beyond them a value is refused as implausible).
MAX_SITES = 50
MAX_TRIED = 20
MAX_AGE_YEARS = 130
MAX_COUNT = 10_000
MAX_LARGEST_MM = 100
MAX_MONTHS_PRESENT = 1200

STATUSES = tuple(Status)


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
