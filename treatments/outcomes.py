"""The outcomes of one patient at a glance: a timeline, and the milia count per site over time
with the sessions done marked on it, drawn as SVG on the server (no script: the CSP stays
strict). Plain data in, plain data out: no database, no clock.

The charts carry what the template prints ready (numbers and dates as text, the SVG's
coordinates worked out): the template does no arithmetic and formats nothing (issue 14: done
there, for every point of every chart, it made the patient page the app's most expensive)."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from treatments.dates import day

# The drawing area of one site's chart, in SVG user units (it scales to its container).
WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 34
# Points keep clear of the count axis and its labels.
INSET = 10
MARK_Y = HEIGHT - BOTTOM + 14


def one_decimal(value: float) -> str:
    """``value`` as ``floatformat:1`` prints it: its shortest decimal form rounded half up to
    one place (12.35 is "12.4", where ``f"{12.35:.1f}"`` gives "12.3")."""
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Frame:
    """Where a chart's axes and labels go, as the SVG prints them: the same for every chart."""

    view_box: str = f"0 0 {WIDTH} {HEIGHT}"
    left: str = str(LEFT)
    right: str = str(WIDTH - RIGHT)
    top: str = str(TOP)
    axis_y: str = str(HEIGHT - BOTTOM)
    tick_x: str = str(LEFT - 4)  # the count labels, right-aligned left of the axis
    top_tick_y: str = str(TOP + 4)
    dates_y: str = str(HEIGHT - 2)


FRAME = Frame()


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
    # As printed: the count, the centre (one decimal), "12 on 3 Mar 2026".
    count_text: str
    cx: str
    cy: str
    label: str


def _point(on: date, count: int, x: float, y: float) -> Point:
    label = f"{count} on {day(on)}"
    return Point(on, count, x, y, str(count), one_decimal(x), one_decimal(y), label)


@dataclass(frozen=True)
class Mark:
    on: date
    treatment: str
    treatment_name: str
    x: float
    # As printed: the triangle under the axis, "Chemical peel on 3 Mar 2026".
    path: str
    label: str
    y: float = MARK_Y


def _mark(on: date, treatment: str, treatment_name: str, x: float) -> Mark:
    path = f"M{one_decimal(x)},{HEIGHT - BOTTOM + 3} l-4,8 h8 z"
    return Mark(on, treatment, treatment_name, x, path, f"{treatment_name} on {day(on)}")


@dataclass(frozen=True)
class SiteChart:
    """One site's counts over time, placed on its chart, with the sessions done there."""

    site: str
    points: list[Point]
    marks: list[Mark]
    y_max: int
    first: date
    last: date
    frame: Frame = FRAME

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def title(self) -> str:
        """The chart's text alternative: "Nose: milia count over time, 10 on 3 Mar 2026"."""
        return f"{self.site}: milia count over time" + "".join(f", {p.label}" for p in self.points)

    @property
    def y_max_text(self) -> str:
        return str(self.y_max)

    @property
    def first_text(self) -> str:
        return day(self.first)

    @property
    def last_text(self) -> str:
        return day(self.last)

    @property
    def treatments(self) -> list[tuple[str, str]]:
        """(code, name) of the treatments marked, once each, in the order first done."""
        return list(dict.fromkeys((m.treatment, m.treatment_name) for m in self.marks))


def count_cell(count: int | None) -> str:
    """A count of the table as printed: "—" where the site was not charted at that visit."""
    return "—" if count is None else str(count)


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
            _point(c.on, c.count, x_of(c.on), TOP + plot_height * (1 - c.count / y_max))
            for c in seen
        ]
        marks = [
            _mark(s.on, s.treatment, s.treatment_name, x_of(s.on))
            for s in sorted(sessions, key=lambda s: s.on)
            if s.site == site
        ]
        charts.append(SiteChart(site, points, marks, y_max, first, last))
    return charts
