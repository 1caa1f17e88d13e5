"""Commune search: make "name starts with" use an index on PostgreSQL.

``Commune.nom_normalise`` already has a plain b-tree index. SQLite's search uses it through a
range (``nom >= 'x' AND nom < 'x\\uffff'``, see ``services/search.py``). PostgreSQL can only use a
b-tree for ``LIKE 'x%'`` when the index uses the ``varchar_pattern_ops`` operator class (or the C
collation), which this migration adds; on other databases it does nothing.
"""

from django.db import migrations

INDEX = "commune_nom_prefix_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON territoires_commune (nom_normalise varchar_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("territoires", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
