"""In a real browser (Debian's Chromium through Playwright): search a commune from the home page,
reach its page; live search; and axe-core finds no serious or critical accessibility violation."""

import re

import pytest

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


def normalise(text: str) -> str:
    return re.sub(r"[\s\u202f\u00a0]+", " ", text).strip()


def thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def test_search_a_commune_from_the_home_page_and_reach_its_page(page, reference):
    montbard = reference["montbard"]
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("search").filter(has=page.locator("#home-search-input")).get_by_label(
        "Rechercher une commune"
    ).fill("MONTBARD")
    page.locator("#home-search-input").press("Enter")
    page.wait_for_url(re.compile(r"/territoires/recherche/\?q=MONTBARD"))
    results = page.locator("#resultats-table")
    first_link = results.locator("tbody tr").first.get_by_role("link")
    assert first_link.inner_text() == montbard["nom"]

    first_link.click()
    page.wait_for_url(f"**/territoires/communes/{montbard['code']}/")
    assert page.get_by_role("heading", level=1).inner_text() == montbard["nom"]
    assert (
        normalise(page.locator("#population").inner_text())
        == f"{thousands(montbard['population'])} habitants"
    )
    assert "Sous le plafond du programme" in page.locator("#plafond").text_content()
    assert montbard["epci"] in page.locator("#fiche-commune").inner_text()
    # The breadcrumb leads back to the département.
    assert page.locator("nav.fr-breadcrumb").get_by_role("link", name=montbard["departement"]).count() == 1


def test_live_search_updates_the_results_while_typing(page):
    page.goto("/territoires/recherche/")
    page.locator("#recherche-q").press_sequentially("st etienne", delay=20)
    first = page.locator("#resultats-table tbody tr").first.get_by_role("link")
    first.wait_for()
    assert first.inner_text() == "Saint-Étienne"
    page.wait_for_url(re.compile(r"q=st\+etienne|q=st%20etienne"))
    page.locator("#recherche-q").fill("")
    page.locator("#recherche-q").press_sequentially("xyzzyq", delay=20)
    page.locator("#resultats-vide").wait_for()
    assert "Aucune commune ne correspond" in page.locator("#resultats-statut").text_content()


def test_live_search_results_pass_axe(page, axe):
    page.goto("/territoires/recherche/")
    page.locator("#recherche-q").press_sequentially("chateau chinon", delay=20)
    page.locator("#resultats-table").wait_for()
    blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, [(v["id"], v["help"]) for v in blocking]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/territoires/recherche/?q=montbard",
        "/territoires/recherche/?q=xyzzyq",
        "/territoires/communes/21425/",
        "/territoires/departements/21/?page=2",
        "/territoires/epci/242101491/",
        "/territoires/regions/27/",
        "/territoires/",
        "/programmes/pvd/",
        "/programmes/laureats/",
        "/projets/",
        "/projets/agregats/",
        "/ingenierie/postes/",
        "/ingenierie/simulateur/",
        "/comptes/connexion/",
    ],
)
def test_no_serious_or_critical_accessibility_violation(page, axe, path):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    results = axe.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in blocking
    )
    assert not blocking, f"axe-core on {path}:\n{details}"
