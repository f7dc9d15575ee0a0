from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Milia Clinic administration"
admin.site.site_title = "Milia Clinic admin"

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("treatments.urls")),
]
