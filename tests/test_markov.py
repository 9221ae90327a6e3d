"""The cohort engine: oracle agreement, mass conservation, closed forms, checks, rewards."""

from __future__ import annotations

import numpy as np
import pytest

from model import markov as M


def within_cycle_weights(method, n):
    """Correction weights on trace points 0..n, written out from their definitions (not taken
    from the engine)."""
    third = 1.0 / 3.0
    if method == "none":
        return [1.0] * (n + 1)
    if method == "half-cycle":
        return [0.5] + [1.0] * (n - 1) + [0.5]
    if method == "simpson":  # textbook: 1, 4, 2, 4, ..., 4, 1 (over 3)
        return [third] + [4 * third if t % 2 == 1 else 2 * third for t in range(1, n)] + [third]
    if method == "simpson-darth":  # darthtools::gen_wcc: 1, 2, 4, 2, ..., 1 (over 3)
        return [third] + [2 * third if t % 2 == 1 else 4 * third for t in range(1, n)] + [third]
    if method == "beginning":
        return [1.0] * n + [0.0]
    if method == "end":
        return [0.0] + [1.0] * n
    raise ValueError(method)


def oracle(initial, transitions, n_cycles, *, state, transition, entry, instant, reward_weights, weights,
           discount, cycle_years, entry_paid_at_cycle_start=False):
    """Slow reference for one sample and one strategy, in plain Python floats and lists.

    Rewards are functions of the cycle returning this sample's values. State rewards count on trace
    point t (weight ``weights[t]``, discounted t cycles); instant rewards likewise with weight 1;
    transition and entry rewards are paid on the flows of cycle t, discounted to its end (t + 1
    cycles); ``reward_weights[name][t]`` multiplies each contribution. ``entry_paid_at_cycle_start``
    discounts entry rewards to the start of the cycle instead (a deliberately wrong variant, used
    only to show the comparison can tell the two apart)."""
    k = len(initial)
    m = [float(x) for x in initial]
    totals = dict.fromkeys([*state, *transition, *entry, *instant], 0.0)

    def factor(name, t, cycles):
        weight = reward_weights[name][t] if name in reward_weights else 1.0
        return weight * (1.0 + discount.get(name, 0.0)) ** (-cycles * cycle_years)

    for t in range(n_cycles + 1):
        for name, r in state.items():
            totals[name] += weights[t] * factor(name, t, t) * sum(m[i] * r(t)[i] for i in range(k))
        for name, r in instant.items():
            totals[name] += factor(name, t, t) * sum(m[i] * r(t)[i] for i in range(k))
        if t == n_cycles:
            break
        p = transitions(t)
        flow = [[m[i] * p[i][j] for j in range(k)] for i in range(k)]
        for name, r in transition.items():
            totals[name] += factor(name, t, t + 1) * sum(flow[i][j] * r(t)[i][j]
                                                        for i in range(k) for j in range(k))
        for name, r in entry.items():
            when = t if entry_paid_at_cycle_start else t + 1
            totals[name] += factor(name, t, when) * sum(flow[i][j] * r(t)[j]
                                                       for i in range(k) for j in range(k) if i != j)
        m = [sum(flow[i][j] for i in range(k)) for j in range(k)]
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


def _every_reward_kind(rng, n, s, k, cycles, shared=False):
    """A time-varying model with every reward kind, reward weights and per-reward discounting;
    ``shared``: one matrix per sample for all strategies, ``(n, 1, K, K)`` (the engine then works
    in the public layout instead of states first)."""
    p, init, cost, move = random_model(rng, n, s, k)
    if shared:
        p = p[:, :1]
    growth = 1 + 0.01 * np.arange(cycles)  # time-varying: scale off-diagonals a little each cycle

    def trans(t):
        q = p * (1 - np.eye(k)) / growth[t]
        q[..., np.arange(k), np.arange(k)] = 1 - q.sum(-1)
        return q

    utility = rng.uniform(0.3, 1.0, size=(s, k))  # broadcasts over samples
    admit = rng.uniform(0, 80, size=(n, s, k))
    terminal = rng.uniform(0, 10, size=(n, s, k))
    rewards = {
        "state": {"cost": cost, "qaly": lambda t: utility * (1 - 0.02 * t)},
        "transition": {"move": move},
        "entry": {"admit": lambda t: admit * (1 + 0.1 * t)},
        "instant": {"terminal": lambda t: terminal * (t % 3 == 0)},
    }
    weights = {  # reward weights with different broadcasting shapes
        "cost": rng.uniform(0.5, 1.5, size=(cycles + 1, n, 1)),
        "move": rng.uniform(0.5, 1.5, size=(cycles + 1, n, s)),
        "admit": rng.uniform(0.5, 1.5, size=cycles + 1),
        "terminal": rng.uniform(0.5, 1.5, size=(cycles + 1, 1, s)),
    }
    rates = {"cost": rng.uniform(0.0, 0.06, size=(n, 1)), "qaly": 0.015, "move": 0.02, "admit": 0.05,
             "terminal": 0.035}
    return init, trans, rewards, weights, rates


def _oracle_for(i, j, init, trans, rewards, weights, rates, correction, cycles, cycle_years, **kw):
    """The oracle for sample ``i``, strategy ``j``: each input broadcast and sliced by hand."""
    def values(x, matrix=False):
        def at(t):
            v = np.asarray(x(t) if callable(x) else x, dtype=float)
            lead = v.shape[: v.ndim - (2 if matrix else 1)]
            v = v.reshape((1,) * (2 - len(lead)) + v.shape) if len(lead) < 2 else v
            return v[i if v.shape[0] > 1 else 0, j if v.shape[1] > 1 else 0].tolist()
        return at

    rw = {name: np.broadcast_to(w.reshape(w.shape + (1,) * (3 - w.ndim)), (cycles + 1,) + init.shape[:2])[:, i, j]
          for name, w in weights.items()}
    rate = {name: float(np.broadcast_to(r, init.shape[:2])[i, j]) for name, r in rates.items()}
    every = lambda t: np.broadcast_to(trans(t), init.shape + init.shape[-1:])  # noqa: E731
    return oracle(init[i, j].tolist(), lambda t: every(t)[i, j].tolist(), cycles,
                  state={k: values(v) for k, v in rewards["state"].items()},
                  transition={k: values(v, matrix=True) for k, v in rewards["transition"].items()},
                  entry={k: values(v) for k, v in rewards["entry"].items()},
                  instant={k: values(v) for k, v in rewards["instant"].items()},
                  reward_weights=rw, weights=within_cycle_weights(correction, cycles), discount=rate,
                  cycle_years=cycle_years, **kw)


@pytest.mark.parametrize("shared", [False, True], ids=["own matrices", "shared matrices"])
@pytest.mark.parametrize("correction", ["none", "half-cycle", "simpson", "simpson-darth", "beginning", "end"])
def test_vectorised_engine_matches_the_per_sample_oracle(correction, shared):
    """Every reward kind (state, instant, transition, entry), reward weights of several shapes,
    per-reward and per-sample discount rates, time-varying matrices and rewards; matrices per
    strategy (states-first kernels) or shared by the strategies (public-layout kernels)."""
    rng = np.random.default_rng(0)
    n, s, k, cycles, cycle_years = 6, 2, 4, 12, 0.5
    init, trans, rewards, weights, rates = _every_reward_kind(rng, n, s, k, cycles, shared)
    res = M.simulate(init, trans, cycles, state_rewards=rewards["state"],
                     transition_rewards=rewards["transition"], entry_rewards=rewards["entry"],
                     instant_rewards=rewards["instant"], reward_weights=weights, correction=correction,
                     discount=rates, cycle_years=cycle_years)
    for i in range(n):
        for j in range(s):
            exp, final = _oracle_for(i, j, init, trans, rewards, weights, rates, correction, cycles, cycle_years)
            for name, value in exp.items():
                assert res.totals[name][i, j] == pytest.approx(value, rel=1e-12), name
            np.testing.assert_allclose(res.final[i, j], final, rtol=1e-12)


def test_engine_matches_the_oracle_when_inputs_have_different_leading_axes():
    """One starting vector for every sample ``(S, K)``, one matrix shared by the strategies
    ``(n, 1, K, K)``, rewards without a sample axis: every kind broadcasts like numpy."""
    rng = np.random.default_rng(5)
    n, s, k, cycles = 5, 3, 4, 9
    p, _, _, _ = random_model(rng, n, 1, k)
    init = rng.dirichlet(np.ones(k), size=s)
    cost, admit = rng.uniform(0, 100, size=k), rng.uniform(0, 50, size=(s, k))
    move, terminal = rng.uniform(0, 20, size=(k, k)), rng.uniform(0, 5, size=(n, 1, k))
    res = M.simulate(init, p, cycles, state_rewards={"cost": cost}, entry_rewards={"admit": admit},
                     transition_rewards={"move": move}, instant_rewards={"terminal": terminal},
                     correction="half-cycle", discount={"cost": 0.03, "admit": 0.04, "move": 0.05})
    full = np.broadcast_to(init, (n, s, k))
    rewards = {"state": {"cost": np.broadcast_to(cost, (n, s, k))},
               "entry": {"admit": np.broadcast_to(admit, (n, s, k))},
               "transition": {"move": np.broadcast_to(move, (n, s, k, k))},
               "instant": {"terminal": np.broadcast_to(terminal, (n, s, k))}}
    trans = lambda t: np.broadcast_to(p, (n, s, k, k))  # noqa: E731
    rates = {"cost": 0.03, "admit": 0.04, "move": 0.05}
    for i in range(n):
        for j in range(s):
            exp, final = _oracle_for(i, j, full, trans, rewards, {}, rates, "half-cycle", cycles, 1.0)
            for name, value in exp.items():
                assert res.totals[name][i, j] == pytest.approx(value, rel=1e-12), name
            np.testing.assert_allclose(res.final[i, j], final, rtol=1e-12)


def test_the_oracle_comparison_can_tell_when_entry_rewards_are_discounted():
    """The comparison above has power: discounting entry rewards to the start of their cycle instead
    of its end moves the total by far more than the tolerance (so that bug cannot pass)."""
    rng = np.random.default_rng(0)
    init, trans, rewards, weights, rates = _every_reward_kind(rng, 6, 2, 4, 12)
    right, _ = _oracle_for(0, 0, init, trans, rewards, weights, rates, "half-cycle", 12, 0.5)
    wrong, _ = _oracle_for(0, 0, init, trans, rewards, weights, rates, "half-cycle", 12, 0.5,
                           entry_paid_at_cycle_start=True)
    assert wrong["admit"] / right["admit"] - 1 == pytest.approx(1.05 ** 0.5 - 1, rel=1e-9)


def test_matrices_built_states_first_and_passed_as_a_view_give_the_same_results():
    """The docstring's advice for fast time-varying models: same totals, same checks."""
    rng = np.random.default_rng(8)
    p, init, cost, enter = random_model(rng, 40, 3, 4)
    first = np.ascontiguousarray(np.moveaxis(p, (-2, -1), (0, 1)))  # (K, K, n, S)
    as_view = np.moveaxis(first, (0, 1), (-2, -1))
    assert not as_view.flags.c_contiguous and np.shares_memory(as_view, first)
    kw = {"state_rewards": {"cost": cost}, "transition_rewards": {"move": enter},
          "entry_rewards": {"admit": cost}, "discount": {"cost": 0.03}}
    plain = M.simulate(init, lambda t: p, 10, **kw)
    viewed = M.simulate(init, lambda t: as_view, 10, **kw)
    for name in plain.totals:
        np.testing.assert_allclose(viewed.totals[name], plain.totals[name], rtol=1e-13)
    bad = first.copy()
    bad[0, 1, 7, 2] += 0.2  # sample 7, strategy 2, row 0 sums to 1.2
    with pytest.raises(M.MarkovError, match=r"cycle 0, strategy '2', state '0': row sums to 1\.2.*\(7,\)"):
        M.simulate(init, lambda t: np.moveaxis(bad, (0, 1), (-2, -1)), 3)


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
    with pytest.raises(M.MarkovError, match="unknown within-cycle correction 'trapeze'"):
        M.correction_weights("trapeze", 3)
    with pytest.raises(M.MarkovError, match="need 4 entries"):
        M.correction_weights([1, 1], 3)


def test_darth_simpson_weights_for_75_cycles():
    """The DARTH tutorial's vector for its 75-cycle Sick-Sicker model (darthtools::gen_wcc(75,
    "Simpson1/3"); Alarid-Escudero et al. 2023, MDM 43(1):3-20, section "Within-cycle correction":
    1/3 on the first and last entries, then 2/3 and 4/3 alternately from the second), written out
    the way the R code builds it: entries 1..76 get 2/3 when even and 4/3 when odd (1-based)."""
    r_index = np.arange(1, 77)
    expected = np.where(r_index % 2 == 0, 2 / 3, 4 / 3)
    expected[0] = expected[75] = 1 / 3
    w = M.correction_weights("simpson-darth", 75)
    np.testing.assert_array_equal(w, expected)
    np.testing.assert_allclose(w[:6], [1 / 3, 2 / 3, 4 / 3, 2 / 3, 4 / 3, 2 / 3])
    np.testing.assert_allclose(w[-3:], [2 / 3, 4 / 3, 1 / 3])  # entry 74 (1-based 75) is odd: 4/3
    assert w.sum() == pytest.approx(224 / 3)  # 1/3 + 37 x 2/3 + 37 x 4/3 + 1/3: not 75 (odd n)
    np.testing.assert_allclose(M.correction_weights("simpson-darth", 4), np.array([1, 2, 4, 2, 1]) / 3)


def test_correction_errors_say_what_is_accepted():
    with pytest.raises(M.MarkovError, match=r"unknown within-cycle correction 'weights': expected one of "
                       r"'none', 'half-cycle', 'simpson', 'simpson-darth', 'beginning', 'end'; an array of "
                       r"n_cycles \+ 1 = 76 weights \(one per trace point 0 \.\. 75\) is accepted as well"):
        M.correction_weights("weights", 75)
    with pytest.raises(M.MarkovError, match=r"even number of cycles \(got 75\); use 'simpson-darth'.*"
                       r"an array of n_cycles \+ 1 = 76 weights"):
        M.correction_weights("simpson", 75)
    with pytest.raises(M.MarkovError, match=r"need 76 entries on axis 0 \(one per trace point 0 \.\. 75\), got 75"):
        M.simulate(np.array([[1.0, 0.0]]), np.eye(2)[None], 75, correction=np.ones(75))
    with pytest.raises(M.MarkovError, match="got a scalar"):
        M.correction_weights(0.5, 3)


# ------------------------------------------------------ every name-keyed argument is checked
def _two_state(**kw):
    p = np.array([[[0.9, 0.1], [0.0, 1.0]]])
    rewards = {"state_rewards": {"cost": np.array([[10.0, 0.0]]), "life_years": np.array([[1.0, 0.0]])}}
    return M.simulate(np.array([[1.0, 0.0]]), p, 5, **{**rewards, **kw})


def test_a_discount_for_an_unknown_reward_is_an_error():
    # was silent: the reward 'cost' stayed undiscounted
    with pytest.raises(M.MarkovError, match=r"discount names reward 'costs' is unknown; known: 'cost', "
                                            r"'life_years' \(did you mean 'cost'\?\)"):
        _two_state(discount={"costs": 0.03})


def test_reward_weights_for_an_unknown_reward_is_an_error():
    with pytest.raises(M.MarkovError, match=r"reward_weights names reward 'lifeyears' is unknown; known: "
                                            r"'cost', 'life_years'"):
        _two_state(reward_weights={"lifeyears": np.ones(6)})


def test_a_reward_name_used_twice_is_named():
    with pytest.raises(M.MarkovError, match="reward 'cost' is given as both a state reward and an entry reward"):
        _two_state(entry_rewards={"cost": np.array([[0.0, 5.0]])})


def test_a_reward_of_the_wrong_shape_is_named():
    with pytest.raises(M.MarkovError, match=r"state reward 'life_years' \(cycle 0\) has shape \(3,\)"):
        _two_state(state_rewards={"life_years": np.ones(3)})
    with pytest.raises(M.MarkovError, match=r"transition reward 'move' \(cycle 2\) has shape \(2,\)"):
        _two_state(transition_rewards={"move": lambda t: np.ones((2, 2)) if t < 2 else np.ones(2)})


def test_a_total_looked_up_by_an_unknown_name_lists_the_rewards():
    res = _two_state()
    with pytest.raises(KeyError, match=r"reward 'lifeyears' is unknown; known: 'cost', 'life_years'"):
        res.totals["lifeyears"]
    assert res.totals.get("lifeyears") is None  # still a mapping


def test_state_and_strategy_labels_must_match_the_arrays():
    # were silent: a label list of the wrong length mislabelled (or numbered) strategies in errors
    with pytest.raises(M.MarkovError, match=r"3 state labels \['a', 'b', 'c'\] for 2 states"):
        _two_state(states=["a", "b", "c"])
    with pytest.raises(M.MarkovError, match=r"2 strategy labels \['x', 'y'\] for 1 strategies"):
        _two_state(strategies=["x", "y"])
    with pytest.raises(M.MarkovError, match=r"transitions \(cycle 0\) have shape \(3, 3\)"):
        M.simulate(np.array([[1.0, 0.0]]), np.eye(3), 2)


def test_nan_transition_probabilities_are_refused():
    # was silent: NaN passed both the range and the row-sum checks and propagated into every total
    p = np.array([[[np.nan, 0.1], [0.0, 1.0]]])
    pattern = "cycle 0, strategy '0', state 'alive': probability to state 'alive' is nan"
    with pytest.raises(M.MarkovError, match=pattern):
        M.simulate(np.array([[1.0, 0.0]]), p, 2, states=["alive", "dead"])


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
