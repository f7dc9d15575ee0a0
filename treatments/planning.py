"""When a plan needs the clinician's written reason. Pure functions, no Django.

Clinical decision-support standards ask that a clinician who departs from the advice says why.
A planned treatment needs a reason when, at any of its sites, the treatment is contraindicated,
or the site's first-ranked option is not part of the plan for that site.
"""

from collections.abc import Iterable, Mapping

from treatments.rules import CaseResult, site_words


def reason_requirements(
    planned: Mapping[str, Iterable[int]], result: CaseResult
) -> dict[str, list[str]]:
    """Why each planned treatment needs a written reason (treatments that need none are absent).

    ``planned`` maps a treatment code to the indexes (into ``result.sites``) of the sites it is
    planned for.
    """
    planned_sites = {treatment: set(indexes) for treatment, indexes in planned.items()}
    planned_at = {}
    for treatment, indexes in planned_sites.items():
        for index in indexes:
            planned_at.setdefault(index, set()).add(treatment)

    why: dict[str, list[str]] = {}
    for treatment, indexes in planned_sites.items():
        for index in sorted(indexes):
            site = result.sites[index]
            site_name = _site_name(site.side, site.location)
            option = next(o for o in site.options if o.treatment == treatment)
            first = site.options[0]
            if option.status == "contraindicated":
                why.setdefault(treatment, []).append(f"it is contraindicated at the {site_name}")
            elif first.treatment not in planned_at[index]:
                why.setdefault(treatment, []).append(
                    f"the first option for the {site_name} is {first.treatment.replace('_', ' ')}"
                )
    return why


def _site_name(side: str, location: str) -> str:
    return site_words(location, side) + " site"
