# Organization and Contact move here from the pipeline app. Their tables already exist
# (pipeline_organization, pipeline_contact): this migration only tells Django's state that
# this app owns them; 0002 renames the tables once the deal's foreign keys point here.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("pipeline", "0005_stage_entry_facts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Organization",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=200, unique=True)),
                        ("sector", models.CharField(blank=True, max_length=100)),
                        ("country", models.CharField(blank=True, max_length=100)),
                        ("employees", models.PositiveIntegerField(blank=True, null=True)),
                        ("year_established", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("annual_revenue", models.DecimalField(blank=True, decimal_places=2, help_text="In millions of the default currency.", max_digits=14, null=True)),
                        ("parent", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="subsidiaries", to="contacts.organization", verbose_name="subsidiary of")),
                    ],
                    options={"ordering": ["name"], "db_table": "pipeline_organization"},
                ),
                migrations.CreateModel(
                    name="Contact",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("first_name", models.CharField(max_length=100)),
                        ("last_name", models.CharField(max_length=100)),
                        ("job_title", models.CharField(blank=True, max_length=100)),
                        ("email", models.EmailField(blank=True, max_length=254)),
                        ("phone", models.CharField(blank=True, max_length=40)),
                        ("organization", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="contacts", to="contacts.organization")),
                    ],
                    options={"ordering": ["last_name", "first_name"], "db_table": "pipeline_contact"},
                ),
            ],
            database_operations=[],
        ),
    ]
