"""Names and other text stored in decomposed Unicode (NFD) rewritten in NFC, the form the API now
normalizes input to, so that an NFC search finds them (procedures/unicode_text.py)."""

from django.db import migrations

from procedures.unicode_text import normalize_stored_text


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0007_unit_contact"),
        ("digitization", "0007_metrics_version"),
        ("inspections", "0001_initial"),
    ]

    operations = [migrations.RunPython(normalize_stored_text, migrations.RunPython.noop)]
