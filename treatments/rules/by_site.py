"""Where each option of a case holds: its status site by site, in words.

A case's status of a treatment is the best among its sites (see the hit policy), so a case with
eyelids beside a forehead can read "recommended" for a treatment that is contraindicated at the
eyelids. These functions say where each status holds and why: "Recommended for forehead and
cheek (both sides); contraindicated at eyelid (both sides)."
"""

from dataclasses import dataclass

from treatments.rules.results import CaseResult, Finding
from treatments.rules.vocabulary import STATUSES, Status, join_words, site_words

__all__ = ["SiteGroup", "sentence_of", "site_groups", "where_sentence"]

_STATUS_WHERE = {
    Status.RECOMMENDED: "recommended for",
    Status.CONSIDER: "consider for",
    Status.NOT_INDICATED: "not indicated at",
    Status.CONTRAINDICATED: "contraindicated at",
}


@dataclass(frozen=True, slots=True)
class SiteGroup:
    """The sites where a treatment has one status, and the reasons given there."""

    status: str
    sites: tuple[str, ...]  # in words, in site order: "forehead", "eyelid (both sides)"
    reasons: tuple[Finding, ...]  # the reasons at these sites, each rule once, in site order
    phrase: str  # "contraindicated at eyelid (both sides)"


def _site_names(sites: list[tuple[str, str]]) -> tuple[str, ...]:
    """The sites in words; a left and a right site of one location read as both sides."""
    lefts = {location for location, side in sites if side == "left"}
    rights = {location for location, side in sites if side == "right"}
    names: list[str] = []
    for location, side in sites:
        if location in lefts & rights and side in ("left", "right", "bilateral"):
            side = "bilateral"
        name = site_words(location, side)
        if name not in names:
            names.append(name)
    return tuple(names)


def site_groups(treatment: str, result: CaseResult) -> tuple[SiteGroup, ...]:
    """The case's sites grouped by the status of ``treatment`` there, best status first.

    One group covering several sites says so ("recommended for every site"); a case of one site
    names it.
    """
    sites: dict[str, list[tuple[str, str]]] = {}
    reasons: dict[str, dict[str, Finding]] = {}
    for site in result.sites:
        option = next((o for o in site.options if o.treatment == treatment), None)
        if option is None:
            continue
        sites.setdefault(option.status, []).append((site.location, site.side))
        found = reasons.setdefault(option.status, {})
        for reason in option.reasons:
            found.setdefault(reason.rule, reason)
    every_site = len(sites) == 1 and len(result.sites) > 1
    groups = []
    for status in STATUSES:
        if status not in sites:
            continue
        names = _site_names(sites[status])
        where = "every site" if every_site else join_words(list(names))
        groups.append(
            SiteGroup(
                status=status,
                sites=names,
                reasons=tuple(reasons[status].values()),
                phrase=f"{_STATUS_WHERE[status]} {where}",
            )
        )
    return tuple(groups)


def where_sentence(treatment: str, result: CaseResult) -> str:
    """Where ``treatment`` holds, as one sentence: "Recommended for forehead and cheek (both
    sides); contraindicated at eyelid (both sides)." Empty for a case without sites."""
    return sentence_of(site_groups(treatment, result))


def sentence_of(groups: tuple[SiteGroup, ...]) -> str:
    """``where_sentence`` of the groups ``site_groups`` gave."""
    phrases = "; ".join(group.phrase for group in groups)
    return f"{phrases[:1].upper()}{phrases[1:]}." if phrases else ""
