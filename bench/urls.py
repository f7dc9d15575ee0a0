"""The app's URLs plus the benchmark's baselines, for the benchmark server only.

``bench_unaudited_patient`` serves the patient page by a name the audit has no decision for, so
it records nothing: the same page as ``treatments:patient_detail`` without its audit event.
"""

from django.urls import include, path

from bench.views import bench_bare, bench_floor
from treatments.views import patient_detail

urlpatterns = [
    path("bench/bare/", bench_bare, name="bench_bare"),
    path("bench/floor/", bench_floor, name="bench_floor"),
    path("bench/unaudited/patients/<int:pk>/", patient_detail, name="bench_unaudited_patient"),
    path("", include("milia_clinic.urls")),
]
