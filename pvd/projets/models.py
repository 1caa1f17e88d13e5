"""Projets de territoire, fiches actions and their financing plans.

A laureate (``programmes.Laureat``) carries one ``ProjetDeTerritoire`` whose strategic
orientations (``Axe``) group its ``FicheAction``s. Each action has a status moved only through
the transition table of ``rules.py`` (every move recorded in ``TransitionStatut``), ordered
``Etape``s, ``Indicateur``s, cost lines (``LigneCout``) and financing lines (``Financement``)
from a ``Financeur`` through a ``Dispositif``. Derived money figures (rate, amount still to find,
own share, warnings) are computed by ``services/financement.py``, never stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from pvd.core.models import BusinessModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Theme(BusinessModel):
    """The shared thematic taxonomy (commerce, habitat…), seeded by a data migration."""

    slug = models.SlugField("identifiant court", max_length=40, unique=True)
    nom = models.CharField("nom", max_length=100, unique=True)
    ordre = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "thème"
        ordering = ["ordre", "nom"]

    def __str__(self) -> str:
        return self.nom


class Financeur(BusinessModel):
    """A funder (State, Banque des Territoires, Anah…): a managed list seeded by a data migration."""

    class Categorie(models.TextChoices):
        ETAT = "etat", "État"
        OPERATEUR = "operateur", "Opérateur ou agence de l'État"
        COLLECTIVITE = "collectivite", "Autre collectivité"
        EUROPE = "europe", "Union européenne"
        PORTEUR = "porteur", "Maître d'ouvrage (autofinancement)"
        PRIVE = "prive", "Financeur privé"

    slug = models.SlugField("identifiant court", max_length=40, unique=True)
    nom = models.CharField("nom", max_length=150, unique=True)
    sigle = models.CharField("sigle", max_length=40, blank=True)
    categorie = models.CharField("catégorie", max_length=20, choices=Categorie.choices)
    organisation = models.ForeignKey(
        "comptes.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="financeurs",
        verbose_name="organisation partenaire",
        help_text="Les membres de cette organisation lisent les actions que ce financeur finance.",
    )
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "financeur"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.sigle or self.nom

    @property
    def est_public(self) -> bool:
        """Its money counts as public aid (everything but the maître d'ouvrage and private funders)."""
        return self.categorie not in {self.Categorie.PORTEUR, self.Categorie.PRIVE}

    @property
    def est_porteur(self) -> bool:
        return self.categorie == self.Categorie.PORTEUR


class Dispositif(BusinessModel):
    """A financing scheme (DETR, DSIL, Fonds vert…): a managed list seeded by a data migration."""

    slug = models.SlugField("identifiant court", max_length=40, unique=True)
    nom = models.CharField("nom", max_length=200, unique=True)
    sigle = models.CharField("sigle", max_length=40, blank=True)
    financeur = models.ForeignKey(
        Financeur, on_delete=models.PROTECT, null=True, blank=True, related_name="dispositifs"
    )
    actif = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "dispositif"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.sigle or self.nom


class ParametresFinancement(BusinessModel):
    """Financing parameters an administrator sets per programme (legal share of public aid)."""

    DEFAULT_PLAFOND = Decimal("80")

    programme = models.OneToOneField(
        "programmes.Programme", on_delete=models.CASCADE, related_name="parametres_financement"
    )
    plafond_aides_publiques = models.DecimalField(
        "plafond des aides publiques (% du coût HT)",
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_PLAFOND,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Au-delà, le plan de financement d'une action est signalé (80 % par défaut, CGCT L1111-10).",
    )

    class Meta:
        verbose_name = "paramètres de financement"
        verbose_name_plural = "paramètres de financement"

    def __str__(self) -> str:
        return f"Paramètres de financement — {self.programme}"

    @classmethod
    def plafond_for(cls, programme_id: int | None) -> Decimal:
        row = cls.objects.filter(programme_id=programme_id).values_list("plafond_aides_publiques", flat=True)
        return next(iter(row), cls.DEFAULT_PLAFOND)


class ProjetDeTerritoire(BusinessModel):
    laureat = models.OneToOneField(
        "programmes.Laureat",
        on_delete=models.CASCADE,
        related_name="projet",
        verbose_name="territoire lauréat",
    )
    titre = models.CharField("titre", max_length=250)
    resume = models.TextField("résumé", blank=True)
    reference_convention = models.CharField(
        "référence de la convention-cadre valant ORT", max_length=200, blank=True
    )
    date_convention = models.DateField("convention-cadre signée le", null=True, blank=True)
    perimetre = models.ManyToManyField(
        "territoires.Commune", blank=True, related_name="+", verbose_name="périmètre (communes du lauréat)"
    )

    class Meta:
        verbose_name = "projet de territoire"
        verbose_name_plural = "projets de territoire"
        ordering = ["laureat__identifiant"]

    def __str__(self) -> str:
        return self.titre

    def get_absolute_url(self) -> str:
        return reverse("projets:projet", args=[self.laureat_id])


class Axe(BusinessModel):
    """A strategic orientation of a projet de territoire (ordered)."""

    projet = models.ForeignKey(ProjetDeTerritoire, on_delete=models.CASCADE, related_name="axes")
    ordre = models.PositiveSmallIntegerField("ordre", default=1)
    titre = models.CharField("titre", max_length=250)

    class Meta:
        verbose_name = "axe stratégique"
        verbose_name_plural = "axes stratégiques"
        ordering = ["projet_id", "ordre", "id"]

    def __str__(self) -> str:
        return f"Axe {self.ordre} — {self.titre}"


class Statut(models.TextChoices):
    """Status of a fiche action; moves only through ``rules.TRANSITIONS``."""

    IDEE = "idee", "Idée"
    EN_ETUDE = "en_etude", "En étude"
    PROGRAMMEE = "programmee", "Programmée"
    EN_COURS = "en_cours", "En cours"
    REALISEE = "realisee", "Réalisée"
    SUSPENDUE = "suspendue", "Suspendue"
    ABANDONNEE = "abandonnee", "Abandonnée"


class MaitreOuvrage(models.TextChoices):
    COMMUNE = "commune", "Commune"
    EPCI = "epci", "EPCI"
    AUTRE = "autre", "Autre"


class FicheActionQuerySet(models.QuerySet):
    def en_retard(self, today: dt.date | None = None):
        from .rules import en_retard_q

        return self.filter(en_retard_q(today))


class FicheAction(BusinessModel):
    projet = models.ForeignKey(ProjetDeTerritoire, on_delete=models.CASCADE, related_name="fiches")
    numero = models.CharField(
        "numéro",
        max_length=20,
        help_text="Référence de l'action dans le projet (ex. 1.2), unique par projet.",
    )
    titre = models.CharField("titre", max_length=250)
    description = models.TextField("description", blank=True)
    axe = models.ForeignKey(
        Axe, on_delete=models.SET_NULL, null=True, blank=True, related_name="fiches", verbose_name="axe"
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="fiches", verbose_name="thèmes")
    maitre_ouvrage_type = models.CharField(
        "maître d'ouvrage", max_length=10, choices=MaitreOuvrage.choices, default=MaitreOuvrage.COMMUNE
    )
    maitre_ouvrage_nom = models.CharField("nom du maître d'ouvrage", max_length=200, blank=True)
    pilote = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fiches_pilotees",
        verbose_name="pilote",
    )
    statut = models.CharField(
        "statut", max_length=12, choices=Statut.choices, default=Statut.IDEE, editable=False
    )
    date_debut_prevue = models.DateField("début prévu", null=True, blank=True)
    date_fin_prevue = models.DateField("fin prévue", null=True, blank=True)
    date_debut_reelle = models.DateField("début réel", null=True, blank=True)
    date_fin_reelle = models.DateField("fin réelle", null=True, blank=True)
    commune = models.ForeignKey(
        "territoires.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune (localisation)",
    )

    objects = FicheActionQuerySet.as_manager()

    class Meta:
        verbose_name = "fiche action"
        verbose_name_plural = "fiches actions"
        ordering = ["projet_id", "numero"]
        constraints = [models.UniqueConstraint(fields=["projet", "numero"], name="ficheaction_numero_unique")]
        indexes = [
            # covering the aggregates by status and lateness (index-only scan)
            models.Index(
                fields=["statut", "date_fin_prevue", "date_debut_prevue"], name="ficheaction_statut_idx"
            ),
            models.Index(fields=["date_fin_prevue"], name="ficheaction_fin_prevue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.numero} — {self.titre}"

    def get_absolute_url(self) -> str:
        return reverse("projets:fiche", args=[self.pk])

    @property
    def en_retard(self) -> bool:
        from .rules import est_en_retard

        return est_en_retard(self)


class TransitionStatut(BusinessModel):
    """One status change of an action: from, to, when, by whom."""

    fiche = models.ForeignKey(FicheAction, on_delete=models.CASCADE, related_name="transitions")
    de = models.CharField("de", max_length=12, choices=Statut.choices, blank=True)
    vers = models.CharField("vers", max_length=12, choices=Statut.choices)
    date = models.DateTimeField("le")
    par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="par",
    )
    commentaire = models.CharField("commentaire", max_length=500, blank=True)

    class Meta:
        verbose_name = "changement de statut"
        verbose_name_plural = "changements de statut"
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        de = self.get_de_display() or "création"
        return f"{de} → {self.get_vers_display()}"


class Etape(BusinessModel):
    fiche = models.ForeignKey(FicheAction, on_delete=models.CASCADE, related_name="etapes")
    ordre = models.PositiveSmallIntegerField("ordre", default=1)
    libelle = models.CharField("libellé", max_length=250)
    date_prevue = models.DateField("prévue le", null=True, blank=True)
    faite = models.BooleanField("faite", default=False)

    class Meta:
        verbose_name = "étape"
        ordering = ["fiche_id", "ordre", "id"]

    def __str__(self) -> str:
        return f"{self.ordre}. {self.libelle}"


class Indicateur(BusinessModel):
    fiche = models.ForeignKey(FicheAction, on_delete=models.CASCADE, related_name="indicateurs")
    nom = models.CharField("nom", max_length=200)
    unite = models.CharField("unité", max_length=40, blank=True)
    valeur_initiale = models.DecimalField(
        "valeur initiale", max_digits=14, decimal_places=2, null=True, blank=True
    )
    cible = models.DecimalField("cible", max_digits=14, decimal_places=2, null=True, blank=True)
    valeur_actuelle = models.DecimalField(
        "valeur actuelle", max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = "indicateur"
        ordering = ["fiche_id", "id"]

    def __str__(self) -> str:
        return self.nom


class Nature(models.TextChoices):
    INVESTISSEMENT = "investissement", "Investissement"
    FONCTIONNEMENT = "fonctionnement", "Fonctionnement"


class LigneCout(BusinessModel):
    """A part of an action's cost: nature, year when known, amount HT (and TTC when known)."""

    fiche = models.ForeignKey(FicheAction, on_delete=models.CASCADE, related_name="couts")
    nature = models.CharField("nature", max_length=15, choices=Nature.choices, default=Nature.INVESTISSEMENT)
    annee = models.PositiveSmallIntegerField(
        "année", null=True, blank=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    libelle = models.CharField("libellé", max_length=200, blank=True)
    montant_ht = models.DecimalField("montant HT (€)", validators=[MinValueValidator(0)], **MONEY)
    montant_ttc = models.DecimalField(
        "montant TTC (€)", null=True, blank=True, validators=[MinValueValidator(0)], **MONEY
    )

    class Meta:
        verbose_name = "ligne de coût"
        verbose_name_plural = "lignes de coût"
        ordering = ["fiche_id", "annee", "id"]
        # covering the cost sums per action (aggregates by theme, list pages)
        indexes = [models.Index(fields=["fiche", "montant_ht"], name="lignecout_fiche_montant_idx")]

    def __str__(self) -> str:
        return f"{self.get_nature_display()} {self.annee or ''} : {self.montant_ht} € HT"


class StatutFinancement(models.TextChoices):
    PREVU = "prevu", "Prévu"
    SOLLICITE = "sollicite", "Sollicité"
    ACCORDE = "accorde", "Accordé"
    VERSE = "verse", "Versé"
    REFUSE = "refuse", "Refusé"


class Financement(BusinessModel):
    """A financing line of an action's plan."""

    fiche = models.ForeignKey(FicheAction, on_delete=models.CASCADE, related_name="financements")
    financeur = models.ForeignKey(Financeur, on_delete=models.PROTECT, related_name="financements")
    dispositif = models.ForeignKey(
        Dispositif, on_delete=models.PROTECT, null=True, blank=True, related_name="financements"
    )
    montant = models.DecimalField("montant (€)", validators=[MinValueValidator(0)], **MONEY)
    statut = models.CharField(
        "statut", max_length=10, choices=StatutFinancement.choices, default=StatutFinancement.PREVU
    )
    annee = models.PositiveSmallIntegerField(
        "année", null=True, blank=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    date_demande = models.DateField("sollicité le", null=True, blank=True)
    date_decision = models.DateField("décision le", null=True, blank=True)
    date_versement = models.DateField("versé le", null=True, blank=True)

    class Meta:
        verbose_name = "financement"
        verbose_name_plural = "financements"
        ordering = ["fiche_id", "id"]
        # covering the aggregates by financeur (index-only scan)
        indexes = [models.Index(fields=["financeur", "statut", "montant"], name="financement_financeur_idx")]

    def __str__(self) -> str:
        return f"{self.financeur} {self.dispositif or ''} : {self.montant} €"


class Commentaire(BusinessModel):
    fiche = models.ForeignKey(FicheAction, on_delete=models.CASCADE, related_name="commentaires")
    auteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="auteur",
    )
    texte = models.TextField("commentaire", max_length=5000)

    class Meta:
        verbose_name = "commentaire"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.auteur} — {self.created_at:%d/%m/%Y %H:%M}"
