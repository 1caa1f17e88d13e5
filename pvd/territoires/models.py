"""The territorial referential (COG): régions, départements, EPCI à fiscalité propre, communes.

Loaded from the publisher's package ``@etalab/decoupage-administratif`` by
``manage.py import_cog`` (see ``services/import_cog.py``). Nothing is ever deleted: what
disappears from a newer vintage is flagged ``obsolete`` and stays resolvable.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse


class Zone(models.TextChoices):
    METRO = "metro", "Métropole"
    DROM = "drom", "Outre-mer (DROM)"
    COM = "com", "Collectivité d'outre-mer"


class Millesime(models.Model):
    """One load of the referential (a vintage of the COG) and what it did."""

    package_version = models.CharField("version du paquet", max_length=20)
    annee = models.PositiveIntegerField("millésime du COG")
    loaded_at = models.DateTimeField("chargé le", auto_now_add=True)
    summary = models.JSONField("bilan", default=dict)

    class Meta:
        verbose_name = "millésime du référentiel"
        ordering = ["-loaded_at"]
        get_latest_by = "loaded_at"

    def __str__(self) -> str:
        return f"COG {self.annee} ({self.package_version})"


class TerritoireQuerySet(models.QuerySet):
    def current(self):
        return self.filter(obsolete=False)


class Territoire(models.Model):
    code = models.CharField("code", max_length=9, primary_key=True)
    nom = models.CharField("nom", max_length=200)
    obsolete = models.BooleanField("obsolète", default=False, db_index=True)
    millesime = models.PositiveIntegerField("dernier millésime", null=True)

    objects = TerritoireQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.nom} ({self.code})"


class Region(Territoire):
    zone = models.CharField("zone", max_length=5, choices=Zone.choices, default=Zone.METRO)
    chef_lieu = models.CharField("chef-lieu (INSEE)", max_length=5, blank=True)

    class Meta(Territoire.Meta):
        verbose_name = "région"

    def get_absolute_url(self) -> str:
        return reverse("territoires:region", args=[self.code])


class Departement(Territoire):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departements")
    zone = models.CharField("zone", max_length=5, choices=Zone.choices, default=Zone.METRO)
    chef_lieu = models.CharField("chef-lieu (INSEE)", max_length=5, blank=True)

    class Meta(Territoire.Meta):
        verbose_name = "département"

    def get_absolute_url(self) -> str:
        return reverse("territoires:departement", args=[self.code])


class Epci(Territoire):
    """EPCI à fiscalité propre; ``code`` is its SIREN."""

    nature = models.CharField("nature juridique", max_length=6)  # CC, CA, CU, METRO, MET69
    mode_financement = models.CharField("régime fiscal", max_length=6, blank=True)
    population = models.PositiveIntegerField("population totale", null=True)

    class Meta(Territoire.Meta):
        verbose_name = "EPCI"
        verbose_name_plural = "EPCI"

    def get_absolute_url(self) -> str:
        return reverse("territoires:epci", args=[self.code])


class Commune(Territoire):
    """A current commune (or one that was current in an earlier vintage, then ``obsolete``)."""

    nom_normalise = models.CharField("nom normalisé (recherche)", max_length=200, db_index=True)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="communes")
    epci = models.ForeignKey(Epci, on_delete=models.PROTECT, related_name="communes", null=True, blank=True)
    population = models.PositiveIntegerField("population municipale", null=True)
    codes_postaux = models.CharField("codes postaux", max_length=200, blank=True)  # "21500 21501"
    zone = models.CharField("zone", max_length=5, choices=Zone.choices, default=Zone.METRO)

    class Meta(Territoire.Meta):
        verbose_name = "commune"
        indexes = [models.Index(fields=["-population"], name="commune_population_idx")]

    def get_absolute_url(self) -> str:
        return reverse("territoires:commune", args=[self.code])

    @property
    def codes_postaux_list(self) -> list[str]:
        return self.codes_postaux.split()

    @classmethod
    def resolve(cls, code: str) -> Commune | None:
        """The current commune a code designates, whatever the vintage it comes from.

        A current code gives its commune; the code of a commune déléguée/associée, an
        arrondissement municipal or a former code gives the commune it now belongs to; a code
        that vanished without successor gives the obsolete commune. ``None`` when unknown.
        """
        from .services.resolve import resolve_commune

        return resolve_commune(code)


class CodeCommune(models.Model):
    """A code that designates a current commune without being its own code."""

    class Nature(models.TextChoices):
        DELEGUEE = "deleguee", "commune déléguée"
        ASSOCIEE = "associee", "commune associée"
        ARRONDISSEMENT = "arrondissement", "arrondissement municipal"
        ANCIEN = "ancien", "ancien code"

    code = models.CharField("code INSEE", max_length=5, db_index=True)
    nature = models.CharField("nature", max_length=15, choices=Nature.choices)
    nom = models.CharField("nom", max_length=200, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="autres_codes")
    obsolete = models.BooleanField("obsolète", default=False)
    millesime = models.PositiveIntegerField("dernier millésime", null=True)

    class Meta:
        verbose_name = "code rattaché"
        constraints = [
            models.UniqueConstraint(fields=["code", "nature", "commune"], name="codecommune_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_nature_display()}) → {self.commune_id}"
