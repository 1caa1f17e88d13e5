"""Fixtures of the ingénierie tests: real laureates (real communes) and users with habilitations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pvd.comptes.models import Habilitation, Role, User
from pvd.ingenierie.models import PosteChefDeProjet
from pvd.ingenierie.services import workflow
from pvd.programmes.factories import make_laureat, programme_pvd


def make_user(email: str, role: str | None = None, **scope) -> User:
    user = User.objects.create_user(email=email, password="x-Secret-123")
    if role:
        Habilitation.objects.create(user=user, role=role, **scope)
    return user


@pytest.fixture
def pvd(db):
    return programme_pvd()


@pytest.fixture
def montbard(pvd):
    """Montbard (Côte-d'Or, Bourgogne-Franche-Comté)."""
    return make_laureat("21425")


@pytest.fixture
def semur(pvd):
    """Semur-en-Auxois (Côte-d'Or)."""
    return make_laureat("21603")


@pytest.fixture
def autun(pvd):
    """Autun (Saône-et-Loire, BFC)."""
    return make_laureat("71014")


@pytest.fixture
def lamballe(pvd):
    """Lamballe-Armor (Côtes-d'Armor, Bretagne)."""
    return make_laureat("22093")


@pytest.fixture
def admin(db):
    return make_user("admin@anct.test", Role.ADMIN_NATIONAL)


@pytest.fixture
def delegue21(db):
    from pvd.territoires.models import Departement

    return make_user(
        "ddt21@test.gouv.fr", Role.DELEGUE_TERRITORIAL, departement=Departement.objects.get(code="21")
    )


@pytest.fixture
def delegue71(db):
    from pvd.territoires.models import Departement

    return make_user(
        "ddt71@test.gouv.fr", Role.DELEGUE_TERRITORIAL, departement=Departement.objects.get(code="71")
    )


@pytest.fixture
def referent_bfc(db):
    from pvd.territoires.models import Region

    return make_user("sgar-bfc@test.gouv.fr", Role.REFERENT_REGIONAL, region=Region.objects.get(code="27"))


@pytest.fixture
def referent_bretagne(db):
    from pvd.territoires.models import Region

    return make_user("sgar-bzh@test.gouv.fr", Role.REFERENT_REGIONAL, region=Region.objects.get(code="53"))


@pytest.fixture
def collectivite_montbard(montbard):
    return make_user("cdp@montbard.test", Role.COLLECTIVITE, laureat=montbard)


@pytest.fixture
def collectivite_lamballe(lamballe):
    return make_user("cdp@lamballe.test", Role.COLLECTIVITE, laureat=lamballe)


def make_poste(admin, laureats, cout="60000", etat=PosteChefDeProjet.Etat.POURVU, epci=True, **fields):
    """A post employed by the first laureate's EPCI (or main commune), serving ``laureats``."""
    if not isinstance(laureats, list | tuple):
        laureats = [(laureats, Decimal("1"))]
    first = laureats[0][0]
    employer = {"employeur_epci": first.epci} if epci else {"employeur_commune": first.communes.first()}
    defaults = {
        "titulaire_nom": "Camille Martin",
        "titulaire_email": "camille.martin@example.org",
        "date_prise_poste": dt.date(2025, 1, 1),
        "type_contrat": PosteChefDeProjet.TypeContrat.PROJET,
        "etat_depuis": dt.date(2025, 1, 1),
    }
    if etat != PosteChefDeProjet.Etat.POURVU:
        defaults = {"etat_depuis": dt.date(2025, 1, 1)}
    defaults.update(fields)
    poste = PosteChefDeProjet(
        programme=first.programme, cout_annuel=Decimal(cout), etat=etat, **employer, **defaults
    )
    return workflow.creer_poste(admin, poste, laureats)
