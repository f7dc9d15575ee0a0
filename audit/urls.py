from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_report, name="report"),
    path("export.csv", views.audit_export_csv, name="export"),
    path("verify/", views.audit_verify_view, name="verify"),
]
