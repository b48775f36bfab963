# The tables take this app's names, and the content types (admin history, permissions)
# follow the models to their new app.

from django.db import migrations

MODELS = ("organization", "contact")


def move_content_types(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.using(db).filter(app_label=source, model=model).update(
            app_label=target
        )


def forwards(apps, schema_editor):
    move_content_types(apps, schema_editor, "pipeline", "contacts")


def backwards(apps, schema_editor):
    move_content_types(apps, schema_editor, "contacts", "pipeline")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("pipeline", "0006_organizations_and_contacts_move_to_contacts"),
    ]

    operations = [
        migrations.AlterModelTable(name="organization", table=None),
        migrations.AlterModelTable(name="contact", table=None),
        migrations.RunPython(forwards, backwards),
    ]
