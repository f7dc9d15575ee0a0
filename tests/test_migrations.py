"""Migration 0014: consultations recorded before it, signed ones included, are given the clinic's
diagnosis code; a signed one is still read-only after it, on SQLite as on PostgreSQL."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("treatments", "0013_session_marking")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_consultations_recorded_before_the_code_are_given_the_clinics_code(settings):
    settings.MILIA_ICD10_CODE = "L72.8"
    old = _migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="before.0014")
    patient = old.get_model("treatments", "Patient").objects.create(
        medical_record_number="M-0014", given_name="Ada", family_name="Byron",
        date_of_birth="1990-01-01",
    )  # fmt: skip
    consultations = old.get_model("treatments", "Consultation").objects
    draft = consultations.create(patient=patient, clinician=user, date="2026-01-05")
    signed = consultations.create(
        patient=patient, clinician=user, date="2026-01-06", status="signed",
        signed_at=timezone.now(),
    )  # fmt: skip

    new = _migrate(_latest())

    after = new.get_model("treatments", "Consultation").objects
    assert sorted(after.values_list("pk", "diagnosis_code")) == [
        (draft.pk, "L72.8"),
        (signed.pk, "L72.8"),
    ]
    assert after.filter(pk=draft.pk).update(notes="still a draft") == 1
    with pytest.raises(DatabaseError), transaction.atomic():
        after.filter(pk=signed.pk).update(diagnosis_code="L72.0")
