"""The rules engine against its earlier, plainer self (hypothesis).

`evaluate` and `CaseResult.to_dict` were tuned for speed (fewer calls, each distinct site
assessment read once, each shared tuple of options written once). The oracle below is the
engine as it was before (rules 2026.2), compiled here straight from `RULES`: for every valid case
and thresholds both must give equal results, field for field and in the same order.
"""

from hypothesis import given
from hypothesis import strategies as st

from tests.test_rules_properties import SETTINGS, case_inputs, patients, sites, thresholds
from treatments.rules import (
    COURSES,
    DEFAULT_THRESHOLDS,
    EYE_AREA,
    RULES,
    STATUSES,
    TREATMENTS,
    CaseFacts,
    CaseResult,
    Finding,
    Option,
    SiteResult,
    aggregate,
    evaluate,
    join_words,
    recommend,
    rules_version,
    site_words,
)

_STRENGTH = {"contraindicated": 3, "recommended": 2, "consider": 1, "not_indicated": 0}
_RANK_ORDER = {status: position for position, status in enumerate(STATUSES)}
_TREATMENT_ORDER = {treatment: position for position, treatment in enumerate(TREATMENTS)}
_CONTRAINDICATING = frozenset(
    r.id for r in RULES if r.kind == "verdict" and r.status == "contraindicated"
)
_NEVER_FIRST_AT_EYE = frozenset({"chemical_peel", "topical_retinoid"})


def _oracle_table():
    """Per treatment, its verdict and limit rows (strongest first, limits last) and cautions."""
    verdicts = {t: [] for t in TREATMENTS}
    cautions = {t: [] for t in TREATMENTS}
    advice = []
    for rule in RULES:
        if rule.kind in ("verdict", "limit"):
            strength = _STRENGTH[rule.status] - (3 if rule.kind == "limit" else 0)
            verdicts[rule.treatment].append((rule.applies, rule.finding, rule.status, strength))
        elif rule.kind == "caution":
            cautions[rule.treatment].append((rule.applies, rule.finding))
        else:
            advice.append((rule.applies, rule.finding))
    for rows in verdicts.values():
        rows.sort(key=lambda row: -row[3])
    return verdicts, cautions, advice


_VERDICTS, _CAUTIONS, _ADVICE = _oracle_table()


def oracle_assess_site(patient, site, agg, th):
    assessed = []
    for treatment in TREATMENTS:
        status, best, reasons, binding = "not_indicated", -1, [], []
        for applies, finding, verdict, strength in _VERDICTS[treatment]:
            if not applies(patient, site, agg, th):
                continue
            if strength < 0:
                if status != "contraindicated" and _STRENGTH[verdict] < _STRENGTH[status]:
                    status = verdict
                    binding.append(finding)
                else:
                    reasons.append(finding)
                continue
            reasons.append(finding)
            if strength > best:
                best, status = strength, verdict
        found = tuple(f for applies, f in _CAUTIONS[treatment] if applies(patient, site, agg, th))
        assessed.append((treatment, status, tuple(binding + reasons), found))
    return assessed


def oracle_rank(assessed, eye_site=False):
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


def oracle_unique(findings_lists):
    seen = {}
    for findings in findings_lists:
        for finding in findings:
            seen.setdefault(finding.rule, finding)
    return tuple(seen.values())


def oracle_site_excluded(excluded):
    names = list(dict.fromkeys(site_words(site.location, site.side) for site, _ in excluded))
    text = f"Not for the {join_words(names)} site{'s' if len(names) > 1 else ''}."
    sources = dict.fromkeys(
        f.source for _, findings in excluded for f in findings if f.rule in _CONTRAINDICATING
    )
    return Finding("SITE-EXCLUDED", text, "; ".join(sources))


def oracle_assess_case(sites, per_site):
    assessed = []
    for position, treatment in enumerate(TREATMENTS):
        rows = [site_rows[position] for site_rows in per_site]
        usable = [row for row in rows if row[1] != "contraindicated"]
        if not usable:
            assessed.append(
                (
                    treatment,
                    "contraindicated",
                    oracle_unique(row[2] for row in rows),
                    oracle_unique(row[3] for row in rows),
                )
            )
            continue
        status = min((row[1] for row in usable), key=_RANK_ORDER.__getitem__)
        reasons = oracle_unique(row[2] for row in usable if row[1] == status)
        cautions = oracle_unique(row[3] for row in usable)
        if len(usable) < len(rows):
            excluded = [
                (site, row[2])
                for site, row in zip(sites, rows, strict=True)
                if row[1] == "contraindicated"
            ]
            cautions += (oracle_site_excluded(excluded),)
        assessed.append((treatment, status, reasons, cautions))
    return assessed


def oracle_evaluate(case, th=DEFAULT_THRESHOLDS):
    agg = aggregate(case, th)
    per_site, site_results = [], []
    for index, site in enumerate(case.sites):
        assessed = oracle_assess_site(case.patient, site, agg, th)
        eye_site = site.location in EYE_AREA
        per_site.append(assessed)
        site_results.append(
            SiteResult(index, site.location, site.side, eye_site, oracle_rank(assessed, eye_site))
        )
    advice = tuple(f for applies, f in _ADVICE if applies(case.patient, None, agg, th))
    return CaseResult(
        rules_version(th),
        oracle_rank(oracle_assess_case(case.sites, per_site)),
        tuple(site_results),
        advice,
    )


def oracle_to_dict(result):
    def finding(f):
        return {"rule": f.rule, "text": f.text, "source": f.source}

    def option(o):
        return {
            "treatment": o.treatment,
            "status": o.status,
            "rank": o.rank,
            "reasons": [finding(f) for f in o.reasons],
            "cautions": [finding(f) for f in o.cautions],
            "course": {
                "sessions": o.course.sessions,
                "interval_weeks": o.course.interval_weeks,
                "note": o.course.note,
            },
        }

    return {
        "rules_version": result.rules_version,
        "options": [option(o) for o in result.options],
        "sites": [
            {
                "index": s.index,
                "location": s.location,
                "side": s.side,
                "eye_area": s.eye_area,
                "options": [option(o) for o in s.options],
            }
            for s in result.sites
        ],
        "advice": [finding(f) for f in result.advice],
    }


# Cases whose sites repeat one another, so that several sites share their rule hits.
repeating_case_inputs = st.fixed_dictionaries(
    {
        "patient": patients,
        "sites": st.lists(sites, min_size=1, max_size=4).flatmap(
            lambda few: st.lists(st.sampled_from(few), min_size=1, max_size=20)
        ),
    },
    optional={
        "milia_type": st.sampled_from(("primary", "secondary", "unsure")),
        "recurrent": st.booleans(),
    },
)


@SETTINGS
@given(data=case_inputs | repeating_case_inputs, th=thresholds | st.just(DEFAULT_THRESHOLDS))
def test_equivalence_evaluate_matches_the_plain_engine(data, th):
    case = CaseFacts.from_dict(data)

    assert evaluate(case, th) == oracle_evaluate(case, th)


@SETTINGS
@given(data=case_inputs | repeating_case_inputs, th=thresholds | st.just(DEFAULT_THRESHOLDS))
def test_equivalence_recommend_matches_the_plain_engine_and_to_dict(data, th):
    expected = oracle_to_dict(oracle_evaluate(CaseFacts.from_dict(data), th))

    assert recommend(data, th) == expected
    assert list(recommend(data, th)) == list(expected)  # the same key order


def test_equivalence_sites_with_equal_hits_share_one_list_of_options():
    site = {"location": "cheek", "count": 2}
    data = {"patient": {"age_years": 30}, "sites": [site, dict(site, side="left")]}

    output = recommend(data)

    assert output == oracle_to_dict(oracle_evaluate(CaseFacts.from_dict(data)))
    assert output["sites"][0]["options"] is output["sites"][1]["options"]
