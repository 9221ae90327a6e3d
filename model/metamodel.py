"""Regression metamodels of net benefit for the value of information (EVPPI and EVSI).

Strong, Oakley & Brennan (2014, EVPPI) and Strong, Oakley, Brennan & Breeze (2015, EVSI) replace
the inner Monte Carlo loop by a regression of each strategy's net benefit on the quantities that
would be learnt: the inputs of interest (EVPPI) or summary statistics of simulated study data
(EVSI). The fitted values estimate the conditional expectations, and

    value = mean_i max_d g_d(x_i) - max_d mean_i g_d(x_i).

The regression here is a penalised regression spline, a GAM-like smoother fitted by penalised least
squares, with the smoothing parameter chosen by generalised cross-validation (GCV):

* each input is standardised and expanded in a natural cubic regression spline basis (Hastie,
  Tibshirani & Friedman 2009, eq. 5.4-5.5) with 8 knots at its 5% to 95% quantiles; the spline is
  linear beyond the boundary knots, so a linear effect is reproduced exactly;
* two or three inputs also get every pairwise tensor product of smaller (4-knot) bases and the
  three-way one, like ``s(x1) + s(x2) + ti(x1, x2)`` in mgcv; more than three inputs get the
  pairwise products of their linear terms (voi and SAVI also reduce the basis for large groups).
  The main terms are the same whatever the group, so a group's regression contains each
  member's, and a group's EVPPI is at least its members' up to the penalty;
* the linear terms are left unpenalised and every other coefficient gets a ridge penalty (the
  truncated-power penalised spline of Ruppert, Wand & Carroll 2003): one smoothing parameter for
  the main terms and one for the tensor products, as mgcv gives each term its own, both chosen
  per response column by GCV over a grid. A flexible basis can then be used without chasing noise,
  which would otherwise bias the value upwards.

Why this and not the previous unpenalised rank-scale splines: on a linear model with Gaussian
inputs (closed-form EVPPI) the rank transform bent the straight line in the tails, where decisions
flip, and over-estimated EVPPI by about one standard deviation of the estimator; the original scale
with a GCV penalty was the least biased and least variable of the four combinations tried. On the
continuum model for BGD (20,000 draws) the rank-scale fit gave 0.55 per pregnancy for
``rr_nmr_mms_vs_ifa30`` and 0.000 for ``cfr_mami``, against 0.51 and 0.010 by nested Monte Carlo;
this fit gives 0.52 and 0.011. mgcv's integrated-squared-second-derivative penalty is not
reproduced; the ridge penalty on standardised spline coefficients plays its part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from threadpoolctl import threadpool_limits

KNOTS = 8  # knots per input for the main (one-input) terms
INTERACTION_KNOTS = 4  # knots per input inside tensor products
LAMBDAS = np.logspace(-7, 2, 19)  # ridge penalties relative to the mean diagonal of X'X


@dataclass(frozen=True)
class Fit:
    """Fitted values ``(n, m)`` of ``m`` responses, with effective degrees of freedom, the chosen
    penalty and R^2 per response."""

    values: np.ndarray
    df: np.ndarray
    penalty: np.ndarray
    r2: np.ndarray


def spline_basis(x: np.ndarray, knots: int = KNOTS) -> np.ndarray:
    """Natural cubic regression spline basis of ``x`` (standardised), knots at quantiles 5%..95%:
    ``knots - 1`` centred, scaled columns, the first of which is linear in ``x``. Repeated
    quantiles (discrete data) are merged; with fewer than 3 distinct knots only the linear term
    is kept. A constant ``x`` gives zero columns."""
    x = np.asarray(x, dtype=float)
    sd = x.std()
    if not sd > 0:
        return np.zeros((x.size, 0))
    u = (x - x.mean()) / sd
    k = np.unique(np.quantile(u, np.linspace(0.05, 0.95, knots)))
    cols = [u]
    if k.size >= 3:
        def d(j: int) -> np.ndarray:
            return (np.maximum(u - k[j], 0) ** 3 - np.maximum(u - k[-1], 0) ** 3) / (k[-1] - k[j])

        last = d(k.size - 2)
        cols += [d(j) - last for j in range(k.size - 2)]
    b = np.column_stack(cols)
    b = b - b.mean(axis=0)
    scale = b.std(axis=0)
    keep = scale > 1e-12 * max(1.0, float(scale.max()))
    return b[:, keep] / scale[keep]


def design(columns: Sequence[np.ndarray], knots: int | None = None, interactions: bool = True
           ) -> tuple[np.ndarray, np.ndarray]:
    """Design matrix and penalty group of each column (0 unpenalised, 1 main terms, 2 tensor
    products: each group has its own smoothing parameter) for ``columns`` (see module text).
    Main terms use ``knots`` (default :data:`KNOTS`) per input, tensor products
    :data:`INTERACTION_KNOTS`. Constant columns are dropped; with none left the design is the
    intercept alone. The main terms do not depend on the other inputs, so the design of a group
    contains the design of each of its members."""
    columns = [np.asarray(c, dtype=float) for c in columns]
    n = columns[0].size
    columns = [c for c in columns if c.std() > 0]
    mains = [b for b in (spline_basis(c, knots or KNOTS) for c in columns) if b.shape[1]]
    parts, penalty = [np.ones((n, 1))], [np.zeros(1)]
    for b in mains:
        parts.append(b)
        penalty.append(np.r_[0.0, np.ones(b.shape[1] - 1)])
    if interactions and 1 < len(mains) <= 3:
        small = [spline_basis(c, INTERACTION_KNOTS) for c in columns]
        products = [np.einsum("ni,nj->nij", small[i], small[j]) for i, j in combinations(range(len(small)), 2)]
        if len(small) == 3:
            products.append(np.einsum("ni,nj,nk->nijk", *small))
        for t in products:
            t = t.reshape(n, -1)
            parts.append(t)
            penalty.append(np.r_[0.0, np.full(t.shape[1] - 1, 2.0)])  # the product of the linear terms is free
    elif interactions and len(mains) > 3:
        for i, j in combinations(range(len(mains)), 2):
            parts.append(mains[i][:, :1] * mains[j][:, :1])
            penalty.append(np.full(1, 2.0))  # many products of a large group: penalised as interactions
    return np.hstack(parts), np.concatenate(penalty)


def one_blas_thread() -> threadpool_limits:
    """A context in which BLAS and LAPACK use one thread. Multi-threaded OpenBLAS splits long dot
    products (``X'X`` over 10,000 draws) and large factorisations (more than about 90 columns)
    differently for different thread counts, changing the last bits of the result; a batch must
    give the same numbers on a 2-core laptop and on a Dask worker limited to one thread."""
    return threadpool_limits(limits=1, user_api="blas")


def fit(columns: Sequence[np.ndarray], y: np.ndarray, knots: int | None = None, interactions: bool = True,
        penalised: bool = True) -> Fit:
    """Regress each column of ``y`` ``(n, m)`` on ``columns`` (each ``(n,)``) by penalised least
    squares, the penalties (one for the main terms, one for the tensor products) chosen by GCV for
    each response column; plain least squares with ``penalised=False``; ``interactions=False``
    leaves out the products. The intercept is never penalised, so the fitted values keep the mean
    of ``y``. ``Fit.penalty`` reports the larger of the two chosen penalties. Runs with one BLAS
    thread (:func:`one_blas_thread`)."""
    with one_blas_thread():
        return _fit(columns, y, knots, interactions, penalised)


def _fit(columns: Sequence[np.ndarray], y: np.ndarray, knots: int | None, interactions: bool,
         penalised: bool) -> Fit:
    y = np.asarray(y, dtype=float)
    y2 = y[:, None] if y.ndim == 1 else y
    x, pen = design(columns, knots, interactions)
    n, p = x.shape
    g = x.T @ x
    b = x.T @ y2
    yy = np.einsum("nm,nm->m", y2, y2)
    centred = yy - n * y2.mean(axis=0) ** 2
    scale = float(np.trace(g)) / p
    jitter = 1e-10 * scale * np.eye(p)  # keeps exactly collinear (discrete) designs solvable
    groups = [k for k in (1, 2) if penalised and (pen == k).any()]
    grids = [LAMBDAS if k in groups else np.zeros(1) for k in (1, 2)]
    if len(groups) == 2:  # two smoothing parameters: a coarser grid for each
        grids = [LAMBDAS[::2], LAMBDAS[::2]]
    best = np.full(y2.shape[1], np.inf)
    coef = np.zeros((p, y2.shape[1]))
    df_best = np.zeros(y2.shape[1])
    lam_best = np.zeros(y2.shape[1])
    for lam1 in grids[0]:
        for lam2 in grids[1]:
            weights = np.select([pen == 1, pen == 2], [lam1, lam2], 0.0)
            a = g + scale * np.diag(weights) + jitter
            beta = np.linalg.solve(a, b)
            df = float(np.trace(np.linalg.solve(a, g)))
            rss = np.maximum(yy - 2 * np.einsum("pm,pm->m", beta, b) + np.einsum("pm,pm->m", beta, g @ beta), 0.0)
            gcv = n * rss / max(n - df, 1.0) ** 2
            better = gcv < best
            best = np.where(better, gcv, best)
            coef[:, better] = beta[:, better]
            df_best[better] = df
            lam_best[better] = max(lam1, lam2)
    values = x @ coef
    rss = ((y2 - values) ** 2).sum(axis=0)
    r2 = np.where(centred > 0, 1 - rss / np.where(centred > 0, centred, 1.0), 1.0)
    if y.ndim == 1:
        values = values[:, 0]
    return Fit(values=values, df=df_best, penalty=lam_best, r2=r2)


def incremental(cost: np.ndarray, dalys: np.ndarray, reference: int = 0) -> np.ndarray:
    """Responses to regress: incremental cost of every strategy but ``reference``, then its DALYs
    averted, shape ``(n, 2 (S - 1))``. Net benefit is linear in the threshold, so two fits per
    strategy serve a whole threshold grid."""
    others = [j for j in range(cost.shape[1]) if j != reference]
    d_cost = cost[:, others] - cost[:, [reference]]
    d_eff = dalys[:, [reference]] - dalys[:, others]
    return np.hstack([d_cost, d_eff])


def value_of_fit(fitted: np.ndarray, grid: Sequence[float]) -> np.ndarray:
    """``mean_i max_d g_d - max_d mean_i g_d`` per threshold from fitted incremental costs and
    DALYs averted (:func:`incremental` layout); the reference strategy's increment is 0. Never
    negative (the mean of a maximum is at least the maximum of the means)."""
    grid = np.asarray(grid, dtype=float)
    s = fitted.shape[1] // 2
    g_cost, g_eff = fitted[:, :s], fitted[:, s:]
    g = grid[None, None, :] * g_eff[..., None] - g_cost[..., None]  # (n, S-1, L)
    best = np.maximum(g.max(axis=1), 0.0).mean(axis=0)
    # >= 0 in exact arithmetic (Jensen); the floor only removes rounding (-1e-15)
    return np.maximum(best - np.maximum(g.mean(axis=0).max(axis=0), 0.0), 0.0)


def value_standard_error(fitted: np.ndarray, grid: Sequence[float]) -> np.ndarray:
    """Monte Carlo standard error of :func:`value_of_fit` from the outer sample alone: the standard
    deviation over draws of the gain of the draw's best strategy over the strategy that is best on
    average, divided by sqrt(n); where another strategy is within two standard errors of that one
    (a near tie, at which the maximum of the means is itself noisy), the variance of their
    difference is added. It leaves out the regression's own error (use replicates for that)."""
    grid = np.asarray(grid, dtype=float)
    s = fitted.shape[1] // 2
    n = fitted.shape[0]
    g = grid[None, None, :] * fitted[:, s:, None] - fitted[:, :s, None]
    g = np.concatenate([np.zeros((n, 1, grid.size)), g], axis=1)  # (n, S, L)
    columns = np.arange(grid.size)
    chosen = g.mean(axis=0).argmax(axis=0)  # (L,)
    best = g[:, chosen, columns]  # (n, L)
    var = (g.max(axis=1) - best).var(axis=0, ddof=1)
    diff = best[:, None, :] - g  # (n, S, L)
    d_var = diff.var(axis=0, ddof=1)
    near = np.abs(diff.mean(axis=0)) < 2 * np.sqrt(d_var / n)
    near[chosen, columns] = False
    tie = np.where(near, d_var, 0.0).max(axis=0)
    return np.sqrt((var + tie) / n)
