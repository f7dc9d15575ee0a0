"""Forms validate; crispy only presents. Every error names its field in plain words."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from treatments.models import (
    Consultation,
    LesionSite,
    Location,
    Patient,
    Side,
    TreatmentCode,
)
from treatments.rules import (
    MAX_AGE_YEARS,
    MAX_COUNT,
    MAX_FITZPATRICK,
    MAX_LARGEST_MM,
    MAX_MONTHS_PRESENT,
    in_sentence,
    site_words,
)


class DateInput(forms.DateInput):
    """The browser's date picker, which needs ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "medical_record_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "fitzpatrick",
            "pregnant",
            "breastfeeding",
            "isotretinoin_last_6_months",
            "herpes_simplex_history",
            "cold_intolerance",
            "keloid_tendency",
            "anticoagulant",
            "photosensitising_drug",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "fitzpatrick": forms.Select(
                choices=[("", "Not assessed")]
                + [
                    (n, f"Type {r}")
                    for n, r in enumerate(["I", "II", "III", "IV", "V", "VI"], start=1)
                ]  # fmt: skip
            ),
        }

    def clean_medical_record_number(self):
        value = self.cleaned_data["medical_record_number"].strip()
        if not value:
            raise ValidationError("Enter the record number.", code="required")
        return value

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise ValidationError("The date of birth cannot be in the future.", code="future")
        if born < date(today.year - MAX_AGE_YEARS, today.month, 1):
            raise ValidationError(
                f"Check the date of birth: over {MAX_AGE_YEARS} years ago.", code="too_old"
            )
        return born

    def clean_fitzpatrick(self):
        value = self.cleaned_data["fitzpatrick"]
        if value is not None and not 1 <= value <= MAX_FITZPATRICK:
            raise ValidationError("Choose a skin type from I to VI.", code="range")
        return value


class ConsultationForm(forms.ModelForm):
    class Meta:
        model = Consultation
        fields = ["date", "milia_type", "recurrent", "notes"]
        widgets = {"date": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}


TRIED_CHOICES = [
    ("", "Not tried"),
    ("worked", "Tried: it helped"),
    ("failed", "Tried: it did not help"),
]


class LesionSiteForm(forms.ModelForm):
    """A site and, per treatment, whether it was already tried here and whether it helped."""

    class Meta:
        model = LesionSite
        fields = [
            "location",
            "side",
            "count",
            "largest_mm",
            "depth",
            "months_present",
            "red_flags",
            "active_inflammation",
        ]
        labels = {"largest_mm": "Largest diameter (mm)"}
        help_texts = {"count": "For both sides, the total of the two sides."}
        widgets = {
            "count": forms.NumberInput(attrs={"min": 1, "max": MAX_COUNT, "inputmode": "numeric"}),
            "largest_mm": forms.NumberInput(attrs={"min": 0.1, "max": MAX_LARGEST_MM, "step": 0.1}),
            "months_present": forms.NumberInput(attrs={"min": 0, "max": MAX_MONTHS_PRESENT}),
            "depth": forms.RadioSelect,
        }

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        # The model's own checks (at most MAX_SITES sites) need to know where the site goes.
        self.instance.consultation = consultation
        self.fields["side"].choices = Side.choices
        self.fields["location"].choices = Location.choices
        tried = {}
        if self.instance.pk:
            tried = {t.treatment: t.worked for t in self.instance.tried.all()}
        for code, label in TreatmentCode.choices:
            initial = "" if code not in tried else ("worked" if tried[code] else "failed")
            self.fields[f"tried_{code}"] = forms.ChoiceField(
                label=label, choices=TRIED_CHOICES, required=False, initial=initial
            )

    def clean_count(self):
        count = self.cleaned_data["count"]
        if count < 1:
            raise ValidationError("Enter at least 1 milium.", code="min")
        if count > MAX_COUNT:
            raise ValidationError(f"Enter at most {MAX_COUNT:,} milia.", code="max")
        return count

    def clean_largest_mm(self):
        size = self.cleaned_data["largest_mm"]
        if size <= 0:
            raise ValidationError("Enter a size greater than 0 mm.", code="min")
        if size > MAX_LARGEST_MM:
            raise ValidationError(f"Enter a size of at most {MAX_LARGEST_MM} mm.", code="max")
        return size

    def clean_months_present(self):
        months = self.cleaned_data["months_present"]
        if months > MAX_MONTHS_PRESENT:
            raise ValidationError(f"Enter at most {MAX_MONTHS_PRESENT:,} months.", code="max")
        return months

    def clean(self):
        cleaned = super().clean()
        location, side = cleaned.get("location"), cleaned.get("side")
        if location and side:
            clash = self.consultation.sites.filter(location=location, side=side)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise ValidationError(
                    f"This consultation already charts the {site_words(location, side)}: "
                    "edit that site instead.",
                    code="duplicate_site",
                )
        return cleaned

    def validate_unique(self):
        # The location/side clash is reported by clean() in words; the consultation is not a
        # form field, so Django's own check would not see it.
        pass

    def tried_fields(self):
        return [self[f"tried_{code}"] for code in TreatmentCode.values]

    def site_fields(self) -> dict:
        """The site's own fields, as cleaned: what ``services.site_save`` takes."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def tried_treatments(self) -> list[tuple[str, bool]]:
        """(treatment code, worked) for each treatment marked as tried."""
        return [
            (code, self.cleaned_data[f"tried_{code}"] == "worked")
            for code in TreatmentCode.values
            if self.cleaned_data.get(f"tried_{code}")
        ]


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        help_text="Capitals, accents and apostrophes do not matter. "
        "One or two letters find the names and record numbers that begin with them.",
        widget=forms.TextInput(
            attrs={
                "placeholder": "Name or record number",
                "type": "search",
                "autocomplete": "off",
                "class": "form-control",
                "aria-describedby": "id_q_help",
            }
        ),
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class PlanRowForm(forms.Form):
    """One treatment row of the plan: whether it is chosen, for which sites, and its course."""

    treatment = forms.ChoiceField(choices=TreatmentCode.choices, widget=forms.HiddenInput)
    include = forms.BooleanField(label="Plan this treatment", required=False)
    sites = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="For the sites"
    )
    sessions = forms.IntegerField(min_value=1, max_value=50, required=False)
    interval_weeks = forms.IntegerField(
        label="Interval (weeks)", min_value=1, max_value=52, required=False
    )
    starts_on = forms.DateField(label="First session", required=False, widget=DateInput)
    product_notes = forms.CharField(label="Product and strength", max_length=200, required=False)
    override_reason = forms.CharField(
        label="Reason for this choice",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    accept_contraindication = forms.BooleanField(
        label="I accept this contraindication",
        required=False,
        help_text="Only where the options say contraindicated: the plan is then flagged for staff.",
    )

    def __init__(self, *args, site_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].choices = site_choices

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("include"):
            return cleaned
        name = TreatmentCode(cleaned.get("treatment", "extraction")).label
        if not cleaned.get("sites"):
            self.add_error("sites", f"Choose at least one site for {in_sentence(name)}.")
        if cleaned.get("sessions") is None and "sessions" not in self.errors:
            self.add_error("sessions", "Enter the number of sessions.")
        if (
            cleaned.get("interval_weeks") is None
            and (cleaned.get("sessions") or 0) > 1
            and "interval_weeks" not in self.errors
        ):
            self.add_error("interval_weeks", "Enter the weeks between sessions.")
        return cleaned

    def choice(self):
        from treatments.services import PlanChoice

        data = self.cleaned_data
        return PlanChoice(
            treatment=data["treatment"],
            site_ids=tuple(data["sites"]),
            sessions=data["sessions"],
            interval_weeks=data["interval_weeks"],
            starts_on=data["starts_on"],
            product_notes=data["product_notes"].strip(),
            override_reason=data["override_reason"].strip(),
            accept_contraindication=data["accept_contraindication"],
        )


class BasePlanFormSet(forms.BaseFormSet):
    """The five rows together: a departure from the advice needs a written reason."""

    def __init__(self, *args, consultation, result, **kwargs):
        self.consultation = consultation
        self.result = result
        super().__init__(*args, **kwargs)

    def chosen(self) -> list:
        return [form.choice() for form in self.forms if form.cleaned_data.get("include")]

    def clean(self):
        if any(self.errors):
            return
        # One row per treatment, each exactly once: anything else is a tampered form.
        codes = sorted(form.cleaned_data.get("treatment") or "" for form in self.forms)
        if codes != sorted(TreatmentCode.values):
            raise ValidationError(
                "The plan form was altered: reload the page and try again.", code="rows"
            )
        from treatments.services import plan_problems

        choices = self.chosen()
        if not choices:
            raise ValidationError(
                "Choose at least one treatment, or sign without a plan.", code="empty"
            )
        self.add_review_problems(plan_problems(choices, self.consultation, self.result))

    def add_review_problems(self, problems: dict[str, list[tuple[str, str]]]) -> None:
        """Put each problem of ``services.plan_problems`` on its row and field."""
        for form in self.forms:
            if not form.cleaned_data.get("include"):
                continue
            for field, message in problems.get(form.cleaned_data["treatment"], []):
                form.add_error(field, ValidationError(message, code="plan_review"))


PlanFormSet = forms.formset_factory(
    PlanRowForm, formset=BasePlanFormSet, extra=0, min_num=5, max_num=5, validate_max=True
)
