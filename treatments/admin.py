from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from treatments import services
from treatments.ehr_services import ehr_key_problems
from treatments.models import (
    CdsFeedback,
    Consultation,
    ConsultationAddendum,
    EhrClient,
    Handout,
    LesionSite,
    Patient,
    Plan,
    PlannedTreatment,
    Recommendation,
    Session,
    Treatment,
    TriedTreatment,
)
from treatments.permissions import is_open_for_change
from treatments.rules import site_overlap_text, sites_overlap
from treatments.services import plan_forbidden


class ReadOnlyAdmin:
    """A record kept as evidence (stored advice, an EHR's feedback): shown, never added,
    changed or deleted here, not even by a superuser."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PatientDataAdmin(admin.ModelAdmin):
    """A list of patient data: no search box, since the admin's search travels in the URL (and
    so into access logs); the list points to the app's posted patient search instead
    (templates/admin/treatments/change_list.html)."""

    search_in_app = True


@admin.register(Patient)
class PatientAdmin(PatientDataAdmin):
    list_display = [
        "medical_record_number",
        "family_name",
        "given_name",
        "date_of_birth",
        "fitzpatrick",
        "pregnant",
    ]
    list_filter = ["fitzpatrick", "pregnant", "breastfeeding", "cold_intolerance"]
    date_hierarchy = "created_at"


class ConsultationPartAdmin(PatientDataAdmin):
    """A consultation or a part of one: read-only once the consultation is signed, even for a
    superuser (the database refuses too: migration 0008). Every change of a draft made here
    moves the consultation's version on, so a clinician's page opened before is refused as
    stale rather than overwriting it."""

    # The path from the object to its consultation ("" for a consultation itself).
    consultation_path = ""

    def consultation_of(self, obj) -> Consultation | None:
        for name in filter(None, self.consultation_path.split("__")):
            obj = getattr(obj, name, None)
        return obj

    def _signed(self, obj) -> bool:
        if obj is None:
            return False
        consultation = self.consultation_of(obj)
        return consultation is not None and not is_open_for_change(None, consultation)

    def has_change_permission(self, request, obj=None):
        if self._signed(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._signed(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._bump(self.consultation_of(form.instance))

    def delete_model(self, request, obj):
        # Deleting a consultation itself leaves no version to move on.
        consultation = self.consultation_of(obj) if self.consultation_path else None
        super().delete_model(request, obj)
        self._bump(consultation)

    def delete_queryset(self, request, queryset):
        consultations = [self.consultation_of(obj) for obj in queryset]
        super().delete_queryset(request, queryset)
        for consultation in consultations if self.consultation_path else ():
            self._bump(consultation)

    @staticmethod
    def _bump(consultation) -> None:
        if consultation is not None and consultation.pk is not None:
            services.consultation_version_bump(consultation_id=consultation.pk)


class LesionSiteFormSet(BaseInlineFormSet):
    """Each row is checked against the stored sites by the model; this checks the rows of one
    submission against each other, so two new rows cannot overlap either."""

    def clean(self):
        super().clean()
        kept: list[tuple[str, str]] = []
        for form in self.forms:
            if self._should_delete_form(form):
                continue
            site = (form.cleaned_data.get("location"), form.cleaned_data.get("side"))
            if None in site:
                continue
            existing = next((other for other in kept if sites_overlap(site, other)), None)
            if existing is not None:
                form.add_error(
                    "side",
                    ValidationError(site_overlap_text(site, existing), code="overlapping_site"),
                )
            kept.append(site)


class LesionSiteInline(admin.TabularInline):
    model = LesionSite
    formset = LesionSiteFormSet
    extra = 0
    show_change_link = True


@admin.register(Consultation)
class ConsultationAdmin(ConsultationPartAdmin):
    list_display = ["id", "patient", "date", "clinician", "milia_type", "status"]
    list_filter = ["status", "milia_type", "recurrent", "date"]
    list_select_related = ["patient", "clinician"]
    raw_id_fields = ["patient"]
    date_hierarchy = "date"
    inlines = [LesionSiteInline]
    # Signing is the app's (it stores the advice and schedules the sessions); the version is
    # moved on by every change.
    readonly_fields = ["status", "signed_at", "signed_by", "signed_by_role", "version"]


class TriedTreatmentInline(admin.TabularInline):
    model = TriedTreatment
    extra = 0


@admin.register(LesionSite)
class LesionSiteAdmin(ConsultationPartAdmin):
    list_display = ["id", "consultation", "location", "side", "count", "largest_mm", "depth"]
    list_filter = ["location", "depth", "side"]
    list_select_related = ["consultation__patient"]
    raw_id_fields = ["consultation"]
    inlines = [TriedTreatmentInline]
    consultation_path = "consultation"


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "default_sessions", "default_interval_weeks", "updated_at"]
    search_fields = ["name", "code"]
    readonly_fields = ["code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "display_order"]}),
        (
            "For the clinician",
            {"fields": ["summary", "how_it_works", "who_it_is_for", "what_to_expect"]},
        ),
        (
            "Typical course",
            {"fields": ["typical_course", "default_sessions", "default_interval_weeks"]},
        ),
        (
            "For the patient (aftercare sheet)",
            {
                "fields": [
                    "patient_name",
                    "patient_what_was_done",
                    "patient_what_to_expect",
                    "patient_do",
                    "patient_dont",
                    "patient_call_us",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        # The five treatments are fixed by the rules; only their texts are edited.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Handout)
class HandoutAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "updated_at"]
    search_fields = ["title", "body"]


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin, PatientDataAdmin):
    """Stored advice is evidence of what the tool said: it is shown, never edited."""

    list_display = ["id", "consultation", "rules_version", "requested_by", "requested_at"]
    list_filter = ["rules_version", "requested_at"]
    list_select_related = ["consultation__patient", "requested_by"]


@admin.register(ConsultationAddendum)
class ConsultationAddendumAdmin(ReadOnlyAdmin, PatientDataAdmin):
    """Addenda are append-only and added from the signed record's page: shown here, never
    added, changed or removed (the database refuses too: migration 0013)."""

    list_display = ["id", "consultation", "author", "author_role", "created_at"]
    list_filter = ["created_at"]
    list_select_related = ["consultation__patient", "author"]


class PlannedTreatmentAdminForm(forms.ModelForm):
    """Refuses what the plan form refuses outright: a treatment where it can never be planned
    (cryotherapy in the eye area)."""

    class Meta:
        model = PlannedTreatment
        fields = [
            "plan",
            "treatment",
            "sites",
            "sessions",
            "interval_weeks",
            "product_notes",
            "starts_on",
            "override_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        treatment, sites = cleaned.get("treatment"), list(cleaned.get("sites") or [])
        plan = cleaned.get("plan") or getattr(self.instance, "plan", None)
        if plan is not None and any(site.consultation_id != plan.consultation_id for site in sites):
            raise ValidationError(
                "Choose only sites of this plan's consultation.", code="foreign_site"
            )
        if treatment is not None and sites:
            why = plan_forbidden(treatment_code=treatment.code, sites=sites)
            if why:
                raise ValidationError(
                    f"{treatment.name} cannot be planned here: " + "; ".join(why),
                    code="never_planned",
                )
        return cleaned


class PlannedTreatmentInline(admin.TabularInline):
    model = PlannedTreatment
    form = PlannedTreatmentAdminForm
    extra = 0
    filter_horizontal = ["sites"]


@admin.register(Plan)
class PlanAdmin(ConsultationPartAdmin):
    list_display = ["id", "consultation", "created_by", "created_at"]
    list_select_related = ["consultation__patient", "created_by"]
    raw_id_fields = ["consultation"]
    inlines = [PlannedTreatmentInline]
    consultation_path = "consultation"


@admin.register(PlannedTreatment)
class PlannedTreatmentAdmin(ConsultationPartAdmin):
    form = PlannedTreatmentAdminForm
    list_display = ["id", "plan", "treatment", "sessions", "interval_weeks"]
    list_filter = ["treatment"]
    list_select_related = ["plan__consultation__patient", "treatment"]
    raw_id_fields = ["plan"]
    consultation_path = "plan__consultation"


@admin.register(Session)
class SessionAdmin(ConsultationPartAdmin):
    list_display = ["id", "planned_treatment", "number", "scheduled_for", "done_at"]
    list_filter = ["scheduled_for", "planned_treatment__treatment"]
    list_select_related = ["planned_treatment__treatment", "planned_treatment__plan"]
    raw_id_fields = ["planned_treatment", "done_by"]
    date_hierarchy = "scheduled_for"
    consultation_path = "planned_treatment__plan__consultation"

    def has_change_permission(self, request, obj=None):
        # Sessions record what took place: marking one done stays possible once signed.
        return PatientDataAdmin.has_change_permission(self, request, obj)

    def get_readonly_fields(self, request, obj=None):
        if self._signed(obj):
            return ["planned_treatment", "number", "scheduled_for"]
        return super().get_readonly_fields(request, obj)


# --- EHR integration (issue 15) ---------------------------------------------------------------


class EhrClientForm(forms.ModelForm):
    class Meta:
        model = EhrClient
        fields = ["name", "issuer", "jwks", "public_key_pem", "active"]

    def clean(self):
        cleaned = super().clean()
        for problem in ehr_key_problems(
            jwks=cleaned.get("jwks"), pem=cleaned.get("public_key_pem", "")
        ):
            self.add_error(None, problem)
        return cleaned


@admin.register(EhrClient)
class EhrClientAdmin(admin.ModelAdmin):
    """The EHRs allowed to call the CDS Hooks services, each with the public key that signs its
    tokens (pasted here: the app never fetches keys)."""

    form = EhrClientForm
    list_display = ["name", "issuer", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "issuer"]


@admin.register(CdsFeedback)
class CdsFeedbackAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """What the EHRs reported about the cards: read-only (the report is at /ehr/feedback/)."""

    list_display = ["received_at", "ehr_client", "card", "outcome", "override_display"]
    list_filter = ["outcome", "ehr_client"]
    list_select_related = ["card", "ehr_client"]


# The users page, restricted for Clinic admins (treatments.user_admin).
from treatments import user_admin  # noqa: E402, F401
