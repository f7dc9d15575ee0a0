"""Reads: what a page shows, fetched in a fixed number of queries, as one object to render.

Views fetch through here, call one service for a write, and render; templates only print what
these return.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Max, Prefetch, Q, prefetch_related_objects
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.text import get_text_list

from milia_clinic.prepared import PreparedRead
from treatments import dates, display, outcomes, planning, services
from treatments.models import (
    ClinicalPhoto,
    Consultation,
    ConsultationAddendum,
    LesionSite,
    Outcome,
    Patient,
    Plan,
    PlannedTreatment,
    Session,
    SiteOutcome,
    Treatment,
    plan_treatments,
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


# The chart page's reads besides the chart itself, their SQL written once per process.
_TREATMENT_NAMES = PreparedRead(lambda: Treatment.objects.values_list("code", "name"))
_PLAN = PreparedRead(lambda pk: Plan.objects.filter(consultation_id=pk))


def _plan_of(consultation_id: int) -> Plan | None:
    """A consultation's plan, if any, with its treatments (one query, three with a plan)."""
    found = _PLAN(consultation_id)
    prefetch_related_objects(found, plan_treatments())
    return found[0] if found else None


def consultation_chart(pk: int, *, user) -> Chart:
    """The chart of a consultation for ``user``; ``Consultation.DoesNotExist`` when none."""
    consultation = services.consultation_with_chart(pk)
    sites = list(consultation.sites.all())
    result, refused = _advice_of(consultation)
    names = dict(_TREATMENT_NAMES())
    plan = _plan_of(consultation.pk)
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


def _advice_of(consultation: Consultation) -> tuple[CaseResult | None, str]:
    """The advice a chart shows and, when the rules refuse the chart, why: evaluated for a
    draft, the stored advice once signed (None before anything was charted)."""
    if consultation.is_signed:
        stored = consultation.recommendations.order_by("-requested_at", "-id").first()
        return (CaseResult.from_dict(stored.output) if stored else None), ""
    try:
        return services.consultation_evaluate(consultation), ""
    except InvalidCase as invalid:
        return None, display.case_refused(invalid.errors)


@dataclass(frozen=True)
class SiteAdvice:
    """One site's ranked options, with their reasons and cautions, as the chart's advice has
    them now. ``changed``: the chart is no longer at the version the asking page showed."""

    consultation: Consultation
    patient: Patient
    site: LesionSite
    options: tuple[display.OptionRow, ...]
    refused: str
    changed: bool


def site_advice(site_pk: int, *, shown_version: int | None) -> SiteAdvice:
    """``LesionSite.DoesNotExist`` if there is no such site. Five queries (six once signed),
    however many sites."""
    consultation_id = LesionSite.objects.values_list("consultation_id", flat=True).get(pk=site_pk)
    try:
        consultation = services.consultation_with_chart(consultation_id)
    except Consultation.DoesNotExist:  # removed since the first read, with its sites
        raise LesionSite.DoesNotExist from None
    sites = list(consultation.sites.all())
    position = next((n for n, site in enumerate(sites) if site.pk == site_pk), None)
    if position is None:  # removed since the first read
        raise LesionSite.DoesNotExist
    result, refused = _advice_of(consultation)
    options = ()
    if result is not None:
        names = dict(_TREATMENT_NAMES())
        options = display.site_options(result.sites[position], names)
    return SiteAdvice(
        consultation=consultation,
        patient=consultation.patient,
        site=sites[position],
        options=options,
        refused=refused,
        changed=shown_version is not None and shown_version != consultation.version,
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
    elif not refused and not services.follow_up_all_cleared(consultation):
        refused = "Chart at least one lesion site before signing."
    refused = services.follow_up_pending(consultation) or refused
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
    every photo at the same location and side, whichever consultation charted it. Each photo
    carries ``removable``: it is this draft's and the user may remove it."""

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
    may_change = can_change_consultation.test(user, consultation)
    may_remove = may_change and user.has_perm("treatments.delete_clinicalphoto")
    for photo in photos:
        photo.removable = may_remove and photo.site_id == site.pk
    return SitePhotos(
        site=site,
        consultation=consultation,
        patient=consultation.patient,
        photos=photos,
        can_upload=may_change and user.has_perm("treatments.add_clinicalphoto"),
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


# --- Follow-up and outcomes (issue 16) ----------------------------------------------------------


def follow_up_carried(consultation: Consultation) -> list[SiteOutcome]:
    """The sites a follow-up carries from the consultation it follows, with their outcome, new
    site and the treatments done there since, in three queries; none for another consultation."""
    if consultation.follows_id is None:
        return []
    return list(
        SiteOutcome.objects.filter(consultation=consultation)
        .select_related("previous_site", "site")
        .prefetch_related(
            Prefetch("treatments", queryset=PlannedTreatment.objects.select_related("treatment"))
        )
        .order_by("id")
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One dated event of a patient's care: a consultation, a session done, an outcome."""

    on: date
    kind: str  # "consultation", "session" or "outcome"
    text: str
    url: str = ""
    outcome: str = ""

    @property
    def day(self) -> str:
        return dates.day(self.on)

    @property
    def iso(self) -> str:
        return self.on.isoformat()


@dataclass(frozen=True)
class PatientOutcomes:
    """A patient's care at a glance: the timeline (oldest first), one count chart per site, and
    the same counts as a table (one row per site, one column per signed consultation, headed by
    its date)."""

    timeline: list[TimelineEntry]
    charts: list[outcomes.SiteChart]
    table_dates: list[date]
    table_rows: list[tuple[str, list[int | None]]]

    @property
    def table_heads(self) -> list[str]:
        """The table's dates, as printed."""
        return [dates.day(on) for on in self.table_dates]

    @property
    def table_cells(self) -> list[tuple[str, list[str]]]:
        """The table's rows, as printed."""
        return [(site, list(map(outcomes.count_cell, counts))) for site, counts in self.table_rows]


def patient_outcomes(patient: Patient, consultations, sessions) -> PatientOutcomes:
    """What the patient page shows of outcomes, in four queries whatever the number of visits;
    ``consultations`` and ``sessions`` are the lists the page already shows (no query here)."""
    signed = LesionSite.objects.filter(
        consultation__patient=patient, consultation__status=Consultation.Status.SIGNED
    )
    counts = [
        outcomes.CountSeen(site_title(location, side), on, count, visit)
        for on, visit, location, side, count in signed.order_by(
            "consultation__date", "id"
        ).values_list("consultation__date", "consultation_id", "location", "side", "count")
    ]
    signed_outcomes = SiteOutcome.objects.filter(
        consultation__patient=patient, consultation__status=Consultation.Status.SIGNED
    ).exclude(outcome="")
    recorded = list(
        signed_outcomes.select_related("consultation", "previous_site").order_by("outcome_on", "id")
    )
    # One query, whether or not there are outcomes (a prefetch would skip it when there are none).
    done_before: dict[int, list[str]] = {}
    for outcome_id, name in SiteOutcome.treatments.through.objects.filter(
        siteoutcome__in=signed_outcomes
    ).values_list("siteoutcome_id", "plannedtreatment__treatment__name"):
        done_before.setdefault(outcome_id, []).append(name.lower())
    counts += [
        outcomes.CountSeen(str(o.previous_site), o.consultation.date, 0, o.consultation_id)
        for o in recorded
        if o.outcome == Outcome.CLEARED
    ]
    sites_of: dict[int, list[str]] = {}
    for planned_id, location, side in PlannedTreatment.sites.through.objects.filter(
        plannedtreatment__plan__consultation__patient=patient
    ).values_list("plannedtreatment_id", "lesionsite__location", "lesionsite__side"):
        sites_of.setdefault(planned_id, []).append(site_title(location, side))
    done = [s for s in sessions if s.is_done]
    marks = [
        outcomes.SessionDone(
            site,
            timezone.localdate(s.done_at),
            s.planned_treatment.treatment.code,
            s.planned_treatment.treatment.name,
        )
        for s in done
        for site in sites_of.get(s.planned_treatment_id, [])
    ]
    timeline = [
        TimelineEntry(
            c.date,
            "consultation",
            f"{'Follow-up' if c.follows_id else 'Consultation'} "
            f"({c.get_status_display().lower()}): {c.site_count} site{pluralize(c.site_count)}",
            c.get_absolute_url(),
        )
        for c in consultations
    ]
    timeline += [
        TimelineEntry(
            timezone.localdate(s.done_at),
            "session",
            f"{s.planned_treatment.treatment.name}, session {s.number}"
            + (
                f" ({get_text_list(sites_of[s.planned_treatment_id], 'and')})"
                if s.planned_treatment_id in sites_of
                else ""
            ),
        )
        for s in done
    ]
    timeline += [
        TimelineEntry(
            o.outcome_on,
            "outcome",
            f"{o.previous_site}: {o.get_outcome_display().lower()}"
            + (" after " + get_text_list(done_before[o.pk], "and") if o.pk in done_before else ""),
            outcome=o.outcome,
        )
        for o in recorded
    ]
    kinds = {"consultation": 0, "session": 1, "outcome": 2}
    timeline.sort(key=lambda entry: (entry.on, kinds[entry.kind]))
    visits = sorted({(c.on, c.visit) for c in counts})
    by_site: dict[str, dict[tuple, int]] = {}
    for c in counts:
        by_site.setdefault(c.site, {})[(c.on, c.visit)] = c.count
    return PatientOutcomes(
        timeline=timeline,
        charts=outcomes.site_charts(counts, marks),
        table_dates=[on for on, _ in visits],
        table_rows=[(site, [seen.get(v) for v in visits]) for site, seen in by_site.items()],
    )


@dataclass(frozen=True)
class OutcomeReportRow:
    """Sites with each outcome (in ``Outcome`` order) after a treatment and a number of
    sessions done (None: a home treatment, which has no sessions)."""

    treatment: str
    sessions_done: int | None
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(outcome label, count), in ``Outcome`` order."""
        return list(zip(Outcome.labels, self.counts, strict=True))


def outcome_report() -> list[OutcomeReportRow]:
    """Per treatment and number of sessions done, how many sites of signed follow-ups had each
    outcome: counts, not a measure of efficacy. One query."""
    rows = (
        SiteOutcome.treatments.through.objects.filter(
            siteoutcome__consultation__status=Consultation.Status.SIGNED
        )
        .exclude(siteoutcome__outcome="")
        .values(
            "id",
            "plannedtreatment__treatment__name",
            "plannedtreatment__treatment__display_order",
            "plannedtreatment__sessions",
            "siteoutcome__outcome",
        )
        .annotate(
            # The sessions done by the time the outcome was seen, not those done since.
            done=Count(
                "plannedtreatment__treatment_sessions",
                filter=Q(
                    plannedtreatment__treatment_sessions__done_at__date__lte=F(
                        "siteoutcome__outcome_on"
                    )
                ),
            )
        )
    )
    tally: dict[tuple, list[int]] = {}
    for row in rows:
        at_home = row["plannedtreatment__sessions"] is None
        key = (
            row["plannedtreatment__treatment__display_order"],
            row["plannedtreatment__treatment__name"],
            -1 if at_home else row["done"],
        )
        counts = tally.setdefault(key, [0] * len(Outcome.values))
        counts[Outcome.values.index(row["siteoutcome__outcome"])] += 1
    return [
        OutcomeReportRow(name, None if done < 0 else done, counts)
        for (_, name, done), counts in sorted(tally.items())
    ]


def outcome_report_lines() -> list[list]:
    """The outcome report as CSV lines, the header first."""
    header = ["treatment", "sessions done", *Outcome.labels, "sites"]
    return [header] + [
        [
            row.treatment,
            "at home" if row.sessions_done is None else row.sessions_done,
            *row.counts,
            row.total,
        ]
        for row in outcome_report()
    ]
