"""Forms validate; crispy only presents. Every error names its field in plain words."""

import copy
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import cached_property

from milia_clinic.ids import parse_id
from treatments import photos
from treatments.models import (
    ADDENDUM_MAX_CHARS,
    Consultation,
    LesionSite,
    Location,
    Outcome,
    Patient,
    PhotoConsent,
    PlannedTreatment,
    Sex,
    Side,
    TreatmentCode,
)
from treatments.planning import is_home_treatment
from treatments.rules import (
    FITZPATRICK_LABELS,
    MAX_AGE_YEARS,
    MAX_COUNT,
    MAX_LARGEST_MM,
    MAX_MONTHS_PRESENT,
    MIN_COUNT,
    MIN_LARGEST_MM,
    MIN_MONTHS_PRESENT,
    in_sentence,
)


class DateInput(forms.DateInput):
    """The browser's date picker, which needs ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class NumberTextInput(forms.TextInput):
    """A number typed as text, with the phone's number keypad: a browser's number input drops
    what is not a number (typing "abc" sends nothing), so the server could only say "required";
    as text, what was typed reaches the server, which names the problem."""

    def __init__(self, attrs=None, *, decimal=False):
        defaults = {"inputmode": "decimal" if decimal else "numeric", "autocomplete": "off"}
        super().__init__(attrs=defaults | (attrs or {}))


def whole_number_field(label, *, low, high, example, help_text="", error_messages=None):
    """A whole number from ``low`` to ``high`` (limits of the rules), refused in words that name
    the field; the range is stated in the hint, from the same limits."""
    in_words = in_sentence(label)
    messages = {
        "required": f"Enter the {in_words}.",
        "invalid": f"Enter the {in_words} as a whole number, such as {example}.",
        "min_value": f"Enter at least {low:,} for the {in_words}.",
        "max_value": f"Enter at most {high:,} for the {in_words}.",
    }
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        widget=NumberTextInput(),
        help_text=f"From {low:,} to {high:,}. {help_text}".strip(),
        error_messages=messages | (error_messages or {}),
    )


class NamedFieldErrors:
    """Messages that name their field: "Enter the family name.", never "This field is required."
    And no silent cut: the browser is given no ``maxlength`` (a pasted value would be cut without
    a word); the server says how long a value may be and how long it is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if (
                field.error_messages.get("required")
                == forms.Field.default_error_messages["required"]
            ):
                verb = "Choose" if isinstance(field, forms.ChoiceField) else "Enter"
                field.error_messages["required"] = f"{verb} the {in_sentence(str(field.label))}."
            if getattr(field, "max_length", None) is None:
                continue
            field.widget.attrs.pop("maxlength", None)
            field.error_messages["max_length"] = (
                f"{field.label} can be at most %(limit_value)d characters long "
                "(it has %(show_value)d)."
            )


class PatientForm(NamedFieldErrors, forms.ModelForm):
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
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The blank choice says what it means, never "---------".
        self.fields["sex"].choices = [("", "Not recorded"), *Sex.choices]
        self.fields["fitzpatrick"].choices = [("", "Not assessed"), *FITZPATRICK_LABELS.items()]
        self.fields["fitzpatrick"].error_messages["invalid_choice"] = (
            "Choose a skin type from I to VI."
        )

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


class BootstrapBoundField(forms.BoundField):
    """A field whose widget carries Bootstrap's classes itself, so a template draws it with the
    `field` macro of `jinja2/treatments/_macros.html` rather than crispy's four templates a field
    (issue 14: the details form is drawn on every view of the consultation page)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if widget.is_hidden:
            return attrs
        if isinstance(widget, forms.CheckboxInput):
            css_class = "form-check-input"
        elif isinstance(widget, forms.Select):
            css_class = "form-select"
        else:
            css_class = "form-control"
        attrs["class"] = f"{css_class} is-invalid" if self.errors else css_class
        return attrs

    # The widgets the `widget` macro draws, by the template Django would draw them with.
    WIDGET_KINDS = {
        "django/forms/widgets/select.html": "select",
        "django/forms/widgets/textarea.html": "textarea",
        **{
            f"django/forms/widgets/{name}.html": "input"
            for name in ("input", "text", "date", "checkbox", "number", "email", "hidden")
        },
    }

    def widgets_drawn(self) -> list[tuple[str, dict]]:
        """What ``str(field)`` draws, as (kind, what Django hands the widget's template) for the
        `widget` macro of `jinja2/treatments/_macros.html`: the same markup without Django's
        form templates, which cost a sixth of the consultation page (issue 14). The widget,
        then the hidden initial value where the field keeps one (as ``BoundField.__str__``)."""
        drawn = [self._widget_context(self.field.widget, only_initial=False)]
        if self.field.show_hidden_initial:
            drawn.append(self._widget_context(self.field.hidden_widget(), only_initial=True))
        return drawn

    def _widget_context(self, widget, *, only_initial: bool) -> tuple[str, dict]:
        """``BoundField.as_widget`` up to the template."""
        kind = self.WIDGET_KINDS.get(widget.template_name)
        if kind is None or self.field.localize:
            raise ValueError(f"the widget macro does not draw {widget.template_name}")
        attrs = self.build_widget_attrs({}, widget)
        if self.auto_id and "id" not in widget.attrs:
            attrs.setdefault("id", self.html_initial_id if only_initial else self.auto_id)
        if only_initial and self.html_initial_name in self.form.data:
            value = self.form._widget_data_value(widget, self.html_initial_name)
        else:
            value = self.value()
        name = self.html_initial_name if only_initial else self.html_name
        return kind, widget.get_context(name, value, attrs)["widget"]


class ConsultationForm(NamedFieldErrors, forms.ModelForm):
    """The consultation's own facts. The date is checked by the record (``Consultation.clean``:
    not before the patient's birth, not after today in the clinic's time zone); the date picker
    is given the same bounds."""

    bound_field_class = BootstrapBoundField

    class Meta:
        model = Consultation
        fields = ["date", "milia_type", "recurrent", "diagnosis_code", "notes"]
        widgets = {"date": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bounds = {"max": timezone.localdate().isoformat()}
        if self.instance.patient_id is not None:
            bounds["min"] = self.instance.patient.date_of_birth.isoformat()
        self.fields["date"].widget.attrs.update(bounds)
        # Left empty (or not sent, by a page of before the field), the code stays as it is:
        # for a new consultation, the clinic's default.
        self.fields["diagnosis_code"].required = False

    def clean_diagnosis_code(self):
        code = self.cleaned_data["diagnosis_code"].strip().upper()
        return code or self.instance.diagnosis_code


class AddendumForm(forms.Form):
    """An addendum to a signed consultation: what is added, in the clinician's words."""

    text = forms.CharField(
        label="Addendum",
        max_length=ADDENDUM_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Dated and signed with your name; it cannot be changed once added. "
        f"At most {ADDENDUM_MAX_CHARS} characters.",
        error_messages={
            "required": "Write the addendum before adding it.",
            "max_length": "The addendum can be at most %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )


class PhotoForm(forms.Form):
    """A photo of a site and what the patient agreed it may be used for. The file is only
    checked for size here; ``services.photo_add`` reads and cleans it."""

    image = forms.FileField(
        label="Photo",
        help_text=f"JPEG, PNG or HEIC, at most {photos.MAX_MEGABYTES} MB and "
        f"{photos.MAX_MEGAPIXELS} megapixels. On a phone you can take it with the camera.",
        # Any image the device offers (the camera included); the server decides what it is.
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        error_messages={
            "required": "Choose a photo to upload.",
            "empty": "The file is empty: choose the photo again.",
            "invalid": "No file was sent: choose the photo again.",
        },
    )
    consent = forms.ChoiceField(
        label="The patient agreed to its use for",
        choices=PhotoConsent.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Record what the patient agreed the photo may be used for."},
    )

    def clean_image(self):
        image = self.cleaned_data["image"]
        if image.size > photos.MAX_BYTES:
            raise ValidationError(
                f"The file is larger than {photos.MAX_MEGABYTES} MB: export a smaller copy of "
                "the photo.",
                code="too_large",
            )
        return image


TRIED_CHOICES = [
    ("", "Not tried"),
    ("worked", "Tried: it helped"),
    ("failed", "Tried: it did not help"),
]


class LesionSiteForm(NamedFieldErrors, forms.ModelForm):
    """A site and, per treatment, whether it was already tried here and whether it helped.

    The numbers' limits are the rules' (``treatments.rules``): the hints, the messages and the
    checks all come from the same constants."""

    count = whole_number_field(
        "Number of milia",
        low=MIN_COUNT,
        high=MAX_COUNT,
        example=4,
        help_text="For both sides, the total of the two sides.",
        error_messages={
            "min_value": f"Enter at least {MIN_COUNT:,} milium.",
            "max_value": f"Enter at most {MAX_COUNT:,} milia.",
        },
    )
    largest_mm = forms.DecimalField(
        label="Largest diameter (mm)",
        min_value=MIN_LARGEST_MM,
        max_value=MAX_LARGEST_MM,
        max_digits=4,
        decimal_places=1,
        widget=NumberTextInput(decimal=True),
        help_text=f"From {MIN_LARGEST_MM} to {MAX_LARGEST_MM} mm.",
        error_messages={
            "required": "Enter the largest diameter in mm.",
            "invalid": "Enter the largest diameter in mm as a number, such as 1.5.",
            "min_value": f"Enter a size of at least {MIN_LARGEST_MM} mm.",
            "max_value": f"Enter a size of at most {MAX_LARGEST_MM} mm.",
            "max_decimal_places": "Enter the size to one decimal place, such as 1.5.",
            "max_digits": f"Enter a size of at most {MAX_LARGEST_MM} mm.",
            "max_whole_digits": f"Enter a size of at most {MAX_LARGEST_MM} mm.",
        },
    )
    months_present = whole_number_field(
        "Months present",
        low=MIN_MONTHS_PRESENT,
        high=MAX_MONTHS_PRESENT,
        example=6,
        error_messages={
            "min_value": "The months present cannot be negative.",
            "max_value": f"Enter at most {MAX_MONTHS_PRESENT:,} months.",
        },
    )

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
        widgets = {"depth": forms.RadioSelect}

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

    def validate_unique(self):
        # A site overlapping another of the consultation (the same location and side included)
        # is refused by the model's clean(), with words and the field it concerns.
        pass

    @cached_property
    def overlapping_site(self) -> LesionSite | None:
        """The site already charted that this one would overlap, when that is why it was
        refused: the form links to its edit form."""
        if not self.has_error("side", code="overlapping_site"):
            return None
        return self.instance.overlapping_site()

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


class RecordsByIdField(forms.ModelMultipleChoiceField):
    """Records chosen by id, where an id no table could hold is refused like any unknown one
    (on SQLite, looking it up overflowed: a server error)."""

    def clean(self, value):
        if isinstance(value, list | tuple):
            for pk in value:
                if parse_id(pk) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super().clean(value)


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
    starts_on = forms.DateField(label="Starts on", required=False, widget=DateInput)
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
        code = cleaned.get("treatment", "extraction")
        name = TreatmentCode(code).label
        if not cleaned.get("sites"):
            self.add_error("sites", f"Choose at least one site for {in_sentence(name)}.")
        if is_home_treatment(code):
            # Used at home: no sessions at the clinic, whatever was posted; a review instead.
            cleaned["sessions"] = cleaned["interval_weeks"] = None
            return cleaned
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


class SessionDoneForm(forms.Form):
    """The confirmation that a session took place; a reason when it is early or out of order
    (the service says when one is needed)."""

    reason = forms.CharField(
        label="Reason for marking it done",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


PlanFormSet = forms.formset_factory(
    PlanRowForm, formset=BasePlanFormSet, extra=0, min_num=5, max_num=5, validate_max=True
)


# The re-entered site's own fields: the site form's, with its limits and messages.
FOLLOW_UP_SITE_FIELDS = (
    "count",
    "largest_mm",
    "depth",
    "months_present",
    "red_flags",
    "active_inflammation",
)


class SiteOutcomeForm(forms.Form):
    """What became of a site carried into a follow-up, and the site as it is today.

    The count and size are typed again, never copied: each field shows the earlier visit's value
    in its hint. A cleared site needs none of them (nothing is charted for it)."""

    outcome = forms.ChoiceField(
        label="Outcome since the last visit",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome since the last visit."},
    )
    outcome_on = forms.DateField(
        label="Outcome seen on",
        widget=DateInput(),
        error_messages={
            "required": "Enter the date the outcome was seen.",
            "invalid": "Enter the date the outcome was seen, such as 2026-03-14.",
        },
    )
    treatments = RecordsByIdField(
        label="Done at this site since",
        queryset=PlannedTreatment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A treatment that did not clear or improve the site is recorded as tried "
        "without success here, and the advice takes it into account.",
    )

    def __init__(self, *args, site_outcome, **kwargs):
        previous = site_outcome.previous_site
        initial = {
            "outcome": site_outcome.outcome,
            "outcome_on": site_outcome.outcome_on or site_outcome.consultation.date,
            "treatments": list(site_outcome.treatments.all()),
        }
        if site_outcome.site is not None:
            initial |= {name: getattr(site_outcome.site, name) for name in FOLLOW_UP_SITE_FIELDS}
        else:
            # Yes/no and depth are offered as they were; the numbers are typed again.
            initial |= {
                name: getattr(previous, name)
                for name in ("depth", "red_flags", "active_inflammation")
            }
        super().__init__(*args, initial=initial | kwargs.pop("initial", {}), **kwargs)
        self.fields["treatments"].queryset = PlannedTreatment.objects.filter(
            sites=previous
        ).select_related("treatment")
        for name in FOLLOW_UP_SITE_FIELDS:
            field = copy.deepcopy(LesionSiteForm.base_fields[name])
            field.required = False
            shown = getattr(previous, f"get_{name}_display", None)
            last = shown() if shown else getattr(previous, name)
            if isinstance(last, bool):
                last = "yes" if last else "no"
            field.help_text = f"Last visit: {last}. {field.help_text}".strip()
            self.fields[name] = field
        self.fields["depth"].widget = forms.RadioSelect(choices=self.fields["depth"].choices)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") in ("", None, Outcome.CLEARED):
            return cleaned
        for name in ("count", "largest_mm", "months_present", "depth"):
            if cleaned.get(name) in (None, ""):
                label = in_sentence(str(self.fields[name].label))
                self.add_error(name, f"Enter the {label} as it is today.")
        return cleaned

    def site_fields(self) -> dict:
        """The re-entered site's fields, as cleaned (none for a cleared site)."""
        if self.cleaned_data["outcome"] == Outcome.CLEARED:
            return {}
        return {name: self.cleaned_data[name] for name in FOLLOW_UP_SITE_FIELDS}
