"""What a plan may hold, and when it needs the clinician's written reason. Pure, no Django.

Clinical decision-support standards ask that a clinician who departs from the advice says why.
A planned treatment needs a reason when, at any of its sites, the treatment is contraindicated,
or the site's first-ranked option is not part of the plan for that site.

Contraindications come in two strengths. An absolute one (cryotherapy in the eye area: the guide
says never) cannot be planned whatever the reason. Any other needs a reason of substance, at
least `CONTRAINDICATION_REASON_MIN_CHARS` characters, and an explicit acceptance by the
clinician; the plan then carries a flag that every list of sessions shows.

It also dates a course (sessions fall only on the days the clinic is open, passed in, never
closer together than the planned interval), dates the review of a home treatment, and says when
marking a session done needs a reason (before its date, or before an earlier session).
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from treatments.rules import (
    PROCEDURES,
    TREATMENT_LABELS,
    CaseResult,
    Option,
    in_sentence,
    join_words,
    site_words,
)

# A reason for overriding a contraindication must say something: "x" or "ok" is no reason.
CONTRAINDICATION_REASON_MIN_CHARS = 20
# Contraindications that no reason overrides: the rule ids that make a treatment unplannable.
ABSOLUTE_CONTRAINDICATIONS = frozenset({"CRYO-EYE"})


def _site_name(side: str, location: str) -> str:
    return site_words(location, side) + " site"


def _option(result: CaseResult, index: int, treatment: str) -> Option:
    return next(o for o in result.sites[index].options if o.treatment == treatment)


def _absolute_rule(option: Option) -> str | None:
    if option.status != "contraindicated":
        return None
    return next((f.rule for f in option.reasons if f.rule in ABSOLUTE_CONTRAINDICATIONS), None)


def forbidden(planned: Mapping[str, Iterable[int]], result: CaseResult) -> dict[str, list[str]]:
    """Treatments planned where an absolute contraindication holds: treatment -> sentences.

    ``planned`` maps a treatment code to the indexes (into ``result.sites``) of its sites.
    """
    why: dict[str, list[str]] = {}
    for treatment, indexes in planned.items():
        for index in sorted(set(indexes)):
            option = _option(result, index, treatment)
            rule = _absolute_rule(option)
            if rule is not None:
                site = result.sites[index]
                text = next(f.text for f in option.reasons if f.rule == rule)
                why.setdefault(treatment, []).append(
                    f"it can never be planned at the {_site_name(site.side, site.location)} "
                    f"({rule}: {text})"
                )
    return why


def contraindicated_sites(
    planned: Mapping[str, Iterable[int]], result: CaseResult
) -> dict[str, list[str]]:
    """The sites, in words, where each planned treatment is contraindicated (absent: none)."""
    where: dict[str, list[str]] = {}
    for treatment, indexes in planned.items():
        for index in sorted(set(indexes)):
            if _option(result, index, treatment).status == "contraindicated":
                site = result.sites[index]
                where.setdefault(treatment, []).append(site_words(site.location, site.side))
    return where


def contraindication_reason_problem(reason: str) -> str | None:
    """Why a reason is too thin to override a contraindication, or None when it will do."""
    if len(reason.strip()) < CONTRAINDICATION_REASON_MIN_CHARS:
        return (
            "A contraindicated choice needs a reason of at least "
            f"{CONTRAINDICATION_REASON_MIN_CHARS} characters: say why it is right for this patient."
        )
    return None


def reason_requirements(
    planned: Mapping[str, Iterable[int]], result: CaseResult
) -> dict[str, list[str]]:
    """Why each planned treatment needs a written reason (treatments that need none are absent).

    ``planned`` maps a treatment code to the indexes (into ``result.sites``) of the sites it is
    planned for.
    """
    planned_sites = {treatment: set(indexes) for treatment, indexes in planned.items()}
    planned_at: dict[int, set[str]] = {}
    for treatment, indexes in planned_sites.items():
        for index in indexes:
            planned_at.setdefault(index, set()).add(treatment)

    why: dict[str, list[str]] = {}
    for treatment, indexes in planned_sites.items():
        for index in sorted(indexes):
            site = result.sites[index]
            site_name = _site_name(site.side, site.location)
            option = _option(result, index, treatment)
            first = site.options[0]
            if option.status == "contraindicated":
                why.setdefault(treatment, []).append(f"it is contraindicated at the {site_name}")
            elif first.treatment not in planned_at[index]:
                why.setdefault(treatment, []).append(
                    f"the first option for the {site_name} is "
                    f"{in_sentence(TREATMENT_LABELS[first.treatment])}"
                )
    return why


# --- Dates: open days, courses, reviews -----------------------------------------------------

# Weekdays as ``date.weekday()`` numbers: Monday is 0. The clinic's are a setting.
MONDAY_TO_FRIDAY = frozenset(range(5))

# A home treatment is reviewed at the clinic instead of having sessions there. The guide says a
# retinoid shows its effect "over several months" (guide: Topical Retinoids): the review comes
# at three months, the least that "several months" means.
HOME_REVIEW_WEEKS = {"topical_retinoid": 12}
HOME_REVIEW_SOURCE = "guide: Topical Retinoids (results over several months)"


def is_home_treatment(code: str) -> bool:
    """Applied by the patient at home (the retinoid): no sessions at the clinic, a review."""
    return code not in PROCEDURES


def next_open_day(day: date, open_days: frozenset[int]) -> date:
    """``day`` itself when the clinic is open then, else the next day it is."""
    if not open_days:
        raise ValueError("The clinic must be open on at least one day of the week.")
    while day.weekday() not in open_days:
        day += timedelta(days=1)
    return day


def session_dates(
    starts_on: date | None,
    sessions: int,
    interval_weeks: int | None,
    open_days: frozenset[int],
) -> list[date | None]:
    """The date of each session of a course, each on a day the clinic is open.

    The first falls on ``starts_on`` (or the next open day); each later one a whole interval
    after the one before it (or the next open day), so that no two sessions are ever closer
    than the interval planned. Without a start date none is dated; without an interval only the
    first is (the next are booked when the time comes).
    """
    if starts_on is None:
        return [None] * sessions
    first = next_open_day(starts_on, open_days)
    if not interval_weeks:
        return [first] + [None] * (sessions - 1)
    dates = [first]
    for _ in range(sessions - 1):
        dates.append(next_open_day(dates[-1] + timedelta(weeks=interval_weeks), open_days))
    return dates


def review_date(code: str, starts_on: date, open_days: frozenset[int]) -> date | None:
    """When a home treatment started on ``starts_on`` is reviewed (None: not a home treatment)."""
    weeks = HOME_REVIEW_WEEKS.get(code)
    if weeks is None:
        return None
    return next_open_day(starts_on + timedelta(weeks=weeks), open_days)


def mark_done_concerns(
    *, number: int, scheduled_for: date | None, on: date, earlier_not_done: Iterable[int]
) -> list[str]:
    """Why marking session ``number`` done on ``on`` needs a reason (empty: it needs none).

    Before its date, or while an earlier session of the course is not done, it may be a
    mistake (the wrong row, the wrong patient), so the person marking it says why.
    """
    concerns = []
    if scheduled_for is not None and on < scheduled_for:
        day = f"{scheduled_for:%a} {scheduled_for.day} {scheduled_for:%b %Y}"
        concerns.append(f"it is planned for {day}, after today")
    earlier = sorted(earlier_not_done)
    if earlier:
        numbers = join_words([str(n) for n in earlier])
        concerns.append(
            f"session{'s' if len(earlier) > 1 else ''} {numbers} of this course "
            f"{'are' if len(earlier) > 1 else 'is'} not done yet"
        )
    return concerns
