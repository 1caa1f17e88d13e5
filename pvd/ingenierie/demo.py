"""Demo data of ingénierie: posts for the demo laureates, habitat operations, this year's requests at
every step of the workflow and the regional envelopes. Idempotent: a laureate that already has a
post is left alone; envelopes are got or created.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from pvd.programmes.models import Laureat

from .models import (
    Cofinancement,
    DerogationEnveloppe,
    Enveloppe,
    EnveloppeDepartement,
    OperationHabitat,
    PartPoste,
    PosteChefDeProjet,
)
from .services import workflow

Etat = PosteChefDeProjet.Etat
PRENOMS = ["Camille", "Léa", "Hugo", "Inès", "Louis", "Manon", "Jules", "Chloé", "Nathan", "Sarah"]
NOMS = ["Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel"]


def _acteur():
    User = get_user_model()
    from pvd.core.management.commands.setup_demo import DEMO_EMAIL

    return User.objects.filter(email=DEMO_EMAIL).first() or User.objects.filter(is_superuser=True).first()


def load_demo(stdout) -> None:
    laureats = list(
        Laureat.objects.filter(demo=True)
        .select_related("epci", "departement", "region")
        .order_by("departement_id", "identifiant")
    )
    if not laureats:
        stdout.write("Ingénierie : aucun lauréat de démonstration — aucun poste créé.")
        return
    acteur = _acteur()
    if acteur is None:
        stdout.write(
            "Ingénierie : aucun administrateur pour créer les données de démonstration — rien n'est créé."
        )
        return
    deja = set(PartPoste.objects.filter(laureat__in=laureats).values_list("laureat_id", flat=True))
    a_traiter = [lau for lau in laureats if lau.pk not in deja]
    today = timezone.localdate()
    annee = today.year
    with transaction.atomic():
        postes = _creer_postes(a_traiter, acteur, today)
        demandes, enveloppes = _creer_demandes(postes, acteur, annee, today, laureats)
    stdout.write(
        f"Ingénierie : {len(postes)} poste(s) créé(s), {demandes} demande(s) de cofinancement {annee}, "
        f"{enveloppes} enveloppe(s) créée(s) ; {len(deja)} lauréat(s) avaient déjà un poste."
    )


def _creer_postes(laureats: list[Laureat], acteur, today: dt.date) -> list[PosteChefDeProjet]:
    postes = []
    i = 0
    while i < len(laureats):
        lau = laureats[i]
        n = len(postes)
        # one post in five is shared with the next laureate of the same département (0.6 / 0.4)
        partage = (
            n % 5 == 1 and i + 1 < len(laureats) and laureats[i + 1].departement_id == lau.departement_id
        )
        parts = (
            [(lau, Decimal("0.6")), (laureats[i + 1], Decimal("0.4"))] if partage else [(lau, Decimal("1"))]
        )
        i += 2 if partage else 1
        if n % 4 == 0:
            OperationHabitat.objects.create(
                laureat=lau,
                type=OperationHabitat.Type.OPAH_RU,
                intitule=f"OPAH-RU de {lau.nom}",
                date_debut=dt.date(today.year - 2, 1, 1),
                date_fin=dt.date(today.year + 2, 12, 31),
            )
        cout = Decimal(48_000 + (n * 3_700) % 34_000)
        etat = [Etat.POURVU] * 7 + [Etat.VACANT, Etat.EN_RECRUTEMENT, Etat.A_POURVOIR]
        etat = etat[n % 10]
        employeur = (
            {"employeur_epci": lau.epci}
            if (lau.epci_id and n % 2 == 0)
            else {"employeur_commune": lau.communes.first()}
        )
        poste = PosteChefDeProjet(
            programme=lau.programme, cout_annuel=cout, etat=Etat.A_POURVOIR, **employeur
        )
        poste.etat_depuis = dt.date(2021, 3, 1)
        workflow.creer_poste(acteur, poste, parts)
        if etat in (Etat.POURVU, Etat.VACANT):
            debut = (
                dt.date(today.year, 7, 1)
                if n % 9 == 3
                else dt.date(2021, 9, 1) + dt.timedelta(days=31 * (n % 20))
            )
            fin = today + dt.timedelta(days=30 + n % 60) if n % 7 == 2 else dt.date(today.year + 2, 8, 31)
            nom = f"{PRENOMS[n % 10]} {NOMS[(n * 3) % 10]}"
            workflow.changer_etat_poste(
                poste,
                Etat.POURVU,
                acteur,
                date=min(debut, today),
                date_prise_poste=debut,
                titulaire_nom=nom,
                titulaire_email=f"{nom.lower().replace(' ', '.').replace('é', 'e').replace('è', 'e').replace('ï', 'i')}@example.org",
                type_contrat=PosteChefDeProjet.TypeContrat.PROJET
                if n % 3
                else PosteChefDeProjet.TypeContrat.CDD,
                date_fin_contrat=fin,
                commentaire="Recrutement (démonstration)",
            )
            if etat == Etat.VACANT:
                workflow.changer_etat_poste(
                    poste, Etat.VACANT, acteur, date=max(today - dt.timedelta(days=20), debut)
                )
        elif etat == Etat.EN_RECRUTEMENT:
            workflow.changer_etat_poste(
                poste, Etat.EN_RECRUTEMENT, acteur, date=today - dt.timedelta(days=40)
            )
        postes.append(poste)
    return postes


def _creer_demandes(
    postes: list[PosteChefDeProjet], acteur, annee: int, today: dt.date, laureats
) -> tuple[int, int]:
    """Deposit this year's requests, open the envelopes, then move the requests along the workflow."""
    demandes = []
    for i, poste in enumerate(postes):
        if poste.etat != Etat.POURVU:
            continue
        poste = PosteChefDeProjet.objects.avec_parts().get(pk=poste.pk)
        demandes.append((i, workflow.deposer(poste, annee, acteur, date=min(dt.date(annee, 1, 15), today))))
    enveloppes = _creer_enveloppes(laureats, annee)
    for i, cof in demandes:
        step = i % 5
        if step >= 1:
            workflow.instruire(
                cof, acteur, avis="Dossier complet (démonstration)", date=min(dt.date(annee, 2, 10), today)
            )
        if step >= 2:
            try:
                workflow.accorder(
                    cof,
                    acteur,
                    arrete_reference=f"AP-{cof.departement_id}-{annee}-{i + 1:03d}",
                    date=min(dt.date(annee, 3, 20), today),
                )
            except workflow.TransitionRefusee:  # envelope of an earlier run exhausted: stays instruite
                continue
        if step >= 3:
            workflow.verser(
                cof,
                acteur,
                montant=workflow.premiere_tranche(cof),
                date=min(dt.date(annee, 4, 15), today),
                libelle="Avance 75 %",
            )
        if step >= 4 and today >= dt.date(annee, 11, 1):
            cof.refresh_from_db()
            workflow.verser(
                cof,
                acteur,
                montant=cof.reste_a_verser(),
                date=min(today, dt.date(annee, 12, 1)),
                libelle="Solde",
            )
    instruites = [cof for i, cof in demandes if i % 5 == 1]
    if instruites and not DerogationEnveloppe.objects.exists():
        # a référent régional's override, authorised ahead of the grant (recorded: who, when, why)
        workflow.autoriser_depassement(
            instruites[0], acteur, motif="Recrutement prioritaire : dépassement autorisé (démonstration)"
        )
    return len(demandes), enveloppes


def _creer_enveloppes(laureats: list[Laureat], annee: int) -> int:
    """One envelope per région of the demo laureates: 110 % of what its requests ask from the State."""
    created = 0
    for programme_id, region_id in sorted({(lau.programme_id, lau.region_id) for lau in laureats}):
        demandes = Cofinancement.objects.filter(
            poste__programme_id=programme_id, region_id=region_id, annee=annee
        )
        besoin = sum((c.montant_etat for c in demandes), Decimal(0))
        montant = max(Decimal(50_000), (besoin * Decimal("1.1") / 1000).quantize(Decimal(1)) * 1000)
        # one région's envelope is split by département (110 % of each one's requests)
        parts = {} if EnveloppeDepartement.objects.exists() else _parts_departements(demandes)
        montant = max(montant, sum(parts.values(), Decimal(0)))
        enveloppe, was_created = Enveloppe.objects.get_or_create(
            programme_id=programme_id,
            region_id=region_id,
            annee=annee,
            defaults={"montant": montant, "commentaire": "Enveloppe de démonstration"},
        )
        if was_created:
            for departement_id, part in parts.items():
                EnveloppeDepartement.objects.create(
                    enveloppe=enveloppe, departement_id=departement_id, montant=part
                )
        created += was_created
    return created


def _parts_departements(demandes) -> dict[str, Decimal]:
    besoins: dict[str, Decimal] = {}
    for c in demandes:
        besoins[c.departement_id] = besoins.get(c.departement_id, Decimal(0)) + c.montant_etat
    return {
        dep: max(Decimal(10_000), -(-(b * Decimal("1.1")) // 1000) * 1000)
        for dep, b in sorted(besoins.items())
    }
