"""Optimistic locking on ``BusinessModel.version``: an edit based on a stale version is refused.

Every business record carries a ``version`` number. A page or an API client that edits a record
sends back the version it read; the save succeeds only if the record still has that version,
and bumps it. Otherwise ``StaleEditError`` is raised, carrying what changed meanwhile (field,
value in the version the editor read, value now stored, the editor's own value, who changed it
and when — read from the record's history). Never a silent overwrite.

Public interface (everything an app needs):

- ``save_with_version(instance, expected_version=None, user=None)``: save an edited instance if
  the database still holds ``expected_version`` (default: ``instance.version``, i.e. the version
  the instance was loaded with); raises ``StaleEditError`` otherwise, writing nothing. The check
  and the bump are one conditional ``UPDATE … WHERE pk = … AND version = …`` in the transaction
  of the save, so two processes can never both win (PostgreSQL re-evaluates the condition after
  the row lock; SQLite serialises writers). A new record (no pk yet) is simply created.
- ``VersionedModelFormMixin``: put it before ``DsfrModelForm`` (``class F(VersionedModelFormMixin,
  DsfrModelForm)``). It adds a hidden ``version`` field; ``form.save()`` goes through
  ``save_with_version`` (raises ``StaleEditError``); ``form.save_or_conflict()`` returns None
  and adds a form error listing what changed meanwhile, moving the hidden version forward so
  that submitting again — after having seen the changes — is a deliberate overwrite. With
  ``check_version_on_clean = True`` the stale submission is already refused by ``is_valid()``. Pass
  ``user=request.user`` to record the author explicitly (the history middleware does it too).
- ``VersionedUpdateViewMixin``: for class-based ``UpdateView``s (passes the user, turns a lost
  race into the same form error).
- API: let ``StaleEditError`` propagate from a django-ninja operation; ``pvd.api.api`` answers
  **409** with ``exc.as_dict()`` (``{"detail", "expected_version", "current_version",
  "changed_by", "changes": [{"field", "label", "old", "new", "yours", "current", "changed_by",
  "changed_at"}]}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.db import models, transaction
from django.utils import formats, timezone

__all__ = [
    "Change",
    "FieldChange",
    "StaleEditError",
    "VersionedModelFormMixin",
    "VersionedUpdateViewMixin",
    "changes_since",
    "save_with_version",
]

_IGNORED = {"version", "created_at", "updated_at"}


@dataclass(frozen=True)
class FieldChange:
    """One field changed by someone else since the version the editor read.

    ``old``: its value in that version; ``current``: its value now stored; ``yours``: the value
    in the refused edit; ``changed_by``/``changed_at``: the last change of that field.
    """

    field: str
    label: str
    yours: Any
    current: Any
    old: Any = None
    changed_by: str | None = None
    changed_at: datetime | None = None

    @property
    def new(self) -> Any:
        return self.current

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "label": self.label,
            "old": _jsonable(self.old),
            "new": _jsonable(self.current),
            "yours": _jsonable(self.yours),
            "current": _jsonable(self.current),
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }

    def __str__(self) -> str:
        who = f" par {self.changed_by}" if self.changed_by else ""
        when = (
            f" le {formats.date_format(timezone.localtime(self.changed_at), 'DATETIME_FORMAT')}"
            if self.changed_at
            else ""
        )
        return (
            f"« {self.label} » : « {_display(self.old)} » → « {_display(self.current)} » (modifié{who}{when})"
        )


Change = FieldChange


class StaleEditError(Exception):
    """The record was changed (or deleted) by someone else since the editor loaded it."""

    def __init__(
        self,
        instance: models.Model,
        expected: int,
        current_version: int | None,
        changes: list[FieldChange],
        changed_by: str = "",
        changed_at=None,
    ):
        self.instance = instance
        self.expected = expected
        self.current_version = current_version
        self.changes = changes
        self.changed_by = changed_by
        self.changed_at = changed_at
        super().__init__(self.message)

    @property
    def expected_version(self) -> int:
        return self.expected

    @property
    def message(self) -> str:
        if self.current_version is None:
            return "Cet enregistrement a été supprimé entre-temps : vos modifications n'ont pas été enregistrées."
        who = f" par {self.changed_by}" if self.changed_by else ""
        text = (
            f"Cet enregistrement a été modifié{who} depuis que vous l'avez ouvert "
            f"(version {self.expected} → {self.current_version}). Vos modifications n'ont pas été "
            "enregistrées."
        )
        if self.changes:
            text += (
                " Modifications intervenues entre-temps : " + " ; ".join(str(c) for c in self.changes) + "."
            )
        return text

    def as_dict(self) -> dict:
        """The JSON body of the API's 409 answer."""
        return {
            "detail": self.message,
            "expected_version": self.expected,
            "current_version": self.current_version,
            "changed_by": self.changed_by,
            "changes": [c.as_dict() for c in self.changes],
        }


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _display(value: Any) -> str:
    return "" if value is None else str(value)


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 — a field removed since: show its name
        return name


def _who(row) -> str:
    user = getattr(row, "history_user", None)
    return str(user) if user is not None else ""


def _history_rows(model: type[models.Model], pk) -> list:
    history = getattr(model, "history", None)
    if history is None:
        return []
    return list(
        history.model.objects.filter(**{model._meta.pk.attname: pk})
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )


def changes_since(instance: models.Model, expected_version: int) -> list[FieldChange]:
    """Fields of ``instance``'s record changed after ``expected_version``, from its history.

    Falls back to comparing ``instance`` with the stored record when the history does not hold
    ``expected_version`` (records created before history was kept).
    """
    model = type(instance)
    rows = _history_rows(model, instance.pk)
    base_index = None
    for i, row in enumerate(rows):
        if getattr(row, "version", None) == expected_version and row.history_type != "-":
            base_index = i
    excluded = [f.name for f in model._meta.concrete_fields if f.name in _IGNORED]
    if base_index is None:
        stored = model._base_manager.filter(pk=instance.pk).first()
        if stored is None:
            return []
        return [
            FieldChange(f.name, str(f.verbose_name), getattr(instance, f.attname), getattr(stored, f.attname))
            for f in model._meta.concrete_fields
            if not f.primary_key
            and f.name not in _IGNORED
            and getattr(instance, f.attname) != getattr(stored, f.attname)
        ]
    base = rows[base_index]
    last_change: dict[str, Any] = {}
    previous = base
    for row in rows[base_index + 1 :]:
        if row.history_type == "-":
            continue
        for change in row.diff_against(previous, excluded_fields=excluded).changes:
            last_change[change.field] = row
        previous = row
    if previous is base:
        return []
    result = []
    for change in previous.diff_against(base, excluded_fields=excluded).changes:
        row = last_change.get(change.field, previous)
        field = model._meta.get_field(change.field)
        yours = getattr(instance, field.attname, None)
        result.append(
            FieldChange(
                field=change.field,
                label=_label(model, change.field),
                yours=yours,
                current=change.new,
                old=change.old,
                changed_by=_who(row) or None,
                changed_at=row.history_date,
            )
        )
    return result


def _last_author(model, pk) -> tuple[str, Any]:
    rows = _history_rows(model, pk)
    if not rows:
        return "", None
    return _who(rows[-1]), rows[-1].history_date


def save_with_version(
    instance: models.Model, expected_version: int | str | None = None, user=None, **save_kwargs
) -> models.Model:
    """Save ``instance`` if the stored version is still ``expected_version`` (default: its own).

    On success the version is incremented (in the database and on ``instance``) and the history
    records the change (author: ``user`` if given, else the request's user). On conflict raises
    ``StaleEditError`` and writes nothing. A new instance is created with version 1.
    """
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user
    model = type(instance)
    if instance._state.adding:
        instance.version = 1
        instance.save(**save_kwargs)
        return instance
    try:
        expected = instance.version if expected_version in (None, "") else int(expected_version)
    except (TypeError, ValueError):
        raise ValueError(f"Version attendue invalide : {expected_version!r}") from None
    with transaction.atomic():
        updated = model._base_manager.filter(pk=instance.pk, version=expected).update(version=expected + 1)
        if updated == 1:
            instance.version = expected + 1
            if save_kwargs.get("update_fields") is not None:
                save_kwargs["update_fields"] = set(save_kwargs["update_fields"]) | {"version"}
            instance.save(**save_kwargs)
            return instance
    raise stale_error(instance, expected)


def stale_error(instance: models.Model, expected_version: int) -> StaleEditError:
    """The ``StaleEditError`` describing what changed in ``instance``'s record since ``expected_version``.

    For services that refuse a step decided on a stale version before writing anything.
    """
    model = type(instance)
    expected = int(expected_version)
    current = model._base_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
    if current is None:
        return StaleEditError(instance, expected, None, [])
    who, when = _last_author(model, instance.pk)
    return StaleEditError(instance, expected, current, changes_since(instance, expected), who, when)


class VersionedModelFormMixin:
    """For a ModelForm of a ``BusinessModel``: carries the version and refuses stale edits."""

    version_field_name = "version"
    #: Also refuse a stale submission in ``is_valid()`` (earlier feedback, no save attempted).
    #: Off by default: ``is_valid()`` then ``save_or_conflict()`` is the documented flow.
    check_version_on_clean = False

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields[self.version_field_name] = forms.IntegerField(widget=forms.HiddenInput, required=False)
        if self.instance.pk and not self.is_bound:
            self.initial[self.version_field_name] = self.instance.version
        self.stale_error: StaleEditError | None = None

    def add_stale_error(self, exc: StaleEditError) -> None:
        """Show what changed meanwhile; the next submission is then based on the stored version."""
        self.stale_error = exc
        self.add_error(None, exc.message)
        if exc.current_version is not None and self.is_bound:
            data = self.data.copy()
            data[self.add_prefix(self.version_field_name)] = str(exc.current_version)
            self.data = data

    def clean(self):
        cleaned = super().clean()
        if not self.check_version_on_clean or self.instance.pk is None or self.instance._state.adding:
            return cleaned
        expected = cleaned.get(self.version_field_name)
        if expected is None:
            self.add_error(None, "Version de l'enregistrement manquante : rechargez la page.")
            return cleaned
        model = type(self.instance)
        current = model._base_manager.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        if current != expected:
            who, when = _last_author(model, self.instance.pk)
            changes = changes_since(self.instance, expected) if current is not None else []
            self.add_stale_error(StaleEditError(self.instance, expected, current, changes, who, when))
        return cleaned

    def save(self, commit: bool = True):
        instance = super().save(commit=False)
        if not commit:
            return instance
        save_with_version(instance, self.cleaned_data.get(self.version_field_name), user=self.user)
        self._save_m2m()
        return instance

    def save_or_conflict(self):
        """``save()``, or None with the form error when the record changed since ``is_valid()``."""
        try:
            return self.save()
        except StaleEditError as exc:
            self.add_stale_error(exc)
            return None


class VersionedUpdateViewMixin:
    """For ``UpdateView``: pass the user to the form; a race lost at save time is a form error."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except StaleEditError as exc:
            form.add_stale_error(exc)
            return self.form_invalid(form)
