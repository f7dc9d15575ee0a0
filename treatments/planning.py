"""What a plan may hold, and when it needs the clinician's written reason. Pure, no Django.

Clinical decision-support standards ask that a clinician who departs from the advice says why.
A planned treatment needs a reason when, at any of its sites, the treatment is contraindicated,
or the site's first-ranked option is not part of the plan for that site.

Contraindications come in two strengths. An absolute one (cryotherapy in the eye area: the guide
says never) cannot be planned whatever the reason. Any other needs a reason of substance, at
least `CONTRAINDICATION_REASON_MIN_CHARS` characters, and an explicit acceptance by the
clinician; the plan then carries a flag that every list of sessions shows.
"""

from collections.abc import Iterable, Mapping

from treatments.rules import TREATMENT_LABELS, CaseResult, Option, in_sentence, site_words

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
