"""Decision tables for the rules new or changed in 2026.2 (DESIGN §3a): no database, exact rows.

Every expected value is written out by hand from DESIGN §3a and the rule table, never computed
by the code under test. Each row's status and rule ids are compared whole (``==``).
"""

import pytest

from tests.factories import make_case_facts, make_site_facts
from treatments import rules
from treatments.rules import (
    RULES,
    TREATMENTS,
    Thresholds,
    aggregate,
    evaluate,
)

CI = "contraindicated"
NI = "not_indicated"

# --- Factories and readers ---------------------------------------------------------------------


def make_site(location="cheek", **facts):
    """This module's sites are on a cheek unless told: a plain site where every treatment fits."""
    return make_site_facts(location=location, **facts)


def make_case(*sites, **fields):
    return make_case_facts(*(sites or (make_site(),)), **fields)


def ids(findings):
    return [finding.rule for finding in findings]


def site_option(result, treatment, index=0):
    return next(o for o in result.sites[index].options if o.treatment == treatment)


def case_option(result, treatment):
    return next(o for o in result.options if o.treatment == treatment)


def verdict(result, treatment, index=0):
    """(status, reason ids) of a treatment at a site."""
    option = site_option(result, treatment, index)
    return option.status, ids(option.reasons)


def cautioned(result, treatment, index=0):
    """(status, caution ids) of a treatment at a site."""
    option = site_option(result, treatment, index)
    return option.status, ids(option.cautions)


def every_treatment(result, index=0):
    """{treatment: (status, caution ids)} at a site."""
    return {t: cautioned(result, t, index) for t in TREATMENTS}


# A plain cheek site with one superficial milium, before any 2026.2 fact is set.
PLAIN_CHEEK = {
    "extraction": ("recommended", []),
    "chemical_peel": (NI, []),
    "topical_retinoid": ("consider", []),
    "cryotherapy": (NI, ["IATRO-MILIA"]),
    "co2_laser": (NI, ["IATRO-MILIA"]),
}


# --- Row 1: eye area (PEEL-EYE, RET-EYE, PEEL-EYE-GUARD, RET-EYE-AWAY, ranking) ----------------


@pytest.mark.parametrize(
    ("location", "site", "patient", "expected"),
    [
        ("eyelid", {"count": 20}, {}, ("consider", ["PEEL-EYE", "PEEL-WIDESPREAD"])),
        ("periorbital", {"count": 20}, {}, ("consider", ["PEEL-EYE", "PEEL-WIDESPREAD"])),
        ("cheek", {"count": 20}, {}, ("recommended", ["PEEL-WIDESPREAD"])),
        ("temple", {"count": 20}, {}, ("recommended", ["PEEL-WIDESPREAD"])),
        ("eyelid", {"count": 1}, {}, (NI, ["PEEL-FEW", "PEEL-EYE"])),
        (
            "eyelid",
            {"count": 20, "tried": (("chemical_peel", False),)},
            {},
            (NI, ["TRIED-FAILED", "PEEL-EYE"]),
        ),
        # A limit never lowers contraindicated.
        (
            "eyelid",
            {"count": 20, "active_inflammation": True},
            {},
            (CI, ["INFLAMED", "PEEL-WIDESPREAD", "PEEL-EYE"]),
        ),
        ("eyelid", {"count": 20}, {"age_years": 0}, (NI, ["NEO-OBSERVE", "PEEL-EYE"])),
    ],
)
def test_peel_eye_at_most_consider_at_the_eye(location, site, patient, expected):
    result = evaluate(make_case(make_site(location, **site), **patient))

    assert verdict(result, "chemical_peel") == expected


@pytest.mark.parametrize(
    ("location", "site", "patient", "expected"),
    [
        ("eyelid", {}, {"recurrent": True}, ("consider", ["RET-EYE", "RET-RECURRENT"])),
        ("periorbital", {"count": 20}, {}, ("consider", ["RET-EYE", "RET-WIDESPREAD"])),
        ("eyelid", {}, {}, ("consider", ["RET-PREVENT", "RET-EYE"])),
        ("cheek", {}, {"recurrent": True}, ("recommended", ["RET-RECURRENT"])),
        ("forehead", {"count": 20}, {}, ("recommended", ["RET-WIDESPREAD"])),
        ("eyelid", {}, {"pregnant": True}, (CI, ["RET-PREGNANT", "RET-PREVENT", "RET-EYE"])),
        (
            "eyelid",
            {"tried": (("topical_retinoid", False),)},
            {"recurrent": True},
            (NI, ["TRIED-FAILED", "RET-EYE"]),
        ),
    ],
)
def test_ret_eye_at_most_consider_at_the_eye(location, site, patient, expected):
    result = evaluate(make_case(make_site(location, **site), **patient))

    assert verdict(result, "topical_retinoid") == expected


@pytest.mark.parametrize(
    ("location", "patient", "expected"),
    [
        ("eyelid", {}, (NI, ["PEEL-EYE-GUARD"])),
        ("periorbital", {}, (NI, ["PEEL-EYE-GUARD"])),
        ("eyelid", {"pregnant": True}, (NI, ["PEEL-EYE-GUARD", "PEEL-PREGNANT"])),
        ("forehead", {}, (NI, [])),
        ("temple", {}, (NI, [])),
        ("cheek", {}, (NI, [])),
    ],
)
def test_peel_eye_guard_keeps_acid_off_the_lids(location, patient, expected):
    result = evaluate(make_case(make_site(location), **patient))

    assert cautioned(result, "chemical_peel") == expected


@pytest.mark.parametrize(
    ("location", "patient", "expected"),
    [
        ("eyelid", {}, ("consider", ["RET-EYE-AWAY"])),
        ("periorbital", {}, ("consider", ["RET-EYE-AWAY"])),
        ("eyelid", {"breastfeeding": True}, ("consider", ["RET-EYE-AWAY", "RET-BREASTFEEDING"])),
        ("eyelid", {"pregnant": True}, (CI, ["RET-EYE-AWAY"])),
        ("forehead", {}, ("consider", [])),
        ("nose", {}, ("consider", [])),
    ],
)
def test_ret_eye_away_keeps_the_cream_from_the_eyes(location, patient, expected):
    result = evaluate(make_case(make_site(location), **patient))

    assert cautioned(result, "topical_retinoid") == expected


@pytest.mark.parametrize(
    ("location", "site", "patient", "ranking"),
    [
        # Widespread at the eyelid: peel and retinoid "consider", after extraction.
        (
            "eyelid",
            {"count": 20},
            {},
            [
                ("extraction", "consider"),
                ("chemical_peel", "consider"),
                ("topical_retinoid", "consider"),
                ("co2_laser", NI),
                ("cryotherapy", CI),
            ],
        ),
        # The retinoid is the best status but is not first while extraction is not
        # contraindicated.
        (
            "eyelid",
            {"tried": (("extraction", False), ("co2_laser", False))},
            {},
            [
                ("extraction", NI),
                ("topical_retinoid", "consider"),
                ("co2_laser", NI),
                ("chemical_peel", NI),
                ("cryotherapy", CI),
            ],
        ),
        # The same site on the cheek: ranked by status alone.
        (
            "cheek",
            {"tried": (("extraction", False), ("co2_laser", False))},
            {},
            [
                ("topical_retinoid", "consider"),
                ("extraction", NI),
                ("chemical_peel", NI),
                ("cryotherapy", NI),
                ("co2_laser", NI),
            ],
        ),
        # Every other option contraindicated: only then may the retinoid be first.
        (
            "eyelid",
            {"active_inflammation": True},
            {},
            [
                ("topical_retinoid", "consider"),
                ("extraction", CI),
                ("cryotherapy", CI),
                ("co2_laser", CI),
                ("chemical_peel", CI),
            ],
        ),
        (
            "periorbital",
            {"count": 20},
            {"recurrent": True, "pregnant": True},
            [
                ("extraction", "consider"),
                ("chemical_peel", "consider"),
                ("co2_laser", NI),
                ("cryotherapy", CI),
                ("topical_retinoid", CI),
            ],
        ),
    ],
)
def test_eye_ranking_peel_and_retinoid_never_first_at_the_eye(location, site, patient, ranking):
    result = evaluate(make_case(make_site(location, **site), **patient))

    assert [(o.treatment, o.status) for o in result.sites[0].options] == ranking


# --- Row 2: genital sites (PEEL-MUCOSA, RET-MUCOSA) ----------------------------------------------


@pytest.mark.parametrize(
    ("location", "site", "patient", "expected"),
    [
        ("genital", {"count": 20}, {}, (NI, ["PEEL-MUCOSA", "PEEL-WIDESPREAD"])),
        ("genital", {}, {}, (NI, ["PEEL-FEW", "PEEL-MUCOSA"])),
        ("trunk", {"count": 20}, {}, ("recommended", ["PEEL-WIDESPREAD"])),
        ("leg", {"count": 20}, {}, ("recommended", ["PEEL-WIDESPREAD"])),
        (
            "genital",
            {"count": 20, "active_inflammation": True},
            {},
            (CI, ["INFLAMED", "PEEL-WIDESPREAD", "PEEL-MUCOSA"]),
        ),
    ],
)
def test_peel_mucosa_not_indicated_at_genital_sites(location, site, patient, expected):
    result = evaluate(make_case(make_site(location, **site), **patient))

    assert verdict(result, "chemical_peel") == expected


@pytest.mark.parametrize(
    ("location", "site", "patient", "expected"),
    [
        ("genital", {}, {"recurrent": True}, (NI, ["RET-MUCOSA", "RET-RECURRENT"])),
        ("genital", {"count": 20}, {}, (NI, ["RET-MUCOSA", "RET-WIDESPREAD"])),
        ("genital", {}, {}, (NI, ["RET-MUCOSA", "RET-PREVENT"])),
        ("genital", {}, {"pregnant": True}, (CI, ["RET-PREGNANT", "RET-PREVENT", "RET-MUCOSA"])),
        ("trunk", {}, {"recurrent": True}, ("recommended", ["RET-RECURRENT"])),
        ("other", {}, {}, ("consider", ["RET-PREVENT"])),
    ],
)
def test_ret_mucosa_not_indicated_at_genital_sites(location, site, patient, expected):
    result = evaluate(make_case(make_site(location, **site), **patient))

    assert verdict(result, "topical_retinoid") == expected


# --- Row 3: widespread counts distinct locations -------------------------------------------------


@pytest.mark.parametrize(
    ("sites", "locations", "widespread", "peel", "retinoid"),
    [
        ([("cheek", "left", 1), ("cheek", "right", 1)], 1, False, NI, "consider"),
        (
            [("cheek", "left", 1), ("cheek", "right", 1), ("cheek", "bilateral", 1)],
            1,
            False,
            NI,
            "consider",
        ),
        ([("cheek", "left", 1), ("chin", "midline", 1)], 2, False, NI, "consider"),
        (
            [("cheek", "left", 1), ("chin", "midline", 1), ("nose", "midline", 1)],
            3,
            True,
            "recommended",
            "recommended",
        ),
        (
            [("cheek", "left", 1), ("cheek", "right", 1), ("chin", "midline", 1)],
            2,
            False,
            NI,
            "consider",
        ),
        ([("cheek", "left", 7), ("cheek", "right", 7)], 1, False, NI, "consider"),
        ([("cheek", "left", 7), ("cheek", "right", 8)], 1, True, "recommended", "recommended"),
        ([("cheek", "bilateral", 15)], 1, True, "recommended", "recommended"),
    ],
)
def test_widespread_counts_total_or_distinct_locations(
    sites, locations, widespread, peel, retinoid
):
    case = make_case(*(make_site(loc, side=side, count=n) for loc, side, n in sites))

    result = evaluate(case)

    agg = aggregate(case)
    assert (agg.location_count, agg.widespread) == (locations, widespread)
    assert (
        case_option(result, "chemical_peel").status,
        case_option(result, "topical_retinoid").status,
    ) == (
        peel,
        retinoid,
    )


# --- Row 4: laser after failures (LASER-RESISTED, LASER-OTHER-FAILED) ---------------------------


@pytest.mark.parametrize(
    ("depth", "tried", "expected"),
    [
        ("superficial", (("extraction", False),), ("recommended", ["LASER-RESISTED"])),
        ("superficial", (("extraction", True),), (NI, ["LASER-RESERVED"])),
        ("superficial", (("topical_retinoid", False),), ("consider", ["LASER-OTHER-FAILED"])),
        (
            "superficial",
            (("extraction", False), ("co2_laser", False)),
            (NI, ["TRIED-FAILED"]),
        ),
        ("deep", (("extraction", False),), ("recommended", ["LASER-DEEP", "LASER-RESISTED"])),
        ("superficial", (), (NI, ["LASER-RESERVED"])),
    ],
)
def test_laser_resisted_recommended_only_where_extraction_failed(depth, tried, expected):
    result = evaluate(make_case(make_site(depth=depth, tried=tried)))

    assert verdict(result, "co2_laser") == expected


@pytest.mark.parametrize(
    ("depth", "tried", "expected"),
    [
        ("superficial", (("topical_retinoid", False),), ("consider", ["LASER-OTHER-FAILED"])),
        ("superficial", (("chemical_peel", False),), ("consider", ["LASER-OTHER-FAILED"])),
        ("superficial", (("cryotherapy", False),), ("consider", ["LASER-OTHER-FAILED"])),
        ("superficial", (("cryotherapy", True),), (NI, ["LASER-RESERVED"])),
        (
            "superficial",
            (("topical_retinoid", False), ("co2_laser", False)),
            (NI, ["TRIED-FAILED"]),
        ),
        (
            "deep",
            (("topical_retinoid", False),),
            ("recommended", ["LASER-DEEP", "LASER-OTHER-FAILED"]),
        ),
        (
            "superficial",
            (("extraction", False), ("chemical_peel", False)),
            ("recommended", ["LASER-RESISTED", "LASER-OTHER-FAILED"]),
        ),
    ],
)
def test_laser_other_failed_makes_laser_consider(depth, tried, expected):
    result = evaluate(make_case(make_site(depth=depth, tried=tried)))

    assert verdict(result, "co2_laser") == expected


# --- Row 5: corneal shields (LASER-EYE-SHIELD) ---------------------------------------------------


@pytest.mark.parametrize(
    ("location", "site", "expected"),
    [
        ("eyelid", {}, (NI, ["LASER-EYE-SHIELD", "IATRO-MILIA"])),
        ("periorbital", {"depth": "deep"}, ("recommended", ["LASER-EYE-SHIELD", "IATRO-MILIA"])),
        ("eyelid", {"active_inflammation": True}, (CI, ["LASER-EYE-SHIELD", "IATRO-MILIA"])),
        ("forehead", {"depth": "deep"}, ("recommended", ["IATRO-MILIA"])),
        ("temple", {}, (NI, ["IATRO-MILIA"])),
    ],
)
def test_laser_eye_shield_near_the_lids(location, site, expected):
    result = evaluate(make_case(make_site(location, **site)))

    assert cautioned(result, "co2_laser") == expected


# --- Row 6: diagnosis and warning signs (DX-CONFIRM, RED-FLAGS) --------------------------------


@pytest.mark.parametrize(
    ("site", "milia_type", "cryo", "laser", "advice"),
    [
        ({"largest_mm": 3.0}, "primary", (NI, ["IATRO-MILIA"]), (NI, ["IATRO-MILIA"]), []),
        (
            {"largest_mm": 3.1},
            "primary",
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            [],
        ),
        (
            {"largest_mm": 4.0, "months_present": 24},
            "primary",
            ("recommended", ["DX-CONFIRM", "IATRO-MILIA"]),
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            [],
        ),
        (
            {"tried": (("extraction", False),)},
            "primary",
            (NI, ["IATRO-MILIA"]),
            ("recommended", ["IATRO-MILIA"]),
            [],
        ),
        (
            {"tried": (("extraction", False), ("topical_retinoid", False))},
            "primary",
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            ("recommended", ["DX-CONFIRM", "IATRO-MILIA"]),
            [],
        ),
        # Two failures of one treatment are one treatment that failed, not two.
        (
            {"tried": (("extraction", False), ("extraction", False))},
            "primary",
            (NI, ["IATRO-MILIA"]),
            ("recommended", ["IATRO-MILIA"]),
            [],
        ),
        (
            {"tried": (("extraction", False), ("topical_retinoid", True))},
            "primary",
            (NI, ["IATRO-MILIA"]),
            ("recommended", ["IATRO-MILIA"]),
            [],
        ),
        (
            {},
            "secondary",
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            [],
        ),
        (
            {},
            "milia_en_plaque",
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            ["DX-CONFIRM"],
        ),
        (
            {},
            "multiple_eruptive",
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            (NI, ["DX-CONFIRM", "IATRO-MILIA"]),
            ["DX-CONFIRM"],
        ),
        ({}, "unsure", (NI, ["IATRO-MILIA"]), (NI, ["IATRO-MILIA"]), ["DX-CONFIRM"]),
    ],
)
def test_dx_confirm_before_destroying_an_unusual_lesion(site, milia_type, cryo, laser, advice):
    result = evaluate(make_case(make_site(**site), milia_type=milia_type))

    assert (cautioned(result, "cryotherapy"), cautioned(result, "co2_laser")) == (cryo, laser)
    assert [rule for rule in ids(result.advice) if rule == "DX-CONFIRM"] == advice


@pytest.mark.parametrize(
    ("site", "cryo", "laser"),
    [
        (
            {"red_flags": True, "largest_mm": 4.0, "months_present": 36, "depth": "deep"},
            (CI, ["RED-FLAGS", "CRYO-LARGE-PERSISTENT"]),
            (CI, ["RED-FLAGS", "LASER-DEEP"]),
        ),
        (
            {"red_flags": True},
            (CI, ["RED-FLAGS", "CRYO-RESERVED"]),
            (CI, ["RED-FLAGS", "LASER-RESERVED"]),
        ),
        (
            {"largest_mm": 4.0, "months_present": 36, "depth": "deep"},
            ("recommended", ["CRYO-LARGE-PERSISTENT"]),
            ("recommended", ["LASER-DEEP"]),
        ),
    ],
)
def test_red_flags_rule_out_cryotherapy_and_laser_at_the_site(site, cryo, laser):
    result = evaluate(make_case(make_site("forehead", **site)))

    assert (verdict(result, "cryotherapy"), verdict(result, "co2_laser")) == (cryo, laser)


@pytest.mark.parametrize(
    ("red_flags", "cautions", "advice"),
    [
        (
            True,
            {
                "extraction": ("recommended", ["RED-FLAGS"]),
                "chemical_peel": (NI, ["RED-FLAGS"]),
                "topical_retinoid": ("consider", ["RED-FLAGS"]),
                "cryotherapy": (CI, ["IATRO-MILIA"]),
                "co2_laser": (CI, ["IATRO-MILIA"]),
            },
            ["NO-DIY", "SUN-PROTECT", "RED-FLAGS"],
        ),
        (False, PLAIN_CHEEK, ["NO-DIY", "SUN-PROTECT"]),
    ],
)
def test_red_flags_caution_the_rest_and_advise_a_biopsy(red_flags, cautions, advice):
    result = evaluate(make_case(make_site(red_flags=red_flags)))

    assert (every_treatment(result), ids(result.advice)) == (cautions, advice)


def test_red_flags_at_one_site_leave_the_other_site_its_cryotherapy():
    large = {"largest_mm": 4.0, "months_present": 36}
    case = make_case(make_site("forehead", red_flags=True, **large), make_site("chin", **large))

    result = evaluate(case)

    option = case_option(result, "cryotherapy")
    assert [site_option(result, "cryotherapy", i).status for i in (0, 1)] == [CI, "recommended"]
    assert (option.status, ids(option.cautions)) == (
        "recommended",
        ["DX-CONFIRM", "IATRO-MILIA", "SITE-EXCLUDED"],
    )
    assert option.cautions[-1].text == "Not for the forehead site."
    assert "RED-FLAGS" in ids(result.advice)


# --- Row 8: babies (NEO-PERSISTENT) --------------------------------------------------------------


BABY = [NI] * 5
PLAIN = ["recommended", "consider", NI, NI, NI]


@pytest.mark.parametrize(
    ("age_years", "milia_type", "months", "advice", "statuses"),
    [
        (0, "neonatal", (0,), ["NO-DIY", "NEO-OBSERVE"], BABY),
        (0, "neonatal", (3,), ["NO-DIY", "NEO-OBSERVE"], BABY),
        (0, "neonatal", (4,), ["NO-DIY", "NEO-PERSISTENT"], BABY),
        (0.5, "primary", (10,), ["NO-DIY", "NEO-PERSISTENT"], BABY),
        (0.9, "neonatal", (1, 5), ["NO-DIY", "NEO-PERSISTENT"], BABY),
        (0.9, "secondary", (6,), ["NO-DIY", "NEO-PERSISTENT", "SECONDARY-CAUSE"], BABY),
        (1, "primary", (10,), ["NO-DIY", "SUN-PROTECT"], PLAIN),
    ],
)
def test_neo_persistent_baby_with_lasting_milia_is_not_reassured(
    age_years, milia_type, months, advice, statuses
):
    sites = [make_site(months_present=m) for m in months]

    result = evaluate(make_case(*sites, age_years=age_years, milia_type=milia_type))

    assert (ids(result.advice), [o.status for o in result.options]) == (advice, statuses)


# --- Row 9: causes and syndromes (SECONDARY-CAUSE, SYNDROME-CHECK) ------------------------------


@pytest.mark.parametrize(
    ("milia_type", "age_years", "advice"),
    [
        ("secondary", 34, ["NO-DIY", "SUN-PROTECT", "SECONDARY-CAUSE"]),
        ("secondary", 8, ["NO-DIY", "SUN-PROTECT", "SECONDARY-CAUSE"]),
        ("secondary", 0.5, ["NO-DIY", "NEO-OBSERVE", "SECONDARY-CAUSE"]),
        ("primary", 34, ["NO-DIY", "SUN-PROTECT"]),
        ("unsure", 34, ["NO-DIY", "SUN-PROTECT", "DX-CONFIRM"]),
        ("milia_en_plaque", 34, ["NO-DIY", "SUN-PROTECT", "DX-CONFIRM"]),
    ],
)
def test_secondary_cause_advice_for_secondary_milia(milia_type, age_years, advice):
    result = evaluate(make_case(milia_type=milia_type, age_years=age_years))

    assert ids(result.advice) == advice


@pytest.mark.parametrize(
    ("milia_type", "age_years", "months", "thresholds", "advice"),
    [
        ("multiple_eruptive", 34, 0, {}, ["NO-DIY", "SUN-PROTECT", "SYNDROME-CHECK", "DX-CONFIRM"]),
        (
            "multiple_eruptive",
            0.5,
            0,
            {},
            ["NO-DIY", "NEO-OBSERVE", "SYNDROME-CHECK", "DX-CONFIRM"],
        ),
        ("primary", 8, 12, {}, ["NO-DIY", "SUN-PROTECT", "SYNDROME-CHECK"]),
        ("primary", 8, 11, {}, ["NO-DIY", "SUN-PROTECT"]),
        ("primary", 1, 12, {}, ["NO-DIY", "SUN-PROTECT", "SYNDROME-CHECK"]),
        ("primary", 12, 24, {}, ["NO-DIY", "SUN-PROTECT", "SYNDROME-CHECK"]),
        # Aged 12 until the 13th birthday (the app counts completed years).
        ("primary", 12.5, 24, {}, ["NO-DIY", "SUN-PROTECT", "SYNDROME-CHECK"]),
        ("primary", 13, 24, {}, ["NO-DIY", "SUN-PROTECT"]),
        ("primary", 13, 24, {"CHILD_MAX_AGE": 13}, ["NO-DIY", "SUN-PROTECT", "SYNDROME-CHECK"]),
        ("primary", 34, 120, {}, ["NO-DIY", "SUN-PROTECT"]),
        ("primary", 0.5, 24, {}, ["NO-DIY", "NEO-PERSISTENT"]),
        ("secondary", 8, 12, {}, ["NO-DIY", "SUN-PROTECT", "SECONDARY-CAUSE", "SYNDROME-CHECK"]),
    ],
)
def test_syndrome_check_for_eruptive_or_persistent_childhood_milia(
    milia_type, age_years, months, thresholds, advice
):
    case = make_case(make_site(months_present=months), milia_type=milia_type, age_years=age_years)

    result = evaluate(case, Thresholds(**thresholds))

    assert ids(result.advice) == advice


# --- Row 10: pregnancy (PEEL-PREGNANT, LASER-PREGNANT) -----------------------------------------


@pytest.mark.parametrize(
    ("location", "count", "patient", "expected"),
    [
        ("cheek", 1, {"pregnant": True}, (NI, ["PEEL-PREGNANT"])),
        ("cheek", 20, {"pregnant": True}, ("recommended", ["PEEL-PREGNANT"])),
        ("eyelid", 20, {"pregnant": True}, ("consider", ["PEEL-EYE-GUARD", "PEEL-PREGNANT"])),
        (
            "cheek",
            20,
            {"pregnant": True, "breastfeeding": True},
            ("recommended", ["PEEL-PREGNANT"]),
        ),
        ("cheek", 20, {"breastfeeding": True}, ("recommended", [])),
        ("cheek", 20, {}, ("recommended", [])),
    ],
)
def test_peel_pregnant_glycolic_or_lactic_only(location, count, patient, expected):
    result = evaluate(make_case(make_site(location, count=count), **patient))

    assert cautioned(result, "chemical_peel") == expected


@pytest.mark.parametrize(
    ("site", "pregnant", "expected"),
    [
        ({"depth": "deep"}, True, ("consider", ["LASER-PREGNANT", "LASER-DEEP"])),
        ({"depth": "deep"}, False, ("recommended", ["LASER-DEEP"])),
        (
            {"tried": (("extraction", False),)},
            True,
            ("consider", ["LASER-PREGNANT", "LASER-RESISTED"]),
        ),
        (
            {"tried": (("topical_retinoid", False),)},
            True,
            ("consider", ["LASER-OTHER-FAILED", "LASER-PREGNANT"]),
        ),
        ({}, True, (NI, ["LASER-RESERVED", "LASER-PREGNANT"])),
        (
            {"depth": "deep", "red_flags": True},
            True,
            (CI, ["RED-FLAGS", "LASER-DEEP", "LASER-PREGNANT"]),
        ),
    ],
)
def test_laser_pregnant_at_most_consider(site, pregnant, expected):
    result = evaluate(make_case(make_site(**site), pregnant=pregnant))

    assert verdict(result, "co2_laser") == expected


# --- Row 11: active inflammation (INFLAMED, RET-INFLAMED) ---------------------------------------


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        (
            {"active_inflammation": True},
            {
                "extraction": (CI, ["INFLAMED", "EXT-FEW"]),
                "chemical_peel": (CI, ["INFLAMED", "PEEL-FEW"]),
                "topical_retinoid": ("consider", ["RET-PREVENT"]),
                "cryotherapy": (CI, ["INFLAMED", "CRYO-RESERVED"]),
                "co2_laser": (CI, ["INFLAMED", "LASER-RESERVED"]),
            },
        ),
        (
            {"active_inflammation": True, "depth": "deep", "largest_mm": 4.0, "months_present": 12},
            {
                "extraction": (CI, ["INFLAMED", "EXT-DEEP"]),
                "chemical_peel": (CI, ["INFLAMED", "PEEL-FEW"]),
                "topical_retinoid": ("consider", ["RET-PREVENT"]),
                "cryotherapy": (CI, ["INFLAMED", "CRYO-LARGE-PERSISTENT"]),
                "co2_laser": (CI, ["INFLAMED", "LASER-DEEP"]),
            },
        ),
        (
            {},
            {
                "extraction": ("recommended", ["EXT-FEW"]),
                "chemical_peel": (NI, ["PEEL-FEW"]),
                "topical_retinoid": ("consider", ["RET-PREVENT"]),
                "cryotherapy": (NI, ["CRYO-RESERVED"]),
                "co2_laser": (NI, ["LASER-RESERVED"]),
            },
        ),
    ],
)
def test_inflamed_site_rules_out_every_procedure(site, expected):
    result = evaluate(make_case(make_site(**site)))

    assert {t: verdict(result, t) for t in TREATMENTS} == expected


@pytest.mark.parametrize(
    ("location", "site", "patient", "expected"),
    [
        ("cheek", {"active_inflammation": True}, {}, ("consider", ["RET-INFLAMED"])),
        ("cheek", {}, {}, ("consider", [])),
        (
            "cheek",
            {"active_inflammation": True},
            {"breastfeeding": True},
            ("consider", ["RET-BREASTFEEDING", "RET-INFLAMED"]),
        ),
        (
            "eyelid",
            {"active_inflammation": True, "red_flags": True},
            {},
            ("consider", ["RET-EYE-AWAY", "RET-INFLAMED", "RED-FLAGS"]),
        ),
        ("cheek", {"active_inflammation": True}, {"pregnant": True}, (CI, ["RET-INFLAMED"])),
    ],
)
def test_ret_inflamed_waits_for_the_skin_to_settle(location, site, patient, expected):
    result = evaluate(make_case(make_site(location, **site), **patient))

    assert cautioned(result, "topical_retinoid") == expected


# --- Row 12: patient cautions (KELOID, ANTICOAGULANT, PHOTOSENSITISING, CHILD-PROCEDURE) -------


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        (
            {"keloid_tendency": True},
            PLAIN_CHEEK
            | {
                "chemical_peel": (NI, ["KELOID"]),
                "cryotherapy": (NI, ["KELOID", "IATRO-MILIA"]),
                "co2_laser": (NI, ["KELOID", "IATRO-MILIA"]),
            },
        ),
        (
            {"keloid_tendency": True, "fitzpatrick": 5},
            PLAIN_CHEEK
            | {
                "chemical_peel": (NI, ["FITZ-PIGMENT", "KELOID"]),
                "cryotherapy": (NI, ["FITZ-PIGMENT", "KELOID", "IATRO-MILIA"]),
                "co2_laser": (NI, ["FITZ-PIGMENT", "KELOID", "IATRO-MILIA"]),
            },
        ),
        ({"keloid_tendency": False}, PLAIN_CHEEK),
    ],
)
def test_keloid_caution_on_peel_cryotherapy_and_laser(patient, expected):
    assert every_treatment(evaluate(make_case(make_site(), **patient))) == expected


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        (
            {"anticoagulant": True},
            PLAIN_CHEEK
            | {
                "extraction": ("recommended", ["ANTICOAGULANT"]),
                "chemical_peel": (NI, ["ANTICOAGULANT"]),
                "cryotherapy": (NI, ["ANTICOAGULANT", "IATRO-MILIA"]),
                "co2_laser": (NI, ["ANTICOAGULANT", "IATRO-MILIA"]),
            },
        ),
        (
            {"anticoagulant": True, "keloid_tendency": True},
            PLAIN_CHEEK
            | {
                "extraction": ("recommended", ["ANTICOAGULANT"]),
                "chemical_peel": (NI, ["KELOID", "ANTICOAGULANT"]),
                "cryotherapy": (NI, ["KELOID", "ANTICOAGULANT", "IATRO-MILIA"]),
                "co2_laser": (NI, ["KELOID", "ANTICOAGULANT", "IATRO-MILIA"]),
            },
        ),
        ({"anticoagulant": False}, PLAIN_CHEEK),
    ],
)
def test_anticoagulant_caution_on_every_procedure(patient, expected):
    assert every_treatment(evaluate(make_case(make_site(), **patient))) == expected


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        (
            {"photosensitising_drug": True},
            PLAIN_CHEEK
            | {
                "chemical_peel": (NI, ["PHOTOSENSITISING"]),
                "topical_retinoid": ("consider", ["PHOTOSENSITISING"]),
                "co2_laser": (NI, ["PHOTOSENSITISING", "IATRO-MILIA"]),
            },
        ),
        (
            {"photosensitising_drug": True, "breastfeeding": True},
            PLAIN_CHEEK
            | {
                "chemical_peel": (NI, ["PHOTOSENSITISING"]),
                "topical_retinoid": ("consider", ["RET-BREASTFEEDING", "PHOTOSENSITISING"]),
                "co2_laser": (NI, ["PHOTOSENSITISING", "IATRO-MILIA"]),
            },
        ),
        ({"photosensitising_drug": False}, PLAIN_CHEEK),
    ],
)
def test_photosensitising_caution_on_peel_retinoid_and_laser(patient, expected):
    assert every_treatment(evaluate(make_case(make_site(), **patient))) == expected


CHILD = {
    "cryotherapy": (NI, ["CHILD-PROCEDURE", "IATRO-MILIA"]),
    "co2_laser": (NI, ["CHILD-PROCEDURE", "IATRO-MILIA"]),
}
NOT_CHILD = {"cryotherapy": (NI, ["IATRO-MILIA"]), "co2_laser": (NI, ["IATRO-MILIA"])}


@pytest.mark.parametrize(
    ("age_years", "thresholds", "expected"),
    [
        (0, {}, NOT_CHILD),
        (0.99, {}, NOT_CHILD),
        (1, {}, CHILD),
        (8, {}, CHILD),
        (12, {}, CHILD),
        (12.5, {}, CHILD),
        (13, {}, NOT_CHILD),
        (34, {}, NOT_CHILD),
        (14, {"CHILD_MAX_AGE": 15}, CHILD),
        (10, {"CHILD_MAX_AGE": 9}, NOT_CHILD),
    ],
)
def test_child_procedure_caution_on_cryotherapy_and_laser(age_years, thresholds, expected):
    result = evaluate(make_case(make_site(), age_years=age_years), Thresholds(**thresholds))

    assert {t: cautioned(result, t) for t in ("cryotherapy", "co2_laser")} == expected


# --- Row 14: sources, and the version ------------------------------------------------------------

BERK_CLEBAK = (
    "Berk & Bayliss, J Am Acad Dermatol 2008;59:1050–63; "
    "Clebak et al., Am Fam Physician 2020;101:399-406"
)


@pytest.mark.parametrize(
    ("rule_id", "treatment", "source"),
    [
        ("PEEL-EYE", "chemical_peel", "IADVL chemical peel guideline (Khunger et al. 2008)"),
        ("PEEL-EYE-GUARD", "chemical_peel", "IADVL chemical peel guideline (Khunger et al. 2008)"),
        (
            "RET-EYE",
            "topical_retinoid",
            "Tretinoin prescribing information (keep away from the eyes)",
        ),
        (
            "RET-MUCOSA",
            "topical_retinoid",
            "Tretinoin prescribing information (keep away from mucous membranes)",
        ),
        ("LASER-RESISTED", "co2_laser", "guide: Laser Ablation"),
        ("LASER-OTHER-FAILED", "co2_laser", "guide: Laser Ablation"),
        (
            "LASER-EYE-SHIELD",
            "co2_laser",
            "Huang et al., J Clin Aesthet Dermatol 2018;11(2):15-18; ANSI Z136.3",
        ),
        ("DX-CONFIRM", "cryotherapy", BERK_CLEBAK),
        ("RED-FLAGS", "cryotherapy", BERK_CLEBAK),
        ("RED-FLAGS", None, BERK_CLEBAK),
        ("NEO-PERSISTENT", None, "Berk & Bayliss, J Am Acad Dermatol 2008;59:1050–63"),
        ("SECONDARY-CAUSE", None, "Berk & Bayliss, J Am Acad Dermatol 2008;59:1050–63"),
        ("SYNDROME-CHECK", None, "Berk & Bayliss, J Am Acad Dermatol 2008;59:1050–63"),
        ("PEEL-PREGNANT", "chemical_peel", "Trivedi et al., Int J Womens Dermatol 2017;3:6-10"),
        ("LASER-PREGNANT", "co2_laser", "Trivedi et al., Int J Womens Dermatol 2017;3:6-10"),
        ("INFLAMED", "extraction", "IADVL chemical peel guideline (Khunger et al. 2008)"),
        ("KELOID", "cryotherapy", "Gold et al., Dermatol Surg 2014;40:825-31"),
        ("ANTICOAGULANT", "extraction", "Otley, Mayo Clin Proc 2003;78:1392-6"),
        ("PHOTOSENSITISING", "topical_retinoid", "Monteiro et al., Clin Dermatol 2016;34:571-81"),
        ("FITZ-PIGMENT", "co2_laser", "Alexis, Br J Dermatol 2013;169 Suppl 3:91-7"),
        ("HSV-PROPHYLAXIS", "co2_laser", "Gilbert & McBurney, Dermatol Surg 2000;26:50-4"),
        ("RET-PREGNANT", "topical_retinoid", "Tretinoin prescribing information (pregnancy)"),
        (
            "RET-BREASTFEEDING",
            "topical_retinoid",
            "Tretinoin prescribing information (nursing mothers); LactMed: tretinoin",
        ),
    ],
)
def test_sources_2026_2_rules_cite_what_design_names(rule_id, treatment, source):
    rows = {(r.id, r.treatment): r for r in RULES}

    assert rows[rule_id, treatment].source == source


def test_sources_eye_delicate_is_gone():
    assert [r for r in RULES if r.id == "EYE-DELICATE"] == []


def test_change_log_newest_first_is_this_version():
    assert [version for version, _ in rules.CHANGE_LOG] == ["2026.2", "2026.1"]
    assert rules.CHANGE_LOG[0][0] == rules.RULES_BASE_VERSION == "2026.2"
    assert all(entries and all(e.strip() for e in entries) for _, entries in rules.CHANGE_LOG)
