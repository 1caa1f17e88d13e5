"""Security baseline: deploy checks, headers (CSP with nonce), CSRF, no personal data in logs."""

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from pvd.comptes.models import User
from pvd.comptes.security import MaskPersonalDataFilter, client_ip

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "k" + "9f3Jq2-Lx8_vT0pWmZr4Yb7Nc1Hd6Ke5Ug" * 2,
        "DJANGO_ALLOWED_HOSTS": "pvd.example.gouv.fr",
        "PVD_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.django_db
def test_security_headers_and_csp(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "form-action 'self'" in csp
    html = response.content.decode()
    # Every script is a file from our origin, or carries the response's nonce.
    nonce = re.search(r"'nonce-([^']+)'", csp)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="/static/' in tag or (nonce and f'nonce="{nonce.group(1)}"' in tag), tag
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_inline_script_nonce_is_in_the_policy(rf):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    def view(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">go()</script>')

    middleware = CSPMiddleware(view)
    first, second = middleware(rf.get("/")), middleware(rf.get("/"))
    nonce = re.search(r'nonce="([^"]+)"', first.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in first["Content-Security-Policy"]
    assert nonce not in second["Content-Security-Policy"]  # a fresh nonce per response


@pytest.mark.django_db
def test_csrf_is_enforced_on_forms():
    browser = Client(enforce_csrf_checks=True)
    User.objects.create_user("csrf@example.org", "un mot de passe solide")
    response = browser.post(
        "/comptes/connexion/", {"username": "csrf@example.org", "password": "un mot de passe solide"}
    )
    assert response.status_code == 403
    page = browser.get("/comptes/connexion/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = browser.post(
        "/comptes/connexion/",
        {"username": "csrf@example.org", "password": "un mot de passe solide", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_logs_mask_email_addresses_and_tokens(caplog):
    logger = logging.getLogger("pvd.test")
    record = logger.makeRecord(
        "pvd.test",
        logging.WARNING,
        __file__,
        1,
        "login failed for %s with %s (Bearer %s)",
        ("Jean.Dupont@mairie-montbard.fr", "pvd_AbCdEf123456789", "xyz.secret"),
        None,
    )
    MaskPersonalDataFilter().filter(record)
    message = record.getMessage()
    assert "Dupont" not in message and "@" not in message
    assert "pvd_AbCdEf" not in message and "xyz.secret" not in message
    assert message == "login failed for [e-mail masqué] with [jeton masqué] (Bearer [masqué])"


def test_logging_configuration_applies_the_filter():
    from django.conf import settings

    assert settings.LOGGING["handlers"]["console"]["filters"] == ["personal_data"]
    assert settings.AXES_SENSITIVE_PARAMETERS[:2] == ["username", "ip_address"]


def test_client_ip_behind_trusted_proxies(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    settings.PVD_TRUSTED_PROXIES = 0
    assert client_ip(request) == "10.0.0.2"
    settings.PVD_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"  # not the spoofable first entry


@given(email=st.emails(), before=st.text(max_size=20), after=st.text(max_size=20))
def test_any_email_address_is_masked(email, before, after):
    from pvd.comptes.security import mask

    masked = mask(f"{before} {email} {after}")
    assert email not in masked
    assert masked.count("@") <= before.count("@") + after.count("@")  # the address's "@" is gone
