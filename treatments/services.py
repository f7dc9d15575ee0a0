"""The seam between the stored record and the pure rules, and every multi-row write.

Business actions are keyword-only functions named ``<entity>_<action>``. Each write runs in one
transaction, locks the consultation row, and refuses to touch a signed consultation, so nothing is
ever half-saved or changed after signing. Reads fetch a consultation with its patient, sites and
tried treatments in a fixed number of queries, whatever the number of sites.
"""

import uuid
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import get_text_list

from milia_clinic.prepared import PreparedRead, set_prefetched
from treatments import photos, planning, reference, rules
from treatments.models import (
    ClinicalPhoto,
    Consultation,
    ConsultationAddendum,
    LesionSite,
    Outcome,
    Patient,
    Plan,
    PlannedTreatment,
    Recommendation,
    Session,
    SiteOutcome,
    Treatment,
    TreatmentCode,
    TriedTreatment,
)
from treatments.permissions import is_open_for_change
from treatments.roles import ROLE_PERMISSIONS


class ConsultationSigned(Exception):
    """A signed consultation is read-only: nothing about it may change."""


class StaleConsultation(Exception):
    """Someone else changed the consultation after this page was opened: refuse, never overwrite."""

    CHANGED = (
        "This consultation was changed in another window or by another clinician after you "
        "opened it, so your change was not saved. Reload the page to see the current chart, "
        "then make your change again."
    )
    NO_VERSION = (
        "Your change was not saved: it did not say which version of the consultation it was "
        "made on. Reload the page to see the current chart, then make your change again."
    )

    def __init__(self, message: str = CHANGED, *, consultation_id: int | None = None):
        super().__init__(message)
        self.consultation_id = consultation_id


class PlanNeedsReview(Exception):
    """The plan cannot be saved or signed as it stands: a choice is never allowed (cryotherapy in
    the eye area), or needs a reason or the acceptance of a contraindication.

    ``problems`` maps a treatment code to (form field, message) pairs.
    """

    def __init__(self, problems: dict[str, list[tuple[str, str]]]):
        super().__init__(
            "The plan needs review: "
            + " ".join(message for pairs in problems.values() for _, message in pairs)
        )
        self.problems = problems


# --- Reading a consultation for the rules ----------------------------------------------------


def rules_thresholds() -> rules.Thresholds:
    """The thresholds in force: the defaults, with any overrides from settings."""
    return rules.Thresholds.from_mapping(settings.MILIA_RULES_THRESHOLDS)


def rules_reference() -> dict:
    """The rules reference (every rule, its source, the thresholds in force), JSON-ready."""
    return reference.rules_reference(rules_thresholds())


def age_in_years(date_of_birth: date, on: date) -> int:
    """Completed years on a given day (a newborn is 0)."""
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)


_CONSULTATION = PreparedRead(
    lambda pk: Consultation.objects.select_related("patient", "clinician", "signed_by").filter(
        pk=pk
    )
)
_SITES = PreparedRead(lambda pk: LesionSite.objects.filter(consultation_id=pk).order_by("id"))
_TRIED = PreparedRead(
    lambda pk: TriedTreatment.objects.filter(site__consultation_id=pk).order_by("id")
)


def consultation_with_chart(pk: int) -> Consultation:
    """A consultation with everything the rules and the chart need, in three queries whose SQL
    is written once per process (milia_clinic.prepared: the ORM's building of them was most of
    the consultation page's reading).

    ``consultation.sites.all()`` holds its sites, by id, each knowing its consultation; each
    site's ``tried_treatments`` lists what was tried there (``site.tried.all()`` would ask the
    database again). ``Consultation.DoesNotExist`` when there is none.
    """
    found = _CONSULTATION(pk)
    if not found:
        raise Consultation.DoesNotExist(f"No consultation {pk}.")
    consultation = found[0]
    sites = _SITES(pk)
    tried: dict[int, list[TriedTreatment]] = {site.pk: [] for site in sites}
    for treatment in _TRIED(pk) if sites else ():
        tried[treatment.site_id].append(treatment)
    for site in sites:
        site.tried_treatments = tried[site.pk]
        LesionSite.consultation.field.set_cached_value(site, consultation)
    set_prefetched(consultation, "sites", sites)
    return consultation


def consultation_facts(consultation: Consultation) -> dict:
    """The rules' input for a consultation from ``consultation_with_chart`` (DESIGN §3), age
    taken on the consultation's date."""
    patient = consultation.patient
    return {
        "patient": {
            "age_years": age_in_years(patient.date_of_birth, consultation.date),
            "fitzpatrick": patient.fitzpatrick,
            "pregnant": patient.pregnant,
            "breastfeeding": patient.breastfeeding,
            "isotretinoin_last_6_months": patient.isotretinoin_last_6_months,
            "herpes_simplex_history": patient.herpes_simplex_history,
            "cold_intolerance": patient.cold_intolerance,
            "keloid_tendency": patient.keloid_tendency,
            "anticoagulant": patient.anticoagulant,
            "photosensitising_drug": patient.photosensitising_drug,
        },
        "milia_type": consultation.milia_type,
        "recurrent": consultation.recurrent,
        "sites": [
            {
                "location": site.location,
                "side": site.side,
                "count": site.count,
                "largest_mm": float(site.largest_mm),
                "depth": site.depth,
                "months_present": site.months_present,
                "tried": [
                    {"treatment": tried.treatment, "worked": tried.worked}
                    for tried in site.tried_treatments
                ],
                "red_flags": site.red_flags,
                "active_inflammation": site.active_inflammation,
            }
            for site in consultation.sites.all()
        ],
    }


def consultation_evaluate(consultation: Consultation) -> rules.CaseResult | None:
    """The advice for the chart as it stands, stored nowhere; None while there is no site."""
    if not consultation.sites.all():
        return None
    case = rules.CaseFacts.from_dict(consultation_facts(consultation))
    return rules.evaluate(case, rules_thresholds())


def _store_recommendation(consultation, facts: dict, result: rules.CaseResult, user):
    return Recommendation.objects.create(
        consultation=consultation,
        rules_version=result.rules_version,
        input_facts=facts,
        output=result.to_dict(),
        requested_by=user,
    )


# --- Patients and consultations ---------------------------------------------------------------


def patient_save(*, patient: Patient | None = None, **fields) -> Patient:
    """Register a patient, or change ``patient``; the record validates itself (``full_clean``)."""
    patient = patient or Patient()
    for name, value in fields.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient.save()
    return patient


def consultation_create(*, patient: Patient, clinician, **fields) -> Consultation:
    """Open a draft consultation (date, milia_type, recurrent, notes); validated by the record
    (the date within the patient's life)."""
    consultation = Consultation(patient=patient, clinician=clinician, **fields)
    consultation.full_clean()
    consultation.save()
    return consultation


# --- Charting ---------------------------------------------------------------------------------


def ensure_draft(consultation: Consultation) -> None:
    """Refuse any change to a signed consultation (the rule of treatments.permissions)."""
    if not is_open_for_change(None, consultation):
        raise ConsultationSigned("This consultation is signed and can no longer be changed.")


def _locked_draft(pk: int, version: int | None) -> Consultation:
    """The consultation row, locked until the transaction ends; refused when signed, or when
    ``version`` (the version the user's page showed) is no longer the current one."""
    consultation = Consultation.objects.select_for_update().get(pk=pk)
    ensure_draft(consultation)
    if version is not None and version != consultation.version:
        raise StaleConsultation(consultation_id=pk)
    return consultation


def _bump_version(consultation: Consultation) -> None:
    consultation_version_bump(consultation_id=consultation.pk)


def consultation_version_bump(*, consultation_id: int) -> None:
    """Move a draft's version on after a change made elsewhere (the admin), so a page opened
    before it is refused as stale."""
    Consultation.objects.filter(pk=consultation_id, status=Consultation.Status.DRAFT).update(
        version=F("version") + 1
    )


@transaction.atomic
def consultation_update(*, consultation_id: int, version: int | None, **fields) -> Consultation:
    """Change a draft consultation's own fields (date, milia_type, recurrent, notes).

    The record validates itself (``full_clean``: the date within the patient's life, the
    choices), whoever calls; ``ValidationError`` names the field.
    """
    consultation = _locked_draft(consultation_id, version)
    for name, value in fields.items():
        setattr(consultation, name, value)
    consultation.full_clean()
    consultation.save(update_fields=[*fields, "updated_at"])
    _bump_version(consultation)
    return consultation


@transaction.atomic
def site_save(
    *,
    consultation: Consultation,
    version: int | None,
    site: LesionSite | None = None,
    tried: list[tuple[str, bool]] = (),
    **fields,
) -> LesionSite:
    """Chart a new site, or change ``site``, with what was already tried there (treatment code,
    worked), all or nothing.

    ``fields`` are the site's own: location, side, count, largest_mm, depth, months_present,
    red_flags, active_inflammation. The record validates itself (``full_clean``: the rules'
    limits, one site per location and side, at most ``MAX_SITES``), whoever calls.
    """
    _locked_draft(consultation.pk, version)
    site = site or LesionSite(consultation=consultation)
    for name, value in fields.items():
        setattr(site, name, value)
    site.full_clean()
    site.save()
    site.tried.all().delete()
    # One save each (five at most), not bulk_create, which sends no signal: each is audited.
    for code, worked in tried:
        TriedTreatment.objects.create(site=site, treatment=code, worked=worked)
    _bump_version(consultation)
    return site


@transaction.atomic
def site_delete(*, site: LesionSite, version: int | None) -> None:
    _locked_draft(site.consultation_id, version)
    photo_files = _photo_files(site.photos.all())
    site.delete()
    _bump_version(site.consultation)
    # The rows go with the site; their files once that is committed (never before: a rollback
    # would leave rows without files).
    transaction.on_commit(lambda: _delete_photo_files(photo_files))


# --- Planning and signing ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlanChoice:
    """One treatment the clinician chose, with the sites it is for."""

    treatment: str
    site_ids: tuple[int, ...]
    sessions: int
    interval_weeks: int | None
    starts_on: date | None
    product_notes: str = ""
    override_reason: str = ""
    accept_contraindication: bool = False


def _planned_indexes(choices: list[PlanChoice], consultation: Consultation) -> dict[str, list]:
    index_of = {site.pk: index for index, site in enumerate(consultation.sites.all())}
    return {c.treatment: [index_of[pk] for pk in c.site_ids if pk in index_of] for c in choices}


def plan_problems(
    choices: list[PlanChoice], consultation: Consultation, result: rules.CaseResult
) -> dict[str, list[tuple[str, str]]]:
    """What stops each choice from being planned, against the advice for the chart as it stands:
    treatment code -> (form field, message) pairs; empty when the plan may be saved."""
    planned = _planned_indexes(choices, consultation)
    never = planning.forbidden(planned, result)
    required = planning.reason_requirements(planned, result)
    contraindicated = planning.contraindicated_sites(planned, result)
    problems: dict[str, list[tuple[str, str]]] = {}
    site_ids = {site.pk for site in consultation.sites.all()}
    seen: set[str] = set()
    for choice in choices:
        code = choice.treatment
        name = TreatmentCode(code).label
        # What the checks below cannot see must not be saved either: a treatment twice, no
        # site (its sites were removed since), or a site of another consultation.
        if code in seen:
            problems.setdefault(code, []).append(("sites", f"{name} is planned twice."))
            continue
        seen.add(code)
        if not choice.site_ids:
            problems.setdefault(code, []).append(
                ("sites", f"{name} is planned for no site: choose its sites again.")
            )
            continue
        if not set(choice.site_ids) <= site_ids:
            problems.setdefault(code, []).append(
                ("sites", f"{name} is planned for a site that is not in this consultation.")
            )
            continue
        found = problems.setdefault(code, [])
        if code in never:
            found.append(
                ("sites", f"{name} cannot be planned here: " + "; ".join(never[code]) + ".")
            )
            continue
        reason = choice.override_reason.strip()
        if code in required and not reason:
            found.append(
                (
                    "override_reason",
                    "A reason is required because " + "; ".join(required[code]) + ".",
                )
            )
        elif code in contraindicated and planning.contraindication_reason_problem(reason):
            found.append(("override_reason", planning.contraindication_reason_problem(reason)))
        if code in contraindicated and not choice.accept_contraindication:
            found.append(
                (
                    "accept_contraindication",
                    f"{name} is contraindicated at the "
                    f"{get_text_list(contraindicated[code], 'and')}: tick to confirm that you "
                    "accept this contraindication.",
                )
            )
    return {code: found for code, found in problems.items() if found}


def plan_forbidden(*, treatment_code: str, sites: list[LesionSite]) -> list[str]:
    """Why a treatment can never be planned at these sites of one consultation (empty: it may
    be). For paths that build a plan without the plan form, such as the admin."""
    if not sites:
        return []
    consultation = consultation_with_chart(sites[0].consultation_id)
    result = consultation_evaluate(consultation)
    index_of = {site.pk: index for index, site in enumerate(consultation.sites.all())}
    planned = {treatment_code: [index_of[site.pk] for site in sites if site.pk in index_of]}
    return planning.forbidden(planned, result).get(treatment_code, [])


@transaction.atomic
def plan_save(
    *, consultation: Consultation, user, choices: list[PlanChoice], version: int | None
) -> Plan:
    """Replace the consultation's plan with these choices.

    Raises ``PlanNeedsReview`` when a choice is never allowed (cryotherapy in the eye area) or
    lacks the reason or the acceptance of a contraindication it needs, whoever the caller.
    """
    _locked_draft(consultation.pk, version)
    consultation = consultation_with_chart(consultation.pk)
    result = consultation_evaluate(consultation)
    if result is None:
        raise rules.InvalidCase({"sites": ["chart at least one lesion site before planning"]})
    problems = plan_problems(choices, consultation, result)
    if problems:
        raise PlanNeedsReview(problems)
    contraindicated = planning.contraindicated_sites(
        _planned_indexes(choices, consultation), result
    )
    plan, _ = Plan.objects.get_or_create(consultation=consultation, defaults={"created_by": user})
    plan.treatments.all().delete()
    treatments = Treatment.objects.in_bulk(field_name="code")
    for choice in choices:
        where = contraindicated.get(choice.treatment, [])
        at_home = planning.is_home_treatment(choice.treatment)
        planned = PlannedTreatment.objects.create(
            plan=plan,
            treatment=treatments[choice.treatment],
            # A home treatment has no sessions at the clinic: a review instead.
            sessions=None if at_home else choice.sessions,
            interval_weeks=None if at_home else choice.interval_weeks,
            starts_on=choice.starts_on,
            review_on=planning.review_date(
                choice.treatment, choice.starts_on or consultation.date, clinic_open_days()
            ),
            product_notes=choice.product_notes,
            override_reason=choice.override_reason,
            contraindicated_at=get_text_list(where, "and"),
            contraindication_accepted=bool(where) and choice.accept_contraindication,
        )
        planned.sites.set(choice.site_ids)
    _bump_version(consultation)
    return plan


def clinic_open_days() -> frozenset[int]:
    """The weekdays the clinic is open (``date.weekday()`` numbers), from settings."""
    return frozenset(settings.MILIA_CLINIC_OPEN_DAYS)


def first_session_default(consultation: Consultation) -> date:
    """Where a planned treatment starts unless the clinician says otherwise: the consultation's
    date, or the next day the clinic is open."""
    return planning.next_open_day(consultation.date, clinic_open_days())


def session_dates(starts_on: date | None, sessions: int, interval_weeks: int | None) -> list:
    """The date of each session of a course, on the days the clinic is open
    (``planning.session_dates``)."""
    return planning.session_dates(starts_on, sessions, interval_weeks, clinic_open_days())


def planned_session_dates(planned: PlannedTreatment) -> list:
    """The dates of the sessions signing books for a planned treatment; none for a home
    treatment (reviewed on ``planned.review_on`` instead)."""
    if planned.sessions is None:
        return []
    return session_dates(planned.starts_on, planned.sessions, planned.interval_weeks)


@transaction.atomic
def consultation_sign(
    *, consultation: Consultation, user, version: int | None = None
) -> Recommendation | None:
    """Sign: store the advice as it stands, schedule the plan's sessions, make it read-only.

    Raises ``rules.InvalidCase`` when nothing is charted, ``PlanNeedsReview`` when the plan
    departs from the current advice without the reasons that requires, and ``FollowUpPending``
    while a follow-up has a carried site to re-enter. A follow-up whose every carried site
    cleared, with nothing charted, is signed without advice (None).
    """
    _locked_draft(consultation.pk, version)
    pending = follow_up_pending(consultation)
    if pending:
        raise FollowUpPending(pending)
    consultation = consultation_with_chart(consultation.pk)
    if follow_up_all_cleared(consultation):
        # Nothing left to advise on or to book: the outcomes are the record.
        _record_signature(consultation, user)
        return None
    facts = consultation_facts(consultation)
    result = rules.evaluate(rules.CaseFacts.from_dict(facts), rules_thresholds())
    planned_treatments = planned_treatments_of(consultation)
    problems = sign_problems(consultation, result, planned_treatments)
    if problems:
        raise PlanNeedsReview(problems)
    # One save each, not bulk_create (which sends no signal): each session is audited.
    for p in planned_treatments:
        for number, day in enumerate(planned_session_dates(p), start=1):
            Session.objects.create(planned_treatment=p, number=number, scheduled_for=day)
    recommendation = _store_recommendation(consultation, facts, result, user)
    _record_signature(consultation, user)
    return recommendation


def _record_signature(consultation: Consultation, user) -> None:
    # The last change of the row: once signed, the database refuses any other.
    _bump_version(consultation)
    # A save, not QuerySet.update (which sends no signal), so that the signing is audited.
    consultation.status = Consultation.Status.SIGNED
    consultation.signed_at = timezone.now()
    consultation.signed_by = user
    consultation.signed_by_role = role_of(user)
    consultation.save(update_fields=["status", "signed_at", "signed_by", "signed_by_role"])


def planned_treatments_of(consultation: Consultation) -> list[PlannedTreatment]:
    """The plan's treatments, with their treatment and sites (empty: no plan)."""
    return list(
        PlannedTreatment.objects.filter(plan__consultation=consultation)
        .select_related("treatment")
        .prefetch_related("sites")
    )


def sign_problems(
    consultation: Consultation,
    result: rules.CaseResult,
    planned_treatments: list[PlannedTreatment],
) -> dict[str, list[tuple[str, str]]]:
    """What stops the plan from being signed against the advice as it stands (as
    ``plan_problems``), and any contraindication accepted for sites that have changed since."""
    if not planned_treatments:
        return {}
    choices = [
        PlanChoice(
            treatment=p.treatment.code,
            site_ids=tuple(site.pk for site in p.sites.all()),
            sessions=p.sessions,
            interval_weeks=p.interval_weeks,
            starts_on=p.starts_on,
            override_reason=p.override_reason,
            # Accepted for the sites it was planned at; a site changed since then makes
            # plan_problems ask again through contraindicated_at below.
            accept_contraindication=p.contraindication_accepted,
        )
        for p in planned_treatments
    ]
    problems = plan_problems(choices, consultation, result)
    contraindicated = planning.contraindicated_sites(
        _planned_indexes(choices, consultation), result
    )
    for p in planned_treatments:
        where = get_text_list(contraindicated.get(p.treatment.code, []), "and")
        if where != p.contraindicated_at:
            # The sites changed since the plan was saved: the acceptance no longer covers
            # what is contraindicated now.
            problems.setdefault(p.treatment.code, []).append(
                (
                    "accept_contraindication",
                    "The sites changed since this was accepted: review the plan.",
                )
            )
    return problems


def role_of(user) -> str:
    """The roles a user holds, as the record names them ("Dermatologist"); empty if none."""
    held = set(user.groups.values_list("name", flat=True))
    return get_text_list([role for role in ROLE_PERMISSIONS if role in held], "and")


# --- Addenda ----------------------------------------------------------------------------------


@transaction.atomic
def addendum_create(*, consultation: Consultation, author, text: str) -> ConsultationAddendum:
    """Add a dated, signed addendum to a signed consultation; addenda are never changed or
    removed. ``ValidationError`` names the field (``text``: empty or too long)."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    addendum = ConsultationAddendum(
        consultation=consultation, author=author, author_role=role_of(author), text=text.strip()
    )
    addendum.full_clean()
    addendum.save()
    return addendum


@transaction.atomic
def session_mark_done(*, session: Session, on: date, by, reason: str = "") -> Session:
    """Record that a session took place, marked on ``on`` (the clinic's today) by ``by``.

    Before its date, or while an earlier session of its course is not done, it needs a
    ``reason`` (kept with the session); without one ``ValidationError`` names the ``reason``
    field and says why. A session already done is left as it is.
    """
    _refuse_unless_may_record_sessions(by)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.done_at is not None:
        return session
    concerns = planning.mark_done_concerns(
        number=session.number,
        scheduled_for=session.scheduled_for,
        on=on,
        earlier_not_done=Session.objects.earlier_not_done(session),
    )
    reason = reason.strip()
    if concerns and not reason:
        raise ValidationError(
            {
                "reason": ValidationError(
                    f"Session {session.number} cannot be marked done without a reason: "
                    + "; and ".join(concerns)
                    + ". Say why in “Reason for marking it done”, or mark the right session.",
                    code="reason_required",
                )
            }
        )
    session.done_at = timezone.now()
    session.done_by = by
    session.done_reason = reason if concerns else ""
    session.full_clean()
    session.save(update_fields=["done_at", "done_by", "done_reason"])
    return session


@transaction.atomic
def session_undo(*, session: Session, on: date, by) -> Session:
    """Take back a session marked done by mistake: only on the day it was marked (``on``, the
    clinic's today), by one who may record sessions (staff, dermatologists); the change is
    audited."""
    _refuse_unless_may_record_sessions(by)
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.done_at is None:
        raise ValidationError("This session is not marked done.", code="not_done")
    if timezone.localdate(session.done_at) != on:
        raise ValidationError(
            "A session can only be undone on the day it was marked done.", code="too_late"
        )
    session.done_at = None
    session.done_by = None
    session.done_reason = ""
    session.save(update_fields=["done_at", "done_by", "done_reason"])
    return session


def _refuse_unless_may_record_sessions(user) -> None:
    if not user.has_perm("treatments.change_session"):
        raise PermissionDenied("Only clinic staff and dermatologists record sessions.")


# --- Clinical photos ----------------------------------------------------------------------------


def photo_storage():
    """The private storage of clinical photos (settings.STORAGES["photos"])."""
    return storages["photos"]


def _photo_files(photos_of_site) -> list[str]:
    return [
        name for pair in photos_of_site.values_list("image_name", "thumbnail_name") for name in pair
    ]


def _delete_photo_files(names: list[str]) -> None:
    storage = photo_storage()
    for name in names:
        storage.delete(name)


def photo_add(*, site: LesionSite, data: bytes, filename: str, consent: str, by) -> ClinicalPhoto:
    """Store a photo of a site of a draft consultation, cleaned (``photos.clean_photo``), with
    its thumbnail, all or nothing: a refused file stores nothing, and the files are removed
    again if the row cannot be written.

    ``ValidationError`` on ``image`` says why a file is refused; ``ConsultationSigned`` when
    the consultation is signed (the database refuses it too: migration 0017).
    """
    ensure_draft(site.consultation)  # said at once, before the work of reading the image
    try:
        clean = photos.clean_photo(data, filename)
    except photos.PhotoRefused as refused:
        raise ValidationError({"image": ValidationError(str(refused), code="refused")}) from None
    storage = photo_storage()
    stored: list[str] = []
    uploaded_at = timezone.now()
    try:
        with transaction.atomic():
            _locked_draft(site.consultation_id, None)
            # Random names: nothing about the patient in a file name or a storage listing.
            base = f"{uuid.uuid4().hex}"
            stored.append(storage.save(f"{base}{clean.extension}", ContentFile(clean.image)))
            stored.append(
                storage.save(f"{base}-thumbnail{clean.extension}", ContentFile(clean.thumbnail))
            )
            photo = ClinicalPhoto(
                site=site,
                image_name=stored[0],
                thumbnail_name=stored[1],
                width=clean.width,
                height=clean.height,
                sha256=clean.sha256,
                consent=consent,
                taken_at=_taken_at(clean.taken_at, uploaded_at),
                uploaded_at=uploaded_at,
                uploaded_by=by,
            )
            photo.full_clean()
            photo.save()
    except BaseException:
        _delete_photo_files(stored)
        raise
    return photo


def photo_remove(*, photo: ClinicalPhoto, by) -> None:
    """Remove a photo taken by mistake (the wrong patient, a blurred one) from a draft
    consultation: the row at once, its two files once that is committed (a rollback keeps both).

    ``PermissionDenied`` unless ``by`` may remove photos; ``ConsultationSigned`` when the
    consultation is signed (PostgreSQL refuses the delete too: migration 0017).
    """
    if not by.has_perm("treatments.delete_clinicalphoto"):
        raise PermissionDenied("Only dermatologists remove clinical photos.")
    files = [photo.image_name, photo.thumbnail_name]
    with transaction.atomic():
        _locked_draft(photo.site.consultation_id, None)
        photo.delete()
        transaction.on_commit(lambda: _delete_photo_files(files))


def _taken_at(camera_time, uploaded_at):
    """The camera's date of the photo in the clinic's time zone, unless it is missing or later
    than the upload (a camera clock set wrong): then the upload's time."""
    if camera_time is None:
        return uploaded_at
    taken = timezone.make_aware(camera_time) if timezone.is_naive(camera_time) else camera_time
    return taken if taken <= uploaded_at else uploaded_at


# --- Follow-up (issue 16) ------------------------------------------------------------------------


class FollowUpPending(Exception):
    """A follow-up with a carried site not yet re-entered (nor removed) cannot be signed."""


def _planned_at(site: LesionSite) -> list[PlannedTreatment]:
    return list(PlannedTreatment.objects.filter(sites=site).select_related("treatment"))


@transaction.atomic
def follow_up_start(*, consultation: Consultation, clinician) -> Consultation:
    """Open a draft follow-up of a signed consultation: its milia type, history of recurrence and
    diagnosis carried, and each of its sites carried as a ``SiteOutcome`` to re-enter, with the
    treatments planned there. A draft follow-up already open for it is returned instead; once
    followed up and signed, the next follow-up starts from that one."""
    # Locked (a signed row is only read) so that a double click opens one follow-up, not two.
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not consultation.is_signed:
        raise ValidationError(
            "A follow-up continues a signed consultation: sign this one first.", code="draft"
        )
    earlier = consultation.follow_ups.order_by("-date", "-id").first()
    if earlier is not None and not earlier.is_signed:
        return earlier
    if earlier is not None:
        raise ValidationError(
            f"This consultation was followed up on {earlier.date:%-d %b %Y}: start the next "
            "follow-up from that one.",
            code="followed_up",
        )
    follow_up = Consultation(
        patient=consultation.patient,
        clinician=clinician,
        follows=consultation,
        milia_type=consultation.milia_type,
        recurrent=consultation.recurrent,
        diagnosis_code=consultation.diagnosis_code,
    )
    follow_up.full_clean()
    follow_up.save()
    for previous in consultation.sites.order_by("id"):
        carried = SiteOutcome(consultation=follow_up, previous_site=previous)
        carried.full_clean()
        carried.save()
        carried.treatments.set(_planned_at(previous))
    return follow_up


def follow_up_tried(
    previous_tried: list[tuple[str, bool]], done_since: list[str], outcome: str
) -> list[tuple[str, bool]]:
    """What the new site records as tried (treatment code, worked): what was tried before the
    earlier visit, then each treatment done since, as worked when the site cleared or improved
    and as failed otherwise (the rules read a failure: TRIED-FAILED, LASER-RESISTED)."""
    worked = outcome in rules.OUTCOMES_WORKED
    tried = dict(previous_tried)
    tried.update(dict.fromkeys(done_since, worked))
    return list(tried.items())


@transaction.atomic
def site_outcome_record(
    *,
    site_outcome: SiteOutcome,
    version: int | None,
    outcome: str,
    outcome_on: date | None,
    treatment_ids: list[int],
    **site_fields,
) -> SiteOutcome:
    """Record what became of a carried site and re-enter it, all or nothing.

    ``site_fields`` are the new site's count, largest_mm, depth, months_present, red_flags and
    active_inflammation (its location and side are the earlier site's). A cleared site charts
    nothing (a site has at least one milium): a site charted for it before is removed. The
    record validates itself (``full_clean``), whoever calls; ``ValidationError`` names the field.
    """
    consultation = _locked_draft(site_outcome.consultation_id, version)
    previous = site_outcome.previous_site
    offered = {p.pk: p for p in _planned_at(previous)}
    done_since = [offered[pk] for pk in treatment_ids if pk in offered]
    site_outcome.outcome = outcome
    site_outcome.outcome_on = outcome_on
    site_outcome.full_clean()
    site = site_outcome.site
    if outcome == Outcome.CLEARED:
        if site is not None:
            site_outcome.site = None
            site.delete()
    else:
        site = site or LesionSite(
            consultation=consultation, location=previous.location, side=previous.side
        )
        for name, value in site_fields.items():
            setattr(site, name, value)
        site.full_clean()
        site.save()
        site.tried.all().delete()
        tried = follow_up_tried(
            [(t.treatment, t.worked) for t in previous.tried.all()],
            [p.treatment.code for p in done_since],
            outcome,
        )
        for code, worked in tried:
            TriedTreatment.objects.create(site=site, treatment=code, worked=worked)
        site_outcome.site = site
    site_outcome.save()
    site_outcome.treatments.set(done_since)
    _bump_version(consultation)
    return site_outcome


@transaction.atomic
def site_outcome_remove(*, site_outcome: SiteOutcome, version: int | None) -> None:
    """Leave a carried site out of the follow-up (not assessed), with the site charted for it."""
    consultation = _locked_draft(site_outcome.consultation_id, version)
    if site_outcome.site is not None:
        site_outcome.site.delete()
    site_outcome.delete()
    _bump_version(consultation)


def follow_up_pending(consultation: Consultation) -> str:
    """Why a follow-up cannot be signed yet (the carried sites left to re-enter), or ""."""
    if consultation.follows_id is None:
        return ""
    pending = [
        str(carried.previous_site).lower()
        for carried in SiteOutcome.objects.filter(consultation=consultation)
        .select_related("previous_site")
        .order_by("id")
        if carried.is_pending
    ]
    if not pending:
        return ""
    return (
        f"Re-enter or remove the carried {'site' if len(pending) == 1 else 'sites'} "
        f"({get_text_list(pending, 'and')}) before signing."
    )


def follow_up_all_cleared(consultation: Consultation) -> bool:
    """A follow-up with no site charted whose carried sites all cleared (at least one)."""
    if consultation.follows_id is None or consultation.sites.all():
        return False
    found = set(
        SiteOutcome.objects.filter(consultation=consultation).values_list("outcome", flat=True)
    )
    return found == {Outcome.CLEARED}
