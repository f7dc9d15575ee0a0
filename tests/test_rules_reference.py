"""The rules reference (issue 10): every rule with its source, the thresholds in force and the
changes, as a page and as JSON; each reason on a consultation links to its row."""

import re

import pytest

from tests.factories import make_consultation, make_patient, make_recommendation, make_site, sign
from tests.test_views import HTMX, site_post
from treatments import reference, rules, selectors
from treatments.models import Patient

pytestmark = pytest.mark.django_db


def test_reference_has_one_entry_per_rule_id_in_table_order():
    ids = [entry["id"] for entry in reference.rule_entries()]

    assert ids == [*dict.fromkeys(rule.id for rule in rules.RULES), "SITE-EXCLUDED"]


def test_reference_merges_rows_of_one_id_that_say_the_same_thing():
    entry = next(e for e in reference.rule_entries() if e["id"] == "FITZ-PIGMENT")

    assert [(row["treatments"], row["source"]) for row in entry["rows"]] == [
        (
            ["chemical_peel", "cryotherapy"],
            "Am Fam Physician 2004 (cryosurgery); IADVL chemical peel guideline",
        ),
        (["co2_laser"], "Alexis, Br J Dermatol 2013;169 Suppl 3:91-7"),
    ]


def test_reference_json_reports_thresholds_in_force_and_the_version(client, staff, settings):
    settings.MILIA_RULES_THRESHOLDS = {"FEW_MAX": 8}
    client.force_login(staff)

    body = client.get("/api/v1/rules").json()

    few = next(t for t in body["thresholds"] if t["name"] == "FEW_MAX")
    assert (few["value"], few["default"], few["source"]) == (8, 10, "guide: Mechanical Extraction")
    assert body["rules_version"].startswith("2026.2+t")
    assert [release["version"] for release in body["changes"]] == ["2026.2", "2026.1"]


def test_reference_json_needs_a_login(client):
    response = client.get("/api/v1/rules")

    assert (response.status_code, response.json()) == (
        401,
        {"errors": {"": ["authentication required"]}},
    )


def test_reference_page_shows_each_rule_row_with_its_anchor_verdict_and_source(client, staff):
    client.force_login(staff)

    html = client.get("/rules/").content.decode()

    row = re.search(r'<tr id="rule-CRYO-EYE" class="reference-row">(.*?)</tr>', html, re.S)
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    ]
    assert cells == [
        "CRYO-EYE",
        "Cryotherapy",
        "sets the status",
        "Contraindicated",
        "Eye area: never freeze milia here; the delicate skin can be damaged.",
        "guide: Cryotherapy",
    ]
    assert 'id="rule-PEEL-EYE"' in html and "At most consider" in html
    assert 'id="threshold-DX_CONFIRM_MM"' in html


def test_consultation_reasons_link_to_their_rows(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="eyelid", side="left")

    html = dermatologist_client.get(f"/consultations/{consultation.pk}/").content.decode()

    assert '<a class="rule-id" href="/rules/#rule-CRYO-EYE"' in html
    linked = set(re.findall(r'href="/rules/#rule-([A-Z0-9-]+)"', html))
    known = {entry["id"] for entry in reference.rule_entries()}
    assert linked and linked <= known


def test_consultation_option_says_where_it_holds_in_a_mixed_case(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    for location, side in (("eyelid", "left"), ("forehead", "midline"), ("cheek", "bilateral")):
        make_site(consultation, location=location, side=side, count=3)

    response = dermatologist_client.get(f"/consultations/{consultation.pk}/")

    peel = next(o for o in response.context["chart"].options if o.code == "chemical_peel")
    cryo = next(o for o in response.context["chart"].options if o.code == "cryotherapy")
    assert [(g.badge.status, g.sites) for g in peel.where] == [
        ("recommended", "forehead and cheek (both sides)"),
        ("consider", "left eyelid"),
    ]
    assert [(g.badge.status, g.sites) for g in cryo.where] == [
        ("not_indicated", "forehead and cheek (both sides)"),
        ("contraindicated", "left eyelid"),
    ]


def test_signed_consultation_still_shows_its_stored_2026_1_advice(client, dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation, location="cheek", side="left")
    old = {
        "rules_version": "2026.1",
        "options": [
            {"treatment": code, "status": "consider", "rank": rank,
             "reasons": [{"rule": "EYE-DELICATE", "text": "Old 2026.1 wording.", "source": "s"}],
             "cautions": [], "course": {"sessions": 1, "interval_weeks": None, "note": "n"}}
            for rank, code in enumerate(rules.TREATMENTS, start=1)
        ],
        "sites": [],
        "advice": [],
    }  # fmt: skip
    old["sites"] = [
        {"index": 0, "location": "cheek", "side": "left", "eye_area": False,
         "options": old["options"]}
    ]  # fmt: skip
    make_recommendation(consultation, output=old)
    sign(consultation)
    client.force_login(dermatologist)

    html = client.get(f"/consultations/{consultation.pk}/").content.decode()

    assert "rules 2026.1" in html
    assert "Old 2026.1 wording." in html


def test_site_form_saves_warning_signs_and_inflammation(dermatologist_client, dermatologist):
    consultation = make_consultation(clinician=dermatologist, patient=make_patient())

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/",
        site_post(location="cheek", red_flags="on", active_inflammation="on"),
        **HTMX,
    )

    assert response.status_code == 200
    site = consultation.sites.get()
    assert (site.red_flags, site.active_inflammation) == (True, True)
    # The chart fragment is a Jinja2 template (docs/hot-pages.md): no Django context to look in.
    (row,) = selectors.consultation_chart(consultation.pk, user=dermatologist).matrix
    assert {name: badge.status for name, badge in row.cells}["CO2 laser ablation"] == (
        "contraindicated"
    )
    assert "CO2 laser ablation: contraindicated" in response.content.decode()


def test_patient_form_saves_the_new_history_facts(dermatologist_client):
    response = dermatologist_client.post(
        "/patients/new/",
        {
            "medical_record_number": "MRN-NEW-1",
            "given_name": "Zoe",
            "family_name": "Hart",
            "date_of_birth": "1980-03-04",
            "keloid_tendency": "on",
            "anticoagulant": "on",
            "photosensitising_drug": "on",
        },
    )

    assert response.status_code == 302
    patient = Patient.objects.get(medical_record_number="MRN-NEW-1")
    assert (patient.keloid_tendency, patient.anticoagulant, patient.photosensitising_drug) == (
        True,
        True,
        True,
    )
