"""The number of SQL queries of the list, project, aggregate and API pages does not grow with the data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pvd.comptes.models import Role
from pvd.programmes.factories import make_laureat
from pvd.projets.models import Commentaire
from pvd.projets.services.fiches import changer_statut

from .conftest import make_fiche, make_projet, make_user

# Communes of Côte-d'Or (21) and Bourgogne-Franche-Comté, real referential.
COMMUNES = ["21425", "21054", "21603", "21278", "21399", "21315", "21166"]


def _grow(projets, per_projet: int):
    for p, projet in enumerate(projets):
        for i in range(per_projet):
            fiche = make_fiche(
                projet,
                titre=f"Action {p}-{i}",
                themes=("commerce", "habitat") if i % 2 else ("mobilite",),
                financements=[
                    ("etat", "1000", "accorde"),
                    ("region", "500", "prevu"),
                    ("autofinancement", "300", "prevu"),
                ],
            )
            changer_statut(fiche, "en_etude")
            Commentaire.objects.create(fiche=fiche, texte="RAS")


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["admin", "delegue"])
def test_queries_do_not_grow_with_data(client, montbard, admin_user, role):
    user = (
        admin_user
        if role == "admin"
        else make_user("ddt@21.fr", Role.DELEGUE_TERRITORIAL, departement_id="21")
    )
    client.force_login(user)
    projets = [montbard] + [make_projet(make_laureat(code)) for code in COMMUNES[1:3]]
    _grow(projets, 2)
    urls = [
        "/projets/",
        "/projets/?statut=en_etude&theme=1&en_retard=false",
        "/projets/?region=27&page=1",
        "/projets/agregats/",
        "/projets/agregats/region/27/",
        "/projets/agregats/departement/21/",
        f"/projets/agregats/laureat/{montbard.laureat_id}/",
        f"/projets/laureat/{montbard.laureat_id}/",
        f"/projets/laureat/{montbard.laureat_id}/activite/",
        "/api/v1/projets/fiches",
        "/api/v1/projets/financements",
        "/api/v1/projets/agregats",
    ]
    small = {url: _count(client, url) for url in urls}
    projets += [make_projet(make_laureat(code)) for code in COMMUNES[3:]]
    _grow(projets, 4)  # 3 → 7 projects, 6 → 34 actions, ×5 financing lines
    large = {url: _count(client, url) for url in urls}
    assert large == small
