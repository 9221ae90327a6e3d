"""Incremental analysis: dominance (strong and extended, several at once), ICERs, net benefit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import cea


def test_several_extendedly_dominated_options():
    # A(0,0) B(10,1) C(20,1.5) D(30,4) E(50,4.5): A->B 10, B->C 20, C->D 4 => C then B are ED.
    t = cea.frontier(list("ABCDE"), [0, 10, 20, 30, 50], [0, 1, 1.5, 4, 4.5]).set_index("strategy")
    assert list(t["status"]) == [cea.ND, cea.ED, cea.ED, cea.ND, cea.ND]
    assert t.loc["D", "icer"] == pytest.approx(7.5) and t.loc["D", "compared_with"] == "A"
    assert t.loc["E", "icer"] == pytest.approx(40.0) and t.loc["E", "compared_with"] == "D"


def test_strong_dominance_and_ties():
    t = cea.frontier(["A", "B", "C", "D"], [0, 10, 12, 10], [0, 2, 1, 2]).set_index("strategy")
    assert t.loc["C", "status"] == cea.D            # costs more than B, less health
    assert t.loc["D", "status"] == cea.D            # identical to B: the first is kept
    assert t.loc["B", "icer"] == pytest.approx(5.0)


def test_cheaper_and_better_dominates_the_reference():
    t = cea.frontier(["old", "new"], [10, 5], [0, 1]).set_index("strategy")
    assert t.loc["old", "status"] == cea.D
    assert np.isnan(t.loc["new", "icer"])


def test_frontier_icers_increase():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = 6
        t = cea.frontier([str(i) for i in range(n)], rng.uniform(0, 100, n), rng.uniform(0, 10, n))
        icers = t.loc[t["status"] == cea.ND, "icer"].dropna().to_numpy()
        assert np.all(np.diff(icers) >= -1e-9)
        assert np.all(icers > 0)


def test_frontier_matches_the_nmb_optimum_at_every_threshold():
    rng = np.random.default_rng(4)
    for _ in range(100):
        cost, eff = rng.uniform(0, 100, 5), rng.uniform(0, 10, 5)
        t = cea.frontier(list("abcde"), cost, eff)
        nd = t[t["status"] == cea.ND].reset_index(drop=True)
        for lam in (0.5, 3.0, 10.0, 50.0):
            best = "abcde"[cea.best_at(cost, eff, lam)]
            # the optimum is the last frontier strategy whose ICER is <= lambda
            ok = nd[(nd["icer"].isna()) | (nd["icer"] <= lam)]
            assert best == ok["strategy"].iloc[-1]


def test_net_benefit_broadcasts_over_samples():
    cost = np.array([[0.0, 10.0], [0.0, 30.0]])
    eff = np.array([[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(cea.inmb(cost, eff, 20.0), [[0, 10], [0, -10]])
    np.testing.assert_allclose(cea.nmb(cost, eff, np.array([[0.0], [100.0]])), [[0, -10], [0, 70]])


def test_incremental_table_and_cost_per_unit_averted():
    s = pd.DataFrame({"cost": [10.0, 12.0, 15.0], "dalys": [1.0, 0.9, 1.0], "deaths": [0.1, 0.1, 0.05]},
                     index=["sq", "a", "b"])
    t = cea.incremental(s, "sq", averted=("dalys", "deaths"))
    assert t.loc["a", "cost_per_dalys_averted"] == pytest.approx(20.0)
    assert np.isnan(t.loc["a", "cost_per_deaths_averted"])
    assert t.loc["b", "cost_per_deaths_averted"] == pytest.approx(100.0)
    assert t.loc["b", "status"] == cea.D


def test_findings_name_the_focus_strategy_only_when_it_is_not_the_most_often_best():
    from model.report import frontier_lines

    inc = pd.DataFrame({"status": [cea.ND, cea.ND]}, index=["A", "B"])
    acc = pd.DataFrame({"t1": [0.3, 0.7], "t2": [0.6, 0.4]}, index=["A", "B"])
    lines = frontier_lines(inc, {"t1": 100.0, "t2": 200.0}, acc, focus="B")
    assert lines[1] == "At t1 (US$100 per DALY), B is most often cost-effective (70% of PSA draws)."
    assert lines[2] == "At t2 (US$200 per DALY), A is most often cost-effective (60% of PSA draws); B: 40%."
