"""The rule table: every rule a row with its id, treatment, kind, status, predicate, text and
source; the version of the table and its change log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache

from treatments.rules import sources
from treatments.rules.facts import (
    DEFAULT_THRESHOLDS,
    CaseFacts,
    PatientFacts,
    SiteFacts,
    Thresholds,
)
from treatments.rules.results import Finding
from treatments.rules.vocabulary import (
    EYE_AREA,
    MUCOSAL_AREA,
    PROCEDURES,
    TREATMENTS,
    Kind,
    Status,
)

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
    kind: Kind
    status: Status | None  # the status a verdict gives, or the most a limit allows; else None
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


# The helpers below loop rather than call any() on a generator (hence noqa: SIM110): they run for
# every site of every evaluation, and a plain loop costs a fraction of a generator's setup.


def _resisted(site: SiteFacts, except_treatment: str) -> bool:
    """Some treatment other than `except_treatment` was tried at this site and did not work."""
    for tried in site.tried:  # noqa: SIM110
        if not tried.worked and tried.treatment != except_treatment:
            return True
    return False


def _failed_here(site: SiteFacts, treatment: str) -> bool:
    for tried in site.tried:  # noqa: SIM110
        if tried.treatment == treatment and not tried.worked:
            return True
    return False


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


def few_superficial(patient, site, case, thresholds):
    return not case.newborn and site.depth == "superficial" and site.count <= thresholds.FEW_MAX


def few_superficial_eye_area(patient, site, case, thresholds):
    return few_superficial(patient, site, case, thresholds) and site.location in EYE_AREA


def many_at_site(patient, site, case, thresholds):
    return not case.newborn and site.count > thresholds.FEW_MAX


def deep(patient, site, case, thresholds):
    return not case.newborn and site.depth == "deep"


def large_persistent(patient, site, case, thresholds):
    return not case.newborn and _large_persistent(site, thresholds)


def not_large_persistent(patient, site, case, thresholds):
    return not case.newborn and not _large_persistent(site, thresholds)


def eye_area(patient, site, case, thresholds):
    return site.location in EYE_AREA


def mucosal_area(patient, site, case, thresholds):
    return site.location in MUCOSAL_AREA


def extraction_failed_here(patient, site, case, thresholds):
    return not case.newborn and _failed_here(site, "extraction")


def other_than_extraction_or_laser_failed(patient, site, case, thresholds):
    if case.newborn:
        return False
    for tried in site.tried:
        if not tried.worked and tried.treatment not in ("extraction", "co2_laser"):
            return True
    return False


def neither_deep_nor_resisted(patient, site, case, thresholds):
    return not case.newborn and site.depth != "deep" and not _resisted(site, "co2_laser")


def diagnosis_in_doubt(patient, site, case, thresholds):
    """Large for a milium, resisted two treatments, or a type that mimics other lesions."""
    return (
        site.largest_mm > thresholds.DX_CONFIRM_MM
        or case.milia_type in ("secondary", "milia_en_plaque", "multiple_eruptive")
        or len({tried.treatment for tried in site.tried if not tried.worked}) >= 2
    )


def warning_signs(patient, site, case, thresholds):
    return site.red_flags


def inflamed(patient, site, case, thresholds):
    return site.active_inflammation


def _tried_without_success(treatment: str) -> Predicate:
    def tried_without_success(patient, site, case, thresholds):
        for tried in site.tried:  # noqa: SIM110 (_failed_here, inlined: it runs for every site)
            if tried.treatment == treatment and not tried.worked:
                return True
        return False

    tried_without_success.__name__ = f"tried_{treatment}_without_success"
    return tried_without_success


def _unless_failed_here(treatment: str, predicate: Predicate) -> Predicate:
    """A recommending rule holds only where the treatment has not already failed."""

    def applies(patient, site, case, thresholds):
        if not predicate(patient, site, case, thresholds):
            return False
        for tried in site.tried:  # noqa: SIM110 (_failed_here, inlined: it runs for every site)
            if tried.treatment == treatment and not tried.worked:
                return False
        return True

    applies.__name__ = f"{predicate.__name__}_unless_{treatment}_failed_here"
    return applies


@case_level
def widespread(patient, site, case, thresholds):
    return not case.newborn and case.widespread


@case_level
def not_widespread(patient, site, case, thresholds):
    return not case.newborn and not case.widespread


@case_level
def recurrent(patient, site, case, thresholds):
    return not case.newborn and case.recurrent


@case_level
def neither_recurrent_nor_widespread(patient, site, case, thresholds):
    return not case.newborn and not case.recurrent and not case.widespread


@case_level
def pregnant(patient, site, case, thresholds):
    return patient.pregnant


@case_level
def breastfeeding(patient, site, case, thresholds):
    return patient.breastfeeding


@case_level
def cold_intolerant(patient, site, case, thresholds):
    return patient.cold_intolerance


@case_level
def keloid_tendency(patient, site, case, thresholds):
    return patient.keloid_tendency


@case_level
def on_anticoagulant(patient, site, case, thresholds):
    return patient.anticoagulant


@case_level
def photosensitising_drug(patient, site, case, thresholds):
    return patient.photosensitising_drug


@case_level
def child(patient, site, case, thresholds):
    return case.child


@case_level
def newborn(patient, site, case, thresholds):
    return case.newborn


@case_level
def newborn_settling(patient, site, case, thresholds):
    return case.newborn and not case.newborn_persistent


@case_level
def newborn_persistent(patient, site, case, thresholds):
    return case.newborn_persistent


@case_level
def not_newborn(patient, site, case, thresholds):
    return not case.newborn


@case_level
def secondary(patient, site, case, thresholds):
    return case.milia_type == "secondary"


@case_level
def eruptive_or_persistent_in_childhood(patient, site, case, thresholds):
    return case.milia_type == "multiple_eruptive" or case.childhood_persistent


@case_level
def any_warning_signs(patient, site, case, thresholds):
    return case.red_flags


@case_level
def darker_skin_type(patient, site, case, thresholds):
    return patient.fitzpatrick is not None and patient.fitzpatrick >= 4


@case_level
def recent_isotretinoin(patient, site, case, thresholds):
    return patient.isotretinoin_last_6_months


@case_level
def cold_sore_history(patient, site, case, thresholds):
    return patient.herpes_simplex_history


@case_level
def always(patient, site, case, thresholds):
    return True


@case_level
def uncertain_type(patient, site, case, thresholds):
    return case.milia_type in ("unsure", "milia_en_plaque", "multiple_eruptive")


def _rows(
    rule_id: str,
    treatments: tuple[str | None, ...],
    kind: str,
    status: str | None,
    applies: Predicate,
    text: str,
    source: str,
) -> tuple[Rule, ...]:
    return tuple(
        Rule(rule_id, t, Kind(kind), status and Status(status), applies, text, source)
        for t in treatments
    )


_TRETINOIN_LABEL = "Tretinoin prescribing information"
_IADVL_PEELS = "IADVL chemical peel guideline (Khunger et al. 2008)"
_TRIVEDI = "Trivedi et al., Int J Womens Dermatol 2017;3:6-10"
_CLEBAK = "Clebak et al., Am Fam Physician 2020;101:399-406"
_ALEXIS = "Alexis, Br J Dermatol 2013;169 Suppl 3:91-7"
_GILBERT = "Gilbert & McBurney, Dermatol Surg 2000;26:50-4"
_CRYO_PIGMENT = "Am Fam Physician 2004 (cryosurgery); IADVL chemical peel guideline"

# fmt: off
RULES: tuple[Rule, ...] = (
    # Extraction
    *_rows(
        "EXT-FEW", ("extraction",), "verdict", "recommended",
        _unless_failed_here("extraction", few_superficial),
        "Few superficial milia here: lifting each one out by hand through a tiny nick is the "
        "usual first choice and clears them in a single visit.",
        sources.GUIDE_EXTRACTION,
    ),
    *_rows(
        "EXT-EYE", ("extraction",), "verdict", "recommended",
        _unless_failed_here("extraction", few_superficial_eye_area),
        "Eye area: hand extraction is gentle enough for this thin, sensitive skin, where other "
        "methods can be too harsh.",
        sources.GUIDE_EXTRACTION,
    ),
    *_rows(
        "EXT-MANY", ("extraction",), "verdict", "consider", many_at_site,
        "Many milia here: removing them one at a time is possible but slow and laborious.",
        sources.GUIDE_EXTRACTION,
    ),
    *_rows(
        "EXT-DEEP", ("extraction",), "verdict", "consider", deep,
        "Deep-seated milia can be hard to lift out by hand.",
        sources.GUIDE_LASER,
    ),
    # Chemical peel
    *_rows(
        "PEEL-WIDESPREAD", ("chemical_peel",), "verdict", "recommended",
        _unless_failed_here("chemical_peel", widespread),
        "Many milia, or milia in several areas: a series of 4 to 6 light acid peels a few weeks "
        "apart thins them out across the whole area and helps stop new ones forming.",
        sources.GUIDE_PEELS,
    ),
    *_rows(
        "PEEL-FEW", ("chemical_peel",), "verdict", "not_indicated", not_widespread,
        "Few milia on a small area: resurfacing the whole area is not needed.",
        sources.GUIDE_PEELS,
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
        sources.GUIDE_RETINOIDS,
    ),
    *_rows(
        "RET-WIDESPREAD", ("topical_retinoid",), "verdict", "recommended",
        _unless_failed_here("topical_retinoid", widespread),
        "Widespread milia: a retinoid gradually loosens existing milia and cuts down new ones.",
        sources.GUIDE_RETINOIDS,
    ),
    *_rows(
        "RET-PREVENT", ("topical_retinoid",), "verdict", "consider",
        neither_recurrent_nor_widespread,
        "Can help prevent new milia in anyone prone to them, but works slowly, over months.",
        sources.GUIDE_RETINOIDS,
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
        sources.GUIDE_CRYO,
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
        sources.GUIDE_CRYO,
    ),
    *_rows(
        "CRYO-RESERVED", ("cryotherapy",), "verdict", "not_indicated", not_large_persistent,
        "Freezing is a more aggressive method kept for large, persistent milia; not needed here.",
        sources.GUIDE_CRYO,
    ),
    # CO2 laser
    *_rows(
        "LASER-DEEP", ("co2_laser",), "verdict", "recommended",
        _unless_failed_here("co2_laser", deep),
        "Deep milia: a CO2 laser opens or vaporises each one precisely, sparing the skin "
        "around it.",
        sources.GUIDE_LASER,
    ),
    *_rows(
        "LASER-RESISTED", ("co2_laser",), "verdict", "recommended",
        _unless_failed_here("co2_laser", extraction_failed_here),
        "Extraction did not work here: the CO2 laser is meant for milia that other methods "
        "cannot clear.",
        sources.GUIDE_LASER,
    ),
    *_rows(
        "LASER-OTHER-FAILED", ("co2_laser",), "verdict", "consider",
        _unless_failed_here("co2_laser", other_than_extraction_or_laser_failed),
        "Another treatment did not work here: the laser may be considered, though it is kept "
        "for when other methods, extraction first, are not viable.",
        sources.GUIDE_LASER,
    ),
    *_rows(
        "LASER-RESERVED", ("co2_laser",), "verdict", "not_indicated", neither_deep_nor_resisted,
        "The CO2 laser is an advanced procedure kept for deep or stubborn milia when other "
        "methods will not do; not needed here.",
        sources.GUIDE_LASER,
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
        sources.BERK_BAYLISS,
    ),
    # Site conditions
    *_rows(
        "RED-FLAGS", ("cryotherapy", "co2_laser"), "verdict", "contraindicated", warning_signs,
        "Warning signs here (growing, bleeding, ulcerated or pigmented): do not destroy the "
        "lesion before a biopsy or a referral has confirmed what it is.",
        f"{sources.BERK_BAYLISS}; {_CLEBAK}",
    ),
    *_rows(
        "RED-FLAGS", ("extraction", "chemical_peel", "topical_retinoid"), "caution", None,
        warning_signs,
        "Warning signs here (growing, bleeding, ulcerated or pigmented): confirm what the "
        "lesion is, by biopsy or referral, before treating it.",
        f"{sources.BERK_BAYLISS}; {_CLEBAK}",
    ),
    *_rows(
        "INFLAMED", PROCEDURES, "verdict", "contraindicated", inflamed,
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
        "ANTICOAGULANT", PROCEDURES, "caution", None, on_anticoagulant,
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
        sources.SAFETY_REVIEW,
    ),
    *_rows(
        "DX-CONFIRM", ("cryotherapy", "co2_laser"), "caution", None, diagnosis_in_doubt,
        "Larger than a typical milium, resistant to two treatments, or an unusual type: "
        "confirm the diagnosis before destroying the lesion.",
        f"{sources.BERK_BAYLISS}; {_CLEBAK}",
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
        sources.BERK_BAYLISS,
    ),
    *_rows(
        "NEO-PERSISTENT", (None,), "advice", None, newborn_persistent,
        "Milia in a baby that have lasted beyond the first months are not the usual newborn "
        "kind: look for an associated syndrome rather than reassure.",
        sources.BERK_BAYLISS,
    ),
    *_rows(
        "SECONDARY-CAUSE", (None,), "advice", None, secondary,
        "Secondary milia: look for the cause, such as porphyria cutanea tarda (milia on the "
        "hands), a blistering disease, burns, radiotherapy or potent topical steroids.",
        sources.BERK_BAYLISS,
    ),
    *_rows(
        "SYNDROME-CHECK", (None,), "advice", None, eruptive_or_persistent_in_childhood,
        "Eruptive milia, or milia that persist in childhood: consider an inherited syndrome "
        "(such as Gorlin, Bazex-Dupré-Christol or Rombo).",
        sources.BERK_BAYLISS,
    ),
    *_rows(
        "RED-FLAGS", (None,), "advice", None, any_warning_signs,
        "A site shows warning signs: arrange a biopsy or a referral before any destructive "
        "treatment there.",
        f"{sources.BERK_BAYLISS}; {_CLEBAK}",
    ),
    *_rows(
        "DX-CONFIRM", (None,), "advice", None, uncertain_type,
        "The type of milia is unsure or uncommon: confirm the diagnosis and type before "
        "planning a procedure.",
        f"guide: Conclusion; {sources.BERK_BAYLISS}",
    ),
)
# fmt: on
