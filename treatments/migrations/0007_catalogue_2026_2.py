"""Patient texts of rules 2026.2 (DESIGN §3a row 13), applied to catalogues already loaded.

Each change replaces a line or sentence of the 2026.1 text where the clinic has not edited it:
a text whose old words are gone is left as the clinic wrote it. The strings are frozen here, so
this migration means the same thing whatever the catalogue module says later.
"""

from django.db import migrations

EYE_LINE_2026_1 = (
    "Call us right away if your eye hurts or your sight changes after we treated near your eye."
)
EYE_LINE = "[eye] Call us right away if your eye hurts or your sight changes."

# (treatment code, field, old words, new words)
TREATMENT_CHANGES = (
    ("extraction", "patient_call_us", EYE_LINE_2026_1, EYE_LINE),
    ("chemical_peel", "patient_call_us", EYE_LINE_2026_1, EYE_LINE),
    ("co2_laser", "patient_call_us", EYE_LINE_2026_1, EYE_LINE),
    (
        "topical_retinoid",
        "patient_what_to_expect",
        "This is normal. It is a sign that the cream is working.",
        "This is common. If it gets bad, use the cream less often.",
    ),
    (
        "topical_retinoid",
        "patient_do",
        "Use a pea-sized amount for your whole face.",
        "[face] Use a pea-sized amount for your whole face.\n"
        "[body] Use a thin layer, only on the skin we showed you.",
    ),
    (
        "topical_retinoid",
        "patient_dont",
        "Do not use more than a pea-sized amount.",
        "Do not use more than a pea-sized amount.\n"
        "Keep the cream out of your eyes. Do not put it on the edges of your eyelids.",
    ),
    (
        "topical_retinoid",
        "patient_call_us",
        "Call us right away if your eye hurts or your sight changes after you used the cream "
        "near your eye.",
        "Call us right away if the cream gets in your eye and it hurts, or your sight changes.",
    ),
    (
        "topical_retinoid",
        "patient_call_us",
        "Call us if your skin blisters.",
        "If you are pregnant, or trying to be, stop the cream and call us.\n"
        "Call us if your skin blisters.",
    ),
    (
        "cryotherapy",
        "patient_what_to_expect",
        "The bump comes away with it, and the skin below should be smooth.",
        "The bump comes away with it. The skin there may look paler than the skin around it, "
        "and a pale mark can last.",
    ),
    (
        "cryotherapy",
        "patient_call_us",
        "Call us if a blister or a scar worries you.",
        "Call us if a blister or a scar worries you.\nCall us if a pale mark worries you.",
    ),
)
# (handout slug, old words, new words)
HANDOUT_CHANGES = (
    (
        "why-not-at-home",
        "Acne creams do not work on milia either.",
        "Spot creams from a shop are not made for milia. Some creams from your doctor can help "
        "over time, so ask us first.",
    ),
)


def _changed(text: str, old: str, new: str) -> str:
    if old in text and new not in text:
        return text.replace(old, new, 1)
    return text


def update_catalogue(apps, schema_editor):
    Treatment = apps.get_model("treatments", "Treatment")
    Handout = apps.get_model("treatments", "Handout")
    for code, field, old, new in TREATMENT_CHANGES:
        for treatment in Treatment.objects.filter(code=code):
            text = _changed(getattr(treatment, field), old, new)
            if text != getattr(treatment, field):
                setattr(treatment, field, text)
                treatment.save(update_fields=[field])
    for slug, old, new in HANDOUT_CHANGES:
        for handout in Handout.objects.filter(slug=slug):
            text = _changed(handout.body, old, new)
            if text != handout.body:
                handout.body = text
                handout.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("treatments", "0006_rules_2026_2")]

    operations = [migrations.RunPython(update_catalogue, migrations.RunPython.noop)]
