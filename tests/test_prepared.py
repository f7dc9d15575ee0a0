"""Reads whose SQL is written once per process (milia_clinic.prepared): the same rows, as the same
objects, as the ORM's queryset gives, on SQLite and PostgreSQL alike."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count, Prefetch

from milia_clinic.prepared import PreparedRead, set_prefetched
from tests.factories import make_consultation, make_patient, make_site, sign
from treatments import services
from treatments.models import Consultation, LesionSite, TriedTreatment

pytestmark = pytest.mark.django_db

CONSULTATION = PreparedRead(
    lambda pk: Consultation.objects.select_related("patient", "clinician", "signed_by").filter(
        pk=pk
    )
)
SITES = PreparedRead(lambda pk: LesionSite.objects.filter(consultation_id=pk).order_by("-id"))


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_prepared_read_gives_what_the_queryset_gives(dermatologist):
    consultation = make_consultation(clinician=dermatologist, date=date(2026, 3, 4))
    for location, count, largest in (("cheek", 3, "1.5"), ("chin", 7, "2.25")):
        make_site(consultation, location=location, count=count, largest_mm=Decimal(largest))
    other = make_consultation(clinician=dermatologist)
    make_site(other)

    prepared = SITES(consultation.pk)
    expected = list(LesionSite.objects.filter(consultation_id=consultation.pk).order_by("-id"))

    assert [fields_of(site) for site in prepared] == [fields_of(site) for site in expected]
    assert [type(site.largest_mm) for site in prepared] == [Decimal, Decimal]
    assert all(not site._state.adding and site._state.db == "default" for site in prepared)
    # Run again with another value: the same SQL, the other consultation's row.
    assert [site.consultation_id for site in SITES(other.pk)] == [other.pk]


def test_prepared_read_fills_what_it_selects_related(dermatologist, django_assert_num_queries):
    consultation = sign(make_consultation(clinician=dermatologist, date=date(2026, 3, 4)))

    with django_assert_num_queries(1):
        (found,) = CONSULTATION(consultation.pk)
        read = (found.patient.date_of_birth, found.clinician.username, found.signed_by.pk)

    assert fields_of(found) == fields_of(Consultation.objects.get(pk=consultation.pk))
    assert read == (consultation.patient.date_of_birth, dermatologist.username, dermatologist.pk)
    assert isinstance(found.date, date) and isinstance(found.signed_at.year, int)


def test_prepared_read_of_one_field_gives_its_values(dermatologist):
    consultation = make_consultation(clinician=dermatologist)
    site = make_site(consultation)
    patient_of_site = PreparedRead(
        lambda pk: LesionSite.objects.filter(pk=pk).values_list(
            "consultation__patient_id", flat=True
        )
    )

    assert patient_of_site(site.pk) == [consultation.patient_id]
    assert patient_of_site(999_999) == []


def test_prepared_read_of_no_value_gives_rows_of_values(dermatologist):
    consultation = make_consultation(clinician=dermatologist, date=date(2026, 3, 4))
    dates = PreparedRead(lambda: Consultation.objects.order_by("id").values_list("id", "date"))

    assert dates() == [(consultation.pk, date(2026, 3, 4))]
    with pytest.raises(TypeError):
        dates(consultation.pk)


def test_prepared_read_of_no_row_is_empty():
    assert CONSULTATION(999_999) == []


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: Consultation.objects.filter(pk=pk).annotate(n=Count("sites")),
        lambda pk: Consultation.objects.filter(pk=pk).prefetch_related("sites"),
        lambda pk: Consultation.objects.filter(pk=pk).only("id"),
        lambda pk: Consultation.objects.all(),  # the value is not used
        lambda pk: Consultation.objects.filter(pk=pk).values("id", "date"),
    ],
)
def test_prepared_read_refuses_what_it_cannot_run_again(build):
    with pytest.raises(ValueError):
        PreparedRead(build)(1)


def test_set_prefetched_answers_all_without_a_query_and_a_filter_with_one(
    dermatologist, django_assert_num_queries
):
    consultation = make_consultation(clinician=dermatologist)
    cheek = make_site(consultation, location="cheek")
    make_site(consultation, location="forehead", side="midline")
    found = Consultation.objects.get(pk=consultation.pk)

    set_prefetched(found, "sites", [cheek])

    with django_assert_num_queries(0):
        assert list(found.sites.all()) == [cheek]
    with django_assert_num_queries(1):
        assert list(found.sites.filter(location="forehead").values_list("location", flat=True)) == [
            "forehead"
        ]


def test_consultation_with_chart_loads_what_the_orm_would(dermatologist, django_assert_num_queries):
    patient = make_patient(date_of_birth=date(1980, 2, 29))
    consultation = make_consultation(clinician=dermatologist, patient=patient)
    make_site(consultation, location="eyelid", tried=[("extraction", False), ("cryotherapy", True)])
    make_site(consultation, location="cheek", largest_mm=Decimal("3.5"))
    make_site(consultation, location="chin", side="midline", tried=[("chemical_peel", False)])
    sites = LesionSite.objects.prefetch_related(
        Prefetch("tried", TriedTreatment.objects.order_by("id"))
    )
    expected = (
        Consultation.objects.select_related("patient", "clinician", "signed_by")
        .prefetch_related(Prefetch("sites", queryset=sites.order_by("id")))
        .get(pk=consultation.pk)
    )

    with django_assert_num_queries(3):
        found = services.consultation_with_chart(consultation.pk)
    with django_assert_num_queries(0):
        loaded = [
            (fields_of(site), [fields_of(t) for t in site.tried_treatments], site.consultation.pk)
            for site in found.sites.all()
        ]
        facts = services.consultation_facts(found)

    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.patient) == fields_of(expected.patient)
    assert loaded == [
        (fields_of(site), [fields_of(t) for t in site.tried.all()], consultation.pk)
        for site in expected.sites.all()
    ]
    assert facts["sites"][0]["tried"] == [
        {"treatment": "extraction", "worked": False},
        {"treatment": "cryotherapy", "worked": True},
    ]


def test_consultation_with_chart_of_no_consultation_raises():
    with pytest.raises(Consultation.DoesNotExist):
        services.consultation_with_chart(999_999)


# --- Prepared once per PostgreSQL connection ----------------------------------------------------


def test_server_side_statement_numbers_the_parameters_and_keeps_percent_signs():
    from milia_clinic.prepared import _statement

    name, prepare, execute = _statement("SELECT a FROM t WHERE b = %s AND c LIKE 'x%%' AND d = %s")

    assert prepare == f"PREPARE {name} AS SELECT a FROM t WHERE b = $1 AND c LIKE 'x%' AND d = $2"
    assert execute == f"EXECUTE {name}(%s, %s)"
    assert _statement("SELECT 1")[2] == f"EXECUTE {_statement('SELECT 1')[0]}"


def test_server_side_is_the_query_itself_where_statements_are_not_prepared(settings):
    from django.db import connection

    from milia_clinic.prepared import server_side

    settings.PREPARED_STATEMENTS = False
    assert server_side("SELECT %s") == "SELECT %s"
    settings.PREPARED_STATEMENTS = True
    expected = "SELECT %s" if connection.vendor != "postgresql" else "EXECUTE milia_"
    assert server_side("SELECT %s").startswith(expected)


@pytest.mark.django_db(transaction=True)
def test_reads_prepare_again_on_a_new_connection(dermatologist):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (CI runs PostgreSQL)")
    consultation = make_consultation(clinician=dermatologist)
    make_site(consultation)

    first = services.consultation_with_chart(consultation.pk)
    connection.close()  # a new connection has no prepared statement
    again = services.consultation_with_chart(consultation.pk)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'milia_%%'")
        (prepared,) = cursor.fetchone()
    assert prepared >= 3
    assert fields_of(again) == fields_of(first)
    assert [fields_of(s) for s in again.sites.all()] == [fields_of(s) for s in first.sites.all()]


def test_the_signed_in_user_is_read_after_a_migration_adds_a_column(dermatologist):
    from django.contrib.auth import get_user_model
    from django.db import connection

    from treatments.auth_backend import RolePermissionBackend

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's (CI runs PostgreSQL)")
    backend = RolePermissionBackend()
    assert backend.get_user(dermatologist.pk) == dermatologist  # prepared on this connection

    with connection.cursor() as cursor:  # rolled back with the test's transaction
        table = connection.ops.quote_name(get_user_model()._meta.db_table)
        cursor.execute(f"ALTER TABLE {table} ADD COLUMN added_by_a_migration integer")

    assert backend.get_user(dermatologist.pk) == dermatologist
