"""The permission matrix: every registered model × role × scope relation × action.

For each model registered with the policy (``registered_models()`` — later apps are covered
as soon as they register) and each role (plus anonymous visitors and record owners), an actor
holding exactly one habilitation is placed **inside** or **outside** the record's scope
(computed here independently of the policy: the record's values along the rule's ORM path vs.
the habilitation's scope). The expected answer comes from the policy *table* only (the rights
of the role, the public actions, the owner rights). It is then checked through:

- ``can(user, action, obj)`` and ``visible_to(user, Model, action)``;
- the pages and API endpoints declared in each app's ``matrix.py`` (see ``pvd.comptes.matrix``),
  the record history page (``core:history``, action view) and ``get_absolute_url`` (view).

Any difference fails the test with a table of the mismatches.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from pvd.comptes.models import ROLE_SCOPE_FIELDS, ApiToken, Habilitation, Organisation, Role, User
from pvd.comptes.policy import can, registered_models, rule_for, visible_to
from pvd.programmes.factories import make_laureat, programme_pvd

ACTIONS = ("view", "edit", "delete", "export")
LOGIN_PATH = "/comptes/connexion/"


def _endpoints() -> dict:
    table: dict = {}
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.matrix")
        except ModuleNotFoundError:
            continue
        for model, action, channel, method, build in getattr(module, "ENDPOINTS", []):
            table.setdefault((model, action), []).append((channel, method, build))
    return table


ENDPOINTS = _endpoints()


@pytest.fixture(scope="module")
def _matrix_world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at its end (each test runs in a
    savepoint inside it): the demo data of every app is costly to load for each of the models."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_matrix_world, db):
    return User.objects.get(pk=_matrix_world.pk)


def _build_world() -> User:
    """Records of every current model, in two distinct regions/départements/organisations."""
    programme_pvd()
    make_laureat("21425")  # Montbard — Côte-d'Or (21), Bourgogne-Franche-Comté (27)
    make_laureat("35051")  # Cesson-Sévigné — Ille-et-Vilaine (35), Bretagne (53)
    Organisation.objects.create(nom="Banque des Territoires", sigle="BDT")
    Organisation.objects.create(nom="Agence nationale de l'habitat", sigle="Anah")
    owner = User.objects.create_user("titulaire@example.org", first_name="Titulaire")
    Habilitation.grant(owner, Role.DELEGUE_TERRITORIAL, departement_id="35")
    ApiToken.issue(owner, "jeton du titulaire")
    if any(not m._base_manager.exists() for m in registered_models()):
        # later apps' records: the demo set-up (administrator, then every app's demo data)
        call_command("setup_demo", stdout=_Quiet())
    return owner


class _Quiet:
    def write(self, *args, **kwargs):
        pass


@dataclass
class Case:
    actor_label: str
    relation: str
    user: object  # a User or None (anonymous)
    obj: object
    owner_relation: bool = False
    inside: bool = False
    role: str | None = None


def _sample(model, exclude_owner: User | None = None):
    qs = model._base_manager.order_by("pk")
    rule = rule_for(model)
    if rule.owner and exclude_owner is not None:
        qs = qs.exclude(**{rule.owner: exclude_owner.pk})
    return qs.first()


def _values(model, obj, path: str) -> set:
    if path == "pk":
        return {obj.pk}
    return {v for v in model._base_manager.filter(pk=obj.pk).values_list(path, flat=True) if v is not None}


def _actor(label: str, role: str, **scope) -> User:
    n = User.objects.count()
    user = User.objects.create_user(f"acteur{n}@example.org", first_name=label)
    Habilitation.grant(user, role, **scope)
    return User.objects.get(pk=user.pk)


def _cases(model, owner: User) -> list[Case]:
    rule = rule_for(model)
    cases: list[Case] = []
    sample = _sample(model, exclude_owner=None)
    if sample is None:
        pytest.fail(f"No {model.__name__} record to test: give the app a demo loader (DEMO_LOADERS).")
    cases.append(Case("anonyme", "—", None, sample))
    # administrateur national: everything is inside
    admin = _actor("admin", Role.ADMIN_NATIONAL)
    cases.append(Case("admin_national", "tout", admin, sample, inside=True, role=Role.ADMIN_NATIONAL.value))
    for role, fields in ROLE_SCOPE_FIELDS.items():
        if role == Role.ADMIN_NATIONAL.value:
            continue
        for field in fields:
            scope_model = Habilitation._meta.get_field(field).related_model
            path = rule.scope.path_for(field)
            if path is None:
                any_value = scope_model._base_manager.order_by("pk").first()
                if any_value is None:
                    continue
                actor = _actor(f"{role}/{field}", role, **{field: any_value})
                cases.append(Case(role, f"{field}: sans lien", actor, sample, role=role))
                continue
            obj = next(
                (o for o in model._base_manager.order_by("pk") if _values(model, o, path)),
                None,
            )
            if obj is None:
                continue
            values = _values(model, obj, path)
            inside_value = scope_model._base_manager.get(pk=sorted(values, key=str)[0])
            outside_value = scope_model._base_manager.exclude(pk__in=values).order_by("pk").first()
            actor = _actor(f"{role}/{field}", role, **{field: inside_value})
            cases.append(Case(role, f"{field}: dedans", actor, obj, inside=True, role=role))
            if outside_value is not None:
                actor = _actor(f"{role}/{field}", role, **{field: outside_value})
                cases.append(Case(role, f"{field}: dehors", actor, obj, role=role))
    if rule.owner:
        me = User.objects.create_user(f"proprio{User.objects.count()}@example.org", first_name="Proprio")
        mine = _owned_record(model, me)
        if mine is not None:
            cases.append(Case("propriétaire", "le sien", me, mine, owner_relation=True))
        theirs = _sample(model, exclude_owner=me)
        cases.append(Case("propriétaire", "celui d'un autre", me, theirs))
    return cases


def _owned_record(model, user: User):
    """A record of ``model`` owned by ``user`` that confers no right by itself."""
    if model is User:
        return user
    if model is Habilitation:
        hab = Habilitation.grant(user, Role.DELEGUE_TERRITORIAL, departement_id="01")
        hab.revoke()
        return hab
    if model is ApiToken:
        return ApiToken.issue(user, "le mien")[0]
    rule = rule_for(model)
    return model._base_manager.filter(**{rule.owner: user.pk}).first()


def _expected(model, case: Case, action: str) -> bool:
    """The policy table: role rights inside the scope, public actions, owner rights."""
    rule = rule_for(model)
    allowed = False
    if case.role and case.inside:
        allowed = action in rule.allowed_for(case.role)
    if action in rule.public and model._base_manager.filter(rule.public_filter, pk=case.obj.pk).exists():
        allowed = True
    if case.owner_relation and action in rule.owner_rights:
        allowed = True
    return allowed


def _http_allowed(client, user, method: str, url: str) -> bool | str:
    client.logout()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    status = response.status_code
    if status == 200 or (status == 302 and not response["Location"].startswith(LOGIN_PATH)):
        return True
    if status in (401, 403, 404) or (status == 302 and response["Location"].startswith(LOGIN_PATH)):
        return False
    return f"statut inattendu {status}"


def _channels(model, action: str, obj) -> list[tuple[str, str, str]]:
    found = [(channel, method, build(obj)) for channel, method, build in ENDPOINTS.get((model, action), [])]
    if action == "view":
        if hasattr(model, "history") and hasattr(model._meta, "simple_history_manager_attribute"):
            found.append(
                (
                    "ui",
                    "get",
                    reverse("core:history", args=[model._meta.app_label, model._meta.model_name, obj.pk]),
                )
            )
        if hasattr(obj, "get_absolute_url"):
            with contextlib.suppress(NoReverseMatch):  # the page may not exist yet
                found.append(("ui", "get", obj.get_absolute_url()))
    return found


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: f"{m._meta.app_label}.{m.__name__}")
def test_permission_matrix(model, world, client):
    mismatches = []
    checked = 0
    for case in _cases(model, world):
        for action in ACTIONS:
            expected = _expected(model, case, action)
            user = case.user
            actual = {
                "can": can(user, action, case.obj),
                "visible_to": visible_to(user, model, action).filter(pk=case.obj.pk).exists(),
            }
            for channel, method, url in _channels(model, action, case.obj):
                actual[f"{channel} {method.upper()} {url}"] = _http_allowed(client, user, method, url)
            for where, got in actual.items():
                checked += 1
                if got is not expected:
                    mismatches.append(
                        f"{case.actor_label:<20} {case.relation:<28} {action:<7} {where:<55} "
                        f"attendu={'oui' if expected else 'non'} obtenu={got}"
                    )
    assert checked
    assert not mismatches, (
        f"{model.__name__}: {len(mismatches)} écart(s) au tableau des droits\n" + "\n".join(mismatches)
    )


def test_matrix_covers_every_registered_model_and_the_current_record_types():
    names = {m.__name__ for m in registered_models()}
    assert {"Region", "Departement", "Epci", "Commune", "Programme", "Laureat", "Habilitation"} <= names


def test_matrix_would_catch_a_wrong_answer(world, monkeypatch, client):
    """Self-test: a policy that lets a délégué edit outside their département is caught."""
    from pvd.programmes.models import Laureat

    rule = rule_for(Laureat)
    case = next(c for c in _cases(Laureat, world) if c.relation == "departement: dehors")
    assert _expected(Laureat, case, "edit") is False
    monkeypatch.setitem(rule.rights, Role.DELEGUE_TERRITORIAL.value, frozenset({"view", "edit", "export"}))
    assert can(case.user, "edit", case.obj) is False  # the scope still protects
    broken = rule.__class__(
        model=rule.model, scope=rule.scope.__class__(), rights=rule.rights, public=rule.public | {"edit"}
    )
    from pvd.comptes import policy

    monkeypatch.setitem(policy._RULES, Laureat, broken)
    assert can(case.user, "edit", case.obj) is True  # ≠ the table's "non": reported as a mismatch
