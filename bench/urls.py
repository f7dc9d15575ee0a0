"""The app's URLs plus the bare baseline view, for the benchmark server only."""

from django.urls import include, path

from bench.views import bench_bare

urlpatterns = [
    path("bench/bare/", bench_bare, name="bench_bare"),
    path("", include("milia_clinic.urls")),
]
