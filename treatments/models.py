"""The clinical record: patients, consultations with their lesion sites, the treatment catalogue,
the stored advice, and the plan the clinician chose.

The vocabularies are built from the codes and labels of ``treatments.rules.vocabulary``, so what
is stored can be handed to the rules unchanged and every page names it the same way.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from treatments import text
from treatments.rules import (
    DEPTH_LABELS,
    EYE_AREA,
    FITZPATRICK_LABELS,
    LOCATION_LABELS,
    MAX_AGE_YEARS,
    MAX_COUNT,
    MAX_FITZPATRICK,
    MAX_LARGEST_MM,
    MAX_MONTHS_PRESENT,
    MAX_SITES,
    MILIA_TYPE_LABELS,
    MIN_COUNT,
    MIN_LARGEST_MM,
    OUTCOME_LABELS,
    SIDE_LABELS,
    TREATMENT_LABELS,
    site_overlap_text,
    site_title,
    sites_overlap,
)

# One set of limits: what the rules refuse, the record refuses too (a chart the rules cannot
# evaluate could never show its advice).
from treatments.rules.vocabulary import PHOTO_CONSENT_LABELS


def _choices(name: str, labels: dict[str, str]) -> type[models.TextChoices]:
    """``TextChoices`` from a vocabulary of the rules: member EYELID = "eyelid", "Eyelid"."""
    return models.TextChoices(
        name, [(code.upper(), (code, label)) for code, label in labels.items()]
    )


TreatmentCode = _choices("TreatmentCode", TREATMENT_LABELS)
Location = _choices("Location", LOCATION_LABELS)
Side = _choices("Side", SIDE_LABELS)
Depth = _choices("Depth", DEPTH_LABELS)
MiliaType = _choices("MiliaType", MILIA_TYPE_LABELS)
PhotoConsent = _choices("PhotoConsent", PHOTO_CONSENT_LABELS)
Outcome = _choices("Outcome", OUTCOME_LABELS)

# The delicate skin around the eye: cryotherapy is never offered here.
EYE_AREA_LOCATIONS = frozenset(Location(code) for code in EYE_AREA)


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"


class SearchKeyField(models.TextField):
    """The folded text a row is searched by: ``treatments.text.search_key`` of its ``sources``,
    set on every save from the fields it folds (as ``auto_now`` sets a time), never typed.
    A ``QuerySet.update`` of a source field, or a save with ``update_fields`` leaving this one
    out, skips it: the record's writes go through ``save`` (services, admin)."""

    def __init__(self, *args, sources: tuple[str, ...] = (), **kwargs):
        self.sources = tuple(sources)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = text.search_key(*(getattr(model_instance, name) for name in self.sources))
        setattr(model_instance, self.attname, value)
        return value


class PatientQuerySet(models.QuerySet):
    def search(self, query: str) -> "PatientQuerySet":
        """Patients matching every word typed in a name or the record number: anywhere in it,
        or at its start for a word of one or two letters (``text.WORD_START_BELOW``), and
        blind to case, accents, apostrophes and hyphens (``treatments.text``). One condition
        per word on the stored key, which PostgreSQL answers from a trigram index (0013)."""
        matches = self
        for term in text.search_terms(query):
            if len(term) < text.WORD_START_BELOW:
                # The words of the key are separated by one space (text.search_key).
                found = Q(search_key__startswith=term) | Q(search_key__contains=f" {term}")
            else:
                found = Q(search_key__contains=term)
            matches = matches.filter(found)
        return matches


class Patient(models.Model):
    medical_record_number = models.CharField("record number", max_length=32, unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    fitzpatrick = models.PositiveSmallIntegerField(
        "Fitzpatrick skin type",
        null=True,
        blank=True,
        choices=list(FITZPATRICK_LABELS.items()),
        error_messages={"invalid_choice": "Choose a skin type from I to VI, or none."},
        validators=[MinValueValidator(1), MaxValueValidator(MAX_FITZPATRICK)],
        help_text="I to VI; leave empty if not assessed.",
    )
    pregnant = models.BooleanField(default=False)
    breastfeeding = models.BooleanField(default=False)
    isotretinoin_last_6_months = models.BooleanField(
        "isotretinoin in the last 6 months", default=False
    )
    herpes_simplex_history = models.BooleanField("history of cold sores", default=False)
    cold_intolerance = models.BooleanField(
        default=False,
        help_text="Cryoglobulinaemia, cryofibrinogenaemia, Raynaud's or cold urticaria.",
    )
    keloid_tendency = models.BooleanField(
        "keloids or raised scars",
        default=False,
        help_text="Has formed keloids or raised (hypertrophic) scars before.",
    )
    anticoagulant = models.BooleanField(
        "takes an anticoagulant",
        default=False,
        help_text="Warfarin, a DOAC, heparin, or an antiplatelet such as clopidogrel.",
    )
    photosensitising_drug = models.BooleanField(
        "takes a photosensitising drug",
        default=False,
        help_text="A drug that makes the skin burn easily in light, e.g. doxycycline, "
        "a thiazide or amiodarone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_key = SearchKeyField(sources=("given_name", "family_name", "medical_record_number"))

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "medical_record_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fitzpatrick__isnull=True)
                | Q(fitzpatrick__gte=1, fitzpatrick__lte=MAX_FITZPATRICK),
                name="patient_fitzpatrick_1_to_6",
                violation_error_message="The skin type must be from I to VI, or not assessed.",
            ),
            models.CheckConstraint(
                condition=~Q(medical_record_number=""),
                name="patient_record_number_not_blank",
                violation_error_message="Enter the record number.",
            ),
        ]
        indexes = [
            models.Index(Lower("family_name"), Lower("given_name"), name="patient_name_lower"),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.medical_record_number})"

    def get_absolute_url(self):
        return reverse("treatments:patient_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


# An ICD-10-CM code: a letter, two characters, then up to four after a dot ("L72.0").
ICD10CM_CODE = RegexValidator(
    r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$",
    message="Enter an ICD-10-CM code such as L72.0.",
    code="icd10cm",
)


def default_diagnosis_code() -> str:
    """The code a new consultation records: the clinic's setting ``MILIA_ICD10_CODE``."""
    return settings.MILIA_ICD10_CODE


class Consultation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consultations")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations"
    )
    date = models.DateField(default=timezone.localdate)
    milia_type = models.CharField(max_length=20, choices=MiliaType.choices, default="primary")
    diagnosis_code = models.CharField(
        "diagnosis code (ICD-10-CM)",
        max_length=8,
        default=default_diagnosis_code,
        validators=[ICD10CM_CODE],
        help_text="Milia are usually coded L72.0; some services use L72.8.",
    )
    recurrent = models.BooleanField("history of recurrence", default=False)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    # Who signed, and the role they signed in, as it was at signing (a record keeps its signature).
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    signed_by_role = models.CharField(max_length=100, blank=True, editable=False)
    # Bumped on every change, so a second clinician's stale save can be refused.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The signed consultation this one follows up (services.follow_up_start), if any.
    follows = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="follow_ups",
    )

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True)
                | Q(status="signed", signed_at__isnull=False),
                name="consultation_signed_has_time",
                violation_error_message="A signed consultation needs the time it was signed, "
                "and a draft has none.",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-date"], name="consultation_patient_date")]

    def __str__(self):
        return f"Consultation {self.pk} for {self.patient} on {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("treatments:consultation_detail", args=[self.pk])

    def clean(self):
        """The date lies between the patient's birth (age within the rules' range) and today."""
        super().clean()
        if self.date is None or self.patient_id is None:
            return
        born = self.patient.date_of_birth
        if self.date < born:
            raise ValidationError(
                {"date": "The consultation cannot be dated before the patient's birth."},
                code="before_birth",
            )
        if self.date > timezone.localdate():
            raise ValidationError(
                {"date": "The consultation cannot be dated in the future."}, code="future"
            )
        if _age_on(born, self.date) > MAX_AGE_YEARS:
            raise ValidationError(
                {"date": f"The patient would be over {MAX_AGE_YEARS} on this date: check it."},
                code="too_old",
            )

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


def refuse_if_signed(consultation) -> None:
    """Model validation (the admin's forms run it): nothing is added or changed under a signed
    consultation. The services and the database refuse it too."""
    if consultation is not None and consultation.is_signed:
        raise ValidationError(
            "This consultation is signed and can no longer be changed.", code="signed"
        )


def _age_on(born, on) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class LesionSite(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="sites")
    location = models.CharField(max_length=20, choices=Location.choices)
    side = models.CharField(max_length=10, choices=Side.choices)
    count = models.PositiveIntegerField(
        "number of milia", validators=[MinValueValidator(MIN_COUNT), MaxValueValidator(MAX_COUNT)]
    )
    largest_mm = models.DecimalField(
        "largest diameter (mm)",
        max_digits=4,
        decimal_places=1,
        validators=[
            MinValueValidator(Decimal(str(MIN_LARGEST_MM))),
            MaxValueValidator(MAX_LARGEST_MM),
        ],
    )
    depth = models.CharField(max_length=12, choices=Depth.choices, default=Depth.SUPERFICIAL)
    months_present = models.PositiveIntegerField(
        "months present", validators=[MaxValueValidator(MAX_MONTHS_PRESENT)]
    )
    red_flags = models.BooleanField(
        "warning signs",
        default=False,
        help_text="Growing, bleeding, ulcerated or pigmented: no freezing or laser here before "
        "a biopsy or referral.",
    )
    active_inflammation = models.BooleanField(
        "inflamed now",
        default=False,
        help_text="Infection, a cold sore or dermatitis at this site today.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gte=1),
                name="site_count_at_least_1",
                violation_error_message="A site has at least 1 milium.",
            ),
            models.CheckConstraint(
                condition=Q(largest_mm__gt=0),
                name="site_largest_mm_positive",
                violation_error_message="The largest diameter must be greater than 0 mm.",
            ),
            models.CheckConstraint(
                condition=Q(months_present__gte=0),
                name="site_months_not_negative",
                violation_error_message="The months present cannot be negative.",
            ),
            models.UniqueConstraint(
                fields=["consultation", "location", "side"],
                name="site_unique_location_side",
                violation_error_message="This consultation already charts a site at this "
                "location and side: edit that one instead.",
            ),
        ]

    def __str__(self):
        return site_title(self.location, self.side)

    @property
    def eye_area(self) -> bool:
        return self.location in EYE_AREA_LOCATIONS

    def clean(self):
        super().clean()
        if self.consultation_id is not None:
            refuse_if_signed(self.consultation)
        adding_to = self.consultation if self._state.adding and self.consultation_id else None
        if adding_to is not None and adding_to.sites.count() >= MAX_SITES:
            raise ValidationError(
                f"A consultation can chart at most {MAX_SITES} sites.", code="too_many_sites"
            )
        existing = self.overlapping_site()
        if existing is not None:
            raise ValidationError(
                {
                    "side": ValidationError(
                        site_overlap_text(
                            (self.location, self.side), (existing.location, existing.side)
                        ),
                        code="overlapping_site",
                    )
                }
            )

    def overlapping_site(self) -> "LesionSite | None":
        """The site of the same consultation that this one overlaps (the same location on a
        shared side: ``rules.sites_overlap``), if any."""
        if self.consultation_id is None or not self.location or self.side not in Side.values:
            return None
        same_location = LesionSite.objects.filter(
            consultation_id=self.consultation_id, location=self.location
        ).exclude(pk=self.pk)
        here = (self.location, self.side)
        return next(
            (site for site in same_location if sites_overlap(here, (site.location, site.side))),
            None,
        )


class TriedTreatment(models.Model):
    """A treatment already tried at a site before this consultation, and whether it worked."""

    site = models.ForeignKey(LesionSite, on_delete=models.CASCADE, related_name="tried")
    treatment = models.CharField(max_length=20, choices=TreatmentCode.choices)
    worked = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "treatment"],
                name="tried_once_per_site",
                violation_error_message="This treatment is already recorded as tried at this site.",
            ),
        ]

    def __str__(self):
        outcome = "worked" if self.worked else "did not work"
        return f"{self.get_treatment_display()} ({outcome})"

    def clean(self):
        super().clean()
        if self.site_id is not None:
            refuse_if_signed(self.site.consultation)


class ClinicalPhoto(models.Model):
    """A photo of a lesion site, as stored after ``treatments.photos`` checked and cleaned it
    (re-encoded from its pixels: no EXIF, no GPS, no appended bytes), with its thumbnail.

    The files are in the private ``photos`` storage under random names; only the view that
    checks the role and writes an audit event serves them. Final once the consultation is
    signed (the services and the database refuse any change: migration 0017).
    """

    site = models.ForeignKey(LesionSite, on_delete=models.CASCADE, related_name="photos")
    image_name = models.CharField(max_length=255, unique=True, editable=False)
    thumbnail_name = models.CharField(max_length=255, unique=True, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    # SHA-256 of the stored image: what is served is what was stored.
    sha256 = models.CharField("content hash (SHA-256)", max_length=64, editable=False)
    consent = models.CharField(
        "consent to use the photo", max_length=10, choices=PhotoConsent.choices
    )
    # When the camera took it (from the photo's own date, if it carried one), else uploaded_at.
    taken_at = models.DateTimeField()
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["taken_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(width__gte=1) & Q(height__gte=1),
                name="photo_has_pixels",
                violation_error_message="A photo is at least one pixel wide and high.",
            ),
        ]

    def __str__(self):
        return f"Photo {self.pk} of {self.site}"

    def clean(self):
        super().clean()
        if self.site_id is not None:
            refuse_if_signed(self.site.consultation)


PATIENT_LINES_HELP = (
    "One point per line. Start a line with [eye], [face] or [body] to print it only when a "
    "treated site is in the eye area, on the face or on the body."
)


class Treatment(models.Model):
    """The catalogue entry of one professional treatment; its texts are edited in the admin."""

    code = models.CharField(max_length=20, choices=TreatmentCode.choices, unique=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100)
    patient_name = models.CharField(
        max_length=100, help_text="The plain-language name printed for patients."
    )
    summary = models.TextField()
    how_it_works = models.TextField()
    who_it_is_for = models.TextField()
    what_to_expect = models.TextField()
    typical_course = models.TextField()
    default_sessions = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    default_interval_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    patient_what_was_done = models.TextField("what was done (for the patient)")
    patient_what_to_expect = models.TextField("what to expect (for the patient)")
    patient_do = models.TextField("do (for the patient)", help_text=PATIENT_LINES_HELP)
    patient_dont = models.TextField("don't (for the patient)", help_text=PATIENT_LINES_HELP)
    patient_call_us = models.TextField(
        "when to call the clinic (for the patient)", help_text=PATIENT_LINES_HELP
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_sessions__isnull=True) | Q(default_sessions__gte=1),
                name="treatment_default_sessions_at_least_1",
                violation_error_message="A default course has at least 1 session, or none is set.",
            ),
        ]

    def __str__(self):
        return self.name


class Handout(models.Model):
    """A patient handout that is not tied to one treatment, such as why not to squeeze at home."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Paragraphs separated by a blank line.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


ADDENDUM_MAX_CHARS = 4000


class ConsultationAddendum(models.Model):
    """A dated, signed note added to a signed consultation: append-only, never changed or removed
    (the services, the admin and the database refuse it: migration 0013)."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(
        validators=[MaxLengthValidator(ADDENDUM_MAX_CHARS)],
        help_text=f"At most {ADDENDUM_MAX_CHARS} characters.",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The role the author wrote in, as it was then.
    author_role = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="addendum_text_not_blank",
                violation_error_message="Write the addendum.",
            ),
        ]

    def __str__(self):
        return f"Addendum {self.pk} to {self.consultation}"

    def clean(self):
        super().clean()
        if self.consultation_id is not None and not self.consultation.is_signed:
            raise ValidationError(
                "An addendum is added to a signed consultation; change the draft itself.",
                code="not_signed",
            )


class Recommendation(models.Model):
    """What the rules advised for a consultation, stored unchanged with the rules version."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="recommendations"
    )
    rules_version = models.CharField(max_length=40)
    input_facts = models.JSONField()
    output = models.JSONField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-requested_at", "-id"]
        get_latest_by = "requested_at"

    def __str__(self):
        return f"Recommendation {self.pk} (rules {self.rules_version})"


def plan_treatments() -> models.Prefetch:
    """A plan's planned treatments with their treatment and sites, to prefetch (two queries)."""
    return models.Prefetch(
        "treatments",
        queryset=PlannedTreatment.objects.select_related("treatment").prefetch_related("sites"),
    )


class PlanQuerySet(models.QuerySet):
    def with_treatments(self) -> "PlanQuerySet":
        """Each plan with its planned treatments, their treatment and sites: three queries."""
        return self.prefetch_related(plan_treatments())


class Plan(models.Model):
    """The treatments the clinician chose for a consultation."""

    consultation = models.OneToOneField(Consultation, on_delete=models.PROTECT, related_name="plan")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    notes = models.TextField(blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Plan for {self.consultation}"

    def clean(self):
        super().clean()
        if self.consultation_id is not None:
            refuse_if_signed(self.consultation)


class PlannedTreatmentQuerySet(models.QuerySet):
    def reviews_from(self, on: date | None = None, *, until: date | None = None):
        """Home treatments of signed plans whose review falls on ``on`` (default: today) or
        later (up to ``until`` when given), soonest first, with their patient."""
        on = on or timezone.localdate()
        found = self.filter(plan__consultation__status="signed", review_on__gte=on)
        if until is not None:
            found = found.filter(review_on__lte=until)
        return found.select_related("treatment", "plan__consultation__patient").order_by(
            "review_on", "id"
        )

    def reviews_of(self, patient):
        """A patient's home treatments of signed plans with their review dates, past ones too,
        soonest first."""
        return (
            self.filter(
                plan__consultation__status="signed",
                plan__consultation__patient=patient,
                review_on__isnull=False,
            )
            .select_related("treatment", "plan__consultation__patient")
            .order_by("review_on", "id")
        )


class PlannedTreatment(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="treatments")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    sites = models.ManyToManyField(LesionSite, related_name="planned_treatments")
    # None for a home treatment (the retinoid): it has no sessions at the clinic, a review.
    sessions = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    interval_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    product_notes = models.CharField("product and strength", max_length=200, blank=True)
    starts_on = models.DateField("first session", null=True, blank=True)
    review_on = models.DateField(
        "review", null=True, blank=True, help_text="When a home treatment is reviewed."
    )
    # Required by the workflow when the choice departs from the first-ranked option or is
    # contraindicated: the clinician's feedback that decision-support standards ask for.
    override_reason = models.TextField(blank=True)
    # Where the advice said contraindicated when this was planned ("left cheek"), empty when
    # nowhere; kept with the plan so that staff see the flag on every list before the patient.
    contraindicated_at = models.CharField(
        "contraindicated at", max_length=500, blank=True, editable=False
    )
    contraindication_accepted = models.BooleanField(
        "contraindication accepted", default=False, editable=False
    )

    objects = PlannedTreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions__isnull=True) | Q(sessions__gte=1),
                name="planned_sessions_at_least_1",
                violation_error_message="A planned treatment has at least 1 session, or none "
                "at the clinic (a home treatment).",
            ),
            models.CheckConstraint(
                condition=Q(interval_weeks__isnull=True) | Q(interval_weeks__gte=1),
                name="planned_interval_at_least_1_week",
                violation_error_message="The interval between sessions is at least 1 week.",
            ),
            models.UniqueConstraint(
                fields=["plan", "treatment"],
                name="planned_treatment_once",
                violation_error_message="This treatment is already part of the plan.",
            ),
        ]

    def __str__(self):
        if self.sessions is None:
            return f"{self.treatment} (at home)"
        return f"{self.treatment} × {self.sessions}"

    @property
    def is_flagged(self) -> bool:
        """Planned although contraindicated at one of its sites."""
        return bool(self.contraindicated_at)

    def clean(self):
        super().clean()
        if self.plan_id is not None:
            refuse_if_signed(self.plan.consultation)


class SessionQuerySet(models.QuerySet):
    """The sessions staff work from: those of signed plans only (a draft's are not real yet)."""

    def of_signed_plans(self) -> "SessionQuerySet":
        return self.filter(planned_treatment__plan__consultation__status="signed")

    def with_patient(self) -> "SessionQuerySet":
        return self.select_related(
            "planned_treatment__treatment", "planned_treatment__plan__consultation__patient"
        )

    def upcoming(self, on: date | None = None) -> "SessionQuerySet":
        """Not done yet and due on ``on`` (default: today, in the clinic's time zone) or later,
        soonest first."""
        on = on or timezone.localdate()
        return (
            self.of_signed_plans()
            .filter(done_at__isnull=True, scheduled_for__gte=on)
            .with_patient()
            .order_by("scheduled_for", "id")
        )

    def listed_from(self, on: date | None = None) -> "SessionQuerySet":
        """Due on ``on`` (default: today) or later, done or not (a done one shows as done),
        soonest first."""
        on = on or timezone.localdate()
        return (
            self.of_signed_plans()
            .filter(scheduled_for__gte=on)
            .with_patient()
            .select_related("done_by")
            .order_by("scheduled_for", "id")
        )

    def earlier_not_done(self, session: "Session") -> list[int]:
        """The numbers of the sessions of ``session``'s course before it that are not done."""
        return list(
            self.filter(
                planned_treatment=session.planned_treatment_id,
                number__lt=session.number,
                done_at__isnull=True,
            )
            .order_by("number")
            .values_list("number", flat=True)
        )

    def history_of(self, patient) -> "SessionQuerySet":
        """Every session of a patient's signed plans, done or not, by date (undated last)."""
        return (
            self.of_signed_plans()
            .filter(planned_treatment__plan__consultation__patient=patient)
            .with_patient()
            .select_related("done_by")
            .order_by(models.F("scheduled_for").asc(nulls_last=True), "planned_treatment", "number")
        )

    def scheduled_on(self, day: date | None = None) -> "SessionQuerySet":
        """Due on ``day`` (default: today), done or not, with everything their aftercare sheets
        need, by patient then treatment: three queries whatever the number of sessions."""
        day = day or timezone.localdate()
        return (
            self.of_signed_plans()
            .filter(scheduled_for=day)
            .with_patient()
            .select_related("done_by")
            .prefetch_related(
                "planned_treatment__sites",
                models.Prefetch(
                    "planned_treatment__treatment_sessions",
                    queryset=Session.objects.order_by("number"),
                ),
            )
            .order_by(
                "planned_treatment__plan__consultation__patient__family_name",
                "planned_treatment__plan__consultation__patient__given_name",
                "planned_treatment__plan__consultation__patient__id",
                "planned_treatment__treatment__display_order",
                "id",
            )
        )


class Session(models.Model):
    planned_treatment = models.ForeignKey(
        PlannedTreatment, on_delete=models.CASCADE, related_name="treatment_sessions"
    )
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    scheduled_for = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Why it was marked done before its date or before an earlier session (empty otherwise).
    done_reason = models.TextField("reason for marking it done", blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_for", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="session_number_at_least_1",
                violation_error_message="Sessions are numbered from 1.",
            ),
            models.UniqueConstraint(
                fields=["planned_treatment", "number"],
                name="session_number_unique",
                violation_error_message="This treatment already has a session with this number.",
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True)
                | Q(done_at__isnull=False, done_by__isnull=False),
                name="session_done_has_who_and_when",
                violation_error_message="A session done says when and by whom; one not done "
                "says neither.",
            ),
        ]
        indexes = [models.Index(fields=["scheduled_for"], name="session_scheduled_for")]

    def __str__(self):
        return f"Session {self.number} of {self.planned_treatment}"

    def clean(self):
        super().clean()
        # Sessions are scheduled by signing; once signed, only marking one done remains.
        if self._state.adding and self.planned_treatment_id is not None:
            refuse_if_signed(self.planned_treatment.plan.consultation)

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_undoable(self) -> bool:
        """Marked done today (in the clinic's time zone), so it may still be undone."""
        return self.done_at is not None and timezone.localdate(self.done_at) == (
            timezone.localdate()
        )


# --- EHR integration (issue 15): CDS Hooks clients, issued cards, their feedback --------------


class EhrClient(models.Model):
    """An EHR allowed to call the CDS Hooks services, with the key that signs its tokens.

    The key is stored here by the clinic admin (a JWKS document or a PEM public key); the app
    never fetches a key from the network (no ``jku`` lookups).
    """

    name = models.CharField(max_length=100, unique=True)
    issuer = models.CharField(
        "issuer (iss)",
        max_length=255,
        unique=True,
        help_text="The iss claim of the EHR's tokens, as the EHR sends it.",
    )
    jwks = models.JSONField(
        "JWKS",
        null=True,
        blank=True,
        help_text='The EHR\'s public JSON Web Key Set: {"keys": [...]}.',
    )
    public_key_pem = models.TextField(
        "public key (PEM)",
        blank=True,
        help_text="Or a PEM public key (-----BEGIN PUBLIC KEY-----), if the EHR has no JWKS.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "EHR client"

    def __str__(self):
        return self.name


class UsedToken(models.Model):
    """A token id (jti) already accepted from an EHR, kept until the token expires: a second
    request with the same token is a replay and is refused."""

    issuer = models.CharField(max_length=255)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "jti"],
                name="usedtoken_once",
                violation_error_message="This token has already been used.",
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="usedtoken_expires_at")]

    def __str__(self):
        return f"{self.issuer} {self.jti}"


class CdsCard(models.Model):
    """A card the CDS service answered, kept so that the EHR's feedback (which names only the
    card's uuid) can be traced to the rule that said it."""

    uuid = models.UUIDField(unique=True)
    ehr_client = models.ForeignKey(EhrClient, on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=40)
    hook_instance = models.CharField(max_length=100)
    rule = models.CharField(max_length=40, blank=True)
    indicator = models.CharField(max_length=10)
    summary = models.CharField(max_length=140)
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.indicator}: {self.summary}"


class CdsFeedback(models.Model):
    """What the EHR reported about a card: accepted or overridden, with the override reason
    (ONC 170.315(b)(11) feedback on decision support)."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        OVERRIDDEN = "overridden", "Overridden"

    card = models.ForeignKey(CdsCard, on_delete=models.PROTECT, related_name="feedback")
    ehr_client = models.ForeignKey(EhrClient, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    override_code = models.CharField(max_length=100, blank=True)
    override_system = models.CharField(max_length=255, blank=True)
    override_display = models.CharField(max_length=255, blank=True)
    user_comment = models.TextField(blank=True)
    accepted_suggestions = models.JSONField(default=list, blank=True)
    outcome_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.get_outcome_display()}: {self.card}"


# --- Follow-up (issue 16) ------------------------------------------------------------------------


class SiteOutcome(models.Model):
    """What became of a site of the consultation a follow-up continues, since that visit.

    Starting a follow-up carries each earlier site here with no outcome and no new site yet: the
    count and size are re-entered, never copied. Recording the outcome charts the new site
    (``site``), except when the site cleared (nothing left to chart). A carried site without its
    outcome, or whose new site was removed, is pending, and a follow-up with a pending site
    cannot be signed (``services.follow_up_pending``).
    """

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="site_outcomes"
    )
    previous_site = models.ForeignKey(LesionSite, on_delete=models.PROTECT, related_name="+")
    site = models.OneToOneField(
        LesionSite, on_delete=models.SET_NULL, null=True, blank=True, related_name="outcome"
    )
    # The earlier plan's treatments at the previous site that were done there since.
    treatments = models.ManyToManyField(PlannedTreatment, blank=True, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    outcome_on = models.DateField("outcome seen on", null=True, blank=True)

    class Meta:
        ordering = ["id"]
        permissions = [("view_outcome_report", "Can view the clinic's outcome report")]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "previous_site"],
                name="siteoutcome_once_per_previous_site",
                violation_error_message="This earlier site is already carried into this follow-up.",
            ),
            models.CheckConstraint(
                condition=Q(outcome="", outcome_on__isnull=True)
                | (~Q(outcome="") & Q(outcome_on__isnull=False)),
                name="siteoutcome_outcome_has_date",
                violation_error_message="An outcome is recorded with the date it was seen.",
            ),
        ]

    def __str__(self):
        outcome = self.get_outcome_display() or "outcome not recorded"
        return f"{self.previous_site}: {outcome}"

    @property
    def is_pending(self) -> bool:
        """Not yet re-entered: no outcome, or a site left to chart and none charted."""
        return not self.outcome or (self.outcome != Outcome.CLEARED and self.site_id is None)

    def clean(self):
        super().clean()
        if self.consultation_id is None:
            return
        refuse_if_signed(self.consultation)
        if self.outcome_on is None or self.previous_site_id is None:
            return
        since = self.previous_site.consultation.date
        if not since <= self.outcome_on <= self.consultation.date:
            raise ValidationError(
                {
                    "outcome_on": f"The outcome is seen between the earlier visit "
                    f"({since:%-d %b %Y}) and this one ({self.consultation.date:%-d %b %Y})."
                },
                code="outside_follow_up",
            )
