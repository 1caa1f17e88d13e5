"""Granting and revoking habilitations (UI and rules), and what they open."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from pvd.comptes.models import Habilitation, Organisation, Role, User
from pvd.comptes.policy import can, get_object_for, habilitations_of, visible_to
from pvd.programmes.factories import make_laureat
from pvd.programmes.models import Laureat
from pvd.territoires.models import Commune


@pytest.fixture
def admin(db):
    user = User.objects.create_user("admin@example.org", first_name="Ada", last_name="Admin")
    Habilitation.grant(user, Role.ADMIN_NATIONAL)
    return user


@pytest.fixture
def agent(db):
    return User.objects.create_user("agent@example.org", first_name="Agathe")


@pytest.mark.parametrize(
    ("role", "scope", "error_field"),
    [
        (Role.ADMIN_NATIONAL, {"region_id": "27"}, "region"),
        (Role.REFERENT_REGIONAL, {}, "region"),
        (Role.REFERENT_REGIONAL, {"departement_id": "21"}, "departement"),
        (Role.DELEGUE_TERRITORIAL, {"region_id": "27"}, "region"),
        (Role.COLLECTIVITE, {}, "laureat"),
        (Role.COLLECTIVITE, {"commune_id": "21425", "epci_id": "242101434"}, "laureat"),
        (Role.PARTENAIRE, {"departement_id": "21"}, "departement"),
    ],
)
def test_scope_must_match_the_role(agent, role, scope, error_field):
    with pytest.raises(ValidationError) as info:
        Habilitation.grant(agent, role, **scope)
    assert error_field in info.value.message_dict
    assert not Habilitation.objects.filter(user=agent).exists()


def test_valid_scopes(agent):
    org = Organisation.objects.create(nom="Banque des Territoires")
    for role, scope in [
        (Role.ADMIN_NATIONAL, {}),
        (Role.REFERENT_REGIONAL, {"region_id": "27"}),
        (Role.DELEGUE_TERRITORIAL, {"departement_id": "21"}),
        (Role.COLLECTIVITE, {"commune_id": "21425"}),
        (Role.COLLECTIVITE, {"epci_id": Commune.objects.get(code="21425").epci_id}),
        (Role.COLLECTIVITE, {"laureat": make_laureat("21425")}),
        (Role.PARTENAIRE, {"organisation": org}),
    ]:
        Habilitation.grant(agent, role, **scope)
    assert Habilitation.objects.filter(user=agent).count() == 7


def test_admin_grants_and_revokes_in_the_ui(client, admin, agent):
    client.force_login(admin)
    listing = client.get(reverse("comptes:users"), {"q": "agathe"}).content.decode()
    assert "agent@example.org" in listing and "admin@example.org" not in listing
    assert "Administrateur national" in client.get(reverse("comptes:users")).content.decode()
    url = reverse("comptes:user", args=[agent.pk])
    # A scope that does not fit the role is refused with a clear message, nothing written.
    response = client.post(url, {"role": Role.DELEGUE_TERRITORIAL, "region": "27"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "exige un périmètre" in html and "ne se limite pas à ce type de périmètre" in html
    assert not Habilitation.objects.filter(user=agent).exists()
    response = client.post(url, {"role": Role.COLLECTIVITE, "commune": "99999"})
    assert "Commune inconnu(e) : « 99999 »" in response.content.decode()
    # A valid grant is recorded with who and when.
    response = client.post(url, {"role": Role.DELEGUE_TERRITORIAL, "departement": "21"})
    assert response.status_code == 302
    hab = Habilitation.objects.get(user=agent)
    assert hab.granted_by == admin and hab.granted_at is not None and hab.departement_id == "21"
    assert (
        "Côte-d&#x27;Or" in client.get(url).content.decode()
        or "Côte-d'Or" in client.get(url).content.decode()
    )
    # The same grant twice is refused.
    response = client.post(url, {"role": Role.DELEGUE_TERRITORIAL, "departement": "21"})
    assert "détient déjà" in response.content.decode()
    # Laureate scope by its official identifier.
    laureat = make_laureat("21425")
    client.post(url, {"role": Role.COLLECTIVITE, "laureat": laureat.identifiant})
    assert Habilitation.objects.get(user=agent, role=Role.COLLECTIVITE).laureat == laureat
    # Revocation keeps the record, with who and when, and removes the rights.
    client.post(reverse("comptes:revoke_habilitation", args=[hab.pk]))
    hab.refresh_from_db()
    assert hab.revoked_by == admin and hab.revoked_at is not None
    assert [h.role for h in habilitations_of(User.objects.get(pk=agent.pk))] == [Role.COLLECTIVITE]
    # History of the habilitation: grant then revocation, each with its author.
    assert [(h.history_type, h.history_user) for h in hab.history.order_by("history_date")] == [
        ("+", admin),
        ("~", admin),
    ]


def test_admin_invites_a_user(client, admin):
    client.force_login(admin)
    assert "Inviter un utilisateur" in client.get(reverse("comptes:user_create")).content.decode()
    response = client.post(
        reverse("comptes:user_create"),
        {"email": "Elu@Mairie.fr", "first_name": "Élise", "last_name": "Maire"},
    )
    user = User.objects.get(email="elu@mairie.fr")
    assert response["Location"] == reverse("comptes:user", args=[user.pk])
    assert not user.has_usable_password() and habilitations_of(user) == []
    [message] = mail.outbox
    assert message.to == ["elu@mairie.fr"] and "Ada Admin vous a ouvert un compte" in message.body


def test_non_admins_cannot_manage_habilitations(client, agent, admin):
    Habilitation.grant(agent, Role.REFERENT_REGIONAL, region_id="27")
    client.force_login(agent)
    assert client.get(reverse("comptes:users")).status_code == 403
    assert client.get(reverse("comptes:user", args=[admin.pk])).status_code == 404
    # their own page is visible (owner), without the grant form; granting is refused
    own = client.get(reverse("comptes:user", args=[agent.pk]))
    assert own.status_code == 200 and "Accorder une habilitation" not in own.content.decode()
    response = client.post(reverse("comptes:user", args=[agent.pk]), {"role": Role.ADMIN_NATIONAL})
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()  # the DSFR 403 page
    own_hab = Habilitation.objects.get(user=agent)
    assert client.post(reverse("comptes:revoke_habilitation", args=[own_hab.pk])).status_code == 403
    assert Habilitation.objects.filter(user=agent, role=Role.ADMIN_NATIONAL).count() == 0


def test_my_account_lists_my_habilitations(client, agent, admin):
    Habilitation.grant(agent, Role.DELEGUE_TERRITORIAL, granted_by=admin, departement_id="21")
    client.force_login(agent)
    page = client.get(reverse("comptes:account")).content.decode()
    assert "Délégué territorial" in page and "Département : Côte" in page and "par Ada Admin" in page
    assert client.get(reverse("comptes:account")).status_code == 200
    client.logout()
    assert client.get(reverse("comptes:account"))["Location"].startswith(reverse("comptes:login"))


def test_scope_includes_what_lies_inside(agent):
    """A région covers its départements' laureates; a département only its own."""
    montbard = make_laureat("21425")  # Côte-d'Or, Bourgogne-Franche-Comté
    auxerre_area = make_laureat("89025")  # Yonne, same région
    rennes_area = make_laureat("35051")  # Ille-et-Vilaine, Bretagne
    Habilitation.grant(agent, Role.REFERENT_REGIONAL, region_id="27")
    agent = User.objects.get(pk=agent.pk)
    visible = set(visible_to(agent, Laureat, "export"))
    assert {montbard, auxerre_area} <= visible and rennes_area in visible  # laureates are public
    assert can(agent, "export", montbard)
    assert not can(agent, "edit", montbard)  # référent régional: read only
    delegue = User.objects.create_user("d@example.org")
    Habilitation.grant(delegue, Role.DELEGUE_TERRITORIAL, departement_id="21")
    assert can(delegue, "edit", montbard) and not can(delegue, "edit", auxerre_area)
    assert set(visible_to(delegue, Laureat, "edit")) == {montbard}


def test_get_object_for_404_then_403(agent, admin):
    own = Habilitation.grant(agent, Role.DELEGUE_TERRITORIAL, departement_id="21")
    other = Habilitation.objects.get(user=admin)
    assert get_object_for(agent, "view", Habilitation, pk=own.pk) == own
    with pytest.raises(PermissionDenied):
        get_object_for(agent, "delete", Habilitation, pk=own.pk)
    with pytest.raises(Http404):
        get_object_for(agent, "view", Habilitation, pk=other.pk)
    assert get_object_for(admin, "delete", Habilitation, pk=own.pk) == own


def test_demo_accounts_are_idempotent(db):
    import io

    from pvd.comptes.demo import PEOPLE, load_demo

    load_demo(io.StringIO())
    load_demo(io.StringIO())
    for email, *_ in PEOPLE:
        assert len(habilitations_of(User.objects.get(email=email))) == 1


def test_users_list_query_count_does_not_grow(client, admin, django_assert_max_num_queries):
    for i in range(30):
        user = User.objects.create_user(f"u{i}@example.org")
        Habilitation.grant(user, Role.DELEGUE_TERRITORIAL, departement_id="21")
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("comptes:users"))
    assert response.content.decode().count("Délégué territorial — Côte-d") == 30


def test_create_under_a_parent_is_checked_in_the_parents_scope(monkeypatch, admin):
    from pvd.comptes import policy
    from pvd.territoires.models import Departement

    rule = policy.rule_for(Laureat)
    rights = dict(rule.rights) | {Role.DELEGUE_TERRITORIAL.value: frozenset({"view", "create"})}
    monkeypatch.setitem(policy._RULES, Laureat, rule.__class__(Laureat, rule.scope, rights, rule.public))
    delegue = User.objects.create_user("d21@example.org")
    Habilitation.grant(delegue, Role.DELEGUE_TERRITORIAL, departement_id="21")
    delegue = User.objects.get(pk=delegue.pk)
    cote_dor, yonne = Departement.objects.get(code="21"), Departement.objects.get(code="89")
    assert policy.can(delegue, "create", Laureat, parent=cote_dor)
    assert not policy.can(delegue, "create", Laureat, parent=yonne)
    assert policy.can(admin, "create", Laureat, parent=yonne)
    referent = User.objects.create_user("r27@example.org")
    Habilitation.grant(referent, Role.REFERENT_REGIONAL, region_id="27")
    assert not policy.can(User.objects.get(pk=referent.pk), "create", Laureat, parent=cote_dor)
    with pytest.raises(PermissionDenied):
        policy.require(delegue, "create", Laureat, parent=yonne)
