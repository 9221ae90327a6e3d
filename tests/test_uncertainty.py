"""Sensitivity analysis and value of information: hand-computed toys and the real models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import antenatal, continuum, gsa
from model import parameters as P
from model import uncertainty as U
from model.distributions import salib_problem


def toy_evaluator(p):
    """Two strategies; the second costs 10 x cost_visit + 100 x p_event and averts rr_effect DALYs."""
    n = np.shape(p["cost_visit"])[0]
    cost = np.column_stack([np.zeros(n), 10 * p["cost_visit"] + 100 * p["p_event"]])
    dalys = np.column_stack([np.ones(n), 1 - p["rr_effect"]])
    return cost, dalys


def test_ceac_columns_sum_to_one_and_ceaf_follows_expected_nmb():
    rng = np.random.default_rng(0)
    cost = rng.gamma(2, 50, size=(4000, 3)) * [1, 1.5, 2]
    dalys = rng.gamma(5, 0.2, size=(4000, 3)) * [1, 0.9, 0.7]
    grid = np.linspace(0, 2000, 21)
    c = U.ceac(cost, dalys, grid, ["a", "b", "c"])
    np.testing.assert_allclose(c.sum(axis=1), 1.0)
    f = U.ceaf(cost, dalys, grid, ["a", "b", "c"])
    for lam in grid:
        nb = (lam * -dalys - cost).mean(axis=0)
        assert f.loc[lam, "optimal"] == "abc"[int(np.argmax(nb))]


def test_ceaf_is_not_the_upper_envelope_of_the_ceac():
    """B beats A in 90% of draws by 1, and loses by 20 in 10%: B is usually best but A has the
    higher expected net benefit, so the frontier picks A with probability 0.1."""
    n = 1000
    cost = np.zeros((n, 2))
    cost[:, 1] = np.where(np.arange(n) < 900, -1.0, 20.0)
    dalys = np.zeros((n, 2))
    c = U.ceac(cost, dalys, [0.0], ["A", "B"])
    f = U.ceaf(cost, dalys, [0.0], ["A", "B"])
    assert c.loc[0.0, "B"] == pytest.approx(0.9)
    assert f.loc[0.0, "optimal"] == "A" and f.loc[0.0, "probability_cost_effective"] == pytest.approx(0.1)


def test_evpi_by_hand():
    # NB_A = 0; NB_B = +10 or -4 with equal chance: E[max] = 5, max E = 3, EVPI = 2
    cost = np.array([[0.0, -10.0], [0.0, 4.0]] * 50)
    dalys = np.zeros_like(cost)
    assert U.evpi(cost, dalys, [0.0]).iloc[0] == pytest.approx(2.0)
    loss = U.expected_loss(cost, dalys, [0.0], ["A", "B"])
    assert loss.loc[0.0, "B"] == pytest.approx(2.0)  # the optimal strategy's loss is the EVPI
    assert U.population_evpi(2.0, 1000, 3, 0.0) == pytest.approx(6000)
    assert U.population_evpi(2.0, 1000, 2, 0.03) == pytest.approx(2000 + 2000 / 1.03)


def _toy_psa(n=6000, seed=1):
    rng = np.random.default_rng(seed)
    params = {"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n), "c": rng.uniform(-1, 1, n)}
    inb = 2 * params["a"] + params["b"] ** 2 - 0.5 + 0.3 * params["c"]
    cost = np.column_stack([np.zeros(n), -inb])
    return params, cost, np.zeros_like(cost)


def test_evppi_bounds_monotonicity_and_total():
    params, cost, dalys = _toy_psa()
    total = U.evpi(cost, dalys, [0.0]).iloc[0]
    sets = {"a": ["a"], "b": ["b"], "c": ["c"], "a+b": ["a", "b"], "all": ["a", "b", "c"]}
    e = U.evppi(params, cost, dalys, [0.0], sets)[0.0]
    assert (e >= -1e-9).all() and (e <= total + 1e-9).all()
    assert e["a+b"] >= max(e["a"], e["b"]) - 1e-3
    assert e["all"] >= e["a+b"] - 1e-3
    assert e["all"] == pytest.approx(total, rel=0.03)
    assert e["a"] > e["c"]


def test_evppi_of_a_fixed_input_is_zero():
    params, cost, dalys = _toy_psa()
    params["k"] = np.full(params["a"].size, 3.0)
    assert U.evppi(params, cost, dalys, [0.0], {"k": ["k"]}).iloc[0, 0] == 0.0


def test_tornado_ranks_the_dominant_parameter_first(tree):
    ps = P.load("BGD", "base", tree)
    t = U.one_way(ps, toy_evaluator, threshold=100.0, comparator=1)
    assert t.index[0] == "cost_visit"  # 10 x (8..12 in 2010 $ -> ~11..17) beats 100 x (0.15..0.35)
    row = t.loc["cost_visit"]
    assert row["inmb_low"] > row["inmb_high"]  # dearer visits lower the net benefit


def test_threshold_search_finds_a_known_root(tree):
    ps = P.load("BGD", "base", tree)
    # INMB at lambda = 1000: 1000 x rr_effect - 10 x cost_visit - 100 x p_event; root in rr_effect
    t = U.threshold_search(ps, toy_evaluator, "rr_effect", comparator=1, threshold=1000.0, low=0.0, high=2.0)
    expected = (10 * ps["cost_visit"].value + 100 * ps["p_event"].value) / 1000
    assert t["root"].iloc[0] == pytest.approx(expected, rel=1e-9)
    none = U.threshold_search(ps, toy_evaluator, "rr_effect", comparator=1, threshold=1.0)
    assert np.isnan(none["root"].iloc[0]) and none["note"].iloc[0].startswith("no threshold in range")


def test_several_bisection_steps_per_call_give_one_step_bisection_to_the_bit(monkeypatch):
    """threshold_search evaluates LEVELS_PER_CALL steps of bisection in one model call; its roots
    are those of one call per step, bit for bit (the roots of the briefs did not move), and it
    needs a sixth of the calls. Also with several brackets, and a step count not a multiple of 6."""
    ps = P.load("BGD", "base")
    ev = U.evaluator(continuum, ps.settings)
    calls = []

    def counted(p):
        calls.append(1)
        return ev(p)

    def roots(levels, iterations=60):
        monkeypatch.setattr(U, "LEVELS_PER_CALL", levels)
        calls.clear()
        strategies = list(continuum.run_set(ps).strategies)
        t = U.threshold_search(ps, counted, "price_mms_180", comparator=strategies.index("MMS + inpatient"),
                               reference=strategies.index("IFA + inpatient"), threshold=None, low=0.3, high=19.7,
                               iterations=iterations)
        assert np.isfinite(t["root"]).all()
        return t["root"].to_numpy().tobytes(), len(calls)

    for iterations in (60, 23, 20):  # 60 as the analyses use; fewer, where the brackets are still wide
        fast, fast_calls = roots(6, iterations)
        slow, slow_calls = roots(1, iterations)
        assert fast == slow and fast_calls == 1 + -(-iterations // 6) and slow_calls == 1 + iterations
    # two brackets at once, bounds that are not binary fractions: sin has roots at pi and 2 pi in [2.1, 7.3]
    def two_roots(p):
        x = np.asarray(p["price_mms_180"], dtype=float)
        return np.zeros((x.size, 2)), np.stack([np.zeros_like(x), -np.sin(x)], axis=1)

    for levels in (1, 6):
        monkeypatch.setattr(U, "LEVELS_PER_CALL", levels)
        t = U.threshold_search(ps, two_roots, "price_mms_180", comparator=1, threshold=1.0, low=2.1, high=7.3, grid=11,
                               iterations=20)
        assert t["root"].to_numpy() == pytest.approx([np.pi, 2 * np.pi], abs=1e-5)  # 20 halvings of 0.52
        if levels == 1:
            one_step = t["root"].to_numpy().tobytes()
    assert t["root"].to_numpy().tobytes() == one_step


def test_mms_price_threshold_makes_mms_cost_neutral():
    ps = P.load("BGD", "base")
    ev = U.evaluator(antenatal, ps.settings)
    t = U.threshold_search(ps, ev, "price_mms_180", comparator=1, threshold=None, low=0.0, high=10.0)
    root = t["root"].iloc[0]
    p = {k: np.atleast_1d(v) for k, v in ps.base().items()}
    p["price_mms_180"] = np.array([root])
    cost, _ = ev(p)
    assert cost[0, 1] - cost[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert 0 < root < ps["price_mms_180"].value  # MMS costs more at today's price


def test_psa_identical_in_one_chunk_or_many():
    ps = P.load("KEN", "base")
    ev = U.evaluator(continuum, ps.settings)
    _, c1, e1 = U.psa(ps, ev, 1000, seed=5, names=continuum.REQUIRED)
    _, c2, e2 = U.psa(ps, ev, 1000, seed=5, chunk=137, names=continuum.REQUIRED)
    np.testing.assert_array_equal(c1, c2)
    np.testing.assert_array_equal(e1, e2)


def test_ishigami_sobol_indices_match_their_analytical_values():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}

    def ishigami(x, a=7.0, b=0.1):
        return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])

    s = gsa.sobol_indices(ishigami, problem, 2 ** 13, seed=1)
    np.testing.assert_allclose(s["S1"], [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(s["ST"], [0.5576, 0.4424, 0.2437], atol=0.02)


def test_ishigami_through_the_unit_cube_mapping():
    """The same indices when SALib samples the unit cube and our distributions map it."""
    from model.distributions import Distribution, from_unit_cube

    dists = {k: Distribution("uniform", {"low": -np.pi, "high": np.pi}) for k in ("x1", "x2", "x3")}
    names = list(dists)

    def ishigami_u(u):
        x = from_unit_cube(dists, names, u)
        return np.sin(x["x1"]) + 7 * np.sin(x["x2"]) ** 2 + 0.1 * x["x3"] ** 4 * np.sin(x["x1"])

    s = gsa.sobol_indices(ishigami_u, salib_problem(names), 2 ** 13, seed=2)
    np.testing.assert_allclose(s["S1"], [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(s["ST"], [0.5576, 0.4424, 0.2437], atol=0.02)


def test_sobol_and_morris_on_the_model_put_a_driver_first():
    ps = P.load("BGD", "base")
    ev = U.evaluator(antenatal, ps.settings)
    names = ["price_mms_180", "rr_lbw_mms", "tablets_per_pregnancy", "supplement_wastage"]
    names = [n for n in names if n in ps.uncertain]
    s = gsa.sobol(ps, ev, threshold=500.0, comparator=1, n=256, names=names)
    assert set(s.index) == set(names)
    assert (s["ST"] >= -0.05).all()
    m = gsa.morris(ps, ev, threshold=500.0, comparator=1, trajectories=20, names=names)
    assert m["mu_star"].iloc[0] >= m["mu_star"].iloc[-1]
    groups = gsa.sobol(ps, ev, threshold=500.0, comparator=1, n=128, names=names,
                       groups={"effects": ["rr_lbw_mms"], "costs": ["price_mms_180", "supplement_wastage"]})
    assert set(groups.index) == {"effects", "costs"}


def test_two_way_grid_and_scenario_table():
    ps = P.load("BGD", "base")
    ev = U.evaluator(antenatal, ps.settings)
    g = U.two_way(ps, ev, "price_mms_180", "rr_lbw_mms", threshold=500.0, comparator=1, points=5)
    assert g.shape == (5, 5)
    assert (np.diff(g.to_numpy(), axis=1) < 0).all()  # dearer MMS, lower INMB
    sets = {s: P.load("BGD", s) for s in ("ifa30-comparator", "ifa60-comparator")}
    table = U.scenario_table(sets, antenatal, "IFA", "MMS")
    assert isinstance(table, pd.DataFrame) and list(table.index) == ["ifa30-comparator", "ifa60-comparator"]
    assert table.loc["ifa60-comparator", "dalys_averted"] < table.loc["ifa30-comparator", "dalys_averted"]


# ------------------------------------------------------ health outcomes of either direction
def test_qalys_with_more_is_better_give_the_dalys_answers_on_minus_qalys():
    """Every acceptability and value-of-information function: a QALY array read as 'more is
    better' gives exactly what the DALY convention gives on its negative."""
    params, cost, _ = _toy_psa(n=3000)
    rng = np.random.default_rng(3)
    qalys = np.column_stack([np.full(3000, 10.0), 10.0 + 0.01 * params["a"] + rng.normal(0, 0.01, 3000)])
    grid, names = [0.0, 50.0, 500.0], ["A", "B"]
    pd.testing.assert_frame_equal(U.ceac(cost, qalys, grid, names, more_is_better=True),
                                  U.ceac(cost, -qalys, grid, names))
    pd.testing.assert_frame_equal(U.ceaf(cost, qalys, grid, names, more_is_better=True),
                                  U.ceaf(cost, -qalys, grid, names))
    pd.testing.assert_frame_equal(U.expected_loss(cost, qalys, grid, names, more_is_better=True),
                                  U.expected_loss(cost, -qalys, grid, names))
    pd.testing.assert_series_equal(U.evpi(cost, qalys, grid, more_is_better=True), U.evpi(cost, -qalys, grid))
    sets = {"a": ["a"], "b": ["b"]}
    pd.testing.assert_frame_equal(U.evppi(params, cost, qalys, grid, sets, more_is_better=True),
                                  U.evppi(params, cost, -qalys, grid, sets))


def test_qaly_net_benefit_by_hand():
    # B costs 10 more and gains 0.5 QALY: at 100 per QALY its NMB is 40 higher; EVPI is 0
    cost, qalys = np.array([[0.0, 10.0]]), np.array([[1.0, 1.5]])
    np.testing.assert_allclose(U.net_benefit(cost, qalys, 100.0, more_is_better=True), [[100.0, 140.0]])
    np.testing.assert_allclose(U.net_benefit(cost, qalys, [0.0, 100.0], more_is_better=True),
                               [[[0.0, 100.0], [-10.0, 140.0]]])
    assert U.ceac(cost, qalys, [100.0], ["A", "B"], more_is_better=True).loc[100.0, "B"] == 1.0
    assert U.ceac(cost, qalys, [100.0], ["A", "B"]).loc[100.0, "A"] == 1.0  # read as DALYs: B is worse


def test_one_way_names_the_outcome_and_its_direction(tree):
    ps = P.load("BGD", "base", tree)

    def qaly_evaluator(p):
        cost, dalys = toy_evaluator(p)
        return cost, 5.0 - dalys  # QALYs: the same health, as a gain

    t = U.one_way(ps, qaly_evaluator, threshold=100.0, comparator=1, outcome="qalys", more_is_better=True)
    d = U.one_way(ps, toy_evaluator, threshold=100.0, comparator=1)
    np.testing.assert_allclose(t["qalys_gained_low"], d["dalys_averted_low"], rtol=1e-12)
    np.testing.assert_allclose(t["inmb_high"], d["inmb_high"], rtol=1e-12)


# ------------------------------------------------------ names are checked
def test_evppi_names_an_unknown_input():
    # was a bare KeyError: 'aa'
    params, cost, dalys = _toy_psa(n=500)
    with pytest.raises(KeyError, match=r"input set 'first' names parameter 'aa' is unknown; known: 'a', 'b', 'c'"):
        U.evppi(params, cost, dalys, [0.0], {"first": ["aa"]})


def test_ranges_name_an_unknown_parameter(tree):
    ps = P.load("BGD", "base", tree)
    with pytest.raises(KeyError, match=r"parameter 'costvisit' is unknown; known: .*did you mean 'cost_visit'"):
        U.one_way(ps, toy_evaluator, threshold=100.0, comparator=1, names=["costvisit"])


def test_evaluator_names_an_outcome_the_model_does_not_report():
    ps = P.load("BGD", "base")
    ev = U.evaluator(antenatal, ps.settings, outcome="qalys")
    with pytest.raises(KeyError, match=r"model outcome 'qalys' is unknown; known: .*'dalys'"):
        ev(ps.base())
