"""Deterministic and probabilistic sensitivity analysis, and the value of information.

Every analysis calls the same model through an *evaluator*: a function from a parameter mapping
(arrays over a leading row axis) to ``(cost, effect)`` arrays of shape ``(rows, strategies)``,
``effect`` being the health outcome the decision is made on. One call evaluates all rows at once,
so a tornado, a threshold search or a PSA is a handful of vectorised model runs, never a loop over
samples.

Net benefit is monetary. Health outcomes have a direction, given by ``more_is_better``: by default
(``False``) the outcome is something to avoid, as DALYs are, and ``NMB = threshold x (-DALYs) -
cost``, so strategies averting DALYs gain; with ``more_is_better=True`` (QALYs, life years)
``NMB = threshold x QALYs - cost``. Increments are health *gained* against the reference either way.

* :func:`one_way` (tornado) and :func:`two_way` (heat map) vary inputs between their stated low and
  high values (or their distribution's 95% interval) with the others at base values.
* :func:`threshold_search` finds where an outcome crosses zero as one input moves (grid, then
  vectorised bisection), and says so when there is no crossing in range.
* :func:`psa` draws and runs in chunks with identical results for any chunking.
* :func:`ceac`, :func:`ceaf` (optimal strategy by *expected* net benefit, with its probability of
  being cost-effective: not the upper envelope of the CEACs), :func:`expected_loss`,
  :func:`evpi`, :func:`population_evpi`.
* :func:`evppi`: Strong, Oakley & Brennan (2014) nonparametric regression of each strategy's
  incremental net benefit on the inputs of interest, using the PSA sample only. The regression
  (:mod:`model.metamodel`) is a penalised regression spline on each input's original scale (a
  spline per input, plus tensor products for groups of up to three inputs and pairwise products
  of the linear terms beyond), smoothing chosen by GCV. Cost and DALY increments are regressed once each; net benefit
  is linear in the threshold, so a whole threshold grid costs nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from model import metamodel
from model.cea import health_gain
from model.names import check_names
from model.parameters import ParameterSet
from model.timing import timed

Evaluator = Callable[[Mapping[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]


def evaluator(module, settings, *, outcome: str = "dalys", cost: str = "cost", **kwargs) -> Evaluator:
    """Wrap a model module (``antenatal``, ``infant``, ``continuum``) as an evaluator returning
    its ``cost`` and ``outcome`` (default DALYs) outcomes; an outcome the model does not report is
    an error listing the ones it does."""

    fast = getattr(module, "evaluate_outcomes", None)  # the same outcomes, sooner (model.continuum)

    def evaluate(p: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        out = fast(p, settings, **kwargs) if fast else module.run(p, settings, **kwargs).outcomes
        check_names("model outcome", [cost, outcome], out)
        return np.asarray(out[cost]), np.asarray(out[outcome])

    return evaluate


def _gain_label(outcome: str, more_is_better: bool) -> str:
    return f"{outcome}_{'gained' if more_is_better else 'averted'}"


def net_benefit(cost: np.ndarray, effect: np.ndarray, threshold, *, more_is_better: bool = False) -> np.ndarray:
    """``threshold x (-effect) - cost`` (DALYs, the default) or ``threshold x effect - cost``
    (``more_is_better=True``: QALYs); a vector of thresholds adds a trailing axis."""
    lam = np.asarray(threshold, dtype=float)
    if more_is_better:
        return lam * effect[..., None] - cost[..., None] if lam.ndim else lam * effect - cost
    if lam.ndim:
        return lam * (-effect[..., None]) - cost[..., None]
    return lam * (-effect) - cost


def _rows(base: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return {k: np.full(n, float(v)) for k, v in base.items()}


def ranges(ps: ParameterSet, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Low and high value of each uncertain input: the stated range, else the 95% interval. A name
    that is not a parameter is an error listing the uncertain ones."""
    if names is not None:
        check_names("parameter", names, ps.params)
    rows = []
    for k in names if names is not None else ps.uncertain:
        p, d = ps[k], ps.dists[k]
        lo, hi = (p.low, p.high) if p.low is not None and p.high is not None else d.interval(0.95)
        rows.append({"parameter": k, "base": p.value, "low": lo, "high": hi})
    return pd.DataFrame(rows).set_index("parameter")


def one_way(ps: ParameterSet, evaluate: Evaluator, threshold: float, comparator: int,
            reference: int = 0, names: Sequence[str] | None = None, *, outcome: str = "dalys",
            more_is_better: bool = False) -> pd.DataFrame:
    """Tornado table: INMB, ICER and health gained (``<outcome>_averted`` or ``_gained``) of
    ``comparator`` vs ``reference`` with each input at its low and its high value, sorted by the
    swing in INMB (largest first)."""
    rng = ranges(ps, names)
    base = ps.base()
    n = len(rng)
    p = _rows(base, 2 * n + 1)  # row 0: base case; 1..n: lows; n+1..2n: highs
    for i, k in enumerate(rng.index):
        p[k][1 + i], p[k][1 + n + i] = rng.loc[k, "low"], rng.loc[k, "high"]
    cost, effect = evaluate(p)
    d_cost = cost[:, comparator] - cost[:, reference]
    d_eff = health_gain(effect[:, comparator], effect[:, reference], more_is_better)
    inmb = threshold * d_eff - d_cost
    with np.errstate(divide="ignore", invalid="ignore"):
        icer = np.where(d_eff != 0, d_cost / d_eff, np.nan)
    out = rng.copy()
    for label, values in (("inmb", inmb), ("icer", icer), (_gain_label(outcome, more_is_better), d_eff)):
        out[f"{label}_low"] = values[1 : n + 1]
        out[f"{label}_high"] = values[n + 1 :]
        out[f"{label}_base"] = values[0]
    out["inmb_swing"] = np.abs(out["inmb_high"] - out["inmb_low"])
    return out.sort_values("inmb_swing", ascending=False)


def two_way(ps: ParameterSet, evaluate: Evaluator, x: str, y: str, threshold: float, comparator: int,
            reference: int = 0, points: int = 21, *, more_is_better: bool = False) -> pd.DataFrame:
    """INMB of ``comparator`` vs ``reference`` over a grid of two inputs (a heat map's data):
    rows ``y`` values, columns ``x`` values."""
    rng = ranges(ps, [x, y])
    xs = np.linspace(rng.loc[x, "low"], rng.loc[x, "high"], points)
    ys = np.linspace(rng.loc[y, "low"], rng.loc[y, "high"], points)
    gx, gy = np.meshgrid(xs, ys)
    p = _rows(ps.base(), gx.size)
    p[x], p[y] = gx.ravel(), gy.ravel()
    cost, effect = evaluate(p)
    d_cost = cost[:, comparator] - cost[:, reference]
    inmb = threshold * health_gain(effect[:, comparator], effect[:, reference], more_is_better) - d_cost
    return pd.DataFrame(inmb.reshape(gx.shape), index=pd.Index(ys, name=y), columns=pd.Index(xs, name=x))


LEVELS_PER_CALL = 6  # bisection steps per model call: 63 midpoints per bracket, one call instead of six


def _bisect_levels(f: Callable[[np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray, fa: np.ndarray,
                   levels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``levels`` steps of bisection of every bracket ``[a, b]`` (``fa = f(a)``) with one call of
    ``f``: every midpoint the steps could visit (a binary tree, ``2**levels - 1`` per bracket) is
    computed as step-by-step bisection computes it, ``(a + b) / 2``, evaluated at once, and then
    the path is walked. The brackets and roots are those of one call per step, to the bit."""
    lo, hi = [a], [b]  # per depth, the intervals of that depth (2**depth per bracket, left to right)
    mids = []
    for _ in range(levels):
        m = (lo[-1] + hi[-1]) / 2
        mids.append(m)
        lo.append(np.stack([lo[-1], m], axis=-1).reshape(*a.shape, -1))  # children: [lo, m] and [m, hi]
        hi.append(np.stack([m, hi[-1]], axis=-1).reshape(*a.shape, -1))
    values = f(np.concatenate([m.reshape(-1) for m in mids]))
    fm_by_depth, start = [], 0
    for m in mids:
        fm_by_depth.append(values[start:start + m.size].reshape(m.shape))
        start += m.size
    node = np.zeros(a.shape, dtype=int)  # index of the current interval within its depth
    rows = np.arange(a.size).reshape(a.shape)
    for depth in range(levels):
        mid = mids[depth].reshape(a.size, -1)[rows, node]
        fm = fm_by_depth[depth].reshape(a.size, -1)[rows, node]
        left = np.sign(fm) == np.sign(fa)
        a, fa = np.where(left, mid, a), np.where(left, fm, fa)
        b = np.where(left, b, mid)
        node = 2 * node + left  # the root is right of mid when f(mid) has f(a)'s sign
    return a, b, fa


def threshold_search(ps: ParameterSet, evaluate: Evaluator, name: str, comparator: int,
                     reference: int = 0, threshold: float | None = None, low: float | None = None,
                     high: float | None = None, grid: int = 65, iterations: int = 60, *,
                     more_is_better: bool = False, unit: str = "DALY") -> pd.DataFrame:
    """Values of input ``name`` at which the decision changes between ``comparator`` and
    ``reference``: where INMB at ``threshold`` crosses zero (or, with ``threshold=None``, where
    the incremental cost does: cost neutrality). Returns one row per crossing in [low, high]
    (default: the input's range), or one row with ``root = NaN`` and a note when there is none.
    ``unit`` names the health outcome in the note ("per DALY")."""
    rng = ranges(ps, [name])
    lo = rng.loc[name, "low"] if low is None else low
    hi = rng.loc[name, "high"] if high is None else high
    base = ps.base()

    def f(values: np.ndarray) -> np.ndarray:
        p = _rows(base, values.size)
        p[name] = values
        cost, effect = evaluate(p)
        d_cost = cost[:, comparator] - cost[:, reference]
        if threshold is None:
            return d_cost
        return threshold * health_gain(effect[:, comparator], effect[:, reference], more_is_better) - d_cost

    xs = np.linspace(lo, hi, grid)
    ys = f(xs)
    brackets = np.flatnonzero(np.sign(ys[:-1]) * np.sign(ys[1:]) < 0)
    exact = np.flatnonzero(ys == 0)
    what = "incremental cost" if threshold is None else f"INMB at {threshold:,.0f} per {unit}"
    if brackets.size == 0 and exact.size == 0:
        return pd.DataFrame([{"parameter": name, "root": np.nan, "low": lo, "high": hi,
                              "note": f"no threshold in range: {what} keeps one sign "
                                      f"({ys.min():.4g} to {ys.max():.4g})"}])
    a, b = xs[brackets], xs[brackets + 1]
    fa = ys[brackets]
    done = 0
    while done < iterations and a.size:  # all brackets together, LEVELS_PER_CALL bisection steps per model call
        levels = min(LEVELS_PER_CALL, iterations - done)
        a, b, fa = _bisect_levels(f, a, b, fa, levels)
        done += levels
    roots = np.sort(np.concatenate([(a + b) / 2, xs[exact]]))
    return pd.DataFrame([{"parameter": name, "root": r, "low": lo, "high": hi, "note": f"{what} = 0"}
                         for r in roots])


def psa(ps: ParameterSet, evaluate: Evaluator, draws: int, seed: int, chunk: int | None = None,
        names: Sequence[str] | None = None, sampler: Callable | None = None
        ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Draw ``draws`` samples and evaluate them in chunks of ``chunk`` (default: all at once).
    Results are identical for any chunking: draws are keyed by parameter name and index.
    ``sampler(ps, n, seed, start, names)`` replaces ``ps.sample`` (e.g. a model's coherent draws)."""
    chunk = chunk or draws
    params, costs, effects = [], [], []
    for start in range(0, draws, chunk):
        n = min(chunk, draws - start)
        p = (sampler(ps, n, seed, start, names) if sampler is not None
             else ps.sample(n, seed, start=start, names=names))
        c, e = evaluate(p)
        params.append(p)
        costs.append(c)
        effects.append(e)
    merged = {k: np.concatenate([p[k] for p in params]) for k in params[0]}
    return merged, np.concatenate(costs), np.concatenate(effects)


def ceac(cost: np.ndarray, effect: np.ndarray, grid: Sequence[float], strategies: Sequence[str], *,
         more_is_better: bool = False) -> pd.DataFrame:
    """Probability that each strategy has the highest net benefit, per threshold (rows)."""
    nb = net_benefit(cost, effect, np.asarray(grid), more_is_better=more_is_better)  # (n, S, L)
    best = np.argmax(nb, axis=1)  # (n, L)
    probs = np.stack([(best == j).mean(axis=0) for j in range(cost.shape[1])], axis=-1)
    return pd.DataFrame(probs, index=pd.Index(grid, name="threshold"), columns=list(strategies))


def ceaf(cost: np.ndarray, effect: np.ndarray, grid: Sequence[float], strategies: Sequence[str], *,
         more_is_better: bool = False) -> pd.DataFrame:
    """Cost-effectiveness acceptability frontier: per threshold, the strategy with the highest
    *expected* net benefit and the probability that it is the most cost-effective."""
    grid = np.asarray(grid, dtype=float)
    nb = net_benefit(cost, effect, grid, more_is_better=more_is_better)
    optimal = np.argmax(nb.mean(axis=0), axis=0)  # (L,)
    acc = ceac(cost, effect, grid, strategies, more_is_better=more_is_better).to_numpy()
    return pd.DataFrame({"optimal": [strategies[j] for j in optimal],
                         "probability_cost_effective": acc[np.arange(grid.size), optimal]},
                        index=pd.Index(grid, name="threshold"))


def expected_loss(cost: np.ndarray, effect: np.ndarray, grid: Sequence[float], strategies: Sequence[str], *,
                  more_is_better: bool = False) -> pd.DataFrame:
    """Expected loss of choosing each strategy: mean over draws of (best NB - its NB)."""
    nb = net_benefit(cost, effect, np.asarray(grid), more_is_better=more_is_better)
    loss = (nb.max(axis=1, keepdims=True) - nb).mean(axis=0)  # (S, L)
    return pd.DataFrame(loss.T, index=pd.Index(grid, name="threshold"), columns=list(strategies))


def evpi(cost: np.ndarray, effect: np.ndarray, grid: Sequence[float], *, more_is_better: bool = False
         ) -> pd.Series:
    """Per-decision EVPI = E[max_d NB] - max_d E[NB], per threshold (same units as costs)."""
    nb = net_benefit(cost, effect, np.asarray(grid), more_is_better=more_is_better)
    value = nb.max(axis=1).mean(axis=0) - nb.mean(axis=0).max(axis=0)
    return pd.Series(value, index=pd.Index(grid, name="threshold"), name="evpi")


def population_evpi(per_decision: pd.Series | np.ndarray, annual_population: float, years: int,
                    rate: float) -> pd.Series | np.ndarray:
    """Scale per-decision EVPI by the discounted number of decisions over ``years``:
    ``sum_{t=0}^{years-1} annual_population / (1 + rate)^t``."""
    factor = sum(annual_population / (1 + rate) ** t for t in range(years))
    return per_decision * factor


# ------------------------------------------------------------------------------ EVPPI
def evppi(params: Mapping[str, np.ndarray], cost: np.ndarray, effect: np.ndarray, grid: Sequence[float],
          inputs: Mapping[str, Sequence[str]], reference: int = 0, knots: int | None = None,
          clip: bool = True, *, more_is_better: bool = False) -> pd.DataFrame:
    """EVPPI per input set (rows: ``inputs`` names, each a list of parameter names) and threshold
    (columns), from the PSA sample by regression (Strong, Oakley & Brennan 2014)::

        EVPPI = mean_i max_d g_d(phi_i) - max_d mean_i g_d(phi_i)

    with ``g_d`` the fitted incremental net benefit of strategy ``d`` against ``reference``
    (:mod:`model.metamodel`: penalised regression splines, GCV); ``effect`` is the health outcome,
    avoided (DALYs: the default) or gained (``more_is_better``). Inputs with no variation (fixed)
    contribute nothing and get EVPPI 0. The estimate is never negative; regression error can push
    it above the EVPI of the same sample. With ``clip`` (default) such estimates are set to the
    EVPI. Either way the frame's ``attrs`` hold ``clipped`` (input set, threshold, raw value) for
    every estimate above the EVPI, ``clipped_share`` (their share of all estimates: a large share
    means a poor fit) and ``r2`` (the fit's R^2 per input set, one per response column of
    :func:`model.metamodel.incremental`), so a check can tell a rounding-size clip from a bad fit.
    An input set naming a parameter that is not in ``params`` is an error listing the known ones.
    """
    for label, members in inputs.items():
        check_names(f"input set '{label}' names parameter", members, params)
    grid = np.asarray(grid, dtype=float)
    harm = -np.asarray(effect, dtype=float) if more_is_better else np.asarray(effect, dtype=float)
    y = metamodel.incremental(cost, harm, reference)  # increments of cost and of health
    rows, r2 = {}, {}
    for label, members in inputs.items():
        cols = [np.asarray(params[m], dtype=float) for m in members]
        cols = [c for c in cols if np.ptp(c) > 0]
        if not cols:
            rows[label] = np.zeros(grid.size)
            r2[label] = np.zeros(y.shape[1])
            continue
        f = metamodel.fit(cols, y, knots)
        rows[label] = metamodel.value_of_fit(f.values, grid)
        r2[label] = f.r2
    total = evpi(cost, effect, grid, more_is_better=more_is_better).to_numpy()
    raw = pd.DataFrame(rows, index=pd.Index(grid, name="threshold")).T
    clipped = []
    tol = 1e-9 * np.maximum(1.0, np.abs(total))  # ignore rounding-size excursions
    for label, values in rows.items():
        clipped += [(label, float(grid[i]), float(values[i])) for i in np.flatnonzero(values > total + tol)]
    out = raw.clip(upper=pd.Series(total, index=raw.columns), axis=1) if clip else raw.copy()
    out.attrs.update(clipped=clipped, clipped_share=len(clipped) / max(raw.size, 1),
                     r2={label: [float(v) for v in values] for label, values in r2.items()})
    return out


@timed("scenario table")
def scenario_table(ps_by_scenario: Mapping[str, ParameterSet], module, reference: str,
                   comparator: str, *, outcome: str = "dalys", more_is_better: bool = False) -> pd.DataFrame:
    """Every scenario's base case side by side: costs, increments of cost and of health
    (``<outcome>_averted``, or ``_gained`` when more is better) and ICER of ``comparator`` vs
    ``reference`` (per unit of the model's summary)."""
    rows = []
    for name, ps in ps_by_scenario.items():
        s = module.run_set(ps).summary()
        d_cost = s.loc[comparator, "cost"] - s.loc[reference, "cost"]
        d_eff = health_gain(s.loc[comparator, outcome], s.loc[reference, outcome], more_is_better)
        rows.append({"scenario": name, "description": ps.scenario_description,
                     "cost_reference": s.loc[reference, "cost"], "cost_comparator": s.loc[comparator, "cost"],
                     "incremental_cost": d_cost, _gain_label(outcome, more_is_better): d_eff,
                     "icer": d_cost / d_eff if d_eff != 0 else np.nan})
    return pd.DataFrame(rows).set_index("scenario")
