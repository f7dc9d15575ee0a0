"""What the rules answer (DESIGN §3 output): findings, options, per-site results, the case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason, caution or piece of advice: the rule that said it, what it says, and why."""

    rule: str
    text: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(data["rule"], data["text"], data["source"])


@dataclass(frozen=True, slots=True)
class Course:
    """The typical course of a treatment (None: not counted in sessions or intervals)."""

    sessions: int | None
    interval_weeks: int | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"sessions": self.sessions, "interval_weeks": self.interval_weeks, "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Course:
        return cls(data["sessions"], data["interval_weeks"], data.get("note", ""))


@dataclass(frozen=True, slots=True)
class Option:
    treatment: str
    status: str
    rank: int
    reasons: tuple[Finding, ...]
    cautions: tuple[Finding, ...]
    course: Course

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "status": self.status,
            "rank": self.rank,
            "reasons": [{"rule": f.rule, "text": f.text, "source": f.source} for f in self.reasons],
            "cautions": [
                {"rule": f.rule, "text": f.text, "source": f.source} for f in self.cautions
            ],
            "course": self.course.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Option:
        return cls(
            data["treatment"],
            data["status"],
            data["rank"],
            tuple(Finding.from_dict(f) for f in data["reasons"]),
            tuple(Finding.from_dict(f) for f in data["cautions"]),
            Course.from_dict(data["course"]),
        )


@dataclass(frozen=True, slots=True)
class SiteResult:
    index: int
    location: str
    side: str
    eye_area: bool
    options: tuple[Option, ...]

    def to_dict(self) -> dict[str, Any]:
        return self._dict_with([option.to_dict() for option in self.options])

    def _dict_with(self, options: Any) -> dict[str, Any]:
        return {
            "index": self.index,
            "location": self.location,
            "side": self.side,
            "eye_area": self.eye_area,
            "options": options,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SiteResult:
        return cls(
            data["index"],
            data["location"],
            data["side"],
            data["eye_area"],
            tuple(Option.from_dict(o) for o in data["options"]),
        )


@dataclass(frozen=True, slots=True)
class CaseResult:
    rules_version: str
    options: tuple[Option, ...]
    sites: tuple[SiteResult, ...]
    advice: tuple[Finding, ...]

    def to_dict(
        self, write_site_options: Callable[[tuple[Option, ...]], Any] | None = None
    ) -> dict[str, Any]:
        """The result as JSON-ready dicts. Read-only: sites with the same rule hits share one
        tuple of options (`evaluate`), and then share one list of option dicts here too.

        `write_site_options`, if given, writes each distinct tuple of a site's options instead
        (once per call and tuple): the JSON API passes one that gives the tuple's JSON.
        """
        write = write_site_options or _option_dicts
        written: dict[int, Any] = {}

        def site_options(options: tuple[Option, ...]) -> Any:
            # Keyed by id: every tuple outlives this call, so no id is reused meanwhile.
            listed = written.get(id(options))
            if listed is None:
                listed = written[id(options)] = write(options)
            return listed

        return {
            "rules_version": self.rules_version,
            "options": _option_dicts(self.options),
            "sites": [site._dict_with(site_options(site.options)) for site in self.sites],
            "advice": [finding.to_dict() for finding in self.advice],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseResult:
        """Rebuild a result from its `to_dict` form (e.g. stored advice). Trusts its input."""
        return cls(
            data["rules_version"],
            tuple(Option.from_dict(o) for o in data["options"]),
            tuple(SiteResult.from_dict(s) for s in data["sites"]),
            tuple(Finding.from_dict(f) for f in data["advice"]),
        )


def _option_dicts(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    return [option.to_dict() for option in options]


COURSES: dict[str, Course] = {
    "extraction": Course(1, None, "One visit; each milium takes less than a minute to remove."),
    "chemical_peel": Course(4, 3, "A series of 4 to 6 peels, spaced a few weeks apart."),
    "topical_retinoid": Course(
        None,
        None,
        "Applied at home at night, a few nights a week at first, more often as the skin "
        "tolerates it; results build over several months.",
    ),
    "cryotherapy": Course(1, None, "One treatment; the scab comes away by itself within a week."),
    "co2_laser": Course(1, None, "One procedure; the tiny crusts come away in 5 to 7 days."),
}
