"""Decision tables for treatments.rules: no database, no Django, exact assertions."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import make_case_facts, make_site_facts
from tests.guide import guide_text
from treatments import rules
from treatments.rules import (
    COURSES,
    DEFAULT_THRESHOLDS,
    EYE_AREA,
    LOCATIONS,
    RULES,
    STATUSES,
    THRESHOLD_SOURCES,
    TREATMENTS,
    CaseFacts,
    Course,
    Finding,
    InvalidCase,
    PatientFacts,
    SiteFacts,
    Thresholds,
    TriedTreatment,
    evaluate,
    recommend,
    rules_version,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

GUIDE_SECTIONS = {
    "Understanding the Milia Challenge: Why DIY Fails",
    "Mechanical Extraction",
    "Chemical Peels",
    "Topical Retinoids",
    "Cryotherapy",
    "Laser Ablation",
    "Conclusion",
}
# Each part of a source ("; " between parts) outside the guide is one of these.
NAMED_REFERENCES = {
    "Berk & Bayliss, J Am Acad Dermatol 2008;59:1050–63",
    "Berk & Bayliss, J Am Acad Dermatol 2008",
    "Clebak et al., Am Fam Physician 2020;101:399-406",
    "Tretinoin prescribing information (pregnancy)",
    "Tretinoin prescribing information (nursing mothers)",
    "Tretinoin prescribing information (keep away from the eyes)",
    "Tretinoin prescribing information (keep away from mucous membranes)",
    "Tretinoin prescribing information (eczema and irritated skin)",
    "LactMed: tretinoin",
    "DermNet NZ / BAD guidance on cryotherapy: cold intolerance",
    "Am Fam Physician 2004 (cryosurgery)",
    "ASDS consensus, Waldman et al. 2017",
    "IADVL chemical peel guideline",
    "IADVL chemical peel guideline (Khunger et al. 2008)",
    "Trivedi et al., Int J Womens Dermatol 2017;3:6-10",
    "Huang et al., J Clin Aesthet Dermatol 2018;11(2):15-18",
    "ANSI Z136.3",
    "Alexis, Br J Dermatol 2013;169 Suppl 3:91-7",
    "Gilbert & McBurney, Dermatol Surg 2000;26:50-4",
    "Gold et al., Dermatol Surg 2014;40:825-31",
    "Otley, Mayo Clin Proc 2003;78:1392-6",
    "Monteiro et al., Clin Dermatol 2016;34:571-81",
    "Dermatology safety review of the rules (DESIGN §3a, 2026.2)",
    "case record: treatments already tried at this site",
}


# --- Factories and readers ---------------------------------------------------------------------


def site_option(result, treatment, index=0):
    return next(o for o in result.sites[index].options if o.treatment == treatment)


def case_option(result, treatment):
    return next(o for o in result.options if o.treatment == treatment)


def ids(findings):
    return [finding.rule for finding in findings]


# --- Extraction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "depth", "count", "status", "reasons"),
    [
        ("cheek", "superficial", 1, "recommended", ["EXT-FEW"]),
        ("cheek", "superficial", 10, "recommended", ["EXT-FEW"]),
        ("cheek", "superficial", 11, "consider", ["EXT-MANY"]),
        ("cheek", "deep", 1, "consider", ["EXT-DEEP"]),
        ("cheek", "deep", 11, "consider", ["EXT-MANY", "EXT-DEEP"]),
        ("eyelid", "superficial", 4, "recommended", ["EXT-FEW", "EXT-EYE"]),
        ("periorbital", "superficial", 10, "recommended", ["EXT-FEW", "EXT-EYE"]),
        ("eyelid", "superficial", 12, "consider", ["EXT-MANY"]),
        ("periorbital", "deep", 2, "consider", ["EXT-DEEP"]),
    ],
)
def test_extraction_status_follows_count_depth_and_eye_area(
    location, depth, count, status, reasons
):
    result = evaluate(make_case_facts(make_site_facts(location=location, depth=depth, count=count)))

    option = site_option(result, "extraction")

    assert (option.status, ids(option.reasons)) == (status, reasons)


# --- Chemical peel -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sites", "status", "reasons"),
    [
        ((("cheek", "midline", 1),), "not_indicated", ["PEEL-FEW"]),
        ((("cheek", "midline", 14),), "not_indicated", ["PEEL-FEW"]),
        ((("cheek", "midline", 15),), "recommended", ["PEEL-WIDESPREAD"]),
        ((("cheek", "left", 7), ("cheek", "right", 7)), "not_indicated", ["PEEL-FEW"]),
        ((("cheek", "left", 8), ("cheek", "right", 7)), "recommended", ["PEEL-WIDESPREAD"]),
        # 2026.2: widespread counts distinct locations, so three sites of one location are few.
        (
            (("cheek", "left", 1), ("cheek", "right", 1), ("cheek", "bilateral", 1)),
            "not_indicated",
            ["PEEL-FEW"],
        ),
        ((("cheek", "left", 1), ("chin", "midline", 1)), "not_indicated", ["PEEL-FEW"]),
        (
            (("cheek", "left", 1), ("chin", "midline", 1), ("nose", "midline", 1)),
            "recommended",
            ["PEEL-WIDESPREAD"],
        ),
    ],
)
def test_chemical_peel_needs_many_lesions_or_several_locations(sites, status, reasons):
    sites = [make_site_facts(location=loc, side=side, count=count) for loc, side, count in sites]

    result = evaluate(make_case_facts(*sites))

    assert [
        (
            site_option(result, "chemical_peel", i).status,
            ids(site_option(result, "chemical_peel", i).reasons),
        )
        for i in range(len(sites))
    ] == [(status, reasons)] * len(sites)
    assert case_option(result, "chemical_peel").status == status


# --- Topical retinoid --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recurrent", "count", "pregnant", "breastfeeding", "status", "reasons", "cautions"),
    [
        (False, 2, False, False, "consider", ["RET-PREVENT"], []),
        (True, 2, False, False, "recommended", ["RET-RECURRENT"], []),
        (False, 20, False, False, "recommended", ["RET-WIDESPREAD"], []),
        (True, 20, False, False, "recommended", ["RET-RECURRENT", "RET-WIDESPREAD"], []),
        (
            True,
            20,
            True,
            False,
            "contraindicated",
            ["RET-PREGNANT", "RET-RECURRENT", "RET-WIDESPREAD"],
            [],
        ),
        (False, 2, True, False, "contraindicated", ["RET-PREGNANT", "RET-PREVENT"], []),
        (False, 2, False, True, "consider", ["RET-PREVENT"], ["RET-BREASTFEEDING"]),
        (True, 2, False, True, "recommended", ["RET-RECURRENT"], ["RET-BREASTFEEDING"]),
    ],
)
def test_topical_retinoid_status_follows_recurrence_spread_and_pregnancy(
    recurrent, count, pregnant, breastfeeding, status, reasons, cautions
):
    case = make_case_facts(
        make_site_facts(location="cheek", count=count),
        recurrent=recurrent,
        pregnant=pregnant,
        breastfeeding=breastfeeding,
    )

    option = site_option(evaluate(case), "topical_retinoid")

    assert (option.status, ids(option.reasons), ids(option.cautions)) == (
        status,
        reasons,
        cautions,
    )


# --- Cryotherapy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "largest_mm", "months", "tried", "cold", "status", "reasons"),
    [
        ("forehead", 3.0, 12, (), False, "recommended", ["CRYO-LARGE-PERSISTENT"]),
        ("forehead", 4.0, 36, (), False, "recommended", ["CRYO-LARGE-PERSISTENT"]),
        ("forehead", 2.9, 36, (), False, "not_indicated", ["CRYO-RESERVED"]),
        ("forehead", 4.0, 11, (), False, "not_indicated", ["CRYO-RESERVED"]),
        (
            "forehead",
            4.0,
            1,
            (("extraction", False),),
            False,
            "recommended",
            ["CRYO-LARGE-PERSISTENT"],
        ),
        ("forehead", 4.0, 1, (("extraction", True),), False, "not_indicated", ["CRYO-RESERVED"]),
        (
            "forehead",
            4.0,
            1,
            (("cryotherapy", False),),
            False,
            "not_indicated",
            ["CRYO-RESERVED", "TRIED-FAILED"],
        ),
        ("forehead", 4.0, 36, (), True, "contraindicated", ["CRYO-COLD", "CRYO-LARGE-PERSISTENT"]),
        ("cheek", 1.0, 0, (), True, "contraindicated", ["CRYO-COLD", "CRYO-RESERVED"]),
        ("eyelid", 4.0, 36, (), False, "contraindicated", ["CRYO-EYE", "CRYO-LARGE-PERSISTENT"]),
        ("periorbital", 1.0, 0, (), False, "contraindicated", ["CRYO-EYE", "CRYO-RESERVED"]),
        (
            "eyelid",
            4.0,
            36,
            (),
            True,
            "contraindicated",
            ["CRYO-EYE", "CRYO-COLD", "CRYO-LARGE-PERSISTENT"],
        ),
    ],
)
def test_cryotherapy_only_for_large_persistent_milia_outside_eye_area(
    location, largest_mm, months, tried, cold, status, reasons
):
    site = make_site_facts(
        location=location, largest_mm=largest_mm, months_present=months, tried=tried
    )

    option = site_option(evaluate(make_case_facts(site, cold_intolerance=cold)), "cryotherapy")

    assert (option.status, ids(option.reasons)) == (status, reasons)


@pytest.mark.parametrize("location", sorted(EYE_AREA))
@pytest.mark.parametrize(
    "thresholds",
    [DEFAULT_THRESHOLDS, Thresholds(LARGE_MM=0.1, PERSISTENT_MONTHS=0)],
)
@pytest.mark.parametrize("milia_type", ["primary", "neonatal"])
def test_cryotherapy_eye_area_contraindicated_whatever_else_holds(location, thresholds, milia_type):
    site = make_site_facts(
        location=location, largest_mm=9.0, months_present=120, tried=(("extraction", False),)
    )

    result = evaluate(make_case_facts(site, milia_type=milia_type), thresholds)

    assert site_option(result, "cryotherapy").status == "contraindicated"
    assert "CRYO-EYE" in ids(site_option(result, "cryotherapy").reasons)
    assert case_option(result, "cryotherapy").status == "contraindicated"


# --- CO2 laser ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depth", "tried", "status", "reasons"),
    [
        ("superficial", (), "not_indicated", ["LASER-RESERVED"]),
        ("deep", (), "recommended", ["LASER-DEEP"]),
        ("superficial", (("extraction", False),), "recommended", ["LASER-RESISTED"]),
        # 2026.2: laser is recommended after a failed extraction only; another failure: consider.
        ("superficial", (("topical_retinoid", False),), "consider", ["LASER-OTHER-FAILED"]),
        ("superficial", (("cryotherapy", False),), "consider", ["LASER-OTHER-FAILED"]),
        (
            "superficial",
            (("extraction", False), ("chemical_peel", False)),
            "recommended",
            ["LASER-RESISTED", "LASER-OTHER-FAILED"],
        ),
        ("superficial", (("extraction", True),), "not_indicated", ["LASER-RESERVED"]),
        (
            "superficial",
            (("co2_laser", False),),
            "not_indicated",
            ["LASER-RESERVED", "TRIED-FAILED"],
        ),
        ("deep", (("extraction", False),), "recommended", ["LASER-DEEP", "LASER-RESISTED"]),
    ],
)
def test_co2_laser_for_deep_or_resisting_milia(depth, tried, status, reasons):
    site = make_site_facts(location="cheek", depth=depth, tried=tried)

    option = site_option(evaluate(make_case_facts(site)), "co2_laser")

    assert (option.status, ids(option.reasons)) == (status, reasons)


# --- Tried without success ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "patient", "treatment", "reasons"),
    [
        ({"count": 1}, {}, "extraction", ["TRIED-FAILED"]),
        ({"count": 1, "location": "eyelid"}, {}, "extraction", ["TRIED-FAILED"]),
        ({"count": 30}, {}, "chemical_peel", ["TRIED-FAILED"]),
        ({"count": 30}, {}, "topical_retinoid", ["TRIED-FAILED"]),
        ({"count": 1}, {"recurrent": True}, "topical_retinoid", ["TRIED-FAILED"]),
        ({"largest_mm": 4.0, "months_present": 36}, {}, "cryotherapy", ["TRIED-FAILED"]),
        ({"depth": "deep"}, {}, "co2_laser", ["TRIED-FAILED"]),
    ],
)
def test_tried_failed_a_treatment_that_failed_here_is_not_recommended_again(
    site, patient, treatment, reasons
):
    plain = make_site_facts(**({"location": "cheek"} | site))
    failed = make_site_facts(**({"location": "cheek"} | site), tried=((treatment, False),))

    before = site_option(evaluate(make_case_facts(plain, **patient)), treatment)
    after = site_option(evaluate(make_case_facts(failed, **patient)), treatment)

    assert before.status == "recommended"
    assert (after.status, ids(after.reasons)) == ("not_indicated", reasons)


def test_tried_failed_at_one_site_leaves_the_other_site_recommended():
    case = make_case_facts(
        make_site_facts(location="cheek", tried=(("extraction", False),)),
        make_site_facts(location="chin"),
    )

    result = evaluate(case)

    assert [site_option(result, "extraction", i).status for i in (0, 1)] == [
        "not_indicated",
        "recommended",
    ]
    assert case_option(result, "extraction").status == "recommended"


def test_tried_failed_guide_example_large_forehead_milium_ranks_cryotherapy_first():
    site = make_site_facts(
        location="forehead", largest_mm=4.0, months_present=36, tried=(("extraction", False),)
    )

    result = evaluate(make_case_facts(site))

    assert result.sites[0].options[0].treatment == "cryotherapy"


# --- Newborn -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("milia_type", "age_years"),
    # Neonatal from age 1 is refused as input since 2026.2 (see test_rules_validation).
    [("neonatal", 0), ("neonatal", 0.99), ("primary", 0), ("primary", 0.9), ("secondary", 0.25)],
)
def test_newborn_every_treatment_not_indicated_observe(milia_type, age_years):
    site = make_site_facts(
        location="cheek", count=40, depth="deep", largest_mm=5.0, months_present=2
    )
    case = make_case_facts(site, milia_type=milia_type, age_years=age_years, recurrent=True)

    result = evaluate(case)

    expected = [(t, "not_indicated", ["NEO-OBSERVE"]) for t in TREATMENTS]
    assert [(o.treatment, o.status, ids(o.reasons)) for o in result.options] == expected
    assert [(o.treatment, o.status, ids(o.reasons)) for o in result.sites[0].options] == expected


def test_newborn_age_one_is_no_longer_newborn():
    result = evaluate(make_case_facts(make_site_facts(location="cheek"), age_years=1))

    assert site_option(result, "extraction").status == "recommended"
    assert "NEO-OBSERVE" not in ids(result.advice)


@pytest.mark.parametrize(
    ("location", "patient", "treatment", "reasons"),
    [
        ("eyelid", {}, "cryotherapy", ["CRYO-EYE", "NEO-OBSERVE"]),
        ("cheek", {"cold_intolerance": True}, "cryotherapy", ["CRYO-COLD", "NEO-OBSERVE"]),
        ("cheek", {"pregnant": True}, "topical_retinoid", ["RET-PREGNANT", "NEO-OBSERVE"]),
    ],
)
def test_newborn_contraindications_still_apply(location, patient, treatment, reasons):
    case = make_case_facts(
        make_site_facts(location=location), milia_type="neonatal", age_years=0, **patient
    )

    option = site_option(evaluate(case), treatment)

    assert (option.status, ids(option.reasons)) == ("contraindicated", reasons)


# --- Cautions ----------------------------------------------------------------------------------

NO_CAUTIONS = {t: [] for t in TREATMENTS} | {
    "cryotherapy": ["IATRO-MILIA"],
    "co2_laser": ["IATRO-MILIA"],
}


@pytest.mark.parametrize(
    ("patient", "site", "changes"),
    [
        ({}, {}, {}),
        ({"fitzpatrick": 3}, {}, {}),
        (
            {"fitzpatrick": 4},
            {},
            {
                "chemical_peel": ["FITZ-PIGMENT"],
                "cryotherapy": ["FITZ-PIGMENT", "IATRO-MILIA"],
                "co2_laser": ["FITZ-PIGMENT", "IATRO-MILIA"],
            },
        ),
        (
            {"fitzpatrick": 6},
            {},
            {
                "chemical_peel": ["FITZ-PIGMENT"],
                "cryotherapy": ["FITZ-PIGMENT", "IATRO-MILIA"],
                "co2_laser": ["FITZ-PIGMENT", "IATRO-MILIA"],
            },
        ),
        (
            {"isotretinoin_last_6_months": True},
            {},
            {"chemical_peel": ["ISO-RECENT"], "co2_laser": ["ISO-RECENT", "IATRO-MILIA"]},
        ),
        (
            {"herpes_simplex_history": True},
            {},
            {"chemical_peel": ["HSV-PROPHYLAXIS"], "co2_laser": ["HSV-PROPHYLAXIS", "IATRO-MILIA"]},
        ),
        ({"breastfeeding": True}, {}, {"topical_retinoid": ["RET-BREASTFEEDING"]}),
        # 2026.2: EYE-DELICATE became one eye caution per treatment.
        (
            {},
            {"location": "eyelid"},
            {
                "chemical_peel": ["PEEL-EYE-GUARD"],
                "topical_retinoid": ["RET-EYE-AWAY"],
                "co2_laser": ["LASER-EYE-SHIELD", "IATRO-MILIA"],
            },
        ),
        ({}, {"tried": (("extraction", False),)}, {}),
        ({}, {"tried": (("extraction", True),)}, {}),
        (
            {"fitzpatrick": 5, "isotretinoin_last_6_months": True, "herpes_simplex_history": True},
            {"location": "periorbital", "tried": (("co2_laser", False),)},
            {
                "chemical_peel": [
                    "PEEL-EYE-GUARD",
                    "FITZ-PIGMENT",
                    "ISO-RECENT",
                    "HSV-PROPHYLAXIS",
                ],
                "topical_retinoid": ["RET-EYE-AWAY"],
                "cryotherapy": ["FITZ-PIGMENT", "IATRO-MILIA"],
                "co2_laser": [
                    "LASER-EYE-SHIELD",
                    "FITZ-PIGMENT",
                    "ISO-RECENT",
                    "HSV-PROPHYLAXIS",
                    "IATRO-MILIA",
                ],
            },
        ),
    ],
)
def test_cautions_attach_to_the_right_treatments(patient, site, changes):
    case = make_case_facts(make_site_facts(**({"location": "cheek"} | site)), **patient)

    result = evaluate(case)

    cautions = {o.treatment: ids(o.cautions) for o in result.sites[0].options}
    assert cautions == NO_CAUTIONS | changes


@pytest.mark.parametrize(
    "patient",
    [
        {"fitzpatrick": 6},
        {"isotretinoin_last_6_months": True},
        {"herpes_simplex_history": True},
        {"breastfeeding": True},
        {"fitzpatrick": 4, "isotretinoin_last_6_months": True, "herpes_simplex_history": True},
        {"keloid_tendency": True},
        {"anticoagulant": True},
        {"photosensitising_drug": True},
        {"age_years": 8},
    ],
)
@pytest.mark.parametrize("location", ["cheek", "eyelid"])
def test_cautions_never_change_a_status(patient, location):
    site = make_site_facts(location=location, count=20, depth="deep")

    plain = evaluate(make_case_facts(site))
    cautioned = evaluate(make_case_facts(site, **patient))

    assert {o.treatment: o.status for o in cautioned.sites[0].options} == {
        o.treatment: o.status for o in plain.sites[0].options
    }


# --- Advice ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("milia_type", "age_years", "advice"),
    [
        ("primary", 34, ["NO-DIY", "SUN-PROTECT"]),
        ("secondary", 34, ["NO-DIY", "SUN-PROTECT", "SECONDARY-CAUSE"]),
        ("neonatal", 0, ["NO-DIY", "NEO-OBSERVE"]),
        ("primary", 0.5, ["NO-DIY", "NEO-OBSERVE"]),
        ("unsure", 34, ["NO-DIY", "SUN-PROTECT", "DX-CONFIRM"]),
        ("milia_en_plaque", 34, ["NO-DIY", "SUN-PROTECT", "DX-CONFIRM"]),
        ("multiple_eruptive", 34, ["NO-DIY", "SUN-PROTECT", "SYNDROME-CHECK", "DX-CONFIRM"]),
        ("unsure", 0, ["NO-DIY", "NEO-OBSERVE", "DX-CONFIRM"]),
    ],
)
def test_advice_depends_on_type_and_age(milia_type, age_years, advice):
    result = evaluate(make_case_facts(milia_type=milia_type, age_years=age_years))

    assert ids(result.advice) == advice


# --- Ranking and the case level ----------------------------------------------------------------


def test_ranking_orders_by_status_then_cautions_then_treatment_order():
    # Cheek, 12 superficial lesions on 1 site: extraction consider, retinoid consider, the rest
    # not indicated; darker skin adds a caution to peel, cryotherapy and laser.
    case = make_case_facts(make_site_facts(location="cheek", count=12), fitzpatrick=5)

    result = evaluate(case)

    assert [(o.rank, o.treatment, o.status, len(o.cautions)) for o in result.options] == [
        (1, "extraction", "consider", 0),
        (2, "topical_retinoid", "consider", 0),
        (3, "chemical_peel", "not_indicated", 1),
        (4, "cryotherapy", "not_indicated", 2),
        (5, "co2_laser", "not_indicated", 2),
    ]


def test_ranking_puts_contraindicated_last():
    case = make_case_facts(
        make_site_facts(location="cheek", largest_mm=5.0, months_present=24), pregnant=True
    )

    result = evaluate(case)

    assert [(o.treatment, o.status) for o in result.options] == [
        ("extraction", "recommended"),
        ("cryotherapy", "recommended"),
        ("chemical_peel", "not_indicated"),
        ("co2_laser", "not_indicated"),
        ("topical_retinoid", "contraindicated"),
    ]


def test_case_level_takes_best_status_and_reasons_of_sites_reaching_it():
    case = make_case_facts(
        make_site_facts(location="cheek", count=2),
        make_site_facts(location="chin", count=12),
    )

    option = case_option(evaluate(case), "extraction")

    assert (option.status, ids(option.reasons)) == ("recommended", ["EXT-FEW"])


def test_case_level_cautions_unite_sites_once_each_in_site_order():
    # DX-CONFIRM comes before IATRO-MILIA in the table, but only the second site has it.
    case = make_case_facts(
        make_site_facts(location="eyelid", tried=(("co2_laser", False),)),
        make_site_facts(
            location="cheek", depth="deep", largest_mm=4.0, tried=(("co2_laser", False),)
        ),
        herpes_simplex_history=True,
    )

    option = case_option(evaluate(case), "co2_laser")

    assert ids(option.cautions) == [
        "LASER-EYE-SHIELD",
        "HSV-PROPHYLAXIS",
        "IATRO-MILIA",
        "DX-CONFIRM",
    ]


@pytest.mark.parametrize(
    ("sites", "text"),
    [
        ([("eyelid", "left")], "Not for the left eyelid site."),
        ([("periorbital", "right")], "Not for the right periorbital area site."),
        ([("eyelid", "midline")], "Not for the eyelid site."),
        ([("eyelid", "bilateral")], "Not for the eyelid (both sides) site."),
        (
            [("eyelid", "left"), ("periorbital", "right")],
            "Not for the left eyelid and right periorbital area sites.",
        ),
        (
            [("eyelid", "left"), ("eyelid", "right"), ("periorbital", "bilateral")],
            "Not for the left eyelid, right eyelid and periorbital area (both sides) sites.",
        ),
        ([("eyelid", "left"), ("eyelid", "left")], "Not for the left eyelid site."),
    ],
)
def test_site_excluded_names_the_excluded_sites(sites, text):
    eye_sites = [make_site_facts(location=location, side=side) for location, side in sites]
    forehead = make_site_facts(location="forehead", largest_mm=4.0, months_present=36)

    option = case_option(evaluate(make_case_facts(*eye_sites, forehead)), "cryotherapy")

    assert option.status == "recommended"
    assert option.cautions[-1] == Finding("SITE-EXCLUDED", text, "guide: Cryotherapy")


def test_site_excluded_absent_when_contraindicated_everywhere_or_nowhere():
    everywhere = evaluate(
        make_case_facts(make_site_facts(location="eyelid"), make_site_facts(location="periorbital"))
    )
    nowhere = evaluate(
        make_case_facts(make_site_facts(location="cheek"), make_site_facts(location="nose"))
    )

    assert case_option(everywhere, "cryotherapy").status == "contraindicated"
    assert ids(case_option(everywhere, "cryotherapy").reasons) == ["CRYO-EYE", "CRYO-RESERVED"]
    assert "SITE-EXCLUDED" not in ids(case_option(everywhere, "cryotherapy").cautions)
    assert "SITE-EXCLUDED" not in ids(case_option(nowhere, "cryotherapy").cautions)


def test_site_results_carry_index_location_side_and_eye_area():
    case = make_case_facts(
        make_site_facts(location="eyelid", side="left"), make_site_facts(location="nose")
    )

    result = evaluate(case)

    assert [(s.index, s.location, s.side, s.eye_area) for s in result.sites] == [
        (0, "eyelid", "left", True),
        (1, "nose", "midline", False),
    ]


def test_evaluate_refuses_a_case_without_sites():
    with pytest.raises(ValueError, match="at least one site"):
        evaluate(CaseFacts(patient=PatientFacts(age_years=30), sites=()))


@pytest.mark.parametrize(
    ("location", "side", "words"),
    [
        ("eyelid", "left", "left eyelid"),
        ("cheek", "right", "right cheek"),
        ("nose", "midline", "nose"),
        ("cheek", "bilateral", "cheek (both sides)"),
        ("other", "left", "left unlisted area"),
        ("perioral", "midline", "perioral area"),
        ("periorbital", "bilateral", "periorbital area (both sides)"),
    ],
)
def test_site_words_reads_side_and_location(location, side, words):
    assert rules.site_words(location, side) == words


@pytest.mark.parametrize(
    ("location", "side", "title"),
    [
        ("eyelid", "left", "Left eyelid"),
        ("nose", "midline", "Nose"),
        ("cheek", "bilateral", "Cheek (both sides)"),
        ("perioral", "midline", "Perioral area"),
    ],
)
def test_site_title_is_the_site_words_capitalised(location, side, title):
    assert rules.site_title(location, side) == title


@pytest.mark.parametrize(
    ("label", "words"),
    [("Mechanical extraction", "mechanical extraction"), ("CO2 laser", "CO2 laser")],
)
def test_in_sentence_lowers_a_label_but_not_an_acronym(label, words):
    assert rules.in_sentence(label) == words


@pytest.mark.parametrize(
    ("words", "joined"),
    [
        ([], ""),
        (["nose"], "nose"),
        (["nose", "chin"], "nose and chin"),
        (["a", "b", "c"], "a, b and c"),
    ],
)
def test_join_words_reads_as_a_list_in_a_sentence(words, joined):
    assert rules.join_words(words) == joined


def test_vocabulary_codes_are_the_keys_of_its_labels():
    assert (
        tuple(rules.TREATMENT_LABELS),
        tuple(rules.LOCATION_LABELS),
        tuple(rules.SIDE_LABELS),
        tuple(rules.DEPTH_LABELS),
        tuple(rules.MILIA_TYPE_LABELS),
        tuple(rules.STATUS_LABELS),
    ) == (
        rules.TREATMENTS,
        rules.LOCATIONS,
        rules.SIDES,
        rules.DEPTHS,
        rules.MILIA_TYPES,
        rules.STATUSES,
    )


# --- Courses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("treatment", "sessions", "interval_weeks"),
    [
        ("extraction", 1, None),
        ("chemical_peel", 4, 3),
        ("topical_retinoid", None, None),
        ("cryotherapy", 1, None),
        ("co2_laser", 1, None),
    ],
)
def test_course_table_gives_sessions_and_interval(treatment, sessions, interval_weeks):
    option = case_option(evaluate(make_case_facts()), treatment)

    assert (option.course.sessions, option.course.interval_weeks) == (sessions, interval_weeks)
    assert option.course.note != ""


def test_course_to_dict_has_sessions_interval_and_note():
    course = Course(4, 3, "A series.")

    assert course.to_dict() == {"sessions": 4, "interval_weeks": 3, "note": "A series."}


# --- The guide's examples ----------------------------------------------------------------------


def test_guide_single_small_bump_on_cheek_extraction_first():
    result = recommend(
        {
            "patient": {"age_years": 29},
            "sites": [{"location": "cheek", "count": 1, "largest_mm": 1.0}],
        }
    )

    first = result["options"][0]
    assert (first["treatment"], first["status"], first["rank"]) == ("extraction", "recommended", 1)
    assert [r["rule"] for r in first["reasons"]] == ["EXT-FEW"]
    assert first["course"]["sessions"] == 1


def test_guide_many_milia_over_face_peel_and_retinoid():
    result = recommend(
        {
            "patient": {"age_years": 41},
            "sites": [
                {"location": "cheek", "side": "left", "count": 8},
                {"location": "cheek", "side": "right", "count": 7},
                {"location": "forehead", "count": 6},
                {"location": "nose", "count": 4},
            ],
        }
    )

    statuses = {o["treatment"]: o["status"] for o in result["options"]}
    peel = next(o for o in result["options"] if o["treatment"] == "chemical_peel")
    assert (statuses["chemical_peel"], statuses["topical_retinoid"]) == (
        "recommended",
        "recommended",
    )
    assert peel["course"] == {
        "sessions": 4,
        "interval_weeks": 3,
        "note": COURSES["chemical_peel"].note,
    }


def test_guide_large_forehead_milium_for_years_cryotherapy():
    result = recommend(
        {
            "patient": {"age_years": 52},
            "sites": [{"location": "forehead", "count": 1, "largest_mm": 4, "months_present": 36}],
        }
    )

    cryo = next(o for o in result["sites"][0]["options"] if o["treatment"] == "cryotherapy")
    assert cryo["status"] == "recommended"
    assert [r["rule"] for r in cryo["reasons"]] == ["CRYO-LARGE-PERSISTENT"]


def test_guide_deep_cluster_resisting_extraction_co2_laser():
    result = recommend(
        {
            "patient": {"age_years": 45},
            "sites": [
                {
                    "location": "cheek",
                    "count": 6,
                    "depth": "deep",
                    "tried": [{"treatment": "extraction", "worked": False}],
                }
            ],
        }
    )

    laser = next(o for o in result["options"] if o["treatment"] == "co2_laser")
    assert (laser["status"], laser["rank"]) == ("recommended", 1)
    assert [r["rule"] for r in laser["reasons"]] == ["LASER-DEEP", "LASER-RESISTED"]


def test_guide_eyelid_and_forehead_cryotherapy_excluded_at_eyelid_only():
    result = recommend(
        {
            "patient": {"age_years": 38},
            "sites": [
                {"location": "eyelid", "side": "left", "count": 4, "largest_mm": 1.0},
                {
                    "location": "forehead",
                    "count": 1,
                    "largest_mm": 4.0,
                    "months_present": 24,
                    "tried": [{"treatment": "extraction", "worked": False}],
                },
            ],
        }
    )

    def cryo(options):
        return next(o for o in options if o["treatment"] == "cryotherapy")

    assert cryo(result["sites"][0]["options"])["status"] == "contraindicated"
    assert cryo(result["sites"][1]["options"])["status"] == "recommended"
    case_cryo = cryo(result["options"])
    assert case_cryo["status"] == "recommended"
    assert case_cryo["cautions"][-1] == {
        "rule": "SITE-EXCLUDED",
        "text": "Not for the left eyelid site.",
        "source": "guide: Cryotherapy",
    }
    assert "left eyelid" in case_cryo["cautions"][-1]["text"]


def test_guide_design_example_output_shape():
    data = {
        "patient": {
            "age_years": 34,
            "fitzpatrick": 3,
            "pregnant": False,
            "breastfeeding": False,
            "isotretinoin_last_6_months": False,
            "herpes_simplex_history": False,
            "cold_intolerance": False,
        },
        "milia_type": "primary",
        "recurrent": False,
        "sites": [
            {
                "location": "periorbital",
                "side": "left",
                "count": 6,
                "largest_mm": 1.0,
                "depth": "superficial",
                "months_present": 3,
                "tried": [{"treatment": "topical_retinoid", "worked": False}],
            }
        ],
    }

    result = recommend(data)

    assert list(result) == ["rules_version", "options", "sites", "advice"]
    assert result["rules_version"] == "2026.2"
    assert result["options"][0] == {
        "treatment": "extraction",
        "status": "recommended",
        "rank": 1,
        "reasons": [
            RULES_BY_KEY["EXT-FEW", "extraction"].finding.to_dict(),
            RULES_BY_KEY["EXT-EYE", "extraction"].finding.to_dict(),
        ],
        "cautions": [],
        "course": COURSES["extraction"].to_dict(),
    }
    # 2026.2: a failed retinoid makes the laser "consider" only (LASER-OTHER-FAILED), and at the
    # eye a retinoid ranks after the other options of its status.
    assert [(o["treatment"], o["status"]) for o in result["sites"][0]["options"]] == [
        ("extraction", "recommended"),
        ("co2_laser", "consider"),
        ("topical_retinoid", "consider"),
        ("chemical_peel", "not_indicated"),
        ("cryotherapy", "contraindicated"),
    ]
    assert list(result["sites"][0]) == ["index", "location", "side", "eye_area", "options"]
    assert [a["rule"] for a in result["advice"]] == ["NO-DIY", "SUN-PROTECT"]


# --- The rule table ----------------------------------------------------------------------------

RULES_BY_KEY = {(rule.id, rule.treatment): rule for rule in RULES}


def test_rules_table_has_unique_id_treatment_pairs():
    assert len(RULES_BY_KEY) == len(RULES)


def test_rules_table_rows_are_well_formed():
    problems = []
    for rule in RULES:
        if rule.kind == "verdict" and (
            rule.treatment not in TREATMENTS or rule.status not in STATUSES
        ):
            problems.append(rule.id)
        if rule.kind == "caution" and (rule.treatment not in TREATMENTS or rule.status is not None):
            problems.append(rule.id)
        if rule.kind == "advice" and (rule.treatment is not None or rule.status is not None):
            problems.append(rule.id)
        if rule.kind == "limit" and (
            rule.treatment not in TREATMENTS or rule.status not in {"consider", "not_indicated"}
        ):
            problems.append(rule.id)
        if rule.kind not in {"verdict", "limit", "caution", "advice"} or not rule.text.strip():
            problems.append(rule.id)
    assert problems == []


def test_rules_table_has_the_specified_ids():
    assert sorted({(r.id, r.kind) for r in RULES}) == sorted(
        [
            ("EXT-FEW", "verdict"),
            ("EXT-EYE", "verdict"),
            ("EXT-MANY", "verdict"),
            ("EXT-DEEP", "verdict"),
            ("PEEL-WIDESPREAD", "verdict"),
            ("PEEL-FEW", "verdict"),
            ("PEEL-EYE", "limit"),
            ("PEEL-EYE-GUARD", "caution"),
            ("PEEL-MUCOSA", "limit"),
            ("PEEL-PREGNANT", "caution"),
            ("RET-RECURRENT", "verdict"),
            ("RET-WIDESPREAD", "verdict"),
            ("RET-PREVENT", "verdict"),
            ("RET-PREGNANT", "verdict"),
            ("RET-EYE", "limit"),
            ("RET-EYE-AWAY", "caution"),
            ("RET-MUCOSA", "limit"),
            ("RET-BREASTFEEDING", "caution"),
            ("RET-INFLAMED", "caution"),
            ("CRYO-LARGE-PERSISTENT", "verdict"),
            ("CRYO-RESERVED", "verdict"),
            ("CRYO-EYE", "verdict"),
            ("CRYO-COLD", "verdict"),
            ("LASER-DEEP", "verdict"),
            ("LASER-RESISTED", "verdict"),
            ("LASER-OTHER-FAILED", "verdict"),
            ("LASER-RESERVED", "verdict"),
            ("LASER-PREGNANT", "limit"),
            ("LASER-EYE-SHIELD", "caution"),
            ("NEO-OBSERVE", "verdict"),
            ("NEO-OBSERVE", "advice"),
            ("NEO-PERSISTENT", "advice"),
            ("RED-FLAGS", "verdict"),
            ("RED-FLAGS", "caution"),
            ("RED-FLAGS", "advice"),
            ("INFLAMED", "verdict"),
            ("FITZ-PIGMENT", "caution"),
            ("ISO-RECENT", "caution"),
            ("HSV-PROPHYLAXIS", "caution"),
            ("KELOID", "caution"),
            ("ANTICOAGULANT", "caution"),
            ("PHOTOSENSITISING", "caution"),
            ("CHILD-PROCEDURE", "caution"),
            ("DX-CONFIRM", "caution"),
            ("DX-CONFIRM", "advice"),
            ("TRIED-FAILED", "verdict"),
            ("IATRO-MILIA", "caution"),
            ("NO-DIY", "advice"),
            ("SUN-PROTECT", "advice"),
            ("SECONDARY-CAUSE", "advice"),
            ("SYNDROME-CHECK", "advice"),
        ]
    )


def unknown_sources(source):
    """The parts of a source that are neither a guide section nor a named reference.

    A source is parts joined by "; ": "guide: Chemical Peels; Topical Retinoids" names two guide
    sections (parts after a "guide: " part are sections too, until a named reference).
    """
    unknown = []
    in_guide = False
    for part in source.split("; "):
        if part.startswith("guide: "):
            in_guide = True
            part = part.removeprefix("guide: ")
        if part in NAMED_REFERENCES:
            in_guide = False
        elif not (in_guide and part in GUIDE_SECTIONS):
            unknown.append(part)
    return unknown


@pytest.mark.parametrize(
    ("source", "unknown"),
    [
        ("guide: Chemical Peels; Topical Retinoids", []),
        ("guide: Conclusion; Berk & Bayliss, J Am Acad Dermatol 2008", []),
        ("Chemical Peels", ["Chemical Peels"]),
        ("guide: Peels", ["Peels"]),
        ("ANSI Z136.3; Cryotherapy", ["Cryotherapy"]),
        ("Someone, 2020", ["Someone, 2020"]),
    ],
)
def test_rules_unknown_sources_reads_guide_sections_and_references(source, unknown):
    assert unknown_sources(source) == unknown


def test_rules_every_source_is_a_guide_section_or_named_reference():
    assert [part for rule in RULES for part in unknown_sources(rule.source)] == []


def test_rules_guide_sections_named_exist_in_the_guide():
    text = guide_text()

    assert [s for s in sorted(GUIDE_SECTIONS) if s not in text] == []


def _word_runs(text, length):
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {" ".join(words[i : i + length]) for i in range(len(words) - length + 1)}


def test_rules_texts_are_not_pasted_from_the_guide():
    guide_runs = _word_runs(guide_text(), 7)
    texts = [r.text for r in RULES] + [c.note for c in COURSES.values()]
    texts += [t["basis"] for t in THRESHOLD_SOURCES.values()]

    assert [t for t in texts if _word_runs(t, 7) & guide_runs] == []


def test_rules_default_verdict_covers_every_treatment():
    # Any valid site gets at least one reason per treatment: a spread of plain sites.
    for location in LOCATIONS:
        for depth in ("superficial", "deep"):
            result = evaluate(
                make_case_facts(make_site_facts(location=location, depth=depth, count=11))
            )
            assert [o.treatment for o in result.options if not o.reasons] == []


@pytest.mark.parametrize(
    ("case", "fired"),
    [
        (
            make_case_facts(make_site_facts(location="eyelid", side="left")),
            {"PEEL-FEW", "RET-PREVENT", "IATRO-MILIA", "NO-DIY", "SUN-PROTECT"},
        ),
        (
            make_case_facts(
                make_site_facts(location="eyelid", side="left"),
                milia_type="neonatal",
                age_years=0,
                pregnant=True,
                fitzpatrick=6,
            ),
            {"PEEL-PREGNANT", "RET-PREGNANT", "LASER-PREGNANT", "NEO-OBSERVE", "FITZ-PIGMENT",
             "IATRO-MILIA", "NO-DIY"},
        ),
        (
            make_case_facts(
                make_site_facts(location="eyelid", side="left"),
                recurrent=True,
                breastfeeding=True,
                cold_intolerance=True,
            ),
            {"PEEL-FEW", "RET-BREASTFEEDING", "CRYO-COLD", "IATRO-MILIA", "NO-DIY",
             "SUN-PROTECT"},
        ),
    ],
)  # fmt: skip
def test_rules_case_level_predicates_read_no_site(case, fired):
    agg = rules.aggregate(case)
    case_level = [r for r in RULES if getattr(r.applies, "case_level", False)]
    site = case.sites[0]

    without_site = [r.applies(case.patient, None, agg, DEFAULT_THRESHOLDS) for r in case_level]
    with_site = [r.applies(case.patient, site, agg, DEFAULT_THRESHOLDS) for r in case_level]

    assert {r.id for r, applies in zip(case_level, without_site, strict=True) if applies} == fired
    assert with_site == without_site
    assert [r.id for r in RULES if r.kind == "advice" and r not in case_level] == []


# --- Thresholds and versions -------------------------------------------------------------------


def test_thresholds_defaults_match_design():
    assert (
        DEFAULT_THRESHOLDS.FEW_MAX,
        DEFAULT_THRESHOLDS.MANY_MIN,
        DEFAULT_THRESHOLDS.WIDESPREAD_SITES,
        DEFAULT_THRESHOLDS.LARGE_MM,
        DEFAULT_THRESHOLDS.PERSISTENT_MONTHS,
        DEFAULT_THRESHOLDS.DX_CONFIRM_MM,
        DEFAULT_THRESHOLDS.NEWBORN_PERSISTENT_MONTHS,
        DEFAULT_THRESHOLDS.CHILD_MAX_AGE,
    ) == (10, 15, 3, 3.0, 12, 3.0, 3, 12)


def test_thresholds_each_has_a_source_and_basis():
    assert list(THRESHOLD_SOURCES) == [
        "FEW_MAX",
        "MANY_MIN",
        "WIDESPREAD_SITES",
        "LARGE_MM",
        "PERSISTENT_MONTHS",
        "DX_CONFIRM_MM",
        "NEWBORN_PERSISTENT_MONTHS",
        "CHILD_MAX_AGE",
    ]
    assert [
        name
        for name, entry in THRESHOLD_SOURCES.items()
        if unknown_sources(entry["source"]) or not entry["basis"]
    ] == []
    assert THRESHOLD_SOURCES["FEW_MAX"]["default"] == 10


def test_thresholds_from_mapping_overrides_some():
    thresholds = Thresholds.from_mapping({"FEW_MAX": 8, "LARGE_MM": 2})

    assert thresholds == Thresholds(FEW_MAX=8, LARGE_MM=2.0)
    assert isinstance(thresholds.LARGE_MM, float)


@pytest.mark.parametrize("overrides", [{}, None])
def test_thresholds_from_mapping_empty_is_default(overrides):
    assert Thresholds.from_mapping(overrides) == DEFAULT_THRESHOLDS


def test_thresholds_from_mapping_unknown_names_refused():
    with pytest.raises(ValueError) as raised:
        Thresholds.from_mapping({"FEW_MAX": 8, "few_max": 9, "MAX_FEW": 1})

    assert str(raised.value) == (
        "unknown threshold(s): few_max, MAX_FEW; allowed: FEW_MAX, MANY_MIN, WIDESPREAD_SITES, "
        "LARGE_MM, PERSISTENT_MONTHS, DX_CONFIRM_MM, NEWBORN_PERSISTENT_MONTHS, CHILD_MAX_AGE"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"FEW_MAX": 0}, "FEW_MAX must be a whole number of at least 1 (got 0)"),
        ({"FEW_MAX": 2.5}, "FEW_MAX must be a whole number of at least 1 (got 2.5)"),
        ({"MANY_MIN": True}, "MANY_MIN must be a whole number of at least 1 (got True)"),
        (
            {"WIDESPREAD_SITES": "3"},
            "WIDESPREAD_SITES must be a whole number of at least 1 (got '3')",
        ),
        (
            {"PERSISTENT_MONTHS": -1},
            "PERSISTENT_MONTHS must be a whole number of at least 0 (got -1)",
        ),
        ({"LARGE_MM": 0}, "LARGE_MM must be a number greater than 0 (got 0)"),
        ({"LARGE_MM": float("nan")}, "LARGE_MM must be a number greater than 0 (got nan)"),
        ({"LARGE_MM": None}, "LARGE_MM must be a number greater than 0 (got None)"),
        ({"DX_CONFIRM_MM": 0.0}, "DX_CONFIRM_MM must be a number greater than 0 (got 0.0)"),
        ({"DX_CONFIRM_MM": "3"}, "DX_CONFIRM_MM must be a number greater than 0 (got '3')"),
        (
            {"NEWBORN_PERSISTENT_MONTHS": -1},
            "NEWBORN_PERSISTENT_MONTHS must be a whole number of at least 0 (got -1)",
        ),
        ({"CHILD_MAX_AGE": 0}, "CHILD_MAX_AGE must be a whole number of at least 1 (got 0)"),
        ({"CHILD_MAX_AGE": 12.0}, "CHILD_MAX_AGE must be a whole number of at least 1 (got 12.0)"),
    ],
)
def test_thresholds_bad_values_refused(overrides, message):
    with pytest.raises(ValueError) as raised:
        Thresholds.from_mapping(overrides)

    assert str(raised.value) == f"invalid thresholds: {message}"


def test_thresholds_from_mapping_refuses_a_non_mapping():
    with pytest.raises(ValueError, match="must be a mapping"):
        Thresholds.from_mapping([("FEW_MAX", 8)])


def test_rules_version_default_is_base_version():
    assert rules_version(DEFAULT_THRESHOLDS) == rules.RULES_BASE_VERSION == "2026.2"
    assert rules_version(Thresholds(LARGE_MM=3)) == "2026.2"
    assert rules_version(Thresholds(DX_CONFIRM_MM=3)) == "2026.2"


def test_rules_version_changes_with_thresholds():
    versions = {
        rules_version(Thresholds(FEW_MAX=8)),
        rules_version(Thresholds(FEW_MAX=9)),
        rules_version(Thresholds(LARGE_MM=2.5)),
        rules_version(Thresholds(MANY_MIN=20, WIDESPREAD_SITES=4)),
        rules_version(Thresholds(DX_CONFIRM_MM=4.0)),
        rules_version(Thresholds(NEWBORN_PERSISTENT_MONTHS=6)),
        rules_version(Thresholds(CHILD_MAX_AGE=15)),
    }

    assert len(versions) == 7
    assert all(re.fullmatch(r"2026\.2\+t[0-9a-f]{8}", v) for v in versions)
    assert rules_version(Thresholds(FEW_MAX=8)) == rules_version(
        Thresholds.from_mapping({"FEW_MAX": 8})
    )


def test_thresholds_change_the_decisions_and_version():
    case = make_case_facts(make_site_facts(location="cheek", count=6))

    result = evaluate(case, Thresholds(FEW_MAX=5, MANY_MIN=6))

    assert site_option(result, "extraction").status == "consider"
    assert site_option(result, "chemical_peel").status == "recommended"
    assert result.rules_version == rules_version(Thresholds(FEW_MAX=5, MANY_MIN=6))


# --- Serialisation -----------------------------------------------------------------------------


def test_case_facts_defaults_filled_from_minimal_input():
    case = CaseFacts.from_dict({"patient": {"age_years": 30}, "sites": [{"location": "nose"}]})

    assert case == CaseFacts(
        patient=PatientFacts(
            age_years=30,
            fitzpatrick=None,
            pregnant=False,
            breastfeeding=False,
            isotretinoin_last_6_months=False,
            herpes_simplex_history=False,
            cold_intolerance=False,
            keloid_tendency=False,
            anticoagulant=False,
            photosensitising_drug=False,
        ),
        sites=(
            SiteFacts(
                location="nose",
                side="midline",
                count=1,
                largest_mm=1.0,
                depth="superficial",
                months_present=0,
                tried=(),
                red_flags=False,
                active_inflammation=False,
            ),
        ),
        milia_type="primary",
        recurrent=False,
    )


def test_case_facts_round_trip_through_json():
    case = make_case_facts(
        make_site_facts(location="eyelid", side="left", count=3, tried=(("extraction", False),)),
        make_site_facts(
            location="trunk",
            side="bilateral",
            largest_mm=2.5,
            months_present=7,
            red_flags=True,
            active_inflammation=True,
        ),
        milia_type="secondary",
        recurrent=True,
        fitzpatrick=2,
        pregnant=True,
        keloid_tendency=True,
        anticoagulant=True,
        photosensitising_drug=True,
    )

    assert CaseFacts.from_dict(json.loads(json.dumps(case.to_dict()))) == case


def test_tried_treatment_from_dict_defaults_worked_false():
    assert TriedTreatment.from_dict({"treatment": "cryotherapy"}) == TriedTreatment(
        "cryotherapy", False
    )


def test_recommend_equals_evaluate_to_dict():
    data = {"patient": {"age_years": 30, "fitzpatrick": 5}, "sites": [{"location": "nose"}]}

    assert recommend(data) == evaluate(CaseFacts.from_dict(data)).to_dict()


def test_recommend_refuses_bad_input_whole():
    with pytest.raises(InvalidCase) as raised:
        recommend({"patient": {"age_years": 30}, "sites": [{"count": 0}, {"location": "moon"}]})

    assert raised.value.errors == {
        "sites[0].location": ["is required"],
        "sites[0].count": ["must be a whole number of at least 1"],
        "sites[1].location": [
            "must be one of: eyelid, periorbital, forehead, temple, cheek, nose, perioral, chin, "
            "jawline, ear, neck, scalp, trunk, arm, hand, leg, genital, other"
        ],
    }


# --- Purity ------------------------------------------------------------------------------------


def test_rules_module_imports_no_django():
    script = (
        "import treatments.rules, sys; "
        "print(','.join(sorted(m for m in sys.modules if m.startswith('django'))))"
    )

    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "PYTHONPATH": str(REPO_ROOT)},
    )

    assert completed.stdout.strip() == ""
