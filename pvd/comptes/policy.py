"""The one access policy (DESIGN §3).

Every page, API endpoint and export asks this module, never filters by hand:

- ``visible_to(user, Model_or_queryset, action="view")``: the records ``user`` may act on;
- ``can(user, action, obj)``: may ``user`` do ``action`` on ``obj`` (an instance), or, for
  ``action="create"``, create a ``Model`` under ``parent`` (``can(user, "create", FicheAction,
  parent=projet)``);
- ``require(...)``: same as ``can`` but raises ``PermissionDenied``.

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

from .models import Habilitation, Role

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


@dataclass(frozen=True)
class Rule:
    model: type[models.Model]
    scope: Scope
    rights: dict[str, frozenset[str]]
    public: frozenset[str] = frozenset()
    public_filter: Q = field(default_factory=Q)


_RULES: dict[type[models.Model], Rule] = {}


def register(
    model: type[models.Model],
    *,
    scope: Scope,
    rights: dict[str, Iterable[str]],
    public: Iterable[str] = (),
    public_filter: Q | None = None,
) -> Rule:
    """Declare how ``model`` is scoped and what each role may do on it within its scope."""
    unknown = {a for acts in rights.values() for a in acts} | set(public)
    if not unknown <= ALL:
        raise ValueError(f"Unknown actions for {model.__name__}: {sorted(unknown - ALL)}")
    rule = Rule(
        model=model,
        scope=scope,
        rights={Role(role).value: frozenset(acts) for role, acts in rights.items()},
        public=frozenset(public),
        public_filter=public_filter if public_filter is not None else Q(),
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
    pairs: list[tuple[str | None, object]] = []
    if hab.role == Role.REFERENT_REGIONAL:
        pairs = [(s.region, hab.region_id)]
    elif hab.role == Role.DELEGUE_TERRITORIAL:
        pairs = [(s.departement, hab.departement_id)]
    elif hab.role == Role.COLLECTIVITE:
        pairs = [(s.laureat, hab.laureat_id), (s.commune, hab.commune_id), (s.epci, hab.epci_id)]
    elif hab.role == Role.PARTENAIRE:
        pairs = [(s.organisation, hab.organisation_id)]
    q = _NOTHING
    for path, value in pairs:
        if path and value is not None:
            q = Q(**{path: value}) if q is _NOTHING else q | Q(**{path: value})
    return q


def _allowed_q(user, rule: Rule, action: str) -> Q | None:
    """A Q of what ``user`` may do ``action`` on; None means everything."""
    if is_admin(user) and action in rule.rights.get(Role.ADMIN_NATIONAL.value, ALL):
        return None
    q = _NOTHING
    if action in rule.public:
        if not rule.public_filter:  # public without restriction: everything (Q() | X would be only X)
            return None
        q = rule.public_filter
    for hab in habilitations_of(user):
        if action in rule.rights.get(hab.role, frozenset()):
            hq = _scope_q(rule, hab)
            if hq is not _NOTHING:
                q = hq if q is _NOTHING else q | hq
    return q


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
            if is_admin(user):
                return action in rule.rights.get(Role.ADMIN_NATIONAL.value, ALL)
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


def require(user, action: str, obj, parent: models.Model | None = None) -> None:
    if not can(user, action, obj, parent=parent):
        raise PermissionDenied("Vous n'avez pas les droits nécessaires pour cette action.")
