"""Every page fits a phone (390 px), a tablet (768 px) and a laptop (1366 px).

For each page of the app, visited by the role that uses it with realistic data (a draft
consultation with many sites and long names, a signed plan with sessions, sessions today): the
page never scrolls sideways, and its key actions are visible with their whole width inside the
window. The pages come from a table, and a URL name of the app that is neither visited nor
excluded with a reason fails the suite, so a new page is covered when it is added.

Set MILIA_SCREENSHOTS to a folder to keep a full-page screenshot of every visit.
"""

import os
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from tests.e2e.conftest import PASSWORD
from tests.factories import (
    make_consultation,
    make_ehr_client,
    make_patient,
    make_planned,
    make_site,
    make_user,
    sign,
)
from tests.test_access_matrix import _named_urls
from treatments import roles, services
from treatments.models import CdsCard, CdsFeedback

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 768, 1366)
SCREENSHOTS = os.environ.get("MILIA_SCREENSHOTS")


@dataclass(frozen=True)
class Action:
    """Controls a person must be able to reach: ``count`` of them (None: at least one), found
    by their accessible name as a button or a link (``role`` None: either)."""

    role: str | None
    name: str
    count: int | None = None
    exact: bool = False

    def find(self, page):
        roles = (self.role,) if self.role else ("button", "link")
        found = [page.get_by_role(role, name=self.name, exact=self.exact) for role in roles]
        return found[0].or_(found[-1])


@dataclass(frozen=True)
class Page:
    url_name: str
    role: str  # who visits it: "anonymous", "dermatologist", "staff" or "admin"
    path: str  # a format string over the scenario's keys
    actions: tuple[Action, ...] = ()
    # Elements whose boxes must not overlap one another (the print view's labels).
    apart: str | None = None
    label: str = ""  # tells two visits of one URL name apart


SITES_CHARTED = 9
SESSIONS_TODAY = 3
SESSIONS_UPCOMING = 6  # today's three, two more extractions, a second peel

PAGES = (
    Page("login", "anonymous", "/accounts/login/", (Action("button", "Log in"),)),
    # The clinician's pages.
    Page("treatments:home", "dermatologist", "/", (Action("link", "Register a patient"),)),
    Page("treatments:patient_list", "dermatologist", "/patients/", (Action("button", "Search"),)),
    Page("treatments:patient_create", "dermatologist", "/patients/new/"),
    Page(
        "treatments:patient_detail",
        "dermatologist",
        "/patients/{patient}/",
        (Action("link", "Edit details"), Action("link", "Open a consultation")),
    ),
    Page("treatments:patient_update", "dermatologist", "/patients/{patient}/edit/"),
    Page(
        "treatments:consultation_create", "dermatologist", "/patients/{patient}/consultations/new/"
    ),
    Page(
        "treatments:consultation_detail",
        "dermatologist",
        "/consultations/{draft}/",
        (
            Action("link", "Edit", count=SITES_CHARTED, exact=True),
            Action("button", "Remove", count=SITES_CHARTED),
            Action("link", "Review and sign"),
            Action("link", "Plan treatment"),
        ),
        label="draft",
    ),
    Page(
        "treatments:consultation_detail",
        "dermatologist",
        "/consultations/{signed}/",
        (Action("button", "Add addendum"),),
        label="signed",
    ),
    Page(
        "treatments:consultation_sign",
        "dermatologist",
        "/consultations/{draft}/sign/",
        (Action("button", "Sign consultation"),),
    ),
    Page("treatments:site_create", "dermatologist", "/consultations/{draft}/sites/new/"),
    Page("treatments:site_update", "dermatologist", "/sites/{site}/edit/"),
    Page("treatments:plan_edit", "dermatologist", "/consultations/{draft}/plan/"),
    Page("treatments:site_advice", "dermatologist", "/sites/{site}/advice/"),
    Page(
        "treatments:site_photos",
        "dermatologist",
        "/sites/{site}/photos/",
        (Action("button", "Upload photo"),),
    ),
    Page(
        "treatments:consultation_detail",
        "dermatologist",
        "/consultations/{follow_up}/",
        (Action("link", "Record outcome", count=2),),
        label="follow-up",
    ),
    Page("treatments:site_outcome_edit", "dermatologist", "/outcomes/{carried}/"),
    Page("treatments:rules_reference", "dermatologist", "/rules/"),
    Page("password_change", "dermatologist", "/accounts/password_change/"),
    Page("password_change_done", "dermatologist", "/accounts/password_change/done/"),
    # The clinic staff's pages.
    Page(
        "treatments:today",
        "staff",
        "/today/",
        (
            Action("link", "Print sheet", count=SESSIONS_TODAY),
            Action("link", "PDF for", count=SESSIONS_TODAY),
            Action("link", "Mark done", count=SESSIONS_TODAY),
            Action("button", "Print all (PDF)"),
        ),
    ),
    Page(
        "treatments:today",
        "staff",
        "/today/?print=1&handout=1",
        (Action("link", "Download PDF"), Action("button", "Print")),
        apart=".facts > *",
        label="print",
    ),
    Page(
        "treatments:session_list",
        "staff",
        "/sessions/",
        (Action("link", "Mark session", count=SESSIONS_UPCOMING),),
    ),
    Page(
        "treatments:patient_detail",
        "staff",
        "/patients/{patient}/",
        (Action("link", "Mark session"),),
        label="staff",
    ),
    Page("treatments:consultation_detail", "staff", "/consultations/{signed}/", label="staff"),
    Page(
        "treatments:session_done",
        "staff",
        "/sessions/{later_session}/done/",
        (Action("button", "Confirm: session"),),
    ),
    Page(
        "treatments:aftercare_sheet",
        "staff",
        "/planned/{planned}/aftercare/",
        (Action("link", "Download PDF"), Action("button", "Print")),
        apart=".facts > *, .sheet-clinic > *",
    ),
    Page("treatments:handout", "staff", "/handouts/why-not-at-home/", (Action("button", "Print"),)),
    # The clinic admin's pages.
    Page("audit:report", "admin", "/audit/", (Action("button", "Filter"),)),
    Page("audit:verify", "admin", "/audit/verify/"),
    Page("treatments:cds_feedback_report", "admin", "/ehr/feedback/"),
    Page("treatments:outcome_report", "admin", "/reports/outcomes/"),
    Page("admin:index", "admin", "/admin/"),
    Page("admin:treatments_patient_changelist", "admin", "/admin/treatments/patient/"),
)

# URL names with no page of their own to lay out, each with the reason.
NOT_PAGES = {
    "logout": "POST only; its button is checked in each role's opened menu",
    "treatments:consultation_update": "POST only (the facts form on the consultation page)",
    "treatments:addendum_create": "POST only; its button is checked on the signed consultation",
    "treatments:site_delete": "POST only; the Remove buttons are checked on the consultation page",
    "treatments:session_undo": "POST only; its button shows once a session is done",
    "treatments:session_keepalive": "POST only, answers no page",
    "treatments:today_pdf": "a PDF file, laid out by print.css for paper",
    "treatments:aftercare_pdf": "a PDF file, laid out by print.css for paper",
    "treatments:handout_pdf": "a PDF file, laid out by print.css for paper",
    "treatments:api_recommendations": "JSON API",
    "treatments:api_rules": "JSON API",
    "treatments:cds_discovery": "CDS Hooks JSON for an EHR",
    "treatments:cds_service": "CDS Hooks JSON for an EHR",
    "treatments:cds_feedback": "CDS Hooks JSON for an EHR",
    "treatments:fhir_export": "a FHIR JSON download",
    "audit:export": "a CSV download",
    "treatments:photo_upload": "POST only; its form is on the site's photos page",
    "treatments:photo_file": "an image file, shown in the site's photos page",
    "treatments:photo_remove": "POST only; its button is on the site's photos page",
    "treatments:follow_up_start": "POST only; its button is on the signed consultation page",
    "treatments:site_outcome_remove": "POST only; its buttons are on the follow-up's page",
    "treatments:outcome_report_csv": "a CSV download",
}

# Long words and names, as a real clinic has them.
LONG_PATIENT = {
    "given_name": "Maximiliana-Konstantina",
    "family_name": "Papadopoulou-Vandenberghe-Wittgensteiner",
    "medical_record_number": "MRN-2026-000004711-B",
}
DRAFT_SITES = (
    ("periorbital", "bilateral", {"tried": [("topical_retinoid", False), ("extraction", False)]}),
    ("eyelid", "left", {"red_flags": True}),
    ("eyelid", "right", {"active_inflammation": True}),
    ("perioral", "bilateral", {"depth": "deep", "largest_mm": Decimal("3.5")}),
    ("other", "bilateral", {"months_present": 120}),
    ("genital", "midline", {}),
    ("forehead", "midline", {"count": 1250}),
    ("cheek", "bilateral", {"tried": [("chemical_peel", True)]}),
    ("jawline", "left", {}),
)


def test_every_url_name_is_visited_or_excluded_with_a_reason():
    visited = {page.url_name for page in PAGES}
    named = set(_named_urls())
    assert sorted(named - visited - set(NOT_PAGES)) == []
    assert sorted(set(NOT_PAGES) - named) == []


@pytest.fixture
def scenario(e2e_users):
    dermatologist = e2e_users["dermatologist"]
    make_user("admin.e2e", roles.CLINIC_ADMIN, password=PASSWORD, is_staff=True)
    patient = make_patient(**LONG_PATIENT)
    draft = make_consultation(patient=patient, clinician=dermatologist, notes="Long notes " * 20)
    sites = [
        make_site(draft, location=location, side=side, **fields)
        for location, side, fields in DRAFT_SITES
    ]
    signed = make_consultation(patient=patient, clinician=dermatologist)
    signed_sites = [
        make_site(signed, location="periorbital", side="bilateral"),
        make_site(signed, location="forehead", side="midline", largest_mm=Decimal("4.0")),
    ]
    today = timezone.localdate()
    planned = make_planned(
        signed, code="extraction", sites=signed_sites[:1], sessions=3, interval_weeks=4
    )
    make_planned(signed, code="cryotherapy", sites=signed_sites[1:], sessions=1, starts_on=today)
    sign(signed)
    follow_up = services.follow_up_start(consultation=signed, clinician=dermatologist)
    # One more session today for someone else, and one in a week.
    other = make_consultation(
        patient=make_patient(given_name="Bo", family_name="Li"), clinician=dermatologist
    )
    make_planned(
        other,
        code="chemical_peel",
        sites=[make_site(other, location="nose", side="midline")],
        sessions=2,
        interval_weeks=1,
        starts_on=today,
    )
    sign(other)
    _ehr_feedback()
    return {
        "patient": patient.pk,
        "draft": draft.pk,
        "signed": signed.pk,
        "site": sites[0].pk,
        "planned": planned.pk,
        # A later session, so the confirmation asks for its reason too.
        "later_session": planned.treatment_sessions.order_by("number").last().pk,
        "follow_up": follow_up.pk,
        "carried": follow_up.site_outcomes.first().pk,
    }


def _ehr_feedback():
    """Cards an EHR showed, one overridden with a long reason, for the feedback report."""
    ehr = make_ehr_client()
    for number, (rule, outcome) in enumerate(
        [("CRYO-EYE", "overridden"), ("EXT-FEW", "accepted"), ("", "accepted")]
    ):
        card = CdsCard.objects.create(
            uuid=uuid.UUID(int=number + 1),
            ehr_client=ehr,
            service="milia-order-sign",
            hook_instance="hook",
            rule=rule,
            indicator="critical" if rule == "CRYO-EYE" else "info",
            summary="A card",
        )
        CdsFeedback.objects.create(
            card=card,
            ehr_client=ehr,
            outcome=outcome,
            override_display="The patient was told of the risk and chose this treatment",
            user_comment="Cyst on the eyebrow, well clear of the eyelid margin",
            outcome_at=timezone.now(),
        )


def _log_in(context, live_server, role, refused):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    if role != "anonymous":
        username = {"dermatologist": "dr.e2e", "staff": "staff.e2e", "admin": "admin.e2e"}[role]
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
    return page


def _layout_problems(page, spec: Page, width: int) -> list[str]:
    problems = []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(WIDEST_JS, width)
        problems.append(f"scrolls sideways: {scroll_width} px wide, past the edge: {culprits}")
    for action in spec.actions:
        controls = action.find(page)
        found = controls.count()
        if found == 0 or (action.count is not None and found != action.count):
            problems.append(f"{action.name!r}: {found} found, {action.count or 'some'} expected")
        for index in range(found):
            control = controls.nth(index)
            box = control.bounding_box()
            if not control.is_visible() or box is None:
                problems.append(f"{action.name!r} #{index + 1} is hidden")
            elif box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
                left, right = round(box["x"]), round(box["x"] + box["width"])
                problems.append(f"{action.name!r} #{index + 1} spans {left}..{right} px")
            elif control.evaluate(CLIPPED_JS):
                problems.append(f"{action.name!r} #{index + 1} is cut off by a scrolling box")
    if spec.apart:
        overlaps = page.evaluate(OVERLAPS_JS, spec.apart)
        problems.extend(f"overlap: {pair}" for pair in overlaps)
    return problems


# The innermost elements that reach past the window's right edge, named for the failure message.
WIDEST_JS = """(width) => {
  // An element past the edge, or one whose content (a long word) overflows its own box.
  const past = [...document.body.querySelectorAll("*")].filter(
    (el) => el.getBoundingClientRect().right > width + 0.5
      || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible"
          && el.clientWidth > 0));
  const innermost = past.filter((el) => !past.some((other) => other !== el && el.contains(other)));
  const name = (el) => el.tagName.toLowerCase()
    + (el.className ? "." + String(el.className).split(" ").join(".") : "");
  return innermost.slice(0, 5).map((el) =>
    `${name(el)} (to ${Math.round(el.getBoundingClientRect().left + el.scrollWidth)} px)`);
}"""


# Whether a box that scrolls sideways (a wide table's wrapper) hides part of the element.
CLIPPED_JS = """(element) => {
  const box = element.getBoundingClientRect();
  for (let parent = element.parentElement; parent; parent = parent.parentElement) {
    if (getComputedStyle(parent).overflowX === "visible") continue;
    const frame = parent.getBoundingClientRect();
    if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) return true;
  }
  return false;
}"""


# The pairs of elements (by their text) whose text overlaps by more than a pixel; the text's own
# box, since text spilling out of a squeezed box is what overlaps.
OVERLAPS_JS = """(selector) => {
  const boxes = [...document.querySelectorAll(selector)].map((element) => {
    const text = document.createRange();
    text.selectNodeContents(element);
    return [element.textContent.trim().slice(0, 30), text.getBoundingClientRect()];
  });
  const pairs = [];
  boxes.forEach(([a, boxA], i) => boxes.slice(i + 1).forEach(([b, boxB]) => {
    const x = Math.min(boxA.right, boxB.right) - Math.max(boxA.left, boxB.left);
    const y = Math.min(boxA.bottom, boxB.bottom) - Math.max(boxA.top, boxB.top);
    if (x > 1 && y > 1) pairs.push(`${a} / ${b}`);
  }));
  return pairs;
}"""


def _menu_problems(page, width: int) -> list[str]:
    """The navbar's Log out is in reach: at once on a wide screen, where the navbar is collapsed
    once its toggler has opened it."""
    toggler = page.get_by_role("button", name="Menu")
    if toggler.is_visible():
        toggler.click()
        page.locator(".navbar-collapse.show").wait_for()  # opened, the animation over
    log_out = page.get_by_role("button", name="Log out")
    box = log_out.bounding_box()
    if not log_out.is_visible() or box["x"] < 0 or box["x"] + box["width"] > width:
        return ["the navbar's Log out is out of reach"]
    return []


def _screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        filename = name.replace(":", "-").replace(" ", "-")
        page.screenshot(path=f"{SCREENSHOTS}/{filename}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_width_with_its_actions_in_reach(
    browser, live_server, scenario, settings, width
):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    problems = {}
    refused = []
    for role in ("anonymous", "dermatologist", "staff", "admin"):
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            page = _log_in(context, live_server, role, refused)
            if role != "anonymous":
                problems[f"{role} menu"] = _menu_problems(page, width)
                _screenshot(page, f"{width}-{role}-menu")
            for spec in (spec for spec in PAGES if spec.role == role):
                response = page.goto(live_server.url + spec.path.format(**scenario))
                name = " ".join(filter(None, (spec.url_name, spec.label, role)))
                if response.status != 200:
                    problems[name] = [f"answered {response.status}"]
                    continue
                problems[name] = _layout_problems(page, spec, width)
                _screenshot(page, f"{width}-{name}")
        finally:
            context.close()

    failing = {name: found for name, found in problems.items() if found}
    report = "\n".join(f"{name}: {'; '.join(found)}" for name, found in failing.items())
    assert failing == {}, f"at {width} px:\n{report}"
    assert refused == [], "the Content Security Policy refused something"
