"""A QALY textbook model reproduced through ``markov.simulate``, ``cea`` and ``uncertainty``.

The time-independent Sick-Sicker model of Alarid-Escudero F, Krijkamp E, Enns EA, Yang A, Hunink
MGM, Pechlivanoglou P, Jalal H. "An Introductory Tutorial on Cohort State-Transition Models in R
Using a Cost-Effectiveness Analysis Example", Medical Decision Making 2023;43(1):3-20. Read in the
authors' repository DARTH-git/cohort-modeling-tutorial-intro (the manuscript source
``manuscript/cSTM_Tutorial_Intro.tex``, the code ``analysis/cSTM_time_indep.R`` and
``R/Functions_cSTM_time_indep.R``):

* inputs (manuscript table "param-table" and ``l_params_all``): states H, S1, S2, D; all start in
  H; 75 annual cycles (age 25 to 100); rates H->S1 0.15, S1->H 0.5, S1->S2 0.105, H->D 0.002;
  hazard ratios of death 3 (S1) and 10 (S2); treatment B's hazard ratio on S1->S2 0.6; costs per
  year H 2,000, S1 4,000, S2 15,000, treatment A 12,000 and B 13,000 (in S1 and S2; the
  manuscript table prints 12,000 for B, the code and the results use 13,000); utilities 1, 0.75,
  0.5, 0 and 0.95 in S1 under A; costs and QALYs discounted at 3% as 1/1.03^t on trace point t;
  within-cycle correction ``darthtools::gen_wcc(75, "Simpson1/3")``;
* published results (table "Expected-outcomes-table" and table "table-cea" with its text):
  costs $151,580 / $284,805 / $259,100 / $378,875 and QALYs 20.711 / 21.499 / 22.184 / 23.137 for
  SoC / A / B / AB; frontier SoC -> B -> AB with incremental cost $107,521 and 1.473 QALYs (ICER
  $72,988/QALY) and then $119,775 and 0.952 QALYs (ICER $125,764/QALY); A dominated;
* published PSA (section "Probabilistic sensitivity analysis", 1,000 draws, WTP grid $0 to
  $200,000 by $5,000): "At WTP thresholds less than $80,000 per QALY gained, strategy SoC has both
  the highest probability of being cost-effective and the highest expected NMB. This switches to
  strategy B for WTP thresholds between $80,000 and $120,000 per QALY gained and to strategy AB
  for WTP thresholds greater than or equal to $120,000 per QALY gained." Distributions from the
  manuscript table and ``generate_psa_params``: gamma rates (shape, rate) H->D (20, 10000), H->S1
  (30, 200), S1->H (60, 120), S1->S2 (84, 800); lognormal hazard ratios log(3) sd 0.01, log(10)
  sd 0.02, log(0.6) sd 0.02; gamma costs (shape, scale) H (100, 20), S1 (177.8, 22.5), S2 (225,
  66.7), A (73.5, 163.3), B (86.2, 150.8); beta utilities H (200, 3), S1 (130, 45), S2 (230, 230),
  A (300, 15).
"""

from __future__ import annotations

import numpy as np
import pytest

from model import cea
from model import uncertainty as U
from model.markov import MarkovError, rate_to_probability, simulate

STATES = ["H", "S1", "S2", "D"]
STRATEGIES = ["Standard of care", "Strategy A", "Strategy B", "Strategy AB"]
BASE = {"r_HD": 0.002, "r_HS1": 0.15, "r_S1H": 0.5, "r_S1S2": 0.105, "hr_S1": 3.0, "hr_S2": 10.0,
        "hr_S1S2_trtB": 0.6, "c_H": 2000.0, "c_S1": 4000.0, "c_S2": 15000.0, "c_trtA": 12000.0,
        "c_trtB": 13000.0, "u_H": 1.0, "u_S1": 0.75, "u_S2": 0.5, "u_trtA": 0.95}


def sick_sicker(p, correction="simpson-darth"):
    """The model for parameter values that are scalars or arrays over draws: totals (..., 4)."""
    p = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    shape = np.broadcast_shapes(*(v.shape for v in p.values()))
    h, s1, s2, d = range(4)
    p_hd, p_hs1, p_s1h = (rate_to_probability(p[k]) for k in ("r_HD", "r_HS1", "r_S1H"))
    p_s1d = rate_to_probability(p["r_HD"] * p["hr_S1"])
    p_s2d = rate_to_probability(p["r_HD"] * p["hr_S2"])
    trans = np.zeros((*shape, 4, 4, 4))
    cost, qaly = np.zeros((*shape, 4, 4)), np.zeros((*shape, 4, 4))
    for s, name in enumerate(STRATEGIES):
        treat_a, treat_b = name in ("Strategy A", "Strategy AB"), name in ("Strategy B", "Strategy AB")
        p_s1s2 = rate_to_probability(p["r_S1S2"] * (p["hr_S1S2_trtB"] if treat_b else 1.0))
        m = trans[..., s, :, :]
        m[..., h, h], m[..., h, s1], m[..., h, d] = (1 - p_hd) * (1 - p_hs1), (1 - p_hd) * p_hs1, p_hd
        m[..., s1, h], m[..., s1, s1] = (1 - p_s1d) * p_s1h, (1 - p_s1d) * (1 - (p_s1h + p_s1s2))
        m[..., s1, s2], m[..., s1, d] = (1 - p_s1d) * p_s1s2, p_s1d
        m[..., s2, s2], m[..., s2, d] = 1 - p_s2d, p_s2d
        m[..., d, d] = 1.0
        treatment = p["c_trtA"] * treat_a + p["c_trtB"] * treat_b
        cost[..., s, h], cost[..., s, s1], cost[..., s, s2] = p["c_H"], p["c_S1"] + treatment, p["c_S2"] + treatment
        qaly[..., s, h], qaly[..., s, s1], qaly[..., s, s2] = p["u_H"], p["u_trtA"] if treat_a else p["u_S1"], p["u_S2"]
    start = np.zeros((4, 4))
    start[:, h] = 1.0
    res = simulate(start, trans, 75, state_rewards={"cost": cost, "qalys": qaly}, correction=correction,
                   discount={"cost": 0.03, "qalys": 0.03}, states=STATES, strategies=STRATEGIES)
    return res.totals["cost"], res.totals["qalys"]


def test_reproduces_the_published_costs_and_qalys():
    cost, qalys = sick_sicker(BASE)
    assert [round(c) for c in cost] == [151_580, 284_805, 259_100, 378_875]
    assert [round(q, 3) for q in qalys] == [20.711, 21.499, 22.184, 23.137]


def test_the_textbook_simpson_rule_cannot_be_used_and_half_cycle_misses_the_published_qalys():
    with pytest.raises(MarkovError, match="even number of cycles"):
        sick_sicker(BASE, correction="simpson")
    _, qalys = sick_sicker(BASE, correction="half-cycle")
    assert [round(q, 3) for q in qalys] != [20.711, 21.499, 22.184, 23.137]


def test_reproduces_the_published_frontier_and_icers():
    cost, qalys = sick_sicker(BASE)
    front = cea.frontier(STRATEGIES, cost, qalys, more_is_better=True, outcome="qalys").set_index("strategy")
    assert list(front.index) == ["Standard of care", "Strategy B", "Strategy A", "Strategy AB"]  # by cost
    assert front.loc["Strategy A", "status"] == cea.D
    assert front.loc["Strategy B", "compared_with"] == "Standard of care"
    assert front.loc["Strategy AB", "compared_with"] == "Strategy B"
    assert round(front.loc["Strategy B", "icer"]) == 72_988
    assert round(front.loc["Strategy AB", "icer"]) == 125_764
    c, q = dict(zip(STRATEGIES, cost, strict=True)), dict(zip(STRATEGIES, qalys, strict=True))
    assert round(c["Strategy B"] - c["Standard of care"]) == 107_521
    assert round(q["Strategy B"] - q["Standard of care"], 3) == 1.473
    assert round(c["Strategy AB"] - c["Strategy B"]) == 119_775
    assert round(q["Strategy AB"] - q["Strategy B"], 3) == 0.952


def test_the_incremental_table_takes_qalys_gained():
    import pandas as pd

    cost, qalys = sick_sicker(BASE)
    summary = pd.DataFrame({"cost": cost, "qalys": qalys}, index=pd.Index(STRATEGIES, name="strategy"))
    t = cea.incremental(summary, "Standard of care", outcome="qalys", more_is_better=True)
    assert list(t.columns) == ["incremental_cost", "qalys_gained", "cost_per_qalys_gained", "status",
                               "icer_frontier", "compared_with"]
    assert round(t.loc["Strategy B", "qalys_gained"], 3) == 1.473
    assert round(t.loc["Strategy B", "icer_frontier"]) == 72_988
    assert round(t.loc["Strategy AB", "icer_frontier"]) == 125_764
    assert t.loc["Strategy A", "status"] == cea.D
    # read as something to avoid, the QALYs would make the cheapest strategy dominate the others
    wrong = cea.incremental(summary, "Standard of care", outcome="qalys", more_is_better=False)
    assert (wrong.drop(index="Standard of care")["status"] == cea.D).all()


def psa_draws(n, seed):
    g = np.random.default_rng(seed)
    return {
        "r_HD": g.gamma(20, 1 / 10000, n), "r_HS1": g.gamma(30, 1 / 200, n), "r_S1H": g.gamma(60, 1 / 120, n),
        "r_S1S2": g.gamma(84, 1 / 800, n), "hr_S1": g.lognormal(np.log(3), 0.01, n),
        "hr_S2": g.lognormal(np.log(10), 0.02, n), "hr_S1S2_trtB": g.lognormal(np.log(0.6), 0.02, n),
        "c_H": g.gamma(100, 20, n), "c_S1": g.gamma(177.8, 22.5, n), "c_S2": g.gamma(225, 66.7, n),
        "c_trtA": g.gamma(73.5, 163.3, n), "c_trtB": g.gamma(86.2, 150.8, n),
        "u_H": g.beta(200, 3, n), "u_S1": g.beta(130, 45, n), "u_S2": g.beta(230, 230, n),
        "u_trtA": g.beta(300, 15, n),
    }


@pytest.fixture(scope="module")
def psa():
    return sick_sicker(psa_draws(10_000, seed=2))


def test_psa_ceac_and_ceaf_follow_the_published_regions(psa):
    """SoC below $80,000/QALY, B from $80,000 to below $120,000, AB from $120,000, on the
    tutorial's grid, for both the most likely strategy (CEAC) and the highest expected NMB (CEAF).
    Our draws are numpy's, not the tutorial's R draws, so the two grid points next to a switch
    ($75,000 and $120,000), where the leading strategies are within Monte Carlo error of each
    other, are left out; elsewhere the leader wins by at least 10 percentage points."""
    cost, qalys = psa
    grid = np.arange(0, 200_001, 5_000)
    expected = np.where(grid < 80_000, "Standard of care", np.where(grid < 120_000, "Strategy B", "Strategy AB"))
    clear = ~np.isin(grid, [75_000, 120_000])
    ceac = U.ceac(cost, qalys, grid, STRATEGIES, more_is_better=True)
    ceaf = U.ceaf(cost, qalys, grid, STRATEGIES, more_is_better=True)
    np.testing.assert_array_equal(ceac.idxmax(axis=1).to_numpy()[clear], expected[clear])
    np.testing.assert_array_equal(ceaf["optimal"].to_numpy()[clear], expected[clear])
    top2 = np.sort(ceac.to_numpy(), axis=1)[:, -2:]
    assert (top2[clear, 1] - top2[clear, 0]).min() > 0.10


def test_psa_tables_and_value_of_information_take_qalys(psa):
    cost, qalys = psa
    summary, acceptability = cea.psa_tables(STRATEGIES, cost, qalys, {"US$100,000/QALY": 100_000.0},
                                            outcome="qalys", more_is_better=True)
    assert acceptability["US$100,000/QALY"].idxmax() == "Strategy B"  # the published region of B
    assert summary.loc["Strategy B", "qalys_gained_mean"] > 1.0
    assert summary.loc["Standard of care", "qalys_gained_mean"] == 0.0
    # net benefit of a QALY model is threshold x QALYs - cost; the DALY convention on -QALYs agrees
    evpi = U.evpi(cost, qalys, [100_000.0], more_is_better=True)
    assert evpi.iloc[0] == pytest.approx(U.evpi(cost, -qalys, [100_000.0]).iloc[0], rel=1e-12)
    assert evpi.iloc[0] > 0
