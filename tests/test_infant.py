"""The infant model (no programme, inpatient care, MAMI): natural history reproduced, invariants,
properties over random inputs, known answers worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from model import infant as I
from model import markov as M
from model import natural_history as N
from model import parameters as P
from model.dalys import LifeTable

NONE, INPATIENT, MAMI = (I.STRATEGIES.index(s) for s in ("no programme", "inpatient", "MAMI"))
HIGH, MODERATE = I.RISKS.index("high"), I.RISKS.index("moderate")
WEEK = 7 / 365.25


def _base(ps, **over):
    p = ps.base()
    p.update({k: np.asarray(v, dtype=float) for k, v in over.items()})
    return p


def _one_group(settings, age: int, **update):
    return settings.model_copy(update={"enrolment_ages_weeks": (age,), "enrolment_age_weights": (1.0,), **update})


def _converted(ps, key):
    return float(ps.base()[key])


# ------------------------------------------------------------------ the natural history comes back out
def test_untreated_cohort_reproduces_each_class_input_over_200_draws(bgd):
    p = bgd.sample(200, seed=21, names=I.REQUIRED)
    res = I.run(p, _one_group(bgd.settings, 6), keep_trace=True)
    trace = res.natural_history["trace"][0]  # (samples, R, S, T+1, K)
    weeks = 20
    dead = trace[:, :, NONE, weeks, I.DEAD]
    risks = res.natural_history["risks"]
    np.testing.assert_allclose(dead[:, HIGH], risks["high"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(dead[:, MODERATE], risks["moderate"], atol=1e-6, rtol=0)
    # and those targets are the source's risks carried to Bangladesh, worked independently here
    ok = ~res.natural_history["clipped"]
    assert ok.mean() > 0.8
    r_all = (0.1509 * p["mortality_untreated_high"] + 0.2413 * p["mortality_untreated_moderate"]
             + (1 - 0.1509 - 0.2413) * p["mortality_not_at_risk"])
    f = p["share_postneonatal_hazard_in_horizon"] * np.log(1 - p["pnmr"] / 1000) / np.log(1 - r_all)
    np.testing.assert_allclose(dead[ok, HIGH], 1 - (1 - p["mortality_untreated_high"][ok]) ** f[ok], atol=1e-6)
    np.testing.assert_allclose(dead[ok, MODERATE], 1 - (1 - p["mortality_untreated_moderate"][ok]) ** f[ok],
                               atol=1e-6)


def test_recovered_and_defaulted_cohorts_reproduce_their_inputs(bgd):
    p = bgd.sample(200, seed=22, names=I.REQUIRED)
    h = N.hazards(p, strict=False)
    ok = ~h["clipped"]
    t = I.transition_matrix(p, h)  # (samples, R, 1, K, K)
    assert ok.mean() > 0.8
    start = np.zeros((200, 2, 1, len(I.STATES)))
    start[..., I.REC] = 1.0
    res = M.simulate(start, t, 20, keep_trace=True)
    dead = res.final[..., 0, I.DEAD]
    for r in (HIGH, MODERATE):
        np.testing.assert_allclose(dead[ok, r], h["risks"]["not_at_risk"][ok], atol=1e-6, rtol=0)
    # defaulted infants return to the natural history of their class (hazard ratio 1)
    start[:] = 0.0
    start[..., I.DEF] = 1.0
    dead = M.simulate(start, t, 20).final[..., 0, I.DEAD]
    np.testing.assert_allclose(dead[:, HIGH], h["risks"]["high"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(dead[:, MODERATE], h["risks"]["moderate"], atol=1e-6, rtol=0)


def test_untreated_deaths_differ_by_country_and_rise_with_postneonatal_mortality():
    deaths = {c: I.run_set(P.load(c, "base")).summary().loc["no programme", "deaths"] for c in ("BGD", "PAK", "NGA")}
    pnmr = {c: P.load(c, "base")["pnmr"].value for c in deaths}
    order = sorted(deaths, key=pnmr.get)
    assert [deaths[c] for c in order] == sorted(deaths.values())
    assert len({round(v, 6) for v in deaths.values()}) == 3


# ------------------------------------------------------------------ invariants and properties
def test_transition_rows_sum_to_one_for_psa_draws(bgd):
    p = bgd.sample(2000, seed=3, names=I.REQUIRED)
    for ends in (False, True):
        t = I.transition_matrix(p, mami_ends=ends)
        assert t.shape == (2000, 2, 1, 8, 8)
        np.testing.assert_allclose(t.sum(-1), 1.0, atol=1e-12)
        assert (t >= 0).all() and (t <= 1).all()
        M.check_transitions(np.broadcast_to(t, (2000, 2, 3, 8, 8)), 0, I.STATES, I.STRATEGIES)


def test_cohort_mass_is_conserved_per_draw(bgd):
    p = bgd.sample(100, seed=4, names=I.REQUIRED)
    res = I.run(p, bgd.settings, keep_trace=True)
    trace = res.natural_history["trace"]  # (groups, samples, R, S, T+1, K)
    np.testing.assert_allclose(trace.sum(-1), 1.0, atol=1e-12)
    assert trace.min() >= 0


def test_zero_uptake_is_exactly_no_programme(bgd):
    p = bgd.sample(50, seed=5, names=I.REQUIRED)
    p.update(uptake_inpatient=np.zeros(50), uptake_mami=np.zeros(50))
    r = I.run(p, bgd.settings.model_copy(update={"perspective": "societal"}))
    for k, v in r.outcomes.items():
        np.testing.assert_array_equal(v[:, INPATIENT], v[:, NONE], err_msg=k)
        np.testing.assert_array_equal(v[:, MAMI], v[:, NONE], err_msg=k)
    assert np.all(r.outcomes["cost"][:, NONE] == 0)


def _care_no_worse(p, rng):
    """Random valid inputs under which care cannot harm: death hazards in care at most the
    untreated ones, and recovery in MAMI at least as fast as without care; draws in which
    recovering would raise the hazard (recovered above at-risk, possible when a sampled relative
    risk is near 1) are set aside."""
    h = N.hazards(p, strict=False)
    keep = h["mu_recovered"] <= h["mu_at_risk"].min(axis=-1)
    assert keep.mean() > 0.8
    p = {k: v[keep] for k, v in p.items()}
    n = len(p["pnmr"])
    p["hr_death_inpatient"] = rng.uniform(0.0, 1.0, n)
    p["hr_death_mami"] = rng.uniform(0.0, 1.0, n)
    recovery = np.log(2) / p["recovery_untreated_median_weeks"]
    fastest = p["p_recovered_mami"] / recovery  # active phase short enough to recover at least as fast
    p["mami_treatment_weeks"] = rng.uniform(0.2, 1.0, n) * fastest
    return p


def test_care_averts_deaths_whenever_its_hazards_are_lower(bgd):
    rng = np.random.default_rng(7)
    for country in ("BGD", "NGA"):
        ps = P.load(country, "base")
        p = _care_no_worse(ps.sample(400, seed=int(rng.integers(1 << 30)), names=I.REQUIRED), rng)
        n = len(p["pnmr"])
        p["uptake_inpatient"] = rng.uniform(0, 1, n)
        p["uptake_mami"] = rng.uniform(0, 1, n)
        r = I.run(p, ps.settings)
        d = r.by_risk["deaths"]
        assert np.all(d[..., INPATIENT] <= d[..., NONE] + 1e-15)
        assert np.all(d[..., MAMI] <= d[..., NONE] + 1e-15)
        assert np.mean(d[..., INPATIENT] < d[..., NONE] - 1e-9) > 0.9
    # ... and the model is not rigged: care that triples the death hazard and speeds no recovery
    p = _base(bgd, hr_death_inpatient=3.0, uptake_inpatient=1.0, p_recovered_inpatient_discharge=0.0)
    d = I.run(p, bgd.settings).outcomes["deaths"]
    assert d[INPATIENT] > d[NONE]


def test_deaths_fall_monotonically_as_uptake_rises(bgd):
    rng = np.random.default_rng(8)
    p = _care_no_worse(bgd.sample(60, seed=9, names=I.REQUIRED), rng)
    grid = np.linspace(0, 1, 11)
    n = len(p["pnmr"])
    q = {k: np.repeat(v[:, None], 11, axis=1) for k, v in p.items()}
    for key in ("uptake_inpatient", "uptake_mami"):
        q2 = dict(q)
        q2[key] = np.broadcast_to(grid, (n, 11)).copy()
        d = I.run(q2, bgd.settings).outcomes["deaths"]  # (n, 11, S)
        arm = INPATIENT if key == "uptake_inpatient" else MAMI
        assert np.all(np.diff(d[..., arm], axis=1) <= 1e-15)
        assert np.all(np.diff(d[..., arm], axis=1).sum(axis=1) < 0)


# ------------------------------------------------------------------ known answers worked by hand
def _no_recovery(ps, **over):
    """Untreated infants never recover and never relapse: survival (1 - r) ** (t / 20)."""
    return _base(ps, recovery_untreated_median_weeks=1e12, relapse_3m=0.0, **over)


@pytest.mark.parametrize("age", [4, 5])  # horizons of both parities (48 and 47 weeks)
def test_known_answer_untreated_survival_and_deaths(bgd, age):
    p = _no_recovery(bgd)
    r_country = N.country_risks(p)
    res = I.run(p, _one_group(bgd.settings, age), keep_trace=True)
    alive = 1 - res.natural_history["trace"][0][:, NONE, :, I.DEAD]  # (R, T+1)
    weeks = np.arange(52 - age + 1)  # followed to 1 year of age
    for r, name in ((HIGH, "high"), (MODERATE, "moderate")):
        np.testing.assert_allclose(alive[r], (1 - r_country[name]) ** (weeks / 20), rtol=1e-9)
        by_1y = 1 - (1 - r_country[name]) ** ((52 - age) / 20)
        by_6m = 1 - (1 - r_country[name]) ** ((26 - age) / 20)
        assert res.by_risk["deaths"][r, NONE] == pytest.approx(by_1y, rel=1e-9)
        assert res.by_risk["deaths_by_6m"][r, NONE] == pytest.approx(by_6m, rel=1e-9)


def test_known_answer_two_enrolment_ages_each_to_its_own_horizon(bgd):
    """Groups enrolled at 4 and 5 weeks share one run; each is followed to 52 weeks only."""
    p = _no_recovery(bgd)
    r = N.country_risks(p)["high"]
    two = bgd.settings.model_copy(update={"enrolment_ages_weeks": (4, 5), "enrolment_age_weights": (0.25, 0.75)})
    res = I.run(p, two)
    expected = 0.25 * (1 - (1 - r) ** (48 / 20)) + 0.75 * (1 - (1 - r) ** (47 / 20))
    assert res.by_risk["deaths"][HIGH, NONE] == pytest.approx(expected, rel=1e-9)
    by_6m = 0.25 * (1 - (1 - r) ** (22 / 20)) + 0.75 * (1 - (1 - r) ** (21 / 20))
    assert res.by_risk["deaths_by_6m"][HIGH, NONE] == pytest.approx(by_6m, rel=1e-9)


def test_known_answer_inpatient_episode_outcomes(bgd):
    """One admission, no deaths in hospital, no spontaneous recovery: a share (1 - default) x
    recovered of the infants leave hospital recovered."""
    p = _no_recovery(bgd, p_high_risk=1.0, uptake_inpatient=1.0, hr_death_inpatient=0.0)
    res = I.run(p, _one_group(bgd.settings, 4))
    d, rec = _converted(bgd, "p_default_inpatient"), _converted(bgd, "p_recovered_inpatient_discharge")
    assert res.by_risk["recoveries"][HIGH, INPATIENT] == pytest.approx((1 - d) * rec, rel=1e-9)
    assert res.by_risk["recoveries"][HIGH, NONE] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("age", [4, 5])
def test_known_answer_yll_discounted_from_enrolment(bgd, age):
    rate = 0.03
    p = _no_recovery(bgd, discount_rate_effects=rate)
    r = N.country_risks(p)["high"]
    res = I.run(p, _one_group(bgd.settings, age))
    table = LifeTable.from_csv()
    yll = 0.0
    for t in range(I.HORIZON_WEEKS - age):  # deaths in week t, at age (age + t + 0.5) weeks
        died = (1 - r) ** (t / 20) - (1 - r) ** ((t + 1) / 20)
        e = float(table.remaining((age + t + 0.5) * WEEK))
        yll += died * (1 - np.exp(-rate * e)) / rate * (1 + rate) ** (-(t + 1) * WEEK)
    assert res.by_risk["yll"][HIGH, NONE] == pytest.approx(yll, rel=1e-9)


def test_known_answer_inpatient_episode_costs(bgd):
    ps = bgd
    p = _base(ps, p_high_risk=1.0, uptake_inpatient=1.0, hr_death_inpatient=0.0, p_default_inpatient=0.0)
    res = I.run(p, ps.settings.model_copy(update={"perspective": "societal"}))
    los, bed, drugs = (_converted(ps, k) for k in ("los_inpatient_days", "cost_bed_day",
                                                   "inpatient_feeding_drugs_per_day"))
    episode = los * (bed + drugs)
    household = _converted(ps, "household_cost_inpatient_episode")
    s = res.summary()
    for arm in ("inpatient", "MAMI"):  # high-risk infants are referred for admission in both arms
        assert s.loc[arm, "admissions"] == pytest.approx(1.0, rel=1e-12)
        assert s.loc[arm, "cost_provider"] == pytest.approx(episode, rel=1e-12)
        assert s.loc[arm, "cost_household"] == pytest.approx(household, rel=1e-12)
        assert s.loc[arm, "cost"] == pytest.approx(episode + household, rel=1e-12)
    assert s.loc["no programme", ["cost", "admissions", "mami_enrolments"]].abs().sum() == 0


@pytest.mark.parametrize("age", [4, 5])
@pytest.mark.parametrize("rate", [0.0, 0.03])
def test_known_answer_mami_costs(bgd, age, rate):
    """Moderate-risk pairs who all enrol, never leave and never die: enrolled for exactly
    26 - age weeks, one visit at the start of each."""
    ps = bgd
    p = _base(ps, p_high_risk=0.0, uptake_mami=1.0, hr_death_mami=0.0, mami_treatment_weeks=1e12,
              p_referral_mami=0.0, discount_rate_costs=rate)
    res = I.run(p, _one_group(ps.settings, age, perspective="societal"))
    visit, per_week, setup = (_converted(ps, k) for k in ("cost_outpatient_visit", "mami_visits_per_week",
                                                          "mami_setup_cost_per_pair"))
    weeks = np.arange(I.MAMI_END_WEEKS - age)
    visits = per_week * visit * np.sum((1 + rate) ** (-weeks * WEEK))
    household = _converted(ps, "household_cost_ratio_community") * _converted(ps, "household_cost_inpatient_episode")
    s = res.by_risk
    assert s["cost_provider"][MODERATE, MAMI] == pytest.approx(setup + visits, rel=1e-10)
    assert s["cost_household"][MODERATE, MAMI] == pytest.approx(household, rel=1e-12)
    assert s["mami_enrolments"][MODERATE, MAMI] == 1.0
    assert s["admissions"][MODERATE, MAMI] == 0.0


def test_household_costs_belong_to_their_own_arm(bgd):
    p = _base(bgd, discount_rate_costs=0.0)
    res = I.run(p, bgd.settings.model_copy(update={"perspective": "societal"}))
    hh = _converted(bgd, "household_cost_inpatient_episode")
    ratio = _converted(bgd, "household_cost_ratio_community")
    b = res.by_risk
    for r in (HIGH, MODERATE):
        assert b["cost_household"][r, NONE] == 0.0
        assert b["cost_household"][r, INPATIENT] == pytest.approx(b["admissions"][r, INPATIENT] * hh, rel=1e-12)
        assert b["cost_household"][r, MAMI] == pytest.approx(
            b["admissions"][r, MAMI] * hh + b["mami_enrolments"][r, MAMI] * ratio * hh, rel=1e-12)


# ------------------------------------------------------------------ structure and behaviour
def test_no_moderate_risk_infants_means_no_difference_between_care_arms(bgd):
    s = I.run(_base(bgd, p_high_risk=1.0), bgd.settings).summary()
    np.testing.assert_allclose((s.loc["MAMI"] - s.loc["inpatient"]).to_numpy(), 0.0, atol=1e-12)


def test_care_arms_differ_only_through_moderate_risk_infants(bgd):
    r = I.run_set(bgd)
    for k in I.OUTCOMES:
        np.testing.assert_allclose(r.by_risk[k][..., HIGH, INPATIENT], r.by_risk[k][..., HIGH, MAMI], atol=1e-12)


def test_outcomes_are_plausible(bgd):
    s = I.run_set(bgd).summary()
    assert ((s["deaths"] > 0) & (s["deaths"] < 1)).all()
    assert (s["deaths_by_6m"] < s["deaths"]).all() and (s["dalys"] > 0).all()
    assert s.loc["inpatient", "mami_enrolments"] == 0
    assert s.loc["inpatient", "admissions"] == pytest.approx(bgd["uptake_inpatient"].value)
    # an inpatient episode costs a few hundred US$ at most, well above the bed-days alone
    episode = s.loc["inpatient", "cost_provider"] / s.loc["inpatient", "admissions"]
    assert 80 < episode < 400


def test_more_deadly_community_care_costs_lives(bgd):
    hr = np.linspace(0.0, 3.0, 11)
    r = I.run(_base(bgd, hr_death_mami=hr), bgd.settings)
    deaths = r.outcomes["deaths"]
    assert np.all(np.diff(deaths[:, MAMI]) > 0)
    np.testing.assert_allclose(deaths[:, INPATIENT], deaths[0, INPATIENT])  # no MAMI care in that arm


def test_dearer_bed_days_raise_the_inpatient_arm_more(bgd):
    r = I.run(_base(bgd, cost_bed_day=np.array([1.0, 5.0, 20.0])), bgd.settings)
    c = r.outcomes["cost"]
    assert np.all(np.diff(c[:, INPATIENT]) > 0)
    assert np.all(np.diff(c[:, INPATIENT]) > np.diff(c[:, MAMI]))
    np.testing.assert_allclose(c[:, NONE], 0.0)


def test_dalys_are_yll_plus_yld_and_yll_follows_deaths(bgd):
    s = I.run_set(bgd).summary()
    np.testing.assert_allclose(s["dalys"], s["yll"] + s["yld"])
    undiscounted = I.run(_base(bgd, discount_rate_effects=0.0), bgd.settings).summary()
    # an infant death costs ~88 undiscounted years and ~31 discounted at 3% (GBD 2019 table)
    ratio = undiscounted.loc["no programme", "yll"] / undiscounted.loc["no programme", "deaths"]
    assert ratio == pytest.approx(88.3, abs=0.6)
    assert s.loc["no programme", "yll"] / s.loc["no programme", "deaths"] == pytest.approx(31.0, abs=0.3)


def test_household_costs_only_in_the_societal_perspective(bgd):
    provider = I.run_set(bgd).summary()
    societal = I.run(bgd.base(), bgd.settings.model_copy(update={"perspective": "societal"})).summary()
    np.testing.assert_allclose(provider["cost"], provider["cost_provider"])
    np.testing.assert_allclose(societal["cost"], societal["cost_provider"] + societal["cost_household"])
    assert (societal.loc[["inpatient", "MAMI"], "cost_household"] > 0).all()


def test_within_cycle_correction_is_a_visible_choice(bgd):
    results = {c: I.run(bgd.base(), bgd.settings.model_copy(update={"infant_correction": c}))
               for c in ("none", "half-cycle")}
    assert {c: r.correction for c, r in results.items()} == {c: c for c in results}
    yld = [results[c].summary().loc["no programme", "yld"] for c in results]
    assert yld[0] > yld[1]  # "none" counts the first and last points fully


def test_later_enrolment_means_less_time_at_risk(bgd):
    early = I.run(bgd.base(), _one_group(bgd.settings, 2)).summary()
    late = I.run(bgd.base(), _one_group(bgd.settings, 22)).summary()
    assert (late["weeks_at_risk"] < early["weeks_at_risk"]).all()
    assert (late["yld"] < early["yld"]).all()


def test_vectorised_run_equals_one_sample_at_a_time(bgd):
    draws = bgd.sample(25, seed=6, names=I.REQUIRED)
    whole = I.run(draws, bgd.settings)
    for i in range(0, 25, 6):
        one = I.run({k: v[i] for k, v in draws.items()}, bgd.settings, strict=False)
        for k in I.OUTCOMES:
            np.testing.assert_allclose(whole.outcomes[k][i], one.outcomes[k], rtol=1e-12, atol=1e-15)


def test_psa_is_reproducible_and_chunk_invariant(bgd):
    a = I.run_set(bgd, draws=600, seed=8).outcomes["dalys"]
    first = I.run(bgd.sample(250, seed=8, names=I.REQUIRED), bgd.settings).outcomes["dalys"]
    rest = I.run(bgd.sample(350, seed=8, start=250, names=I.REQUIRED), bgd.settings).outcomes["dalys"]
    np.testing.assert_array_equal(np.concatenate([first, rest]), a)


def test_national_scaling(bgd):
    r = I.run_set(bgd)
    n = bgd["live_births"].value * bgd["p_at_risk_u6m"].value * bgd["p_identified"].value
    np.testing.assert_allclose(r.national()["cost"], r.summary()["cost"] * n)


def test_survival_curves_by_class_and_strategy(bgd):
    df = I.survival(bgd.base(), bgd.settings, enrolment_age_weeks=4)
    assert set(df["strategy"]) == set(I.STRATEGIES) and set(df["risk"]) == set(I.RISKS)
    assert df["age_weeks"].min() == 4 and df["age_weeks"].max() == I.HORIZON_WEEKS
    for (_, _), g in df.groupby(["risk", "strategy"]):
        assert np.all(np.diff(g.sort_values("age_weeks")["alive"]) <= 1e-15)


def test_bad_settings_fail_clearly():
    with pytest.raises(ValueError, match="enrolment_age_weights must be non-negative and sum to 1"):
        P.Settings(enrolment_ages_weeks=(4, 12), enrolment_age_weights=(0.5, 0.6))
    with pytest.raises(ValueError, match=r"enrolment ages must lie in \[0, 26\)"):
        P.Settings(enrolment_ages_weeks=(30,), enrolment_age_weights=(1.0,))


def test_large_samples_run_in_chunks_with_identical_numbers(bgd, monkeypatch):
    draws = bgd.sample(250, seed=12, names=I.REQUIRED)
    whole = I.run(draws, bgd.settings)
    monkeypatch.setattr(I, "CHUNK", 60)  # 250 draws in chunks of 60, 60, 60, 60, 10
    chunked = I.run(draws, bgd.settings)
    for k in I.OUTCOMES:
        np.testing.assert_array_equal(chunked.outcomes[k], whole.outcomes[k])
        np.testing.assert_array_equal(chunked.by_risk[k], whole.by_risk[k])
    np.testing.assert_array_equal(chunked.population, whole.population)
    np.testing.assert_array_equal(chunked.natural_history["mu_at_risk"], whole.natural_history["mu_at_risk"])
    np.testing.assert_array_equal(chunked.natural_history["risks"]["high"], whole.natural_history["risks"]["high"])
