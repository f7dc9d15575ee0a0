"""Shape the rules' output for the pages, so templates only loop and print.

Status is shown as text and an icon as well as a colour, so it reads without colour.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from treatments.rules import CaseResult, Option

STATUS_DISPLAY = {
    # status: (label, icon, Bootstrap colour)
    "recommended": ("Recommended", "✔", "success"),
    "consider": ("Consider", "?", "info"),
    "not_indicated": ("Not indicated", "–", "secondary"),
    "contraindicated": ("Contraindicated", "✖", "danger"),
}


@dataclass(frozen=True)
class StatusBadge:
    status: str
    label: str
    icon: str
    colour: str

    @classmethod
    def of(cls, status: str) -> "StatusBadge":
        label, icon, colour = STATUS_DISPLAY[status]
        return cls(status, label, icon, colour)


@dataclass(frozen=True)
class OptionRow:
    code: str
    name: str
    rank: int
    badge: StatusBadge
    reasons: tuple
    cautions: tuple
    course_note: str


@dataclass(frozen=True)
class SiteRow:
    site_id: int
    label: str
    eye_area: bool
    cells: tuple  # (treatment name, StatusBadge) in the order of the case's options


def option_rows(options: tuple[Option, ...], names: dict[str, str]) -> list[OptionRow]:
    return [
        OptionRow(
            code=option.treatment,
            name=names[option.treatment],
            rank=option.rank,
            badge=StatusBadge.of(option.status),
            reasons=option.reasons,
            cautions=option.cautions,
            course_note=option.course.note,
        )
        for option in options
    ]


def site_matrix(result: CaseResult, sites, names: dict[str, str]) -> list[SiteRow]:
    """One row per site: the status of each treatment there, columns in the case's rank order."""
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
    typical_course: str
    site_choices: tuple[PlanSiteChoice, ...]


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
                badge=StatusBadge.of(case_option[code].status),
                rank=case_option[code].rank,
                typical_course=treatments[code].typical_course,
                site_choices=tuple(
                    PlanSiteChoice(widget=box, badge=StatusBadge.of(status))
                    for box, status in zip(checkboxes, status_at, strict=True)
                ),
            )
        )
    return rows


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
