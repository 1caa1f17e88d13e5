"""Shared pytest fixtures.

The test database gets the real territorial referential (the pinned
``@etalab/decoupage-administratif`` package) once per test session: tests about territories use
the real data, never a hand-made sample.
"""

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("import_cog", verbosity=0)
