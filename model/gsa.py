"""Global sensitivity analysis with SALib: Sobol indices and Morris elementary effects.

SALib samples the unit cube; each column is pushed through its parameter's own quantile function
(beta, gamma, lognormal ... : :func:`model.distributions.from_unit_cube`), and the model runs once,
vectorised, on the whole sample matrix. The output is the incremental net monetary benefit of a
comparator against a reference at one threshold. Groups (named lists of parameters) make inputs
that move together count as one factor. Fixed inputs are left out; they have no variance.

The unit cube is shrunk to ``[TAIL, 1 - TAIL]`` before mapping (TAIL = 0.001): Morris levels sit
on the cube's faces, where beta, gamma and lognormal quantiles are extreme, so the outer 0.1% of
each distribution is trimmed. Sobol's quasi-random points barely notice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from model.distributions import from_unit_cube, salib_problem
from model.parameters import ParameterSet
from model.uncertainty import Evaluator

TAIL = 0.001


CHUNK = 50_000  # rows per model call: bounds memory for large Sobol designs


def inmb_function(ps: ParameterSet, evaluate: Evaluator, names: Sequence[str], threshold: float,
                  comparator: int, reference: int = 0, chunk: int = CHUNK
                  ) -> Callable[[np.ndarray], np.ndarray]:
    """A function of a unit-cube matrix (rows x ``names``) returning INMB per row; inputs not in
    ``names`` stay at their base values. Rows are evaluated ``chunk`` at a time."""
    base = ps.base()

    def f_chunk(u: np.ndarray) -> np.ndarray:
        p = {k: np.full(u.shape[0], float(v)) for k, v in base.items()}
        p.update(from_unit_cube(ps.dists, names, TAIL + (1 - 2 * TAIL) * np.asarray(u, dtype=float)))
        cost, dalys = evaluate(p)
        d_cost = cost[:, comparator] - cost[:, reference]
        return threshold * (dalys[:, reference] - dalys[:, comparator]) - d_cost

    def f(u: np.ndarray) -> np.ndarray:
        return np.concatenate([f_chunk(u[i : i + chunk]) for i in range(0, u.shape[0], chunk)])

    return f


def sobol_indices(func: Callable[[np.ndarray], np.ndarray], problem: dict, n: int, seed: int,
                  conf_level: float = 0.95) -> pd.DataFrame:
    """First- and total-order Sobol indices with confidence intervals (Saltelli sampling with
    ``n`` base samples, ``n (D + 2)`` evaluations; no second order). Rows: factors (groups if the
    problem has them)."""
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    y = func(x)
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, conf_level=conf_level, seed=seed)
    factors = list(dict.fromkeys(problem["groups"])) if problem.get("groups") else problem["names"]
    return pd.DataFrame({"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                         "ST_conf": res["ST_conf"]}, index=pd.Index(factors, name="factor"))


def morris_effects(func: Callable[[np.ndarray], np.ndarray], problem: dict, trajectories: int,
                   seed: int, levels: int = 4) -> pd.DataFrame:
    """Morris screening: mu* (mean absolute elementary effect), sigma and mu* confidence."""
    x = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    y = func(x)
    res = morris_analyze.analyze(problem, x, y, num_levels=levels, seed=seed)
    factors = list(dict.fromkeys(problem["groups"])) if problem.get("groups") else problem["names"]
    return pd.DataFrame({"mu_star": res["mu_star"], "sigma": res["sigma"],
                         "mu_star_conf": res["mu_star_conf"]},
                        index=pd.Index(factors, name="factor")).sort_values("mu_star", ascending=False)


def sobol(ps: ParameterSet, evaluate: Evaluator, threshold: float, comparator: int, reference: int = 0,
          n: int = 1024, seed: int = 1, names: Sequence[str] | None = None,
          groups: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Sobol indices of INMB over the uncertain inputs (or ``names``), sorted by total order."""
    names = list(names) if names is not None else ps.uncertain
    problem = salib_problem(names, groups)
    f = inmb_function(ps, evaluate, names, threshold, comparator, reference)
    return sobol_indices(f, problem, n, seed).sort_values("ST", ascending=False)


def morris(ps: ParameterSet, evaluate: Evaluator, threshold: float, comparator: int, reference: int = 0,
           trajectories: int = 50, seed: int = 1, names: Sequence[str] | None = None,
           groups: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Morris elementary effects of INMB over the uncertain inputs (or ``names``)."""
    names = list(names) if names is not None else ps.uncertain
    problem = salib_problem(names, groups)
    f = inmb_function(ps, evaluate, names, threshold, comparator, reference)
    return morris_effects(f, problem, trajectories, seed)
