"""What an aftercare sheet and a patient handout say, resolved from the record and the catalogue.

Plain functions that return frozen dataclasses holding every text the page prints, so the
templates (the browser's print view and the PDF share them) only print values. The patient texts
come from the ``Treatment`` and ``Handout`` rows that the clinic edits in the admin.

Queries: ``sheet_queryset()`` and ``Session.objects.scheduled_on()`` fetch what a sheet needs up
front, so one sheet, and a batch of any number of sheets, cost a fixed number of queries.
"""

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import dateformat, timezone
from django.utils.text import get_text_list

from treatments.catalogue import BODY_ONLY, EYE_ONLY, FACE_ONLY
from treatments.models import Consultation, Handout, PlannedTreatment, Session
from treatments.rules import EYE_AREA, FACE_AREA, LOCATIONS, site_words

WHY_NOT_AT_HOME = "why-not-at-home"
DATE_FORMAT = "l j F Y"  # Thursday 12 March 2026
NO_FURTHER_SESSION = "No further session is planned."
NEXT_SESSION_NOT_BOOKED = "Not booked yet. Please call us to book it."
# The locations each catalogue site tag stands for: a tagged line prints only when a treated
# site is among them.
TAGGED_AREAS = {
    EYE_ONLY.strip(): EYE_AREA,
    FACE_ONLY.strip(): FACE_AREA,
    BODY_ONLY.strip(): frozenset(LOCATIONS) - FACE_AREA,
}


@dataclass(frozen=True)
class AftercareSheet:
    """One page of aftercare for a planned treatment, as printed for one of its sessions."""

    clinic_name: str
    clinic_phone: str
    patient_name: str
    record_number: str
    date: str
    treatment_code: str
    treatment_name: str
    sites: str
    session_text: str
    next_session: str
    what_was_done: str
    what_to_expect: str
    do: tuple[str, ...]
    dont: tuple[str, ...]
    call_us: tuple[str, ...]
    diagnosis: str
    is_handout = False

    @property
    def patient_text(self) -> str:
        """Everything on the sheet that the patient reads, as prose (for the reading grade)."""
        return "\n".join(
            (self.what_was_done, self.what_to_expect, *self.do, *self.dont, *self.call_us)
        )


@dataclass(frozen=True)
class HandoutSheet:
    clinic_name: str
    clinic_phone: str
    title: str
    paragraphs: tuple[str, ...]
    is_handout = True


def sheet_queryset() -> QuerySet[PlannedTreatment]:
    """Planned treatments of signed consultations, with all a sheet needs, in three queries."""
    return (
        PlannedTreatment.objects.filter(plan__consultation__status=Consultation.Status.SIGNED)
        .select_related("treatment", "plan__consultation__patient")
        .prefetch_related(
            "sites", Prefetch("treatment_sessions", queryset=Session.objects.order_by("number"))
        )
    )


def session_of(planned: PlannedTreatment, session_pk: int | None) -> Session | None:
    """The session a sheet is printed for.

    ``session_pk`` given: that session, or ``Session.DoesNotExist`` when it is not one of this
    planned treatment's. Otherwise the first session not yet done, or the last one when all are.
    """
    sessions = _in_order(planned)
    if session_pk is not None:
        for session in sessions:
            if session.pk == session_pk:
                return session
        raise Session.DoesNotExist(f"Session {session_pk} is not part of this treatment.")
    pending = [session for session in sessions if not session.is_done]
    if pending:
        return pending[0]
    return sessions[-1] if sessions else None


def sheet_for(planned: PlannedTreatment, session: Session | None = None) -> AftercareSheet:
    """The aftercare sheet of a planned treatment (from ``sheet_queryset()``) for one session."""
    treatment = planned.treatment
    consultation = planned.plan.consultation
    patient = consultation.patient
    sessions = _in_order(planned)
    treated = planned.sites.all()
    locations = frozenset(site.location for site in treated)
    if session is None:
        day = timezone.localdate()
        session_text = ""
        later = []
    else:
        day = session.scheduled_for or timezone.localdate()
        session_text = f"Session {session.number} of {planned.sessions}"
        later = [s for s in sessions if s.number > session.number and not s.is_done]
    return AftercareSheet(
        clinic_name=settings.CLINIC_NAME,
        clinic_phone=settings.CLINIC_PHONE,
        patient_name=patient.full_name,
        record_number=patient.medical_record_number,
        date=long_date(day),
        treatment_code=treatment.code,
        treatment_name=treatment.patient_name,
        sites=sites_in_words(treated),
        session_text=session_text,
        next_session=_next_visit_text(planned.review_on, later),
        what_was_done=treatment.patient_what_was_done.strip(),
        what_to_expect=treatment.patient_what_to_expect.strip(),
        do=lines_for_sites(treatment.patient_do, locations),
        dont=lines_for_sites(treatment.patient_dont, locations),
        call_us=lines_for_sites(treatment.patient_call_us, locations),
        diagnosis=f"Milia (diagnosis code {consultation.diagnosis_code})",
    )


def sheets_for_sessions(sessions) -> list[AftercareSheet]:
    """One sheet per session, in order (sessions from ``Session.objects.scheduled_on()``)."""
    return [sheet_for(session.planned_treatment, session) for session in sessions]


def handout_sheet(handout: Handout) -> HandoutSheet:
    return HandoutSheet(
        clinic_name=settings.CLINIC_NAME,
        clinic_phone=settings.CLINIC_PHONE,
        title=handout.title.strip(),
        paragraphs=paragraphs(handout.body),
    )


def with_handout(sheets: list[AftercareSheet], handout: HandoutSheet | None) -> list:
    """The pages to print: the sheets, with the handout once per patient (after the last of
    their sheets) when one is given. The sheets of one patient come together, as
    ``sheets_for_sessions`` orders them."""
    if handout is None:
        return list(sheets)
    pages: list = []
    for _, patients_sheets in groupby(sheets, key=lambda sheet: sheet.record_number):
        pages.extend(patients_sheets)
        pages.append(handout)
    return pages


def sites_in_words(sites) -> str:
    """The sites as a patient reads them: "left eyelid and forehead"."""
    return get_text_list([site_words(site.location, site.side) for site in sites], "and")


def lines(text: str) -> tuple[str, ...]:
    """The points of a one-point-per-line admin text, blank lines dropped."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def lines_for_sites(text: str, locations: frozenset[str]) -> tuple[str, ...]:
    """The points of an admin text that apply to the treated locations, tags removed.

    A line that starts with a site tag (``[eye]``, ``[face]``, ``[body]``) is kept only when a
    treated location is in that area; other lines are always kept.
    """
    kept = []
    for line in lines(text):
        tag = next((tag for tag in TAGGED_AREAS if line.startswith(tag)), None)
        if tag is None:
            kept.append(line)
        elif TAGGED_AREAS[tag] & locations:
            kept.append(line.removeprefix(tag).strip())
    return tuple(kept)


def paragraphs(text: str) -> tuple[str, ...]:
    """The paragraphs of a text whose paragraphs are separated by a blank line."""
    blocks = text.replace("\r\n", "\n").split("\n\n")
    return tuple(" ".join(lines(block)) for block in blocks if block.strip())


def _in_order(planned: PlannedTreatment) -> list[Session]:
    return sorted(planned.treatment_sessions.all(), key=lambda session: session.number)


def long_date(day: date) -> str:
    return dateformat.format(day, DATE_FORMAT)


def _next_visit_text(review_on: date | None, later: list[Session]) -> str:
    """The next session, or for a home treatment its review (a visit to see how it works)."""
    if review_on is not None:
        return f"{long_date(review_on)}: a check-up to see how the treatment is working."
    return _next_session_text(later)


def _next_session_text(later: list[Session]) -> str:
    if not later:
        return NO_FURTHER_SESSION
    if later[0].scheduled_for is None:
        return NEXT_SESSION_NOT_BOOKED
    return long_date(later[0].scheduled_for)
