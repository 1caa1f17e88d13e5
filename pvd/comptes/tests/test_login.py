"""E-mail + password login, lock-out after repeated failures, password reset by e-mail."""

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse

from pvd.comptes.models import User

PASSWORD = "un mot de passe solide 2026"


@pytest.fixture
def agent(db):
    return User.objects.create_user("agent@example.org", PASSWORD, first_name="Agnès")


def _login(client, email, password):
    return client.post(reverse("comptes:login"), {"username": email, "password": password})


def test_login_with_email_and_password(client, agent):
    response = _login(client, "AGENT@example.org", PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == agent.pk
    page = client.get("/").content.decode()
    assert "Agnès" in page and "Se déconnecter" in page


def test_lockout_after_repeated_failures(client, agent, settings):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5  # default (PVD_LOGIN_FAILURE_LIMIT)
    for _ in range(limit - 1):
        response = _login(client, agent.email, "mauvais mot de passe")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = _login(client, agent.email, "mauvais mot de passe")
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in response.content.decode()
    # Even the right password is refused while locked out…
    response = _login(client, agent.email, PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # …for this account from this client only: another account logs in fine from here.
    User.objects.create_user("autre@example.org", PASSWORD)
    assert _login(client, "autre@example.org", PASSWORD).status_code == 302
    # The attempts are kept (for the cool-off) without the password.
    attempt = AccessAttempt.objects.get(username=agent.email)
    assert attempt.failures_since_start == limit + 1  # the refused attempt during lock-out counts
    assert PASSWORD not in attempt.post_data and "mauvais" not in attempt.post_data


def test_successful_login_resets_the_failure_count(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, agent.email, "faux")
    assert _login(client, agent.email, PASSWORD).status_code == 302
    client.logout()
    assert _login(client, agent.email, "faux").status_code == 200  # counting starts again


def test_password_reset_by_email(client, agent):
    response = client.post(reverse("comptes:password_reset"), {"email": "agent@example.org"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["agent@example.org"]
    link = re.search(r"http://testserver(/comptes/mot-de-passe/nouveau/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choisir un mot de passe" in form_page.content.decode()
    new = "un tout nouveau mot de passe"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(new)


def test_password_reset_does_not_disclose_unknown_accounts(client, db):
    response = client.post(reverse("comptes:password_reset"), {"email": "inconnu@example.org"})
    assert response.status_code == 302 and mail.outbox == []


def test_logout_is_a_post(client, agent):
    client.force_login(agent)
    assert client.get(reverse("comptes:logout")).status_code == 405
    response = client.post(reverse("comptes:logout"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session
