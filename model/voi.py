"""Expected value of sample information (EVSI), expected net benefit of sampling (ENBS) and the
optimal size of a study.

* :func:`evsi`: Strong, Oakley, Brennan & Breeze (2015). For every PSA draw, simulate the study's
  data at each sample size (:func:`model.studies.simulate`, vectorised over draws), reduce them to
  summary statistics, regress each strategy's incremental cost and DALYs averted on the statistics
  (:mod:`model.metamodel`) and take ``mean_i max_d g_d - max_d mean_i g_d``. Only the PSA sample
  is used: the model is not re-run.
* :func:`evsi_importance`: Menzies (2016) importance sampling, the cross-check. For ``outer``
  simulated data sets, the posterior mean of every strategy's net benefit is the PSA sample
  reweighted by the likelihood of that data set under each draw's parameters (the exact binomial
  likelihood of the design file). It needs no regression, but its weights degenerate when the
  data are very informative (large ``n``): the effective sample size is reported.
  Moment matching (Heath, Manolopoulou & Baio 2018) was not chosen because it needs posterior
  samples (MCMC or a conjugate analysis per design) and re-runs of the model; importance
  sampling uses the same likelihood as the simulation and the PSA draws already computed.
* :func:`horizon_population` and :func:`rollout_population`: the discounted number of decisions
  (pregnancies reached by antenatal care) that a study's result can still inform, over the
  decision horizon or over the implementation phases of ``model/budget.py``, counted from the
  time the study reports.
* :func:`enbs` (population EVSI minus the study's cost) and :func:`optimal` (the sample size with
  the highest ENBS per threshold; none when no size pays for itself).

Units: per-unit values are US$ per unit of the model (per pregnancy reached for the continuum);
population values and study costs are US$ of the run's price year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from model import metamodel, studies
from model.budget import Rollout
from model.studies import Study


def _check_draws(params: Mapping[str, np.ndarray], cost: np.ndarray, dalys: np.ndarray, study: Study) -> None:
    n = cost.shape[0]
    if dalys.shape != cost.shape:
        raise ValueError(f"cost {cost.shape} and dalys {dalys.shape} must have the same shape (draws, strategies)")
    missing = [p for p in study.parameters if p not in params]
    if missing:
        raise KeyError(f"{study.file}: the PSA sample has no draws of {missing}")
    bad = {p: np.shape(params[p]) for p in study.parameters if np.shape(params[p]) != (n,)}
    if bad:
        raise ValueError(f"{study.file}: parameter draws must have shape ({n},) like the outcomes; got {bad}")


def evsi_from_statistics(statistics: Sequence[np.ndarray], cost: np.ndarray, dalys: np.ndarray,
                         grid: Sequence[float], reference: int = 0, knots: int | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The regression step of Strong et al. (2015): per-unit EVSI at each threshold of ``grid``
    from one simulated summary statistic per draw (each ``(draws,)``), with its Monte Carlo
    standard error and the fits' R^2. Statistics that do not vary are dropped; with none left the
    data can change nothing and the EVSI is 0."""
    grid = np.asarray(grid, dtype=float)
    y = metamodel.incremental(cost, dalys, reference)
    stats = [np.asarray(s, dtype=float) for s in statistics]
    stats = [s for s in stats if np.ptp(s) > 0]
    if not stats:
        return np.zeros(grid.size), np.zeros(grid.size), np.zeros(y.shape[1])
    f = metamodel.fit(stats, y, knots)
    return metamodel.value_of_fit(f.values, grid), metamodel.value_standard_error(f.values, grid), f.r2


def evsi(study: Study, params: Mapping[str, np.ndarray], cost: np.ndarray, dalys: np.ndarray,
         grid: Sequence[float], sample_sizes: Sequence[int] | None = None, seed: int = 1, reference: int = 0,
         knots: int | None = None) -> pd.DataFrame:
    """Per-unit EVSI of ``study`` by regression on summary statistics of simulated data: one row per
    sample size (index ``n``, per arm), one column per threshold (US$ per DALY averted).

    ``params`` are the PSA draws (shape ``(draws,)`` each) behind ``cost`` and ``dalys``
    ``(draws, strategies)``. ``attrs["se"]`` holds the Monte Carlo standard error of each row
    (outer sample only, :func:`model.metamodel.value_standard_error`), ``attrs["r2"]`` the fits'
    R^2 (:func:`evsi_from_statistics`). A study whose every input is fixed in the PSA (known, as
    adherence from a recent national survey) is worth exactly 0: its data cannot inform anything
    uncertain, and a regression on noise would only find noise."""
    _check_draws(params, cost, dalys, study)
    grid = np.asarray(grid, dtype=float)
    rows, se, r2 = {}, {}, {}
    if all(np.ptp(np.asarray(params[p], dtype=float)) == 0 for p in study.parameters):
        # the study measures only known (fixed) inputs: its data are noise, whatever a regression finds
        sizes = study.sample_sizes if sample_sizes is None else sample_sizes
        out = pd.DataFrame(0.0, index=pd.Index(sorted(sizes), name="n"), columns=pd.Index(grid, name="threshold"))
        out.attrs.update(se={n: [0.0] * grid.size for n in out.index}, r2={}, study=study.name)
        return out
    for data in studies.simulate(study, params, sample_sizes, seed):
        value, err, fit_r2 = evsi_from_statistics(studies.summaries(study, data), cost, dalys, grid, reference,
                                                  knots)
        rows[data.n] = value
        se[data.n] = [float(v) for v in err]
        r2[data.n] = [float(v) for v in fit_r2]
    out = pd.DataFrame(rows, index=pd.Index(grid, name="threshold")).T
    out.index.name = "n"
    out.attrs.update(se=se, r2=r2, study=study.name)
    return out


def evsi_importance(study: Study, params: Mapping[str, np.ndarray], cost: np.ndarray, dalys: np.ndarray,
                    grid: Sequence[float], n: int, seed: int = 1, outer: int = 1000, reference: int = 0
                    ) -> pd.DataFrame:
    """Per-unit EVSI of ``study`` at ``n`` per arm by importance sampling (Menzies 2016): rows are
    thresholds; columns ``evsi``, ``se`` (Monte Carlo standard error over the ``outer`` data sets)
    and ``ess_median`` (median effective number of draws behind each posterior mean; small values
    mean the estimate is unreliable). The data sets are those of the first ``outer`` draws, simulated
    exactly as for :func:`evsi` with the same ``seed``. As for the regression, the value is
    ``mean_j max_d m_dj - max_d mean_j m_dj`` over the posterior means ``m``: the average of the
    posterior means is the prior mean up to noise, and using it keeps that noise out."""
    _check_draws(params, cost, dalys, study)
    grid = np.asarray(grid, dtype=float)
    data = studies.simulate(study, params, [n], seed)[0]
    rows = np.arange(min(outer, cost.shape[0]))
    with metamodel.one_blas_thread():
        ll = studies.log_likelihood(study, params, data, rows)
    w = np.exp(ll - ll.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    ess = 1.0 / (w * w).sum(axis=1)
    with metamodel.one_blas_thread():  # same bits whatever the number of threads
        post = w @ metamodel.incremental(cost, dalys, reference)  # posterior means, (outer, 2 (S - 1))
    return pd.DataFrame({"evsi": metamodel.value_of_fit(post, grid),
                         "se": metamodel.value_standard_error(post, grid),
                         "ess_median": float(np.median(ess))}, index=pd.Index(grid, name="threshold"))


# ------------------------------------------------------------------------------ population
def _after(year_start: np.ndarray, delay: float) -> np.ndarray:
    """Share of each year ``[t, t + 1)`` that falls after ``delay`` years."""
    return np.clip(year_start + 1.0 - delay, 0.0, 1.0)


def horizon_population(annual: float, years: int, rate: float, delay: float = 0.0) -> float:
    """Discounted decisions over ``years`` (year ``t`` weighted ``(1 + rate)^-t``) that come after a
    study reporting ``delay`` years from now: ``sum_t annual x share of year t after delay x
    (1 + rate)^-t``. With ``delay = 0`` it is the EVPI scaling of :func:`model.uncertainty.population_evpi`."""
    t = np.arange(years, dtype=float)
    return float(np.sum(annual * _after(t, delay) / (1.0 + rate) ** t))


def rollout_population(annual: float, rollout: Rollout, rate: float, delay: float = 0.0) -> float:
    """As :func:`horizon_population`, but only the pregnancies the rollout covers each year
    (``model/budget.py``: none in exploration, the pilot share, then the scale-up ramp)."""
    path = rollout.path()
    t = path.index.to_numpy(dtype=float) - 1.0
    return float(np.sum(annual * path["coverage"].to_numpy() * _after(t, delay) / (1.0 + rate) ** t))


# ------------------------------------------------------------------------------ ENBS
def enbs(per_unit: pd.DataFrame, study: Study, population: float) -> pd.DataFrame:
    """Expected net benefit of sampling: ``population x EVSI - study cost``, same shape as
    ``per_unit`` (rows sample sizes per arm, columns thresholds), US$."""
    n = per_unit.index.to_numpy()
    return per_unit * population - study.cost(n)[:, None]


def optimal(enbs_frame: pd.DataFrame) -> pd.DataFrame:
    """Per threshold (rows): the sample size per arm with the highest ENBS (``n_best``), that ENBS
    (``enbs_max``), and ``fund`` (whether it is positive). ``n_optimal`` is ``n_best`` when the
    study pays for itself and 0 (do not fund) otherwise."""
    values = enbs_frame.to_numpy()
    best = values.argmax(axis=0)
    top = values[best, np.arange(values.shape[1])]
    n_best = enbs_frame.index.to_numpy()[best]
    return pd.DataFrame({"n_best": n_best, "enbs_max": top, "fund": top > 0,
                         "n_optimal": np.where(top > 0, n_best, 0)},
                        index=pd.Index(enbs_frame.columns, name="threshold"))
