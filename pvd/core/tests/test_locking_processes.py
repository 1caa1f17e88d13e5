"""Concurrent processes editing the same record: exactly one wins, the others get StaleEditError.

Real OS processes on a scratch database (SQLite file, or a scratch PostgreSQL database when the
suite runs on PostgreSQL), migrated for the occasion. Every worker loads the record (version 1),
waits for the start signal, then saves with ``save_with_version`` and keeps its transaction
open a moment, so that the others' conditional UPDATEs really run while the winner holds the row.
"""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]

WORKER = r"""
import os, sys, time
import django
django.setup()
from django.db import transaction
from pvd.core.locking import StaleEditError, save_with_version
from pvd.programmes.models import Programme

obj = Programme.objects.get(slug="course")
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.001)
obj.description = "écrit par " + sys.argv[2]
try:
    with transaction.atomic():
        save_with_version(obj, 1)
        time.sleep(0.5)  # hold the row: the others' UPDATEs run meanwhile
    print("won")
except StaleEditError as exc:
    print("stale", exc.current_version)
"""

SETUP = r"""
import datetime as dt
import django
django.setup()
from pvd.core.locking import save_with_version
from pvd.programmes.models import Programme
save_with_version(Programme(nom="Course", slug="course", date_lancement=dt.date(2024, 1, 1)), None)
"""


@pytest.fixture
def scratch_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PVD_VAR_DIR"}}
    env["DJANGO_SETTINGS_MODULE"] = "pvd.settings"
    db = settings.DATABASES["default"]
    dropper = None
    if db["ENGINE"].endswith("postgresql"):
        import psycopg

        name = f"pvd_lock_{secrets.token_hex(4)}"
        admin = {
            "host": db["HOST"] or "127.0.0.1",
            "port": db["PORT"] or 5432,
            "user": db["USER"],
            "password": db["PASSWORD"],
        }
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{admin['host']}:{admin['port']}/{name}"
        )

        def dropper():
            with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        env["PVD_VAR_DIR"] = str(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, timeout=60)
    yield env
    if dropper:
        dropper()


def test_only_one_of_concurrent_processes_wins(scratch_env, tmp_path):
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(go), f"processus {i}"],
            cwd=ROOT,
            env=scratch_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    time.sleep(3)  # every worker has loaded the record at version 1
    go.touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(out.strip())
    assert sorted(results) == ["stale 2", "stale 2", "stale 2", "won"], results
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from pvd.programmes.models import Programme; "
            "p = Programme.objects.get(slug='course'); print(p.version, p.history.count())",
        ],
        cwd=ROOT,
        env=scratch_env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.split() == ["2", "2"]  # one edit, one history row for it (plus creation)
