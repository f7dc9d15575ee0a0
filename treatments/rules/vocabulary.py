"""The words the rules speak: treatments, locations, sides, depths, milia types, statuses and
the kinds of rule, and the limits of a plausible input. Plain data, defined once; every other
place (the models' choices, the forms, the map, the texts) derives from it."""

from enum import StrEnum

__all__ = [
    "DEPTHS",
    "DEPTH_LABELS",
    "EYE_AREA",
    "FACE_AREA",
    "FITZPATRICK_LABELS",
    "LOCATIONS",
    "LOCATION_LABELS",
    "MAX_AGE_YEARS",
    "MAX_COUNT",
    "MAX_FITZPATRICK",
    "MAX_LARGEST_MM",
    "MAX_MONTHS_PRESENT",
    "MAX_SITES",
    "MAX_TRIED",
    "MIN_COUNT",
    "MIN_LARGEST_MM",
    "MIN_MONTHS_PRESENT",
    "MILIA_TYPES",
    "MILIA_TYPE_LABELS",
    "MUCOSAL_AREA",
    "PHOTO_CONSENT_LABELS",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "OUTCOMES_WORKED",
    "PROCEDURES",
    "SIDES",
    "SIDE_LABELS",
    "STATUSES",
    "STATUS_LABELS",
    "TREATMENTS",
    "TREATMENT_LABELS",
    "Kind",
    "Status",
    "in_sentence",
    "join_words",
    "site_overlap_text",
    "site_title",
    "site_words",
    "sites_overlap",
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


# Each vocabulary is its labels, code -> label, in display order; the codes are the keys.
TREATMENT_LABELS = {
    "extraction": "Mechanical extraction",
    "chemical_peel": "Chemical peel",
    "topical_retinoid": "Topical retinoid",
    "cryotherapy": "Cryotherapy",
    "co2_laser": "CO2 laser",
}
# A location's label is a noun: it also names the site in a sentence ("left periorbital area").
LOCATION_LABELS = {
    "eyelid": "Eyelid",
    "periorbital": "Periorbital area",
    "forehead": "Forehead",
    "temple": "Temple",
    "cheek": "Cheek",
    "nose": "Nose",
    "perioral": "Perioral area",
    "chin": "Chin",
    "jawline": "Jawline",
    "ear": "Ear",
    "neck": "Neck",
    "scalp": "Scalp",
    "trunk": "Trunk",
    "arm": "Arm",
    "hand": "Hand",
    "leg": "Leg",
    "genital": "Genital area",
    "other": "Unlisted area",
}
SIDE_LABELS = {"left": "Left", "right": "Right", "midline": "Midline", "bilateral": "Both sides"}
DEPTH_LABELS = {"superficial": "Superficial", "deep": "Deep"}
MILIA_TYPE_LABELS = {
    "primary": "Primary",
    "secondary": "Secondary",
    "neonatal": "Neonatal",
    "milia_en_plaque": "Milia en plaque",
    "multiple_eruptive": "Multiple eruptive",
    "unsure": "Unsure",
}
# What the patient agreed a clinical photo may be used for (recorded with each photo).
PHOTO_CONSENT_LABELS = {
    "record": "Clinical record only",
    "teaching": "Clinical record and teaching",
}

# What became of a site at a follow-up, from what was done there since the last visit.
OUTCOME_LABELS = {
    "cleared": "Cleared",
    "improved": "Improved",
    "unchanged": "Unchanged",
    "worse": "Worse",
    "recurred": "Recurred",
}

TREATMENTS = tuple(TREATMENT_LABELS)
OUTCOMES = tuple(OUTCOME_LABELS)
# The outcomes that record the treatments done as tried and worked; the others, as tried and
# failed, which the rules read (TRIED-FAILED, LASER-RESISTED, LASER-OTHER-FAILED).
OUTCOMES_WORKED = frozenset({"cleared", "improved"})
LOCATIONS = tuple(LOCATION_LABELS)
EYE_AREA = frozenset({"eyelid", "periorbital"})
FACE_AREA = frozenset(LOCATIONS[: LOCATIONS.index("ear") + 1])  # eyelid .. ear
MUCOSAL_AREA = frozenset({"genital"})
SIDES = tuple(SIDE_LABELS)
DEPTHS = tuple(DEPTH_LABELS)
MILIA_TYPES = tuple(MILIA_TYPE_LABELS)

# Done at the clinic: every treatment but the retinoid, which the patient applies at home.
PROCEDURES = tuple(treatment for treatment in TREATMENTS if treatment != "topical_retinoid")

# Input limits (beyond them a value is refused as implausible). The forms' hints and the
# record's validators take theirs from here too.
MIN_COUNT = 1
MIN_LARGEST_MM = 0.1  # the record keeps one decimal place; the rules need more than 0
MIN_MONTHS_PRESENT = 0
MAX_SITES = 50
MAX_TRIED = 20
MAX_AGE_YEARS = 130
MAX_COUNT = 10_000
MAX_LARGEST_MM = 100
MAX_MONTHS_PRESENT = 1200
MAX_FITZPATRICK = 6  # skin types I to VI
# Fitzpatrick skin types by number, named with the roman numerals of the clinical convention.
FITZPATRICK_LABELS = {
    n: f"Skin type {numeral}"
    for n, numeral in enumerate(("I", "II", "III", "IV", "V", "VI"), start=1)
}

STATUSES = tuple(Status)
STATUS_LABELS = {
    Status.RECOMMENDED: "Recommended",
    Status.CONSIDER: "Consider",
    Status.NOT_INDICATED: "Not indicated",
    Status.CONTRAINDICATED: "Contraindicated",
}


_SIDE_WORDS = {
    "left": "left {}",
    "right": "right {}",
    "midline": "{}",
    "bilateral": "{} (both sides)",
}


def in_sentence(label: str) -> str:
    """A label inside a sentence: "Mechanical extraction" -> "mechanical extraction"; an
    acronym keeps its capitals ("CO2 laser")."""
    if label[1:2].isupper() or label[1:2].isdigit():
        return label
    return label[:1].lower() + label[1:]


def site_words(location: str, side: str) -> str:
    """A site in words for a sentence: "left eyelid", "nose", "cheek (both sides)"."""
    return _SIDE_WORDS[side].format(in_sentence(LOCATION_LABELS[location]))


def site_title(location: str, side: str) -> str:
    """A site in words on its own, as a heading or a label: "Left eyelid", "Cheek (both sides)"."""
    words = site_words(location, side)
    return words[:1].upper() + words[1:]


# The parts of a location each side covers. Both sides are the left and the right together; the
# midline is a part of its own (the bridge of the nose is neither its left nor its right side).
_SIDE_PARTS = {
    "left": frozenset({"left"}),
    "right": frozenset({"right"}),
    "midline": frozenset({"midline"}),
    "bilateral": frozenset({"left", "right"}),
}


def sites_overlap(site: tuple[str, str], other: tuple[str, str]) -> bool:
    """Whether two sites, each (location, side), cover the same skin: one location, and sides
    that share a part (the same side, or both sides against the left or the right). A
    consultation charts such sites once, or it would count their milia twice."""
    (location, side), (other_location, other_side) = site, other
    return location == other_location and bool(_SIDE_PARTS[side] & _SIDE_PARTS[other_side])


def site_overlap_text(site: tuple[str, str], existing: tuple[str, str]) -> str:
    """Why ``site`` (location, side) cannot be charted beside ``existing``, which it overlaps,
    and what to do instead."""
    if site == existing:
        return (
            f"The {site_words(*site)} is already charted in this consultation: "
            "edit that site instead."
        )
    return (
        f"The {site_words(*site)} overlaps the {site_words(*existing)}, already charted in this "
        "consultation: edit that site instead, so no milia are counted twice."
    )


def join_words(words: list[str]) -> str:
    """Words joined for a sentence: "nose", "nose and chin", "nose, chin and ear".

    The Django side uses ``django.utils.text.get_text_list``; the rules core cannot import
    Django, so it joins here, once."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
