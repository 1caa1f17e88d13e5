from django import forms

from pvd.core.forms import DsfrForm, DsfrModelForm
from pvd.core.locking import VersionedModelFormMixin

from .models import Jalon, Laureat, Programme


class LaureatForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = Laureat
        fields = ["nom", "statut", "date_admission", "latitude", "longitude"]
        widgets = {"date_admission": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class JalonForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = Jalon
        fields = ["date_realisation", "document"]
        widgets = {"date_realisation": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ImportForm(DsfrForm):
    programme = forms.ModelChoiceField(Programme.objects.all(), label="Programme", to_field_name="slug")
    fichier = forms.FileField(label="Fichier (CSV data.gouv.fr ou GeoJSON ANCT)", required=False)
    url = forms.URLField(label="ou adresse du fichier (http/https)", required=False, assume_scheme="https")
    dry_run = forms.BooleanField(label="Valider seulement (ne rien écrire)", required=False, initial=True)

    def clean(self):
        data = super().clean()
        if not data.get("fichier") and not data.get("url"):
            raise forms.ValidationError("Choisissez un fichier ou indiquez une adresse.")
        if data.get("fichier") and data.get("url"):
            raise forms.ValidationError("Choisissez un fichier ou une adresse, pas les deux.")
        return data
