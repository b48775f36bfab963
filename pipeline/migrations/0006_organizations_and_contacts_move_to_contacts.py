# Deals now point at contacts.Organization and contacts.Contact, the same tables under their
# new app; nothing changes in the database here.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
        ("pipeline", "0005_stage_entry_facts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="deal",
                    name="organization",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deals",
                        to="contacts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="deal",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="deals",
                        to="contacts.contact",
                    ),
                ),
                migrations.DeleteModel(name="Contact"),
                migrations.DeleteModel(name="Organization"),
            ],
            database_operations=[],
        ),
    ]
