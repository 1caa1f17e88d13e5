"""Fixtures for the end-to-end tests: a live Django server and Debian's Chromium via Playwright.

Why not pytest-django's ``live_server`` fixture as is: it turns each test into a
``transactional_db`` test, whose teardown *flushes every table* — it would erase the real
referential that the root conftest loads once per session, for the e2e tests and for every test
after them. These tests only read, so ``e2e_server`` runs the same server class that
``live_server`` uses (``pytest_django.live_server_helper.LiveServer``) over the session's test
database as it is, committed data included:

- SQLite: the test database is in memory; like ``live_server``, the server thread is handed the
  main thread's connection (``connections_override``) so it sees the same database (no file
  needed). PostgreSQL: the server thread opens its own connection to the test database.
- Playwright's sync API runs an event loop in the main thread, where Django refuses database
  calls (``SynchronousOnlyOperation``): whatever a test needs from the database is read by
  ``reference`` *before* the browser starts; during the test only the server thread queries.

The browser is the system Chromium (``/usr/bin/chromium``, or ``PVD_CHROMIUM``); browser downloads
are not possible here. Without it, or without the ``playwright`` package, the tests are skipped
with a message saying so (shown by ``pytest -ra``, the default options).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIP = "Tests de bout en bout ignorés : {reason}."


def chromium_path() -> str | None:
    candidate = os.environ.get("PVD_CHROMIUM", "/usr/bin/chromium")
    if Path(candidate).is_file() and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip(
            SKIP.format(reason="aucun Chromium trouvé (/usr/bin/chromium, paquet Debian « chromium »)")
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip(SKIP.format(reason="le paquet Python « playwright » n'est pas installé"))
    return path


@pytest.fixture(scope="module")
def e2e_server(chromium, django_db_setup, django_db_blocker):
    """A live server over the session's test database (with the real referential)."""
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        from pvd.territoires.models import Commune

        if not Commune.objects.exists():  # a transactional test emptied the database earlier
            from django.core.management import call_command

            call_command("import_cog", verbosity=0)
        server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"))
        server._live_server_modified_settings.enable()
        try:
            yield server
        finally:
            server._live_server_modified_settings.disable()
            server.stop()


@pytest.fixture(scope="module")
def reference(e2e_server) -> dict:
    """Facts the tests check, read from the database before Playwright starts its event loop."""
    from pvd.territoires.models import Commune

    montbard = Commune.objects.select_related("epci", "departement").get(code="21425")
    return {
        "montbard": {
            "code": montbard.code,
            "nom": montbard.nom,
            "population": montbard.population,
            "epci": montbard.epci.nom,
            "departement": montbard.departement.nom,
        },
        "ceiling": settings.PVD_POPULATION_CEILING,
    }


@pytest.fixture(scope="module")
def browser(chromium, e2e_server, reference):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, e2e_server):
    context = browser.new_context(locale="fr-FR", base_url=e2e_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def axe(chromium):
    """axe-core: the version pinned in package.json (node_modules), else the one bundled with
    ``axe-playwright-python``."""
    from axe_playwright_python.sync_playwright import Axe

    pinned = settings.NODE_MODULES_DIR / "axe-core" / "axe.min.js"
    return Axe.from_file(pinned) if pinned.is_file() else Axe()
