from django.urls import path, register_converter

from milia_clinic.ids import IdConverter
from treatments import api, ehr_views, printing, views

# <id:...>: a record's id; one past what a table holds is a 404, not a server error.
register_converter(IdConverter, "id")

app_name = "treatments"

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<id:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<id:pk>/edit/", views.patient_update, name="patient_update"),
    path(
        "patients/<id:patient_pk>/consultations/new/",
        views.consultation_create,
        name="consultation_create",
    ),
    path("consultations/<id:pk>/", views.consultation_detail, name="consultation_detail"),
    path("consultations/<id:pk>/edit/", views.consultation_update, name="consultation_update"),
    path("consultations/<id:pk>/sites/new/", views.site_create, name="site_create"),
    path("consultations/<id:pk>/plan/", views.plan_edit, name="plan_edit"),
    path("consultations/<id:pk>/sign/", views.consultation_sign, name="consultation_sign"),
    path("consultations/<id:pk>/addenda/new/", views.addendum_create, name="addendum_create"),
    path("consultations/<id:pk>/follow-up/", views.follow_up_start, name="follow_up_start"),
    path("outcomes/<id:outcome_pk>/", views.site_outcome_edit, name="site_outcome_edit"),
    path(
        "outcomes/<id:outcome_pk>/remove/",
        views.site_outcome_remove,
        name="site_outcome_remove",
    ),
    path("reports/outcomes/", views.outcome_report, name="outcome_report"),
    path("reports/outcomes.csv", views.outcome_report_csv, name="outcome_report_csv"),
    path("sites/<id:site_pk>/edit/", views.site_update, name="site_update"),
    path("sites/<id:site_pk>/delete/", views.site_delete, name="site_delete"),
    path("sites/<id:site_pk>/advice/", views.site_advice, name="site_advice"),
    path("sites/<id:site_pk>/photos/", views.site_photos, name="site_photos"),
    path("sites/<id:site_pk>/photos/new/", views.photo_upload, name="photo_upload"),
    path("photos/<id:photo_pk>/remove/", views.photo_remove, name="photo_remove"),
    path("photos/<id:photo_pk>/<slug:size>/", views.photo_file, name="photo_file"),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/<id:session_pk>/done/", views.session_done, name="session_done"),
    path("sessions/<id:session_pk>/undo/", views.session_undo, name="session_undo"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("today/", printing.today, name="today"),
    path("today/sheets.pdf", printing.today_pdf, name="today_pdf"),
    path(
        "planned/<id:planned_pk>/aftercare/",
        printing.aftercare_sheet,
        name="aftercare_sheet",
    ),
    path(
        "planned/<id:planned_pk>/aftercare.pdf",
        printing.aftercare_pdf,
        name="aftercare_pdf",
    ),
    path("handouts/<slug:slug>/", printing.handout, name="handout"),
    path("handouts/<slug:slug>.pdf", printing.handout_pdf, name="handout_pdf"),
    path("api/v1/recommendations", api.recommendations, name="api_recommendations"),
    path("api/v1/rules", api.rules_reference_json, name="api_rules"),
    path("rules/", views.rules_reference, name="rules_reference"),
    # EHR integration (issue 15): CDS Hooks 2.0 services and FHIR export.
    path("cds-services", ehr_views.cds_discovery, name="cds_discovery"),
    path("cds-services/<slug:service_id>", ehr_views.cds_service, name="cds_service"),
    path("cds-services/<slug:service_id>/feedback", ehr_views.cds_feedback, name="cds_feedback"),
    path("ehr/feedback/", ehr_views.cds_feedback_report, name="cds_feedback_report"),
    path("fhir/Consultation/<id:pk>/$export", ehr_views.fhir_export, name="fhir_export"),
]
