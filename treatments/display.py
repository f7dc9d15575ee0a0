"""Shape the rules' output for the pages, so templates only loop and print.

Status is shown as text and an icon as well as a colour, so it reads without colour.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.text import get_text_list

from treatments.planning import HOME_REVIEW_WEEKS, is_home_treatment
from treatments.reference import anchor
from treatments.rules import (
    STATUS_LABELS,
    STATUSES,
    CaseResult,
    Course,
    Option,
    SiteResult,
    in_sentence,
    join_words,
)
from treatments.rules.by_site import sentence_of, site_groups

_STATUS_LOOK = {
    # status: (icon, Bootstrap colour); the words are the vocabulary's
    "recommended": ("✔", "success"),
    "consider": ("?", "info"),
    "not_indicated": ("–", "secondary"),
    "contraindicated": ("✖", "danger"),
}
STATUS_DISPLAY = {status: (STATUS_LABELS[status], *_STATUS_LOOK[status]) for status in STATUSES}


@dataclass(frozen=True)
class StatusBadge:
    status: str
    label: str
    icon: str
    colour: str

    @classmethod
    def of(cls, status: str) -> "StatusBadge":
        return STATUS_BADGES[status]


# One badge per status, shared: a chart of twenty sites shows some hundred.
STATUS_BADGES = {status: StatusBadge(status, *STATUS_DISPLAY[status]) for status in STATUSES}


@dataclass(frozen=True)
class SiteGroup:
    """The sites where an option has one status: "forehead and cheek (both sides)", with the
    reasons given there when they are not the option's own (its status differs there)."""

    badge: StatusBadge
    sites: str
    heading: str  # "Contraindicated at eyelid (both sides)"
    reasons: tuple = ()


@dataclass(frozen=True)
class OptionRow:
    code: str
    name: str
    rank: int
    badge: StatusBadge
    reasons: tuple
    cautions: tuple
    course_note: str
    # Several sites only: where it holds at which status, as a sentence and by status.
    where_text: str = ""
    where: tuple[SiteGroup, ...] = ()


def _where(option: Option, groups) -> tuple[SiteGroup, ...]:
    """By status, the sites and the reasons given there that the option does not list already."""
    own = {reason.rule for reason in option.reasons}
    return tuple(
        SiteGroup(
            badge=StatusBadge.of(group.status),
            sites=join_words(list(group.sites)),
            heading=group.phrase[:1].upper() + group.phrase[1:],
            reasons=tuple(r for r in group.reasons if r.rule not in own)
            if group.status != option.status
            else (),
        )
        for group in groups
    )


def _case_badge(status: str, statuses_at_sites: set[str]) -> StatusBadge:
    """An option's status for the case; "at some sites" when it differs from site to site, so
    an option contraindicated at one site never reads plainly "Recommended"."""
    badge = StatusBadge.of(status)
    if len(statuses_at_sites) < 2:
        return badge
    return StatusBadge(badge.status, f"{badge.label} at some sites", badge.icon, badge.colour)


@dataclass(frozen=True)
class SiteRow:
    site_id: int
    label: str
    eye_area: bool
    cells: tuple  # (treatment name, StatusBadge) in the order of the case's options


def _option_row(option: Option, names: dict[str, str], result: CaseResult | None) -> OptionRow:
    """One option as a row; ``result`` (the case, when it has several sites) adds where it
    holds."""
    groups = site_groups(option.treatment, result) if result is not None else ()
    where = _where(option, groups)
    return OptionRow(
        code=option.treatment,
        name=names[option.treatment],
        rank=option.rank,
        badge=_case_badge(option.status, {group.badge.status for group in where}),
        reasons=option.reasons,
        cautions=option.cautions,
        course_note=course_description(option.treatment, option.course),
        where_text=sentence_of(groups),
        where=where,
    )


def course_description(treatment: str, course: Course) -> str:
    """A treatment's typical course in words, the same wherever it shows (the options, the
    plan form): the advice's own note; a home treatment adds when it is reviewed."""
    weeks = HOME_REVIEW_WEEKS.get(treatment)
    if weeks is None:
        return course.note
    return f"{course.note} No sessions at the clinic: a review after {weeks} weeks."


def option_rows(result: CaseResult, names: dict[str, str]) -> list[OptionRow]:
    """The case's options, each with where it holds at which status (several sites only)."""
    several = result if len(result.sites) > 1 else None
    return [_option_row(option, names, several) for option in result.options]


def site_matrix(result: CaseResult, sites, names: dict[str, str]) -> list[SiteRow]:
    """One row per site: the status of each treatment there, columns in the case's rank order.
    A site's ranked options with their reasons are fetched when asked for (``site_options``):
    with twenty sites they were seven tenths of the consultation page."""
    order = [option.treatment for option in result.options]
    rows = []
    for site, site_result in zip(sites, result.sites, strict=True):
        status_of = {option.treatment: option.status for option in site_result.options}
        rows.append(
            SiteRow(
                site_id=site.pk,
                label=str(site),
                eye_area=site_result.eye_area,
                cells=tuple((names[code], StatusBadge.of(status_of[code])) for code in order),
            )
        )
    return rows


def site_options(site_result: SiteResult, names: dict[str, str]) -> tuple[OptionRow, ...]:
    """A site's own options, ranked, with their reasons and cautions."""
    return tuple(
        _option_row(option, names, None)
        for option in sorted(site_result.options, key=lambda option: option.rank)
    )


@dataclass(frozen=True)
class PlanSiteChoice:
    widget: object  # the bound checkbox of this site
    badge: StatusBadge


@dataclass(frozen=True)
class PlanRow:
    form: object
    name: str
    badge: StatusBadge
    rank: int
    course_note: str
    site_choices: tuple[PlanSiteChoice, ...]
    contraindicated_somewhere: bool = False
    at_home: bool = False  # no sessions at the clinic: a review date instead


def plan_rows(formset, result: CaseResult, sites, treatments: dict) -> list[PlanRow]:
    """Each plan row with the advice beside it: the case status and the status at each site."""
    case_option = {option.treatment: option for option in result.options}
    rows = []
    for form in formset.forms:
        code = form["treatment"].value()
        if code not in case_option:
            continue  # a row no treatment matches (a tampered form): its error says so
        status_at = [
            next(o.status for o in site_result.options if o.treatment == code)
            for site_result in result.sites
        ]
        checkboxes = list(form["sites"])
        rows.append(
            PlanRow(
                form=form,
                name=treatments[code].name,
                badge=_case_badge(case_option[code].status, set(status_at)),
                rank=case_option[code].rank,
                course_note=course_description(code, case_option[code].course),
                site_choices=tuple(
                    PlanSiteChoice(widget=box, badge=StatusBadge.of(status))
                    for box, status in zip(checkboxes, status_at, strict=True)
                ),
                contraindicated_somewhere="contraindicated" in status_at,
                at_home=is_home_treatment(code),
            )
        )
    return rows


@dataclass(frozen=True)
class ReferenceRow:
    treatments: str
    kind: str
    verdict: str
    text: str
    source: str


@dataclass(frozen=True)
class ReferenceEntry:
    id: str
    anchor: str
    rows: tuple[ReferenceRow, ...]


def reference_entries(entries: list[dict], names: dict[str, str]) -> list[ReferenceEntry]:
    """The rules reference's entries in words, for the page."""

    def verdict(row: dict) -> str:
        if row["kind"] == "verdict":
            return STATUS_LABELS[row["status"]]
        if row["kind"] == "limit":
            return f"At most {in_sentence(STATUS_LABELS[row['status']])}"
        return ""

    return [
        ReferenceEntry(
            id=entry["id"],
            anchor=anchor(entry["id"]),
            rows=tuple(
                ReferenceRow(
                    treatments=get_text_list([names[code] for code in row["treatments"]], "and")
                    or "Whole case",
                    kind=row["kind_words"],
                    verdict=verdict(row),
                    text=row["text"],
                    source=row["source"],
                )
                for row in entry["rows"]
            ),
        )
        for entry in entries
    ]


_CASE_PATHS = {
    "": "The chart",
    "patient.age_years": "The patient's age on the consultation date",
    "milia_type": "The milia type",
    "sites": "The list of sites",
}
_SITE_PATH = re.compile(r"sites\[(\d+)\]\.?(.*)")


def case_refused(errors: Mapping[str, list[str]]) -> str:
    """What the rules refused in a chart, in words, so the page can say what to fix: "The advice
    cannot be shown: the patient's age on the consultation date must be a number from 0 to 130."
    """
    problems = []
    for path, messages in errors.items():
        where = _CASE_PATHS.get(path)
        if where is None:
            site = _SITE_PATH.fullmatch(path)
            where = f"Site {int(site[1]) + 1} ({site[2] or 'site'})" if site else path
        problems.extend(f"{where} {message}" for message in messages)
    return "The advice cannot be shown until this is corrected: " + "; ".join(problems) + "."
