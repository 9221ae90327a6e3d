"""Untreated natural history: country risks worked by hand, calibration, inconsistent draws."""

from __future__ import annotations

import numpy as np
import pytest

from model import natural_history as N


def _source(**over):
    p = {"mortality_untreated_high": 40 / 561, "mortality_untreated_moderate": 7 / 897,
         "mortality_not_at_risk": 10 / 2260, "source_share_severe_underweight": 561 / 3718,
         "source_share_moderate_underweight": 897 / 3718, "share_postneonatal_hazard_in_horizon": 0.52,
         "natural_history_horizon_weeks": 20, "recovery_untreated_median_weeks": 9.8, "relapse_3m": 0.071,
         "pnmr": 6.54}
    p.update(over)
    return {k: np.asarray(v, dtype=float) for k, v in p.items()}


def test_the_source_cohort_mix_is_its_all_infant_risk():
    # Vesel 2010 India: 57 of 3,718 infants died between about 6 weeks and 6 months
    assert N.source_all_infant_risk(_source()) == pytest.approx(57 / 3718, rel=1e-12)


def test_a_country_like_the_source_gets_the_source_risks_back():
    # pnmr chosen by hand so that 0.52 x the post-neonatal cumulative hazard equals the source's
    pnmr = 1000 * (1 - (1 - 57 / 3718) ** (1 / 0.52))
    r = N.country_risks(_source(pnmr=pnmr))
    assert r["high"] == pytest.approx(40 / 561, rel=1e-12)
    assert r["moderate"] == pytest.approx(7 / 897, rel=1e-12)
    assert r["not_at_risk"] == pytest.approx(10 / 2260, rel=1e-12)


def test_country_risks_worked_by_hand_for_bangladesh():
    f = 0.52 * -np.log(1 - 6.54 / 1000) / -np.log(1 - 57 / 3718)
    r = N.country_risks(_source())
    assert r["high"] == pytest.approx(1 - (1 - 40 / 561) ** f, rel=1e-12)
    assert r["moderate"] == pytest.approx(1 - (1 - 7 / 897) ** f, rel=1e-12)
    assert r["not_at_risk"] == pytest.approx(1 - (1 - 10 / 2260) ** f, rel=1e-12)
    # higher post-neonatal mortality, higher risk in every group
    more = N.country_risks(_source(pnmr=30.0))
    assert all(more[k] > r[k] for k in r)


def test_weekly_competing_probabilities_by_hand():
    w = N.weekly({1: np.asarray(0.2), 2: np.asarray(0.05)})
    assert w[1] == pytest.approx(0.8 * (1 - np.exp(-0.25)), rel=1e-14)
    assert w[2] == pytest.approx(0.2 * (1 - np.exp(-0.25)), rel=1e-14)
    assert N.weekly({1: np.asarray(0.0)})[1] == 0.0


def _simulate(mu_a, mu_r, recovery, relapse, weeks, start):
    """Plain weekly loop over the two-state chain, written out independently."""
    at_risk, recovered = (1.0, 0.0) if start == "at risk" else (0.0, 1.0)
    for _ in range(weeks):
        ta, tr = mu_a + recovery, mu_r + relapse
        da, ra = mu_a / ta * (1 - np.exp(-ta)), recovery / ta * (1 - np.exp(-ta))
        dr, lr = mu_r / tr * (1 - np.exp(-tr)), relapse / tr * (1 - np.exp(-tr))
        at_risk, recovered = at_risk * (1 - da - ra) + recovered * lr, recovered * (1 - dr - lr) + at_risk * ra
    return 1 - at_risk - recovered


def test_the_closed_form_matrix_power_equals_a_plain_loop():
    for mu_a, mu_r, rec, rel, weeks in ((0.003, 0.0001, 0.07, 0.005, 20), (0.02, 0.001, 0.3, 0.03, 7),
                                        (0.001, 0.001, 1e-9, 0.0, 31)):
        fa, fr = N.cumulative_mortality(np.asarray(mu_a), np.asarray(mu_r), np.asarray(rec), np.asarray(rel), weeks)
        assert fa == pytest.approx(_simulate(mu_a, mu_r, rec, rel, weeks, "at risk"), rel=1e-10)
        assert fr == pytest.approx(_simulate(mu_a, mu_r, rec, rel, weeks, "recovered"), rel=1e-10)


def test_calibrated_hazards_reproduce_every_target_over_psa_draws(bgd):
    from model import infant

    p = bgd.sample(2000, seed=11, names=infant.REQUIRED)
    h = N.hazards(p, strict=False)
    ok = ~h["clipped"]
    assert ok.mean() > 0.8  # about 14% of BGD draws have a sampled moderate-risk ratio below 1
    rec, rel = h["recovery"][ok], h["relapse"][ok]
    mu_h, mu_m, mu_r = h["mu_at_risk"][ok, 0], h["mu_at_risk"][ok, 1], h["mu_recovered"][ok]
    risks = {k: v[ok] for k, v in h["risks"].items()}
    for i in range(0, ok.sum(), 97):
        assert _simulate(mu_m[i], mu_r[i], rec[i], rel[i], 20, "at risk") == pytest.approx(risks["moderate"][i],
                                                                                           abs=1e-12)
        assert _simulate(mu_m[i], mu_r[i], rec[i], rel[i], 20, "recovered") == pytest.approx(
            risks["not_at_risk"][i], abs=1e-12)
    # the high-risk class recovers into the same recovered/relapsed chain (relapse at the moderate hazard)
    s = N.survival_after_recovery(mu_r, mu_m, rec, rel, 20)
    t = np.arange(20)
    a_tot = mu_h + rec
    stay, recover = np.exp(-a_tot), rec / a_tot * (1 - np.exp(-a_tot))
    survive = stay ** 20 + recover * np.sum(stay[None, :] ** t[:, None] * s[19 - t], axis=0)
    np.testing.assert_allclose(1 - survive, risks["high"], atol=1e-12)


def test_inconsistent_draws_are_adjusted_and_counted():
    # the moderate class dying less than infants not at risk: raised to their risk, and counted
    p = _source(mortality_untreated_moderate=0.001, mortality_not_at_risk=0.01)
    h = N.hazards(p, strict=True)
    assert bool(h["clipped"])
    assert h["risks"]["moderate"] == pytest.approx(h["risks"]["not_at_risk"])
    assert np.isfinite(h["mu_at_risk"]).all()
    # recovered infants who relapse would die more than the not-at-risk target allows: no solution
    p = _source(relapse_3m=0.6, mortality_not_at_risk=0.0003, mortality_untreated_moderate=0.01)
    with pytest.raises(N.CalibrationError, match="no positive weekly hazards reproduce"):
        N.hazards(p, strict=True)
    h = N.hazards(p, strict=False)
    assert bool(h["clipped"]) and h["mu_recovered"] == 0.0
    fa, _ = N.cumulative_mortality(h["mu_relapsed"], 0.0, h["recovery"], h["relapse"], 20)
    assert fa == pytest.approx(h["risks"]["moderate"], abs=1e-12)
    # consistent inputs are not touched
    assert not N.hazards(_source(), strict=True)["clipped"]


def test_a_fractional_horizon_is_refused():
    with pytest.raises(N.CalibrationError, match="whole number of weeks"):
        N.hazards(_source(natural_history_horizon_weeks=20.5))
