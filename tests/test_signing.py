"""Signing (issue 13): the review page before it, the signer on the record, addenda after it,
and the details autosave that keeps every form of the page on the current version."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import make_consultation, make_planned, make_site, make_user, sign
from treatments import services
from treatments.models import ADDENDUM_MAX_CHARS, Consultation, ConsultationAddendum

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _text(response) -> str:
    """The page's words, tags dropped and spaces squeezed, to read sentences across markup."""
    words = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    return re.sub(r" ([:,.;])", r"\1", words)


def _consultation(dermatologist, **fields):
    consultation = make_consultation(clinician=dermatologist, **fields)
    make_site(consultation, location="forehead", side="midline", count=2)
    return consultation


def _planned(consultation, *, code="extraction", sessions=1, interval_weeks=None, starts_on=None):
    """A planned treatment as the plan form saves it: no session until signing books them."""
    return make_planned(
        consultation,
        code=code,
        sessions=sessions,
        interval_weeks=interval_weeks,
        starts_on=starts_on,
        scheduled=0,
    )


# --- The review page -----------------------------------------------------------------------------


def test_sign_review_shows_what_will_be_signed_and_the_sessions_it_will_book(
    dermatologist_client, dermatologist
):
    consultation = _consultation(dermatologist, notes="Patient asks about scarring.")
    planned = _planned(
        consultation,
        code="chemical_peel",
        sessions=3,
        interval_weeks=4,
        starts_on=date(2026, 12, 1),
    )
    planned.override_reason = "Prefers a peel to needles."
    planned.save()

    response = dermatologist_client.get(
        reverse("treatments:consultation_sign", args=[consultation.pk])
    )

    text = _text(response)
    assert response.status_code == 200
    assert "Patient asks about scarring." in text
    assert f"Diagnosis code {consultation.diagnosis_code} (ICD-10-CM)" in text
    assert "Forehead 2 milia, largest 1.0 mm" in text
    assert "Chemical peel for the forehead" in text
    assert "Override Departs from the first option; reason: “Prefers a peel to needles.”" in text
    assert re.findall(r"Session \d: [A-Za-z]{3} \d+ [A-Za-z]{3} \d{4}", text) == [
        "Session 1: Tue 1 Dec 2026",
        "Session 2: Tue 29 Dec 2026",
        "Session 3: Tue 26 Jan 2027",
    ]
    assert "You sign as dr.grey (Dermatologist)." in text
    assert response.context["review"].consultation.version == consultation.version
    # Looking changes nothing: still a draft, no session booked.
    consultation.refresh_from_db()
    assert (consultation.status, planned.treatment_sessions.count()) == ("draft", 0)


def test_sign_review_flags_a_contraindicated_choice_with_its_reason(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation, location="cheek", side="left", active_inflammation=True)
    choice = services.PlanChoice(
        treatment="extraction",
        site_ids=(site.pk,),
        sessions=1,
        interval_weeks=None,
        starts_on=None,
        override_reason="The cold sore has healed since it was charted this morning.",
        accept_contraindication=True,
    )
    services.plan_save(
        consultation=consultation, user=dermatologist, choices=[choice], version=None
    )

    response = dermatologist_client.get(
        reverse("treatments:consultation_sign", args=[consultation.pk])
    )

    assert response.status_code == 200
    assert (
        "Contraindicated at the left cheek: planned with the clinician's accepted reason: “The "
        "cold sore has healed since it was charted this morning.”"
    ) in _text(response)
    assert "Session 1: date to be set" in _text(response)
    assert "1 choice departs from the advice" in _text(response)


def test_sign_review_without_a_plan_says_no_session_will_be_booked(
    dermatologist_client, dermatologist
):
    consultation = _consultation(dermatologist)

    response = dermatologist_client.get(
        reverse("treatments:consultation_sign", args=[consultation.pk])
    )

    assert "No treatment is planned: signing books no session." in _text(response)


def test_sign_review_of_an_empty_chart_sends_back_with_the_reason(
    dermatologist_client, dermatologist
):
    consultation = make_consultation(clinician=dermatologist)

    response = dermatologist_client.get(
        reverse("treatments:consultation_sign", args=[consultation.pk]), follow=True
    )

    assert response.redirect_chain == [(consultation.get_absolute_url(), 302)]
    assert "Chart at least one lesion site before signing." in _text(response)


def test_sign_review_of_a_signed_consultation_says_it_is_signed(
    dermatologist_client, dermatologist
):
    consultation = sign(_consultation(dermatologist))

    response = dermatologist_client.get(
        reverse("treatments:consultation_sign", args=[consultation.pk]), follow=True
    )

    assert response.redirect_chain == [(consultation.get_absolute_url(), 302)]
    assert "This consultation is signed and can no longer be changed." in _text(response)


def test_sign_review_is_refused_to_staff(client, staff, dermatologist):
    consultation = _consultation(dermatologist)
    client.force_login(staff)

    response = client.get(reverse("treatments:consultation_sign", args=[consultation.pk]))

    assert response.status_code == 403


def test_signing_from_a_review_that_is_behind_is_refused_and_changes_nothing(
    dermatologist_client, dermatologist
):
    consultation = _consultation(dermatologist)
    shown = dermatologist_client.get(
        reverse("treatments:consultation_sign", args=[consultation.pk])
    ).context["review"]
    # Another window saves a note after the review was opened.
    services.consultation_update(consultation_id=consultation.pk, version=1, notes="Later.")

    response = dermatologist_client.post(
        reverse("treatments:consultation_sign", args=[consultation.pk]),
        {"version": shown.consultation.version},
        follow=True,
    )

    assert "This consultation was changed in another window or by another clinician" in _text(
        response
    )
    assert Consultation.objects.get().status == "draft"


# --- The signer on the record --------------------------------------------------------------------


def test_signing_records_the_signer_their_role_and_the_time(dermatologist_client, dermatologist):
    dermatologist.first_name, dermatologist.last_name = "Dana", "Reyes"
    dermatologist.save()
    consultation = _consultation(dermatologist)
    _planned(consultation, sessions=2, interval_weeks=2, starts_on=timezone.localdate())

    response = dermatologist_client.post(
        reverse("treatments:consultation_sign", args=[consultation.pk]),
        {"version": consultation.version},
        follow=True,
    )

    consultation.refresh_from_db()
    assert (consultation.status, consultation.signed_by, consultation.signed_by_role) == (
        "signed",
        dermatologist,
        "Dermatologist",
    )
    signed_at = timezone.localtime(consultation.signed_at).strftime("%-d %b %Y, %H:%M")
    assert f"Signed by Dana Reyes (Dermatologist), {signed_at}: read-only." in _text(response)
    assert consultation.recommendations.count() == 1
    assert list(
        consultation.plan.treatments.get().treatment_sessions.values_list("number", flat=True)
    ) == [1, 2]


def test_a_signer_without_a_role_is_named_without_one(client, dermatologist):
    superuser = make_user("root", is_superuser=True, first_name="Root", last_name="User")
    client.force_login(superuser)
    consultation = _consultation(dermatologist)

    client.post(reverse("treatments:consultation_sign", args=[consultation.pk]), {"version": "1"})

    consultation.refresh_from_db()
    assert (consultation.signed_by, consultation.signed_by_role) == (superuser, "")
    page = client.get(consultation.get_absolute_url())
    assert "Signed by Root User, " in _text(page)


# --- Addenda -------------------------------------------------------------------------------------


def _add(client, consultation, text, **extra):
    return client.post(
        reverse("treatments:addendum_create", args=[consultation.pk]), {"text": text}, **extra
    )


def test_an_addendum_is_listed_on_the_signed_record_with_its_author_and_time_in_order(
    dermatologist_client, dermatologist
):
    consultation = sign(_consultation(dermatologist))

    first = _add(dermatologist_client, consultation, "  Histology: milia confirmed.  ")
    _add(dermatologist_client, consultation, "Patient phoned: no irritation.")

    assert first.status_code == 302
    assert first["Location"] == f"{consultation.get_absolute_url()}#addenda"
    addenda = list(ConsultationAddendum.objects.order_by("id"))
    assert [(a.text, a.author, a.author_role) for a in addenda] == [
        ("Histology: milia confirmed.", dermatologist, "Dermatologist"),
        ("Patient phoned: no irritation.", dermatologist, "Dermatologist"),
    ]
    page = _text(dermatologist_client.get(consultation.get_absolute_url()))
    written = timezone.localtime(addenda[0].created_at).strftime("%-d %b %Y, %H:%M")
    assert f"Addendum 1 · dr.grey (Dermatologist), {written} Histology: milia confirmed." in page
    assert page.index("Addendum 1") < page.index("Addendum 2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write the addendum before adding it."),
        ("   ", "Write the addendum before adding it."),
        (
            "x" * (ADDENDUM_MAX_CHARS + 1),
            f"The addendum can be at most {ADDENDUM_MAX_CHARS} characters (it has "
            f"{ADDENDUM_MAX_CHARS + 1}).",
        ),
    ],
)
def test_an_empty_or_too_long_addendum_gets_the_field_message_and_nothing_is_saved(
    dermatologist_client, dermatologist, text, message
):
    consultation = sign(_consultation(dermatologist))

    response = _add(dermatologist_client, consultation, text)

    assert response.status_code == 400
    assert response.context["addendum_form"].errors == {"text": [message]}
    assert message in _text(response)
    assert ConsultationAddendum.objects.count() == 0


def test_an_addendum_to_a_draft_is_refused(dermatologist_client, dermatologist):
    consultation = _consultation(dermatologist)

    response = _add(dermatologist_client, consultation, "Too early.", follow=True)

    assert response.redirect_chain == [(consultation.get_absolute_url(), 302)]
    assert "An addendum is added to a signed consultation; change the draft itself." in _text(
        response
    )
    assert ConsultationAddendum.objects.count() == 0


def test_only_a_dermatologist_may_add_an_addendum(client, staff, dermatologist):
    consultation = sign(_consultation(dermatologist))
    client.force_login(staff)

    response = _add(client, consultation, "A nurse's note.")
    page = client.get(consultation.get_absolute_url())

    assert response.status_code == 403
    assert ConsultationAddendum.objects.count() == 0
    assert page.context["addendum_form"] is None
    assert "Add addendum" not in _text(page)


def test_adding_an_addendum_is_audited(dermatologist_client, dermatologist):
    consultation = sign(_consultation(dermatologist))
    marker = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    _add(dermatologist_client, consultation, "Histology: milia confirmed.")

    (event,) = AuditEvent.objects.filter(
        id__gt=marker, object_type="treatments.consultationaddendum"
    )
    assert (event.action, event.actor, event.patient_id) == (
        "create",
        dermatologist,
        consultation.patient_id,
    )
    assert event.detail["changes"]["text"] == ["None", "Histology: milia confirmed."]


def _refused(change, message) -> bool:
    try:
        with transaction.atomic():
            change()
    except IntegrityError as refused:
        return message in str(refused)
    return False


def test_the_database_keeps_addenda_append_only(dermatologist):
    consultation = sign(_consultation(dermatologist))
    addendum = services.addendum_create(
        consultation=consultation, author=dermatologist, text="Histology: milia confirmed."
    )
    draft = _consultation(dermatologist)
    changes = {
        "change": lambda: ConsultationAddendum.objects.filter(pk=addendum.pk).update(text="x"),
        "add to a draft": lambda: ConsultationAddendum.objects.create(
            consultation=draft, author=dermatologist, text="x"
        ),
    }
    if connection.vendor == "postgresql":
        changes["remove"] = lambda: ConsultationAddendum.objects.filter(pk=addendum.pk).delete()

    refused = {
        name: _refused(change, "an addendum is a" if name != "add to a draft" else "signed")
        for name, change in changes.items()
    }

    assert refused == dict.fromkeys(changes, True)
    assert list(ConsultationAddendum.objects.values_list("text", flat=True)) == [
        "Histology: milia confirmed."
    ]


def test_the_admin_shows_addenda_but_never_adds_changes_or_removes_one(
    superuser_client, dermatologist
):
    consultation = sign(_consultation(dermatologist))
    addendum = services.addendum_create(
        consultation=consultation, author=dermatologist, text="Histology: milia confirmed."
    )
    base = "/admin/treatments/consultationaddendum/"

    statuses = [
        superuser_client.get(base).status_code,
        superuser_client.get(f"{base}add/").status_code,
        superuser_client.post(f"{base}{addendum.pk}/change/", {"text": "x"}).status_code,
        superuser_client.post(f"{base}{addendum.pk}/delete/", {"post": "yes"}).status_code,
    ]

    assert statuses == [200, 403, 403, 403]
    assert ConsultationAddendum.objects.get().text == "Histology: milia confirmed."


@pytest.fixture
def superuser_client(client, db):
    client.force_login(make_user("root.admin", is_superuser=True, is_staff=True))
    return client


# --- The details autosave ------------------------------------------------------------------------


def _details(consultation, **changes):
    return {
        "date": str(consultation.date),
        "milia_type": consultation.milia_type,
        "notes": consultation.notes,
        "version": str(consultation.version),
    } | changes


def test_an_autosave_answers_its_state_the_new_version_for_every_form_and_the_advice(
    dermatologist_client, dermatologist
):
    consultation = _consultation(dermatologist)

    response = dermatologist_client.post(
        reverse("treatments:consultation_update", args=[consultation.pk]),
        _details(consultation, notes="Typed, then left the field.", recurrent="on"),
        **HTMX,
    )

    consultation.refresh_from_db()
    html = response.content.decode()
    saved_at = timezone.localtime(consultation.updated_at).strftime("%H:%M")
    assert response.status_code == 200
    assert (consultation.notes, consultation.recurrent, consultation.version) == (
        "Typed, then left the field.",
        True,
        2,
    )
    assert _text(response).startswith(f"Saved {saved_at}")
    assert (
        '<input type="hidden" name="version" value="2" data-consultation-version '
        'hx-swap-oob="outerHTML:[data-consultation-version]">'
    ) in html
    assert '<div hx-swap-oob="innerHTML:#recommendations">' in html
    # The advice follows the change: recurrent milia make the retinoid the prevention.
    assert "RET-RECURRENT" in html
    # The fields themselves are not sent back, so nothing typed meanwhile is replaced.
    assert "<textarea" not in html


def test_every_form_of_the_draft_page_carries_the_version_the_autosave_updates(
    dermatologist_client, dermatologist
):
    consultation = _consultation(dermatologist)
    make_site(consultation, location="chin", side="midline")

    page = dermatologist_client.get(consultation.get_absolute_url()).content.decode()
    site_form = dermatologist_client.get(
        reverse("treatments:site_create", args=[consultation.pk]), **HTMX
    ).content.decode()

    # The details form and each site's Remove form; the site form loaded into the page.
    assert page.count('name="version" value="1" data-consultation-version>') == 3
    assert page.count('name="version"') == 3
    assert site_form.count('name="version" value="1" data-consultation-version>') == 1
    # Signing starts from the review page, which shows the version it will sign.
    assert f'href="/consultations/{consultation.pk}/sign/">Review and sign</a>' in page


def test_an_invalid_autosave_answers_the_form_with_the_field_message(
    dermatologist_client, dermatologist
):
    consultation = _consultation(dermatologist)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = dermatologist_client.post(
        reverse("treatments:consultation_update", args=[consultation.pk]),
        _details(consultation, date=str(tomorrow), notes="Kept."),
        **HTMX,
    )

    assert response.status_code == 400
    assert (response["HX-Retarget"], response["HX-Reswap"]) == (
        "#consultation-details",
        "outerHTML",
    )
    assert "Not saved: correct the fields marked below." in _text(response)
    assert "The consultation cannot be dated in the future." in _text(response)
    assert "Kept." in _text(response)
    assert Consultation.objects.get().version == 1


def test_a_stale_autosave_is_refused_beside_the_details_and_keeps_the_fields(
    dermatologist_client, dermatologist
):
    consultation = _consultation(dermatologist)
    services.consultation_update(consultation_id=consultation.pk, version=1, notes="First.")

    response = dermatologist_client.post(
        reverse("treatments:consultation_update", args=[consultation.pk]),
        _details(consultation, notes="Second window."),
        HTTP_HX_TARGET="details-status",
        **HTMX,
    )

    assert response.status_code == 409
    assert response["HX-Reswap"] == "innerHTML"
    assert "HX-Retarget" not in response
    assert _text(response).startswith(
        "This consultation was changed in another window or by another clinician after you "
        "opened it, so your change was not saved."
    )
    assert "<textarea" not in response.content.decode()
    assert Consultation.objects.get().notes == "First."


def test_a_stale_invalid_autosave_is_told_it_is_stale_not_given_the_new_version(
    dermatologist_client, dermatologist
):
    consultation = _consultation(dermatologist)
    services.consultation_update(consultation_id=consultation.pk, version=1, notes="First.")

    response = dermatologist_client.post(
        reverse("treatments:consultation_update", args=[consultation.pk]),
        _details(consultation, date="not a date"),
        HTTP_HX_TARGET="details-status",
        **HTMX,
    )

    assert response.status_code == 409
    assert 'value="2"' not in response.content.decode()


def test_details_the_record_refuses_after_the_form_passed_get_the_message_not_a_500(
    dermatologist_client, dermatologist, monkeypatch
):
    # The race: the patient's birth date changed in another window after the form was checked,
    # and the record's full_clean refuses the consultation's date.
    consultation = _consultation(dermatologist)

    def refuse(**fields):
        raise ValidationError({"date": "The consultation cannot be dated before the birth date."})

    monkeypatch.setattr(services, "consultation_update", refuse)
    response = dermatologist_client.post(
        reverse("treatments:consultation_update", args=[consultation.pk]),
        _details(consultation, notes="Kept."),
        **HTMX,
    )
    assert response.status_code == 400
    assert "The consultation cannot be dated before the birth date." in _text(response)
    assert "Kept." in _text(response)
