"""Programmes (PVD, ACV, Villages d'avenir…) and their laureates (``Laureat``) with milestones.

The core of these models is laid by the foundation so that other apps can refer to a laureate;
the programmes issue completes them (import, rules, views).
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from pvd.core.models import BusinessModel


class Programme(BusinessModel):
    nom = models.CharField("nom", max_length=200, unique=True)
    slug = models.SlugField("identifiant court", max_length=50, unique=True)
    description = models.TextField("description", blank=True)
    date_lancement = models.DateField("lancé le")
    date_fin = models.DateField("se termine le", null=True, blank=True)
    plafond_population = models.PositiveIntegerField(
        "plafond de population (strictement inférieur à)", null=True, blank=True
    )

    class Meta:
        verbose_name = "programme"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.nom


class Laureat(BusinessModel):
    class Statut(models.TextChoices):
        LAUREAT = "laureat", "Lauréat"
        ADHESION_SIGNEE = "adhesion", "Adhésion signée"
        ORT_SIGNEE = "ort", "ORT signée"
        SORTI = "sorti", "Sorti"

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


class LaureatCommune(models.Model):
    laureat = models.ForeignKey(Laureat, on_delete=models.CASCADE, related_name="liens_communes")
    commune = models.ForeignKey("territoires.Commune", on_delete=models.PROTECT, related_name="+")
    principale = models.BooleanField("centralité principale", default=False)

    class Meta:
        verbose_name = "commune du lauréat"
        constraints = [models.UniqueConstraint(fields=["laureat", "commune"], name="laureatcommune_unique")]

    def __str__(self) -> str:
        return f"{self.commune_id} ∈ {self.laureat_id}"
