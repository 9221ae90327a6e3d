"""Antenatal evidence: each country's comparator dose, one denominator for adherence, jointly
uncertain effects, bounded country inputs, coherent draws, subgroup weighting, and the Kashi 2019
replication (known answers worked by hand)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from model import antenatal as A
from model import parameters as P
from model import replication as R
from model.distributions import Correlation, DistributionError, sample

COUNTRIES = [u for u in P.units() if "-" not in u]


def _base(ps, **over):
    p = ps.base()
    p.update({k: np.asarray(v, dtype=float) for k, v in over.items()})
    return p


# ------------------------------------------------------------------ comparator by country
@pytest.mark.parametrize("unit", COUNTRIES)
def test_every_country_states_a_sourced_dose_and_the_base_case_uses_it(unit):
    ps = P.load(unit, "base")
    entry = ps["antenatal_iron_dose_mg"]
    assert entry.value in A.DOSES and entry.source in ps.sources
    assert entry.status != "verified" or entry.source != "who_elena_iron"
    r = A.run_set(ps)
    assert float(r.derived["comparator_dose_mg"]) == entry.value
    rr = ps[f"rr_nmr_mms_vs_ifa{int(entry.value)}"].value
    assert float(r.derived["rr_nmr_mms_used"]) == rr


def test_scenarios_fix_the_dose_everywhere(bgd):
    for dose in (30, 60):
        ps = P.load("BGD", f"ifa{dose}-comparator")
        d = A.run_set(ps).derived
        assert float(d["comparator_dose_mg"]) == dose
        assert float(d["rr_nmr_mms_used"]) == ps[f"rr_nmr_mms_vs_ifa{dose}"].value


def test_the_dose_picks_the_price_by_hand(bgd):
    p = _base(bgd, p_admission_small_newborn=0.0, supplement_wastage=0.0, delivery_cost_per_woman=0.0)
    for dose in (30, 60):
        s = A.run(p, bgd.settings.model_copy(update={"comparator_iron_mg": dose})).summary()
        assert s.loc["IFA", "cost_provider"] == pytest.approx(bgd[f"price_ifa{dose}_180"].value, rel=1e-12)


def test_an_unknown_dose_is_refused(bgd):
    with pytest.raises(A.CalibrationError, match="antenatal_iron_dose_mg must be one of"):
        A.run(_base(bgd, antenatal_iron_dose_mg=45.0), bgd.settings)


# ------------------------------------------------------------------ one denominator
def test_adherence_is_a_share_of_the_pregnancies_reached(bgd):
    # Bangladesh: 52.1% of all women with a recent birth took iron 90+ days; 75.2% had ANC1
    assert float(A.adherence_among_reached(bgd.base())) == pytest.approx(52.1 / 75.2, rel=1e-12)
    assert float(A.run_set(bgd).derived["adh__IFA"]) == pytest.approx(52.1 / 75.2, rel=1e-12)
    # capped at 1 when the survey share exceeds coverage
    assert float(A.adherence_among_reached({"ifa_adherence_90d": 80.0, "anc1_coverage": 70.0})) == 1.0
    # everyone reached by ANC: the survey share unchanged
    assert float(A.adherence_among_reached({"ifa_adherence_90d": 40.0, "anc1_coverage": 100.0})) == 0.4


def test_pregnancies_reached_and_adherence_use_the_same_coverage(bgd):
    lo = A.run(_base(bgd, anc1_coverage=60.0), bgd.settings)
    hi = A.run(_base(bgd, anc1_coverage=90.0), bgd.settings)
    assert float(hi.pregnancies_reached) / float(lo.pregnancies_reached) == pytest.approx(1.5, rel=1e-12)
    assert float(lo.derived["adh__IFA"]) / float(hi.derived["adh__IFA"]) == pytest.approx(1.5, rel=1e-12)


# ------------------------------------------------------------------ subgroup weighting
def test_anaemia_and_sex_weighting_by_hand(bgd):
    p = bgd.base()
    for share, expect in ((100.0, 0.71), (0.0, 0.99)):
        w = A.anaemia_weighted({**p, "anaemia_pregnant": np.asarray(share)})
        assert float(w["rr_nmr_mms"]) == pytest.approx(expect, rel=1e-12)
    w = A.anaemia_weighted({**p, "share_female_births": np.asarray(1.0)}, by_sex=True)
    assert float(w["rr_nmr_mms"]) == pytest.approx(0.85, rel=1e-12)
    w = A.anaemia_weighted({**p, "share_female_births": np.asarray(0.4880)}, by_sex=True)
    assert float(w["rr_nmr_mms"]) == pytest.approx(np.exp(0.488 * np.log(0.85) + 0.512 * np.log(1.06)), rel=1e-12)
    a = 0.422  # Bangladesh anaemia in pregnancy
    assert float(w["rr_lbw_mms"]) == pytest.approx(np.exp(a * np.log(0.81) + (1 - a) * np.log(0.88)), rel=1e-12)


@pytest.mark.parametrize("scenario,weighting", [("anaemia-weighted", "anaemia"),
                                               ("smith2017-subgroups", "anaemia-sex")])
def test_subgroup_scenarios_replace_the_dose_specific_mortality_effect(scenario, weighting):
    ps = P.load("BGD", scenario)
    assert ps.settings.effect_weighting == weighting
    d = A.run_set(ps).derived
    assert float(d["rr_nmr_mms_used"]) == pytest.approx(
        float(A.anaemia_weighted(ps.base(), by_sex=weighting == "anaemia-sex")["rr_nmr_mms"]), rel=1e-12)


# ------------------------------------------------------------------ jointly uncertain, bounded, coherent
def test_correlated_effects_keep_their_marginals_and_take_the_stated_correlation(bgd):
    n = 20_000
    joint = bgd.sample(n, seed=5, names=["rr_lbw_mms", "rr_preterm_mms", "rr_sga_mms", "rr_stillbirth_mms"])
    logs = np.log(np.stack([joint[k] for k in ("rr_lbw_mms", "rr_preterm_mms", "rr_sga_mms",
                                                 "rr_stillbirth_mms")]))
    r = np.corrcoef(logs)
    corr, spec = bgd.correlations["mms_birth_outcomes"]
    np.testing.assert_allclose(r, np.asarray(corr.matrix), atol=0.03)  # Monte Carlo error ~ 1/sqrt(n)
    for k in ("rr_lbw_mms", "rr_preterm_mms"):  # marginals as fitted: lognormal median and sigma
        d = bgd.dists[k].params
        assert np.median(np.log(joint[k])) == pytest.approx(d["mu"], abs=0.01 * d["sigma"] + 2e-3)
        assert np.std(np.log(joint[k])) == pytest.approx(d["sigma"], rel=0.03)
    # a member's draws do not depend on which others are asked for, nor on chunking
    alone = bgd.sample(n, seed=5, names=["rr_preterm_mms"])["rr_preterm_mms"]
    np.testing.assert_array_equal(alone, joint["rr_preterm_mms"])
    tail = bgd.sample(500, seed=5, start=n - 500, names=["rr_preterm_mms"])["rr_preterm_mms"]
    np.testing.assert_array_equal(tail, joint["rr_preterm_mms"][-500:])


def test_bad_correlation_matrices_are_refused():
    with pytest.raises(DistributionError, match="not positive definite"):
        Correlation(("a", "b", "c"), ((1, 0.9, -0.9), (0.9, 1, 0.9), (-0.9, 0.9, 1)))
    with pytest.raises(DistributionError, match="symmetric"):
        Correlation(("a", "b"), ((1, 0.5), (0.4, 1)))
    with pytest.raises(DistributionError, match="2 x 2"):
        Correlation(("a", "b"), ((1.0,),))


def test_a_correlation_naming_an_unknown_parameter_is_named(tmp_path):
    root = tmp_path / "parameters"
    shutil.copytree(P.DEFAULT_ROOT, root)
    path = root / "global" / "effects_mms.yaml"
    data = yaml.safe_load(path.read_text())
    data["correlations"]["mms_birth_outcomes"]["parameters"][3] = "rr_unicorn_mms"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(P.ParameterError, match=r"correlations.mms_birth_outcomes: names unknown parameter"):
        P.load("BGD", "base", root)


@pytest.mark.parametrize("unit", ["PAK", "COD"])
def test_percentage_inputs_stay_in_their_bounds(unit):
    ps = P.load(unit, "base")
    draws = ps.sample(50_000, seed=9, names=["lbw_prevalence", "preterm_prevalence", "nmr", "sbr"])
    for k, top in (("lbw_prevalence", 100), ("preterm_prevalence", 100), ("nmr", 1000), ("sbr", 1000)):
        assert draws[k].min() > 0 and draws[k].max() < top
        assert draws[k].mean() == pytest.approx(ps[k].value, rel=0.02)  # beta mean = the stated value


@pytest.mark.parametrize("unit", COUNTRIES)
def test_calibration_clips_at_most_one_percent_of_draws(unit):
    ps = P.load(unit, "base")
    d = A.run_set(ps, draws=1000, seed=2).derived
    assert np.mean(d["calibration_clipped"]) <= 0.01
    assert np.mean(d["coherence_redrawn"]) <= 0.2


def test_coherent_draws_are_reproducible_and_chunk_invariant():
    ps = P.load("PAK", "base")
    whole = A.coherent_sample(ps, 600, 4, names=A.REQUIRED)
    assert whole["coherence_redrawn"].any()  # PAK's LBW range is wide: some draws are redrawn
    first = A.coherent_sample(ps, 250, 4, names=A.REQUIRED)
    rest = A.coherent_sample(ps, 350, 4, start=250, names=A.REQUIRED)
    for k in ("lbw_prevalence", "preterm_prevalence", "rr_lbw_mms"):
        np.testing.assert_array_equal(np.concatenate([first[k], rest[k]]), whole[k])
    # redrawn draws keep every other input
    plain = ps.sample(600, 4, names=A.REQUIRED)
    np.testing.assert_array_equal(plain["nmr"], whole["nmr"])
    changed = plain["lbw_prevalence"] != whole["lbw_prevalence"]
    np.testing.assert_array_equal(changed, whole["coherence_redrawn"] & ~whole["coherence_failed"])


def test_correlation_in_the_copula_by_hand():
    """Two standard normal marginals through the copula: the sample correlation is the stated one."""
    from model.distributions import Distribution

    d = {"x": Distribution("normal", {"mean": 0.0, "sd": 1.0}), "y": Distribution("normal", {"mean": 0.0, "sd": 1.0})}
    c = Correlation(("x", "y"), ((1.0, -0.8), (-0.8, 1.0)))
    s = sample(d, 40_000, seed=3, correlations=[c])
    assert np.corrcoef(s["x"], s["y"])[0, 1] == pytest.approx(-0.8, abs=0.01)
    assert np.std(s["y"]) == pytest.approx(1.0, rel=0.02)


# ------------------------------------------------------------------ the Kashi 2019 replication
def test_kashi_decomposition_ends_at_the_kashi2019_scenario():
    table = R.kashi_decomposition()
    last = table.loc[R.STEPS[-1].label]
    for unit in R.UNITS:
        ps = P.load(unit, "kashi2019")
        s = A.run_set(ps).summary()
        dalys = (s.loc["IFA", "dalys"] - s.loc["MMS", "dalys"]) * 1e5
        cost = (s.loc["MMS", "cost"] - s.loc["IFA", "cost"]) * 1e5
        assert last[(unit, "DALYs averted per 100,000")] == pytest.approx(dalys, rel=1e-9)
        assert last[(unit, "US$ per DALY")] == pytest.approx(cost / dalys, rel=1e-9)
        # Kashi's cost increment: supplements only, US$3.46 - 1.63 per pregnancy in 2016 US$
        assert cost / 1e5 == pytest.approx(3.46 - 1.63, rel=1e-9)
    assert table.loc["Published (Kashi 2019, 2016 US$)", ("BGD", "DALYs averted per 100,000")] == 8578
    assert list(R.not_representable()["convention"])
