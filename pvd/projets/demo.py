"""Demo projects for the demo laureates (``setup_demo``) and the national-scale generator.

Both draw realistic actions from the same catalogue (typical PVD operations, their themes, cost
ranges and usual financing schemes), deterministically from each laureate's identifier:
- ``load_demo(stdout)``: a project and 6–10 actions (with steps, indicators, comments) for each demo
  laureate that has none, through the ORM (history kept); idempotent.
- ``generate_national(...)``: ≈1,650 laureates (created from the real referential when missing,
  flagged demo), ≈28,000 actions and ≈90,000 financing lines with ``bulk_create`` (no history
  rows: a benchmark dataset), used by ``manage.py generate_national_dataset`` and the benchmarks.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from pvd.programmes.models import Laureat, LaureatCommune, Programme

from .models import (
    Axe,
    Commentaire,
    Dispositif,
    Etape,
    FicheAction,
    Financement,
    Financeur,
    Indicateur,
    LigneCout,
    MaitreOuvrage,
    Nature,
    ParametresFinancement,
    ProjetDeTerritoire,
    Statut,
    StatutFinancement,
    Theme,
    TransitionStatut,
)

AXES = [
    "Revitaliser le centre-bourg et son commerce",
    "Améliorer l'habitat et le cadre de vie",
    "Accélérer la transition écologique",
    "Renforcer les services, la culture et l'attractivité",
]

# (title, themes, axis index, cost range in k€, nature, usual schemes: dispositif slugs or "@financeur")
CATALOGUE = [
    (
        "Requalification de la place du marché",
        ["espaces-publics", "commerce"],
        0,
        (300, 1800),
        "investissement",
        ["detr", "fonds-regional"],
    ),
    (
        "Halle de marché couverte",
        ["commerce", "espaces-publics"],
        0,
        (400, 1500),
        "investissement",
        ["detr", "leader"],
    ),
    (
        "Manager de commerce et boutique à l'essai",
        ["commerce", "economie"],
        0,
        (60, 180),
        "fonctionnement",
        ["bdt-ingenierie", "fnadt"],
    ),
    (
        "Étude de revitalisation du centre-bourg",
        ["ingenierie", "commerce", "habitat"],
        0,
        (40, 120),
        "fonctionnement",
        ["bdt-ingenierie", "anah-ingenierie"],
    ),
    (
        "Acquisition et réhabilitation de cellules commerciales vacantes",
        ["commerce", "friches"],
        0,
        (200, 900),
        "investissement",
        ["dsil", "fonds-regional"],
    ),
    (
        "OPAH-RU du centre ancien",
        ["habitat"],
        1,
        (300, 1200),
        "fonctionnement",
        ["anah-opah-ru", "fonds-departemental"],
    ),
    (
        "Résorption de l'habitat indigne îlot de la rue Haute",
        ["habitat", "friches"],
        1,
        (500, 2500),
        "investissement",
        ["fonds-friches", "anah-opah-ru"],
    ),
    (
        "Végétalisation de la cour d'école et désimperméabilisation",
        ["transition-ecologique", "espaces-publics", "education-jeunesse"],
        1,
        (150, 600),
        "investissement",
        ["fonds-vert", "@agence-eau"],
    ),
    (
        "Aménagement des berges et cheminements piétons",
        ["espaces-publics", "tourisme"],
        1,
        (250, 1200),
        "investissement",
        ["leader", "fonds-regional"],
    ),
    (
        "Rénovation énergétique de l'école élémentaire",
        ["energie", "transition-ecologique", "education-jeunesse"],
        2,
        (400, 2000),
        "investissement",
        ["dsil", "fonds-vert", "fonds-departemental"],
    ),
    (
        "Réseau de chaleur bois",
        ["energie", "transition-ecologique"],
        2,
        (800, 3500),
        "investissement",
        ["ademe-fonds-chaleur", "feder"],
    ),
    (
        "Aménagement d'une voie verte vers la gare",
        ["mobilite", "transition-ecologique"],
        2,
        (300, 1500),
        "investissement",
        ["dsil", "cper"],
    ),
    (
        "Pôle d'échanges multimodal de la gare",
        ["mobilite"],
        2,
        (600, 3000),
        "investissement",
        ["dsil", "cper", "feder"],
    ),
    (
        "Réhabilitation de la friche industrielle en zone d'activités",
        ["friches", "economie"],
        2,
        (900, 4000),
        "investissement",
        ["fonds-friches", "feder"],
    ),
    (
        "Création d'une maison de santé pluriprofessionnelle",
        ["sante", "services-publics"],
        3,
        (900, 3000),
        "investissement",
        ["detr", "fonds-regional", "fonds-departemental"],
    ),
    (
        "Installation d'une France services",
        ["services-publics", "numerique"],
        3,
        (80, 400),
        "investissement",
        ["fnadt", "detr"],
    ),
    (
        "Tiers-lieu dans l'ancienne gare",
        ["tiers-lieux", "friches", "numerique"],
        3,
        (300, 1200),
        "investissement",
        ["fonds-friches", "leader", "bdt-ingenierie"],
    ),
    (
        "Restauration de l'église classée",
        ["patrimoine", "culture"],
        3,
        (400, 2500),
        "investissement",
        ["fonds-patrimoine", "fonds-departemental", "@prive"],
    ),
    (
        "Rénovation de la médiathèque",
        ["culture", "numerique"],
        3,
        (300, 1400),
        "investissement",
        ["dsil", "fonds-departemental"],
    ),
    (
        "Création d'un city-stade",
        ["sport-loisirs", "education-jeunesse"],
        3,
        (80, 250),
        "investissement",
        ["detr", "@ans"],
    ),
    (
        "Office de tourisme et signalétique patrimoniale",
        ["tourisme", "patrimoine"],
        3,
        (100, 500),
        "investissement",
        ["leader", "fonds-regional"],
    ),
]

STATUTS = [
    (Statut.IDEE, 14),
    (Statut.EN_ETUDE, 24),
    (Statut.PROGRAMMEE, 20),
    (Statut.EN_COURS, 20),
    (Statut.REALISEE, 17),
    (Statut.SUSPENDUE, 3),
    (Statut.ABANDONNEE, 2),
]
# Status of the financing lines of an action, by the action's status.
FIN_STATUTS = {
    Statut.IDEE: [StatutFinancement.PREVU],
    Statut.EN_ETUDE: [StatutFinancement.PREVU, StatutFinancement.SOLLICITE],
    Statut.PROGRAMMEE: [StatutFinancement.SOLLICITE, StatutFinancement.ACCORDE, StatutFinancement.REFUSE],
    Statut.EN_COURS: [StatutFinancement.ACCORDE, StatutFinancement.VERSE],
    Statut.REALISEE: [StatutFinancement.VERSE],
    Statut.SUSPENDUE: [StatutFinancement.SOLLICITE, StatutFinancement.ACCORDE],
    Statut.ABANDONNEE: [StatutFinancement.PREVU, StatutFinancement.REFUSE],
}


@dataclass
class ActionSpec:
    numero: str
    titre: str
    themes: list[str]
    axe: int
    statut: str
    maitre_ouvrage_type: str
    debut_prevu: dt.date
    fin_prevue: dt.date
    debut_reel: dt.date | None
    fin_reelle: dt.date | None
    couts: list[tuple[str, int, Decimal]]  # nature, year, amount HT
    financements: list[
        tuple[str, str | None, Decimal, str, int]
    ]  # financeur, dispositif, amount, status, year
    etapes: list[tuple[str, bool]] = field(default_factory=list)


def _rng(identifiant: str) -> random.Random:
    return random.Random(zlib.crc32(identifiant.encode()))


def _round(value: float, step: int = 500) -> Decimal:
    return Decimal(max(step, int(round(value / step)) * step))


def action_specs(
    identifiant: str, n: int, dispositifs: dict[str, str | None], today: dt.date
) -> list[ActionSpec]:
    """``n`` realistic actions for a laureate, deterministic from its identifier.

    ``dispositifs`` maps a dispositif slug to its financeur slug.
    """
    rng = _rng(identifiant)
    specs = []
    picks = rng.sample(CATALOGUE, k=min(n, len(CATALOGUE)))
    while len(picks) < n:
        picks.append(rng.choice(CATALOGUE))
    statuts, weights = zip(*STATUTS, strict=True)
    per_axis: dict[int, int] = {}
    for titre, themes, axe, (lo, hi), nature, schemes in picks:
        statut = rng.choices(statuts, weights)[0]
        # Dates consistent with the status (about a quarter of the open actions end up late).
        if statut in (Statut.REALISEE, Statut.ABANDONNEE):
            start = today - dt.timedelta(days=rng.randrange(400, 1800))
        elif statut in (Statut.EN_COURS, Statut.SUSPENDUE):
            start = today - dt.timedelta(days=rng.randrange(30, 900))
        elif statut == Statut.PROGRAMMEE:
            start = today + dt.timedelta(days=rng.randrange(-90, 400))
        else:
            start = today + dt.timedelta(days=rng.randrange(-60, 900))
        end = start + dt.timedelta(days=rng.randrange(180, 1100))
        debut_reel = fin_reelle = None
        if statut in (Statut.EN_COURS, Statut.REALISEE, Statut.SUSPENDUE):
            debut_reel = min(today, start + dt.timedelta(days=rng.randrange(-30, 200)))
        if statut == Statut.REALISEE:
            fin_reelle = min(today, max(debut_reel, end + dt.timedelta(days=rng.randrange(-60, 300))))
        cost = _round(rng.uniform(lo, hi) * 1000)
        years = list(range(start.year, end.year + 1))
        if len(years) > 1 and rng.random() < 0.5:
            first = _round(float(cost) * rng.uniform(0.3, 0.6))
            couts = [(nature, years[0], first), (nature, years[-1], cost - first)]
        else:
            couts = [(nature, years[0], cost)]
        aid_share = rng.uniform(0.45, 0.85)
        lines: list[tuple[str, str | None, Decimal, str, int]] = []
        used = [s for s in schemes if rng.random() < 0.9] or schemes[:1]
        split = [rng.uniform(1, 3) for _ in used]
        total_aid = float(cost) * aid_share
        for scheme, part in zip(used, split, strict=True):
            if scheme.startswith("@"):
                financeur, dispositif = scheme[1:], None
            else:
                financeur, dispositif = dispositifs.get(scheme) or "etat", scheme
            amount = _round(total_aid * part / sum(split))
            lines.append((financeur, dispositif, amount, rng.choice(FIN_STATUTS[statut]), rng.choice(years)))
        if rng.random() < 0.4:  # a complementary local aid
            extra = rng.choice(["fonds-departemental", "fonds-concours", "fonds-regional"])
            lines.append(
                (
                    dispositifs.get(extra) or "departement",
                    extra,
                    _round(float(cost) * rng.uniform(0.03, 0.1)),
                    rng.choice(FIN_STATUTS[statut]),
                    rng.choice(years),
                )
            )
        if rng.random() < 0.85:  # own funds declared
            own = _round(float(cost) * (1 - aid_share) * rng.uniform(0.5, 1.0))
            lines.append(("autofinancement", None, own, rng.choice(FIN_STATUTS[statut]), years[0]))
        etapes = [
            ("Étude de faisabilité", statut not in (Statut.IDEE, Statut.EN_ETUDE)),
            (
                "Dépôt des demandes de subvention",
                statut in (Statut.PROGRAMMEE, Statut.EN_COURS, Statut.REALISEE),
            ),
            ("Travaux / mise en œuvre", statut == Statut.REALISEE),
        ]
        per_axis[axe] = per_axis.get(axe, 0) + 1
        specs.append(
            ActionSpec(
                numero=f"{axe + 1}.{per_axis[axe]}",
                titre=titre,
                themes=themes,
                axe=axe,
                statut=statut,
                maitre_ouvrage_type=rng.choice([MaitreOuvrage.COMMUNE] * 3 + [MaitreOuvrage.EPCI]),
                debut_prevu=start,
                fin_prevue=end,
                debut_reel=debut_reel,
                fin_reelle=fin_reelle,
                couts=couts,
                financements=lines,
                etapes=etapes,
            )
        )
    return specs


def _dispositif_map() -> dict[str, str | None]:
    return {
        d.slug: (d.financeur.slug if d.financeur else None)
        for d in Dispositif.objects.select_related("financeur")
    }


# --- Demo (ORM, history kept) ---------------------------------------------------------------
def _link_partner_organisations() -> int:
    """Link the funders to the partner organisations of the same name or acronym, when they exist."""
    from django.db.models import Q

    from pvd.comptes.models import Organisation

    linked = 0
    for financeur in Financeur.objects.filter(organisation__isnull=True):
        names = Q(nom__iexact=financeur.nom) | Q(sigle__iexact=financeur.nom)
        if financeur.sigle:
            names |= Q(sigle__iexact=financeur.sigle) | Q(nom__iexact=financeur.sigle)
        organisation = Organisation.objects.filter(names).first()
        if organisation is not None:
            financeur.organisation = organisation
            financeur.save(update_fields=["organisation"])
            linked += 1
    return linked


def load_demo(stdout) -> None:
    for programme in Programme.objects.filter(laureats__demo=True).distinct():
        # the legal share of public aid, explicit for the demo programmes (default value)
        ParametresFinancement.objects.get_or_create(programme=programme)
    linked = _link_partner_organisations()
    if linked:
        stdout.write(f"Financeurs reliés à leur organisation partenaire : {linked}.")
    today = timezone.localdate()
    dispositifs = _dispositif_map()
    themes = {t.slug: t for t in Theme.objects.all()}
    financeurs = {f.slug: f for f in Financeur.objects.all()}
    disp = {d.slug: d for d in Dispositif.objects.all()}
    created = 0
    laureats = Laureat.objects.filter(demo=True, projet__isnull=True).exclude(identifiant__startswith="nat-")
    for laureat in laureats.prefetch_related("communes"):
        communes = list(laureat.communes.all())
        with transaction.atomic():
            projet = ProjetDeTerritoire.objects.create(
                laureat=laureat,
                titre=f"{laureat.nom} 2030 : un centre-bourg vivant et durable",
                resume=(
                    f"Le projet de territoire de {laureat.nom} vise à redonner de l'attractivité au centre-bourg : "
                    "commerce, habitat, services et transition écologique."
                ),
                reference_convention=f"Convention-cadre valant ORT {laureat.identifiant}",
            )
            projet.perimetre.set(communes)
            axes = [Axe.objects.create(projet=projet, ordre=i, titre=t) for i, t in enumerate(AXES, start=1)]
            n = 6 + _rng(laureat.identifiant).randrange(5)
            for spec in action_specs(laureat.identifiant, n, dispositifs, today):
                fiche = FicheAction.objects.create(
                    projet=projet,
                    numero=spec.numero,
                    titre=spec.titre,
                    axe=axes[spec.axe],
                    statut=spec.statut,
                    description=f"{spec.titre} à {laureat.nom}.",
                    maitre_ouvrage_type=spec.maitre_ouvrage_type,
                    maitre_ouvrage_nom=laureat.nom
                    if spec.maitre_ouvrage_type == MaitreOuvrage.COMMUNE
                    else (laureat.epci.nom if laureat.epci else ""),
                    date_debut_prevue=spec.debut_prevu,
                    date_fin_prevue=spec.fin_prevue,
                    date_debut_reelle=spec.debut_reel,
                    date_fin_reelle=spec.fin_reelle,
                    commune=communes[0] if communes else None,
                )
                fiche.themes.set([themes[s] for s in spec.themes if s in themes])
                TransitionStatut.objects.create(
                    fiche=fiche,
                    de="",
                    vers=spec.statut,
                    date=timezone.now(),
                    commentaire="Données de démonstration",
                )
                for nature, annee, montant in spec.couts:
                    LigneCout.objects.create(
                        fiche=fiche,
                        nature=nature,
                        annee=annee,
                        montant_ht=montant,
                        montant_ttc=(montant * Decimal("1.2")).quantize(Decimal("0.01")),
                    )
                for financeur, dispositif, montant, statut, annee in spec.financements:
                    Financement.objects.create(
                        fiche=fiche,
                        financeur=financeurs[financeur],
                        dispositif=disp.get(dispositif) if dispositif else None,
                        montant=montant,
                        statut=statut,
                        annee=annee,
                    )
                for ordre, (libelle, faite) in enumerate(spec.etapes, start=1):
                    Etape.objects.create(fiche=fiche, ordre=ordre, libelle=libelle, faite=faite)
                Indicateur.objects.create(
                    fiche=fiche,
                    nom="Surface requalifiée",
                    unite="m²",
                    valeur_initiale=Decimal(0),
                    cible=Decimal(1500),
                    valeur_actuelle=Decimal(1500 if spec.statut == Statut.REALISEE else 0),
                )
                if spec.statut == Statut.EN_COURS:
                    Commentaire.objects.create(
                        fiche=fiche,
                        texte="Réunion de chantier : calendrier tenu, prochaine étape en comité de projet.",
                    )
            created += 1
    stdout.write(f"Projets de démonstration : {created} projet(s) de territoire créé(s).")


# --- National-scale dataset (bulk, for benchmarks) ------------------------------------------
def _create_laureats(target: int, stdout) -> None:
    from pvd.programmes.factories import programme_pvd
    from pvd.territoires.models import Commune

    existing = Laureat.objects.filter(demo=True).count()
    missing = target - existing
    if missing <= 0:
        return
    programme = programme_pvd()
    taken = set(LaureatCommune.objects.values_list("commune_id", flat=True))
    candidates = [
        c
        for c in Commune.objects.current()
        .filter(population__gte=1500, population__lt=20000)
        .order_by("code")
        .only("code", "nom", "departement_id", "region_id", "epci_id")
        if c.code not in taken
    ]
    if not candidates:
        raise RuntimeError("Référentiel vide : lancez d'abord « manage.py import_cog ».")
    step = max(1, len(candidates) // missing)
    chosen = candidates[::step][:missing]
    counters: dict[str, int] = {}
    laureats = []
    for c in chosen:
        counters[c.departement_id] = counters.get(c.departement_id, 0) + 1
        laureats.append(
            Laureat(
                programme=programme,
                identifiant=f"nat-{c.region_id}-{c.departement_id}-{counters[c.departement_id]}",
                nom=c.nom,
                epci_id=c.epci_id,
                departement_id=c.departement_id,
                region_id=c.region_id,
                date_admission=dt.date(2021, 1, 1) + dt.timedelta(days=len(laureats) % 700),
                statut=Laureat.Statut.ADHESION_SIGNEE,
                demo=True,
            )
        )
    Laureat.objects.bulk_create(laureats, batch_size=1000)
    ids = dict(Laureat.objects.filter(identifiant__startswith="nat-").values_list("identifiant", "pk"))
    LaureatCommune.objects.bulk_create(
        [
            LaureatCommune(laureat_id=ids[lau.identifiant], commune_id=c.code, principale=True)
            for lau, c in zip(laureats, chosen, strict=True)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    stdout.write(f"{len(laureats)} lauréat(s) créé(s) depuis le référentiel (démonstration).")


def generate_national(laureats: int = 1650, fiches: int = 28000, stdout=None) -> dict[str, int]:
    """Give every demo laureate without a project its share of ≈``fiches`` actions (bulk inserts).

    Creates demo laureates from the referential until there are ``laureats`` of them.
    """
    import sys

    stdout = stdout or sys.stdout
    today = timezone.localdate()
    with transaction.atomic():
        _create_laureats(laureats, stdout)
        # Only demo laureates: real ones never get generated projects.
        todo = list(
            Laureat.objects.filter(demo=True, projet__isnull=True)
            .order_by("pk")
            .values_list("pk", "identifiant", "nom")
        )
        if not todo:
            stdout.write("Tous les lauréats de démonstration ont déjà un projet : rien à générer.")
            return {}
        per = max(1, round(fiches / max(1, Laureat.objects.filter(demo=True).count())))
        dispositifs = _dispositif_map()
        themes = dict(Theme.objects.values_list("slug", "pk"))
        financeurs = dict(Financeur.objects.values_list("slug", "pk"))
        disp = dict(Dispositif.objects.values_list("slug", "pk"))
        now = timezone.now()
        ProjetDeTerritoire.objects.bulk_create(
            [
                ProjetDeTerritoire(laureat_id=pk, titre=f"Projet de territoire de {nom}")
                for pk, _, nom in todo
            ],
            batch_size=2000,
        )
        projets = dict(
            ProjetDeTerritoire.objects.filter(laureat_id__in=[t[0] for t in todo]).values_list(
                "laureat_id", "pk"
            )
        )
        Axe.objects.bulk_create(
            [
                Axe(projet_id=projets[pk], ordre=i, titre=t)
                for pk, _, _ in todo
                for i, t in enumerate(AXES, start=1)
            ],
            batch_size=5000,
        )
        axes = {
            (p, o): a
            for a, p, o in Axe.objects.filter(projet_id__in=projets.values()).values_list(
                "pk", "projet_id", "ordre"
            )
        }
        specs = {pk: action_specs(ident, per + (pk % 5) - 2, dispositifs, today) for pk, ident, _ in todo}
        objs = []
        for pk, _, _ in todo:
            projet_id = projets[pk]
            for s in specs[pk]:
                objs.append(
                    FicheAction(
                        projet_id=projet_id,
                        numero=s.numero,
                        titre=s.titre,
                        axe_id=axes[(projet_id, s.axe + 1)],
                        statut=s.statut,
                        maitre_ouvrage_type=s.maitre_ouvrage_type,
                        date_debut_prevue=s.debut_prevu,
                        date_fin_prevue=s.fin_prevue,
                        date_debut_reelle=s.debut_reel,
                        date_fin_reelle=s.fin_reelle,
                    )
                )
        FicheAction.objects.bulk_create(objs, batch_size=2000)
        fiche_ids = {
            (p, n): f
            for f, p, n in FicheAction.objects.filter(projet_id__in=projets.values()).values_list(
                "pk", "projet_id", "numero"
            )
        }
        through, couts, fins, transitions = [], [], [], []
        Through = FicheAction.themes.through
        for pk, _, _ in todo:
            projet_id = projets[pk]
            for s in specs[pk]:
                fid = fiche_ids[(projet_id, s.numero)]
                through.extend(Through(ficheaction_id=fid, theme_id=themes[t]) for t in s.themes)
                couts.extend(LigneCout(fiche_id=fid, nature=n, annee=y, montant_ht=m) for n, y, m in s.couts)
                fins.extend(
                    Financement(
                        fiche_id=fid,
                        financeur_id=financeurs[f],
                        dispositif_id=disp.get(d) if d else None,
                        montant=m,
                        statut=st,
                        annee=y,
                    )
                    for f, d, m, st, y in s.financements
                )
                transitions.append(
                    TransitionStatut(
                        fiche_id=fid, de="", vers=s.statut, date=now, commentaire="Jeu national généré"
                    )
                )
        Through.objects.bulk_create(through, batch_size=5000)
        LigneCout.objects.bulk_create(couts, batch_size=5000)
        Financement.objects.bulk_create(fins, batch_size=5000)
        TransitionStatut.objects.bulk_create(transitions, batch_size=5000)
    counts = {"projets": len(todo), "fiches": len(objs), "couts": len(couts), "financements": len(fins)}
    stdout.write("Jeu national : " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


__all__ = ["load_demo", "generate_national", "action_specs", "Nature"]
