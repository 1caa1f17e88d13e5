"""Chef de projet posts, their yearly co-financing requests and the regional envelopes.

- ``OperationHabitat``: an Anah habitat operation (OPAH-RU, OPAH, PIG…) run on a laureate's
  territory — it opens the Anah's contribution for the years it covers.
- ``PosteChefDeProjet``: the post (employer commune or EPCI, the person once recruited, state,
  loaded annual cost) and ``PartPoste``: the laureate(s) it serves with their share (sum = 1).
- ``RegleCofinancement``: one co-financing rule of a programme with its value (PVD seeded).
- ``Cofinancement``: the request for a post and a year, with the amounts computed by the rules,
  the limits that bit and its workflow; ``Versement``: the instalments paid.
- ``Enveloppe`` (programme × région × year) and ``EnveloppeDepartement`` (optional split);
  ``DerogationEnveloppe``: an explicit, recorded authorisation to grant beyond an envelope.

The business rules (transitions, computation, envelope checks) live in ``rules.py`` and
``services/``; the amounts committed and paid on an envelope are always computed by aggregate
queries (``Enveloppe.objects.avec_consommation()``), never stored as counters.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse

from pvd.core.models import BusinessModel

from .services.cofinancement import LIBELLES, Parametres

EUROS = {"max_digits": 12, "decimal_places": 2}
PARTS_ATTR = "parts_chargees"  # where avec_parts()/pour_calcul() put a post's shares
ZERO = Decimal("0.00")


class OperationHabitat(BusinessModel):
    class Type(models.TextChoices):
        OPAH_RU = "opah_ru", "OPAH-RU (renouvellement urbain)"
        OPAH = "opah", "OPAH"
        OPAH_RR = "opah_rr", "OPAH-RR (revitalisation rurale)"
        OPAH_CD = "opah_cd", "OPAH-CD (copropriétés dégradées)"
        PIG = "pig", "Programme d'intérêt général (PIG)"

    laureat = models.ForeignKey(
        "programmes.Laureat",
        on_delete=models.CASCADE,
        related_name="operations_habitat",
        verbose_name="lauréat",
    )
    type = models.CharField("type d'opération", max_length=10, choices=Type.choices)
    intitule = models.CharField("intitulé", max_length=200, blank=True)
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin", null=True, blank=True)

    class Meta:
        verbose_name = "opération programmée Anah"
        verbose_name_plural = "opérations programmées Anah"
        ordering = ["laureat", "date_debut"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} — {self.laureat.nom}"

    def clean(self) -> None:
        if self.date_fin and self.date_fin < self.date_debut:
            raise ValidationError({"date_fin": "La fin de l'opération précède son début."})

    def couvre(self, annee: int) -> bool:
        return self.date_debut <= dt.date(annee, 12, 31) and (
            self.date_fin is None or self.date_fin >= dt.date(annee, 1, 1)
        )


class PosteQuerySet(models.QuerySet):
    def avec_parts(self):
        """Posts with their territories and shares (``parts_list()``) — no per-post query afterwards."""
        return self.select_related("employeur_commune", "employeur_epci", "programme").prefetch_related(
            models.Prefetch(
                "parts",
                queryset=PartPoste.objects.select_related(
                    "laureat", "laureat__departement", "laureat__region"
                ).order_by("laureat_id"),
                to_attr=PARTS_ATTR,
            )
        )

    def pour_calcul(self):
        """Posts with just what the co-financing computation needs (their shares, ``parts_list()``).

        ``to_attr`` stores the shares as a plain list: Django then skips building a related
        queryset per post, which dominates the cost of a plain prefetch on ≈1,000 posts.
        """
        return self.prefetch_related(
            models.Prefetch(
                "parts",
                queryset=PartPoste.objects.only("id", "poste_id", "laureat_id", "part").order_by(
                    "laureat_id"
                ),
                to_attr=PARTS_ATTR,
            )
        )

    def vacants(self):
        return self.filter(etat__in=[PosteChefDeProjet.Etat.VACANT, PosteChefDeProjet.Etat.A_POURVOIR])

    def sans_cofinancement(self, annee: int):
        demandes = Cofinancement.objects.filter(annee=annee).exclude(etat=Cofinancement.Etat.REFUSEE)
        return self.exclude(pk__in=demandes.values("poste_id"))

    def contrat_finissant(self, jusqu_au: dt.date, depuis: dt.date | None = None):
        depuis = depuis or dt.date.today()
        return self.filter(
            etat=PosteChefDeProjet.Etat.POURVU, date_fin_contrat__gte=depuis, date_fin_contrat__lte=jusqu_au
        )


class PosteChefDeProjet(BusinessModel):
    class Etat(models.TextChoices):
        A_POURVOIR = "a_pourvoir", "À pourvoir"
        EN_RECRUTEMENT = "en_recrutement", "En recrutement"
        POURVU = "pourvu", "Pourvu"
        VACANT = "vacant", "Vacant"
        SUPPRIME = "supprime", "Supprimé"

    class TypeContrat(models.TextChoices):
        CDD = "cdd", "Contrat à durée déterminée"
        CDI = "cdi", "Contrat à durée indéterminée"
        PROJET = "projet", "Contrat de projet"
        TITULAIRE = "titulaire", "Fonctionnaire (titulaire)"
        DETACHEMENT = "detachement", "Détachement / mise à disposition"

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="postes", verbose_name="programme"
    )
    intitule = models.CharField(
        "intitulé du poste", max_length=200, default="Chef de projet Petites villes de demain"
    )
    employeur_commune = models.ForeignKey(
        "territoires.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postes_chef_de_projet",
        verbose_name="employeur (commune)",
    )
    employeur_epci = models.ForeignKey(
        "territoires.Epci",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postes_chef_de_projet",
        verbose_name="employeur (EPCI)",
    )
    laureats = models.ManyToManyField(
        "programmes.Laureat",
        through="PartPoste",
        related_name="postes_chef_de_projet",
        verbose_name="lauréats",
    )
    cout_annuel = models.DecimalField(
        "coût annuel chargé (€)", validators=[MinValueValidator(Decimal("0"))], **EUROS
    )
    etat = models.CharField("état", max_length=20, choices=Etat.choices, default=Etat.A_POURVOIR)
    etat_depuis = models.DateField("dans cet état depuis", default=dt.date.today)
    # The person once recruited.
    titulaire_nom = models.CharField("nom du chef de projet", max_length=200, blank=True)
    titulaire_email = models.EmailField("e-mail du chef de projet", blank=True)
    date_prise_poste = models.DateField("prise de poste", null=True, blank=True)
    type_contrat = models.CharField("type de contrat", max_length=20, choices=TypeContrat.choices, blank=True)
    date_fin_contrat = models.DateField("fin du contrat", null=True, blank=True)

    objects = PosteQuerySet.as_manager()

    class Meta:
        verbose_name = "poste de chef de projet"
        verbose_name_plural = "postes de chef de projet"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(employeur_commune__isnull=False) & Q(employeur_epci__isnull=True))
                | (Q(employeur_commune__isnull=True) & Q(employeur_epci__isnull=False)),
                name="poste_un_seul_employeur",
            ),
            models.CheckConstraint(condition=Q(cout_annuel__gte=0), name="poste_cout_positif"),
        ]

    def __str__(self) -> str:
        return f"{self.intitule} — {self.employeur}"

    def get_absolute_url(self) -> str:
        return reverse("ingenierie:poste", args=[self.pk])

    @property
    def employeur(self):
        return self.employeur_commune or self.employeur_epci

    def clean(self) -> None:
        errors = {}
        if bool(self.employeur_commune_id) == bool(self.employeur_epci_id):
            errors["employeur_commune"] = "L'employeur est soit une commune, soit un EPCI (un seul des deux)."
        if self.date_fin_contrat and self.date_prise_poste and self.date_fin_contrat < self.date_prise_poste:
            errors["date_fin_contrat"] = "La fin du contrat précède la prise de poste."
        if self.etat == self.Etat.POURVU and not (self.titulaire_nom and self.date_prise_poste):
            errors["titulaire_nom"] = "Un poste pourvu indique le nom du chef de projet et sa prise de poste."
        if errors:
            raise ValidationError(errors)

    def parts_list(self) -> list[PartPoste]:
        """The shares, by laureate (those loaded by ``avec_parts()``/``pour_calcul()`` if any)."""
        loaded = getattr(self, PARTS_ATTR, None)
        if loaded is None:
            loaded = list(self.parts.order_by("laureat_id"))
            setattr(self, PARTS_ATTR, loaded)
        return loaded

    def oublier_parts(self) -> None:
        self.__dict__.pop(PARTS_ATTR, None)

    def laureat_principal(self):
        parts = self.parts_list()
        if not parts:
            return None
        return max(parts, key=lambda p: (p.part, -p.laureat_id)).laureat

    def est_partage(self) -> bool:
        return len(self.parts_list()) > 1


class PartPoste(BusinessModel):
    """A laureate served by a post, with its share of the post (the shares of a post sum to 1)."""

    poste = models.ForeignKey(PosteChefDeProjet, on_delete=models.CASCADE, related_name="parts")
    laureat = models.ForeignKey(
        "programmes.Laureat",
        on_delete=models.PROTECT,
        related_name="parts_postes",
        verbose_name="territoire lauréat",
    )
    part = models.DecimalField(
        "part du poste",
        max_digits=5,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("1"))],
        help_text="Entre 0 et 1 ; les parts d'un poste totalisent 1 (ex. 0,5 et 0,5).",
    )

    class Meta:
        verbose_name = "territoire servi par le poste"
        verbose_name_plural = "territoires servis par le poste"
        ordering = ["poste", "laureat"]
        constraints = [
            models.UniqueConstraint(fields=["poste", "laureat"], name="partposte_unique"),
            models.CheckConstraint(condition=Q(part__gt=0) & Q(part__lte=1), name="partposte_part_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.laureat} : {self.part}"


class TransitionPoste(BusinessModel):
    """A dated change of state of a post, and who made it (the log read by the post page)."""

    poste = models.ForeignKey(PosteChefDeProjet, on_delete=models.CASCADE, related_name="transitions")
    de = models.CharField("de", max_length=20, choices=PosteChefDeProjet.Etat.choices)
    vers = models.CharField("vers", max_length=20, choices=PosteChefDeProjet.Etat.choices)
    date = models.DateField("date")
    par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    commentaire = models.CharField("commentaire", max_length=500, blank=True)
    enregistre_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "changement d'état du poste"
        ordering = ["poste", "enregistre_le", "pk"]

    def __str__(self) -> str:
        return f"{self.get_de_display()} → {self.get_vers_display()} le {self.date:%d/%m/%Y}"


class RegleCofinancement(BusinessModel):
    """One co-financing rule of a programme with its value (rate between 0 and 1, or euros a year)."""

    class Code(models.TextChoices):
        TAUX_TOTAL = "taux_total", LIBELLES["taux_total"][0]
        PLAFOND_TOTAL = "plafond_total", LIBELLES["plafond_total"][0]
        PLAFOND_TOTAL_ANAH = "plafond_total_anah", LIBELLES["plafond_total_anah"][0]
        TAUX_ANAH = "taux_anah", LIBELLES["taux_anah"][0]
        PLAFOND_ANAH = "plafond_anah", LIBELLES["plafond_anah"][0]
        TAUX_BDT = "taux_bdt", LIBELLES["taux_bdt"][0]
        PLAFOND_BDT = "plafond_bdt", LIBELLES["plafond_bdt"][0]

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="regles_cofinancement"
    )
    code = models.CharField("règle", max_length=30, choices=Code.choices)
    valeur = models.DecimalField("valeur", max_digits=12, decimal_places=4, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = "règle de cofinancement"
        verbose_name_plural = "règles de cofinancement"
        ordering = ["programme", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="regle_cofinancement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} : {self.valeur}"

    def clean(self) -> None:
        if self.code.startswith("taux_") and self.valeur is not None and self.valeur > 1:
            raise ValidationError({"valeur": "Un taux s'exprime entre 0 et 1 (0,75 pour 75 %)."})

    @classmethod
    def parametres(cls, programme_id: int, regles=None) -> Parametres:
        """The programme's rules; PVD defaults for the rules it does not set."""
        regles = regles if regles is not None else cls.objects.filter(programme_id=programme_id)
        values = {r.code: r.valeur for r in regles if r.programme_id == programme_id}
        return Parametres(**values)


class CofinancementQuerySet(models.QuerySet):
    def a_instruire(self):
        return self.filter(etat__in=[Cofinancement.Etat.DEPOSEE, Cofinancement.Etat.INSTRUITE])

    def engages(self):
        return self.filter(etat__in=[Cofinancement.Etat.ACCORDEE, Cofinancement.Etat.VERSEE])

    def avec_verse(self):
        """Annotate ``montant_verse`` by a subquery (safe whatever joins the policy's filter made)."""
        dec = models.DecimalField(**EUROS)
        verse = (
            Versement.objects.filter(cofinancement=models.OuterRef("pk"))
            .order_by()
            .values("cofinancement")
            .annotate(s=Sum("montant"))
            .values("s")[:1]
        )
        return self.annotate(
            montant_verse=Coalesce(models.Subquery(verse, output_field=dec), ZERO, output_field=dec)
        )


class Cofinancement(BusinessModel):
    """The co-financing request of a post for one calendar year."""

    class Etat(models.TextChoices):
        DEPOSEE = "deposee", "Déposée"
        INSTRUITE = "instruite", "Instruite"
        ACCORDEE = "accordee", "Accordée"
        VERSEE = "versee", "Versée"
        REFUSEE = "refusee", "Refusée"

    poste = models.ForeignKey(PosteChefDeProjet, on_delete=models.PROTECT, related_name="cofinancements")
    annee = models.PositiveIntegerField(
        "année", validators=[MinValueValidator(2020), MaxValueValidator(2100)]
    )
    # Where it is instructed: the post's main laureate (largest share) when deposited.
    departement = models.ForeignKey(
        "territoires.Departement", on_delete=models.PROTECT, related_name="+", verbose_name="département"
    )
    region = models.ForeignKey(
        "territoires.Region", on_delete=models.PROTECT, related_name="+", verbose_name="région"
    )
    # Inputs of the computation (taken from the post, recomputed on instruction).
    cout_annuel = models.DecimalField("coût annuel chargé retenu (€)", **EUROS)
    periode_debut = models.DateField("poste pourvu du")
    periode_fin = models.DateField("au")
    avec_anah = models.BooleanField("avec l'Anah", default=False)
    avec_bdt = models.BooleanField("avec la Banque des Territoires", default=True)
    # Results.
    montant_etat = models.DecimalField("État (FNADT)", default=ZERO, **EUROS)
    montant_anah = models.DecimalField("Anah", default=ZERO, **EUROS)
    montant_bdt = models.DecimalField("Banque des Territoires", default=ZERO, **EUROS)
    limites = models.JSONField("plafonds atteints", default=list, blank=True)
    # Workflow.
    etat = models.CharField("état", max_length=20, choices=Etat.choices, default=Etat.DEPOSEE)
    depose_le = models.DateField("déposée le", default=dt.date.today)
    depose_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    instruit_le = models.DateField("instruite le", null=True, blank=True)
    instruit_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    avis = models.TextField("avis d'instruction", blank=True)
    accorde_le = models.DateField("accordée le", null=True, blank=True)
    accorde_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    arrete_reference = models.CharField("référence de l'arrêté", max_length=100, blank=True)
    montant_accorde = models.DecimalField("montant accordé (État)", null=True, blank=True, **EUROS)
    refuse_le = models.DateField("refusée le", null=True, blank=True)
    refuse_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    motif_refus = models.TextField("motif du refus", blank=True)

    objects = CofinancementQuerySet.as_manager()

    class Meta:
        verbose_name = "demande de cofinancement"
        verbose_name_plural = "demandes de cofinancement"
        ordering = ["-annee", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["poste", "annee"],
                condition=~Q(etat="refusee"),
                name="cofinancement_un_par_poste_et_annee",
            ),
            models.CheckConstraint(
                condition=Q(periode_fin__gte=models.F("periode_debut")), name="cofi_periode"
            ),
        ]

    def __str__(self) -> str:
        return f"Cofinancement {self.annee} — {self.poste}"

    def get_absolute_url(self) -> str:
        return reverse("ingenierie:cofinancement", args=[self.pk])

    @property
    def montant_total(self) -> Decimal:
        return self.montant_etat + self.montant_anah + self.montant_bdt

    def total_verse(self) -> Decimal:
        annotated = getattr(self, "montant_verse", None)
        if annotated is not None:
            return Decimal(annotated).quantize(Decimal("0.01"))
        return self.versements.aggregate(
            s=Coalesce(Sum("montant"), ZERO, output_field=models.DecimalField(**EUROS))
        )["s"]

    def reste_a_verser(self) -> Decimal:
        return (self.montant_accorde or ZERO) - self.total_verse()


class TransitionCofinancement(BusinessModel):
    """A dated step of a request's workflow and who made it."""

    cofinancement = models.ForeignKey(Cofinancement, on_delete=models.CASCADE, related_name="transitions")
    de = models.CharField("de", max_length=20, choices=Cofinancement.Etat.choices, blank=True)
    vers = models.CharField("vers", max_length=20, choices=Cofinancement.Etat.choices)
    date = models.DateField("date")
    par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    commentaire = models.CharField("commentaire", max_length=500, blank=True)
    enregistre_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "étape de la demande"
        ordering = ["cofinancement", "enregistre_le", "pk"]

    def __str__(self) -> str:
        return f"{self.get_vers_display()} le {self.date:%d/%m/%Y}"


class Versement(BusinessModel):
    """An instalment paid on a granted request (the instalments never exceed the granted amount)."""

    cofinancement = models.ForeignKey(Cofinancement, on_delete=models.PROTECT, related_name="versements")
    montant = models.DecimalField("montant", validators=[MinValueValidator(Decimal("0.01"))], **EUROS)
    date = models.DateField("versé le")
    libelle = models.CharField("libellé", max_length=200, blank=True)
    par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = "versement"
        ordering = ["cofinancement", "date", "pk"]
        constraints = [models.CheckConstraint(condition=Q(montant__gt=0), name="versement_positif")]

    def __str__(self) -> str:
        return f"{self.montant} € le {self.date:%d/%m/%Y}"


class EnveloppeQuerySet(models.QuerySet):
    def avec_consommation(self):
        """Annotate ``engage`` (granted requests) and ``verse`` (instalments paid), by aggregate."""
        engages = Cofinancement.objects.engages().filter(
            region=models.OuterRef("region"),
            annee=models.OuterRef("annee"),
            poste__programme=models.OuterRef("programme"),
        )
        engage = engages.order_by().values("region").annotate(s=Sum("montant_accorde")).values("s")[:1]
        verse = (
            Versement.objects.filter(
                cofinancement__region=models.OuterRef("region"),
                cofinancement__annee=models.OuterRef("annee"),
                cofinancement__poste__programme=models.OuterRef("programme"),
            )
            .order_by()
            .values("cofinancement__region")
            .annotate(s=Sum("montant"))
            .values("s")[:1]
        )
        dec = models.DecimalField(**EUROS)
        return self.annotate(
            engage=Coalesce(models.Subquery(engage, output_field=dec), ZERO, output_field=dec),
            verse=Coalesce(models.Subquery(verse, output_field=dec), ZERO, output_field=dec),
        ).annotate(reste=models.ExpressionWrapper(models.F("montant") - models.F("engage"), output_field=dec))


class Enveloppe(BusinessModel):
    """The State (FNADT) budget of a programme for a région and a year (e.g. BFC 2026)."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="enveloppes", verbose_name="programme"
    )
    region = models.ForeignKey(
        "territoires.Region", on_delete=models.PROTECT, related_name="enveloppes", verbose_name="région"
    )
    annee = models.PositiveIntegerField(
        "année", validators=[MinValueValidator(2020), MaxValueValidator(2100)]
    )
    montant = models.DecimalField("montant alloué (€)", validators=[MinValueValidator(0)], **EUROS)
    commentaire = models.CharField("commentaire", max_length=500, blank=True)

    objects = EnveloppeQuerySet.as_manager()

    class Meta:
        verbose_name = "enveloppe régionale"
        verbose_name_plural = "enveloppes régionales"
        ordering = ["-annee", "region"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "region", "annee"], name="enveloppe_unique"),
        ]

    def __str__(self) -> str:
        return f"Enveloppe {self.programme.nom} {self.region.nom} {self.annee}"

    def get_absolute_url(self) -> str:
        return reverse("ingenierie:enveloppe", args=[self.pk])

    def cofinancements(self):
        return Cofinancement.objects.filter(
            region=self.region_id, annee=self.annee, poste__programme=self.programme_id
        )


class EnveloppeDepartement(BusinessModel):
    """Optional split of a regional envelope by département."""

    enveloppe = models.ForeignKey(Enveloppe, on_delete=models.CASCADE, related_name="departements")
    departement = models.ForeignKey(
        "territoires.Departement", on_delete=models.PROTECT, related_name="+", verbose_name="département"
    )
    montant = models.DecimalField("montant alloué (€)", validators=[MinValueValidator(0)], **EUROS)

    class Meta:
        verbose_name = "part départementale de l'enveloppe"
        ordering = ["enveloppe", "departement"]
        constraints = [
            models.UniqueConstraint(fields=["enveloppe", "departement"], name="enveloppe_departement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.departement.nom} : {self.montant} €"

    def clean(self) -> None:
        if (
            self.departement_id
            and self.enveloppe_id
            and self.departement.region_id != self.enveloppe.region_id
        ):
            raise ValidationError({"departement": "Ce département n'est pas dans la région de l'enveloppe."})


class DerogationEnveloppe(BusinessModel):
    """An explicit authorisation to grant a request beyond its envelope: who, when, why."""

    cofinancement = models.ForeignKey(Cofinancement, on_delete=models.CASCADE, related_name="derogations")
    enveloppe = models.ForeignKey(
        Enveloppe, on_delete=models.PROTECT, null=True, blank=True, related_name="derogations"
    )
    montant = models.DecimalField("montant autorisé (€)", **EUROS)
    depassement = models.DecimalField("dépassement de l'enveloppe (€)", **EUROS)
    motif = models.TextField("motif")
    autorise_par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    autorise_le = models.DateTimeField("autorisée le", auto_now_add=True)

    class Meta:
        verbose_name = "dérogation à l'enveloppe"
        verbose_name_plural = "dérogations à l'enveloppe"
        ordering = ["-autorise_le"]

    def __str__(self) -> str:
        return f"Dérogation de {self.depassement} € pour {self.cofinancement}"
