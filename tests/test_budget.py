"""Budget impact over the implementation phases."""

from __future__ import annotations

import numpy as np
import pytest

from model import budget as B
from model import continuum
from model import parameters as P


def _increment(ps, strategy):
    r = continuum.run_set(ps)
    s = r.summary()
    return s.loc[strategy] - s.loc[continuum.STATUS_QUO], float(np.mean(r.pregnancies_reached))


def test_full_coverage_from_year_one_is_cohort_times_increment(bgd):
    full = B.Rollout(years=5, exploration_years=0, pilot_years=0, scale_up_years=0, target_coverage=1.0)
    t = B.budget_impact(bgd, "MMS + MAMI", full)
    inc, cohort = _increment(bgd, "MMS + MAMI")
    np.testing.assert_allclose(t["total_cost"], cohort * inc["cost"], rtol=1e-12)
    np.testing.assert_allclose(t["dalys_averted"], -cohort * inc["dalys"], rtol=1e-12)
    np.testing.assert_allclose(t["infant_deaths_averted"], -cohort * inc["infant_deaths"], rtol=1e-12)


def test_pilot_coverage_scales_it_down(bgd):
    full = B.budget_impact(bgd, "MMS + inpatient", B.Rollout(years=1, exploration_years=0, pilot_years=0,
                                                              scale_up_years=0, target_coverage=1.0))
    pilot = B.budget_impact(bgd, "MMS + inpatient", B.Rollout(years=1, exploration_years=0, pilot_years=1,
                                                               pilot_coverage=0.1))
    assert pilot["phase"].iloc[0] == "pilot"
    assert pilot["total_cost"].iloc[0] == pytest.approx(0.1 * full["total_cost"].iloc[0])
    assert pilot["lbw_births_averted"].iloc[0] == pytest.approx(0.1 * full["lbw_births_averted"].iloc[0])


def test_phases_and_ramp():
    path = B.Rollout(years=7, exploration_years=1, pilot_years=1, pilot_coverage=0.1, scale_up_years=3,
                     target_coverage=0.7).path()
    assert list(path["phase"]) == ["exploration", "pilot", "scale-up", "scale-up", "scale-up", "sustained",
                                   "sustained"]
    np.testing.assert_allclose(path["coverage"], [0, 0.1, 0.3, 0.5, 0.7, 0.7, 0.7])


def test_transition_cost_falls_once_on_newly_covered_women(bgd):
    ps = P.load("BGD", "base")
    p = ps.params["transition_cost_per_woman"].model_copy(update={"value": 2.0})
    ps2 = ps.__class__(**{**ps.__dict__, "params": {**ps.params, "transition_cost_per_woman": p}})
    full = B.Rollout(years=3, exploration_years=0, pilot_years=0, scale_up_years=0, target_coverage=1.0)
    t = B.budget_impact(ps2, "MMS + MAMI", full)
    cohort = t["pregnancies"].iloc[0]
    assert t["one_off_cost"].iloc[0] == pytest.approx(2.0 * cohort)
    assert (t["one_off_cost"].iloc[1:] == 0).all()
    assert t["recurrent_cost"].iloc[0] == pytest.approx(t["recurrent_cost"].iloc[1])
    none = B.budget_impact(ps2, "IFA + MAMI", full)
    assert (none["one_off_cost"] == 0).all()


def test_discounting_and_summary(bgd):
    t = B.budget_impact(bgd, "MMS + MAMI")
    r = bgd["discount_rate_costs"].value
    np.testing.assert_allclose(t["total_cost_discounted"], t["total_cost"] * (1 + r) ** -(t.index - 1))
    s = B.summary(t)
    assert s["total_cost"] == pytest.approx(t["total_cost"].sum())
    assert s["total_cost_exploration"] == 0.0


def test_unknown_strategy_and_bad_rollout_fail_clearly(bgd):
    with pytest.raises(KeyError, match="unknown strategy 'MMS'"):
        B.budget_impact(bgd, "MMS")
    with pytest.raises(ValueError, match="coverages must lie in"):
        B.Rollout(target_coverage=1.5)


def test_recommended_strategy_is_the_highest_expected_net_benefit_worked_by_hand():
    import pandas as pd

    # two draws; means: A cost 10, DALYs 5; B cost 30, DALYs 4; C cost 100, DALYs 3.9
    psa = pd.DataFrame({"sample": [0, 0, 0, 1, 1, 1], "strategy": ["A", "B", "C"] * 2,
                        "cost": [0.0, 20, 100, 20, 40, 100], "dalys": [6.0, 5, 3.8, 4, 3, 4.0]})
    # NMB = -lambda * DALYs - cost: at 10 -> A -60, B -70, C -139; at 100 -> A -510, B -430, C -490
    assert B.recommended_strategy(psa, 10.0) == "A"
    assert B.recommended_strategy(psa, 100.0) == "B"
    assert B.recommended_strategy(psa, 1000.0) == "C"  # A -5010, B -4030, C -4000
    with pytest.raises(KeyError, match="no column"):
        B.recommended_strategy(psa.drop(columns="dalys"), 10.0)
