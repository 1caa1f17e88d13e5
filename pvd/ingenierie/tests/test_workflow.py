"""Workflows: post states, requests (déposée → instruite → accordée → versée / refusée), instalments,
envelopes and their override, stale edits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from pvd.core.locking import StaleEditError
from pvd.ingenierie.models import (
    Cofinancement,
    DerogationEnveloppe,
    Enveloppe,
    EnveloppeDepartement,
    OperationHabitat,
    PosteChefDeProjet,
)
from pvd.ingenierie.rules import TRANSITIONS_POSTE
from pvd.ingenierie.services import workflow
from pvd.ingenierie.services.workflow import TransitionRefusee
from pvd.territoires.models import Departement, Region

from .conftest import make_poste

D = Decimal
Etat = PosteChefDeProjet.Etat
EtatDemande = Cofinancement.Etat
pytestmark = pytest.mark.django_db


@pytest.fixture
def enveloppe_bfc(pvd):
    return Enveloppe.objects.create(
        programme=pvd, region=Region.objects.get(code="27"), annee=2026, montant=D("100000")
    )


# ------------------------------------------------------------------ posts
def test_transitions_du_poste_datees_et_journalisees(admin, montbard):
    poste = make_poste(admin, montbard, etat=Etat.A_POURVOIR, titulaire_nom="")
    workflow.changer_etat_poste(poste, Etat.EN_RECRUTEMENT, admin, date=dt.date(2025, 2, 1))
    workflow.changer_etat_poste(
        poste,
        Etat.POURVU,
        admin,
        date=dt.date(2025, 4, 1),
        titulaire_nom="Léa Dupont",
        titulaire_email="lea.dupont@montbard.test",
        type_contrat=PosteChefDeProjet.TypeContrat.CDD,
        date_fin_contrat=dt.date(2027, 3, 31),
    )
    poste.refresh_from_db()
    assert (poste.etat, poste.etat_depuis, poste.date_prise_poste) == (
        Etat.POURVU,
        dt.date(2025, 4, 1),
        dt.date(2025, 4, 1),
    )
    log = list(poste.transitions.values_list("de", "vers", "date", "par__email"))
    assert log[1:] == [
        (Etat.A_POURVOIR, Etat.EN_RECRUTEMENT, dt.date(2025, 2, 1), "admin@anct.test"),
        (Etat.EN_RECRUTEMENT, Etat.POURVU, dt.date(2025, 4, 1), "admin@anct.test"),
    ]
    assert poste.history.count() >= 3


@pytest.mark.parametrize(
    "de,vers",
    [
        (de, vers)
        for de in Etat.values
        for vers in Etat.values
        if vers not in TRANSITIONS_POSTE[de] and de != vers
    ],
)
def test_transitions_refusees_du_poste(admin, montbard, de, vers):
    poste = make_poste(admin, montbard, etat=de)
    with pytest.raises(TransitionRefusee, match="ne peut pas passer"):
        workflow.changer_etat_poste(poste, vers, admin, date=dt.date(2026, 1, 1))
    poste.refresh_from_db()
    assert poste.etat == de


def test_pourvoir_exige_le_nom(admin, montbard):
    poste = make_poste(admin, montbard, etat=Etat.EN_RECRUTEMENT)
    with pytest.raises(TransitionRefusee, match="nom du chef de projet"):
        workflow.changer_etat_poste(poste, Etat.POURVU, admin, date=dt.date(2026, 1, 1))
    assert PosteChefDeProjet.objects.get(pk=poste.pk).etat == Etat.EN_RECRUTEMENT


def test_parts_d_un_poste_partage_totalisent_1(admin, montbard, semur):
    with pytest.raises(TransitionRefusee, match="totaliser 1"):
        make_poste(admin, [(montbard, D("0.5")), (semur, D("0.4"))])
    assert not PosteChefDeProjet.objects.exists()  # nothing half-written


def test_modification_perimee_refusee(admin, montbard):
    poste = make_poste(admin, montbard)
    a = PosteChefDeProjet.objects.get(pk=poste.pk)
    b = PosteChefDeProjet.objects.get(pk=poste.pk)
    workflow.changer_etat_poste(a, Etat.VACANT, admin, date=dt.date(2026, 3, 1))
    with pytest.raises(StaleEditError):
        workflow.changer_etat_poste(b, Etat.SUPPRIME, admin, date=dt.date(2026, 3, 2))
    assert PosteChefDeProjet.objects.get(pk=poste.pk).etat == Etat.VACANT


# ------------------------------------------------------------------ requests
def test_demande_calculee_par_les_regles(admin, montbard):
    poste = make_poste(admin, montbard, cout="60000")
    cof = workflow.deposer(poste, 2026, admin)
    assert (cof.montant_etat, cof.montant_bdt, cof.montant_anah, cof.montant_total) == (
        D("30000.00"),
        D("15000.00"),
        D("0.00"),
        D("45000.00"),
    )
    assert cof.departement_id == "21" and cof.region_id == "27"
    # 75 % of 60,000 = the 45,000 cap exactly: neither is "binding" over the other; the BdT share is
    # held at 25 % = 15,000 € (its rate and its cap) — the State takes the rest
    assert {lim["code"] for lim in cof.limites} == {"taux_bdt", "plafond_bdt"}


def test_demande_avec_opah_ru(admin, montbard):
    OperationHabitat.objects.create(
        laureat=montbard,
        type=OperationHabitat.Type.OPAH_RU,
        date_debut=dt.date(2023, 1, 1),
        date_fin=dt.date(2027, 12, 31),
    )
    poste = make_poste(admin, montbard, cout="80000")
    cof = workflow.deposer(poste, 2026, admin)
    assert cof.avec_anah
    assert (cof.montant_total, cof.montant_anah, cof.montant_bdt, cof.montant_etat) == (
        D("55000.00"),
        D("40000.00"),
        D("15000.00"),
        D("0.00"),
    )
    assert "plafond_total_anah" in {lim["code"] for lim in cof.limites}


def test_anah_refusee_sans_operation_l_annee(admin, montbard):
    OperationHabitat.objects.create(
        laureat=montbard,
        type=OperationHabitat.Type.OPAH,
        date_debut=dt.date(2019, 1, 1),
        date_fin=dt.date(2024, 12, 31),
    )
    poste = make_poste(admin, montbard, cout="80000")
    with pytest.raises(TransitionRefusee, match="Anah ne peut contribuer en 2026"):
        workflow.deposer(poste, 2026, admin, avec_anah=True)
    cof = workflow.deposer(poste, 2026, admin)  # eligibility computed: no Anah
    assert not cof.avec_anah and cof.montant_total == D("45000.00")


def test_demande_poste_pourvu_en_cours_d_annee(admin, montbard):
    poste = make_poste(
        admin, montbard, cout="60000", date_prise_poste=dt.date(2026, 7, 1), etat_depuis=dt.date(2026, 7, 1)
    )
    cof = workflow.deposer(poste, 2026, admin)
    assert (cof.periode_debut, cof.periode_fin) == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert cof.montant_total == D("22684.93")


def test_une_seule_demande_par_poste_et_annee(admin, montbard):
    poste = make_poste(admin, montbard)
    workflow.deposer(poste, 2026, admin)
    with pytest.raises(TransitionRefusee, match="existe déjà"):
        workflow.deposer(poste, 2026, admin)


def test_workflow_complet_avec_versements(delegue21, admin, montbard, enveloppe_bfc):
    poste = make_poste(admin, montbard, cout="60000")
    cof = workflow.deposer(poste, 2026, admin, date=dt.date(2026, 1, 15))
    workflow.instruire(cof, delegue21, avis="Favorable", date=dt.date(2026, 2, 1))
    workflow.accorder(cof, delegue21, arrete_reference="AP-21-2026-042", date=dt.date(2026, 3, 1))
    assert cof.montant_accorde == D("30000.00")
    tranche = workflow.premiere_tranche(cof)
    assert tranche == D("22500.00")
    workflow.verser(cof, delegue21, montant=tranche, date=dt.date(2026, 4, 1), libelle="Avance 75 %")
    cof.refresh_from_db()
    assert cof.etat == EtatDemande.ACCORDEE and cof.reste_a_verser() == D("7500.00")
    with pytest.raises(TransitionRefusee, match="dépasse le reste à verser"):
        workflow.verser(cof, delegue21, montant=D("7500.01"), date=dt.date(2026, 12, 1))
    workflow.verser(cof, delegue21, montant=D("7500.00"), date=dt.date(2026, 12, 1), libelle="Solde")
    cof.refresh_from_db()
    assert cof.etat == EtatDemande.VERSEE and cof.total_verse() == D("30000.00")
    with pytest.raises(TransitionRefusee, match="demande accordée"):
        workflow.verser(cof, delegue21, montant=D("1"), date=dt.date(2026, 12, 2))
    steps = list(cof.transitions.values_list("vers", "date", "par__email"))
    assert steps == [
        (EtatDemande.DEPOSEE, dt.date(2026, 1, 15), "admin@anct.test"),
        (EtatDemande.INSTRUITE, dt.date(2026, 2, 1), "ddt21@test.gouv.fr"),
        (EtatDemande.ACCORDEE, dt.date(2026, 3, 1), "ddt21@test.gouv.fr"),
        (EtatDemande.VERSEE, dt.date(2026, 12, 1), "ddt21@test.gouv.fr"),
    ]
    env = Enveloppe.objects.avec_consommation().get(pk=enveloppe_bfc.pk)
    assert (env.engage, env.verse) == (D("30000.00"), D("30000.00"))


def test_transitions_refusees_de_la_demande(delegue21, admin, montbard, enveloppe_bfc):
    cof = workflow.deposer(make_poste(admin, montbard), 2026, admin)
    with pytest.raises(TransitionRefusee, match="« Déposée » ne peut pas devenir « Accordée »"):
        workflow.accorder(cof, delegue21, arrete_reference="AP-1")
    with pytest.raises(TransitionRefusee, match="accordée"):
        workflow.verser(cof, delegue21, montant=D("10"))
    with pytest.raises(TransitionRefusee, match="motif du refus est obligatoire"):
        workflow.refuser(cof, delegue21, motif=" ")
    workflow.refuser(cof, delegue21, motif="Poste non éligible")
    with pytest.raises(TransitionRefusee, match="« Refusée » ne peut pas devenir « Instruite »"):
        workflow.instruire(cof, delegue21)
    assert Cofinancement.objects.get(pk=cof.pk).etat == EtatDemande.REFUSEE
    # a refused request does not block a new one
    assert workflow.deposer(cof.poste, 2026, admin).etat == EtatDemande.DEPOSEE


def test_accord_exige_arrete_et_montant_dans_la_part_etat(delegue21, admin, montbard, enveloppe_bfc):
    cof = workflow.deposer(make_poste(admin, montbard), 2026, admin)
    workflow.instruire(cof, delegue21)
    with pytest.raises(TransitionRefusee, match="référence de l'arrêté"):
        workflow.accorder(cof, delegue21, arrete_reference="")
    with pytest.raises(TransitionRefusee, match="dépasse la part de l'État"):
        workflow.accorder(cof, delegue21, arrete_reference="AP-2", montant=D("30000.01"))
    assert Cofinancement.objects.get(pk=cof.pk).etat == EtatDemande.INSTRUITE


def test_delegue_n_instruit_pas_hors_departement(delegue71, admin, montbard):
    cof = workflow.deposer(make_poste(admin, montbard), 2026, admin)
    with pytest.raises(PermissionDenied):
        workflow.instruire(cof, delegue71)
    with pytest.raises(PermissionDenied):
        workflow.refuser(cof, delegue71, motif="non")
    assert Cofinancement.objects.get(pk=cof.pk).etat == EtatDemande.DEPOSEE


def test_collectivite_depose_mais_n_instruit_pas(collectivite_montbard, admin, montbard):
    poste = make_poste(admin, montbard)
    cof = workflow.deposer(poste, 2026, collectivite_montbard)
    assert cof.depose_par == collectivite_montbard
    with pytest.raises(PermissionDenied):
        workflow.instruire(cof, collectivite_montbard)


def test_collectivite_ne_depose_pas_pour_un_autre(collectivite_lamballe, admin, montbard):
    poste = make_poste(admin, montbard)
    with pytest.raises(PermissionDenied):
        workflow.deposer(poste, 2026, collectivite_lamballe)


# ------------------------------------------------------------------ envelopes
def _instruite(admin, delegue, laureat, cout="60000"):
    cof = workflow.deposer(make_poste(admin, laureat, cout=cout), 2026, admin)
    return workflow.instruire(cof, delegue)


def test_accord_au_dela_de_l_enveloppe_refuse_sans_derogation(delegue21, admin, montbard, semur, pvd):
    Enveloppe.objects.create(
        programme=pvd, region=Region.objects.get(code="27"), annee=2026, montant=D("50000")
    )
    a = _instruite(admin, delegue21, montbard)
    b = _instruite(admin, delegue21, semur)
    workflow.accorder(a, delegue21, arrete_reference="AP-A")  # 30,000 of 50,000
    with pytest.raises(TransitionRefusee) as refus:
        workflow.accorder(b, delegue21, arrete_reference="AP-B")
    assert (
        "dépasse l'enveloppe (il reste 20\u202f000,00\u00a0€ sur l'enveloppe Bourgogne-Franche-Comté 2026)"
        in refus.value.messages[0]
    )
    # the délégué cannot override by himself
    with pytest.raises(TransitionRefusee, match="seul un référent régional"):
        workflow.accorder(b, delegue21, arrete_reference="AP-B", motif_depassement="urgent")
    assert Cofinancement.objects.get(pk=b.pk).etat == EtatDemande.INSTRUITE
    assert not DerogationEnveloppe.objects.exists()
    # within what remains: fine
    workflow.accorder(b, delegue21, arrete_reference="AP-B", montant=D("20000"))


def test_derogation_par_le_referent_regional_enregistree(
    delegue21, referent_bfc, referent_bretagne, admin, montbard, semur, pvd
):
    Enveloppe.objects.create(
        programme=pvd, region=Region.objects.get(code="27"), annee=2026, montant=D("50000")
    )
    workflow.accorder(_instruite(admin, delegue21, montbard), delegue21, arrete_reference="AP-A")
    b = _instruite(admin, delegue21, semur)
    with pytest.raises(PermissionDenied):
        workflow.autoriser_depassement(b, referent_bretagne, motif="hors région")
    with pytest.raises(PermissionDenied):
        workflow.autoriser_depassement(b, delegue21, motif="moi-même")
    with pytest.raises(TransitionRefusee, match="motif"):
        workflow.autoriser_depassement(b, referent_bfc, motif="")
    derogation = workflow.autoriser_depassement(b, referent_bfc, motif="Redéploiement validé en CAR du 12/03")
    assert (derogation.autorise_par, derogation.montant, derogation.depassement) == (
        referent_bfc,
        D("30000.00"),
        D("10000.00"),
    )
    assert derogation.autorise_le is not None
    workflow.accorder(b, delegue21, arrete_reference="AP-B")
    env = Enveloppe.objects.avec_consommation().get()
    assert env.engage == D("60000.00") and env.montant - env.engage == D("-10000.00")


def test_admin_accorde_avec_derogation_en_une_fois(admin, montbard, pvd):
    cof = _instruite(admin, admin, montbard)  # no envelope at all
    with pytest.raises(TransitionRefusee, match="aucune enveloppe 2026"):
        workflow.accorder(cof, admin, arrete_reference="AP-X")
    workflow.accorder(
        cof, admin, arrete_reference="AP-X", motif_depassement="Enveloppe en cours de délégation"
    )
    assert cof.derogations.get().autorise_par == admin


def test_part_departementale_de_l_enveloppe(delegue21, delegue71, admin, montbard, autun, pvd):
    env = Enveloppe.objects.create(
        programme=pvd, region=Region.objects.get(code="27"), annee=2026, montant=D("200000")
    )
    EnveloppeDepartement.objects.create(
        enveloppe=env, departement=Departement.objects.get(code="21"), montant=D("40000")
    )
    workflow.accorder(_instruite(admin, delegue21, montbard), delegue21, arrete_reference="AP-21-1")
    # Côte-d'Or has 10,000 left on its part although the region has 170,000
    cote_dor = _instruite(admin, delegue21, make_laureat_21())
    with pytest.raises(TransitionRefusee, match="part Côte-d'Or"):
        workflow.accorder(cote_dor, delegue21, arrete_reference="AP-21-2")
    # Saône-et-Loire has no split: the regional remainder applies
    workflow.accorder(_instruite(admin, delegue71, autun), delegue71, arrete_reference="AP-71-1")


def make_laureat_21():
    from pvd.programmes.factories import make_laureat

    return make_laureat("21154")  # Châtillon-sur-Seine


# ------------------------------------------------------------------ rules per programme
def test_regles_pvd_semees_par_la_migration(pvd):
    from pvd.ingenierie.models import RegleCofinancement
    from pvd.ingenierie.services.cofinancement import PVD

    assert RegleCofinancement.objects.filter(programme=pvd).count() == 7
    assert RegleCofinancement.parametres(pvd.pk) == PVD


def test_regles_configurables_par_programme(admin):
    from pvd.ingenierie.models import RegleCofinancement
    from pvd.programmes.factories import make_laureat
    from pvd.programmes.models import Programme

    acv = Programme.objects.create(nom="Action cœur de ville", slug="acv", date_lancement=dt.date(2018, 1, 1))
    RegleCofinancement.objects.create(programme=acv, code="plafond_total", valeur=D("40000"))
    RegleCofinancement.objects.create(programme=acv, code="taux_bdt", valeur=D("0.20"))
    laureat = make_laureat("21231", programme=acv)  # Dijon stands for an ACV city here
    cof = workflow.deposer(make_poste(admin, laureat, cout="60000"), 2026, admin)
    # 75 % = 45,000 capped at ACV's 40,000 ; BdT 20 % = 12,000 ; State 28,000
    assert (cof.montant_total, cof.montant_bdt, cof.montant_etat) == (
        D("40000.00"),
        D("12000.00"),
        D("28000.00"),
    )
    assert "plafond_total" in {lim["code"] for lim in cof.limites}
