"""Reads: what a page shows, fetched in a fixed number of queries, as one object to render.

Views fetch through here, call one service for a write, and render; templates only print what
these return.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Max

from treatments import display, planning, services
from treatments.models import (
    ClinicalPhoto,
    Consultation,
    ConsultationAddendum,
    LesionSite,
    Patient,
    Plan,
    PlannedTreatment,
    Session,
    Treatment,
)
from treatments.permissions import can_change_consultation
from treatments.rules import CaseResult, Finding, InvalidCase, site_title


@dataclass(frozen=True)
class Chart:
    """A consultation as its page shows it: the sites, the advice and the plan.

    ``result`` is the advice: evaluated for a draft, the stored advice once signed (whatever
    rules version produced it), None while nothing is charted or when the rules refuse the chart
    (``refused`` then says why, so the page can show what to fix).
    """

    consultation: Consultation
    patient: Patient
    sites: list[LesionSite]
    result: CaseResult | None
    refused: str
    options: list[display.OptionRow] = field(default_factory=list)
    matrix: list[display.SiteRow] = field(default_factory=list)
    advice: tuple[Finding, ...] = ()
    plan: Plan | None = None
    can_edit: bool = False
    # Once signed: the addenda, oldest first.
    addenda: list[ConsultationAddendum] = field(default_factory=list)


def consultation_with_chart(pk: int) -> Consultation:
    """A consultation with its patient, clinician, sites and tried treatments, in three queries;
    ``Consultation.DoesNotExist`` when there is none."""
    return services.consultation_with_chart(pk)


def consultation_chart(pk: int, *, user) -> Chart:
    """The chart of a consultation for ``user``; ``Consultation.DoesNotExist`` when none."""
    consultation = services.consultation_with_chart(pk)
    sites = list(consultation.sites.all())
    refused = ""
    if consultation.is_signed:
        stored = consultation.recommendations.order_by("-requested_at", "-id").first()
        result = CaseResult.from_dict(stored.output) if stored else None
    else:
        try:
            result = services.consultation_evaluate(consultation)
        except InvalidCase as invalid:
            result, refused = None, display.case_refused(invalid.errors)
    names = dict(Treatment.objects.values_list("code", "name"))
    plan = Plan.objects.filter(consultation=consultation).with_treatments().first()
    return Chart(
        consultation=consultation,
        patient=consultation.patient,
        sites=sites,
        result=result,
        refused=refused,
        options=display.option_rows(result, names) if result else [],
        matrix=display.site_matrix(result, sites, names) if result else [],
        advice=result.advice if result else (),
        plan=plan,
        can_edit=can_change_consultation.test(user, consultation),
        addenda=consultation_addenda(consultation) if consultation.is_signed else [],
    )


def consultation_addenda(consultation: Consultation) -> list[ConsultationAddendum]:
    """The addenda of a consultation with their authors, oldest first, in one query."""
    return list(
        ConsultationAddendum.objects.filter(consultation=consultation)
        .select_related("author")
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class PlannedForSigning:
    """A chosen treatment as signing will book it: its sessions' dates (None: to be set)."""

    planned: PlannedTreatment
    session_dates: list[date | None]


@dataclass(frozen=True)
class SignReview:
    """What signing a draft will record: the chart, the chosen treatments with the sessions it
    will book, and the advice's rules version. ``problems`` (treatment code -> messages) or
    ``refused`` say what stops it from being signed as it stands."""

    consultation: Consultation
    patient: Patient
    sites: list[LesionSite]
    planned: list[PlannedForSigning]
    rules_version: str
    problems: dict[str, list[tuple[str, str]]]
    refused: str

    @property
    def overrides(self) -> list[PlannedTreatment]:
        """The choices that depart from the advice: with a reason, or flagged contraindicated."""
        return [
            row.planned
            for row in self.planned
            if row.planned.override_reason or row.planned.is_flagged
        ]


def consultation_sign_review(pk: int) -> SignReview:
    """The summary shown before signing; ``Consultation.DoesNotExist`` when none."""
    consultation = services.consultation_with_chart(pk)
    sites = list(consultation.sites.all())
    planned = services.planned_treatments_of(consultation)
    refused, problems, rules_version = "", {}, ""
    try:
        result = services.consultation_evaluate(consultation)
    except InvalidCase as invalid:
        result, refused = None, display.case_refused(invalid.errors)
    if result is not None:
        rules_version = result.rules_version
        problems = services.sign_problems(consultation, result, planned)
    elif not refused:
        refused = "Chart at least one lesion site before signing."
    return SignReview(
        consultation=consultation,
        patient=consultation.patient,
        sites=sites,
        planned=[
            PlannedForSigning(
                planned=p,
                session_dates=services.planned_session_dates(p),
            )
            for p in planned
        ],
        rules_version=rules_version,
        problems=problems,
        refused=refused,
    )


@dataclass(frozen=True)
class SessionToMark:
    """A session as its confirmation page shows it, with why marking it now needs a reason
    (``concerns``, empty when it needs none)."""

    session: Session
    patient: Patient
    concerns: list[str]


def session_to_mark(pk: int, *, on: date) -> SessionToMark:
    """A session of a signed plan, to be marked done on ``on``; ``Session.DoesNotExist`` when
    there is none."""
    session = Session.objects.of_signed_plans().with_patient().select_related("done_by").get(pk=pk)
    concerns = []
    if not session.is_done:
        concerns = planning.mark_done_concerns(
            number=session.number,
            scheduled_for=session.scheduled_for,
            on=on,
            earlier_not_done=Session.objects.earlier_not_done(session),
        )
    return SessionToMark(
        session=session,
        patient=session.planned_treatment.plan.consultation.patient,
        concerns=concerns,
    )


# --- Clinical photos ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SitePhotos:
    """One site's photos across the patient's visits (before and after), oldest first:
    every photo at the same location and side, whichever consultation charted it."""

    site: LesionSite
    consultation: Consultation
    patient: Patient
    photos: list[ClinicalPhoto]
    can_upload: bool


def site_photos(site_pk: int, *, user) -> SitePhotos:
    """``LesionSite.DoesNotExist`` if there is no such site. Two queries, however many
    photos and visits."""
    site = LesionSite.objects.select_related("consultation__patient").get(pk=site_pk)
    consultation = site.consultation
    photos = list(
        ClinicalPhoto.objects.filter(
            site__consultation__patient_id=consultation.patient_id,
            site__location=site.location,
            site__side=site.side,
        )
        .select_related("site__consultation")
        .order_by("site__consultation__date", "site__consultation_id", "taken_at", "id")
    )
    return SitePhotos(
        site=site,
        consultation=consultation,
        patient=consultation.patient,
        photos=photos,
        can_upload=user.has_perm("treatments.add_clinicalphoto")
        and can_change_consultation.test(user, consultation),
    )


@dataclass(frozen=True)
class PhotographedSite:
    title: str
    photos: int
    site_pk: int  # the latest visit's site at this location and side


def photographed_sites(patient: Patient) -> list[PhotographedSite]:
    """Each location and side of the patient that has photos, with how many: one query."""
    rows = (
        ClinicalPhoto.objects.filter(site__consultation__patient=patient)
        .values("site__location", "site__side")
        .annotate(photos=Count("id"), site_pk=Max("site_id"))
        .order_by("site__location", "site__side")
    )
    return [
        PhotographedSite(
            title=site_title(row["site__location"], row["site__side"]),
            photos=row["photos"],
            site_pk=row["site_pk"],
        )
        for row in rows
    ]
