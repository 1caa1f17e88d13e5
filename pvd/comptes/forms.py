"""Forms of accounts (DSFR-rendered)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from pvd.core.forms import DsfrForm, DsfrFormMixin, DsfrModelForm
from pvd.territoires.models import Commune, Departement, Epci, Region

from .models import Habilitation, Organisation, Role, User


class LoginForm(DsfrFormMixin, AuthenticationForm):
    pass


class PvdPasswordResetForm(DsfrFormMixin, PasswordResetForm):
    """Also for accounts without a password yet (invited, or created through ProConnect):
    proving control of the address is what the link does."""

    def get_users(self, email):
        return User.objects.filter(email__iexact=email.strip(), is_active=True)


class PvdSetPasswordForm(DsfrFormMixin, SetPasswordForm):
    pass


class UserCreateForm(DsfrModelForm):
    """An administrator invites someone: the account is created without a password and the
    person receives a link to choose one."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "organisation"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("Un compte existe déjà avec cette adresse.")
        return email


class HabilitationForm(DsfrForm):
    """Grant a role over a scope. Communes, EPCI and laureates are typed as codes."""

    role = forms.ChoiceField(label="Rôle", choices=[("", "— Choisir un rôle —"), *Role.choices])
    region = forms.ModelChoiceField(
        label="Région (référent régional)", queryset=Region.objects.filter(obsolete=False), required=False
    )
    departement = forms.ModelChoiceField(
        label="Département (délégué territorial)",
        queryset=Departement.objects.filter(obsolete=False),
        required=False,
    )
    laureat = forms.CharField(
        label="Territoire lauréat (collectivité)",
        help_text="Identifiant officiel, par exemple pvd-27-21-3",
        required=False,
        max_length=40,
    )
    commune = forms.CharField(
        label="Commune (collectivité, en attendant le lauréat)",
        help_text="Code INSEE, par exemple 21425",
        required=False,
        max_length=5,
    )
    epci = forms.CharField(
        label="EPCI (collectivité, en attendant le lauréat)",
        help_text="Numéro SIREN, par exemple 200070969",
        required=False,
        max_length=9,
    )
    organisation = forms.ModelChoiceField(
        label="Organisation (partenaire)", queryset=Organisation.objects.all(), required=False
    )

    def __init__(self, *args, user: User, granted_by: User, **kwargs):
        self.user = user
        self.granted_by = granted_by
        super().__init__(*args, **kwargs)

    def _resolve(self, name: str, model, label: str, lookup_field: str):
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            return None
        obj = model.objects.filter(**{lookup_field: value}).first()
        if obj is None:
            self.add_error(name, f"{label} inconnu(e) : « {value} ».")
        return obj

    def clean(self):
        cleaned = super().clean()
        from pvd.programmes.models import Laureat

        scope = {
            "region": cleaned.get("region"),
            "departement": cleaned.get("departement"),
            "organisation": cleaned.get("organisation"),
            "commune": self._resolve("commune", Commune, "Commune", "code"),
            "epci": self._resolve("epci", Epci, "EPCI", "code"),
            "laureat": self._resolve("laureat", Laureat, "Territoire lauréat", "identifiant"),
        }
        if self.errors:
            return cleaned
        self.habilitation = Habilitation(
            user=self.user, role=cleaned.get("role"), granted_by=self.granted_by, **scope
        )
        try:
            self.habilitation.clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            return cleaned
        duplicate = Habilitation.objects.active().filter(user=self.user, role=self.habilitation.role, **scope)
        if duplicate.exists():
            self.add_error(None, "Cette personne détient déjà cette habilitation.")
        return cleaned

    def save(self) -> Habilitation:
        return Habilitation.grant(
            self.user,
            self.habilitation.role,
            granted_by=self.granted_by,
            **{
                name: getattr(self.habilitation, name)
                for name in ("region", "departement", "commune", "epci", "laureat", "organisation")
            },
        )


class ApiTokenForm(DsfrForm):
    name = forms.CharField(
        label="Nom du jeton", max_length=100, help_text="Pour vous y retrouver : usage, machine…"
    )
    validite = forms.TypedChoiceField(
        label="Validité",
        coerce=int,
        choices=[(30, "30 jours"), (90, "90 jours"), (365, "1 an"), (0, "Sans expiration")],
        initial=90,
    )

    def expires_at(self):
        days = self.cleaned_data["validite"]
        return timezone.now() + timedelta(days=days) if days else None
