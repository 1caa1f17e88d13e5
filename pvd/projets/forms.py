"""Forms of projets and fiches actions (DSFR-rendered, optimistic locking on edits)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from pvd.comptes.models import Habilitation
from pvd.core.forms import DsfrForm, DsfrModelForm
from pvd.core.locking import VersionedModelFormMixin
from pvd.territoires.models import Commune

from .models import (
    Commentaire,
    Dispositif,
    Etape,
    FicheAction,
    Financement,
    Financeur,
    Indicateur,
    LigneCout,
    ProjetDeTerritoire,
    Theme,
)
from .rules import TransitionRefusee, transitions_possibles, verifier_transition_financement

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjetForm(VersionedModelFormMixin, DsfrModelForm):
    axes_text = forms.CharField(
        label="Axes stratégiques",
        help_text="Un axe par ligne, dans l'ordre.",
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )

    class Meta:
        model = ProjetDeTerritoire
        fields = ["titre", "resume", "reference_convention", "date_convention", "perimetre"]
        widgets = {"date_convention": DATE, "perimetre": forms.CheckboxSelectMultiple}

    def __init__(self, *args, laureat, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["perimetre"].queryset = laureat.communes.all().order_by("nom")
        self.fields["perimetre"].help_text = "Les communes du lauréat concernées par le projet."
        if self.instance.pk and not self.is_bound:
            self.initial["axes_text"] = "\n".join(a.titre for a in self.instance.axes.all())

    def axes(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("axes_text", "").splitlines() if line.strip()]


class FicheActionForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = FicheAction
        fields = [
            "numero",
            "titre",
            "description",
            "axe",
            "themes",
            "maitre_ouvrage_type",
            "maitre_ouvrage_nom",
            "pilote",
            "commune",
            "date_debut_prevue",
            "date_fin_prevue",
            "date_debut_reelle",
            "date_fin_reelle",
        ]
        widgets = {
            "themes": forms.CheckboxSelectMultiple,
            "date_debut_prevue": DATE,
            "date_fin_prevue": DATE,
            "date_debut_reelle": DATE,
            "date_fin_reelle": DATE,
        }

    def __init__(self, *args, projet: ProjetDeTerritoire, **kwargs):
        super().__init__(*args, **kwargs)
        self.projet = projet
        laureat = projet.laureat
        self.fields["numero"].required = False
        self.fields["numero"].help_text = "Laissé vide : attribué automatiquement (FA-001…)."
        self.fields["axe"].queryset = projet.axes.all()
        self.fields["themes"].queryset = Theme.objects.all()
        communes = Q(laureats=laureat)
        if laureat.epci_id:
            communes |= Q(epci_id=laureat.epci_id)
        self.fields["commune"].queryset = (
            Commune.objects.current().filter(communes).distinct().order_by("nom")
        )
        people = (
            Habilitation.objects.active()
            .filter(Q(laureat=laureat) | Q(departement_id=laureat.departement_id))
            .values("user_id")
        )
        pilots = Q(pk__in=people)
        if self.instance.pilote_id:
            pilots |= Q(pk=self.instance.pilote_id)
        self.fields["pilote"].queryset = get_user_model().objects.filter(pilots, is_active=True)

    def clean_numero(self):
        numero = (self.cleaned_data.get("numero") or "").strip()
        if numero:
            clash = FicheAction.objects.filter(projet=self.projet, numero__iexact=numero).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                raise forms.ValidationError(f"Le numéro {numero} est déjà utilisé dans ce projet.")
        return numero

    def clean(self):
        data = super().clean()
        for start, end in (
            ("date_debut_prevue", "date_fin_prevue"),
            ("date_debut_reelle", "date_fin_reelle"),
        ):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(end, "La date de fin précède la date de début.")
        return data


class TransitionForm(DsfrForm):
    vers = forms.ChoiceField(label="Nouveau statut")
    commentaire = forms.CharField(label="Commentaire", required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, fiche: FicheAction, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(FicheAction._meta.get_field("statut").choices)
        # Every status is offered; a move the table forbids gets a clear refusal.
        self.fields["vers"].choices = [(s, labels[s]) for s in transitions_possibles(fiche.statut)] or [
            ("", "Aucun (statut final)")
        ]
        self.initial.setdefault("version", fiche.version)


class LigneCoutForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = LigneCout
        fields = ["nature", "annee", "libelle", "montant_ht", "montant_ttc"]

    def clean(self):
        data = super().clean()
        ht, ttc = data.get("montant_ht"), data.get("montant_ttc")
        if ht is not None and ttc is not None and ttc < ht:
            self.add_error("montant_ttc", "Le montant TTC ne peut pas être inférieur au montant HT.")
        return data


class FinancementForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = Financement
        fields = [
            "financeur",
            "dispositif",
            "montant",
            "statut",
            "annee",
            "date_demande",
            "date_decision",
            "date_versement",
        ]
        widgets = {"date_demande": DATE, "date_decision": DATE, "date_versement": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ancien_statut = self.instance.statut if self.instance.pk else None
        self.fields["financeur"].queryset = Financeur.objects.filter(
            Q(actif=True) | Q(pk=self.instance.financeur_id)
        )
        self.fields["dispositif"].queryset = Dispositif.objects.filter(
            Q(actif=True) | Q(pk=self.instance.dispositif_id)
        ).select_related("financeur")

    def clean(self):
        data = super().clean()
        financeur, dispositif = data.get("financeur"), data.get("dispositif")
        if financeur and dispositif and dispositif.financeur_id and dispositif.financeur_id != financeur.pk:
            self.add_error(
                "dispositif",
                f"Le dispositif {dispositif} relève de {dispositif.financeur}, pas de {financeur}.",
            )
        statut = data.get("statut")
        if statut and self.ancien_statut:
            try:
                verifier_transition_financement(self.ancien_statut, statut)
            except TransitionRefusee as exc:
                self.add_error("statut", str(exc))
        return data


class EtapeForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = Etape
        fields = ["ordre", "libelle", "date_prevue", "faite"]
        widgets = {"date_prevue": DATE}


class IndicateurForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = Indicateur
        fields = ["nom", "unite", "valeur_initiale", "cible", "valeur_actuelle"]


class CommentaireForm(DsfrModelForm):
    class Meta:
        model = Commentaire
        fields = ["texte"]
        widgets = {"texte": forms.Textarea(attrs={"rows": 3})}


class ImportForm(DsfrForm):
    fichier = forms.FileField(label="Fichier XLSX (modèle de la plateforme)")
    dry_run = forms.BooleanField(label="Vérifier seulement (n'enregistre rien)", required=False)
