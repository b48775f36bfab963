from django.db import migrations, models

# The history as it is now, in SQL that SQLite and PostgreSQL both run (UPDATE ... FROM).
IS_ENTRY = "{t}.to_status = 'open' AND ({t}.from_stage_id IS NULL OR {t}.from_status = 'open')"
BACKFILL = [
    f"""
UPDATE pipeline_dealstagechange SET moved_on_at = later.moved_on_at
FROM (
    SELECT e.id AS id, MIN(l.changed_at) AS moved_on_at
    FROM pipeline_dealstagechange e
    JOIN pipeline_stage es ON es.id = e.to_stage_id
    JOIN pipeline_dealstagechange l ON l.deal_id = e.deal_id AND l.changed_at > e.changed_at
    JOIN pipeline_stage ls ON ls.id = l.to_stage_id
    WHERE {IS_ENTRY.format(t="e")} AND {IS_ENTRY.format(t="l")} AND ls."order" > es."order"
    GROUP BY e.id
) later
WHERE pipeline_dealstagechange.id = later.id
""",
    f"""
UPDATE pipeline_dealstagechange SET entered_before_at = earlier.entered_before_at
FROM (
    SELECT e.id AS id, MAX(p.changed_at) AS entered_before_at
    FROM pipeline_dealstagechange e
    JOIN pipeline_dealstagechange p
      ON p.deal_id = e.deal_id AND p.to_stage_id = e.to_stage_id AND p.changed_at < e.changed_at
    WHERE {IS_ENTRY.format(t="e")} AND {IS_ENTRY.format(t="p")}
    GROUP BY e.id
) earlier
WHERE pipeline_dealstagechange.id = earlier.id
""",
]


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0004_reporting_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="dealstagechange",
            name="entered_before_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="dealstagechange",
            name="moved_on_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
    ]
