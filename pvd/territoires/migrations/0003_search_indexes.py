"""Indexes for the commune search (``services/search.py``).

- PostgreSQL: "name starts with" (``LIKE 'x%'``) can only use a b-tree built with the
  ``varchar_pattern_ops`` operator class (or the C collation): one is added on ``nom_normalise``.
- SQLite: the plain index on ``nom_normalise`` serves "starts with" through a range; "contains"
  goes through an FTS5 trigram table kept in step by triggers (see ``services/search_index.py``,
  which also repairs it after later migrations: ``post_migrate``).

Both are database-level structures specific to one backend, which Django's model state does not
describe.
"""

from django.db import migrations

PG_INDEX = "commune_nom_prefix_idx"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON territoires_commune (nom_normalise varchar_pattern_ops)"
        )
    elif connection.vendor == "sqlite":
        from pvd.territoires.services import search_index

        search_index.ensure(connection)


def drop(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    elif connection.vendor == "sqlite":
        from pvd.territoires.services import search_index

        search_index.drop(connection)


class Migration(migrations.Migration):
    dependencies = [
        ("territoires", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
