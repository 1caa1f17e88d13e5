"""Record history page and restore of a deleted record by an administrator."""

import datetime as dt

import pytest
from django.urls import reverse

from pvd.comptes.models import Habilitation, Role, User
from pvd.core.history import history_entries, restore_deleted
from pvd.core.locking import save_with_version
from pvd.programmes.factories import make_laureat
from pvd.programmes.models import Laureat, Programme


@pytest.fixture
def admin(db):
    user = User.objects.create_user("admin@example.org", "x" * 16, first_name="Ada", last_name="Admin")
    Habilitation.grant(user, Role.ADMIN_NATIONAL)
    return user


@pytest.fixture
def programme(db, admin):
    p = Programme(nom="Action cœur de ville", slug="acv", date_lancement=dt.date(2018, 3, 27))
    save_with_version(p, None, user=admin)
    p.description = "Revitalisation des villes moyennes"
    save_with_version(p, 1, user=admin)
    return p


def test_history_lists_who_when_what(programme, admin, client):
    entries = history_entries(Programme, programme.pk)
    assert [e.type for e in entries] == ["~", "+"]
    assert entries[0].user == "Ada Admin"
    [change] = entries[0].changes
    assert (change.label, change.old, change.new) == ("description", "", "Revitalisation des villes moyennes")

    client.force_login(admin)
    url = reverse("core:history", args=["programmes", "programme", programme.pk])
    page = client.get(url).content.decode()
    assert "Ada Admin" in page and "Revitalisation des villes moyennes" in page and "Création" in page


def test_history_page_follows_the_policy(client, db):
    laureat = make_laureat("21425")  # Montbard (Côte-d'Or)
    url = reverse("core:history", args=["programmes", "laureat", laureat.pk])
    assert client.get(url).status_code == 200  # laureates are public
    url = reverse("core:history", args=["comptes", "historicalhabilitation", 1])
    assert client.get(url).status_code == 404  # not a historised model itself


def test_restore_deleted_record_by_administrator(admin, client, db):
    laureat = make_laureat("21425", statut=Laureat.Statut.ADHESION_SIGNEE)
    pk, ident = laureat.pk, laureat.identifiant
    laureat._history_user = admin
    Laureat.objects.filter(pk=pk).delete()  # LaureatCommune cascades
    assert not Laureat.objects.filter(pk=pk).exists()

    # Listed among the deleted laureates; non-admins may not restore.
    delegue = User.objects.create_user("delegue@example.org")
    Habilitation.grant(delegue, Role.DELEGUE_TERRITORIAL, departement_id="21")
    client.force_login(delegue)
    restore_url = reverse("core:restore", args=["programmes", "laureat", pk])
    assert client.post(restore_url).status_code == 403
    assert client.get(reverse("core:history", args=["programmes", "laureat", pk])).status_code == 404
    assert not Laureat.objects.filter(pk=pk).exists()

    client.force_login(admin)
    deleted_page = client.get(reverse("core:deleted", args=["programmes", "laureat"])).content.decode()
    assert ident in deleted_page
    response = client.post(restore_url)
    assert response.status_code == 302
    restored = Laureat.objects.get(pk=pk)
    assert restored.identifiant == ident and restored.statut == Laureat.Statut.ADHESION_SIGNEE
    assert restored.version == 2
    last = restored.history.first()
    assert last.history_type == "+" and last.history_user == admin
    assert last.history_change_reason == "Restauration depuis l'historique"
    # The history now shows creation, deletion and restoration.
    assert [e.type for e in history_entries(Laureat, pk)] == ["+", "-", "+"]
    client.get("/")  # consume the success message
    assert (
        "Aucun enregistrement supprimé"
        in client.get(reverse("core:deleted", args=["programmes", "laureat"])).content.decode()
    )


def test_restore_refuses_an_existing_record(admin, db):
    laureat = make_laureat("21425")
    from pvd.core.history import RestoreError

    with pytest.raises(RestoreError, match="existe"):
        restore_deleted(Laureat, laureat.pk, user=admin)


def test_history_template_tags(programme, rf):
    from django.template import Context, Template

    html = Template("{% load pvd_history %}{% history_link obj %}{% history_table obj %}").render(
        Context({"obj": programme})
    )
    assert reverse("core:history", args=["programmes", "programme", programme.pk]) in html
    assert "Revitalisation des villes moyennes" in html and "Ada Admin" in html


def test_admin_pages_of_accounts_render(admin, client):
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    for url in [
        "/admin/comptes/user/",
        f"/admin/comptes/user/{admin.pk}/change/",
        "/admin/comptes/habilitation/",
        "/admin/comptes/apitoken/",
        "/admin/comptes/organisation/",
    ]:
        assert client.get(url).status_code == 200, url
