"""Forms of ingénierie (DSFR rendering, optimistic locking on edits)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from pvd.comptes.policy import can, visible_to
from pvd.core.forms import DsfrForm, DsfrFormMixin, DsfrModelForm
from pvd.core.locking import VersionedModelFormMixin
from pvd.programmes.models import Laureat
from pvd.territoires.models import Commune, Epci, Region

from .models import Enveloppe, EnveloppeDepartement, OperationHabitat, PosteChefDeProjet
from .rules import TRANSITIONS_POSTE

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EUROS = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


def _employeur_choices(laureats) -> list[tuple[str, str]]:
    """A post is employed by one of its territories' communes or by their EPCI."""
    choices: dict[str, str] = {}
    for laureat in laureats:
        for commune in laureat.communes.all():
            choices[f"commune:{commune.code}"] = f"Commune — {commune.nom} ({commune.code})"
        if laureat.epci_id:
            choices[f"epci:{laureat.epci_id}"] = f"EPCI — {laureat.epci.nom}"
    return sorted(choices.items(), key=lambda c: c[1])


class PosteForm(VersionedModelFormMixin, DsfrModelForm):
    employeur = forms.ChoiceField(label="Employeur (commune ou EPCI)")

    class Meta:
        model = PosteChefDeProjet
        fields = [
            "intitule",
            "cout_annuel",
            "titulaire_nom",
            "titulaire_email",
            "date_prise_poste",
            "type_contrat",
            "date_fin_contrat",
        ]
        widgets = {"date_prise_poste": DATE, "date_fin_contrat": DATE}

    def __init__(self, *args, laureats=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = _employeur_choices(laureats)
        current = self.instance.employeur if self.instance.pk else None
        if current is not None:
            key = f"{'commune' if self.instance.employeur_commune_id else 'epci'}:{current.pk}"
            if key not in dict(choices):
                choices.append((key, str(current)))
            self.initial.setdefault("employeur", key)
        self.fields["employeur"].choices = [("", "— choisir —"), *choices]
        self.order_fields(["intitule", "employeur"])

    def clean(self):
        cleaned = super().clean()
        value = cleaned.get("employeur") or ""
        kind, _, code = value.partition(":")
        self.instance.employeur_commune = (
            Commune.objects.filter(pk=code).first() if kind == "commune" else None
        )
        self.instance.employeur_epci = Epci.objects.filter(pk=code).first() if kind == "epci" else None
        if self.instance.employeur is None:
            self.add_error("employeur", "Choisissez la commune ou l'EPCI employeur.")
        return cleaned


class PartForm(DsfrForm):
    laureat = forms.ModelChoiceField(label="Territoire lauréat", queryset=Laureat.objects.none())
    part = forms.DecimalField(
        label="Part du poste",
        max_digits=5,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal("1"),
    )

    def __init__(self, *args, laureats=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["laureat"].queryset = laureats if laureats is not None else Laureat.objects.none()


class BasePartFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        parts = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not parts:
            raise ValidationError("Un poste sert au moins un territoire lauréat.")
        ids = [p["laureat"].pk for p in parts]
        if len(set(ids)) != len(ids):
            raise ValidationError("Un territoire figure deux fois.")
        total = sum((p["part"] for p in parts), Decimal(0))
        if total != 1:
            raise ValidationError(f"Les parts doivent totaliser 1 (elles totalisent {total}).")

    def parts(self) -> list[tuple[Laureat, Decimal]]:
        return [
            (f.cleaned_data["laureat"], f.cleaned_data["part"])
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


PartFormSet = formset_factory(PartForm, formset=BasePartFormSet, extra=1, can_delete=True)


def laureats_modifiables(user):
    """Laureates whose posts ``user`` may create/edit (the policy decides)."""
    return visible_to(user, Laureat, "edit").select_related("epci").order_by("nom")


class TransitionPosteForm(DsfrForm):
    vers = forms.ChoiceField(label="Nouvel état")
    date = forms.DateField(label="Date du changement", widget=DATE, initial=dt.date.today)
    titulaire_nom = forms.CharField(label="Nom du chef de projet (si pourvu)", required=False)
    titulaire_email = forms.EmailField(label="E-mail du chef de projet", required=False)
    type_contrat = forms.ChoiceField(
        label="Type de contrat", choices=[("", "—"), *PosteChefDeProjet.TypeContrat.choices], required=False
    )
    date_fin_contrat = forms.DateField(label="Fin du contrat", widget=DATE, required=False)
    commentaire = forms.CharField(label="Commentaire", required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, poste: PosteChefDeProjet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vers"].choices = [
            (e, PosteChefDeProjet.Etat(e).label)
            for e in PosteChefDeProjet.Etat.values
            if e in TRANSITIONS_POSTE[poste.etat]
        ]
        self.initial.setdefault("version", poste.version)

    def titulaire(self) -> dict:
        data = self.cleaned_data
        if data["vers"] != PosteChefDeProjet.Etat.POURVU:
            return {}
        values = {
            k: data[k] for k in ("titulaire_nom", "titulaire_email", "type_contrat", "date_fin_contrat")
        }
        values["date_prise_poste"] = data["date"]
        return {k: v for k, v in values.items() if v not in ("", None)}


class DemandeForm(DsfrForm):
    annee = forms.IntegerField(label="Année", min_value=2020, max_value=2100)
    periode_debut = forms.DateField(
        label="Poste pourvu du (vide : d'après le contrat)", widget=DATE, required=False
    )
    periode_fin = forms.DateField(label="au", widget=DATE, required=False)
    avec_bdt = forms.BooleanField(label="Avec la Banque des Territoires", required=False, initial=True)
    avec_anah = forms.BooleanField(
        label="Avec l'Anah (une opération programmée de l'habitat couvre l'année)", required=False
    )

    def clean(self):
        cleaned = super().clean()
        debut, fin = cleaned.get("periode_debut"), cleaned.get("periode_fin")
        if bool(debut) != bool(fin):
            raise ValidationError("Indiquez le début et la fin de la période, ou aucun des deux.")
        return cleaned


class VersionForm(DsfrForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class InstructionForm(VersionForm):
    avis = forms.CharField(
        label="Avis d'instruction", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    date = forms.DateField(label="Date", widget=DATE, initial=dt.date.today)


class AccordForm(VersionForm):
    arrete_reference = forms.CharField(label="Référence de l'arrêté attributif", max_length=100)
    montant = forms.DecimalField(label="Montant accordé (part de l'État, €)", **EUROS)
    date = forms.DateField(label="Date de l'arrêté", widget=DATE, initial=dt.date.today)
    motif_depassement = forms.CharField(
        label="Motif du dépassement de l'enveloppe (référent régional ou administration nationale)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class RefusForm(VersionForm):
    motif = forms.CharField(label="Motif du refus", widget=forms.Textarea(attrs={"rows": 3}))
    date = forms.DateField(label="Date", widget=DATE, initial=dt.date.today)


class VersementForm(DsfrForm):
    montant = forms.DecimalField(label="Montant versé (€)", **EUROS)
    date = forms.DateField(label="Date du versement", widget=DATE, initial=dt.date.today)
    libelle = forms.CharField(label="Libellé", required=False, max_length=200)


class DerogationForm(DsfrForm):
    montant = forms.DecimalField(label="Montant autorisé (€)", **EUROS)
    motif = forms.CharField(label="Motif du dépassement", widget=forms.Textarea(attrs={"rows": 3}))


class EnveloppeForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = Enveloppe
        fields = ["programme", "region", "annee", "montant", "commentaire"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        regions = [r.pk for r in Region.objects.current() if can(user, "create", Enveloppe, parent=r)]
        self.fields["region"].queryset = Region.objects.filter(pk__in=regions)
        if self.instance.pk:
            for name in ("programme", "region", "annee"):
                self.fields[name].disabled = True


class EnveloppeDepartementForm(DsfrFormMixin, forms.ModelForm):
    class Meta:
        model = EnveloppeDepartement
        fields = ["departement", "montant"]

    def __init__(self, *args, region=None, **kwargs):
        super().__init__(*args, **kwargs)
        if region is not None:
            self.fields["departement"].queryset = region.departements.current()


EnveloppeDepartementFormSet = forms.inlineformset_factory(
    Enveloppe, EnveloppeDepartement, form=EnveloppeDepartementForm, extra=1, can_delete=True
)


class OperationHabitatForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = OperationHabitat
        fields = ["type", "intitule", "date_debut", "date_fin"]
        widgets = {"date_debut": DATE, "date_fin": DATE}


class SimulationForm(DsfrForm):
    cout_annuel = forms.DecimalField(label="Coût annuel chargé du poste (€)", **EUROS)
    annee = forms.IntegerField(label="Année", min_value=2020, max_value=2100)
    debut = forms.DateField(label="Pourvu du (vide : toute l'année)", widget=DATE, required=False)
    fin = forms.DateField(label="au", widget=DATE, required=False)
    avec_anah = forms.BooleanField(label="Avec l'Anah (opération programmée de l'habitat)", required=False)
    avec_bdt = forms.BooleanField(label="Avec la Banque des Territoires", required=False, initial=True)
    parts = forms.CharField(
        label="Parts d'un poste partagé (ex. « 0,5 0,5 » ; vide : un seul territoire)", required=False
    )

    def clean_parts(self) -> list[Decimal]:
        raw = self.cleaned_data.get("parts", "").replace(",", ".").split()
        try:
            return [Decimal(x) for x in raw]
        except ArithmeticError as exc:
            raise ValidationError(
                "Les parts sont des nombres séparés par des espaces, ex. « 0,5 0,5 »."
            ) from exc
