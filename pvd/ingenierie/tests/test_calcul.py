"""The co-financing rules: worked examples with the real PVD figures and properties (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvd.ingenierie.services.cofinancement import (
    PVD,
    ErreurCalcul,
    calculer,
    jours_dans_annee,
    jours_pourvus,
    repartir,
)

D = Decimal


def codes(resultat):
    return {lim.code for lim in resultat.limites}


# ------------------------------------------------------------------ worked examples
def test_poste_60000_sans_anah_obtient_45000():
    r = calculer(D("60000"), annee=2026)
    assert r.total == D("45000.00")  # 75 % = 45,000 = the cap
    assert r.bdt == D("15000.00")  # 25 % = 15,000 = its cap
    assert r.etat == D("30000.00")
    assert r.anah == 0


def test_poste_80000_avec_opah_ru_obtient_55000_dont_40000_anah():
    r = calculer(D("80000"), annee=2026, avec_anah=True)
    assert r.total == D("55000.00")  # 75 % = 60,000 > cap 55,000
    assert r.anah == D("40000.00")  # 50 % = 40,000 = cap
    assert r.bdt == D("15000.00")  # 25 % = 20,000 capped at 15,000, within the remaining 15,000
    assert r.etat == D("0.00")
    assert {"plafond_total_anah", "plafond_bdt"} <= codes(r)


def test_poste_80000_sans_anah_plafonne_a_45000():
    r = calculer(D("80000"), annee=2026)
    assert r.total == D("45000.00")
    assert r.bdt == D("15000.00")
    assert r.etat == D("30000.00")
    assert "plafond_total" in codes(r) and "plafond_bdt" in codes(r)
    assert "taux_total" not in codes(r)


def test_poste_40000_limite_par_les_taux():
    r = calculer(D("40000"), annee=2026)
    assert r.total == D("30000.00")  # 75 %
    assert r.bdt == D("10000.00")  # 25 %, under the 15,000 cap
    assert r.etat == D("20000.00")
    assert codes(r) == {"taux_total", "taux_bdt"}


def test_banque_des_territoires_plafond_15000():
    # 25 % of 70,000 = 17,500 → capped at 15,000
    r = calculer(D("70000"), annee=2026)
    assert r.bdt == D("15000.00")
    assert "plafond_bdt" in codes(r)
    # exactly at the cap: 60,000 × 25 % = 15,000 — both limits equal, nothing larger: no limit "bit"
    r = calculer(D("60000"), annee=2026)
    assert r.bdt == D("15000.00")


def test_sans_banque_des_territoires_l_etat_paie_le_reste():
    r = calculer(D("60000"), annee=2026, avec_bdt=False)
    assert (r.total, r.bdt, r.etat) == (D("45000.00"), D("0.00"), D("45000.00"))


def test_anah_sur_petit_poste_50_pourcent():
    # 50,000 with Anah: total 75 % = 37,500 (< 55,000); Anah 50 % = 25,000; BdT 25 % = 12,500 → rest 0
    r = calculer(D("50000"), annee=2026, avec_anah=True)
    assert (r.total, r.anah, r.bdt, r.etat) == (D("37500.00"), D("25000.00"), D("12500.00"), D("0.00"))


def test_prorata_poste_pourvu_une_partie_de_l_annee():
    # 60,000 post filled from 1 July 2026 to 31 December 2026: 184 days of 365
    jours = jours_pourvus(2026, dt.date(2026, 7, 1), None)
    assert jours == 184
    r = calculer(D("60000"), annee=2026, jours=jours)
    # 45,000 × 184/365 = 22,684.93150… → 22,684.93 ; BdT 15,000 × 184/365 = 7,561.643… → 7,561.64
    assert r.total == D("22684.93")
    assert r.bdt == D("7561.64")
    assert r.etat == D("15123.29")


def test_prorata_annee_bissextile():
    assert jours_dans_annee(2028) == 366
    r = calculer(D("60000"), annee=2028, jours=183)
    assert r.total == D("22500.00")  # exactly half of 45,000


def test_poste_partage_repartition_exacte():
    # a post shared by three territories, 1/3 each (0.3333, 0.3333, 0.3334)
    parts = [(1, D("0.3333")), (2, D("0.3333")), (3, D("0.3334"))]
    r = calculer(D("60000"), annee=2026, parts=parts)
    assert r.total == D("45000.00")
    totals = {k: r.total_part(k) for k in (1, 2, 3)}
    assert sum(totals.values()) == D("45000.00")
    assert totals == {1: D("14998.50"), 2: D("14998.50"), 3: D("15003.00")}
    for contributeur, montant in r.par_contributeur().items():
        assert sum(r.parts[k][contributeur] for k in (1, 2, 3)) == montant


def test_poste_partage_moitie_moitie_a_mi_temps_annee():
    parts = [(10, D("0.5")), (20, D("0.5"))]
    r = calculer(D("80000"), annee=2026, jours=73, avec_anah=True, parts=parts)
    # 55,000 × 73/365 = 11,000 ; Anah 40,000 × 73/365 = 8,000 ; BdT 15,000 × 73/365 = 3,000 ; État 0
    assert (r.total, r.anah, r.bdt, r.etat) == (D("11000.00"), D("8000.00"), D("3000.00"), D("0.00"))
    assert r.parts[10] == {"etat": D("0.00"), "anah": D("4000.00"), "bdt": D("1500.00")}


def test_repartir_reste_deterministe():
    # 0.01 € split in halves: the cent goes to the first share (ties broken by order)
    assert repartir(D("0.01"), [("a", D("0.5")), ("b", D("0.5"))]) == {"a": D("0.01"), "b": D("0.00")}
    assert repartir(D("100.00"), [("a", D("0.3333")), ("b", D("0.3333")), ("c", D("0.3334"))]) == {
        "a": D("33.33"),
        "b": D("33.33"),
        "c": D("33.34"),
    }


@pytest.mark.parametrize(
    "parts,message",
    [
        ([(1, D("0.5")), (2, D("0.4"))], "totaliser 1"),
        ([(1, D("1.2"))], "comprise entre 0"),
        ([(1, D("0.5")), (1, D("0.5"))], "deux fois"),
    ],
)
def test_parts_invalides_refusees(parts, message):
    with pytest.raises(ErreurCalcul, match=message):
        calculer(D("50000"), annee=2026, parts=parts)


def test_entrees_invalides_refusees():
    with pytest.raises(ErreurCalcul, match="négatif"):
        calculer(D("-1"), annee=2026)
    with pytest.raises(ErreurCalcul, match="jours"):
        calculer(D("1000"), annee=2026, jours=366)


# ------------------------------------------------------------------ properties
annees = st.integers(min_value=2020, max_value=2032)
couts = st.decimals(min_value=0, max_value=500_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def parts_strategy(draw):
    n = draw(st.integers(min_value=0, max_value=5))
    if n == 0:
        return []
    # n positive shares in 1/10000 that sum to 10000
    cuts = sorted(draw(st.lists(st.integers(1, 9999), min_size=n - 1, max_size=n - 1, unique=True)))
    bounds = [0, *cuts, 10000]
    return [(i, D(bounds[i + 1] - bounds[i]) / D(10000)) for i in range(n)]


@settings(max_examples=400, deadline=None)
@given(
    cout=couts,
    annee=annees,
    data=st.data(),
    avec_anah=st.booleans(),
    avec_bdt=st.booleans(),
    parts=parts_strategy(),
)
def test_aucune_aide_ne_depasse_un_taux_ou_un_plafond(cout, annee, data, avec_anah, avec_bdt, parts):
    nb = jours_dans_annee(annee)
    jours = data.draw(st.integers(min_value=0, max_value=nb))
    r = calculer(cout, annee=annee, jours=jours, avec_anah=avec_anah, avec_bdt=avec_bdt, parts=parts)
    p = Fraction(jours, nb)
    c = Fraction(cout) * p
    exact = lambda d: Fraction(d)  # noqa: E731
    # every amount is non-negative and in cents
    for montant in (r.etat, r.anah, r.bdt):
        assert montant >= 0
        assert montant == montant.quantize(D("0.01"))
    # total: ≤ 75 % of the cost and ≤ the annual cap (55,000 with the Anah), pro rata
    plafond = PVD.plafond_total_anah if avec_anah else PVD.plafond_total
    assert exact(r.total) <= exact(PVD.taux_total) * c
    assert exact(r.total) <= exact(plafond) * p
    # Anah: ≤ 50 % and ≤ 40,000, only when it contributes
    assert exact(r.anah) <= exact(PVD.taux_anah) * c
    assert exact(r.anah) <= exact(PVD.plafond_anah) * p
    if not avec_anah:
        assert r.anah == 0
    # Banque des Territoires: ≤ 25 % and ≤ 15,000
    assert exact(r.bdt) <= exact(PVD.taux_bdt) * c
    assert exact(r.bdt) <= exact(PVD.plafond_bdt) * p
    if not avec_bdt:
        assert r.bdt == 0
    # the total reaches the lower of the rate and the cap (to the cent): nothing is lost
    assert exact(r.total) > min(exact(PVD.taux_total) * c, exact(plafond) * p) - Fraction(1, 100)
    # shares: each territory's parts sum exactly to the aid, contributor by contributor
    if parts:
        assert sum((r.total_part(k) for k, _ in parts), D(0)) == r.total
        for contributeur, montant in r.par_contributeur().items():
            assert sum((r.parts[k][contributeur] for k, _ in parts), D(0)) == montant
            for k, share in parts:  # each part within a cent of its exact share
                assert abs(exact(r.parts[k][contributeur]) - exact(montant) * exact(share)) < Fraction(1, 100)


@st.composite
def periodes(draw, annee):
    """A contract period around ``annee`` (may start before, end after, or miss the year)."""
    debut = draw(st.one_of(st.none(), st.dates(dt.date(annee - 2, 1, 1), dt.date(annee + 1, 12, 31))))
    fin = draw(st.one_of(st.none(), st.dates(debut or dt.date(annee - 2, 1, 1), dt.date(annee + 2, 12, 31))))
    return debut, fin


@st.composite
def parametres_strategy(draw):
    """Any programme's rules (rates ≤ 1 to 4 decimals, caps to the cent)."""
    from pvd.ingenierie.services.cofinancement import Parametres

    taux = st.integers(0, 10000).map(lambda n: D(n) / D(10000))
    plafond = st.integers(0, 10_000_000).map(lambda n: D(n) / D(100))
    return Parametres(
        taux_total=draw(taux),
        plafond_total=draw(plafond),
        plafond_total_anah=draw(plafond),
        taux_anah=draw(taux),
        plafond_anah=draw(plafond),
        taux_bdt=draw(taux),
        plafond_bdt=draw(plafond),
    )


@settings(max_examples=300, deadline=None)
@given(
    cout=couts,
    annee=annees,
    data=st.data(),
    avec_anah=st.booleans(),
    avec_bdt=st.booleans(),
    parts=parts_strategy(),
    p=parametres_strategy(),
)
def test_toutes_regles_respectees_pour_toute_periode_et_tout_programme(
    cout, annee, data, avec_anah, avec_bdt, parts, p
):
    debut, fin = data.draw(periodes(annee))
    jours = jours_pourvus(annee, debut, fin)
    r = calculer(
        cout, annee=annee, jours=jours, avec_anah=avec_anah, avec_bdt=avec_bdt, parts=parts, parametres=p
    )
    prorata = Fraction(jours, jours_dans_annee(annee))
    c = Fraction(cout) * prorata
    F = Fraction
    plafond = p.plafond_total_anah if avec_anah else p.plafond_total
    assert min(r.etat, r.anah, r.bdt) >= 0
    assert F(r.total) <= F(p.taux_total) * c and F(r.total) <= F(plafond) * prorata
    assert F(r.anah) <= F(p.taux_anah) * c and F(r.anah) <= F(p.plafond_anah) * prorata
    assert F(r.bdt) <= F(p.taux_bdt) * c and F(r.bdt) <= F(p.plafond_bdt) * prorata
    assert (avec_anah or r.anah == 0) and (avec_bdt or r.bdt == 0)
    if jours == 0:
        assert r.total == 0
    if parts:
        assert sum((r.total_part(k) for k, _ in parts), D(0)) == r.total
    # every limit reported did bind: its amount is what it limited to (never above the rule)
    for lim in r.limites:
        assert lim.montant >= 0
