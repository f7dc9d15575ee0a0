"""The rules reference: every rule, the thresholds in force and the change log, as plain data.

What ONC's decision-support criterion calls source attributes: a clinician can see, for each
thing the tool says, the rule that said it, what it does and what it rests on. Pure, no Django:
the page and the JSON API render the same dict.
"""

from typing import Any

from treatments.rules import (
    CHANGE_LOG,
    RULES,
    THRESHOLD_SOURCES,
    TREATMENTS,
    Rule,
    Thresholds,
    rules_version,
)

KIND_WORDS = {
    "verdict": "sets the status",
    "limit": "caps the status",
    "caution": "caution",
    "advice": "advice for the whole case",
}
# Said by the engine itself rather than by a row of the table.
SITE_EXCLUDED = {
    "id": "SITE-EXCLUDED",
    "rows": [
        {
            "treatments": [],
            "kind": "caution",
            "kind_words": KIND_WORDS["caution"],
            "status": None,
            "text": "On a case-level option: names the sites where the treatment is "
            "contraindicated although it suits others.",
            "source": "the sources of the rules that exclude the named sites",
        }
    ],
}


def anchor(rule_id: str) -> str:
    """The fragment of a rule's row on the reference page."""
    return f"rule-{rule_id}"


def _row(rules: list[Rule]) -> dict[str, Any]:
    first = rules[0]
    treatments = [rule.treatment for rule in rules if rule.treatment is not None]
    return {
        "treatments": sorted(treatments, key=TREATMENTS.index),
        "kind": first.kind,
        "kind_words": KIND_WORDS[first.kind],
        "status": first.status,
        "text": first.text,
        "source": first.source,
    }


def rule_entries() -> list[dict[str, Any]]:
    """One entry per rule id, in table order; rows of one id that say the same thing (same
    kind, status, text and source) are one row listing their treatments."""
    grouped: dict[str, dict[tuple, list[Rule]]] = {}
    for rule in RULES:
        same = (rule.kind, rule.status, rule.text, rule.source)
        grouped.setdefault(rule.id, {}).setdefault(same, []).append(rule)
    entries = [
        {"id": rule_id, "rows": [_row(rules) for rules in rows.values()]}
        for rule_id, rows in grouped.items()
    ]
    return entries + [SITE_EXCLUDED]


def threshold_entries(thresholds: Thresholds) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "value": getattr(thresholds, name),
            "default": meta["default"],
            "source": meta["source"],
            "basis": meta["basis"],
        }
        for name, meta in THRESHOLD_SOURCES.items()
    ]


def rules_reference(thresholds: Thresholds) -> dict[str, Any]:
    """Everything the reference shows, JSON-ready."""
    return {
        "rules_version": rules_version(thresholds),
        "rules": rule_entries(),
        "thresholds": threshold_entries(thresholds),
        "changes": [{"version": version, "changes": list(notes)} for version, notes in CHANGE_LOG],
    }
