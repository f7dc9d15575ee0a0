"""The face and body map: its regions as data, `map_regions`, and the partial that draws them."""

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template import Context, Engine

from treatments import body_map
from treatments.body_map import BODY_VIEWBOX, FACE_VIEWBOX, REGIONS, map_markup, map_regions
from treatments.rules import LOCATIONS
from treatments.templating import render_markup

PAIRED = {"eyelid", "periorbital", "temple", "cheek", "jawline", "ear", "arm", "hand", "leg"}
MIDLINE = {"forehead", "nose", "perioral", "chin", "neck", "scalp", "trunk", "genital"}
VIEW_WIDTH = {"face": 400, "body": 240}
OTHER_URL = "/consultations/7/sites/new/?location=other"


def url_for(location, side):
    return f"/consultations/7/sites/new/?location={location}&side={side}"


def make_regions(charted=None):
    return map_regions(charted=charted or {}, url_for=url_for)


def by_key(regions):
    return {(r["location"], r["side"]): r for r in regions}


def extent(region):
    """The smallest and largest x and y of a region's geometry, whatever its shape."""
    attrs = dict(region.attrs)
    if region.shape == "ellipse":
        cx, rx = float(attrs["cx"]), float(attrs["rx"])
        cy, ry = float(attrs["cy"]), float(attrs["ry"])
        return cx - rx, cx + rx, cy - ry, cy + ry
    if region.shape == "rect":
        x, y = float(attrs["x"]), float(attrs["y"])
        return x, x + float(attrs["width"]), y, y + float(attrs["height"])
    if region.shape == "polygon":
        points = [point.split(",") for point in attrs["points"].split()]
        xs, ys = [float(x) for x, _ in points], [float(y) for _, y in points]
        return min(xs), max(xs), min(ys), max(ys)
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", attrs["d"])]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), max(xs), min(ys), max(ys)


def x_extent(region):
    return extent(region)[:2]


def view_size(viewbox):
    """The width and height of a ``viewBox="0 0 w h"``."""
    min_x, min_y, width, height = (float(n) for n in viewbox.split())
    assert (min_x, min_y) == (0, 0)
    return width, height


class Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append(dict(attrs))

    handle_startendtag = handle_starttag


def render(charted=None):
    """The partial as the consultation page draws it (part of the chart fragment, a Jinja2
    template), for the sites ``charted``."""
    markup = map_markup(charted=charted or {}, url_for=url_for)
    return render_markup("treatments/_body_map.html", {"map": markup, "other_url": OTHER_URL})


# --- The regions as data -----------------------------------------------------------------------


def test_regions_cover_every_location_but_other():
    assert {r.location for r in REGIONS} == set(LOCATIONS) - {"other"}


def test_regions_paired_locations_have_left_and_right():
    sides = {location: set() for location in PAIRED | MIDLINE}
    for region in REGIONS:
        sides[region.location].add(region.side)

    assert {location: sides[location] for location in PAIRED} == {
        location: {"left", "right"} for location in PAIRED
    }
    assert {location: sides[location] for location in MIDLINE} == {
        location: {"midline"} for location in MIDLINE
    }


def test_regions_location_and_side_are_unique():
    counts = Counter((r.location, r.side) for r in REGIONS)

    assert [key for key, count in counts.items() if count > 1] == []


def test_regions_are_drawn_with_simple_svg_shapes_in_a_known_view():
    assert {r.shape for r in REGIONS} <= {"path", "ellipse", "rect", "polygon"}
    assert {r.view for r in REGIONS} == {"face", "body"}


def test_regions_face_and_body_views():
    face = {r.location for r in REGIONS if r.view == "face"}
    body = {r.location for r in REGIONS if r.view == "body"}

    assert face == {
        "eyelid",
        "periorbital",
        "forehead",
        "temple",
        "cheek",
        "nose",
        "perioral",
        "chin",
        "jawline",
        "ear",
    }
    assert body == {"neck", "scalp", "trunk", "arm", "hand", "leg", "genital"}


def test_regions_patients_left_is_drawn_on_the_viewers_right():
    regions = {(r.location, r.side): r for r in REGIONS}

    for location in PAIRED:
        left, right = regions[location, "left"], regions[location, "right"]
        middle = VIEW_WIDTH[left.view] / 2
        assert x_extent(left)[0] >= middle, location
        assert x_extent(right)[1] <= middle, location
        assert left.label_point[0] > middle > right.label_point[0], location


def test_regions_left_is_the_mirror_image_of_right():
    regions = {(r.location, r.side): r for r in REGIONS}

    for location in PAIRED:
        left, right = regions[location, "left"], regions[location, "right"]
        width = VIEW_WIDTH[left.view]
        left_x0, left_x1, left_y0, left_y1 = extent(left)
        right_x0, right_x1, right_y0, right_y1 = extent(right)
        assert (left.view, left.shape) == (right.view, right.shape), location
        assert (left_x0, left_x1) == pytest.approx((width - right_x1, width - right_x0)), location
        assert (left_y0, left_y1) == (right_y0, right_y1), location
        assert left.label_point == pytest.approx(
            (width - right.label_point[0], right.label_point[1])
        ), location


def test_regions_paired_sides_do_not_overlap():
    regions = {(r.location, r.side): r for r in REGIONS}

    overlapping = [
        location
        for location in PAIRED
        if x_extent(regions[location, "right"])[1] > x_extent(regions[location, "left"])[0]
    ]

    assert overlapping == []


def test_regions_every_region_has_a_drawable_shape():
    required = {
        "path": {"d"},
        "ellipse": {"cx", "cy", "rx", "ry"},
        "rect": {"x", "y", "width", "height"},
        "polygon": {"points"},
    }

    missing = [
        (r.location, r.side)
        for r in REGIONS
        if not required[r.shape] <= {name for name, value in r.attrs if value.strip()}
    ]
    empty = [(r.location, r.side) for r in REGIONS if extent(r)[0] >= extent(r)[1]]

    assert (missing, empty) == ([], [])


def test_regions_periorbital_is_drawn_behind_its_eyelid():
    order = [(r.location, r.side) for r in REGIONS]

    for side in ("left", "right"):
        assert order.index(("periorbital", side)) < order.index(("eyelid", side))


def test_regions_marker_points_lie_within_their_region():
    heights = {"face": 500, "body": 500}

    outside = [
        r.label
        for r in REGIONS
        if not (
            x_extent(r)[0] < r.label_point[0] < x_extent(r)[1]
            and 0 < r.label_point[1] < heights[r.view]
        )
    ]

    assert outside == []


def test_regions_lie_inside_the_viewbox_their_view_is_drawn_in():
    sizes = {"face": view_size(FACE_VIEWBOX), "body": view_size(BODY_VIEWBOX)}

    outside = []
    for region in REGIONS:
        width, height = sizes[region.view]
        x0, x1, y0, y1 = extent(region)
        if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
            outside.append((region.location, region.side))

    assert outside == []


def test_mirror_path_refuses_relative_commands():
    with pytest.raises(ValueError, match="cannot mirror path command 'l'"):
        body_map._mirror_path("M0,0 l10,10 Z", 400)


# --- map_regions -------------------------------------------------------------------------------


def test_map_regions_one_dict_per_region_with_every_key():
    regions = make_regions()

    assert len(regions) == len(REGIONS)
    assert set(regions[0]) == {
        "location",
        "side",
        "label",
        "view",
        "shape",
        "attrs",
        "url",
        "charted",
        "site_number",
        "site_numbers",
        "marker",
        "marker_class",
        "eye_area",
        "css_class",
        "label_point",
    }


def test_map_regions_right_eyelid_in_full():
    source = {(r.location, r.side): r for r in REGIONS}["eyelid", "right"]

    region = by_key(make_regions())["eyelid", "right"]

    assert region == {
        "location": "eyelid",
        "side": "right",
        "label": "Right eyelid",
        "view": "face",
        "shape": "path",
        "attrs": list(source.attrs),
        "url": "/consultations/7/sites/new/?location=eyelid&side=right",
        "charted": False,
        "site_number": None,
        "site_numbers": (),
        "marker": "",
        "marker_class": "map-marker__number",
        "eye_area": True,
        "css_class": "map-region map-region--face map-region--eye",
        "label_point": source.label_point,
    }


def test_map_regions_eye_area_exactly_eyelid_and_periorbital():
    eye = {r["location"] for r in make_regions() if r["eye_area"]}
    eye_classes = {r["location"] for r in make_regions() if "map-region--eye" in r["css_class"]}

    assert eye == {"eyelid", "periorbital"}
    assert eye_classes == {"eyelid", "periorbital"}


def test_map_regions_marks_charted_regions_with_their_number():
    regions = by_key(make_regions({("cheek", "left"): 2, ("periorbital", "right"): 1}))

    assert regions["cheek", "left"]["charted"] is True
    assert regions["cheek", "left"]["site_number"] == 2
    assert regions["cheek", "left"]["css_class"] == (
        "map-region map-region--face map-region--charted"
    )
    assert regions["periorbital", "right"]["site_number"] == 1
    assert regions["periorbital", "right"]["css_class"] == (
        "map-region map-region--face map-region--eye map-region--charted"
    )
    assert regions["cheek", "right"]["charted"] is False
    assert regions["cheek", "right"]["site_number"] is None
    assert [key for key, r in regions.items() if r["charted"]] == [
        ("periorbital", "right"),
        ("cheek", "left"),
    ]


def test_map_regions_a_bilateral_site_marks_both_sides():
    regions = by_key(make_regions({("hand", "bilateral"): 3}))

    assert regions["hand", "left"]["site_numbers"] == (3,)
    assert regions["hand", "right"]["site_numbers"] == (3,)
    assert regions["hand", "right"]["marker"] == "3"
    assert regions["hand", "right"]["marker_class"] == (
        "map-marker__number map-marker__number--small"
    )


def test_map_regions_a_sided_site_on_a_midline_region_marks_it():
    regions = by_key(make_regions({("nose", "left"): 4, ("nose", "right"): 2}))

    assert regions["nose", "midline"]["site_number"] == 2
    assert regions["nose", "midline"]["site_numbers"] == (2, 4)


def test_map_regions_overlapping_sites_of_an_old_record_each_keep_their_marker():
    # Refused since issue 13, but a record charted before may hold both sides beside one side.
    charted = {("eyelid", "left"): 1, ("eyelid", "right"): 2, ("eyelid", "bilateral"): 3}

    regions = by_key(make_regions(charted))

    assert regions["eyelid", "left"]["site_numbers"] == (1, 3)
    assert regions["eyelid", "left"]["marker"] == "1,3"
    assert regions["eyelid", "left"]["marker_class"] == (
        "map-marker__number map-marker__number--several"
    )
    assert regions["eyelid", "right"]["marker"] == "2,3"
    assert regions["periorbital", "left"]["site_numbers"] == ()


def test_map_regions_labels_name_the_patients_side():
    labels = {key: r["label"] for key, r in by_key(make_regions()).items()}

    assert labels["eyelid", "left"] == "Left eyelid"
    assert labels["eyelid", "right"] == "Right eyelid"
    assert labels["periorbital", "left"] == "Left periorbital area"
    assert labels["arm", "right"] == "Right arm"
    assert labels["forehead", "midline"] == "Forehead"
    assert labels["perioral", "midline"] == "Perioral area"


def test_map_regions_labels_are_the_site_names_of_the_record(dermatologist):
    from tests.factories import make_consultation, make_site

    consultation = make_consultation(clinician=dermatologist)
    labels = {key: r["label"] for key, r in by_key(make_regions()).items()}
    places = [("periorbital", "right"), ("perioral", "midline"), ("genital", "midline")]

    assert [labels[place] for place in places] == [
        str(make_site(consultation, location=location, side=side)) for location, side in places
    ]
    assert [labels[place] for place in places] == [
        "Right periorbital area",
        "Perioral area",
        "Genital area",
    ]


def test_map_regions_urls_come_from_url_for():
    calls = []

    def recording_url_for(location, side):
        calls.append((location, side))
        return f"/{location}/{side}/"

    regions = map_regions(charted={}, url_for=recording_url_for)

    assert calls == [(r.location, r.side) for r in REGIONS]
    assert [r["url"] for r in regions] == [f"/{r.location}/{r.side}/" for r in REGIONS]


# --- The partial -------------------------------------------------------------------------------


def test_partial_one_link_per_region_with_its_url():
    regions = make_regions({("eyelid", "left"): 1})
    parser = Anchors()

    parser.feed(render({("eyelid", "left"): 1}))

    region_links = [a for a in parser.anchors if "map-region" in a.get("class", "")]
    assert [a["href"] for a in region_links] == [r["url"] for r in regions]
    assert [a["hx-get"] for a in region_links] == [r["url"] for r in regions]
    assert {a["hx-target"] for a in region_links} == {"#site-form"}
    assert {a["hx-swap"] for a in region_links} == {"innerHTML"}
    assert [a["class"] for a in region_links] == [r["css_class"] for r in regions]


def test_partial_every_region_is_reachable_by_keyboard():
    parser = Anchors()

    parser.feed(render())

    region_links = [a for a in parser.anchors if "map-region" in a.get("class", "")]
    assert len(region_links) == len(REGIONS)
    assert [a for a in region_links if not a.get("href") or "tabindex" in a] == []
    assert [a["href"] for a in region_links if not a.get("aria-label")] == []


def test_partial_accessible_names():
    parser = Anchors()

    parser.feed(render({("eyelid", "left"): 1}))

    names = {a["href"]: a["aria-label"] for a in parser.anchors if "aria-label" in a}
    assert names[url_for("eyelid", "left")] == "Left eyelid (eye area), charted"
    assert names[url_for("eyelid", "right")] == "Right eyelid (eye area)"
    assert names[url_for("nose", "midline")] == "Nose"


def test_partial_other_location_link():
    parser = Anchors()

    parser.feed(render())

    other = [a for a in parser.anchors if a["href"] == OTHER_URL]
    assert len(other) == 1
    assert other[0]["hx-get"] == OTHER_URL
    assert other[0]["hx-target"] == "#site-form"


def test_partial_counts_links():
    html = render()

    assert html.count("<a ") == len(REGIONS) + 1


def test_partial_has_no_inline_style_or_script():
    html = render({("cheek", "left"): 1, ("eyelid", "right"): 2})

    assert "style=" not in html
    assert "<script" not in html
    assert "<style" not in html


def test_partial_draws_a_numbered_marker_per_charted_region():
    html = render({("cheek", "left"): 1, ("arm", "right"): 2})

    marker = r'<text class="map-marker__number(?: map-marker__number--small)?"[^>]*>(\d+)</text>'
    numbers = re.findall(marker, html)
    assert numbers == ["1", "2"]


def test_partial_uses_the_viewboxes_and_labels_the_sides():
    html = render()

    assert html.count(f'viewBox="{FACE_VIEWBOX}"') == 1
    assert html.count(f'viewBox="{BODY_VIEWBOX}"') == 1
    assert html.count("Patient's right</text>") == 2
    assert html.count("Patient's left</text>") == 2
    assert "Eye area</strong> (hatched): cryotherapy never offered" in html


def test_partial_draws_a_both_sides_site_on_both_sides():
    html = render({("eyelid", "bilateral"): 1, ("forehead", "midline"): 2})

    numbers = re.findall(r'<text class="map-marker__number"[^>]*>([\d,]+)</text>', html)
    # Face regions in drawing order: forehead, then the right eyelid, then the left.
    assert numbers == ["2", "1", "1"]


# --- The markup equals the partials it replaced -------------------------------------------------

# The map as it was drawn before issue 14: a template partial per region
# (tests/body_map_reference/). The markup prepared once per process must stay byte for byte what
# those templates output; a change to the map's art or markup changes both.
REFERENCE = Engine(dirs=[Path(__file__).parent / "body_map_reference"])


def render_reference(charted):
    return REFERENCE.get_template("treatments/_body_map.html").render(
        Context({"regions": make_regions(charted), "other_url": OTHER_URL})
    )


@pytest.mark.parametrize(
    "charted",
    [
        {},
        {("eyelid", "left"): 1},
        {("cheek", "left"): 2, ("periorbital", "right"): 1, ("arm", "right"): 3},
        {("hand", "bilateral"): 3, ("nose", "left"): 4, ("nose", "right"): 2},
        {("eyelid", "left"): 1, ("eyelid", "right"): 2, ("eyelid", "bilateral"): 3},
        {
            (location, side): n
            for n, (location, side) in enumerate([(r.location, r.side) for r in REGIONS], start=1)
        },
    ],
    ids=["none", "one", "face-and-body", "both-sides-and-midline", "overlapping", "every-region"],
)
def test_markup_equals_the_per_region_partials(charted):
    assert render(charted) == render_reference(charted)


def test_markup_escapes_the_address():
    markup = map_markup(charted={}, url_for=lambda location, side: f"/a?x=1&y={location}")

    assert 'href="/a?x=1&amp;y=eyelid"' in markup.face_regions
    assert "&y=" not in markup.face_regions
