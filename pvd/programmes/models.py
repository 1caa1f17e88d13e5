"""Programmes (PVD, ACV, Villages d'avenir…) and their laureates (``Laureat``) with milestones.

The core of these models is laid by the foundation so that other apps can refer to a laureate;
the programmes issue completes them (import, rules, views).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse

from pvd.core.models import BusinessModel


class StatutLaureat(models.TextChoices):
    """Lifecycle of a laureate (ordered: each step follows the previous one)."""

    LAUREAT = "laureat", "Lauréat"
    ADHESION_SIGNEE = "adhesion", "Adhésion signée"
    ORT_SIGNEE = "ort", "ORT signée"
    SORTI = "sorti", "Sorti"


class Programme(BusinessModel):
    nom = models.CharField("nom", max_length=200, unique=True)
    slug = models.SlugField("identifiant court", max_length=50, unique=True)
    description = models.TextField("description", blank=True)
    date_lancement = models.DateField("lancé le")
    date_fin = models.DateField("se termine le", null=True, blank=True)
    plafond_population = models.PositiveIntegerField(
        "plafond de population (strictement inférieur à)", null=True, blank=True
    )
    prolongeable = models.BooleanField("prolongeable", default=False)
    date_fin_prolongee = models.DateField(
        "prolongé jusqu'au", null=True, blank=True, help_text="Date de fin après prolongation, si décidée."
    )
    prefixe_identifiant = models.CharField(
        "préfixe des identifiants", max_length=20, blank=True, help_text="Ex. « pvd- » pour « pvd-27-21-3 »."
    )

    class Meta:
        verbose_name = "programme"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.nom

    def get_absolute_url(self) -> str:
        return reverse("programmes:programme", args=[self.slug])

    RESERVED_SLUGS = frozenset({"laureats", "import"})  # URLs of /programmes/ taken by pages

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.slug in self.RESERVED_SLUGS:
            errors["slug"] = f"« {self.slug} » est réservé ; choisissez un autre identifiant court."
        if self.date_fin and self.date_fin < self.date_lancement:
            errors["date_fin"] = "La date de fin précède le lancement."
        if self.date_fin_prolongee and self.date_fin and self.date_fin_prolongee < self.date_fin:
            errors["date_fin_prolongee"] = "Une prolongation ne peut pas avancer la date de fin."
        if errors:
            raise ValidationError(errors)

    @property
    def date_fin_effective(self) -> dt.date | None:
        """The end date, taking a decided extension into account."""
        return self.date_fin_prolongee or self.date_fin

    def eligible(self, population: int | None) -> bool | None:
        """Is a commune of ``population`` under the ceiling? None when unknown or no ceiling."""
        if self.plafond_population is None or population is None:
            return None
        return population < self.plafond_population


class TypeJalon(BusinessModel):
    """A kind of milestone of a programme and its deadline rule.

    Rule: the milestone is due ``delai_mois`` months after the milestone of type ``reference``
    was done (PVD: the convention-cadre valant ORT is due 18 months after the convention
    d'adhésion); or, without reference, by the fixed ``date_limite`` if any. Reaching it moves
    the laureate to ``statut_atteint``.
    """

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="types_jalons")
    code = models.SlugField("code", max_length=40)
    libelle = models.CharField("libellé", max_length=200)
    ordre = models.PositiveSmallIntegerField("ordre", default=1)
    reference = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependants",
        verbose_name="dû après le jalon",
    )
    delai_mois = models.PositiveSmallIntegerField("délai (mois)", null=True, blank=True)
    date_limite = models.DateField("date limite fixe", null=True, blank=True)
    statut_atteint = models.CharField(
        "statut du lauréat une fois réalisé", max_length=20, blank=True, choices=StatutLaureat.choices
    )

    class Meta:
        verbose_name = "type de jalon"
        verbose_name_plural = "types de jalons"
        ordering = ["programme", "ordre", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="typejalon_code_unique"),
        ]

    def __str__(self) -> str:
        return self.libelle

    @property
    def regle(self) -> str:
        """The deadline rule in words."""
        if self.reference_id and self.delai_mois is not None:
            return f"{self.delai_mois} mois après « {self.reference.libelle} »"
        if self.date_limite:
            return f"au plus tard le {self.date_limite:%d/%m/%Y}"
        return "sans échéance"


class Laureat(BusinessModel):
    Statut = StatutLaureat

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="laureats")
    identifiant = models.CharField("identifiant officiel", max_length=40)
    nom = models.CharField("nom", max_length=200)
    communes = models.ManyToManyField(
        "territoires.Commune", through="LaureatCommune", related_name="laureats"
    )
    epci = models.ForeignKey(
        "territoires.Epci", on_delete=models.PROTECT, null=True, blank=True, related_name="laureats"
    )
    departement = models.ForeignKey(
        "territoires.Departement", on_delete=models.PROTECT, related_name="laureats"
    )
    region = models.ForeignKey("territoires.Region", on_delete=models.PROTECT, related_name="laureats")
    date_admission = models.DateField("admis le", null=True, blank=True)
    statut = models.CharField("statut", max_length=20, choices=Statut.choices, default=Statut.LAUREAT)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    demo = models.BooleanField("donnée de démonstration", default=False)
    source = models.CharField("source (dernier import)", max_length=300, blank=True)

    class Meta:
        verbose_name = "territoire lauréat"
        verbose_name_plural = "territoires lauréats"
        ordering = ["identifiant"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "identifiant"], name="laureat_identifiant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.nom} ({self.identifiant})"

    def get_absolute_url(self) -> str:
        return reverse("programmes:laureat", args=[self.programme.slug, self.identifiant])

    @property
    def commune_principale(self):
        """The main centrality (from prefetched ``liens_communes`` when available)."""
        for lien in self.liens_communes.all():
            if lien.principale:
                return lien.commune
        return None


class LaureatCommune(models.Model):
    laureat = models.ForeignKey(Laureat, on_delete=models.CASCADE, related_name="liens_communes")
    commune = models.ForeignKey("territoires.Commune", on_delete=models.PROTECT, related_name="+")
    principale = models.BooleanField("centralité principale", default=False)

    class Meta:
        verbose_name = "commune du lauréat"
        constraints = [models.UniqueConstraint(fields=["laureat", "commune"], name="laureatcommune_unique")]

    def __str__(self) -> str:
        return f"{self.commune_id} ∈ {self.laureat_id}"


class Jalon(BusinessModel):
    """A dated step of a laureate: its due date comes from the type's rule (services/echeances.py)."""

    laureat = models.ForeignKey(Laureat, on_delete=models.CASCADE, related_name="jalons")
    type = models.ForeignKey(TypeJalon, on_delete=models.PROTECT, related_name="jalons")
    date_echeance = models.DateField("échéance", null=True, blank=True)
    date_realisation = models.DateField("réalisé le", null=True, blank=True)
    document = models.CharField(
        "référence du document", max_length=300, blank=True, help_text="Délibération, convention signée, URL…"
    )
    valide_par = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validé par",
    )
    valide_le = models.DateTimeField("validé le", null=True, blank=True)

    class Meta:
        verbose_name = "jalon"
        ordering = ["laureat", "type__ordre"]
        constraints = [models.UniqueConstraint(fields=["laureat", "type"], name="jalon_type_unique")]
        indexes = [models.Index(fields=["date_realisation", "date_echeance"], name="jalon_echeance_idx")]

    def __str__(self) -> str:
        return f"{self.type} — {self.laureat_id}"

    @property
    def etat(self):
        """Done / overdue / soon due / upcoming / no deadline (services.echeances.etat_jalon)."""
        from .services.echeances import etat_jalon

        return etat_jalon(self)
