"""Demo accounts: one person per role, on real territories (idempotent)."""

from __future__ import annotations

import os

from .models import Habilitation, Organisation, Role, User

ORGANISATIONS = [
    ("Banque des Territoires", "BDT"),
    ("Agence nationale de l'habitat", "Anah"),
    ("Cerema", "Cerema"),
    ("Agence de la transition écologique", "Ademe"),
]

# (e-mail, first name, last name, role, scope)
PEOPLE = [
    ("referent.bfc@pvd.localhost", "Régine", "Référente", Role.REFERENT_REGIONAL, {"region_id": "27"}),
    ("delegue.21@pvd.localhost", "Denis", "Délégué", Role.DELEGUE_TERRITORIAL, {"departement_id": "21"}),
    ("cdp.montbard@pvd.localhost", "Claire", "Cheffe de projet", Role.COLLECTIVITE, {"commune_id": "21425"}),
    ("partenaire.bdt@pvd.localhost", "Paul", "Partenaire", Role.PARTENAIRE, {"organisation": "BDT"}),
]


def load_demo(stdout) -> None:
    password = os.environ.get("PVD_DEMO_PASSWORD", "demo-pvd-2026!")
    orgs = {}
    for nom, sigle in ORGANISATIONS:
        orgs[sigle], _ = Organisation.objects.get_or_create(nom=nom, defaults={"sigle": sigle})
    created = 0
    for email, first, last, role, scope in PEOPLE:
        user, is_new = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last}
        )
        if is_new:
            user.set_password(password)
            user.save()
            created += 1
        if "organisation" in scope:
            scope = {"organisation": orgs[scope["organisation"]]}
        if not Habilitation.objects.active().filter(user=user, role=role, **scope).exists():
            Habilitation.grant(user, role, **scope)
    stdout.write(f"Comptes de démonstration : {created} créé(s), {len(PEOPLE)} au total (un par rôle).")
