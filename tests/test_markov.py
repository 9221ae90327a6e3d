"""The cohort engine: oracle agreement, mass conservation, closed forms, checks, rewards."""

from __future__ import annotations

import numpy as np
import pytest

from model import markov as M


def oracle(initial, transitions, n_cycles, state_rewards, transition_rewards, weights, discount, cycle_years):
    """Slow reference: one sample, one strategy, plain Python loops."""
    k = len(initial)
    m = [float(x) for x in initial]
    totals = dict.fromkeys([*state_rewards, *transition_rewards], 0.0)
    for t in range(n_cycles + 1):
        for name, r in state_rewards.items():
            d = (1 + discount.get(name, 0.0)) ** (-t * cycle_years)
            totals[name] += weights[t] * d * sum(m[i] * r[i] for i in range(k))
        if t == n_cycles:
            break
        p = transitions(t)
        for name, r in transition_rewards.items():
            d = (1 + discount.get(name, 0.0)) ** (-(t + 1) * cycle_years)
            totals[name] += d * sum(m[i] * p[i][j] * r[i][j] for i in range(k) for j in range(k))
        m = [sum(m[i] * p[i][j] for i in range(k)) for j in range(k)]
    return totals, m


def random_model(rng, n, s, k):
    raw = rng.gamma(1.0, 1.0, size=(n, s, k, k))
    raw[..., -1, :] = 0.0
    raw[..., -1, -1] = 1.0  # absorbing last state
    p = raw / raw.sum(-1, keepdims=True)
    init = rng.dirichlet(np.ones(k), size=(n, s))
    cost = rng.uniform(0, 100, size=(n, s, k))
    enter = rng.uniform(0, 50, size=(n, s, k, k))
    return p, init, cost, enter


@pytest.mark.parametrize("correction", ["none", "half-cycle", "simpson", "beginning", "end"])
def test_vectorised_engine_matches_the_per_sample_oracle(correction):
    rng = np.random.default_rng(0)
    n, s, k, cycles = 30, 2, 4, 12
    p, init, cost, enter = random_model(rng, n, s, k)
    growth = 1 + 0.01 * np.arange(cycles)  # time-varying: scale off-diagonals a little each cycle

    def trans(t, p=p):
        q = p.copy()
        off = q * (1 - np.eye(k))
        q = off * (1 / growth[t]) + np.eye(k) * 0
        q[..., np.arange(k), np.arange(k)] = 1 - q.sum(-1)
        return q

    res = M.simulate(init, trans, cycles, state_rewards={"cost": cost}, transition_rewards={"entry": enter},
                     correction=correction, discount={"cost": 0.035, "entry": 0.035}, cycle_years=0.5)
    w = M.correction_weights(correction, cycles)
    for i in range(n):
        for j in range(s):
            exp, final = oracle(init[i, j], lambda t, i=i, j=j: trans(t)[i, j].tolist(), cycles,
                                {"cost": cost[i, j]}, {"entry": enter[i, j].tolist()}, w,
                                {"cost": 0.035, "entry": 0.035}, 0.5)
            assert res.totals["cost"][i, j] == pytest.approx(exp["cost"], rel=1e-12)
            assert res.totals["entry"][i, j] == pytest.approx(exp["entry"], rel=1e-12)
            np.testing.assert_allclose(res.final[i, j], final, rtol=1e-12)


def test_cohort_mass_is_conserved_every_cycle():
    rng = np.random.default_rng(1)
    p, init, _, _ = random_model(rng, 50, 3, 5)
    init = init * 1000.0
    res = M.simulate(init, p, 40, keep_trace=True)
    np.testing.assert_allclose(res.trace.sum(-1), 1000.0, rtol=1e-12)
    assert (res.trace >= 0).all()


def test_life_expectancy_of_one_state_plus_death_matches_closed_form():
    # alive -> dead with probability q per cycle. Undiscounted expected cycles alive counted at the
    # start of each cycle over an infinite horizon is 1/q; with the "beginning" convention and a
    # finite horizon n it is (1 - (1-q)^n) / q.
    q, n = 0.1, 60
    p = np.array([[[1 - q, q], [0.0, 1.0]]])
    res = M.simulate(np.array([[1.0, 0.0]]), p, n, state_rewards={"ly": np.array([[1.0, 0.0]])},
                     correction="beginning")
    assert res.totals["ly"][0] == pytest.approx((1 - (1 - q) ** n) / q, rel=1e-12)
    half = M.simulate(np.array([[1.0, 0.0]]), p, 400, state_rewards={"ly": np.array([[1.0, 0.0]])},
                      correction="half-cycle")
    assert half.totals["ly"][0] == pytest.approx(1 / q - 0.5, rel=1e-9)


def test_transition_reward_on_death_equals_cost_times_deaths():
    rng = np.random.default_rng(2)
    p, init, _, _ = random_model(rng, 20, 2, 4)
    dead = 3
    res = M.simulate(init, p, 15, transition_rewards={"funeral": M.entry_reward([0, 0, 0, 250.0])},
                     keep_trace=True)
    deaths = res.trace[..., -1, dead] - res.trace[..., 0, dead]
    np.testing.assert_allclose(res.totals["funeral"], 250.0 * deaths, rtol=1e-12)


def test_discounting_of_a_constant_reward():
    p = np.array([[[1.0]]])
    res = M.simulate(np.array([[1.0]]), p, 10, state_rewards={"c": np.array([[1.0]])},
                     correction="beginning", discount={"c": 0.05})
    assert res.totals["c"][0] == pytest.approx(sum(1.05 ** -t for t in range(10)))


def test_simpson_and_half_cycle_weights():
    np.testing.assert_allclose(M.correction_weights("half-cycle", 4), [0.5, 1, 1, 1, 0.5])
    np.testing.assert_allclose(M.correction_weights("simpson", 4), np.array([1, 4, 2, 4, 1]) / 3)
    with pytest.raises(M.MarkovError, match="even number of cycles"):
        M.correction_weights("simpson", 3)
    with pytest.raises(M.MarkovError, match="unknown within-cycle correction 'trapeze'"):
        M.correction_weights("trapeze", 3)
    with pytest.raises(M.MarkovError, match="need 4 entries"):
        M.correction_weights([1, 1], 3)


def test_checks_name_cycle_strategy_state():
    good = np.array([[0.9, 0.1], [0.0, 1.0]])
    bad_row = np.array([[0.9, 0.2], [0.0, 1.0]])
    p = lambda t: np.stack([good, bad_row if t == 2 else good])[None].repeat(3, axis=0)  # noqa: E731
    with pytest.raises(M.MarkovError, match=r"cycle 2, strategy 'MAMI', state 'alive': row sums to 1.1"):
        M.simulate(np.ones((3, 2, 2)) / 2, p, 5, states=["alive", "dead"], strategies=["inpatient", "MAMI"])
    neg = np.array([[[1.1, -0.1], [0.0, 1.0]]])
    pattern = r"cycle 0, strategy '0', state 'alive': probability to state 'alive' is 1.1"
    with pytest.raises(M.MarkovError, match=pattern):
        M.simulate(np.array([[1.0, 0.0]]), neg, 2, states=["alive", "dead"])
    with pytest.raises(M.MarkovError, match="negative entries"):
        M.simulate(np.array([[-1.0, 2.0]]), good[None], 2)


def test_rate_probability_conversions():
    assert M.rate_to_probability(0.1, 2.0) == pytest.approx(1 - np.exp(-0.2))
    assert M.probability_to_rate(M.rate_to_probability(0.3, 1.5), 1.5) == pytest.approx(0.3)
    # a 1-year probability of 0.2 over one week, and back over 52.1775 weeks
    weekly = M.rescale_probability(0.2, 1.0, 7 / 365.25)
    assert 1 - (1 - weekly) ** (365.25 / 7) == pytest.approx(0.2)


# ---------------------------------------------------------------- textbook validation
# Chancellor et al. 1997 (PharmacoEconomics 12:54-66), HIV/AIDS zidovudine (AZT) monotherapy vs AZT +
# lamivudine, as Exercise 2.5 of Briggs, Claxton & Sculpher (2006). Inputs and expected results as
# in heemod's tests/testthat/test_dmhee.R (aphp/heemod), which checks heemod against the book's
# spreadsheet: transition counts as fractions, RR 0.509 on every off-diagonal transition and
# lamivudine (GBP 2086.5) for the first two years, states counted at the end of each cycle
# (year 1 .. 20), costs discounted at 6% as 1/1.06^t, life years undiscounted, 20 cycles.
MONO = np.array([
    [1251 / 1734, 350 / 1734, 116 / 1734, 17 / 1734],
    [0.0, 731 / 1258, 512 / 1258, 15 / 1258],
    [0.0, 0.0, 1312 / 1749, 437 / 1749],
    [0.0, 0.0, 0.0, 1.0],
])
RR, AZT, LAMIVUDINE = 0.509, 2278.0, 2086.5
HEALTH = np.array([1701 + 1055, 1774 + 1278, 6948 + 2059, 0.0])  # direct medical + community care


def _combination(rr):
    p = MONO * (1 - np.eye(4)) * rr
    p[np.arange(4), np.arange(4)] = 1 - p.sum(-1)
    return p


def test_reproduces_the_published_hiv_model():
    strategies = ["monotherapy", "combination"]
    trans = lambda t: np.stack([MONO, _combination(RR if t + 1 <= 2 else 1.0)])  # noqa: E731
    alive = np.array([1.0, 1.0, 1.0, 0.0])

    def cost(t):
        drug = np.stack([AZT * alive, (AZT + (LAMIVUDINE if 1 <= t <= 2 else 0.0)) * alive])
        return HEALTH + drug

    res = M.simulate(np.array([[1.0, 0, 0, 0], [1.0, 0, 0, 0]]), trans, 20,
                     state_rewards={"cost": cost, "life_years": np.stack([alive, alive])},
                     correction="end", discount={"cost": 0.06}, strategies=strategies,
                     states=["A", "B", "C", "D"])
    cost_mono, cost_comb = res.totals["cost"]
    ly_mono, ly_comb = res.totals["life_years"]
    assert cost_mono == pytest.approx(44663.4535637, abs=1e-6)
    assert cost_comb == pytest.approx(50601.6513312, abs=1e-6)
    assert ly_mono == pytest.approx(7.9912066, abs=1e-7)
    assert ly_comb == pytest.approx(8.9373889, abs=1e-7)
    icer = (cost_comb - cost_mono) / (ly_comb - ly_mono)
    assert icer == pytest.approx(6275.95560, abs=1e-4)  # Chancellor 1997: GBP 6,276 per life year
    assert res.correction == "end"
