# Existing organizations and contacts get their lookup keys, and an owner from their latest
# deal. A migration of its own: the indexes of 0003 are built at the end of its transaction,
# and PostgreSQL refuses to build them on a table with pending foreign key checks (which the
# owner updates here would leave).

from django.db import migrations
from django.db.models import OuterRef, Subquery

BATCH = 2000


KEYS = {
    "Organization": ["name_key"],
    "Contact": ["email_key", "full_name_key", "sort_name_key"],
}


def fill_keys(apps, schema_editor):
    """Compute the lookup keys of existing rows (bulk_update skips DerivedKeyField.pre_save)."""
    db = schema_editor.connection.alias
    for model_name, key_fields in KEYS.items():
        model = apps.get_model("contacts", model_name)
        batch = []
        for row in model.objects.using(db).order_by("pk").iterator(chunk_size=BATCH):
            for field in key_fields:
                setattr(row, field, model._meta.get_field(field).derive(row))
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.using(db).bulk_update(batch, key_fields)
                batch = []
        model.objects.using(db).bulk_update(batch, key_fields)


def owners_from_latest_deal(apps, schema_editor):
    """An existing record is looked after by whoever (still active) made its latest deal.

    Records without such a deal keep no owner: admins, and people with deals linked to
    them, still see them.
    """
    db = schema_editor.connection.alias
    Deal = apps.get_model("pipeline", "Deal")
    for model_name, deal_field in (("Organization", "organization"), ("Contact", "contact")):
        model = apps.get_model("contacts", model_name)
        latest_owner = (
            Deal.objects.using(db)
            .filter(**{deal_field: OuterRef("pk")}, owner__is_active=True)
            .order_by("-created_at", "-id")
            .values("owner_id")[:1]
        )
        model.objects.using(db).filter(owner__isnull=True).update(owner=Subquery(latest_owner))



class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0003_owners_keys_and_merge_records"),
    ]

    operations = [
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RunPython(owners_from_latest_deal, migrations.RunPython.noop),
    ]
