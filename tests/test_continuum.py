"""The continuum: the LBW -> at-risk link, no double counting, one frontier for four strategies."""

from __future__ import annotations

import numpy as np
import pytest

from model import antenatal, cea, infant, report
from model import continuum as C


def test_link_reproduces_the_at_risk_prevalence():
    rng = np.random.default_rng(0)
    prev, lbw, o = rng.uniform(0.05, 0.3, 500), rng.uniform(0.05, 0.4, 500), rng.uniform(1.0, 4.0, 500)
    p0 = C.baseline_risk_non_lbw(prev, lbw, o)
    p1 = C.risk_lbw(p0, o)
    np.testing.assert_allclose(lbw * p1 + (1 - lbw) * p0, prev, rtol=1e-10)
    np.testing.assert_allclose((p1 / (1 - p1)) / (p0 / (1 - p0)), o, rtol=1e-9)
    assert C.baseline_risk_non_lbw(0.2, 0.3, 1.0) == pytest.approx(0.2)


def test_status_quo_is_the_antenatal_status_quo(bgd):
    r = C.run_set(bgd)
    s, a = r.summary(), r.antenatal.summary()
    for k in ("dalys", "infant_deaths", "stillbirths", "lbw_births"):
        assert s.loc[C.STATUS_QUO, k] == pytest.approx(a.loc["IFA", k], rel=1e-12)
    # the status quo adds infant-care costs only; its identified infants reproduce the prevalence
    live = a.loc["IFA", "live_births"]
    assert s.loc[C.STATUS_QUO, "at_risk_identified"] == pytest.approx(
        live * bgd["p_at_risk_u6m"].value * bgd["p_identified"].value, rel=1e-12)


def test_care_changes_only_add_their_difference(bgd):
    r = C.run_set(bgd)
    s, i = r.summary(), r.infant.summary()
    n = s.loc["IFA + MAMI", "at_risk_identified"]
    d_dalys = s.loc["IFA + MAMI", "dalys"] - s.loc["IFA + inpatient", "dalys"]
    assert d_dalys == pytest.approx(n * (i.loc["MAMI", "dalys"] - i.loc["inpatient", "dalys"]), rel=1e-12)
    d_cost = s.loc["IFA + MAMI", "cost"] - s.loc["IFA + inpatient", "cost"]
    assert d_cost == pytest.approx(n * (i.loc["MAMI", "cost"] - i.loc["inpatient", "cost"]), rel=1e-12)


def test_fewer_lbw_births_mean_fewer_at_risk_infants(bgd):
    s = C.run_set(bgd).summary()
    assert s.loc["MMS + inpatient", "lbw_births"] < s.loc["IFA + inpatient", "lbw_births"]
    assert s.loc["MMS + inpatient", "at_risk_identified"] < s.loc["IFA + inpatient", "at_risk_identified"]
    # with no LBW link (odds ratio 1) every strategy has the same at-risk share of live births
    same = C.run({**bgd.base(), "or_at_risk_lbw": np.asarray(1.0)}, bgd.settings)
    live = same.antenatal.summary().loc[["IFA"] * 3 + ["MMS"] * 3, "live_births"].to_numpy()
    share = same.summary()["at_risk_identified"].to_numpy() / live
    np.testing.assert_allclose(share, bgd["p_at_risk_u6m"].value * bgd["p_identified"].value, rtol=1e-12)


def test_six_strategies_on_one_frontier(bgd):
    s = C.run_set(bgd).summary()
    assert list(s.index) == ["IFA + no programme", "IFA + inpatient", "IFA + MAMI",
                             "MMS + no programme", "MMS + inpatient", "MMS + MAMI"]
    t = cea.incremental(s, C.STATUS_QUO, averted=("dalys",))
    assert set(t["status"]) <= {cea.ND, cea.D, cea.ED}
    assert (t["status"] == cea.ND).sum() >= 1


def test_vectorised_equals_one_sample_at_a_time(bgd):
    draws = bgd.sample(12, seed=2)
    whole = C.run(draws, bgd.settings)
    for i in (0, 5, 11):
        one = C.run({k: v[i] for k, v in draws.items()}, bgd.settings)
        for k in C.OUTCOMES:
            np.testing.assert_allclose(whole.outcomes[k][i], one.outcomes[k], rtol=1e-12)


def test_required_keys_cover_both_models():
    assert set(antenatal.REQUIRED) | set(infant.REQUIRED) <= set(C.REQUIRED)


def test_reports_of_all_three_models(bgd, tmp_path):
    for name, focus in (("antenatal", "MMS"), ("infant", "MAMI"), ("continuum", "MMS + MAMI")):
        rep = report.BY_MODEL[name](bgd, draws=100, seed=1)
        np.testing.assert_allclose(rep.acceptability.sum(axis=0), 1.0)
        assert focus in rep.findings
        files = rep.write(tmp_path / rep.prefix) + rep.save_ce_plane(tmp_path / rep.prefix, "t")
        assert all(f.stat().st_size > 0 for f in files)


def _one_input_at_a_time(ps, names, n=24, seed=3):
    """A Saltelli-style design: n draws A, then for each input a copy of A with that input from B."""
    base, draws = ps.base(), ps.sample(2 * n, seed=seed)
    a = {k: (np.asarray(draws[k])[:n] if k in names else np.full(n, float(v))) for k, v in base.items()}
    b = {k: (np.asarray(draws[k])[n:] if k in names else np.full(n, float(v))) for k, v in base.items()}
    return {k: np.concatenate([a[k], *[(b[k] if k == i else a[k]) for i in names]]) for k in base}


def test_outcomes_for_the_analyses_equal_the_full_run_bit_for_bit(bgd):
    """evaluate_outcomes runs the infant model once per distinct row of its inputs: on a design in
    which every input moves alone (so antenatal inputs leave infant rows shared and each infant
    input makes its own), every outcome has the full run's bytes."""
    names = [n for n in bgd.uncertain if n in C.REQUIRED]
    assert any(n in infant.REQUIRED for n in names) and any(n not in infant.REQUIRED for n in names)
    p = _one_input_at_a_time(bgd, names)
    shared = np.unique(np.stack([p[k] for k in infant.REQUIRED], axis=1), axis=0).shape[0]
    assert shared < p[names[0]].size  # the design does share infant rows
    full, fast = C.run(p, bgd.settings).outcomes, C.evaluate_outcomes(p, bgd.settings)
    assert sorted(fast) == sorted(full)
    for k in full:
        assert fast[k].shape == full[k].shape and fast[k].tobytes() == full[k].tobytes(), k
    base = bgd.base()
    assert {k: v.tobytes() for k, v in C.evaluate_outcomes(base, bgd.settings).items()} == \
        {k: np.asarray(v).tobytes() for k, v in C.run(base, bgd.settings).outcomes.items()}
