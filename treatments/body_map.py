"""The clickable face and body map of the consultation page: geometry as data, one function.

The figures face the viewer, as in every clinical chart: the patient's right side is drawn on the
viewer's left and the patient's left on the viewer's right. Paired regions are drawn once, for the
patient's right, and mirrored; so the two sides always match.

`map_regions` says what each region shows for the sites charted; `map_markup` draws them. The
markup of every region is prepared once per process, from the geometry, and a page fills in
only what changes with the chart: its link, whether it is charted and its marker. The
template `treatments/_body_map.html` holds the figures' fixed art and prints the four pieces.
Drawing the regions through a template partial each (27 of them) was the page's costliest part
(issue 14); `tests/test_body_map.py` checks the markup equals that partial's, byte for byte.
Pure Python: no Django, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape

from treatments.rules import EYE_AREA, site_title, sites_overlap

__all__ = [
    "BODY_VIEWBOX",
    "FACE_VIEWBOX",
    "REGIONS",
    "Markup",
    "MapMarkup",
    "Region",
    "map_markup",
    "map_regions",
]

FACE_WIDTH, FACE_HEIGHT = 400, 500
BODY_WIDTH, BODY_HEIGHT = 240, 500
FACE_VIEWBOX = f"0 0 {FACE_WIDTH} {FACE_HEIGHT}"
BODY_VIEWBOX = f"0 0 {BODY_WIDTH} {BODY_HEIGHT}"

FACE, BODY = "face", "body"
LEFT, RIGHT, MIDLINE = "left", "right", "midline"

Attrs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Region:
    """One clickable area: a lesion location on one side, drawn as one SVG element.

    ``label`` names the patient's side ("Left eyelid"); ``label_point`` is where the numbered
    marker of a charted site is drawn, in the view's own coordinates.
    """

    location: str
    side: str
    label: str
    view: str
    shape: str
    attrs: Attrs
    label_point: tuple[float, float]

    @property
    def eye_area(self) -> bool:
        return self.location in EYE_AREA


# --- Mirroring ---------------------------------------------------------------------------------

_PATH_TOKEN = re.compile(r"[A-Za-z]|-?(?:\d+\.?\d*|\.\d+)")
_PAIRED_COMMANDS = frozenset("MLCSQT")


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def _mirror_path(d: str, width: float) -> str:
    """Mirror an absolute path (M, L, C, S, Q, T, H, V, Z only) about the view's vertical axis."""
    segments: list[tuple[str, list[float]]] = []
    for token in _PATH_TOKEN.findall(d):
        if token.isalpha():
            if token not in _PAIRED_COMMANDS | {"H", "V", "Z"}:
                raise ValueError(f"cannot mirror path command {token!r}")
            segments.append((token, []))
        else:
            segments[-1][1].append(float(token))
    parts = []
    for command, numbers in segments:
        if command in _PAIRED_COMMANDS:
            pairs = zip(numbers[0::2], numbers[1::2], strict=True)
            parts.append(command + " ".join(f"{_num(width - x)},{_num(y)}" for x, y in pairs))
        elif command == "H":
            parts.append(command + " ".join(_num(width - x) for x in numbers))
        else:
            parts.append(command + " ".join(_num(v) for v in numbers))
    return " ".join(parts)


def _mirror_attrs(shape: str, attrs: Attrs, width: float) -> Attrs:
    mirrored = []
    values = dict(attrs)
    for name, value in attrs:
        if shape == "path" and name == "d":
            value = _mirror_path(value, width)
        elif name == "cx":
            value = _num(width - float(value))
        elif shape == "rect" and name == "x":
            value = _num(width - float(value) - float(values["width"]))
        elif shape == "polygon" and name == "points":
            pairs = (p.split(",") for p in value.split())
            value = " ".join(f"{_num(width - float(x))},{y}" for x, y in pairs)
        mirrored.append((name, value))
    return tuple(mirrored)


# --- Regions -----------------------------------------------------------------------------------

_VIEW_WIDTH = {FACE: FACE_WIDTH, BODY: BODY_WIDTH}


def _attrs(attrs: Mapping[str, object]) -> Attrs:
    return tuple((name.replace("_", "-"), str(value)) for name, value in attrs.items())


def _midline(location: str, view: str, shape: str, point: tuple[float, float], **attrs) -> Region:
    return Region(
        location=location,
        side=MIDLINE,
        label=site_title(location, MIDLINE),
        view=view,
        shape=shape,
        attrs=_attrs(attrs),
        label_point=point,
    )


def _pair(
    location: str, view: str, shape: str, point: tuple[float, float], **attrs
) -> tuple[Region, Region]:
    """The patient's right region as drawn (on the viewer's left), then its mirror image."""
    width = _VIEW_WIDTH[view]
    right_attrs = _attrs(attrs)
    right = Region(
        location=location,
        side=RIGHT,
        label=site_title(location, RIGHT),
        view=view,
        shape=shape,
        attrs=right_attrs,
        label_point=point,
    )
    left = Region(
        location=location,
        side=LEFT,
        label=site_title(location, LEFT),
        view=view,
        shape=shape,
        attrs=_mirror_attrs(shape, right_attrs, width),
        label_point=(width - point[0], point[1]),
    )
    return right, left


# Document order is drawing order (later on top) and keyboard order: the face first, top to
# bottom, the patient's right before their left; each periorbital area before its eyelid, so the
# eyelid sits on top of it and both stay clickable.
_FACE_REGIONS = (
    _midline(
        "forehead",
        FACE,
        "path",
        (200, 160),
        d="M110,194 L112,162 C136,134 166,124 200,124 C234,124 264,134 288,162 L290,194 "
        "C256,182 226,184 200,198 C174,184 144,182 110,194 Z",
    ),
    *_pair(
        "temple",
        FACE,
        "path",
        (90, 206),
        d="M104,166 L102,206 C102,222 102,236 103,248 L80,258 "
        "C76,236 75,214 77,194 C79,182 86,172 104,166 Z",
    ),
    *_pair("periorbital", FACE, "ellipse", (121, 271), cx=150, cy=250, rx=42, ry=32),
    *_pair(
        "eyelid",
        FACE,
        "path",
        (150, 248),
        d="M116,248 C131,226 169,226 184,248 C169,268 131,268 116,248 Z",
    ),
    _midline(
        "nose",
        FACE,
        "path",
        (200, 300),
        d="M193,230 L207,230 C209,260 214,288 224,310 C233,326 228,342 214,342 "
        "C206,348 194,348 186,342 C172,342 167,326 176,310 C186,288 191,260 193,230 Z",
    ),
    *_pair(
        "cheek",
        FACE,
        "path",
        (128, 330),
        d="M78,268 C98,284 124,292 152,292 C164,292 174,290 180,287 C172,302 165,318 161,336 "
        "C158,350 152,364 148,380 C146,390 142,398 134,398 C130,398 127,396 124,392 "
        "C108,366 96,336 90,300 L79,292 C78,284 78,276 78,268 Z",
    ),
    *_pair(
        "ear",
        FACE,
        "path",
        (56, 262),
        d="M68,222 C52,212 40,222 42,246 C44,272 52,294 68,306 C72,290 72,240 68,222 Z",
    ),
    _midline("perioral", FACE, "ellipse", (200, 364), cx=200, cy=384, rx=52, ry=32),
    *_pair(
        "jawline",
        FACE,
        "path",
        (100, 372),
        d="M78,300 L86,305 C93,338 104,366 119,390 C128,406 142,420 157,429 L152,444 "
        "C136,436 120,420 108,399 C94,374 83,344 78,300 Z",
    ),
    _midline(
        "chin",
        FACE,
        "path",
        (200, 441),
        d="M164,432 C178,424 222,424 236,432 L240,447 C226,454 214,457 200,457 "
        "C186,457 174,454 160,447 Z",
    ),
)

_BODY_REGIONS = (
    _midline(
        "scalp",
        BODY,
        "path",
        (120, 40),
        d="M96,56 C96,40 106,29 120,29 C134,29 144,40 144,56 "
        "C137,49 129,47 120,47 C111,47 103,49 96,56 Z",
    ),
    _midline("neck", BODY, "rect", (120, 96), x=110, y=88, width=20, height=16, rx=4),
    _midline(
        "trunk",
        BODY,
        "path",
        (120, 180),
        d="M110,107 L130,107 C140,110 152,110 161,114 C168,117 170,126 168,136 "
        "C164,150 156,162 154,180 C152,192 151,198 151,206 C151,220 158,232 158,258 "
        "C146,263 132,266 120,266 C108,266 94,263 82,258 C82,232 89,220 89,206 "
        "C89,198 88,192 86,180 C84,162 76,150 72,136 C70,126 72,117 79,114 "
        "C88,110 100,110 110,107 Z",
    ),
    *_pair(
        "arm",
        BODY,
        "path",
        (58, 190),
        d="M73,116 C63,119 59,128 58,142 C56,164 52,184 50,204 C48,224 42,244 39,262 "
        "L52,265 C56,246 62,226 64,206 C66,186 68,166 70,148 Z",
    ),
    *_pair(
        "hand",
        BODY,
        "path",
        (45, 287),
        d="M38,268 L52,270 C56,279 56,293 50,305 C46,311 38,311 35,303 C32,293 33,279 38,268 Z",
    ),
    _midline("genital", BODY, "polygon", (120, 279), points="110,270 130,270 120,290"),
    *_pair(
        "leg",
        BODY,
        "path",
        (99, 370),
        d="M82,262 L106,270 C110,279 116,289 117,300 C118,330 114,350 114,372 "
        "C114,392 112,420 110,456 C112,466 114,476 113,483 C112,488 106,490 99,490 "
        "C92,490 86,489 86,485 C86,478 92,468 94,456 C92,430 86,400 87,372 "
        "C88,350 78,320 82,262 Z",
    ),
)

REGIONS: tuple[Region, ...] = _FACE_REGIONS + _BODY_REGIONS


# --- What the template outputs -----------------------------------------------------------------


def _site_numbers(region: Region, charted: Mapping[tuple[str, str], int]) -> tuple[int, ...]:
    """The numbers of the sites charted on this region, lowest first.

    A site charted on both sides marks both regions; a site on a midline structure (the nose,
    say) shows there whichever side was recorded. Overlapping sites are refused when charted,
    but a record kept from before that rule may hold some: each keeps its marker.
    """
    if region.side == MIDLINE:
        covers = [
            number for (location, _), number in charted.items() if location == region.location
        ]
    else:
        here = (region.location, region.side)
        covers = [number for site, number in charted.items() if sites_overlap(here, site)]
    return tuple(sorted(covers))


def map_regions(
    *, charted: Mapping[tuple[str, str], int], url_for: Callable[[str, str], str]
) -> list[dict]:
    """Every region in drawing order, with what `treatments/_body_map.html` needs to draw it.

    ``charted`` maps (location, side) of the sites already charted in this consultation to the
    number their marker shows; ``url_for(location, side)`` gives the address of the form that
    charts a site there. Each dict has: location, side, label, view, shape, attrs (list of
    (name, value) pairs), url, charted, site_number (the lowest), site_numbers, marker (its
    text), marker_class, eye_area, css_class, label_point.
    """
    regions = []
    for region in REGIONS:
        numbers = _site_numbers(region, charted)
        number = numbers[0] if numbers else None
        classes = ["map-region", f"map-region--{region.view}"]
        if region.eye_area:
            classes.append("map-region--eye")
        if number is not None:
            classes.append("map-region--charted")
        marker_classes = ["map-marker__number"]
        if region.view == BODY:
            marker_classes.append("map-marker__number--small")
        if len(numbers) > 1:
            marker_classes.append("map-marker__number--several")
        regions.append(
            {
                "location": region.location,
                "side": region.side,
                "label": region.label,
                "view": region.view,
                "shape": region.shape,
                "attrs": list(region.attrs),
                "url": url_for(region.location, region.side),
                "charted": number is not None,
                "site_number": number,
                "site_numbers": numbers,
                "marker": ",".join(str(n) for n in numbers),
                "marker_class": " ".join(marker_classes),
                "eye_area": region.eye_area,
                "css_class": " ".join(classes),
                "label_point": region.label_point,
            }
        )
    return regions


# --- Markup -------------------------------------------------------------------------------------


class Markup(str):
    """Markup that is printed as it is: Django's (and Jinja's) templates call ``__html__``."""

    def __html__(self) -> str:
        return self


@dataclass(frozen=True)
class MapMarkup:
    """The map's regions and markers for one chart, each view's in drawing order."""

    face_regions: Markup
    face_markers: Markup
    body_regions: Markup
    body_markers: Markup


@dataclass(frozen=True)
class _RegionMarkup:
    """A region's link with the parts that never change already written: the page adds its
    classes, address and charted state between them."""

    aria_label: str  # ends before ", charted"
    title: str  # ends before " (site 1)"
    shape: str  # the shape element and the link's end

    def render(self, region: Mapping) -> str:
        url = escape(region["url"])
        charted = region["charted"]
        return "".join(
            (
                '<a class="',
                region["css_class"],
                '" href="',
                url,
                '" hx-get="',
                url,
                '" hx-target="#site-form" hx-swap="innerHTML" aria-label="',
                self.aria_label,
                ", charted" if charted else "",
                '">\n  <title>',
                self.title,
                f" (site {region['marker']})" if charted else "",
                self.shape,
            )
        )


def _region_markup(region: Region) -> _RegionMarkup:
    label = escape(region.label)
    attrs = "".join(f' {name}="{escape(value)}"' for name, value in region.attrs)
    return _RegionMarkup(
        aria_label=label + (" (eye area)" if region.eye_area else ""),
        title=label + (": eye area, cryotherapy never offered" if region.eye_area else ""),
        shape=f'</title>\n  <{region.shape} class="map-region__shape"{attrs}/>\n</a>\n',
    )


_REGION_MARKUP = {(r.location, r.side): _region_markup(r) for r in REGIONS}
_MARKER_RADIUS = {FACE: ("map-marker", 12), BODY: ("map-marker map-marker--small", 10)}


def _marker(region: Mapping) -> str:
    marker_class, radius = _MARKER_RADIUS[region["view"]]
    x, y = region["label_point"]
    return (
        f'\n          <circle class="{marker_class}" cx="{x}" cy="{y}" r="{radius}"/>'
        f'\n          <text class="{region["marker_class"]}" x="{x}" y="{y}">'
        f"{region['marker']}</text>\n          "
    )


def map_markup(
    *, charted: Mapping[tuple[str, str], int], url_for: Callable[[str, str], str]
) -> MapMarkup:
    """The regions and markers of the map for the sites ``charted``, as `map_regions` takes
    them, ready for `treatments/_body_map.html` to print."""
    regions = map_regions(charted=charted, url_for=url_for)
    parts = {(view, kind): [] for view in (FACE, BODY) for kind in ("regions", "markers")}
    for region in regions:
        key = (region["location"], region["side"])
        parts[region["view"], "regions"].append(_REGION_MARKUP[key].render(region))
        if region["charted"]:
            parts[region["view"], "markers"].append(_marker(region))
    return MapMarkup(
        face_regions=Markup("".join(parts[FACE, "regions"])),
        face_markers=Markup("".join(parts[FACE, "markers"])),
        body_regions=Markup("".join(parts[BODY, "regions"])),
        body_markers=Markup("".join(parts[BODY, "markers"])),
    )
