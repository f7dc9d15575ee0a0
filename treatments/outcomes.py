"""The outcomes of one patient at a glance: a timeline, and the milia count per site over time
with the sessions done marked on it, drawn as SVG on the server (no script: the CSP stays
strict). Plain data in, plain data out: no database, no clock."""

from dataclasses import dataclass
from datetime import date

# The drawing area of one site's chart, in SVG user units (it scales to its container).
WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 34
# Points keep clear of the count axis and its labels.
INSET = 10
MARK_Y = HEIGHT - BOTTOM + 14


@dataclass(frozen=True)
class CountSeen:
    """A site's count at a signed consultation (0: the site cleared)."""

    site: str  # "Left cheek"
    on: date
    count: int
    visit: int = 0  # the consultation's id: two visits on one day are two columns


@dataclass(frozen=True)
class SessionDone:
    """A session done at a site: the treatment's code and name."""

    site: str
    on: date
    treatment: str
    treatment_name: str


@dataclass(frozen=True)
class Point:
    on: date
    count: int
    x: float
    y: float


@dataclass(frozen=True)
class Mark:
    on: date
    treatment: str
    treatment_name: str
    x: float
    y: float = MARK_Y


@dataclass(frozen=True)
class SiteChart:
    """One site's counts over time, placed on its chart, with the sessions done there."""

    site: str
    points: list[Point]
    marks: list[Mark]
    y_max: int
    first: date
    last: date
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    top: int = TOP
    axis_y: int = HEIGHT - BOTTOM

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def treatments(self) -> list[tuple[str, str]]:
        """(code, name) of the treatments marked, once each, in the order first done."""
        return list(dict.fromkeys((m.treatment, m.treatment_name) for m in self.marks))


def _y_ceiling(largest: int) -> int:
    """A round top for the count axis: 5, 10, 20, 50, 100, 200, ... at least ``largest``."""
    ceiling, steps = 5, (2, 2, 2.5)  # 5 -> 10 -> 20 -> 50 -> 100 -> 200 -> 500 ...
    turn = 0
    while ceiling < largest:
        ceiling = int(ceiling * steps[turn % 3])
        turn += 1
    return ceiling


def site_charts(counts: list[CountSeen], sessions: list[SessionDone]) -> list[SiteChart]:
    """One chart per site, on a time axis shared by all of them (so they line up)."""
    days = [c.on for c in counts] + [s.on for s in sessions]
    if not counts:
        return []
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    plot_width = WIDTH - LEFT - RIGHT - 2 * INSET
    plot_height = HEIGHT - TOP - BOTTOM

    def x_of(on: date) -> float:
        if first == last:
            return LEFT + INSET + plot_width / 2
        return LEFT + INSET + plot_width * (on - first).days / span

    charts = []
    for site in dict.fromkeys(c.site for c in counts):
        seen = sorted((c for c in counts if c.site == site), key=lambda c: (c.on, c.visit))
        y_max = _y_ceiling(max(c.count for c in seen))
        points = [
            Point(c.on, c.count, x_of(c.on), TOP + plot_height * (1 - c.count / y_max))
            for c in seen
        ]
        marks = [
            Mark(s.on, s.treatment, s.treatment_name, x_of(s.on))
            for s in sorted(sessions, key=lambda s: s.on)
            if s.site == site
        ]
        charts.append(SiteChart(site, points, marks, y_max, first, last))
    return charts
