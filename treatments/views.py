"""Thin views: fetch, bind a form, call one service, redirect or render.

Every view needs a login; clinical writes need the Dermatologist's permissions (staff get a
friendly 403). Partial templates (``_*.html``) answer htmx requests; without JavaScript every form
still posts and redirects.
"""

import csv
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable
from functools import lru_cache, wraps
from typing import NamedTuple
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from audit.middleware import note_patients
from treatments import body_map, dates, display, photos, planning, selectors, services, templating
from treatments.forms import (
    AddendumForm,
    ConsultationForm,
    LesionSiteForm,
    PatientForm,
    PatientSearchForm,
    PhotoForm,
    PlanFormSet,
    SessionDoneForm,
    SiteOutcomeForm,
)
from treatments.models import (
    ClinicalPhoto,
    Consultation,
    LesionSite,
    Location,
    Outcome,
    Patient,
    PlannedTreatment,
    Session,
    Side,
    SiteOutcome,
    Treatment,
    TreatmentCode,
)
from treatments.rules import DEPTH_LABELS

PATIENTS_PER_PAGE = 25
SESSIONS_PER_PAGE = 50


def role_required(permission: str):
    """The permission of a role (else 403); sign-in is LoginRequiredMiddleware's."""
    return permission_required(permission, raise_exception=True)


def _posted_version(request) -> int:
    """The consultation version the user's page showed (every form posts it as ``version``).

    Required: a write that does not say which version it was made from could overwrite a newer
    change, so it is refused like a stale one.
    """
    version = _version_of(request.POST.get("version", ""))
    if version is None:
        raise services.StaleConsultation(services.StaleConsultation.NO_VERSION)
    return version


def _version_of(text: str) -> int | None:
    """The consultation version a page sent, or None if ``text`` is none (a version fits an
    integer column: ten digits at most)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def draft_only(view):
    """Refuse changes to a signed consultation, or made from a stale page, with a clear message;
    never a silent no-op or a silent overwrite."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (services.ConsultationSigned, services.StaleConsultation) as refused:
            # The exception names the consultation: the site may be gone by now, removed by
            # the other clinician whose change made this one stale.
            consultation_pk = getattr(refused, "consultation_id", None) or kwargs.get("pk")
            if consultation_pk is None:
                consultation_pk = get_object_or_404(
                    LesionSite, pk=kwargs["site_pk"]
                ).consultation_id
            url = reverse("treatments:consultation_detail", args=[consultation_pk])
            if request.htmx and request.htmx.target == "details-status":
                # The autosave: said beside the details, whose fields keep what was typed.
                response = render(
                    request,
                    "treatments/_details_status.html",
                    {"status": "refused", "message": str(refused), "reload_url": url},
                    status=409,
                )
                return reswap(response, "innerHTML")
            if request.htmx:
                response = render(
                    request,
                    "treatments/_refused.html",
                    {"message": str(refused), "reload_url": url},
                    status=409,
                )
                return reswap(retarget(response, "#site-form"), "innerHTML")
            messages.error(request, str(refused))
            return redirect(url)

    return wrapper


# --- Home ---------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {}
    if request.user.has_perm("treatments.change_consultation"):
        mine = Consultation.objects.filter(clinician=request.user).select_related("patient")
        context["drafts"] = mine.filter(status=Consultation.Status.DRAFT)[:10]
        context["signed"] = mine.filter(status=Consultation.Status.SIGNED).order_by("-signed_at")[
            :10
        ]
    if request.user.has_perm("treatments.view_session"):
        context["today_sessions"] = Session.objects.upcoming().filter(
            scheduled_for=timezone.localdate()
        )
        context |= _session_table(request, context["today_sessions"])
    response = render(request, "treatments/home.html", context)
    note_patients(
        request,
        [c.patient_id for c in (*context.get("drafts", ()), *context.get("signed", ()))]
        + [
            s.planned_treatment.plan.consultation.patient_id
            for s in context.get("today_sessions", ())
        ],
    )
    return response


# --- Patients -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required("treatments.view_patient")
def patient_list(request: HttpRequest) -> HttpResponse:
    """Search is posted, so names typed into it never appear in URLs or server logs."""
    form = PatientSearchForm(request.POST if request.method == "POST" else None)
    patients = Patient.objects.order_by("family_name", "given_name", "id")
    query = ""
    page_number = request.GET.get("page", 1)
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"].strip()
        patients = patients.search(query)
        page_number = form.cleaned_data["page"] or 1
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(page_number)
    context = {"form": form, "page": page, "query": query}
    note_patients(request, (patient.pk for patient in page.object_list))
    if request.htmx:
        return render(request, "treatments/_patient_results.html", context)
    return render(request, "treatments/patient_list.html", context)


@require_http_methods(["GET", "POST"])
@role_required("treatments.add_patient")
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if form.is_valid():
        patient = services.patient_save(**form.cleaned_data)
        messages.success(request, f"{patient.full_name} was registered.")
        return redirect(patient)
    return render(request, "treatments/patient_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@role_required("treatments.change_patient")
def patient_update(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = PatientForm(request.POST or None, instance=patient)
    if form.is_valid():
        services.patient_save(patient=patient, **form.cleaned_data)
        messages.success(request, "The patient's details were saved.")
        return redirect(patient)
    return render(request, "treatments/patient_form.html", {"form": form, "patient": patient})


@require_GET
@role_required("treatments.view_patient")
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    consultations = (
        patient.consultations.select_related("clinician")
        .annotate(site_count=Count("sites"))
        .order_by("-date", "-id")
    )
    # The whole history, done sessions included (shown as done, by whom and when).
    sessions = Session.objects.history_of(patient)
    reviews = PlannedTreatment.objects.reviews_of(patient)
    # Lists, each fetched once: the timeline and the chart read them too.
    consultations, sessions = list(consultations), list(sessions)
    return render(
        request,
        "treatments/patient_detail.html",
        {
            "patient": patient,
            "consultations": consultations,
            "reviews": reviews,
            "photographed_sites": selectors.photographed_sites(patient)
            if request.user.has_perm("treatments.view_clinicalphoto")
            else [],
            "outcomes": selectors.patient_outcomes(patient, consultations, sessions),
        }
        | _session_table(request, sessions),
    )


# --- Consultations ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required("treatments.add_consultation")
def consultation_create(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = ConsultationForm(
        request.POST or None,
        # The date is checked against the patient's birth date (Consultation.clean).
        instance=Consultation(patient=patient, clinician=request.user),
        initial={"date": timezone.localdate()},
    )
    if form.is_valid():
        consultation = services.consultation_create(
            patient=patient, clinician=request.user, **form.cleaned_data
        )
        return redirect(consultation)
    return render(request, "treatments/consultation_form.html", {"form": form, "patient": patient})


@require_GET
@role_required("treatments.view_consultation")
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    chart = _chart_or_404(request, pk)
    return render(
        request, "treatments/consultation_detail.html", _chart_page_context(request, chart)
    )


@require_GET
@role_required("treatments.view_consultation")
def site_advice(request: HttpRequest, site_pk: int) -> HttpResponse:
    """A site's ranked options with their reasons and cautions: fetched by the chart's "By
    site" list when a site is opened (htmx), else a page of its own."""
    try:
        advice = selectors.site_advice(
            site_pk, shown_version=_version_of(request.GET.get("version", ""))
        )
    except LesionSite.DoesNotExist:
        raise Http404("No such lesion site.") from None
    context = {"advice": advice, "rules_url": reverse("treatments:rules_reference")}
    markup = templating.render_markup("treatments/_site_advice.html", context)
    if request.htmx:
        return HttpResponse(markup)
    return render(request, "treatments/site_advice.html", context | {"advice_markup": markup})


def _add_record_errors(form, invalid: ValidationError) -> None:
    """A record's refusal of input its form accepted (``full_clean`` in a service: a rule the
    form cannot see, or a change another window made meanwhile), shown on the field it names,
    else above the form; never a server error."""
    errors = invalid.error_dict if hasattr(invalid, "error_dict") else {None: invalid.error_list}
    for name, found in errors.items():
        form.add_error(name if name in form.fields else None, found)


@require_POST
@role_required("treatments.change_consultation")
@draft_only
def consultation_update(request: HttpRequest, pk: int) -> HttpResponse:
    """The details form, saved as the clinician leaves each field (htmx) or posted whole.

    Saved (htmx): the autosave's status, the new version for every form of the page and the
    advice (out of band); the fields are left alone, so nothing typed meanwhile is lost.
    """
    consultation = get_object_or_404(Consultation, pk=pk)
    # Stale before invalid: a page that is behind is told so, not given the newer version.
    version = _posted_version(request)
    if version != consultation.version and not consultation.is_signed:
        raise services.StaleConsultation(consultation_id=pk)
    form = ConsultationForm(request.POST, instance=consultation)
    if form.is_valid():
        try:
            services.consultation_update(consultation_id=pk, version=version, **form.cleaned_data)
        except ValidationError as invalid:
            _add_record_errors(form, invalid)
        else:
            if request.htmx:
                chart = _chart_or_404(request, pk)
                context = _chart_context(request, chart)
                return render(request, "treatments/_details_saved.html", context)
            return redirect(consultation)
    chart = _chart_or_404(request, pk)
    if request.htmx:
        context = _chart_context(request, chart) | {
            "consultation_form": form,
            "details_status": "invalid",
        }
        details = templating.render_markup(
            "treatments/_consultation_details.html", context, request
        )
        response = HttpResponse(details, status=400)
        return reswap(retarget(response, "#consultation-details"), "outerHTML")
    context = _chart_page_context(request, chart, consultation_form=form, details_status="invalid")
    return render(request, "treatments/consultation_detail.html", context, status=400)


PLAN_NEEDS_REVIEW = (
    "The sites changed since the plan was saved: review the plan and give the reasons "
    "it now needs before signing."
)


@require_http_methods(["GET", "POST"])
@role_required("treatments.change_consultation")
@draft_only
def consultation_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what signing will record, with the final Sign button; POST: sign what was shown
    (its version), or say why not."""
    if request.method == "GET":
        return _sign_review(request, pk)
    consultation = get_object_or_404(Consultation, pk=pk)
    try:
        services.consultation_sign(
            consultation=consultation, user=request.user, version=_posted_version(request)
        )
    except services.rules.InvalidCase as invalid:
        if consultation.sites.exists():
            messages.error(request, display.case_refused(invalid.errors))
        else:
            messages.error(request, "Chart at least one lesion site before signing.")
    except services.PlanNeedsReview:
        messages.error(request, PLAN_NEEDS_REVIEW)
        return redirect("treatments:plan_edit", pk=pk)
    except services.FollowUpPending as pending:
        messages.error(request, str(pending))
    else:
        messages.success(request, "The consultation is signed. It can no longer be changed.")
    return redirect(consultation)


def _sign_review(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        review = selectors.consultation_sign_review(pk)
    except Consultation.DoesNotExist:
        raise Http404("No such consultation.") from None
    services.ensure_draft(review.consultation)
    if review.refused:
        messages.error(request, review.refused)
        return redirect(review.consultation)
    if review.problems:
        messages.error(request, PLAN_NEEDS_REVIEW)
        return redirect("treatments:plan_edit", pk=pk)
    return render(
        request,
        "treatments/sign_review.html",
        {
            "review": review,
            "consultation": review.consultation,
            "patient": review.patient,
            "signer_role": services.role_of(request.user),
        },
    )


@require_POST
@role_required("treatments.add_consultationaddendum")
def addendum_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an addendum to a signed consultation; an empty or too long one is shown again with
    the field's message, nothing saved."""
    consultation = get_object_or_404(Consultation, pk=pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_create(
                consultation=consultation, author=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as invalid:
            if not consultation.is_signed:
                # A draft shows no addenda: say why on its page.
                messages.error(request, " ".join(invalid.messages))
                return redirect(consultation)
            form.add_error(None, invalid)
        else:
            messages.success(request, "The addendum was added to the signed record.")
            return redirect(f"{consultation.get_absolute_url()}#addenda")
    context = _chart_page_context(request, _chart_or_404(request, pk), addendum_form=form)
    return render(request, "treatments/consultation_detail.html", context, status=400)


# --- Lesion sites -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required("treatments.add_lesionsite")
@draft_only
def site_create(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = get_object_or_404(Consultation, pk=pk)
    services.ensure_draft(consultation)
    # The map link names the chosen region by an opaque token (never the body site itself,
    # which the access log would keep); anything else is ignored.
    location, side = _region_of(request, request.GET.get("region", ""))
    initial = {"location": location, "side": side}
    form = LesionSiteForm(request.POST or None, consultation=consultation, initial=initial)
    return _site_form_response(request, form, consultation)


@require_http_methods(["GET", "POST"])
@role_required("treatments.change_lesionsite")
@draft_only
def site_update(request: HttpRequest, site_pk: int) -> HttpResponse:
    site = get_object_or_404(
        LesionSite.objects.select_related("consultation").prefetch_related("tried"), pk=site_pk
    )
    services.ensure_draft(site.consultation)
    form = LesionSiteForm(request.POST or None, instance=site, consultation=site.consultation)
    return _site_form_response(request, form, site.consultation)


@require_POST
@role_required("treatments.delete_lesionsite")
@draft_only
def site_delete(request: HttpRequest, site_pk: int) -> HttpResponse:
    site = get_object_or_404(LesionSite.objects.select_related("consultation"), pk=site_pk)
    services.site_delete(site=site, version=_posted_version(request))
    if request.htmx:
        return _chart_response(request, site.consultation_id)
    messages.success(request, f"The {str(site).lower()} site was removed.")
    return redirect(site.consultation)


def _site_form_response(request, form, consultation) -> HttpResponse:
    context = {"site_form": form, "consultation": consultation}
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            services.site_save(
                consultation=consultation,
                version=_posted_version(request),
                site=form.instance if form.instance.pk else None,
                tried=form.tried_treatments(),
                **form.site_fields(),
            )
        except services.StaleConsultation as stale:
            if not request.htmx:
                raise
            # Keep what the clinician typed, say why it was not saved, offer a reload.
            context["refused"] = str(stale)
            response = render(request, "treatments/_site_form.html", context, status=409)
            return reswap(response, "innerHTML")
        except ValidationError as invalid:
            _add_record_errors(form, invalid)
        else:
            saved = True
    if saved:
        if request.htmx:
            return _chart_response(request, consultation.pk)
        return redirect(consultation)
    if request.htmx:
        status = 400 if form.is_bound else 200
        # htmx swaps 4xx answers only when told to; the form keeps what was typed.
        response = render(request, "treatments/_site_form.html", context, status=status)
        response["HX-Reswap"] = "innerHTML"
        return response
    status = 400 if form.is_bound else 200
    return render(request, "treatments/site_form_page.html", context, status=status)


# --- Plans --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required("treatments.change_plan")
@draft_only
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _consultation_or_404(pk)
    services.ensure_draft(consultation)
    try:
        result = services.consultation_evaluate(consultation)
    except services.rules.InvalidCase as invalid:
        messages.error(request, display.case_refused(invalid.errors))
        return redirect(consultation)
    if result is None:
        messages.error(request, "Chart at least one lesion site before planning.")
        return redirect(consultation)
    sites = list(consultation.sites.all())
    formset = PlanFormSet(
        request.POST or None,
        initial=_plan_initial(consultation, result, sites),
        form_kwargs={"site_choices": [(site.pk, str(site)) for site in sites]},
        consultation=consultation,
        result=result,
        prefix="plan",
    )
    if request.method == "POST" and formset.is_valid():
        try:
            services.plan_save(
                consultation=consultation,
                user=request.user,
                choices=formset.chosen(),
                version=_posted_version(request),
            )
        except services.PlanNeedsReview as review:
            # The chart changed between the form's check and the save: show what it needs now.
            formset.add_review_problems(review.problems)
        except services.rules.InvalidCase as invalid:
            messages.error(request, display.case_refused(invalid.errors))
            return redirect(consultation)
        else:
            messages.success(request, "The plan was saved. Sign the consultation to schedule it.")
            return redirect(consultation)
    treatments = {t.code: t for t in Treatment.objects.all()}
    rows = display.plan_rows(formset, result, sites, treatments)
    return render(
        request,
        "treatments/plan_form.html",
        {
            "consultation": consultation,
            "formset": formset,
            "rows": rows,
            "reason_min_chars": planning.CONTRAINDICATION_REASON_MIN_CHARS,
        },
        status=400 if formset.is_bound else 200,
    )


def _plan_initial(consultation, result, sites) -> list[dict]:
    treatments = {t.code: t for t in Treatment.objects.all()}
    saved = {
        p.treatment.code: p
        for p in PlannedTreatment.objects.filter(plan__consultation=consultation)
        .select_related("treatment")
        .prefetch_related("sites")
    }
    first_choice = {site_result.options[0].treatment for site_result in result.sites}
    starts_on = services.first_session_default(consultation)
    initial = []
    for option in result.options:
        catalogue = treatments[option.treatment]
        planned = saved.get(option.treatment)
        if planned is not None:
            initial.append({
                "treatment": option.treatment, "include": True,
                "sites": [site.pk for site in planned.sites.all()],
                "sessions": planned.sessions, "interval_weeks": planned.interval_weeks,
                "starts_on": planned.starts_on, "product_notes": planned.product_notes,
                "override_reason": planned.override_reason,
            })  # fmt: skip
            continue
        # Pre-fill from the catalogue's typical course and the advice: each site where this
        # treatment is the first option.
        first_at = [
            site.pk
            for site, site_result in zip(sites, result.sites, strict=True)
            if site_result.options[0].treatment == option.treatment
        ]
        initial.append({
            "treatment": option.treatment,
            "include": not saved and option.treatment in first_choice
            and option.status == "recommended",
            "sites": first_at,
            "sessions": None if planning.is_home_treatment(option.treatment)
            else catalogue.default_sessions or 1,
            "interval_weeks": catalogue.default_interval_weeks,
            "starts_on": starts_on,
        })  # fmt: skip
    return initial


# --- Sessions -----------------------------------------------------------------------------------


@require_GET
@role_required("treatments.view_session")
def session_list(request: HttpRequest) -> HttpResponse:
    # From today on, done ones included: a session marked done stays in the list, as done.
    page = Paginator(Session.objects.listed_from(), SESSIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    reviews = list(PlannedTreatment.objects.reviews_from()[:SESSIONS_PER_PAGE])
    note_patients(
        request,
        [s.planned_treatment.plan.consultation.patient_id for s in page.object_list]
        + [planned.plan.consultation.patient_id for planned in reviews],
    )
    return render(
        request,
        "treatments/session_list.html",
        {
            "page": page,
            "reviews": reviews,
            "previous_url": f"?page={page.previous_page_number()}" if page.has_previous() else "",
            "next_url": f"?page={page.next_page_number()}" if page.has_next() else "",
        }
        | _session_table(request, page.object_list),
    )


@require_http_methods(["GET", "POST"])
@role_required("treatments.change_session")
def session_done(request: HttpRequest, session_pk: int) -> HttpResponse:
    """GET: the confirmation (and, when it is early or out of order, the reason it needs);
    POST: the confirmed marking."""
    today = timezone.localdate()
    try:
        found = selectors.session_to_mark(session_pk, on=today)
    except Session.DoesNotExist:
        raise Http404("No such session.") from None
    form = SessionDoneForm(request.POST if request.method == "POST" else None)
    back = _safe_next(request, default="treatments:session_list")
    if form.is_bound and form.is_valid():
        try:
            services.session_mark_done(
                session=found.session, on=today, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, f"Session {found.session.number} was recorded as done.")
            return redirect(back)
    return render(
        request,
        "treatments/session_done.html",
        {"found": found, "form": form, "back": resolve_url(back)},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required("treatments.change_session")
def session_undo(request: HttpRequest, session_pk: int) -> HttpResponse:
    """Take back a session marked done today by mistake."""
    session = get_object_or_404(Session.objects.of_signed_plans(), pk=session_pk)
    try:
        services.session_undo(session=session, on=timezone.localdate(), by=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, f"Session {session.number} is no longer marked done.")
    return redirect(_safe_next(request, default="treatments:session_list"))


@require_POST
def session_keepalive(request: HttpRequest) -> HttpResponse:
    """The "stay logged in" button of the idle warning: counts as activity."""
    request.session["last_seen"] = int(time.time())
    return HttpResponse(status=204)


# --- Shared -------------------------------------------------------------------------------------


def _safe_next(request, *, default: str) -> str:
    """The ``next`` page (posted, or in the query string of a GET) when it is one of this
    site's own, else ``default``: never a redirect to another host (an open redirect)."""
    if request.method == "POST":
        target = request.POST.get("next", "")
    else:
        target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _consultation_or_404(pk: int) -> Consultation:
    try:
        return selectors.consultation_with_chart(pk)
    except Consultation.DoesNotExist:
        raise Http404("No such consultation.") from None


def _chart_or_404(request, pk: int) -> selectors.Chart:
    try:
        return selectors.consultation_chart(pk, user=request.user)
    except Consultation.DoesNotExist:
        raise Http404("No such consultation.") from None


class ChartedSite(NamedTuple):
    """A row of the chart's sites table: the site, its words ready (the table printed each
    through Django's filters and display methods, a seventh of the 20-site page) and the
    addresses of its edit, remove and photos pages."""

    site: LesionSite
    title: str  # "Left eyelid"
    name: str  # "left eyelid", within a sentence
    tried: str  # "mechanical extraction (did not work); cryotherapy (worked)"
    depth: str  # "Superficial"
    present: str  # "6 months"
    edit_url: str
    delete_url: str
    photos_url: str


def _charted_sites(sites: list[LesionSite]) -> list[ChartedSite]:
    edit_url, delete_url = _url_of("treatments:site_update"), _url_of("treatments:site_delete")
    photos_url = _url_of("treatments:site_photos")
    rows = []
    for site in sites:
        title = str(site)
        rows.append(
            ChartedSite(
                site=site,
                title=title,
                name=title.lower(),
                tried="; ".join(str(tried).lower() for tried in site.tried_treatments),
                depth=DEPTH_LABELS.get(site.depth, site.depth),
                present=f"{site.months_present} month{pluralize(site.months_present)}",
                edit_url=edit_url(site.pk),
                delete_url=delete_url(site.pk),
                photos_url=photos_url(site.pk),
            )
        )
    return rows


def _chart_context(request, chart: selectors.Chart) -> dict:
    """The chart and what only the view knows: the map's links (tokens of this user's session),
    the details form, the addresses and permissions the chart fragment needs (plain values: the
    fragment is a Jinja2 template, docs/hot-pages.md) and the rules reference's address."""
    consultation = chart.consultation
    charted = {(site.location, site.side): n for n, site in enumerate(chart.sites, start=1)}
    # One reverse() for the 27 regions of the map, not one each.
    site_create = reverse("treatments:site_create", args=[consultation.pk])
    region_token = _region_tokens(request)
    rules_url = reverse("treatments:rules_reference")
    return {
        "chart": chart,
        "consultation": consultation,
        "patient": chart.patient,
        "rules_url": rules_url,
        "recommendations": _recommendations(chart, rules_url),
        "consultation_form": ConsultationForm(instance=consultation) if chart.can_edit else None,
        "addendum_form": AddendumForm()
        if consultation.is_signed and request.user.has_perm("treatments.add_consultationaddendum")
        else None,
        "map": body_map.map_markup(
            charted=charted,
            url_for=lambda location, side: f"{site_create}?region={region_token(location, side)}",
        )
        if chart.can_edit
        else None,
        "other_url": f"{site_create}?region={region_token('other', 'midline')}",
        "charted_sites": _charted_sites(chart.sites),
        "can_view_photos": request.user.has_perm("treatments.view_clinicalphoto"),
        "plan_edit_url": reverse("treatments:plan_edit", args=[consultation.pk])
        if chart.can_edit
        else "",
        "sign_url": reverse("treatments:consultation_sign", args=[consultation.pk])
        if chart.can_edit
        else "",
        "update_url": reverse("treatments:consultation_update", args=[consultation.pk])
        if chart.can_edit
        else "",
        "carried": selectors.follow_up_carried(consultation),
    }


def _chart_page_context(request, chart: selectors.Chart, **changes) -> dict:
    """The consultation page's context: the chart's (with ``changes``) and the chart fragment's
    markup, ready for the page to print."""
    context = _chart_context(request, chart) | changes
    context["chart_markup"] = _chart_markup(request, context)
    return context


def _chart_markup(request, context: dict) -> SafeString:
    """The chart fragment's markup (a Jinja2 template: docs/hot-pages.md), for the page and the
    htmx responses that replace it."""
    return templating.render_markup("treatments/_chart.html", context, request)


def _recommendations(chart: selectors.Chart, rules_url: str) -> SafeString:
    """The advice panel's markup (a Jinja2 template: docs/hot-pages.md), for the pages and
    fragments that show it."""
    return templating.render_markup(
        "treatments/_recommendations.html",
        {"chart": chart, "rules_url": rules_url, "advice_url": _url_of("treatments:site_advice")},
    )


def _url_of(name: str) -> Callable[[int], str]:
    """The address of the URL ``name`` for any object's pk, from one reverse() (issue 14: a page
    of 20 sites asked for 40 addresses, each reversed on its own)."""
    marker = 2**31 - 1
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


class SessionRow(NamedTuple):
    """A row of ``_session_table.html``, with what it prints ready."""

    session: Session
    planned: PlannedTreatment
    patient: Patient
    day: str  # "Tue 3 Mar 2026", or "Not dated"
    number: str
    progress: str  # "2 of 3"
    patient_url: str
    done_url: str  # with the page to come back to
    undo_url: str
    can_undo: bool  # done today, and the user may change sessions


def _session_table(request, sessions: Iterable[Session]) -> dict:
    """The context of ``_session_table.html`` (the patient page, the sessions list, home): each
    row's addresses from one reverse() a URL name, the page to come back to encoded once, the
    permission asked once (issue 14: worked out by the template for each row, they were most of
    the table's cost)."""
    can_change = request.user.has_perm("treatments.change_session")
    next_path = request.get_full_path()
    # As the template's urlencode filter encoded it.
    done_query = f"?next={quote(next_path)}"
    patient_url = _url_of("treatments:patient_detail")
    done_url, undo_url = _url_of("treatments:session_done"), _url_of("treatments:session_undo")
    rows = []
    for session in sessions:
        planned = session.planned_treatment
        patient = planned.plan.consultation.patient
        on = session.scheduled_for
        rows.append(
            SessionRow(
                session,
                planned,
                patient,
                dates.weekday(on) if on else "Not dated",
                str(session.number),
                f"{session.number} of {planned.sessions}",
                patient_url(patient.pk),
                done_url(session.pk) + done_query,
                undo_url(session.pk),
                can_change and session.is_undoable,
            )
        )
    return {"session_rows": rows, "can_change_session": can_change, "next_path": next_path}


def _region_tokens(request) -> Callable[[str, str], str]:
    """The map regions' tokens for the signed-in user: each stands for its region and means
    nothing without the secret key, so URLs (and access logs) carry it instead of the body
    site. ``salted_hmac("treatments.views.region", "<user>:<location>:<side>")``, with the key
    derived once per process and the user's part hashed once per call (the map draws 28).
    Django's salted_hmac written out: tests/test_integrity.py holds the two to the same tokens."""
    prefix = hmac.new(_region_key(settings.SECRET_KEY), digestmod=hashlib.sha256)
    prefix.update(f"{request.user.pk}:".encode())

    def token(location: str, side: str) -> str:
        mac = prefix.copy()
        mac.update(f"{location}:{side}".encode())
        return mac.hexdigest()[:20]

    return token


@lru_cache(maxsize=2)
def _region_key(secret: str) -> bytes:
    """salted_hmac's key for the region tokens."""
    return hashlib.sha256(f"treatments.views.region{secret}".encode()).digest()


def _region_of(request, token: str) -> tuple[str, str]:
    """The (location, side) a token of ``_region_tokens`` stands for; blank ones if none."""
    token_of = _region_tokens(request)
    for location in Location.values:
        for side in Side.values:
            if constant_time_compare(token, token_of(location, side)):
                return location, side
    return "", ""


def _chart_response(request, pk: int) -> HttpResponse:
    chart = _chart_or_404(request, pk)
    response = HttpResponse(_chart_markup(request, _chart_context(request, chart)))
    return retarget(response, "#chart")


# --- Clinical photos ----------------------------------------------------------------------------

PHOTO_SIZES = ("full", "thumbnail")


def _site_photos_page(request, site_pk: int, form: PhotoForm | None, status: int = 200):
    try:
        page = selectors.site_photos(site_pk, user=request.user)
    except LesionSite.DoesNotExist:
        raise Http404("No such site.") from None
    if form is None and page.can_upload:
        form = PhotoForm()
    return render(
        request,
        "treatments/site_photos.html",
        {"page": page, "form": form if page.can_upload else None},
        status=status,
    )


@require_GET
@role_required("treatments.view_clinicalphoto")
def site_photos(request: HttpRequest, site_pk: int) -> HttpResponse:
    """A site's photos across the patient's visits, side by side, and the upload form while
    its consultation is a draft."""
    return _site_photos_page(request, site_pk, form=None)


@require_POST
@role_required("treatments.add_clinicalphoto")
@draft_only
def photo_upload(request: HttpRequest, site_pk: int) -> HttpResponse:
    site = get_object_or_404(LesionSite.objects.select_related("consultation"), pk=site_pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["image"]
        try:
            services.photo_add(
                site=site,
                data=upload.read(),
                filename=upload.name,
                consent=form.cleaned_data["consent"],
                by=request.user,
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, "Photo added.")
            return redirect("treatments:site_photos", site_pk=site.pk)
    return _site_photos_page(request, site_pk, form=form, status=400)


@require_POST
@role_required("treatments.delete_clinicalphoto")
def photo_remove(request: HttpRequest, photo_pk: int) -> HttpResponse:
    """Remove a photo taken by mistake from a draft consultation; back to the site's photos."""
    photo = get_object_or_404(ClinicalPhoto.objects.select_related("site"), pk=photo_pk)
    try:
        services.photo_remove(photo=photo, by=request.user)
    except services.ConsultationSigned as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Photo removed.")
    return redirect("treatments:site_photos", site_pk=photo.site_id)


@require_GET
@role_required("treatments.view_clinicalphoto")
def photo_file(request: HttpRequest, photo_pk: int, size: str) -> FileResponse:
    """A photo's file, only here: the role is checked, the audit records the view (every
    response, thumbnails too), and nothing may keep a copy (no-store)."""
    photo = get_object_or_404(ClinicalPhoto, pk=photo_pk)
    if size not in PHOTO_SIZES:
        raise Http404("No such size.")
    name = photo.image_name if size == "full" else photo.thumbnail_name
    extension = name[name.rfind(".") :]
    response = FileResponse(
        services.photo_storage().open(name, "rb"), content_type=photos.content_type_of(name)
    )
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}-{size}{extension}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Rules reference ----------------------------------------------------------------------------


@require_GET
def rules_reference(request: HttpRequest) -> HttpResponse:
    """Every rule with its source, the thresholds in force and the change log (no patient data)."""
    reference = services.rules_reference()
    names = dict(TreatmentCode.choices)
    return render(
        request,
        "treatments/rules_reference.html",
        {
            "reference": reference,
            "entries": display.reference_entries(reference["rules"], names),
        },
    )


# --- Follow-up and outcomes (issue 16) ----------------------------------------------------------


@require_POST
@role_required("treatments.add_consultation")
def follow_up_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a follow-up of a signed consultation, its sites carried to re-enter."""
    consultation = get_object_or_404(Consultation, pk=pk)
    try:
        follow_up = services.follow_up_start(consultation=consultation, clinician=request.user)
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
        return redirect(consultation)
    messages.success(
        request, "Follow-up opened: record the outcome at each carried site, then re-enter it."
    )
    return redirect(follow_up)


SIGNED_READ_ONLY = "This consultation is signed and can no longer be changed."


def _site_outcome_or_404(pk: int):
    return get_object_or_404(
        SiteOutcome.objects.select_related(
            "consultation__patient", "previous_site__consultation", "site"
        ),
        pk=pk,
    )


def _refused_follow_up(request, refused, consultation_id: int) -> HttpResponse:
    messages.error(request, str(refused))
    return redirect("treatments:consultation_detail", pk=consultation_id)


@require_http_methods(["GET", "POST"])
@role_required("treatments.change_siteoutcome")
def site_outcome_edit(request: HttpRequest, outcome_pk: int) -> HttpResponse:
    """Record what became of a carried site since the last visit, and re-enter it."""
    site_outcome = _site_outcome_or_404(outcome_pk)
    consultation = site_outcome.consultation
    if consultation.is_signed:
        return _refused_follow_up(request, SIGNED_READ_ONLY, consultation.pk)
    form = SiteOutcomeForm(request.POST or None, site_outcome=site_outcome)
    if form.is_valid():
        try:
            services.site_outcome_record(
                site_outcome=site_outcome,
                version=_posted_version(request),
                outcome=form.cleaned_data["outcome"],
                outcome_on=form.cleaned_data["outcome_on"],
                treatment_ids=[p.pk for p in form.cleaned_data["treatments"]],
                **form.site_fields(),
            )
        except (services.ConsultationSigned, services.StaleConsultation) as refused:
            return _refused_follow_up(request, refused, consultation.pk)
        except ValidationError as invalid:
            # E.g. the site's side, when it overlaps a site charted since.
            _add_record_errors(form, invalid)
        else:
            messages.success(request, f"The {str(site_outcome.previous_site).lower()} is recorded.")
            return redirect(consultation)
    return render(
        request,
        "treatments/site_outcome_form.html",
        {
            "form": form,
            "site_outcome": site_outcome,
            "consultation": consultation,
            "patient": consultation.patient,
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
@role_required("treatments.delete_siteoutcome")
def site_outcome_remove(request: HttpRequest, outcome_pk: int) -> HttpResponse:
    """Leave a carried site out of the follow-up."""
    site_outcome = _site_outcome_or_404(outcome_pk)
    try:
        services.site_outcome_remove(site_outcome=site_outcome, version=_posted_version(request))
    except (services.ConsultationSigned, services.StaleConsultation) as refused:
        return _refused_follow_up(request, refused, site_outcome.consultation_id)
    messages.success(
        request, f"The {str(site_outcome.previous_site).lower()} is left out of this follow-up."
    )
    return redirect(site_outcome.consultation)


@require_GET
@role_required("treatments.view_outcome_report")
def outcome_report(request: HttpRequest) -> HttpResponse:
    """Per treatment, how many sites had each outcome after how many sessions: counts only."""
    return render(
        request,
        "treatments/outcome_report.html",
        {"report": selectors.outcome_report(), "outcomes": Outcome.choices},
    )


@require_GET
@role_required("treatments.view_outcome_report")
def outcome_report_csv(request: HttpRequest) -> HttpResponse:
    """The outcome report as a CSV file."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="outcomes-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    for row in selectors.outcome_report_lines():
        writer.writerow(row)
    return response
