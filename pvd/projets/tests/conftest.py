"""Fixtures of the projets tests: real laureates (real communes), users with habilitations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from pvd.comptes.models import Habilitation, Organisation, Role, User
from pvd.programmes.factories import make_laureat
from pvd.projets.models import Axe, FicheAction, Financement, Financeur, LigneCout, ProjetDeTerritoire, Theme
from pvd.projets.services.fiches import creer_fiche


def make_user(email: str, role: str | None = None, **scope) -> User:
    user = User.objects.create_user(email)  # no password: tests log in with force_login
    if role:
        Habilitation.objects.create(user=user, role=role, granted_at=timezone.now(), **scope)
    return user


def make_projet(laureat, axes=("Revitaliser le centre-bourg", "Habiter le centre")) -> ProjetDeTerritoire:
    projet = ProjetDeTerritoire.objects.create(
        laureat=laureat, titre=f"Projet de territoire de {laureat.nom}"
    )
    for i, titre in enumerate(axes, start=1):
        Axe.objects.create(projet=projet, ordre=i, titre=titre)
    return projet


def make_fiche(
    projet, titre="Rénovation des halles", cout="100000", financements=(), themes=("commerce",), **fields
):
    fiche = FicheAction(projet=projet, titre=titre, axe=projet.axes.first(), **fields)
    creer_fiche(fiche, themes=list(Theme.objects.filter(slug__in=themes)))
    if cout is not None:
        LigneCout.objects.create(fiche=fiche, montant_ht=Decimal(cout), annee=2025)
    for slug, montant, statut in financements:
        Financement.objects.create(
            fiche=fiche, financeur=Financeur.objects.get(slug=slug), montant=Decimal(montant), statut=statut
        )
    return fiche


@pytest.fixture
def montbard(db):
    """Montbard (21425, Côte-d'Or, Bourgogne-Franche-Comté) as a laureate with a project."""
    return make_projet(make_laureat("21425"))


@pytest.fixture
def autre(db):
    """Another laureate in another département and région: Hazebrouck (59295, Nord)."""
    return make_projet(make_laureat("59295"))


@pytest.fixture
def admin_user(db):
    return make_user("admin@test.fr", Role.ADMIN_NATIONAL)


@pytest.fixture
def organisation_bdt(db):
    org = Organisation.objects.create(nom="Banque des Territoires (test)", sigle="BdT")
    Financeur.objects.filter(slug="banque-des-territoires").update(organisation=org)
    return org
