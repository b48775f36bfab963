# Deals the importer closed as lost had the text "Lost (imported; no reason given)". They get a
# reason of their own, inactive (nobody picks it by hand), so that reports tell them apart from
# deals lost for a reason someone wrote down. Every other text stays as it is: reason "Other".

from django.db import migrations

OLD_TEXT = "Lost (imported; no reason given)"
REASON = "No reason given (imported)"


def forwards(apps, schema_editor):
    Deal = apps.get_model("pipeline", "Deal")
    LostReason = apps.get_model("pipeline", "LostReason")
    deals = Deal.objects.filter(lost_reason_text=OLD_TEXT)
    if not deals.exists():
        return
    reason, _ = LostReason.objects.get_or_create(
        name=REASON, defaults={"active": False, "order": 1000}
    )
    deals.update(lost_reason=reason, lost_reason_text="")


def backwards(apps, schema_editor):
    Deal = apps.get_model("pipeline", "Deal")
    Deal.objects.filter(lost_reason__name=REASON).update(
        lost_reason=None, lost_reason_text=OLD_TEXT
    )


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0008_deal_field_changes")]

    operations = [migrations.RunPython(forwards, backwards)]
