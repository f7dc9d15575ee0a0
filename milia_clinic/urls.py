from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "Milia Clinic administration"
admin.site.site_title = "Milia Clinic admin"

# Only the account pages the clinic uses: no e-mailed password reset (accounts are managed by
# the clinic admin).
account_patterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

urlpatterns = [
    path("accounts/", include(account_patterns)),
    path("admin/", admin.site.urls),
    path("audit/", include("audit.urls")),
    path("", include("treatments.urls")),
]
