"""The one access policy (DESIGN §3).

Every page, API endpoint and export asks this module, never filters by hand:

- ``visible_to(user, Model_or_queryset, action="view")``: the records ``user`` may act on;
- ``can(user, action, obj)``: may ``user`` do ``action`` on ``obj`` (an instance), or, for
  ``action="create"``, create a ``Model`` under ``parent`` (``can(user, "create", FicheAction,
  parent=projet)``);
- ``require(...)``: same as ``can`` but raises ``PermissionDenied``;
- ``get_object_for(user, action, model_or_qs, **lookup)``: the one record a view works on —
  **404** if ``user`` may not even see it (its existence is not disclosed), **403**
  (``PermissionDenied``, rendered by templates/403.html, or JSON by the API) if it is visible but
  ``action`` is not allowed. Use it in every detail/edit/delete view and API operation.

A refusal is ``django.core.exceptions.PermissionDenied``: pages render the DSFR 403 page, the
API answers ``{"detail": ...}`` with status 403 (401 for an anonymous client).

Besides role rights within a scope, a rule may give rights to the record's **owner**
(``owner="user"``: the path to a user; ``owner_rights={"view"}``): every signed-in user may
do those actions on their own records (their habilitations, their API tokens, their account).

Each app declares, in its ``rules.py``, how its records sit in the territory tree (a ``Scope``
of ORM paths) and which role may do what inside its scope (``register``). A scope includes
what lies inside it: a région covers its départements, their communes and their records,
because every record declares the path to its région as well as to its département.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from .models import ROLE_SCOPE_FIELDS, Habilitation, Role

ACTIONS = ("view", "create", "edit", "delete", "export")
ALL = frozenset(ACTIONS)
READ = frozenset({"view", "export"})


@dataclass(frozen=True)
class Scope:
    """ORM paths from a record to what scopes it; ``"pk"`` designates the record itself."""

    region: str | None = None
    departement: str | None = None
    epci: str | None = None
    commune: str | None = None
    laureat: str | None = None
    organisation: str | None = None
    distinct: bool = False  # set when a path crosses a to-many relation

    def path_for(self, field_name: str) -> str | None:
        """The ORM path for a habilitation scope field (``region``, ``departement``…)."""
        return getattr(self, field_name, None)


@dataclass(frozen=True)
class Rule:
    model: type[models.Model]
    scope: Scope
    rights: dict[str, frozenset[str]]
    public: frozenset[str] = frozenset()
    public_filter: Q = field(default_factory=Q)
    owner: str | None = None
    owner_rights: frozenset[str] = frozenset()

    def allowed_for(self, role: str) -> frozenset[str]:
        """The actions the policy table gives ``role`` inside its scope."""
        if role == Role.ADMIN_NATIONAL.value:
            return self.rights.get(role, ALL)
        return self.rights.get(role, frozenset())


_RULES: dict[type[models.Model], Rule] = {}


def register(
    model: type[models.Model],
    *,
    scope: Scope,
    rights: dict[str, Iterable[str]],
    public: Iterable[str] = (),
    public_filter: Q | None = None,
    owner: str | None = None,
    owner_rights: Iterable[str] = (),
) -> Rule:
    """Declare how ``model`` is scoped and what each role may do on it within its scope.

    ``public``: actions anyone (even anonymous) may do on the records matching ``public_filter``;
    ``owner``/``owner_rights``: actions a signed-in user may do on the records whose ``owner``
    path designates them.
    """
    unknown = {a for acts in rights.values() for a in acts} | set(public) | set(owner_rights)
    if not unknown <= ALL:
        raise ValueError(f"Unknown actions for {model.__name__}: {sorted(unknown - ALL)}")
    rule = Rule(
        model=model,
        scope=scope,
        rights={Role(role).value: frozenset(acts) for role, acts in rights.items()},
        public=frozenset(public),
        public_filter=public_filter if public_filter is not None else Q(),
        owner=owner,
        owner_rights=frozenset(owner_rights),
    )
    _RULES[model] = rule
    return rule


def rule_for(model: type[models.Model]) -> Rule:
    model = getattr(model, "_meta", None) and model._meta.concrete_model or model
    try:
        return _RULES[model]
    except KeyError:
        raise LookupError(f"No access rule registered for {model.__name__}") from None


def registered_models() -> list[type[models.Model]]:
    return list(_RULES)


def habilitations_of(user) -> list[Habilitation]:
    """Active habilitations of ``user``, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_pvd_habilitations", None)
    if cached is None:
        cached = list(Habilitation.objects.active().filter(user=user))
        user._pvd_habilitations = cached
    return cached


def is_admin(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(h.role == Role.ADMIN_NATIONAL for h in habilitations_of(user))


_NOTHING = Q(pk__in=[])


def _scope_q(rule: Rule, hab: Habilitation) -> Q:
    """The records of ``rule.model`` inside the scope of one habilitation."""
    s = rule.scope
    if hab.role == Role.ADMIN_NATIONAL:
        return Q()
    pairs = [(s.path_for(name), getattr(hab, f"{name}_id")) for name in ROLE_SCOPE_FIELDS.get(hab.role, ())]
    q = _NOTHING
    for path, value in pairs:
        if path and value is not None:
            q = Q(**{path: value}) if q is _NOTHING else q | Q(**{path: value})
    return q


def _allowed_q(user, rule: Rule, action: str) -> Q | None:
    """A Q of what ``user`` may do ``action`` on; None means everything.

    The union of: the public part, the scope of each habilitation whose role has ``action``,
    and the user's own records (owner rights). An empty ``Q()`` in that union means "all"
    (Django would otherwise drop it from an OR and wrongly narrow the result).
    """
    if is_admin(user) and action in rule.rights.get(Role.ADMIN_NATIONAL.value, ALL):
        return None
    parts: list[Q] = []
    if action in rule.public:
        if not rule.public_filter:
            return None
        parts.append(rule.public_filter)
    for hab in habilitations_of(user):
        if action in rule.rights.get(hab.role, frozenset()):
            hq = _scope_q(rule, hab)
            if hq is _NOTHING:
                continue
            if not hq:
                return None
            parts.append(hq)
    if rule.owner and action in rule.owner_rights and _signed_in(user):
        parts.append(Q(**{rule.owner: user.pk}))
    if not parts:
        return _NOTHING
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return q


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def visible_to(user, model_or_qs, action: str = "view") -> models.QuerySet:
    """The records of a model (or within a queryset) that ``user`` may ``action``."""
    qs = model_or_qs if isinstance(model_or_qs, models.QuerySet) else model_or_qs._default_manager.all()
    rule = rule_for(qs.model)
    q = _allowed_q(user, rule, action)
    if q is None:
        return qs
    if q is _NOTHING:
        return qs.none()
    qs = qs.filter(q)
    return qs.distinct() if rule.scope.distinct else qs


def can(user, action: str, obj, parent: models.Model | None = None) -> bool:
    """May ``user`` do ``action`` on ``obj``?

    ``obj`` is an instance, or a model class with ``action="create"`` and the ``parent``
    record the new one will belong to (its scope is checked with the parent's rule, and the
    right with the created model's rule).
    """
    if action not in ALL:
        raise ValueError(f"Unknown action {action!r}")
    if isinstance(obj, type):
        rule = rule_for(obj)
        if parent is None:
            if is_admin(user) and action in rule.rights.get(Role.ADMIN_NATIONAL.value, ALL):
                return True
            if rule.owner and action in rule.owner_rights and _signed_in(user):
                return True
            return any(action in rule.rights.get(h.role, ()) for h in habilitations_of(user))
        parent_rule = rule_for(type(parent))
        if is_admin(user) and action in rule.rights.get(Role.ADMIN_NATIONAL.value, ALL):
            return True
        for hab in habilitations_of(user):
            if action in rule.rights.get(hab.role, frozenset()):
                hq = _scope_q(parent_rule, hab)
                if hq is not _NOTHING and type(parent)._default_manager.filter(hq, pk=parent.pk).exists():
                    return True
        return False
    return visible_to(user, type(obj), action).filter(pk=obj.pk).exists()


DENIED_MESSAGE = "Vous n'avez pas les droits nécessaires pour cette action."


def require(user, action: str, obj, parent: models.Model | None = None) -> None:
    """``can``, or raise ``PermissionDenied`` (the 403 page / the API's 403 JSON)."""
    if not can(user, action, obj, parent=parent):
        raise PermissionDenied(DENIED_MESSAGE)


def get_object_for(user, action: str, model_or_qs, **lookup):
    """The record matching ``lookup`` that ``user`` is about to ``action``.

    Raises ``Http404`` when ``user`` may not even see it (not disclosing that it exists) and
    ``PermissionDenied`` when it is visible but ``action`` is not allowed::

        fiche = get_object_for(request.user, "edit", FicheAction, pk=pk)
        laureat = get_object_for(request.user, "view", Laureat.objects.select_related("epci"),
                                 programme__slug=slug, identifiant=identifiant)
    """
    from django.http import Http404

    if action not in ALL:
        raise ValueError(f"Unknown action {action!r}")
    qs = model_or_qs if isinstance(model_or_qs, models.QuerySet) else model_or_qs._default_manager.all()
    try:
        obj = visible_to(user, qs, "view").get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404(f"Aucun enregistrement « {qs.model._meta.verbose_name} » ne correspond.") from None
    if action != "view":
        require(user, action, obj)
    return obj


def allowed_actions(user, obj) -> frozenset[str]:
    """The actions ``user`` may do on ``obj`` (for showing or hiding buttons)."""
    return frozenset(a for a in ACTIONS if a != "create" and can(user, a, obj))
