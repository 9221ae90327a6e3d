"""Distribution fitting, seeded sampling invariance, SALib mapping."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from SALib.sample import sobol as sobol_sample
from scipy import stats

from model import distributions as D

FITS = [  # family, value, low, high (from the evidence notes where possible)
    ("lognormal", 0.94, 0.88, 1.00),     # WHO 2020 preterm RR
    ("lognormal", 15.42, 9.11, 26.12),   # Katz 2013 preterm-SGA neonatal RR
    ("beta", 0.2, 0.15, 0.25),
    ("beta", 0.021, 0.016, 0.026),
    ("gamma", 3.42, 2.57, 4.28),         # MMS price per 180, +/-25%
    ("gamma", 13.4, 9.0, 18.5),
    ("normal", 45.16, 32.31, 58.02),     # birthweight shift, grams
]


@pytest.mark.parametrize("family,value,low,high", FITS)
def test_fitted_quantiles_land_near_the_stated_range(family, value, low, high):
    with warnings.catch_warnings():
        warnings.simplefilter("error", D.FitWarning)
        dist = D.fit(family, value, low, high, label="x")
    q_lo, q_hi = dist.interval(0.95)
    assert q_lo == pytest.approx(low, rel=D.QUANTILE_TOLERANCE)
    assert q_hi == pytest.approx(high, rel=D.QUANTILE_TOLERANCE)


@pytest.mark.parametrize("family,value,low,high", [f for f in FITS if f[0] in ("beta", "gamma", "normal")])
def test_mean_is_the_stated_value(family, value, low, high):
    assert D.fit(family, value, low, high).mean() == pytest.approx(value, rel=1e-9)


def test_uniform_range_is_its_support():
    d = D.fit("uniform", 0.5, 0.2, 0.9)
    assert d.interval(1.0) == pytest.approx((0.2, 0.9))


def test_lognormal_median_is_the_stated_value():
    dist = D.fit("lognormal", 0.88, 0.86, 0.91)
    assert float(dist.ppf(np.array([0.5]))[0]) == pytest.approx(0.88)
    assert dist.params["sigma"] == pytest.approx((np.log(0.91) - np.log(0.86)) / (2 * 1.959964), rel=1e-6)


def test_a_range_no_beta_can_match_warns_with_the_label():
    with pytest.warns(D.FitWarning, match="p_lopsided: .*2.5% quantile"):
        D.fit("beta", 0.3, 0.05, 0.31, label="p_lopsided")


@pytest.mark.parametrize("family,value,low,high,msg", [
    ("beta", 1.2, 1.1, 1.3, "beta needs 0 < value < 1"),
    ("gamma", 0.0, 0.0, 1.0, "gamma needs value > 0"),
    ("lognormal", 0.9, 0.0, 1.2, "lognormal needs value > 0 and low > 0"),
    ("normal", 1.0, 2.0, 2.0, "needs low < high"),
    ("weibull", 1.0, 0.5, 2.0, "unknown distribution 'weibull'"),
])
def test_impossible_fits_raise(family, value, low, high, msg):
    with pytest.raises(D.DistributionError, match=msg):
        D.fit(family, value, low, high)


def _specs():
    return {
        "p": D.fit("beta", 0.2, 0.15, 0.25),
        "rr": D.fit("lognormal", 0.9, 0.8, 1.01),
        "c": D.fit("gamma", 10.0, 8.0, 12.0),
        "k": D.fit("fixed", 180),
    }


def test_draws_do_not_depend_on_chunking():
    specs = _specs()
    whole = D.sample(specs, 10_000, seed=42)
    for cuts in ([0, 1, 4096, 4097, 10_000], [0, 3333, 6666, 10_000], [0, 8191, 8193, 10_000]):
        parts = [D.sample(specs, b - a, seed=42, start=a) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        for name in specs:
            np.testing.assert_array_equal(np.concatenate([p[name] for p in parts]), whole[name])


def test_threaded_sampling_equals_serial():
    specs = _specs()
    serial = D.sample(specs, D.THREADED_FROM + 10, seed=9, threads=1)
    threaded = D.sample(specs, D.THREADED_FROM + 10, seed=9, threads=2)
    for name in specs:
        np.testing.assert_array_equal(serial[name], threaded[name])


def test_draws_do_not_depend_on_process(tmp_path):
    import subprocess
    import sys

    code = ("import numpy as np; from model import distributions as D; "
            "d = D.fit('gamma', 10.0, 8.0, 12.0); "
            "np.save(r'%s', D.sample({'c': d}, 5000, seed=7, start=2500)['c'])" % (tmp_path / "x.npy"))
    subprocess.run([sys.executable, "-c", code], check=True)
    here = D.sample({"c": D.fit("gamma", 10.0, 8.0, 12.0)}, 7500, seed=7)["c"][2500:]
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), here)


def test_seed_matters_and_adding_a_parameter_moves_nothing():
    specs = _specs()
    a = D.sample(specs, 1000, seed=1)
    b = D.sample(specs, 1000, seed=2)
    assert not np.array_equal(a["p"], b["p"])
    more = dict(specs, extra=D.fit("normal", 0.0, -1.0, 1.0))
    c = D.sample(more, 1000, seed=1)
    for name in specs:
        np.testing.assert_array_equal(a[name], c[name])
    assert not np.array_equal(c["p"], c["extra"])  # streams differ between parameters


def test_sample_moments_match_the_distribution():
    specs = _specs()
    draws = D.sample(specs, 200_000, seed=3)
    for name in ("p", "c"):
        assert draws[name].mean() == pytest.approx(specs[name].mean(), rel=0.005)
    lo, hi = np.quantile(draws["rr"], [0.025, 0.975])
    assert (lo, hi) == pytest.approx(specs["rr"].interval(0.95), rel=0.01)
    assert np.all(draws["k"] == 180)


def test_salib_problem_and_unit_cube_mapping():
    specs = _specs()
    names = ["p", "rr", "c"]
    problem = D.salib_problem(names, groups={"effects": ["p", "rr"]})
    assert problem["bounds"] == [[0.0, 1.0]] * 3
    assert problem["groups"] == ["effects", "effects", "c"]
    u = sobol_sample.sample(D.salib_problem(names), 256, calc_second_order=False, seed=1)
    values = D.from_unit_cube(specs, names, u)
    assert np.all((values["p"] > 0) & (values["p"] < 1))
    np.testing.assert_allclose(values["c"], specs["c"].ppf(u[:, 2]))
    # the unit cube's edges stay finite
    edge = D.from_unit_cube(specs, names, np.array([[0.0, 0.0, 1.0]]))
    assert all(np.isfinite(v).all() for v in edge.values())


def test_salib_groups_reject_unknown_or_repeated_names():
    with pytest.raises(KeyError, match="unknown parameter 'zz'"):
        D.salib_problem(["a"], groups={"g": ["zz"]})
    with pytest.raises(ValueError, match="in groups 'g' and 'h'"):
        D.salib_problem(["a"], groups={"g": ["a"], "h": ["a"]})


def test_scaling_a_distribution_scales_its_quantiles():
    for fam, v, lo, hi in [("gamma", 10, 8, 12), ("lognormal", 5, 3, 9), ("normal", 2, 1, 3),
                           ("uniform", 2, 1, 3)]:
        d = D.fit(fam, v, lo, hi)
        np.testing.assert_allclose(d.scaled(1.4).interval(), np.array(d.interval()) * 1.4)


def test_drawing_a_subset_gives_the_same_draws():
    from model import parameters as P

    ps = P.load("BGD", "base")
    full = ps.sample(500, seed=4)
    part = ps.sample(500, seed=4, names=["rr_lbw_mms", "nmr"])
    assert set(part) == {"rr_lbw_mms", "nmr"}
    for k in part:
        np.testing.assert_array_equal(part[k], full[k])


@pytest.mark.parametrize("family,params,reason", [
    ("beta", {"a": -1.0, "b": 2.0}, "a must be > 0 (got -1)"),
    ("gamma", {"shape": 2.0, "scale": 0.0}, "scale must be > 0 (got 0)"),
    ("lognormal", {"mu": 0.0, "sigma": -0.5}, "sigma must be > 0 (got -0.5)"),
    ("normal", {"mean": float("nan"), "sd": 1.0}, "mean must be a finite number (got nan)"),
    ("uniform", {"low": 2.0, "high": 1.0}, "low must be below high (got 2 and 1)"),
    ("fixed", {"value": float("inf")}, "value must be a finite number (got inf)"),
    ("beta", {"a": True, "b": 2.0}, "a must be a number (got True)"),
])
def test_improper_distributions_are_refused(family, params, reason):
    """scipy returns NaN for beta(a=-1): without this every draw, and every result, is NaN."""
    with pytest.raises(D.DistributionError, match=re.escape(reason)):
        D.Distribution(family, params)


def test_extremes_are_the_outermost_draws():
    d = D.Distribution("normal", {"mean": 0.0, "sd": 1.0})
    lo, hi = d.extremes()
    draws = D.sample({"x": d}, 100_000, seed=3)["x"]
    assert lo < draws.min() and draws.max() < hi
    assert (lo, hi) == pytest.approx((stats.norm.ppf(2.0**-54), stats.norm.isf(2.0**-53)), rel=1e-9)
