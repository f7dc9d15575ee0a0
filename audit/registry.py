"""What the other apps tell the audit: which of their models hold patient data, and what each of
their pages shows. As Wagtail's log actions are, it is filled in the apps' ``AppConfig.ready()``,
so that ``audit`` imports nothing from them::

    from audit.registry import Access, audit_registry, patient_arg

    audit_registry.register_patient(Patient, record_number="medical_record_number")
    audit_registry.register_record(LesionSite, patient_id="consultation__patient_id",
                                   read_action=Action.VIEW_CONSULTATION)
    audit_registry.register_changes(LesionSite, exclude_fields=["updated_at"])
    audit_registry.register_page("clinic:patient_detail", Access(Action.VIEW_PATIENT, "Opened...",
                                 patients=patient_arg("pk")))
    audit_registry.register_no_patient_data("clinic:rules", "the rule table")
    audit_registry.register_no_patient_data_model("clinic.treatment", "catalogue texts")

Every URL of the URLconf must have a decision (a page, or no patient data with the reason), and
every model of the Django admin a category (the patient, a record, or no patient data):
tests/audit/test_access.py walks them all. Registering one name twice, or one name both ways,
is refused at start-up.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from auditlog.registry import auditlog
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from milia_clinic.ids import parse_id
from milia_clinic.prepared import PreparedRead


def no_patient(request, kwargs) -> list[int | None]:
    """A page about no one patient: one event, with no patient."""
    return [None]


def no_detail(request) -> dict:
    return {}


def noted(request, kwargs, response) -> list[int]:
    """The patients the view said it listed (``audit.middleware.note_patients``)."""
    return getattr(request, "audit_patients", [])


def patient_arg(name: str) -> Callable:
    """The patient whose id is the URL argument ``name``."""

    def patients(request, kwargs) -> list[int | None]:
        return [parse_id(kwargs.get(name, ""))]

    return patients


def patient_of(model: type[models.Model], name: str) -> Callable:
    """The patient of the ``model`` row whose id is the URL argument ``name`` (the model is
    registered with ``register_patient`` or ``register_record``)."""

    def patients(request, kwargs) -> list[int | None]:
        pk = parse_id(kwargs.get(name, ""))
        return [audit_registry.patient_id_by_pk(model, pk) if pk is not None else None]

    return patients


@dataclass(frozen=True)
class Access:
    """A page that shows, searches, prints or downloads patient data, and how to record it.

    ``patients(request, url_kwargs)`` gives the patient(s) the page is about: one event each.
    ``listed(request, url_kwargs, response)`` instead gives the patients a list showed: one
    event, naming them in ``detail["patients"]``. ``before`` finds the patients before the view
    runs (a view that deletes the row they are found from). ``summary`` and ``detail`` may be
    functions of the request.
    """

    action: str
    summary: str | Callable
    object_type: str = ""
    object_arg: str = ""
    patients: Callable = no_patient
    listed: Callable | None = None
    detail: Callable = no_detail
    before: bool = False


@dataclass(frozen=True)
class Record:
    """A model whose rows belong to one patient.

    ``patient_id`` is the lookup from a row to its patient's id (``"pk"`` for the patients
    themselves, ``"consultation__patient_id"``), or a function of the row. Its admin pages
    record ``read_action`` (a row) or ``list_action`` (the change list: only a lookup names
    the patients listed, in one query).
    """

    model: type[models.Model]
    patient_id: str | Callable
    read_action: str
    list_action: str


class AuditRegistry:
    """The decisions of every app, by URL name and by model."""

    def __init__(self):
        self.patient_model: type[models.Model] | None = None
        self.record_number_field = ""
        self.records: dict[type[models.Model], Record] = {}
        self.pages: dict[str, Access | Callable] = {}
        self.no_patient_data: dict[str, str] = {}
        self.no_patient_data_models: dict[str, str] = {}
        self._patient_reads: dict[type[models.Model], PreparedRead] = {}

    # --- Models ---------------------------------------------------------------------------

    def register_patient(self, model: type[models.Model], *, record_number: str) -> None:
        """The model of the patients themselves. The report finds a patient by the field
        ``record_number`` and shows it beside each event; the model's admin pages record
        ``view_patient``."""
        if self.patient_model not in (None, model):
            raise ImproperlyConfigured(f"The patient model is already {self.patient_model}.")
        self.patient_model, self.record_number_field = model, record_number
        self.register_record(model, patient_id="pk", read_action="view_patient")

    def register_record(
        self,
        model: type[models.Model],
        *,
        patient_id: str | Callable,
        read_action: str,
        list_action: str = "view_list",
    ) -> None:
        """A model whose rows are patient data (see ``Record``)."""
        if model in self.records:
            raise ImproperlyConfigured(f"{model._meta.label} is already registered.")
        self.records[model] = Record(model, patient_id, read_action, list_action)
        if isinstance(patient_id, str) and patient_id != "pk":
            # Asked on every audited page: its SQL written once per process (issue 14).
            self._patient_reads[model] = PreparedRead(
                lambda pk: (
                    model._base_manager.filter(pk=pk)
                    .order_by()
                    .values_list(patient_id, flat=True)[:1]
                )
            )

    def register_no_patient_data_model(self, label: str, reason: str) -> None:
        """A model of the Django admin (``app_label.model_name``) that holds no patient data."""
        self._refuse_twice(label, self.no_patient_data_models)
        self.no_patient_data_models[label.lower()] = reason

    def register_changes(
        self,
        model: type[models.Model],
        *,
        exclude_fields: Sequence[str] = (),
        m2m_fields: Sequence[str] = (),
    ) -> None:
        """Record every create, change and delete of the model's rows, field by field
        (django-auditlog computes the difference; ``audit.mirror`` chains it)."""
        auditlog.register(model, exclude_fields=list(exclude_fields), m2m_fields=set(m2m_fields))

    # --- Pages ----------------------------------------------------------------------------

    def register_page(self, view_name: str, access: Access | Callable) -> None:
        """A URL (``namespace:name``) whose page shows patient data: a response that shows it
        records ``access`` (or what a function of the request returns)."""
        self._refuse_twice(view_name, self.pages, self.no_patient_data)
        self.pages[view_name] = access

    def register_no_patient_data(self, view_name: str, reason: str) -> None:
        """A URL whose page shows no patient data, and why."""
        self._refuse_twice(view_name, self.pages, self.no_patient_data)
        self.no_patient_data[view_name] = reason

    @staticmethod
    def _refuse_twice(name: str, *decided: dict) -> None:
        if any(name in found for found in decided):
            raise ImproperlyConfigured(f"{name} already has an audit decision.")

    # --- Lookups --------------------------------------------------------------------------

    def patient_id_of(self, instance) -> int | None:
        """The id of the patient a row belongs to (None for a model that is not a record).

        Follows the foreign keys already loaded on the instance; where one is not, finishes the
        path in one query.
        """
        record = self.records.get(type(instance))
        if record is None:
            return None
        if callable(record.patient_id):
            return record.patient_id(instance)
        *path, last = record.patient_id.split("__")
        current = instance
        for depth, name in enumerate(path):
            fk = type(current)._meta.get_field(name)
            if not fk.is_cached(current):
                rest = "__".join((*path[depth + 1 :], last))
                return (
                    fk.related_model._base_manager.filter(pk=getattr(current, fk.attname))
                    .values_list(rest, flat=True)
                    .first()
                )
            current = getattr(current, name)
        return getattr(current, last)

    def patient_id_by_pk(self, model: type[models.Model], pk) -> int | None:
        """The patient of the ``model`` row with this primary key, in one query at most."""
        record = self.records.get(model)
        if record is None:
            return None
        if record.patient_id == "pk":
            return int(pk)
        if callable(record.patient_id):
            row = model._base_manager.filter(pk=pk).first()
            return record.patient_id(row) if row is not None else None
        number = parse_id(pk)
        if number is None:  # a key of another kind (django-auditlog keeps keys as text)
            found = model._base_manager.filter(pk=pk).values_list(record.patient_id, flat=True)
            return found.first()
        found = self._patient_reads[model](number)
        return found[0] if found else None

    def patient_ids_of(self, rows: Sequence[models.Model]) -> list[int]:
        """The patients of these rows of one record model, in one query at most (none for a
        model whose patient is found by a function)."""
        record = self.records.get(type(rows[0])) if rows else None
        if record is None or callable(record.patient_id):
            return []
        if "__" not in record.patient_id:
            found = [getattr(row, record.patient_id) for row in rows]
        else:
            found = record.model._base_manager.filter(pk__in=[row.pk for row in rows])
            found = found.values_list(record.patient_id, flat=True)
        return [patient_id for patient_id in found if patient_id is not None]


audit_registry = AuditRegistry()
