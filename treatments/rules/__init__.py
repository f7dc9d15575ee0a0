"""The clinical rules: the facts of one milia case in, ranked treatment options out.

A functional core: pure Python, standard library only. No Django, no database, no clock, no
randomness; the same facts and thresholds always give the same result. The web pages, the JSON
API and the command line all call `recommend` (or `CaseFacts.from_dict` then `evaluate`). The
engine remembers, per process, what it worked out for each pattern of rule hits it met (a
bounded table of immutable values): a speed-up that never changes a result
(tests/test_rules_equivalence.py).

Input is validated whole before anything is evaluated (`CaseFacts.from_dict` raises
`InvalidCase` naming every problem by path, e.g. ``sites[0].count``); bad input is never
half-evaluated.

Rules are rows of the `RULES` table. Each row names its rule id, the treatment it speaks about
(None for case-level advice), its kind (``verdict``, ``caution`` or ``advice``), the status a
verdict gives, a tiny named predicate ``applies(patient, site, case, thresholds)``, the
plain-language text a clinician reads, and the source it rests on. One id may have a row per
treatment it speaks about (``FITZ-PIGMENT`` has three); an (id, treatment) pair is unique.

Hit policy
----------
* Every rule that applies contributes: a verdict its reason, a caution its caution, an advice row
  its advice. Nothing is dropped because a stronger rule also applied.
* At a site, a treatment's status is the strongest verdict among the rules that apply:
  ``contraindicated`` beats everything, then ``recommended`` > ``consider`` > ``not_indicated``.
  Its reasons are listed strongest verdict first, then in table order.
* A rule that recommends a treatment holds only where that treatment has not already been tried
  without success; there ``TRIED-FAILED`` says not indicated instead (a treatment that failed at
  a site is never recommended again for it; the clinician may still choose it, with a reason).
* A ``limit`` row caps a treatment's status at a site (``consider`` at most, or
  ``not_indicated``): the status is the strongest verdict, then lowered to the tightest limit that
  applies. A limit never lowers ``contraindicated``. A limit that lowered the status opens the
  reasons; one that did not is listed after the verdicts.
* Cautions never change a status (they only order options of equal status: fewer cautions first).
* For the whole case, a treatment's status is the best of its site statuses at the sites where it
  is not contraindicated; it is contraindicated only if it is contraindicated at every site. Its
  reasons are those of the sites that reached that status; its cautions those of every site where
  it is not contraindicated (all sites when contraindicated everywhere), each rule id once, in
  site order. If it is contraindicated at some sites only, a ``SITE-EXCLUDED`` caution names them.
* Options are ranked 1..5 by status (recommended, consider, not_indicated, contraindicated), then
  fewer cautions first, then the order of `TREATMENTS`. At an eye-area site a peel or a retinoid
  ranks after the other options of its status, and is never first while any other option there
  is not contraindicated: the one exception to ranking by status (DESIGN §3a row 1).

Versioning
----------
`RULES_BASE_VERSION` is the version of the rule table: bump it whenever a rule, a text, a source,
a course or the hit policy changes. `rules_version(thresholds)` appends a fingerprint of the
thresholds when they differ from the defaults, so stored advice always says what produced it.
"""

from treatments.rules.engine import evaluate, recommend
from treatments.rules.facts import (
    DEFAULT_THRESHOLDS,
    THRESHOLD_SOURCES,
    CaseFacts,
    InvalidCase,
    PatientFacts,
    SiteFacts,
    Thresholds,
    TriedTreatment,
    validate_case,
)
from treatments.rules.results import COURSES, CaseResult, Course, Finding, Option, SiteResult
from treatments.rules.table import (
    CHANGE_LOG,
    RULES,
    RULES_BASE_VERSION,
    CaseAggregates,
    Rule,
    aggregate,
    rules_version,
)
from treatments.rules.vocabulary import (
    DEPTH_LABELS,
    DEPTHS,
    EYE_AREA,
    FACE_AREA,
    FITZPATRICK_LABELS,
    LOCATION_LABELS,
    LOCATIONS,
    MAX_AGE_YEARS,
    MAX_COUNT,
    MAX_FITZPATRICK,
    MAX_LARGEST_MM,
    MAX_MONTHS_PRESENT,
    MAX_SITES,
    MAX_TRIED,
    MILIA_TYPE_LABELS,
    MILIA_TYPES,
    MIN_COUNT,
    MIN_LARGEST_MM,
    MIN_MONTHS_PRESENT,
    MUCOSAL_AREA,
    OUTCOME_LABELS,
    OUTCOMES,
    OUTCOMES_WORKED,
    PROCEDURES,
    SIDE_LABELS,
    SIDES,
    STATUS_LABELS,
    STATUSES,
    TREATMENT_LABELS,
    TREATMENTS,
    Kind,
    Status,
    in_sentence,
    join_words,
    site_overlap_text,
    site_title,
    site_words,
    sites_overlap,
)

__all__ = [
    "CHANGE_LOG",
    "COURSES",
    "DEFAULT_THRESHOLDS",
    "DEPTH_LABELS",
    "FITZPATRICK_LABELS",
    "LOCATION_LABELS",
    "MILIA_TYPE_LABELS",
    "SIDE_LABELS",
    "STATUS_LABELS",
    "TREATMENT_LABELS",
    "DEPTHS",
    "EYE_AREA",
    "FACE_AREA",
    "LOCATIONS",
    "MAX_AGE_YEARS",
    "MAX_COUNT",
    "MAX_FITZPATRICK",
    "MAX_LARGEST_MM",
    "MAX_MONTHS_PRESENT",
    "MAX_SITES",
    "MAX_TRIED",
    "OUTCOME_LABELS",
    "OUTCOMES",
    "OUTCOMES_WORKED",
    "MILIA_TYPES",
    "MIN_COUNT",
    "MIN_LARGEST_MM",
    "MIN_MONTHS_PRESENT",
    "MUCOSAL_AREA",
    "PROCEDURES",
    "RULES",
    "RULES_BASE_VERSION",
    "SIDES",
    "STATUSES",
    "THRESHOLD_SOURCES",
    "TREATMENTS",
    "CaseAggregates",
    "CaseFacts",
    "CaseResult",
    "Course",
    "Finding",
    "InvalidCase",
    "Kind",
    "Option",
    "PatientFacts",
    "Rule",
    "SiteFacts",
    "SiteResult",
    "Status",
    "Thresholds",
    "TriedTreatment",
    "aggregate",
    "evaluate",
    "recommend",
    "rules_version",
    "in_sentence",
    "join_words",
    "site_overlap_text",
    "site_title",
    "site_words",
    "sites_overlap",
    "validate_case",
]
