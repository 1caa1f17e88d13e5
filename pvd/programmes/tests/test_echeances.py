"""Deadline rules: month arithmetic (property-based) and milestone states."""

import calendar
import datetime as dt
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pvd.programmes.services.echeances import (
    SOON_DAYS,
    Etat,
    add_months,
    due_date,
    etat_echeance,
    statut_from,
)

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
months = st.integers(min_value=-600, max_value=600)


def last_day(d: dt.date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


@given(dates, months)
def test_add_months_lands_in_the_right_month(d, n):
    r = add_months(d, n)
    assert (r.year * 12 + r.month) - (d.year * 12 + d.month) == n


@given(dates, months)
def test_add_months_keeps_the_day_or_clamps_to_the_end_of_month(d, n):
    r = add_months(d, n)
    assert r.day == min(d.day, last_day(r))
    if d.day <= 28:
        assert r.day == d.day


@given(dates, dates, st.integers(min_value=0, max_value=600))
def test_add_months_is_monotonic(a, b, n):
    lo, hi = min(a, b), max(a, b)
    assert add_months(lo, n) <= add_months(hi, n)


@given(dates, st.integers(min_value=0, max_value=600))
def test_going_back_never_passes_the_start(d, n):
    assert add_months(add_months(d, n), -n) <= d
    assert add_months(d, n) >= d


@given(dates, st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=300))
def test_composition_never_goes_past_the_direct_sum(d, m, n):
    assert add_months(add_months(d, m), n) <= add_months(d, m + n)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (dt.date(2021, 8, 31), 18, dt.date(2023, 2, 28)),
        (dt.date(2022, 8, 31), 18, dt.date(2024, 2, 29)),  # leap year
        (dt.date(2021, 3, 15), 18, dt.date(2022, 9, 15)),
        (dt.date(2020, 12, 31), 2, dt.date(2021, 2, 28)),
        (dt.date(2021, 1, 31), -1, dt.date(2020, 12, 31)),
    ],
)
def test_add_months_examples(start, n, expected):
    assert add_months(start, n) == expected


def _type(pk, reference_id=None, delai=None, limite=None):
    return SimpleNamespace(id=pk, reference_id=reference_id, delai_mois=delai, date_limite=limite)


@given(dates.filter(lambda d: d.year < 2190), st.integers(min_value=0, max_value=120))
def test_due_date_follows_the_reference_milestone(done, delai):
    ort = _type(2, reference_id=1, delai=delai)
    assert due_date(ort, {1: done}) == add_months(done, delai)
    assert due_date(ort, {1: None}) is None  # the clock starts with the reference milestone
    assert due_date(ort, {}) is None


def test_due_date_fixed_limit_or_none():
    assert due_date(_type(3, limite=dt.date(2026, 12, 31)), {}) == dt.date(2026, 12, 31)
    assert due_date(_type(4), {}) is None


@given(st.one_of(st.none(), dates), st.one_of(st.none(), dates), dates)  # due, done, today
def test_exactly_one_state_and_consistent(due, done, today):
    etat = etat_echeance(due, done, today)
    if done is not None:
        assert etat is Etat.REALISE
    elif due is None:
        assert etat is Etat.SANS_ECHEANCE
    elif due < today:
        assert etat is Etat.EN_RETARD
    elif (due - today).days <= SOON_DAYS:
        assert etat is Etat.PROCHE
    else:
        assert etat is Etat.A_VENIR


def test_state_boundaries():
    today = dt.date(2026, 11, 27)
    assert etat_echeance(today, None, today) is Etat.PROCHE  # due today: not yet late
    assert etat_echeance(today - dt.timedelta(days=1), None, today) is Etat.EN_RETARD
    assert etat_echeance(today + dt.timedelta(days=SOON_DAYS), None, today) is Etat.PROCHE
    assert etat_echeance(today + dt.timedelta(days=SOON_DAYS + 1), None, today) is Etat.A_VENIR


def test_statut_follows_the_furthest_milestone_and_keeps_sorti():
    assert statut_from("laureat", []) == "laureat"
    assert statut_from("laureat", ["adhesion"]) == "adhesion"
    assert statut_from("adhesion", ["adhesion", "ort"]) == "ort"
    assert statut_from("ort", ["adhesion"]) == "adhesion"  # an undone ORT steps back
    assert statut_from("sorti", ["adhesion", "ort"]) == "sorti"
