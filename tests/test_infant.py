"""The infant model (inpatient vs MAMI community care): structure, invariants, known answers."""

from __future__ import annotations

import numpy as np
import pytest

from model import infant as I
from model import markov as M
from model import parameters as P


@pytest.fixture(scope="module")
def bgd():
    return P.load("BGD", "base")


def _base(ps, **over):
    p = ps.base()
    p.update({k: np.asarray(v, dtype=float) for k, v in over.items()})
    return p


def test_transition_rows_sum_to_one_for_psa_draws(bgd):
    p = bgd.sample(2000, seed=3)
    t = I.transition_matrix(p)
    assert t.shape == (2000, 2, 1, 7, 7)
    np.testing.assert_allclose(t.sum(-1), 1.0, atol=1e-12)
    assert (t >= 0).all() and (t <= 1).all()
    M.check_transitions(np.broadcast_to(t, (2000, 2, 2, 7, 7)), 0, I.STATES, I.STRATEGIES)


def test_cohort_mass_is_conserved(bgd):
    p = bgd.sample(200, seed=4)
    res = M.simulate(I.initial_distribution(p), I.transition_matrix(p), 22, keep_trace=True)
    np.testing.assert_allclose(res.trace.sum(-1), 1.0, atol=1e-12)


def test_competing_risks_reproduce_episode_outcomes_and_duration():
    """An episode left at rate lam, split by shares: in the long run each destination gets its
    share, and the expected number of weekly cycles in care is 1 / (1 - exp(-lam))."""
    lam, shares = 7 / 9.5, {1: 0.05, 2: 0.95}
    out = I._competing(np.asarray(lam), {k: np.asarray(v) for k, v in shares.items()})
    p = np.array([[1 - sum(out.values()), out[1], out[2]], [0, 1, 0], [0, 0, 1]])[None]
    res = M.simulate(np.array([[1.0, 0, 0]]), p, 400, state_rewards={"weeks": np.array([[1.0, 0, 0]])},
                     correction="beginning")
    np.testing.assert_allclose(res.final[0, 1:], [0.05, 0.95], atol=1e-12)
    assert res.totals["weeks"][0] == pytest.approx(1 / (1 - np.exp(-lam)))


def test_no_moderate_risk_infants_means_no_difference(bgd):
    s = I.run(_base(bgd, p_high_risk=1.0), bgd.settings).summary()
    np.testing.assert_allclose((s.loc["MAMI"] - s.loc["inpatient"]).to_numpy(), 0.0, atol=1e-12)


def test_arms_differ_only_through_moderate_risk_infants(bgd):
    r = I.run_set(bgd)
    high = I.RISKS.index("high")
    for k in I.OUTCOMES:
        np.testing.assert_allclose(r.by_risk[k][..., high, 0], r.by_risk[k][..., high, 1], atol=1e-12)


def test_outcomes_are_plausible(bgd):
    s = I.run_set(bgd).summary()
    assert ((s["deaths"] > 0) & (s["deaths"] < 1)).all()
    assert (s["recoveries"] < 1).all() and (s["dalys"] > 0).all()
    assert s.loc["inpatient", "mami_enrolments"] == 0
    # everyone admitted under the status quo started as admitted (uptake) or was never in MAMI
    assert s.loc["inpatient", "admissions"] == pytest.approx(bgd["uptake_inpatient"].value)


def test_more_deadly_community_care_costs_lives(bgd):
    cfr = np.linspace(0.0, 0.2, 11)
    r = I.run(_base(bgd, cfr_mami=cfr), bgd.settings)
    deaths = r.outcomes["deaths"]
    assert np.all(np.diff(deaths[:, 1]) > 0)
    np.testing.assert_allclose(deaths[:, 0], deaths[0, 0])  # the inpatient arm has no MAMI care


def test_dearer_bed_days_raise_the_inpatient_arm_more(bgd):
    r = I.run(_base(bgd, cost_bed_day=np.array([1.0, 5.0, 20.0])), bgd.settings)
    c = r.outcomes["cost"]
    assert np.all(np.diff(c[:, 0]) > 0)
    assert np.all(np.diff(c[:, 0]) > np.diff(c[:, 1]))


def test_dalys_are_yll_plus_yld_and_yll_follows_deaths(bgd):
    s = I.run_set(bgd).summary()
    np.testing.assert_allclose(s["dalys"], s["yll"] + s["yld"])
    undiscounted = I.run(_base(bgd, discount_rate_effects=0.0), bgd.settings).summary()
    # an infant death costs ~88 undiscounted years and ~31 discounted at 3% (GBD 2019 table)
    assert undiscounted.loc["inpatient", "yll"] / undiscounted.loc["inpatient", "deaths"] == pytest.approx(
        88.5, abs=0.6)
    assert s.loc["inpatient", "yll"] / s.loc["inpatient", "deaths"] == pytest.approx(31.0, abs=0.3)


def test_household_costs_only_in_the_societal_perspective(bgd):
    provider = I.run_set(bgd).summary()
    societal = I.run(bgd.base(), bgd.settings.model_copy(update={"perspective": "societal"})).summary()
    np.testing.assert_allclose(provider["cost"], provider["cost_provider"])
    np.testing.assert_allclose(societal["cost"], societal["cost_provider"] + societal["cost_household"])


def test_within_cycle_correction_is_a_visible_choice(bgd):
    results = {c: I.run(bgd.base(), bgd.settings.model_copy(update={"infant_correction": c}))
               for c in ("none", "half-cycle", "simpson")}
    assert {c: r.correction for c, r in results.items()} == {c: c for c in results}
    costs = [results[c].summary().loc["inpatient", "cost"] for c in results]
    assert costs[0] > costs[1]  # "none" counts the first and last points fully
    assert costs[1] == pytest.approx(costs[2], rel=0.05)


def test_later_enrolment_means_less_time_at_risk(bgd):
    early = I.run(bgd.base(), bgd.settings.model_copy(update={"enrolment_ages_weeks": (2,),
                                                              "enrolment_age_weights": (1.0,)})).summary()
    late = I.run(bgd.base(), bgd.settings.model_copy(update={"enrolment_ages_weeks": (22,),
                                                             "enrolment_age_weights": (1.0,)})).summary()
    assert (late["yld"] < early["yld"]).all()


def test_vectorised_run_equals_one_sample_at_a_time(bgd):
    draws = bgd.sample(25, seed=6)
    whole = I.run(draws, bgd.settings)
    for i in range(0, 25, 6):
        one = I.run({k: v[i] for k, v in draws.items()}, bgd.settings)
        for k in I.OUTCOMES:
            np.testing.assert_allclose(whole.outcomes[k][i], one.outcomes[k], rtol=1e-12)


def test_psa_is_reproducible_and_chunk_invariant(bgd):
    a = I.run_set(bgd, draws=600, seed=8).outcomes["dalys"]
    first = I.run(bgd.sample(250, seed=8), bgd.settings).outcomes["dalys"]
    rest = I.run(bgd.sample(350, seed=8, start=250), bgd.settings).outcomes["dalys"]
    np.testing.assert_array_equal(np.concatenate([first, rest]), a)


def test_national_scaling(bgd):
    r = I.run_set(bgd)
    n = bgd["live_births"].value * bgd["p_at_risk_u6m"].value * bgd["p_identified"].value
    np.testing.assert_allclose(r.national()["cost"], r.summary()["cost"] * n)


def test_bad_settings_fail_clearly():
    with pytest.raises(ValueError, match="enrolment_age_weights must be non-negative and sum to 1"):
        P.Settings(enrolment_ages_weeks=(4, 12), enrolment_age_weights=(0.5, 0.6))
    with pytest.raises(ValueError, match=r"enrolment ages must lie in \[0, 26\)"):
        P.Settings(enrolment_ages_weeks=(30,), enrolment_age_weights=(1.0,))
