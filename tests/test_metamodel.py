"""EVPPI checks that can fail: closed forms the regression must reproduce (not bounds it is clipped
to), the interaction terms, the smoother's penalty, and the share of clipped estimates on the model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from model import analysis, continuum, metamodel
from model import parameters as P
from model import uncertainty as U


def _normal_plus(mu: float, sd: float) -> float:
    """E max(0, Z) for Z ~ N(mu, sd)."""
    return mu * stats.norm.cdf(mu / sd) + sd * stats.norm.pdf(mu / sd)


def _two_strategies(inb: np.ndarray):
    """Cost and DALY arrays whose second strategy has net benefit ``inb`` at threshold 0."""
    zeros = np.zeros_like(inb)
    return np.column_stack([zeros, -inb]), np.column_stack([zeros, zeros])


def test_evppi_of_a_linear_model_of_gaussian_inputs_matches_its_closed_form():
    """INB = a + b1 x1 + b2 x2 + b3 x3 with independent normal inputs. Learning x1 leaves
    E[INB | x1] = a + b1 x1 ~ N(a, |b1| s1), so EVPPI = E max(0, N(a, |b1| s1)) - max(0, a); for the
    pair (x1, x2) the sd is sqrt(b1^2 s1^2 + b2^2 s2^2). Ten seeded replicates of 10,000 draws: their
    mean must be within 3 standard errors of the closed form, and the regression's own error small."""
    a, b, s = 0.4, np.array([1.0, -0.7, 2.0]), np.array([1.0, 1.5, 0.5])
    exact = {"x1": _normal_plus(a, b[0] * s[0]) - a,
             "x1+x2": _normal_plus(a, np.hypot(b[0] * s[0], b[1] * s[1])) - a}
    values = {k: [] for k in exact}
    for seed in range(10):
        rng = np.random.default_rng(seed)
        x = rng.normal(0.0, s, size=(10_000, 3))
        cost, dalys = _two_strategies(a + x @ b)
        e = U.evppi({"x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]}, cost, dalys, [0.0],
                    {"x1": ["x1"], "x1+x2": ["x1", "x2"]}, clip=False)
        for k in exact:
            values[k].append(e.loc[k, 0.0])
    for k, v in values.items():
        v = np.array(v)
        assert abs(v.mean() - exact[k]) <= 3 * v.std(ddof=1) / np.sqrt(v.size), (k, v.mean(), exact[k])
        assert abs(v.mean() - exact[k]) <= 0.03 * exact[k], (k, v.mean(), exact[k])


def test_interaction_terms_are_needed_and_present():
    """INB = a + x1 x2 (+ noise), x1, x2 ~ N(0, 1). Given both, E[INB | x1, x2] = a + x1 x2; given
    either alone it is a, so additive terms alone see nothing. Exact EVPPI of the pair:
    E_x1[ E max(0, N(a, |x1|)) ] - a by quadrature. Without the tensor-product (interaction) terms
    the estimate collapses to about 0 and this test fails."""
    a = 0.3
    exact = integrate.quad(lambda t: stats.norm.pdf(t) * _normal_plus(a, max(abs(t), 1e-12)), -np.inf, np.inf)[0] - a
    values, additive = [], []
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        x1, x2 = rng.normal(size=10_000), rng.normal(size=10_000)
        cost, dalys = _two_strategies(a + x1 * x2 + rng.normal(0.0, 1.0, 10_000))
        values.append(U.evppi({"x1": x1, "x2": x2}, cost, dalys, [0.0], {"pair": ["x1", "x2"]}, clip=False).iloc[0, 0])
        y = metamodel.incremental(cost, dalys)
        additive.append(metamodel.value_of_fit(metamodel.fit([x1, x2], y, interactions=False).values, [0.0])[0])
    values = np.array(values)
    assert abs(values.mean() - exact) <= 3 * values.std(ddof=1) / np.sqrt(values.size) + 0.005, (values.mean(), exact)
    assert max(additive) < 0.1 * exact  # what the test would see if the interactions were dropped


def test_interactions_of_three_inputs_and_of_a_large_group():
    """Three inputs: INB = a + x1 x2 x3 needs the three-way tensor product; a group of five uses
    additive splines plus pairwise products of the linear terms, enough for INB = a + x1 x2."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(20_000, 5))
    a = 0.2
    cost, dalys = _two_strategies(a + x[:, 0] * x[:, 1] * x[:, 2])
    params = {f"x{j}": x[:, j] for j in range(5)}
    e3 = U.evppi(params, cost, dalys, [0.0], {"three": ["x0", "x1", "x2"], "two": ["x0", "x1"]}, clip=False)[0.0]
    evpi = U.evpi(cost, dalys, [0.0]).iloc[0]
    assert e3["three"] == pytest.approx(evpi, rel=0.05) and e3["two"] < 0.1 * evpi
    cost, dalys = _two_strategies(a + x[:, 0] * x[:, 1])
    e5 = U.evppi(params, cost, dalys, [0.0], {"five": list(params)}, clip=False).iloc[0, 0]
    assert e5 == pytest.approx(U.evpi(cost, dalys, [0.0]).iloc[0], rel=0.05)


def test_penalty_shrinks_noise_that_least_squares_would_fit():
    """An input unrelated to net benefit has EVPPI 0. Unpenalised least squares on a flexible basis
    fits noise and reports value; the GCV-penalised fit reports far less."""
    rng = np.random.default_rng(11)
    values = {True: [], False: []}
    for _ in range(5):
        x = rng.uniform(size=2000)
        cost, dalys = _two_strategies(0.05 + rng.normal(0.0, 1.0, 2000))
        y = metamodel.incremental(cost, dalys)
        for penalised in values:
            f = metamodel.fit([x], y, knots=12, penalised=penalised)
            values[penalised].append(metamodel.value_of_fit(f.values, [0.0])[0])
    assert np.mean(values[True]) < 0.5 * np.mean(values[False])
    assert np.mean(values[True]) < 0.01


def test_fit_keeps_the_mean_and_reproduces_a_line_exactly():
    x = np.linspace(-3, 5, 500) ** 3
    y = np.column_stack([2.0 + 0.5 * x, -x])
    f = metamodel.fit([x], y)
    np.testing.assert_allclose(f.values, y, atol=1e-6 * np.abs(y).max())
    np.testing.assert_allclose(f.values.mean(axis=0), y.mean(axis=0))
    assert (f.r2 > 0.999999).all()


def test_clipped_share_is_small_on_the_continuum_model():
    """Every single input and group the uncertainty notebook reports, over the threshold grid: an
    estimate above the EVPI of the same sample is a poor fit, and must be rare (not clipped away
    silently: the share is reported in the frame's attrs and in the notebook's notes)."""
    for unit in ("BGD", "NGA"):
        ps = P.load(unit, "base")
        params, cost, dalys = U.psa(ps, U.evaluator(continuum, ps.settings), 2000, 3, names=continuum.REQUIRED)
        names = [n for n in ps.uncertain if n in continuum.REQUIRED]
        grid = np.linspace(0, 3 * ps["gdp_per_capita"].value, 41)
        e = U.evppi(params, cost, dalys, grid, {n: [n] for n in names} | analysis.groups_for(names))
        assert e.attrs["clipped_share"] < 0.01, (unit, e.attrs["clipped"][:5])
        assert len(e.attrs["r2"]) == len(e)
