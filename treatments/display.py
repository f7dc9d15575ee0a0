"""Shape the rules' output for the pages, so templates only loop and print.

Status is shown as text and an icon as well as a colour, so it reads without colour.
"""

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
