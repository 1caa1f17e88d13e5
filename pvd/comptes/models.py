"""Accounts: a user is identified by their e-mail address."""

from __future__ import annotations

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("adresse e-mail", unique=True)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    organisation = models.CharField("organisation", max_length=200, blank=True)
    is_staff = models.BooleanField("accès à l'administration Django", default=False)
    is_active = models.BooleanField("actif", default=True)
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Role(models.TextChoices):
    ADMIN_NATIONAL = "admin_national", "Administrateur national"
    REFERENT_REGIONAL = "referent_regional", "Référent régional"
    DELEGUE_TERRITORIAL = "delegue_territorial", "Délégué territorial"
    COLLECTIVITE = "collectivite", "Collectivité"
    PARTENAIRE = "partenaire", "Partenaire"


class Organisation(models.Model):
    """A partner organisation (Banque des Territoires, Anah, Cerema, Ademe, a région…)."""

    nom = models.CharField("nom", max_length=200, unique=True)
    sigle = models.CharField("sigle", max_length=40, blank=True)

    class Meta:
        verbose_name = "organisation partenaire"
        verbose_name_plural = "organisations partenaires"
        ordering = ["nom"]

    def __str__(self) -> str:
        return self.sigle or self.nom


class HabilitationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class Habilitation(models.Model):
    """A role held by a user over a scope (DESIGN §3). A user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="habilitations")
    role = models.CharField("rôle", max_length=30, choices=Role.choices)
    region = models.ForeignKey(
        "territoires.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    departement = models.ForeignKey(
        "territoires.Departement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    commune = models.ForeignKey(
        "territoires.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    epci = models.ForeignKey(
        "territoires.Epci", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    laureat = models.ForeignKey(
        "programmes.Laureat", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="habilitations"
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="accordée par"
    )
    granted_at = models.DateTimeField("accordée le", default=timezone.now)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="révoquée par"
    )
    revoked_at = models.DateTimeField("révoquée le", null=True, blank=True)

    objects = HabilitationQuerySet.as_manager()

    class Meta:
        verbose_name = "habilitation"
        ordering = ["user", "role"]

    def __str__(self) -> str:
        scope = (
            self.region or self.departement or self.laureat or self.commune or self.epci or self.organisation
        )
        return f"{self.get_role_display()}" + (f" — {scope}" if scope else "")
