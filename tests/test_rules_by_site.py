"""Where an option holds, site by site, in words (treatments.rules.by_site). No database."""

from treatments.rules import COURSES, CaseResult, Finding, Option, SiteResult
from treatments.rules.by_site import site_groups, where_sentence


def finding(rule: str) -> Finding:
    return Finding(rule, f"{rule} text.", "guide")


def case(*sites: tuple[str, str, str, tuple[str, ...]]) -> CaseResult:
    """A case whose cryotherapy has, at each (location, side), a status and its reasons."""
    site_results = tuple(
        SiteResult(
            index=index,
            location=location,
            side=side,
            eye_area=location in ("eyelid", "periorbital"),
            options=(
                Option(
                    "cryotherapy",
                    status,
                    1,
                    tuple(finding(rule) for rule in rules),
                    (),
                    COURSES["cryotherapy"],
                ),
            ),
        )
        for index, (location, side, status, rules) in enumerate(sites)
    )
    return CaseResult("test", (), site_results, ())


def test_where_sentence_one_site_names_it():
    result = case(("forehead", "midline", "recommended", ("CRYO-LARGE-PERSISTENT",)))

    assert where_sentence("cryotherapy", result) == "Recommended for forehead."


def test_where_sentence_two_sites_of_different_status():
    result = case(
        ("forehead", "midline", "recommended", ("CRYO-LARGE-PERSISTENT",)),
        ("eyelid", "left", "contraindicated", ("CRYO-EYE",)),
    )

    assert where_sentence("cryotherapy", result) == (
        "Recommended for forehead; contraindicated at left eyelid."
    )


def test_where_sentence_all_sites_of_one_status():
    result = case(
        ("forehead", "midline", "not_indicated", ("CRYO-RESERVED",)),
        ("nose", "midline", "not_indicated", ("CRYO-RESERVED",)),
        ("chin", "midline", "not_indicated", ("CRYO-RESERVED",)),
    )

    assert where_sentence("cryotherapy", result) == "Not indicated at every site."


def test_where_sentence_left_and_right_read_as_both_sides():
    result = case(
        ("eyelid", "left", "contraindicated", ("CRYO-EYE",)),
        ("forehead", "midline", "recommended", ("CRYO-LARGE-PERSISTENT",)),
        ("eyelid", "right", "contraindicated", ("CRYO-EYE",)),
        ("cheek", "bilateral", "recommended", ("CRYO-LARGE-PERSISTENT",)),
    )

    assert where_sentence("cryotherapy", result) == (
        "Recommended for forehead and cheek (both sides); contraindicated at eyelid (both sides)."
    )


def test_where_sentence_one_side_stays_one_side():
    result = case(
        ("cheek", "left", "consider", ("CRYO-X",)),
        ("cheek", "right", "not_indicated", ("CRYO-RESERVED",)),
    )

    assert where_sentence("cryotherapy", result) == (
        "Consider for left cheek; not indicated at right cheek."
    )


def test_where_sentence_every_status_best_first():
    result = case(
        ("chin", "midline", "contraindicated", ("ACTIVE-INFLAMMATION",)),
        ("nose", "midline", "not_indicated", ("CRYO-RESERVED",)),
        ("ear", "left", "consider", ("CRYO-X",)),
        ("forehead", "midline", "recommended", ("CRYO-LARGE-PERSISTENT",)),
    )

    assert where_sentence("cryotherapy", result) == (
        "Recommended for forehead; consider for left ear; not indicated at nose; "
        "contraindicated at chin."
    )


def test_where_sentence_of_a_case_without_sites_is_empty():
    assert where_sentence("cryotherapy", case()) == ""


def test_site_groups_carry_each_rule_once_in_site_order():
    result = case(
        ("eyelid", "left", "contraindicated", ("CRYO-EYE", "RED-FLAGS")),
        ("forehead", "midline", "recommended", ("CRYO-LARGE-PERSISTENT",)),
        ("periorbital", "right", "contraindicated", ("CRYO-EYE",)),
    )

    groups = site_groups("cryotherapy", result)

    assert [(g.status, g.sites, [r.rule for r in g.reasons], g.phrase) for g in groups] == [
        ("recommended", ("forehead",), ["CRYO-LARGE-PERSISTENT"], "recommended for forehead"),
        (
            "contraindicated",
            ("left eyelid", "right periorbital area"),
            ["CRYO-EYE", "RED-FLAGS"],
            "contraindicated at left eyelid and right periorbital area",
        ),
    ]
