# The free-text lost reason becomes the details beside a reason from the admins' list; a
# deal whose reason is not on the list is "Other" (no reason row) with its text.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0006_organizations_and_contacts_move_to_contacts"),
    ]

    operations = [
        migrations.RenameField(
            model_name="deal", old_name="lost_reason", new_name="lost_reason_text"
        ),
        migrations.AlterField(
            model_name="deal",
            name="lost_reason_text",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="lost reason (details)"
            ),
        ),
        migrations.CreateModel(
            name="LostReason",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True)),
                (
                    "active",
                    models.BooleanField(
                        default=True,
                        help_text="Offered when a deal is marked lost; past deals keep it.",
                    ),
                ),
                (
                    "order",
                    models.PositiveIntegerField(
                        default=0, help_text="Lower comes first in the list."
                    ),
                ),
            ],
            options={"ordering": ["order", "name"]},
        ),
        migrations.AddField(
            model_name="deal",
            name="lost_reason",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deals",
                to="pipeline.lostreason",
            ),
        ),
    ]
