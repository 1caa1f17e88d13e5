import io

import pytest

from pvd.programmes.demo import load_demo
from pvd.programmes.models import Jalon, Laureat
from pvd.territoires.models import Commune

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_realistic_and_flagged(client):
    out = io.StringIO()
    load_demo(out)
    laureats = Laureat.objects.filter(identifiant__startswith="demo-")
    n = laureats.count()
    assert 150 <= n <= 300, n
    assert not laureats.filter(demo=False).exists()
    # Centralities: under the ceiling, the most populous such commune of their EPCI in the département.
    for lau in laureats.prefetch_related("liens_communes__commune")[:40]:
        commune = lau.commune_principale
        assert commune.population < 20_000
        rivals = Commune.objects.current().filter(
            epci_id=commune.epci_id, departement_id=commune.departement_id, population__lt=20_000
        )
        assert not rivals.filter(population__gt=commune.population).exists()
    states = {j.etat.code for j in Jalon.objects.filter(laureat__demo=True)}
    assert {"realise", "en_retard"} <= states
    before = (n, Jalon.objects.count(), Laureat.history.count(), Jalon.history.count())
    load_demo(out)
    assert (laureats.count(), Jalon.objects.count(), Laureat.history.count(), Jalon.history.count()) == before
    assert "0 créés" in out.getvalue().splitlines()[-1]
    html = client.get(laureats.first().get_absolute_url()).content.decode()
    assert ">Démo<" in html
