"""Migration 0015: a consultation signed before it gets its signer (the user who asked for the
advice stored at signing), and the signed record stays read-only in the database."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from treatments.models import Consultation

BEFORE = [("treatments", "0014_consultation_diagnosis_code")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_a_consultation_signed_before_0013_is_given_its_signer_and_stays_read_only():
    old = _migrate(BEFORE)
    user_model = old.get_model("auth", "User")
    clinician = user_model.objects.create(username="opened.it")
    signer = user_model.objects.create(username="signed.it")
    patient = old.get_model("treatments", "Patient").objects.create(
        medical_record_number="MIG-1", given_name="Ada", family_name="Lovelace",
        date_of_birth=date(1990, 5, 17),
    )  # fmt: skip
    signed = old.get_model("treatments", "Consultation").objects.create(
        patient=patient, clinician=clinician, status="signed", signed_at=timezone.now()
    )
    old.get_model("treatments", "Recommendation").objects.create(
        consultation=signed, rules_version="2026.2", input_facts={}, output={},
        requested_by=signer,
    )  # fmt: skip

    _migrate(_latest())

    migrated = Consultation.objects.get(pk=signed.pk)
    assert (migrated.signed_by.username, migrated.signed_by_role) == ("signed.it", "")
    with (
        pytest.raises(IntegrityError, match="a signed consultation is read-only"),
        transaction.atomic(),
    ):
        Consultation.objects.filter(pk=signed.pk).update(notes="changed")
