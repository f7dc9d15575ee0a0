"""The print views, the PDFs and the staff's Today page (issue 5)."""

import os
import re
import subprocess
from datetime import timedelta
from io import BytesIO

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import make_course, make_patient
from treatments import aftercare, printing, services
from treatments.models import Handout

pytestmark = pytest.mark.django_db

NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"
CODES = ("extraction", "chemical_peel", "topical_retinoid", "cryotherapy", "co2_laser")
THREE_SITES = (("cheek", "bilateral"), ("nose", "midline"), ("forehead", "midline"))


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page, with runs of white space (line ends too) made one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(content)).pages]


def sheet_url(planned, session=None, view="aftercare_sheet", **params):
    path = {"aftercare_sheet": "aftercare/", "aftercare_pdf": "aftercare.pdf"}[view]
    if session is not None:
        params["session"] = session.pk
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/planned/{planned.pk}/{path}" + (f"?{query}" if query else "")


def articles(html: str) -> list[str]:
    return re.findall(r'<article class="sheet[^"]*">.*?</article>', html, flags=re.S)


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/today/",
        "/today/sheets.pdf",
        "/planned/1/aftercare/",
        "/planned/1/aftercare.pdf",
        "/handouts/why-not-at-home/",
        "/handouts/why-not-at-home.pdf",
    ],
)
def test_printing_pages_send_anonymous_users_to_login(client, path):
    response = client.get(path)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")


@pytest.mark.parametrize("role_client", ["staff_client", "dermatologist_client"])
def test_staff_and_dermatologists_may_print_a_sheet(request, role_client, dermatologist):
    client = request.getfixturevalue(role_client)
    planned = make_course(dermatologist)

    responses = [
        client.get(sheet_url(planned, view=view)) for view in ("aftercare_sheet", "aftercare_pdf")
    ]

    assert [r.status_code for r in responses] == [200, 200]


def test_printing_responses_are_never_stored(staff_client, dermatologist):
    planned = make_course(dermatologist)
    paths = [
        "/today/",
        "/today/?print=1",
        "/today/sheets.pdf",
        sheet_url(planned),
        sheet_url(planned, view="aftercare_pdf"),
        "/handouts/why-not-at-home/",
        "/handouts/why-not-at-home.pdf",
    ]

    headers = {path: staff_client.get(path)["Cache-Control"] for path in paths}

    assert headers == dict.fromkeys(paths, NO_STORE)


def test_printing_refuses_post(staff_client, dermatologist):
    planned = make_course(dermatologist)

    assert staff_client.post(sheet_url(planned)).status_code == 405


# --- The print view ---------------------------------------------------------------------------


def test_aftercare_sheet_shows_the_sheet_of_the_session_asked_for(staff_client, dermatologist):
    started = timezone.localdate() - timedelta(weeks=3)
    patient = make_patient(given_name="Iris", family_name="Walker", medical_record_number="R-7")
    planned = make_course(
        dermatologist,
        patient=patient,
        code="chemical_peel",
        sessions=5,
        interval_weeks=3,
        starts_on=started,
        sites=(("cheek", "bilateral"), ("nose", "midline")),
    )
    second = planned.treatment_sessions.get(number=2)

    html = staff_client.get(sheet_url(planned, second)).content.decode()

    text = " ".join(re.sub(r"<[^>]+>", " ", articles(html)[0]).split())
    assert [fact in text for fact in (
        "Name Iris Walker", "Record number R-7", "Skin peel with a mild acid (chemical peel)",
        "Treated area Cheek (both sides) and nose", "This visit Session 2 of 5",
        f"Next visit {aftercare.long_date(started + timedelta(weeks=6))}",
    )] == [True] * 6  # fmt: skip


@pytest.mark.parametrize("session", ["999999", "abc", "-1", "%C2%B2", "9" * 30])
def test_aftercare_sheet_of_an_unknown_session_is_not_found(staff_client, dermatologist, session):
    planned = make_course(dermatologist)

    assert staff_client.get(f"{sheet_url(planned)}?session={session}").status_code == 404


def test_aftercare_sheet_refuses_a_session_of_another_treatment(staff_client, dermatologist):
    planned = make_course(dermatologist)
    other = make_course(dermatologist).treatment_sessions.get()

    responses = [
        staff_client.get(sheet_url(planned, other, view=view))
        for view in ("aftercare_sheet", "aftercare_pdf")
    ]

    assert [r.status_code for r in responses] == [404, 404]


def test_aftercare_sheet_of_a_plan_not_signed_is_not_found(staff_client, dermatologist):
    planned = make_course(dermatologist, signed=False)

    assert staff_client.get(sheet_url(planned)).status_code == 404


def test_print_view_has_no_navigation_and_no_inline_script_or_style(staff_client, dermatologist):
    planned = make_course(dermatologist)

    html = staff_client.get(sheet_url(planned)).content.decode()

    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/print.js" defer>']
    assert re.findall(r'<link rel="stylesheet"[^>]*>', html) == [
        '<link rel="stylesheet" href="/static/css/print.css">'
    ]
    assert (" style=" in html, " on" + "click=" in html, "navbar" in html) == (False, False, False)


def test_print_view_toolbar_offers_print_pdf_and_back(staff_client, dermatologist):
    planned = make_course(dermatologist)
    session = planned.treatment_sessions.get()

    html = staff_client.get(sheet_url(planned, session)).content.decode()

    toolbar = html[html.index('<nav class="print-toolbar"') : html.index("</nav>")]
    assert re.findall(r'href="([^"]+)"', toolbar) == [
        "/today/",
        f"{sheet_url(planned)}?session={session.pk}&amp;handout=1",
        f"{sheet_url(planned, view='aftercare_pdf')}?session={session.pk}",
    ]
    assert '<button class="tool tool--primary" type="button" data-print hidden>Print</button>' in (
        toolbar
    )


def test_print_view_and_pdf_render_the_same_sheet(staff_client, dermatologist):
    planned = make_course(dermatologist, sites=THREE_SITES)
    fetched = aftercare.sheet_queryset().get(pk=planned.pk)
    sheet = aftercare.sheet_for(fetched, aftercare.session_of(fetched, None))

    html = staff_client.get(sheet_url(planned)).content.decode()
    pdf_html = render_to_string(printing.PDF_TEMPLATE, {"pages": [sheet]})

    assert articles(html) == articles(pdf_html)
    assert len(articles(html)) == 1


def test_print_view_with_handout_adds_it_after_the_sheet(staff_client, dermatologist):
    planned = make_course(dermatologist)

    html = staff_client.get(sheet_url(planned, handout=1)).content.decode()

    assert [a.split(">", 1)[0] for a in articles(html)] == [
        '<article class="sheet"',
        '<article class="sheet handout"',
    ]


# --- Escaping and non-Latin names ---------------------------------------------------------------


def test_a_script_in_a_name_prints_as_text(staff_client, dermatologist):
    patient = make_patient(given_name="<script>alert(1)</script>", family_name="O'Brien")
    planned = make_course(dermatologist, patient=patient)

    html = staff_client.get(sheet_url(planned)).content.decode()
    pdf = staff_client.get(sheet_url(planned, view="aftercare_pdf")).content

    assert ("&lt;script&gt;alert(1)&lt;/script&gt;" in html, "<script>alert" in html) == (
        True,
        False,
    )
    assert "<script>alert(1)</script> O'Brien" in pdf_pages(pdf)[0]


def _require_cjk_font():
    families = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout
    if families.strip():
        return
    # CI (.ci/run) installs the font and says so; elsewhere a missing font is only skipped.
    if os.environ.get("MILIA_REQUIRE_SYSTEM_PACKAGES"):
        pytest.fail("No Chinese font for the PDFs: install Debian's fonts-noto-cjk (.ci/run).")
    pytest.skip("no Chinese font installed (Debian's fonts-noto-cjk; CI installs it)")


@pytest.mark.parametrize(
    ("given", "family"),
    [("Zoë", "Łukasiewicz"), ("小明", "王"), ("Ελένη", "Παπαδοπούλου"), ("Siân", "Ó Súilleabháin")],
)
def test_a_non_latin_name_comes_back_from_the_pdf_intact(
    staff_client, dermatologist, given, family
):
    if given == "小明":
        _require_cjk_font()
    planned = make_course(dermatologist, patient=make_patient(given_name=given, family_name=family))

    pdf = staff_client.get(sheet_url(planned, view="aftercare_pdf")).content

    assert f"{given} {family}" in pdf_pages(pdf)[0]


# --- The PDF of one sheet ---------------------------------------------------------------------


def test_aftercare_pdf_holds_the_name_treatment_sites_and_next_date(staff_client, dermatologist):
    started = timezone.localdate()
    patient = make_patient(given_name="Iris", family_name="Walker", medical_record_number="R-9")
    planned = make_course(
        dermatologist,
        patient=patient,
        code="chemical_peel",
        sessions=4,
        interval_weeks=3,
        sites=(("eyelid", "left"), ("forehead", "midline")),
    )

    response = staff_client.get(sheet_url(planned, view="aftercare_pdf"))

    pages = pdf_pages(response.content)
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "application/pdf",
        f'attachment; filename="aftercare-{started:%Y-%m-%d}.pdf"',
    )
    assert len(pages) == 1
    assert [fact in pages[0] for fact in (
        "Iris Walker", "R-9", "Skin peel with a mild acid (chemical peel)",
        "Left eyelid and forehead", "Session 1 of 4",
        aftercare.long_date(started + timedelta(weeks=3)),
        "MILIA (DIAGNOSIS CODE L72.0)",
    )] == [True] * 7  # fmt: skip


def test_aftercare_pdf_filename_names_neither_the_record_nor_the_patient(
    staff_client, dermatologist
):
    patient = make_patient(medical_record_number='AB/12 "x"\\é', family_name="Walker")
    planned = make_course(dermatologist, patient=patient)

    response = staff_client.get(sheet_url(planned, view="aftercare_pdf"))

    assert response["Content-Disposition"] == (
        f'attachment; filename="aftercare-{timezone.localdate():%Y-%m-%d}.pdf"'
    )


@pytest.mark.parametrize("code", CODES)
def test_a_typical_sheet_is_one_page(staff_client, dermatologist, code):
    patient = make_patient(given_name="Maximiliana", family_name="Vandenberghe-Oyelaran")
    planned = make_course(
        dermatologist, patient=patient, code=code, sessions=3, interval_weeks=4, sites=THREE_SITES
    )

    pages = pdf_pages(staff_client.get(sheet_url(planned, view="aftercare_pdf")).content)

    assert len(pages) == 1


@pytest.mark.parametrize("code", CODES)
def test_a_typical_sheet_is_one_page_on_letter_paper_too(dermatologist, code):
    planned = make_course(
        dermatologist,
        patient=make_patient(given_name="Maximiliana", family_name="Vandenberghe-Oyelaran"),
        code=code,
        sessions=3,
        interval_weeks=4,
        sites=THREE_SITES,
    )
    planned = aftercare.sheet_queryset().get(pk=planned.pk)
    sheet = aftercare.sheet_for(planned, aftercare.session_of(planned, None))

    reader = PdfReader(BytesIO(printing.render_pdf([sheet], page_size="letter")))

    assert (len(reader.pages), reader.pages[0].mediabox.width, reader.pages[0].mediabox.height) == (
        1,
        612,
        792,
    )


def test_aftercare_pdf_with_handout_has_the_handout_on_a_second_page(staff_client, dermatologist):
    planned = make_course(dermatologist)

    pages = pdf_pages(staff_client.get(sheet_url(planned, view="aftercare_pdf", handout=1)).content)

    title = "Why milia should not be squeezed at home"
    assert [title in page for page in pages] == [False, True]


def test_render_pdf_fetches_nothing(dermatologist):
    planned = aftercare.sheet_queryset().get(pk=make_course(dermatologist).pk)
    fetcher = printing.no_network_fetcher()

    printing.render_pdf([aftercare.sheet_for(planned, None)], url_fetcher=fetcher)

    assert fetcher.refused == []


def test_render_pdf_understands_the_whole_stylesheet(dermatologist, caplog):
    # WeasyPrint skips, with a warning, a rule it cannot read, whatever the rule was for.
    planned = aftercare.sheet_queryset().get(pk=make_course(dermatologist).pk)

    with caplog.at_level("WARNING", logger="weasyprint"):
        printing.render_pdf([aftercare.sheet_for(planned, None)])

    assert [record.getMessage() for record in caplog.records] == []


def test_the_pdf_fetcher_refuses_every_url():
    from weasyprint import HTML

    fetcher = printing.no_network_fetcher()
    html = '<img src="https://example.org/a.png"><img src="file:///etc/hostname">'

    HTML(string=html, url_fetcher=fetcher).write_pdf()

    assert fetcher.refused == ["https://example.org/a.png", "file:///etc/hostname"]


# --- The handout ------------------------------------------------------------------------------


def test_handout_print_view_shows_the_handout_from_the_catalogue(staff_client):
    handout = Handout.objects.get(slug="why-not-at-home")

    html = staff_client.get("/handouts/why-not-at-home/").content.decode()

    paragraphs = re.findall(r'<p class="handout-paragraph">(.*?)</p>', html)
    assert len(articles(html)) == 1
    assert paragraphs == [p.replace("'", "&#x27;") for p in handout.body.split("\n\n")]


def test_handout_pdf_is_one_page_with_the_title(staff_client):
    response = staff_client.get("/handouts/why-not-at-home.pdf")

    pages = pdf_pages(response.content)
    assert response["Content-Disposition"] == 'attachment; filename="handout-why-not-at-home.pdf"'
    assert (len(pages), "Why milia should not be squeezed at home" in pages[0]) == (1, True)


def test_an_unknown_handout_is_not_found(staff_client):
    responses = [staff_client.get("/handouts/no-such/"), staff_client.get("/handouts/no-such.pdf")]

    assert [r.status_code for r in responses] == [404, 404]


def test_an_edited_handout_prints_the_edit(staff_client):
    Handout.objects.filter(slug="why-not-at-home").update(body="First.\n\nSecond.")

    html = staff_client.get("/handouts/why-not-at-home/").content.decode()

    assert re.findall(r'<p class="handout-paragraph">(.*?)</p>', html) == ["First.", "Second."]


# --- Today ------------------------------------------------------------------------------------


def _todays(dermatologist, families):
    return [
        make_course(dermatologist, patient=make_patient(given_name="Ana", family_name=family))
        for family in families
    ]


def test_today_lists_todays_sessions_with_print_links_and_mark_done(staff_client, dermatologist):
    (planned,) = _todays(dermatologist, ["Lima"])
    session = planned.treatment_sessions.get()
    make_course(dermatologist, starts_on=timezone.localdate() + timedelta(days=1))

    html = staff_client.get("/today/").content.decode()

    rows = re.findall(r"<tr[ >].*?</tr>", html, flags=re.S)[1:]
    assert len(rows) == 1
    assert re.findall(r'(?:href|action)="([^"]+)"', rows[0]) == [
        f"/patients/{planned.plan.consultation.patient_id}/",
        f"{sheet_url(planned)}?session={session.pk}",
        f"{sheet_url(planned, view='aftercare_pdf')}?session={session.pk}",
        f"/sessions/{session.pk}/done/?next=/today/",
    ]
    assert '<td data-label="Session">1 of 1</td>' in rows[0]


def test_today_greys_a_done_session_and_shows_done(staff_client, dermatologist, staff):
    done, pending = _todays(dermatologist, ["Able", "Baker"])
    services.session_mark_done(
        session=done.treatment_sessions.get(), on=timezone.localdate(), by=staff
    )

    html = staff_client.get("/today/").content.decode()

    rows = re.findall(r"<tr[ >].*?</tr>", html, flags=re.S)[1:]
    assert [(row.startswith('<tr class="table-secondary session-done">'), "Mark done</a>" in row,
             '<span class="badge text-bg-secondary">Done</span>' in row, "Undo</button>" in row)
            for row in rows] == [
        (True, False, True, True), (False, True, False, False)]  # fmt: skip


def test_marking_done_from_today_comes_back_to_today(staff_client, dermatologist, staff):
    (planned,) = _todays(dermatologist, ["Lima"])
    session = planned.treatment_sessions.get()

    response = staff_client.post(f"/sessions/{session.pk}/done/", {"next": "/today/"})

    session.refresh_from_db()
    assert (response.status_code, response["Location"], session.done_by) == (302, "/today/", staff)


def test_today_without_sessions_says_so_and_offers_no_print_all(staff_client):
    html = staff_client.get("/today/").content.decode()

    assert ("No sessions today." in html, "Print all (PDF)" in html) == (True, False)


def test_today_print_all_form_counts_the_sheets(staff_client, dermatologist):
    _todays(dermatologist, ["Able", "Baker", "Cole"])

    html = staff_client.get("/today/").content.decode()

    assert (
        '<form method="get" action="/today/sheets.pdf" data-batch-pdf-form data-count="3">' in html
    )
    assert '<script src="/static/js/print.js"></script>' in html


def test_today_print_view_has_every_sheet_in_order(staff_client, dermatologist):
    _todays(dermatologist, ["Cole", "Able", "Baker"])

    html = staff_client.get("/today/?print=1&handout=1").content.decode()

    names = re.findall(r'<dt>Name</dt><dd class="fact-strong">(.*?)</dd>', html)
    assert names == ["Ana Able", "Ana Baker", "Ana Cole"]
    assert len(articles(html)) == 6


def test_today_pdf_has_one_sheet_per_session_in_todays_order(staff_client, dermatologist):
    cole, able, baker = _todays(dermatologist, ["Cole", "Able", "Baker"])

    response = staff_client.get("/today/sheets.pdf")

    footers = [page.split(" · ")[-1] for page in pdf_pages(response.content)]
    day = timezone.localdate()
    assert response["Content-Disposition"] == f'attachment; filename="aftercare-{day}.pdf"'
    assert footers == [
        f"{p.full_name}, {p.medical_record_number}"
        for p in (planned.plan.consultation.patient for planned in (able, baker, cole))
    ]


def test_today_pdf_with_handout_follows_each_sheet_with_it(staff_client, dermatologist):
    _todays(dermatologist, ["Able", "Baker"])

    pages = pdf_pages(staff_client.get("/today/sheets.pdf?handout=1").content)

    assert ["Why milia should not be squeezed at home" in page for page in pages] == [
        False,
        True,
        False,
        True,
    ]


def test_today_pdf_with_handout_gives_it_once_per_patient_not_per_treatment(
    staff_client, dermatologist
):
    able = make_patient(given_name="Ana", family_name="Able")
    make_course(dermatologist, patient=able, code="extraction")
    make_course(dermatologist, patient=able, code="cryotherapy")
    _todays(dermatologist, ["Baker"])

    pages = pdf_pages(staff_client.get("/today/sheets.pdf?handout=1").content)

    assert ["Why milia should not be squeezed at home" in page for page in pages] == [
        False,
        False,
        True,
        False,
        True,
    ]


def test_today_pdf_without_sessions_is_a_friendly_not_found(staff_client):
    responses = [staff_client.get("/today/sheets.pdf"), staff_client.get("/today/?print=1")]

    assert [(r.status_code, r["Content-Type"]) for r in responses] == [
        (404, "text/html; charset=utf-8"),
        (404, "text/html; charset=utf-8"),
    ]
    assert "No sessions today" in responses[0].content.decode()


# --- Queries ----------------------------------------------------------------------------------


def printed_page_queries(path: str = "") -> int:
    """What one printed page costs: 6, and the audit trail's event (one INSERT). The screen page
    of Today also lists today's home treatment reviews, and names their patients in its event
    (tests/test_query_counts.py)."""
    screen = 2 if path == "/today/" else 0
    return 6 + screen + 1


def assert_queries(django_assert_num_queries, client, path):
    client.get(path)  # the first request of a login session records the session's start
    with django_assert_num_queries(printed_page_queries(path)):
        response = client.get(path)
    assert response.status_code == 200


def test_today_page_and_pdf_queries_do_not_grow_with_sessions(
    staff_client, dermatologist, django_assert_num_queries
):
    # One patient: the audit trail writes one event per patient printed, by design; what is
    # measured here is that the sheets themselves do not cost a query each.
    patient = make_patient()
    paths = ("/today/", "/today/?print=1", "/today/sheets.pdf")
    make_course(dermatologist, patient=patient, sites=THREE_SITES)
    for path in paths:
        assert_queries(django_assert_num_queries, staff_client, path)
    for code in ("extraction", "chemical_peel", "topical_retinoid", "co2_laser"):
        make_course(dermatologist, patient=patient, code=code, sites=THREE_SITES)
    for path in paths:
        assert_queries(django_assert_num_queries, staff_client, path)


def test_sheet_queries_do_not_grow_with_sites_and_sessions(
    staff_client, dermatologist, django_assert_num_queries
):
    small = make_course(dermatologist)
    large = make_course(
        dermatologist, code="chemical_peel", sessions=5, interval_weeks=3, sites=THREE_SITES
    )

    for view in ("aftercare_sheet", "aftercare_pdf"):
        for planned in (small, large):
            assert_queries(django_assert_num_queries, staff_client, sheet_url(planned, view=view))
