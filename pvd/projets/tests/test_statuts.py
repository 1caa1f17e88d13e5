"""Every status transition of a fiche action and of a financing line, allowed and refused."""

import itertools

import pytest

from pvd.projets.models import FicheAction, Financement, Statut, StatutFinancement, TransitionStatut
from pvd.projets.rules import (
    FINANCEMENT_TRANSITIONS,
    TRANSITIONS,
    TransitionRefusee,
    verifier_transition_financement,
)
from pvd.projets.services.fiches import changer_statut

from .conftest import make_fiche, make_user

ALLOWED = {
    ("idee", "en_etude"), ("idee", "abandonnee"),
    ("en_etude", "programmee"), ("en_etude", "idee"), ("en_etude", "suspendue"), ("en_etude", "abandonnee"),
    ("programmee", "en_cours"), ("programmee", "en_etude"), ("programmee", "suspendue"), ("programmee", "abandonnee"),
    ("en_cours", "realisee"), ("en_cours", "suspendue"), ("en_cours", "abandonnee"),
    ("suspendue", "en_etude"), ("suspendue", "programmee"), ("suspendue", "en_cours"), ("suspendue", "abandonnee"),
    ("abandonnee", "idee"),
}  # fmt: skip


def test_the_table_is_the_documented_one():
    """The written table of the issue: idée → en étude → programmée → en cours → réalisée, plus suspendue/abandonnée."""
    assert {(de, vers) for de, targets in TRANSITIONS.items() for vers in targets} == ALLOWED
    assert set(TRANSITIONS) == set(Statut.values)
    assert TRANSITIONS[Statut.REALISEE] == frozenset()


@pytest.mark.parametrize(("de", "vers"), sorted(itertools.product(Statut.values, Statut.values)))
def test_every_transition(montbard, de, vers):
    user = make_user(f"pilote-{de}-{vers}@test.fr")
    fiche = make_fiche(montbard)
    FicheAction.objects.filter(pk=fiche.pk).update(statut=de)
    fiche.refresh_from_db()
    before = TransitionStatut.objects.filter(fiche=fiche).count()
    if (de, vers) in ALLOWED:
        transition = changer_statut(fiche, vers, user, commentaire="comité de projet")
        fiche.refresh_from_db()
        assert fiche.statut == vers
        assert (transition.de, transition.vers, transition.par, transition.commentaire) == (
            de,
            vers,
            user,
            "comité de projet",
        )
        assert transition.date is not None
        assert fiche.version == 2
        if vers == Statut.EN_COURS:
            assert fiche.date_debut_reelle is not None
        if vers == Statut.REALISEE:
            assert fiche.date_fin_reelle is not None
    else:
        with pytest.raises(TransitionRefusee) as exc:
            changer_statut(fiche, vers, user)
        message = str(exc.value)
        assert "Transition refusée" in message
        assert dict(Statut.choices)[de] in message and dict(Statut.choices)[vers] in message
        fiche.refresh_from_db()
        assert fiche.statut == de and fiche.version == 1
        assert TransitionStatut.objects.filter(fiche=fiche).count() == before


def test_unknown_status_is_refused(montbard):
    fiche = make_fiche(montbard)
    with pytest.raises(TransitionRefusee):
        changer_statut(fiche, "termine")


FIN_ALLOWED = {
    ("prevu", "sollicite"),
    ("sollicite", "accorde"),
    ("sollicite", "refuse"),
    ("accorde", "verse"),
    ("refuse", "sollicite"),
}


def test_financing_table_is_the_documented_one():
    assert {(de, vers) for de, targets in FINANCEMENT_TRANSITIONS.items() for vers in targets} == FIN_ALLOWED


@pytest.mark.parametrize(
    ("de", "vers"), sorted(itertools.product(StatutFinancement.values, StatutFinancement.values))
)
def test_every_financing_transition(de, vers):
    if de == vers or (de, vers) in FIN_ALLOWED:
        verifier_transition_financement(de, vers)
    else:
        with pytest.raises(TransitionRefusee, match="Transition refusée pour le financement"):
            verifier_transition_financement(de, vers)


def test_transition_through_the_page(client, montbard, admin_user):
    fiche = make_fiche(montbard)
    client.force_login(admin_user)
    response = client.post(
        f"/projets/fiches/{fiche.pk}/statut/", {"vers": "realisee", "version": 1}, follow=True
    )
    assert "Transition refusée" in response.content.decode()
    fiche.refresh_from_db()
    assert fiche.statut == "idee"
    client.post(
        f"/projets/fiches/{fiche.pk}/statut/", {"vers": "en_etude", "version": 1, "commentaire": "Go"}
    )
    fiche.refresh_from_db()
    assert fiche.statut == "en_etude"
    assert fiche.transitions.first().par == admin_user


def test_financing_status_through_the_form(client, montbard, admin_user):
    fiche = make_fiche(montbard, financements=[("etat", "1000", "accorde")])
    line = Financement.objects.get(fiche=fiche)
    client.force_login(admin_user)
    data = {"financeur": line.financeur_id, "montant": "1000", "statut": "prevu", "version": line.version}
    response = client.post(f"/projets/lignes/financements/{line.pk}/modifier/", data)
    assert response.status_code == 200
    assert "Transition refusée pour le financement" in response.content.decode()
    line.refresh_from_db()
    assert line.statut == "accorde"
    data["statut"] = "verse"
    assert client.post(f"/projets/lignes/financements/{line.pk}/modifier/", data).status_code == 302
    line.refresh_from_db()
    assert line.statut == "verse" and line.version == 2
