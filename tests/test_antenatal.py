"""The antenatal model: calibration to country data, known answers, monotonicity, vectorisation."""

from __future__ import annotations

import numpy as np
import pytest

from model import antenatal as A
from model import parameters as P
from model.dalys import LifeTable, discounted_years

UNITS = P.units()


def _base(ps, **over):
    p = ps.base()
    p.update({k: np.asarray(v, dtype=float) for k, v in over.items()})
    return p


def _at(ps, dose: int):
    """The settings with the IFA comparator fixed at ``dose`` mg."""
    return ps.settings.model_copy(update={"comparator_iron_mg": dose})


def _null_effects(ps):
    """All MMS relative risks 1 and MMS priced like IFA of either dose, no transition cost."""
    return _base(ps, rr_lbw_mms=1, rr_sga_mms=1, rr_preterm_mms=1, rr_stillbirth_mms=1,
                 rr_nmr_mms_vs_ifa30=1, rr_nmr_mms_vs_ifa60=1, price_mms_180=2.0, price_ifa30_180=2.0,
                 price_ifa60_180=2.0, transition_cost_per_woman=0)


@pytest.mark.parametrize("unit", UNITS)
def test_status_quo_reproduces_the_country(unit):
    ps = P.load(unit, "base")
    s = A.run_set(ps).summary()
    sq = s.loc[A.STATUS_QUO]
    assert sq["stillbirths"] * 1000 == pytest.approx(ps["sbr"].value, rel=1e-9)
    assert sq["neonatal_deaths"] / sq["live_births"] * 1000 == pytest.approx(ps["nmr"].value, rel=1e-9)
    nmr, pnmr = ps["nmr"].value / 1000, ps["pnmr"].value / 1000
    assert sq["postneonatal_deaths"] / (sq["live_births"] - sq["neonatal_deaths"]) * 1000 == pytest.approx(
        ps["pnmr"].value, rel=1e-9)
    assert sq["infant_deaths"] / sq["live_births"] == pytest.approx(nmr + (1 - nmr) * pnmr, rel=1e-9)
    # UN IGME's IMR, NMR and PNMR are separate medians, each rounded to 2 decimals
    assert sq["infant_deaths"] / sq["live_births"] * 1000 == pytest.approx(ps["imr"].value, abs=0.02)
    assert sq["lbw_births"] / sq["live_births"] * 100 == pytest.approx(ps["lbw_prevalence"].value, rel=1e-9)
    assert sq["preterm_births"] / sq["live_births"] * 100 == pytest.approx(
        ps["preterm_prevalence"].value, rel=1e-9)


def test_every_pregnancy_ends_in_one_birth(bgd):
    s = A.run_set(bgd).summary()
    np.testing.assert_allclose(s["live_births"] + s["stillbirths"], 1.0, atol=1e-12)
    assert (s["lbw_births"] <= s["live_births"]).all()
    assert (s["infant_deaths"] <= s["live_births"]).all()


def test_null_effects_and_equal_costs_give_zero_increments(bgd):
    s = A.run(_null_effects(bgd), bgd.settings).summary()
    diff = s.loc["MMS"] - s.loc["IFA"]
    np.testing.assert_allclose(diff.to_numpy(), 0.0, atol=1e-12)


def test_full_adherence_reproduces_each_trial_effect(bgd):
    """Everyone adherent: MMS vs IFA ratios equal the trial RRs (LBW and NMR by calibration)."""
    s = A.run(_base(bgd, ifa_adherence_90d=100.0), _at(bgd, 30)).summary()
    mms, ifa = s.loc["MMS"], s.loc["IFA"]
    assert mms["stillbirths"] / ifa["stillbirths"] == pytest.approx(bgd["rr_stillbirth_mms"].value)
    assert (mms["preterm_births"] / mms["live_births"]) / (ifa["preterm_births"] / ifa["live_births"]) \
        == pytest.approx(bgd["rr_preterm_mms"].value)
    assert (mms["lbw_births"] / mms["live_births"]) / (ifa["lbw_births"] / ifa["live_births"]) \
        == pytest.approx(bgd["rr_lbw_mms"].value)
    assert (mms["neonatal_deaths"] / mms["live_births"]) / (ifa["neonatal_deaths"] / ifa["live_births"]) \
        == pytest.approx(bgd["rr_nmr_mms_vs_ifa30"].value)


def test_mediated_mode_drops_the_residual_neonatal_effect(bgd):
    settings = _at(bgd, 30).model_copy(update={"neonatal_effect": "mediated"})
    r = A.run(_base(bgd, ifa_adherence_90d=100.0), settings)
    assert float(r.derived["residual_nmr_mms"]) == 1.0
    s = r.summary()
    ratio = (s.loc["MMS", "neonatal_deaths"] / s.loc["MMS", "live_births"]) / (
        s.loc["IFA", "neonatal_deaths"] / s.loc["IFA", "live_births"])
    assert ratio != pytest.approx(bgd["rr_nmr_mms_vs_ifa30"].value, abs=1e-4)
    assert ratio < 1  # fewer preterm and SGA babies still lower neonatal deaths


def test_iron_dose_switches_the_neonatal_effect_and_the_price(bgd):
    s30 = A.run(_base(bgd, ifa_adherence_90d=100.0), _at(bgd, 30)).summary()
    s60 = A.run(_base(bgd, ifa_adherence_90d=100.0), _at(bgd, 60)).summary()
    assert s60.loc["MMS", "neonatal_deaths"] > s60.loc["IFA", "neonatal_deaths"]  # RR 1.12
    assert s30.loc["MMS", "neonatal_deaths"] < s30.loc["IFA", "neonatal_deaths"]  # RR 0.95
    assert s60.loc["IFA", "cost_provider"] > s30.loc["IFA", "cost_provider"]      # 60 mg costs more


def test_adherence_scales_the_effect(bgd):
    low = A.run(_base(bgd, ifa_adherence_90d=10.0), bgd.settings).summary()
    high = A.run(_base(bgd, ifa_adherence_90d=90.0), bgd.settings).summary()
    gain = lambda s: s.loc["IFA", "lbw_births"] - s.loc["MMS", "lbw_births"]  # noqa: E731
    assert gain(high) > gain(low) > 0


def test_adherence_support_does_nothing_when_adherence_does_not_matter(bgd):
    s = A.run(_base(bgd, effect_fraction_low_adherence=1.0), bgd.settings).summary()
    for outcome in ("dalys", "lbw_births", "stillbirths", "infant_deaths"):
        assert s.loc["MMS+AS", outcome] == pytest.approx(s.loc["MMS", outcome], rel=1e-12)
    assert s.loc["MMS+AS", "cost_provider"] - s.loc["MMS", "cost_provider"] == pytest.approx(
        bgd["adherence_support_cost_per_woman"].value, rel=0.02)  # minus tiny care-cost offsets


def test_supplement_costs_by_hand(bgd):
    p = _base(bgd, p_admission_small_newborn=0.0)
    s = A.run(p, bgd.settings).summary()
    tablets = 180 * (1 + bgd["supplement_wastage"].value)
    assert bgd["antenatal_iron_dose_mg"].value == 60  # Bangladesh's national dose
    ifa = tablets * bgd["price_ifa60_180"].value / 180 + bgd["delivery_cost_per_woman"].value
    mms = tablets * bgd["price_mms_180"].value / 180 + bgd["delivery_cost_per_woman"].value
    assert s.loc["IFA", "cost_provider"] == pytest.approx(ifa)
    assert s.loc["MMS", "cost_provider"] == pytest.approx(mms)
    assert (s["cost_household"] == 0).all()


def test_dalys_are_deaths_times_discounted_yll(bgd):
    s = A.run_set(bgd).summary()
    lt, r = LifeTable.from_csv(), 0.03
    y_n = discounted_years(lt.remaining(0.02), r) * np.exp(-r * 0.02)
    y_pn = discounted_years(lt.remaining(0.3), r) * np.exp(-r * 0.3)
    np.testing.assert_allclose(s["dalys"], s["neonatal_deaths"] * y_n + s["postneonatal_deaths"] * y_pn)


def test_stillbirths_in_dalys_scenario(bgd):
    base = A.run_set(bgd).summary()
    sb = A.run(bgd.base(), bgd.settings.model_copy(update={"stillbirths_in_dalys": True})).summary()
    yll0 = discounted_years(LifeTable.from_csv().remaining(0.0), 0.03)
    np.testing.assert_allclose(sb["dalys"] - base["dalys"], base["stillbirths"] * yll0)


def test_societal_perspective_adds_household_costs(bgd):
    s = A.run(bgd.base(), bgd.settings.model_copy(update={"perspective": "societal"})).summary()
    np.testing.assert_allclose(s["cost"], s["cost_provider"] + s["cost_household"])
    assert (s["cost_household"] > 0).all()


def test_higher_mms_price_never_lowers_its_icer(bgd):
    prices = np.linspace(1.0, 12.0, 40)
    r = A.run(_base(bgd, price_mms_180=prices), _at(bgd, 30), strict=True)
    cost, dalys = r.outcomes["cost"], r.outcomes["dalys"]
    icer = (cost[:, 1] - cost[:, 0]) / (dalys[:, 0] - dalys[:, 1])
    assert np.all(dalys[:, 0] > dalys[:, 1])
    assert np.all(np.diff(icer) > 0)


def test_a_less_effective_mms_prevents_less(bgd):
    rr = np.linspace(0.8, 1.0, 21)
    r = A.run(_base(bgd, rr_preterm_mms=rr), bgd.settings, strict=True)
    preterm_mms = r.outcomes["preterm_births"][:, 1]
    assert np.all(np.diff(preterm_mms) > 0)
    assert np.all(np.diff(r.outcomes["dalys"][:, 1]) > 0)


def test_vectorised_run_equals_one_sample_at_a_time(bgd):
    draws = bgd.sample(40, seed=5)
    whole = A.run(draws, bgd.settings, strict=False)
    for i in range(0, 40, 7):
        one = A.run({k: v[i] for k, v in draws.items()}, bgd.settings, strict=False)
        for k in A.OUTCOMES:
            np.testing.assert_allclose(whole.outcomes[k][i], one.outcomes[k], rtol=1e-12)


def test_psa_is_reproducible_and_chunk_invariant(bgd):
    a = A.run_set(bgd, draws=3000, seed=11).outcomes["dalys"]
    b = A.run_set(bgd, draws=3000, seed=11).outcomes["dalys"]
    np.testing.assert_array_equal(a, b)
    first = A.run(bgd.sample(1000, seed=11, start=0), bgd.settings, strict=False).outcomes["dalys"]
    rest = A.run(bgd.sample(2000, seed=11, start=1000), bgd.settings, strict=False).outcomes["dalys"]
    np.testing.assert_array_equal(np.concatenate([first, rest]), a)


def test_inconsistent_country_inputs_fail_clearly_in_the_base_case(bgd):
    with pytest.raises(A.CalibrationError, match="no-supplement SGA prevalence.*LBW prevalence cannot"):
        A.run(_base(bgd, lbw_prevalence=80.0), bgd.settings)


def test_psa_flags_clipped_samples_instead_of_failing(bgd):
    draws = bgd.sample(200, seed=2)
    draws["lbw_prevalence"] = draws["lbw_prevalence"].copy()
    draws["lbw_prevalence"][:5] = 80.0
    r = A.run(draws, bgd.settings)
    clipped = r.derived["calibration_clipped"]
    assert clipped[:5].all() and clipped.sum() < 200


def test_national_scaling(bgd):
    r = A.run_set(bgd)
    reached = bgd["live_births"].value / (1 - bgd["sbr"].value / 1000) * bgd["anc1_coverage"].value / 100
    np.testing.assert_allclose(r.national()["cost"], r.summary()["cost"] * reached)
    long = A.run_set(bgd, draws=10).long()
    assert list(long.columns[:2]) == ["sample", "strategy"] and len(long) == 40


def test_antenatal_path_probabilities_sum_to_one_per_sample(bgd):
    r = A.run_set(bgd, draws=500, seed=4)
    strat = r.tree.paths["strategy"].to_numpy()
    for s in A.STRATEGIES:
        total = sum(np.broadcast_to(r.tree.probability[i], (500,)) for i in np.flatnonzero(strat == s))
        np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_anaemia_weighting_by_hand(bgd):
    p = bgd.base()
    w = A.anaemia_weighted(p)
    share = bgd["anaemia_pregnant"].value / 100
    assert float(w["rr_lbw_mms"]) == pytest.approx(0.81 ** share * bgd["rr_lbw_mms"].value ** (1 - share))
    assert 0.81 < float(w["rr_lbw_mms"]) < bgd["rr_lbw_mms"].value


@pytest.mark.parametrize("scenario", P.scenarios())
def test_every_scenario_runs_and_keeps_the_status_quo_calibrated(scenario):
    ps = P.load("IND", scenario)
    s = A.run_set(ps).summary()
    sq = s.loc[A.STATUS_QUO]
    assert sq["neonatal_deaths"] / sq["live_births"] * 1000 == pytest.approx(ps["nmr"].value, rel=1e-9)
    assert np.isfinite(s.to_numpy()).all()


def test_anaemia_scenario_strengthens_the_lbw_effect():
    base = A.run_set(P.load("IND", "smith2017-ipd")).summary()
    anaemia = A.run_set(P.load("IND", "anaemia-weighted")).summary()
    assert anaemia.loc["MMS", "lbw_births"] < base.loc["MMS", "lbw_births"]
