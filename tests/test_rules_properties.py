"""Properties of treatments.rules over random valid cases and random thresholds (hypothesis)."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from treatments.rules import (
    DEFAULT_THRESHOLDS,
    DEPTHS,
    EYE_AREA,
    LOCATIONS,
    MILIA_TYPES,
    PROCEDURES,
    RULES,
    SIDES,
    STATUSES,
    TREATMENTS,
    CaseFacts,
    CaseResult,
    InvalidCase,
    Thresholds,
    aggregate,
    evaluate,
    recommend,
    rules_version,
    validate_case,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

booleans = st.booleans()
tried_items = st.fixed_dictionaries(
    {"treatment": st.sampled_from(TREATMENTS)}, optional={"worked": booleans}
)
sites = st.fixed_dictionaries(
    {},
    optional={
        "location": st.sampled_from(LOCATIONS),
        "side": st.sampled_from(SIDES),
        "count": st.integers(1, 40) | st.integers(1, 10_000),
        "largest_mm": st.floats(0.1, 12.0) | st.integers(1, 100),
        "depth": st.sampled_from(DEPTHS),
        "months_present": st.integers(0, 60) | st.integers(0, 1200),
        "tried": st.lists(tried_items, max_size=4),
    },
)
patients = st.fixed_dictionaries(
    {"age_years": st.integers(0, 130) | st.floats(0, 130)},
    optional={
        "fitzpatrick": st.none() | st.integers(1, 6),
        "pregnant": booleans,
        "breastfeeding": booleans,
        "isotretinoin_last_6_months": booleans,
        "herpes_simplex_history": booleans,
        "cold_intolerance": booleans,
    },
)
case_inputs = st.fixed_dictionaries(
    {"patient": patients, "sites": st.lists(sites, min_size=1, max_size=12)},
    optional={"milia_type": st.sampled_from(MILIA_TYPES), "recurrent": booleans},
)
thresholds = st.builds(
    Thresholds,
    FEW_MAX=st.integers(1, 30),
    MANY_MIN=st.integers(1, 60),
    WIDESPREAD_SITES=st.integers(1, 8),
    LARGE_MM=st.floats(0.1, 10.0),
    PERSISTENT_MONTHS=st.integers(0, 48),
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["primary", "eyelid", "left", "deep", "extraction", "sites", "patient"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def option_of(options, treatment):
    return next(o for o in options if o["treatment"] == treatment)


def is_newborn(data):
    return data.get("milia_type") == "neonatal" or data["patient"]["age_years"] < 1


@SETTINGS
@given(data=case_inputs, th=thresholds)
def test_properties_valid_input_never_raises_and_validates_clean(data, th):
    assert validate_case(data) == {}

    result = recommend(data, th)

    assert result["rules_version"] == rules_version(th)


@SETTINGS
@given(data=case_inputs, th=thresholds)
def test_properties_each_treatment_once_ranked_one_to_five(data, th):
    result = recommend(data, th)

    for options in [result["options"], *(site["options"] for site in result["sites"])]:
        assert sorted(o["treatment"] for o in options) == sorted(TREATMENTS)
        assert [o["rank"] for o in options] == [1, 2, 3, 4, 5]
        assert all(o["status"] in STATUSES for o in options)
        assert all(o["reasons"] for o in options)
        order = [(STATUSES.index(o["status"]), len(o["cautions"])) for o in options]
        assert order == sorted(order)
    assert [site["index"] for site in result["sites"]] == list(range(len(data["sites"])))


@SETTINGS
@given(data=case_inputs, th=thresholds)
def test_properties_eye_area_cryotherapy_always_contraindicated(data, th):
    result = recommend(data, th)

    eye_sites = [s for s in result["sites"] if s["location"] in EYE_AREA]
    assert [option_of(s["options"], "cryotherapy")["status"] for s in eye_sites] == [
        "contraindicated"
    ] * len(eye_sites)
    assert all(s["eye_area"] == (s["location"] in EYE_AREA) for s in result["sites"])


@SETTINGS
@given(data=case_inputs, th=thresholds)
def test_properties_pregnant_retinoid_always_contraindicated(data, th):
    data["patient"]["pregnant"] = True

    result = recommend(data, th)

    statuses = [option_of(result["options"], "topical_retinoid")["status"]] + [
        option_of(s["options"], "topical_retinoid")["status"] for s in result["sites"]
    ]
    assert statuses == ["contraindicated"] * len(statuses)


@SETTINGS
@given(data=case_inputs, th=thresholds)
def test_properties_treatment_that_failed_at_a_site_is_never_recommended_there(data, th):
    result = recommend(data, th)

    repeated = [
        (index, tried["treatment"])
        for index, site in enumerate(data["sites"])
        for tried in site.get("tried", [])
        if not tried.get("worked", False)
        and option_of(result["sites"][index]["options"], tried["treatment"])["status"]
        == "recommended"
    ]
    assert repeated == []


@SETTINGS
@given(data=case_inputs, th=thresholds, neonatal_type=booleans)
def test_properties_newborn_never_recommended_a_procedure(data, th, neonatal_type):
    if neonatal_type:
        data["milia_type"] = "neonatal"
    else:
        data["patient"]["age_years"] = data["patient"]["age_years"] % 1

    result = recommend(data, th)

    all_options = result["options"] + [o for s in result["sites"] for o in s["options"]]
    assert [
        o["treatment"]
        for o in all_options
        if o["treatment"] in PROCEDURES and o["status"] in ("recommended", "consider")
    ] == []
    assert "NEO-OBSERVE" in [a["rule"] for a in result["advice"]]


@SETTINGS
@given(data=case_inputs, th=thresholds)
def test_properties_case_status_is_best_usable_site_status(data, th):
    result = recommend(data, th)

    for option in result["options"]:
        site_statuses = [
            option_of(s["options"], option["treatment"])["status"] for s in result["sites"]
        ]
        usable = [s for s in site_statuses if s != "contraindicated"]
        expected = min(usable, key=STATUSES.index) if usable else "contraindicated"
        excluded = [c for c in option["cautions"] if c["rule"] == "SITE-EXCLUDED"]
        assert option["status"] == expected
        assert len(excluded) == (1 if usable and len(usable) < len(site_statuses) else 0)


STRENGTH = {"contraindicated": 3, "recommended": 2, "consider": 1, "not_indicated": 0}


def reference_site_options(case, site, th):
    """The hit policy read straight off RULES, one rule at a time, for one site."""
    agg = aggregate(case, th)
    found = {}
    for treatment in TREATMENTS:
        verdicts = [
            r
            for r in RULES
            if r.treatment == treatment
            and r.kind == "verdict"
            and r.applies(case.patient, site, agg, th)
        ]
        verdicts.sort(key=lambda r: -STRENGTH[r.status])
        cautions = [
            r.id
            for r in RULES
            if r.treatment == treatment
            and r.kind == "caution"
            and r.applies(case.patient, site, agg, th)
        ]
        found[treatment] = (verdicts[0].status, [r.id for r in verdicts], cautions)
    return found


@SETTINGS
@given(data=case_inputs, th=thresholds | st.just(DEFAULT_THRESHOLDS))
def test_properties_site_options_follow_the_rule_table(data, th):
    case = CaseFacts.from_dict(data)

    result = evaluate(case, th)

    for site, site_result in zip(case.sites, result.sites, strict=True):
        assert {
            o.treatment: (o.status, [f.rule for f in o.reasons], [f.rule for f in o.cautions])
            for o in site_result.options
        } == reference_site_options(case, site, th)


@SETTINGS
@given(data=case_inputs, th=thresholds)
def test_properties_same_input_same_json_output(data, th):
    first = recommend(data, th)
    second = evaluate(CaseFacts.from_dict(json.loads(json.dumps(data))), th).to_dict()

    assert first == second
    assert json.loads(json.dumps(first, allow_nan=False)) == first


@SETTINGS
@given(data=case_inputs, th=thresholds)
def test_properties_case_result_round_trips_through_json(data, th):
    result = evaluate(CaseFacts.from_dict(data), th)

    assert CaseResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


@SETTINGS
@given(data=case_inputs)
def test_properties_case_facts_round_trip(data):
    case = CaseFacts.from_dict(data)

    assert CaseFacts.from_dict(json.loads(json.dumps(case.to_dict()))) == case


@SETTINGS
@given(th=thresholds)
def test_properties_rules_version_tracks_thresholds(th):
    version = rules_version(th)

    if th == Thresholds():
        assert version == "2026.1"
    else:
        assert version.startswith("2026.1+t") and len(version) == len("2026.1+t") + 8
    assert Thresholds.from_mapping({"FEW_MAX": th.FEW_MAX, "LARGE_MM": th.LARGE_MM}) == Thresholds(
        FEW_MAX=th.FEW_MAX, LARGE_MM=th.LARGE_MM
    )


@SETTINGS
@given(value=json_values)
def test_properties_arbitrary_json_never_crashes_validation(value):
    errors = validate_case(value)

    assert isinstance(errors, dict)
    try:
        CaseFacts.from_dict(value)
    except InvalidCase as refused:
        assert refused.errors == errors and errors
    else:
        assert errors == {}


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@SETTINGS
@given(base=case_inputs, junk=json_values, data=st.data())
def test_properties_damaged_valid_input_refused_or_accepted_never_crashes(base, junk, data):
    paths = [p for p in _paths(base) if p]
    path = data.draw(st.sampled_from(paths))
    target = base
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk

    errors = validate_case(base)

    try:
        result = recommend(base)
    except InvalidCase as refused:
        assert refused.errors == errors and errors
    else:
        assert errors == {}
        assert [o["rank"] for o in result["options"]] == [1, 2, 3, 4, 5]
