"""The forms: limits from the rules, messages that name the field and say what was wrong, no
silent cut of a long value, blank choices that say what they mean, and (through the views) the
error summary that links to each field to correct."""

import re
from datetime import date

import pytest
from django.utils import timezone

from tests.factories import make_consultation, make_patient
from treatments import rules
from treatments.forms import ConsultationForm, LesionSiteForm, PatientForm
from treatments.models import Consultation, LesionSite, Patient

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PATIENT = {
    "medical_record_number": "MRN-1",
    "given_name": "Ada",
    "family_name": "Byron",
    "date_of_birth": "1990-01-01",
}
SITE = {
    "location": "cheek",
    "side": "left",
    "count": "4",
    "largest_mm": "1.0",
    "depth": "superficial",
    "months_present": "3",
}


def site_form(consultation, **overrides):
    return LesionSiteForm(SITE | overrides, consultation=consultation)


def tag(html: str, name: str) -> str:
    """The opening tag of the input or select named ``name``."""
    return re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', html).group(0)


# --- Numbers: the rules' limits, typed as text, refused in words ------------------------------


def test_site_form_numbers_take_their_limits_from_the_rules(dermatologist):
    form = LesionSiteForm(consultation=make_consultation(clinician=dermatologist))

    limits = {
        name: (form.fields[name].min_value, form.fields[name].max_value)
        for name in ("count", "largest_mm", "months_present")
    }

    assert limits == {"count": (1, 10_000), "largest_mm": (0.1, 100), "months_present": (0, 1200)}
    assert limits == {
        "count": (rules.MIN_COUNT, rules.MAX_COUNT),
        "largest_mm": (rules.MIN_LARGEST_MM, rules.MAX_LARGEST_MM),
        "months_present": (rules.MIN_MONTHS_PRESENT, rules.MAX_MONTHS_PRESENT),
    }


def test_site_form_number_inputs_state_the_range_and_never_allow_zero_milia(dermatologist):
    html = str(LesionSiteForm(consultation=make_consultation(clinician=dermatologist)))

    count = tag(html, "count")
    assert ('type="text"' in count, 'inputmode="numeric"' in count, "min=" in count) == (
        True,
        True,
        False,
    )
    assert 'inputmode="decimal"' in tag(html, "largest_mm")
    assert "From 1 to 10,000. For both sides, the total of the two sides." in html
    assert "From 0.1 to 100 mm." in html
    assert "From 0 to 1,200." in html


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("count", "abc", "Enter the number of milia as a whole number, such as 4."),
        ("count", "2.5", "Enter the number of milia as a whole number, such as 4."),
        ("count", "", "Enter the number of milia."),
        ("count", "0", "Enter at least 1 milium."),
        ("count", "10001", "Enter at most 10,000 milia."),
        ("largest_mm", "abc", "Enter the largest diameter in mm as a number, such as 1.5."),
        ("largest_mm", "0", "Enter a size of at least 0.1 mm."),
        ("largest_mm", "100.5", "Enter a size of at most 100 mm."),
        ("largest_mm", "1.25", "Enter the size to one decimal place, such as 1.5."),
        ("months_present", "six", "Enter the months present as a whole number, such as 6."),
        ("months_present", "-1", "The months present cannot be negative."),
        ("months_present", "1201", "Enter at most 1,200 months."),
    ],
)
def test_site_form_bad_numbers_are_refused_naming_the_field(dermatologist, field, typed, message):
    form = site_form(make_consultation(clinician=dermatologist), **{field: typed})

    assert (form.is_valid(), form.errors) == (False, {field: [message]})


def test_site_create_with_letters_in_the_count_says_a_number_is_needed(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/",
        SITE | {"count": "abc", "version": "1"},
        **HTMX,
    )

    assert response.status_code == 400
    assert response.context["site_form"].errors == {
        "count": ["Enter the number of milia as a whole number, such as 4."]
    }
    assert 'value="abc"' in tag(response.content.decode(), "count")
    assert LesionSite.objects.count() == 0


# --- Required: the message names what is missing ---------------------------------------------


def test_an_empty_required_field_is_named_in_its_message(dermatologist):
    patient = PatientForm({})
    site = LesionSiteForm({}, consultation=make_consultation(clinician=dermatologist))

    assert (patient.is_valid(), site.is_valid()) == (False, False)
    assert patient.errors == {
        "medical_record_number": ["Enter the record number."],
        "given_name": ["Enter the given name."],
        "family_name": ["Enter the family name."],
        "date_of_birth": ["Enter the date of birth."],
    }
    assert site.errors["location"] == ["Choose the location."]
    assert site.errors["largest_mm"] == ["Enter the largest diameter in mm."]


# --- Text: too long is said, never cut --------------------------------------------------------


def test_patient_form_gives_the_browser_no_maxlength_to_cut_a_pasted_value():
    html = str(PatientForm())

    assert [name for name in ("medical_record_number", "given_name", "family_name")
            if "maxlength" in tag(html, name)] == []  # fmt: skip


def test_patient_create_with_a_very_long_name_says_how_long_it_may_be(dermatologist_client):
    response = dermatologist_client.post("/patients/new/", PATIENT | {"given_name": "A" * 10_000})

    assert response.context["form"].errors == {
        "given_name": ["Given name can be at most 100 characters long (it has 10000)."]
    }
    assert Patient.objects.count() == 0


def test_consultation_form_refuses_an_overlong_diagnosis_code_in_words(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    form = ConsultationForm(
        {"date": "2026-01-05", "milia_type": "primary", "diagnosis_code": "L72.00000"},
        instance=consultation,
    )

    assert form.errors["diagnosis_code"] == [
        "Diagnosis code (ICD-10-CM) can be at most 8 characters long (it has 9).",
    ]


# --- Choices: one label each, blank ones that say what they mean -------------------------------


def test_patient_form_skin_types_and_the_badge_use_the_vocabularys_label(dermatologist_client):
    patient = make_patient(fitzpatrick=2)

    form_choices = dict(PatientForm().fields["fitzpatrick"].choices)
    page = dermatologist_client.get(f"/patients/{patient.pk}/").content.decode()

    assert form_choices == {
        "": "Not assessed",
        1: "Skin type I",
        2: "Skin type II",
        3: "Skin type III",
        4: "Skin type IV",
        5: "Skin type V",
        6: "Skin type VI",
    }
    assert re.findall(r"patient-flags.*?<li[^>]*>\s*([^<]*?)\s*</li>", page, flags=re.S) == [
        "Skin type II"
    ]


def test_fitzpatrick_labels_cover_every_skin_type():
    assert list(rules.FITZPATRICK_LABELS) == list(range(1, rules.MAX_FITZPATRICK + 1))


def test_patient_form_sex_blank_choice_says_not_recorded():
    form = PatientForm()

    assert list(form.fields["sex"].choices) == [
        ("", "Not recorded"),
        ("female", "Female"),
        ("male", "Male"),
        ("other", "Other"),
    ]
    assert "---------" not in str(form)


# --- The consultation's date and code ----------------------------------------------------------


def test_consultation_form_date_picker_is_bounded_by_birth_and_today(dermatologist):
    patient = make_patient(date_of_birth=date(1990, 5, 17))
    form = ConsultationForm(instance=Consultation(patient=patient, clinician=dermatologist))

    attrs = form.fields["date"].widget.attrs

    assert (attrs["min"], attrs["max"]) == ("1990-05-17", timezone.localdate().isoformat())


def test_consultation_form_writes_the_code_in_capitals_and_keeps_it_when_left_empty(
    dermatologist,
):
    consultation = make_consultation(clinician=dermatologist, diagnosis_code="L72.8")
    data = {"date": "2026-01-05", "milia_type": "primary"}

    typed = ConsultationForm(data | {"diagnosis_code": " l72.0 "}, instance=consultation)
    empty = ConsultationForm(
        data | {"diagnosis_code": ""}, instance=Consultation.objects.get(pk=consultation.pk)
    )

    assert (typed.is_valid(), typed.cleaned_data["diagnosis_code"]) == (True, "L72.0")
    assert (empty.is_valid(), empty.cleaned_data["diagnosis_code"]) == (True, "L72.8")


def test_consultation_form_refuses_a_code_that_is_not_icd10cm(dermatologist):
    form = ConsultationForm(
        {"date": "2026-01-05", "milia_type": "primary", "diagnosis_code": "milia"},
        instance=make_consultation(clinician=dermatologist),
    )

    assert form.errors == {"diagnosis_code": ["Enter an ICD-10-CM code such as L72.0."]}


# --- The error summary: what to correct, each a link to its field ------------------------------


def test_a_refused_site_form_lists_each_problem_linking_to_its_field(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)

    response = dermatologist_client.post(
        f"/consultations/{consultation.pk}/sites/new/",
        SITE | {"count": "abc", "largest_mm": "", "version": "1"},
        **HTMX,
    )

    summary = re.search(r"data-error-summary>(.*?)</div>", response.content.decode(), re.S)
    links = re.findall(r'<a class="alert-link" href="(#[^"]+)">([^<]+)</a>: ([^<]+)</li>',
                       summary.group(1))  # fmt: skip
    assert links == [
        ("#id_count", "Number of milia", "Enter the number of milia as a whole number, such as 4."),
        ("#id_largest_mm", "Largest diameter (mm)", "Enter the largest diameter in mm."),
    ]


def test_a_refused_patient_form_lists_the_problem_and_marks_the_field(dermatologist_client):
    response = dermatologist_client.post("/patients/new/", PATIENT | {"family_name": ""})

    html = response.content.decode()
    assert '<a class="alert-link" href="#id_family_name">Family name</a>' in html
    assert "is-invalid" in tag(html, "family_name")
    assert "is-invalid" not in tag(html, "given_name")


def test_a_page_without_errors_has_no_error_summary(dermatologist_client):
    assert "data-error-summary" not in dermatologist_client.get("/patients/new/").content.decode()
