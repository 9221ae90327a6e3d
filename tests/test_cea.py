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


# ------------------------------------------------------ health outcomes of either direction
def test_frontier_on_dalys_with_less_is_better_is_the_frontier_on_dalys_averted():
    rng = np.random.default_rng(11)
    for _ in range(50):
        cost, dalys = rng.uniform(0, 100, 6), rng.uniform(0, 10, 6)
        names = list("abcdef")
        on_raw = cea.frontier(names, cost, dalys, more_is_better=False, outcome="dalys")
        on_averted = cea.frontier(names, cost, dalys[0] - dalys)
        pd.testing.assert_series_equal(on_raw["status"], on_averted["status"])
        pd.testing.assert_series_equal(on_raw["compared_with"], on_averted["compared_with"])
        np.testing.assert_allclose(on_raw["icer"], on_averted["icer"], rtol=1e-12)
        np.testing.assert_array_equal(on_raw["effect"], dalys[[names.index(s) for s in on_raw["strategy"]]])
        assert on_raw.attrs == {"outcome": "dalys", "more_is_better": False}


def test_net_benefit_by_hand_in_both_directions():
    cost = np.array([0.0, 10.0])
    np.testing.assert_allclose(cea.nmb(cost, np.array([1.0, 1.5]), 100.0), [100, 140])  # QALYs
    np.testing.assert_allclose(cea.nmb(cost, np.array([1.0, 0.5]), 100.0, more_is_better=False), [-100, -60])
    np.testing.assert_allclose(cea.inmb(cost, np.array([1.0, 0.5]), 100.0, more_is_better=False), [0, 40])
    assert cea.best_at(cost, np.array([1.0, 0.5]), 100.0, more_is_better=False) == 1
    assert cea.best_at(cost, np.array([1.0, 0.5]), 100.0) == 0  # as gains, 0.5 is worse


def test_incremental_in_both_directions():
    s = pd.DataFrame({"cost": [10.0, 12.0, 15.0], "qalys": [5.0, 5.1, 5.0], "life_years": [8.0, 8.2, 8.1]},
                     index=["sq", "a", "b"])
    t = cea.incremental(s, "sq", outcome="qalys", more_is_better=True, gained=("qalys", "life_years"))
    assert t.loc["a", "qalys_gained"] == pytest.approx(0.1)
    assert t.loc["a", "cost_per_qalys_gained"] == pytest.approx(20.0)
    assert t.loc["a", "cost_per_life_years_gained"] == pytest.approx(10.0)
    assert t.loc["a", "icer_frontier"] == pytest.approx(20.0) and t.loc["b", "status"] == cea.D
    dalys = s.assign(dalys=-s["qalys"]).drop(columns="qalys")  # the same health as a loss
    d = cea.incremental(dalys, "sq")
    pd.testing.assert_series_equal(d["status"], t["status"])
    np.testing.assert_allclose(d["icer_frontier"], t["icer_frontier"], rtol=1e-12)


def test_psa_tables_in_both_directions():
    rng = np.random.default_rng(2)
    cost, qalys = rng.gamma(2, 50, (500, 3)), rng.gamma(5, 0.2, (500, 3))
    lam = {"low": 50.0, "high": 500.0}
    s_q, a_q = cea.psa_tables(["x", "y", "z"], cost, qalys, lam, outcome="qalys", more_is_better=True)
    s_d, a_d = cea.psa_tables(["x", "y", "z"], cost, -qalys, lam)
    pd.testing.assert_frame_equal(a_q, a_d)
    np.testing.assert_allclose(s_q["qalys_gained_mean"], s_d["dalys_averted_mean"], rtol=1e-12)
    best = np.argmax(500.0 * qalys - cost, axis=1)
    assert a_q.loc["y", "high"] == pytest.approx(np.mean(best == 1))


# ------------------------------------------------------ names are checked
def test_incremental_names_an_unknown_reference_or_column():
    s = pd.DataFrame({"cost": [10.0, 12.0], "dalys": [1.0, 0.9]}, index=["sq", "a"])
    with pytest.raises(KeyError, match=r"reference strategy 'SQ' is unknown; known: 'a', 'sq' \(did you mean 'sq'\?\)"):
        cea.incremental(s, "SQ")
    with pytest.raises(KeyError, match=r"summary column 'deaths' is unknown; known: 'cost', 'dalys'"):
        cea.incremental(s, "sq", averted=("dalys", "deaths"))
    with pytest.raises(ValueError, match=r"summary column 'qalys' is unknown"):
        cea.incremental(s, "sq", outcome="qalys", more_is_better=True)
    with pytest.raises(KeyError, match=r"summary column 'costs' is unknown.*did you mean 'cost'"):
        cea.incremental(s, "sq", cost="costs")


def test_psa_tables_refuses_strategy_names_that_do_not_match_the_columns():
    # was silent: three names for four columns dropped the fourth strategy from both tables
    with pytest.raises(ValueError, match="3 strategies for cost and effect arrays with 4 and 4 columns"):
        cea.psa_tables(["a", "b", "c"], np.ones((5, 4)), np.ones((5, 4)), {"t": 1.0})
