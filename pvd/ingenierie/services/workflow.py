"""Workflows of posts and co-financing requests: every step checks the policy, the transition
table (``rules.py``) and the business conditions, is dated and records who made it, and writes
everything or nothing (one transaction). A refused step raises ``TransitionRefusee`` with a
message saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from pvd.comptes.policy import can, require
from pvd.core.locking import save_with_version, stale_error

from ..models import (
    Cofinancement,
    DerogationEnveloppe,
    Enveloppe,
    EnveloppeDepartement,
    PartPoste,
    PosteChefDeProjet,
    TransitionCofinancement,
    TransitionPoste,
    Versement,
)
from ..rules import TRANSITIONS_COFINANCEMENT, TRANSITIONS_POSTE
from .calcul import calculer_poste, laureats_avec_operation, parametres_des_programmes, periode_pourvue
from .cofinancement import CENT, ErreurCalcul, repartir, verifier_parts

ZERO = Decimal("0.00")
Etat = PosteChefDeProjet.Etat
EtatDemande = Cofinancement.Etat


class TransitionRefusee(ValidationError):
    """A workflow step that the rules refuse (the message says why)."""


def verifier_version(obj, expected_version: int | None) -> None:
    """Refuse at once a step decided on a stale version of the record (before any other check)."""
    if expected_version is None or int(expected_version) == obj.version:
        return
    raise stale_error(obj, int(expected_version))


def euros(montant: Decimal) -> str:
    """``89 751,78 €`` (French grouping with a narrow no-break space)."""
    return f"{montant:,.2f}".replace(",", "\u202f").replace(".", ",") + "\u00a0€"


def _today(date: dt.date | None) -> dt.date:
    return date or timezone.localdate()


def _user(user):
    return user if user is not None and user.is_authenticated else None


# ---------------------------------------------------------------- posts
@transaction.atomic
def definir_parts(poste: PosteChefDeProjet, parts: Sequence[tuple[object, Decimal]]) -> None:
    """Replace the laureates served by ``poste`` and their shares (they must sum to 1)."""
    if not parts:
        raise TransitionRefusee("Un poste sert au moins un territoire lauréat.")
    try:
        verifier_parts([(getattr(lau, "pk", lau), Decimal(share)) for lau, share in parts])
    except ErreurCalcul as exc:
        raise TransitionRefusee(str(exc)) from exc
    for laureat, _ in parts:
        if getattr(laureat, "programme_id", poste.programme_id) != poste.programme_id:
            raise TransitionRefusee(f"{laureat} n'est pas lauréat du programme du poste.")
    keep = {getattr(lau, "pk", lau): Decimal(share) for lau, share in parts}
    existing = {p.laureat_id: p for p in PartPoste.objects.filter(poste=poste)}
    for laureat_id, part in existing.items():
        if laureat_id not in keep:
            part.delete()
    for laureat_id, share in keep.items():
        part = existing.get(laureat_id)
        if part is None:
            PartPoste.objects.create(poste=poste, laureat_id=laureat_id, part=share)
        elif part.part != share:
            part.part = share
            part.save()
    poste.oublier_parts()


@transaction.atomic
def creer_poste(user, poste: PosteChefDeProjet, parts: Sequence[tuple[object, Decimal]]) -> PosteChefDeProjet:
    """Create ``poste`` (unsaved) serving ``parts``; the user must be allowed on every laureate."""
    for laureat, _ in parts:
        require(user, "create", PosteChefDeProjet, parent=laureat)
    poste.full_clean(exclude=["laureats"])
    poste.save()
    definir_parts(poste, parts)
    TransitionPoste.objects.create(
        poste=poste,
        de=poste.etat,
        vers=poste.etat,
        date=poste.etat_depuis,
        par=_user(user),
        commentaire="Création",
    )
    return poste


@transaction.atomic
def changer_etat_poste(
    poste: PosteChefDeProjet,
    vers: str,
    user,
    *,
    date: dt.date | None = None,
    commentaire: str = "",
    expected_version: int | None = None,
    **titulaire,
) -> PosteChefDeProjet:
    """Move ``poste`` to state ``vers`` (dated), with the person's details when it becomes filled."""
    require(user, "edit", poste)
    verifier_version(poste, expected_version)
    de = poste.etat
    if vers not in TRANSITIONS_POSTE.get(de, frozenset()):
        permis = ", ".join(Etat(e).label for e in sorted(TRANSITIONS_POSTE.get(de, ()))) or "aucun"
        raise TransitionRefusee(
            f"Un poste « {Etat(de).label} » ne peut pas passer à « {Etat(vers).label} » "
            f"(états possibles : {permis})."
        )
    date = _today(date)
    if date < poste.etat_depuis:
        raise TransitionRefusee(
            f"La date du changement ({date:%d/%m/%Y}) précède l'état actuel (depuis le {poste.etat_depuis:%d/%m/%Y})."
        )
    for field, value in titulaire.items():
        if field not in {
            "titulaire_nom",
            "titulaire_email",
            "date_prise_poste",
            "type_contrat",
            "date_fin_contrat",
        }:
            raise TypeError(f"Champ inconnu : {field}")
        setattr(poste, field, value)
    if vers == Etat.POURVU and poste.date_prise_poste is None:
        poste.date_prise_poste = date
    poste.etat, poste.etat_depuis = vers, date
    try:
        poste.full_clean(exclude=["laureats"])
    except ValidationError as exc:
        raise TransitionRefusee(exc.messages) from exc
    save_with_version(poste, expected_version)
    TransitionPoste.objects.create(
        poste=poste, de=de, vers=vers, date=date, par=_user(user), commentaire=commentaire
    )
    return poste


# ---------------------------------------------------------------- co-financing requests
def _calculer_demande(cof: Cofinancement) -> None:
    """(Re)compute the request's amounts from its post and inputs."""
    poste = cof.poste
    laureat_ids = [p.laureat_id for p in poste.parts_list()]
    eligible = bool(laureats_avec_operation(laureat_ids, cof.annee))
    if cof.avec_anah and not eligible:
        raise TransitionRefusee(
            f"L'Anah ne peut contribuer en {cof.annee} : aucun des territoires servis ne conduit "
            "d'opération programmée de l'habitat (OPAH-RU, OPAH, PIG…) cette année-là."
        )
    parametres = parametres_des_programmes([poste.programme_id])[poste.programme_id]
    resultat = calculer_poste(
        poste,
        cof.annee,
        parametres=parametres,
        avec_anah=cof.avec_anah,
        avec_bdt=cof.avec_bdt,
        periode=(cof.periode_debut, cof.periode_fin),
        cout_annuel=cof.cout_annuel,
    )
    cof.montant_etat, cof.montant_anah, cof.montant_bdt = resultat.etat, resultat.anah, resultat.bdt
    cof.limites = [lim.as_dict() for lim in resultat.limites]


def repartition_demande(cof: Cofinancement) -> list[tuple[PartPoste, dict[str, Decimal]]]:
    """The request's stored amounts split between the post's territories (exact to the cent)."""
    parts = list(cof.poste.parts.select_related("laureat", "laureat__departement").order_by("laureat_id"))
    shares = [(p.laureat_id, p.part) for p in parts]
    split: dict[int, dict[str, Decimal]] = {p.laureat_id: {} for p in parts}
    for contributeur, montant in (
        ("etat", cof.montant_etat),
        ("anah", cof.montant_anah),
        ("bdt", cof.montant_bdt),
    ):
        for key, value in repartir(montant, shares).items():
            split[key][contributeur] = value
    return [(p, split[p.laureat_id]) for p in parts]


@transaction.atomic
def deposer(
    poste: PosteChefDeProjet,
    annee: int,
    user,
    *,
    avec_bdt: bool = True,
    avec_anah: bool | None = None,
    periode: tuple[dt.date, dt.date] | None = None,
    date: dt.date | None = None,
) -> Cofinancement:
    """Deposit the co-financing request of ``poste`` for ``annee``, computed by the rules.

    ``avec_anah=None``: the Anah contributes when a served territory runs a habitat operation.
    ``periode``: the part of the year the post is filled (default: from the post's contract).
    """
    require(user, "create", Cofinancement, parent=poste)
    if poste.etat == Etat.SUPPRIME:
        raise TransitionRefusee("Ce poste est supprimé : il ne peut plus faire l'objet d'une demande.")
    principal = poste.laureat_principal()
    if principal is None:
        raise TransitionRefusee("Ce poste ne sert encore aucun territoire lauréat.")
    if Cofinancement.objects.filter(poste=poste, annee=annee).exclude(etat=EtatDemande.REFUSEE).exists():
        raise TransitionRefusee(f"Une demande de cofinancement {annee} existe déjà pour ce poste.")
    if periode is None:
        periode = periode_pourvue(poste, annee)
        if periode is None:
            raise TransitionRefusee(
                f"Le poste n'est pas pourvu en {annee} : indiquez la période prévue (début et fin)."
            )
    debut, fin = periode
    if debut > fin or debut.year != annee or fin.year != annee:
        raise TransitionRefusee(f"La période doit être comprise dans l'année {annee}, début avant fin.")
    if avec_anah is None:
        avec_anah = bool(laureats_avec_operation([p.laureat_id for p in poste.parts_list()], annee))
    cof = Cofinancement(
        poste=poste,
        annee=annee,
        departement_id=principal.departement_id,
        region_id=principal.region_id,
        cout_annuel=poste.cout_annuel,
        periode_debut=debut,
        periode_fin=fin,
        avec_anah=avec_anah,
        avec_bdt=avec_bdt,
        depose_le=_today(date),
        depose_par=_user(user),
    )
    _calculer_demande(cof)
    cof.save()
    TransitionCofinancement.objects.create(
        cofinancement=cof, de="", vers=EtatDemande.DEPOSEE, date=cof.depose_le, par=_user(user)
    )
    return cof


def _verifier_transition(cof: Cofinancement, vers: str) -> None:
    if vers not in TRANSITIONS_COFINANCEMENT.get(cof.etat, frozenset()):
        raise TransitionRefusee(
            f"Une demande « {EtatDemande(cof.etat).label} » ne peut pas devenir « {EtatDemande(vers).label} »."
        )


def _log(cof: Cofinancement, de: str, user, date: dt.date, commentaire: str = "") -> None:
    TransitionCofinancement.objects.create(
        cofinancement=cof, de=de, vers=cof.etat, date=date, par=_user(user), commentaire=commentaire[:500]
    )


@transaction.atomic
def instruire(
    cof: Cofinancement,
    user,
    *,
    avis: str = "",
    date: dt.date | None = None,
    expected_version: int | None = None,
) -> Cofinancement:
    """The délégué territorial instructs the request: amounts recomputed from the current post."""
    require(user, "edit", cof)
    verifier_version(cof, expected_version)
    _verifier_transition(cof, EtatDemande.INSTRUITE)
    de, date = cof.etat, _today(date)
    cof.cout_annuel = cof.poste.cout_annuel
    _calculer_demande(cof)
    cof.etat, cof.instruit_le, cof.instruit_par, cof.avis = EtatDemande.INSTRUITE, date, _user(user), avis
    save_with_version(cof, expected_version)
    _log(cof, de, user, date, avis)
    return cof


def consommation(
    enveloppe: Enveloppe, exclure: Cofinancement | None = None, departement_id: str | None = None
):
    """Amount granted on ``enveloppe`` (optionally for one département), by aggregate query."""
    qs = enveloppe.cofinancements().engages()
    if exclure is not None and exclure.pk:
        qs = qs.exclude(pk=exclure.pk)
    if departement_id:
        qs = qs.filter(departement_id=departement_id)
    return qs.aggregate(s=Sum("montant_accorde"))["s"] or ZERO


def disponible(cof: Cofinancement, *, verrouiller: bool = False) -> tuple[Decimal, str, Enveloppe | None]:
    """What remains for ``cof`` on its envelope (and its département's part): (amount, why, envelope)."""
    qs = Enveloppe.objects.filter(
        programme_id=cof.poste.programme_id, region_id=cof.region_id, annee=cof.annee
    )
    if verrouiller:
        qs = qs.select_for_update()
    enveloppe = qs.select_related("region").first()
    if enveloppe is None:
        return ZERO, f"aucune enveloppe {cof.annee} n'est ouverte pour la région {cof.region.nom}", None
    reste = enveloppe.montant - consommation(enveloppe, exclure=cof)
    quoi = f"l'enveloppe {enveloppe.region.nom} {cof.annee}"
    part = EnveloppeDepartement.objects.filter(enveloppe=enveloppe, departement_id=cof.departement_id).first()
    if part is not None:
        reste_dep = part.montant - consommation(enveloppe, exclure=cof, departement_id=cof.departement_id)
        if reste_dep < reste:
            reste, quoi = (
                reste_dep,
                f"la part {cof.departement.nom} de l'enveloppe {enveloppe.region.nom} {cof.annee}",
            )
    return reste, f"il reste {euros(reste)} sur {quoi}", enveloppe


def verifier_repartition(enveloppe: Enveloppe) -> None:
    """The départements' parts of an envelope never add up to more than the envelope."""
    reparti = enveloppe.departements.aggregate(s=Sum("montant"))["s"] or ZERO
    if reparti > enveloppe.montant:
        raise TransitionRefusee(
            f"Les parts départementales ({euros(reparti)}) dépassent le montant "
            f"de l'enveloppe ({euros(enveloppe.montant)})."
        )


@transaction.atomic
def autoriser_depassement(
    cof: Cofinancement, user, *, motif: str, montant: Decimal | None = None
) -> DerogationEnveloppe:
    """A référent régional (or the national administrator) authorises granting beyond the envelope."""
    require(user, "create", DerogationEnveloppe, parent=cof)
    motif = (motif or "").strip()
    if not motif:
        raise TransitionRefusee("Le motif du dépassement de l'enveloppe est obligatoire.")
    if cof.etat not in (EtatDemande.DEPOSEE, EtatDemande.INSTRUITE):
        raise TransitionRefusee("Seule une demande pas encore accordée peut faire l'objet d'une dérogation.")
    montant = Decimal(montant if montant is not None else cof.montant_etat)
    reste, _, enveloppe = disponible(cof, verrouiller=True)
    return DerogationEnveloppe.objects.create(
        cofinancement=cof,
        enveloppe=enveloppe,
        montant=montant,
        depassement=max(ZERO, montant - max(reste, ZERO)),
        motif=motif,
        autorise_par=user,
    )


@transaction.atomic
def accorder(
    cof: Cofinancement,
    user,
    *,
    arrete_reference: str,
    montant: Decimal | None = None,
    date: dt.date | None = None,
    motif_depassement: str = "",
    expected_version: int | None = None,
) -> Cofinancement:
    """Grant the State's share (by an arrêté) within the envelope, or with a recorded override.

    ``montant`` defaults to the computed State share and may not exceed it. Beyond what remains on
    the envelope, the grant needs a ``DerogationEnveloppe`` for at least this amount — given
    beforehand by a référent régional, or now (``motif_depassement``) when ``user`` may give one.
    """
    require(user, "edit", cof)
    verifier_version(cof, expected_version)
    _verifier_transition(cof, EtatDemande.ACCORDEE)
    arrete_reference = (arrete_reference or "").strip()
    if not arrete_reference:
        raise TransitionRefusee("La référence de l'arrêté attributif est obligatoire pour accorder.")
    montant = cof.montant_etat if montant is None else Decimal(montant).quantize(CENT)
    if montant <= 0:
        raise TransitionRefusee("Le montant accordé doit être positif.")
    if montant > cof.montant_etat:
        raise TransitionRefusee(
            f"Le montant accordé ({euros(montant)}) dépasse la part de l'État calculée par les règles ({euros(cof.montant_etat)})."
        )
    reste, explication, _ = disponible(cof, verrouiller=True)
    if montant > reste:
        derogation = cof.derogations.filter(montant__gte=montant).first()
        if derogation is None and motif_depassement.strip():
            if not can(user, "create", DerogationEnveloppe, parent=cof):
                raise TransitionRefusee(
                    f"Accorder {euros(montant)} dépasse l'enveloppe ({explication}) : seul un référent régional "
                    "ou l'administration nationale peut autoriser ce dépassement."
                )
            derogation = autoriser_depassement(cof, user, motif=motif_depassement, montant=montant)
        if derogation is None:
            raise TransitionRefusee(
                f"Accorder {euros(montant)} dépasse l'enveloppe ({explication}). Un référent régional ou "
                "l'administration nationale doit autoriser le dépassement, motif à l'appui."
            )
    de, date = cof.etat, _today(date)
    cof.etat, cof.accorde_le, cof.accorde_par = EtatDemande.ACCORDEE, date, _user(user)
    cof.arrete_reference, cof.montant_accorde = arrete_reference, montant
    save_with_version(cof, expected_version)
    _log(cof, de, user, date, f"Arrêté {arrete_reference} : {montant} €")
    return cof


@transaction.atomic
def refuser(
    cof: Cofinancement, user, *, motif: str, date: dt.date | None = None, expected_version: int | None = None
) -> Cofinancement:
    require(user, "edit", cof)
    verifier_version(cof, expected_version)
    _verifier_transition(cof, EtatDemande.REFUSEE)
    motif = (motif or "").strip()
    if not motif:
        raise TransitionRefusee("Le motif du refus est obligatoire.")
    de, date = cof.etat, _today(date)
    cof.etat, cof.refuse_le, cof.refuse_par, cof.motif_refus = EtatDemande.REFUSEE, date, _user(user), motif
    save_with_version(cof, expected_version)
    _log(cof, de, user, date, motif)
    return cof


def premiere_tranche(cof: Cofinancement, taux: Decimal = Decimal("0.75")) -> Decimal:
    """The usual first instalment: 75 % of the granted amount (the balance follows)."""
    return ((cof.montant_accorde or ZERO) * taux).quantize(CENT, rounding=ROUND_DOWN)


@transaction.atomic
def verser(
    cof: Cofinancement, user, *, montant: Decimal, date: dt.date | None = None, libelle: str = ""
) -> Versement:
    """Record an instalment; the request becomes ``versée`` when the instalments reach the grant."""
    require(user, "edit", cof)
    # Lock the request so that two concurrent instalments cannot both pass the check.
    cof = Cofinancement.objects.select_for_update().get(pk=cof.pk)
    if cof.etat != EtatDemande.ACCORDEE:
        raise TransitionRefusee(
            f"Un versement n'est possible que sur une demande accordée (celle-ci est « {cof.get_etat_display()} »)."
        )
    montant = Decimal(montant).quantize(CENT)
    if montant <= 0:
        raise TransitionRefusee("Le montant du versement doit être positif.")
    reste = cof.reste_a_verser()
    if montant > reste:
        raise TransitionRefusee(
            f"Ce versement ({euros(montant)}) dépasse le reste à verser ({euros(reste)} sur {euros(cof.montant_accorde)} accordés)."
        )
    date = _today(date)
    if cof.accorde_le and date < cof.accorde_le:
        raise TransitionRefusee("Un versement ne peut pas précéder l'arrêté attributif.")
    versement = Versement.objects.create(
        cofinancement=cof, montant=montant, date=date, libelle=libelle, par=_user(user)
    )
    if montant == reste:
        de = cof.etat
        cof.etat = EtatDemande.VERSEE
        save_with_version(cof)
        _log(cof, de, user, date, "Solde versé")
    return versement
