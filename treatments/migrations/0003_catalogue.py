"""Load the five treatments and the patient handouts from treatments.catalogue.

After this first load the texts belong to the admin: the migration only creates rows that are
missing, and never overwrites a text a clinic has edited.
"""

from django.db import migrations

LIST_FIELDS = ("patient_do", "patient_dont", "patient_call_us")


def load_catalogue(apps, schema_editor):
    from treatments.catalogue import HANDOUTS, TREATMENT_CATALOGUE

    Treatment = apps.get_model("treatments", "Treatment")
    Handout = apps.get_model("treatments", "Handout")
    for position, entry in enumerate(TREATMENT_CATALOGUE, start=1):
        fields = {key: value for key, value in entry.items() if key != "code"}
        for key in LIST_FIELDS:
            fields[key] = "\n".join(fields[key])
        Treatment.objects.get_or_create(
            code=entry["code"], defaults=fields | {"display_order": position}
        )
    for handout in HANDOUTS:
        Handout.objects.get_or_create(
            slug=handout["slug"],
            defaults={"title": handout["title"], "body": "\n\n".join(handout["body"])},
        )


def unload_catalogue(apps, schema_editor):
    apps.get_model("treatments", "Treatment").objects.all().delete()
    apps.get_model("treatments", "Handout").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("treatments", "0002_roles")]

    operations = [migrations.RunPython(load_catalogue, unload_catalogue)]
