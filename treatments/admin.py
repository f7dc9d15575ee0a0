from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from treatments.models import (
    Consultation,
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
from treatments.services import plan_forbidden


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = [
        "medical_record_number",
        "family_name",
        "given_name",
        "date_of_birth",
        "fitzpatrick",
        "pregnant",
    ]
    list_filter = ["fitzpatrick", "pregnant", "breastfeeding", "cold_intolerance"]
    search_fields = ["medical_record_number", "family_name", "given_name"]
    date_hierarchy = "created_at"


class LesionSiteInline(admin.TabularInline):
    model = LesionSite
    extra = 0
    show_change_link = True


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "date", "clinician", "milia_type", "status"]
    list_filter = ["status", "milia_type", "recurrent", "date"]
    search_fields = ["patient__medical_record_number", "patient__family_name"]
    list_select_related = ["patient", "clinician"]
    raw_id_fields = ["patient"]
    date_hierarchy = "date"
    inlines = [LesionSiteInline]

    def has_change_permission(self, request, obj=None):
        # A signed consultation is read-only by every path, the admin included.
        if obj is not None and obj.is_signed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_signed:
            return False
        return super().has_delete_permission(request, obj)


class TriedTreatmentInline(admin.TabularInline):
    model = TriedTreatment
    extra = 0


@admin.register(LesionSite)
class LesionSiteAdmin(admin.ModelAdmin):
    list_display = ["id", "consultation", "location", "side", "count", "largest_mm", "depth"]
    list_filter = ["location", "depth", "side"]
    search_fields = ["consultation__patient__medical_record_number"]
    list_select_related = ["consultation__patient"]
    raw_id_fields = ["consultation"]
    inlines = [TriedTreatmentInline]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.consultation.is_signed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.consultation.is_signed:
            return False
        return super().has_delete_permission(request, obj)


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
class RecommendationAdmin(admin.ModelAdmin):
    """Stored advice is evidence of what the tool said: it is shown, never edited."""

    list_display = ["id", "consultation", "rules_version", "requested_by", "requested_at"]
    list_filter = ["rules_version", "requested_at"]
    search_fields = ["consultation__patient__medical_record_number"]
    list_select_related = ["consultation__patient", "requested_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
class PlanAdmin(admin.ModelAdmin):
    list_display = ["id", "consultation", "created_by", "created_at"]
    list_select_related = ["consultation__patient", "created_by"]
    search_fields = ["consultation__patient__medical_record_number"]
    raw_id_fields = ["consultation"]
    inlines = [PlannedTreatmentInline]


@admin.register(PlannedTreatment)
class PlannedTreatmentAdmin(admin.ModelAdmin):
    form = PlannedTreatmentAdminForm
    list_display = ["id", "plan", "treatment", "sessions", "interval_weeks"]
    list_filter = ["treatment"]
    list_select_related = ["plan__consultation__patient", "treatment"]
    raw_id_fields = ["plan"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["id", "planned_treatment", "number", "scheduled_for", "done_at"]
    list_filter = ["scheduled_for", "planned_treatment__treatment"]
    list_select_related = ["planned_treatment__treatment", "planned_treatment__plan"]
    raw_id_fields = ["planned_treatment", "done_by"]
    date_hierarchy = "scheduled_for"
