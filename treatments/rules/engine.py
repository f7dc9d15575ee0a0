"""Evaluation: apply the rule table to a case, by the hit policy of the package docstring."""

from __future__ import annotations

from typing import Any, NamedTuple

from treatments.rules.facts import DEFAULT_THRESHOLDS, CaseFacts, SiteFacts, Thresholds
from treatments.rules.results import COURSES, CaseResult, Finding, Option, SiteResult
from treatments.rules.table import RULES, Predicate, aggregate, rules_version
from treatments.rules.vocabulary import EYE_AREA, STATUSES, TREATMENTS, join_words, site_words

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


class _VerdictRow(NamedTuple):
    """A verdict or a limit, compiled: ``slot`` indexes its predicate among the distinct
    site-level ones, or ``case_slot`` among the case-level ones (the other is None); limits have
    a negative ``strength`` (see ``_LIMIT_OFFSET``)."""

    slot: int | None
    case_slot: int | None
    finding: Finding
    status: str
    strength: int


class _CautionRow(NamedTuple):
    slot: int | None
    case_slot: int | None
    finding: Finding


class _AdviceRow(NamedTuple):
    case_slot: int
    finding: Finding


def _compile() -> tuple[tuple, tuple, dict, dict, tuple]:
    """The rule table as lookup rows: per treatment, verdicts (strongest first, then limits) and
    cautions; and the advice.

    Each row carries the slot of its predicate: its index in the tuple of distinct site-level
    predicates, or (``case_slot``) in that of distinct case-level ones.
    """
    site_predicates: list[Predicate] = []
    case_predicates: list[Predicate] = []
    verdicts: dict[str, list] = {t: [] for t in TREATMENTS}
    cautions: dict[str, list] = {t: [] for t in TREATMENTS}
    advice = []
    # Advice rows last, so that the case-level predicates the site rows read come first (see
    # `_CaseRows.row_hits`).
    for rule in sorted(RULES, key=lambda rule: rule.kind == "advice"):
        slot = case_slot = None
        if rule.kind == "advice" or getattr(rule.applies, "case_level", False):
            if rule.applies not in case_predicates:
                case_predicates.append(rule.applies)
            case_slot = case_predicates.index(rule.applies)
        else:
            if rule.applies not in site_predicates:
                site_predicates.append(rule.applies)
            slot = site_predicates.index(rule.applies)
        if rule.kind in ("verdict", "limit"):
            strength = _STRENGTH[rule.status] - (_LIMIT_OFFSET if rule.kind == "limit" else 0)
            verdicts[rule.treatment].append(
                _VerdictRow(slot, case_slot, rule.finding, rule.status, strength)
            )
        elif rule.kind == "caution":
            cautions[rule.treatment].append(_CautionRow(slot, case_slot, rule.finding))
        else:
            advice.append(_AdviceRow(case_slot, rule.finding))
    for treatment in TREATMENTS:
        # Strongest verdict first, so a site's reasons open with the one that decided it.
        verdicts[treatment].sort(key=lambda row: -row.strength)
    return (
        tuple(site_predicates),
        tuple(case_predicates),
        {t: tuple(rows) for t, rows in verdicts.items()},
        {t: tuple(rows) for t, rows in cautions.items()},
        tuple(advice),
    )


_SITE_PREDICATES, _CASE_PREDICATES, _VERDICTS, _CAUTIONS, _ADVICE = _compile()
# How many case-level predicates the site rows read: the first ones.
_ROW_CASE_PREDICATES = 1 + max(
    row.case_slot
    for rows in (*_VERDICTS.values(), *_CAUTIONS.values())
    for row in rows
    if row.case_slot is not None
)
# The slot of a case-level row already known to hold: a site's hits end with True, so that
# `hits[slot]` answers for every row.
_HOLDS = -1


class _CaseRows(NamedTuple):
    """What the case-level rules decide for a case: the rows left to check at each site, as
    (slot, finding[, status, strength]) per treatment, and the advice."""

    row_hits: tuple[bool, ...]  # the case-level hits the site rows depend on
    verdicts: tuple
    cautions: tuple
    advice: tuple[Finding, ...]


# _case_rows is a pure function of which case-level predicates hold: a few hundred patterns
# in practice (2**21 at the very most), so each is worked out once per process.
_CASE_ROWS: dict[tuple[bool, ...], _CaseRows] = {}
_CASE_ROWS_MAX = 4096


def _rows_for_case(patient, agg, th) -> _CaseRows:
    """The case-level predicates, called once per case, and what they decide (`_case_rows`)."""
    case_hits = tuple([applies(patient, None, agg, th) for applies in _CASE_PREDICATES])
    rows = _CASE_ROWS.get(case_hits)
    if rows is None:
        if len(_CASE_ROWS) >= _CASE_ROWS_MAX:
            _CASE_ROWS.clear()
        rows = _CASE_ROWS[case_hits] = _case_rows(case_hits)
    return rows


def _case_rows(case_hits: tuple[bool, ...]) -> _CaseRows:
    """The rows left to check at each site: case-level rows that hold get slot `_HOLDS`, those
    that do not are dropped. Table order is kept."""
    verdicts = tuple(
        tuple(
            (_HOLDS if slot is None else slot, finding, status, strength)
            for slot, case_slot, finding, status, strength in _VERDICTS[treatment]
            if slot is not None or case_hits[case_slot]
        )
        for treatment in TREATMENTS
    )
    cautions = tuple(
        tuple(
            (_HOLDS if slot is None else slot, finding)
            for slot, case_slot, finding in _CAUTIONS[treatment]
            if slot is not None or case_hits[case_slot]
        )
        for treatment in TREATMENTS
    )
    advice = tuple(finding for case_slot, finding in _ADVICE if case_hits[case_slot])
    return _CaseRows(case_hits[:_ROW_CASE_PREDICATES], verdicts, cautions, advice)


# A site's assessment and ranked options are a pure function of which case-level rules its
# rows read and which site-level rules hold there (the eye-area predicate among the latter).
# Such patterns recur across consultations: evaluating each of the bench's 5,870 valid
# consultations once in a fresh process, 80% of the lookups (84% of the 19,328 sites) found
# their assessment here; 3,017 patterns in all. So each is worked out once per process and
# shared (assessments and options are immutable). Bounded: emptied when full (about 5 KB a
# pattern, with the API's JSON of its options as much again: some 40 MB at most).
_SITE_ASSESSMENTS: dict[tuple, tuple[tuple, tuple[Option, ...]]] = {}
_SITE_ASSESSMENTS_MAX = 4096


def _site_assessment(
    rows: _CaseRows, hits: tuple[bool, ...], eye_site: bool
) -> tuple[tuple, tuple[Option, ...]]:
    """(assessed, ranked options) at a site with these `hits` (see `_assess_site`)."""
    # _rank reads eye_site: it is in the key whatever the hits hold (today they hold it too).
    key = (rows.row_hits, hits, eye_site)
    known = _SITE_ASSESSMENTS.get(key)
    if known is None:
        assessed = _assess_site(hits, rows.verdicts, rows.cautions)
        if len(_SITE_ASSESSMENTS) >= _SITE_ASSESSMENTS_MAX:
            _SITE_ASSESSMENTS.clear()
        known = _SITE_ASSESSMENTS[key] = (assessed, _rank(assessed, eye_site))
    return known


def _rank(
    assessed: list[tuple[str, str, tuple[Finding, ...], tuple[Finding, ...]]],
    eye_site: bool = False,
) -> tuple[Option, ...]:
    """Options ranked 1..5: by status, then fewer cautions, then the order of TREATMENTS.

    At an eye-area site a peel or a retinoid ranks after the other options of its status, and
    is never first while another option there is not contraindicated.
    """
    keyed = sorted(
        [
            (
                _RANK_ORDER[status],
                eye_site and treatment in _NEVER_FIRST_AT_EYE,
                len(cautions),
                _TREATMENT_ORDER[treatment],
                treatment,
                status,
                reasons,
                cautions,
            )
            for treatment, status, reasons, cautions in assessed
        ]
    )
    if eye_site and keyed[0][1]:
        first = next((row for row in keyed if not row[1] and row[5] != "contraindicated"), keyed[0])
        keyed.remove(first)
        keyed.insert(0, first)
    return tuple(
        [
            Option(treatment, status, rank, reasons, cautions, COURSES[treatment])
            for rank, (_, _, _, _, treatment, status, reasons, cautions) in enumerate(keyed, 1)
        ]
    )


def _assess_site(hits, verdict_rows, caution_rows):
    """(treatment, status, reasons, cautions) per treatment at a site, unranked.

    `hits` holds the value of each site-level predicate at this site, then True (`_HOLDS`).
    """
    assessed = []
    for treatment, verdicts, cautions in zip(TREATMENTS, verdict_rows, caution_rows, strict=True):
        status = "not_indicated"
        best = -1
        reasons = []
        binding = []  # limits that lowered the status: they open the reasons
        for slot, finding, verdict, strength in verdicts:
            if hits[slot]:
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
        found = [finding for slot, finding in cautions if hits[slot]]
        assessed.append((treatment, status, tuple(reasons), tuple(found)))
    return tuple(assessed)


def _site_excluded(excluded: list[tuple[SiteFacts, tuple[Finding, ...]]]) -> Finding:
    names = list(dict.fromkeys(site_words(site.location, site.side) for site, _ in excluded))
    text = f"Not for the {join_words(names)} site{'s' if len(names) > 1 else ''}."
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


def _assess_case(sites: tuple[SiteFacts, ...], per_site: list[list], distinct: list[list]) -> list:
    """The case's (treatment, status, reasons, cautions), from each site's assessment.

    `distinct` is `per_site` without its repeats (sites with the same rule hits share one
    assessment), first occurrences in site order: a repeat adds no status, reason or caution,
    so only the names of the sites a treatment is excluded from need every site.
    """
    assessed = []
    for position, treatment in enumerate(TREATMENTS):
        rows = [site_rows[position] for site_rows in distinct]
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
                (site, site_rows[position][2])
                for site, site_rows in zip(sites, per_site, strict=True)
                if site_rows[position][1] == "contraindicated"
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
    rows = _rows_for_case(patient, agg, thresholds)
    # This case's distinct site assessments, first occurrences in site order.
    assessments: dict[tuple, tuple[tuple, tuple[Option, ...]]] = {}
    per_site = []
    site_results = []
    for index, site in enumerate(case.sites):
        hits = [applies(patient, site, agg, thresholds) for applies in _SITE_PREDICATES]
        hits.append(True)  # at _HOLDS
        hits = tuple(hits)
        eye_site = site.location in EYE_AREA
        known = assessments.get((hits, eye_site))
        if known is None:
            known = assessments[hits, eye_site] = _site_assessment(rows, hits, eye_site)
        per_site.append(known[0])
        site_results.append(SiteResult(index, site.location, site.side, eye_site, known[1]))
    return CaseResult(
        rules_version(thresholds),
        _rank(_assess_case(case.sites, per_site, [known[0] for known in assessments.values()])),
        tuple(site_results),
        rows.advice,
    )


def recommend(data: Any, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> dict[str, Any]:
    """Validate a case input, evaluate it and return the output as JSON-ready dicts.

    Raises `InvalidCase` (with every problem) on bad input.
    """
    return evaluate(CaseFacts.from_dict(data), thresholds).to_dict()
