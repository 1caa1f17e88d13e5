"""Accounts: a user is identified by their e-mail address."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords


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


# The habilitation field(s) carrying the scope of each role (administrateur national: none;
# collectivité: exactly one of them — a laureate territory, or until then a commune or an EPCI).
ROLE_SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    Role.ADMIN_NATIONAL.value: (),
    Role.REFERENT_REGIONAL.value: ("region",),
    Role.DELEGUE_TERRITORIAL.value: ("departement",),
    Role.COLLECTIVITE.value: ("laureat", "commune", "epci"),
    Role.PARTENAIRE.value: ("organisation",),
}
SCOPE_FIELDS = ("region", "departement", "commune", "epci", "laureat", "organisation")


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

    def revoked(self):
        return self.filter(revoked_at__isnull=False)


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
    history = HistoricalRecords()

    class Meta:
        verbose_name = "habilitation"
        ordering = ["user", "role"]

    def __str__(self) -> str:
        scope = self.scope
        return f"{self.get_role_display()}" + (f" — {scope}" if scope else "")

    @property
    def scope(self):
        """The territory or organisation this habilitation covers (None: everything)."""
        for name in ROLE_SCOPE_FIELDS.get(self.role, ()):
            value = getattr(self, name)
            if value is not None:
                return value
        return None

    @property
    def scope_label(self) -> str:
        scope = self.scope
        if scope is None:
            return "Tout le territoire national" if self.role == Role.ADMIN_NATIONAL else ""
        return f"{type(scope)._meta.verbose_name.capitalize()} : {scope}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def clean(self) -> None:
        """The scope must match the role: exactly the field(s) the role is scoped by."""
        super().clean()
        if not self.role:
            return
        expected = ROLE_SCOPE_FIELDS.get(self.role, ())
        given = [name for name in SCOPE_FIELDS if getattr(self, f"{name}_id") is not None]
        errors: dict[str, str] = {}
        for name in given:
            if name not in expected:
                errors[name] = (
                    f"Le rôle « {self.get_role_display()} » ne se limite pas à ce type de périmètre."
                )
        if expected and not any(name in given for name in expected):
            labels = " ou ".join(str(self._meta.get_field(name).verbose_name) for name in expected)
            errors[expected[0]] = f"Le rôle « {self.get_role_display()} » exige un périmètre : {labels}."
        if len([name for name in given if name in expected]) > 1:
            errors[expected[0]] = "Un seul périmètre par habilitation (créez-en plusieurs au besoin)."
        if errors:
            raise ValidationError(errors)

    @classmethod
    def grant(cls, user: User, role: str, granted_by: User | None = None, **scope) -> Habilitation:
        """Grant ``role`` over ``scope`` (e.g. ``region=…``) to ``user``; validated, recorded."""
        hab = cls(user=user, role=role, granted_by=granted_by, granted_at=timezone.now(), **scope)
        hab.full_clean()
        if granted_by is not None:
            hab._history_user = granted_by
        hab.save()
        return hab

    def revoke(self, revoked_by: User | None = None) -> None:
        """Revoke (kept for the record, no longer confers any right)."""
        if self.revoked_at is not None:
            return
        self.revoked_at = timezone.now()
        self.revoked_by = revoked_by
        if revoked_by is not None:
            self._history_user = revoked_by
        self.save(update_fields=["revoked_at", "revoked_by"])


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal token for machine clients of the API (``Authorization: Bearer pvd_…``).

    Only a SHA-256 digest of the token is stored (the token has 256 bits of randomness, so a
    plain digest is enough and allows an indexed lookup); the token itself is shown once, at
    creation. A token acts as its user: it confers exactly the user's habilitations.
    """

    PREFIX = "pvd_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("nom", max_length=100, help_text="Pour vous y retrouver : usage, machine…")
    key_prefix = models.CharField("début du jeton", max_length=16, editable=False)
    digest = models.CharField("empreinte SHA-256", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    expires_at = models.DateTimeField("expire le", null=True, blank=True)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="révoqué par"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
        """Create a token for ``user``; returns the record and the token (shown once only)."""
        token = cls.PREFIX + secrets.token_urlsafe(32)
        record = cls.objects.create(
            user=user, name=name, key_prefix=token[:12], digest=cls.hash(token), expires_at=expires_at
        )
        return record, token

    @classmethod
    def authenticate(cls, token: str) -> ApiToken | None:
        """The active token matching ``token`` (and its active user), or None."""
        if not token or not token.startswith(cls.PREFIX) or len(token) > 200:
            return None
        record = (
            cls.objects.active()
            .select_related("user")
            .filter(digest=cls.hash(token), user__is_active=True)
            .first()
        )
        if record is None:
            return None
        now = timezone.now()
        if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=5):
            with transaction.atomic():
                cls.objects.filter(pk=record.pk).update(last_used_at=now)
            record.last_used_at = now
        return record

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def revoke(self, revoked_by: User | None = None) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.revoked_by = revoked_by
            self.save(update_fields=["revoked_at", "revoked_by"])
