"""Incremental analysis: efficiency frontier, dominance, ICERs and net benefit.

Health outcomes have a direction. Some are gained (QALYs, life years: more is better), others
averted (DALYs, deaths: less is better). Every function takes the outcome as it comes out of the
model and says which way it points with ``more_is_better``; the health *gain* of a strategy is then
``effect - reference`` (more is better) or ``reference - effect`` (less is better), and net
monetary benefit is ``threshold x effect - cost`` or ``threshold x (-effect) - cost``. Defaults
keep each function's original meaning: ``frontier``, ``nmb``, ``inmb`` and ``best_at`` take a
health gain (more is better); ``incremental`` and ``psa_tables`` take DALYs (less is better).
Costs are in the run's currency. The frontier follows Hunink/Drummond (as in dampack
``calculate_icers``):

1. sort strategies by cost (ties: more effective first);
2. remove strongly dominated strategies (costing at least as much as another for no more health,
   one of the two strictly);
3. compute sequential ICERs along what remains; remove any strategy whose ICER exceeds the next
   one's (extended dominance); repeat until ICERs increase.

All functions take per-strategy arrays; net-benefit functions broadcast over a sample axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.names import check_names

ND, D, ED = "non-dominated", "dominated", "extendedly dominated"


def health_gain(effect, reference, more_is_better: bool):
    """Health gained against ``reference``: ``effect - reference`` when more is better (QALYs),
    ``reference - effect`` when less is better (DALYs averted). Positive means better."""
    return effect - reference if more_is_better else reference - effect


def frontier(strategies: Sequence[str], cost: Sequence[float], effect: Sequence[float],
             tol: float = 1e-12, *, more_is_better: bool = True, outcome: str = "effect") -> pd.DataFrame:
    """Frontier table: one row per strategy, sorted by cost, with ``effect`` (as given),
    ``status``, ``icer`` (cost per unit of health gained) and ``compared_with`` (the previous
    strategy on the frontier).

    ``effect`` is the health outcome per strategy: with ``more_is_better=True`` (the default) a
    gain such as QALYs or DALYs averted; with ``more_is_better=False`` something to avoid, such
    as DALYs or deaths, whose ICERs are then per unit averted. ``outcome`` names it in
    ``attrs``."""
    cost = np.asarray(cost, dtype=float)
    given = np.asarray(effect, dtype=float)
    if not (len(strategies) == cost.size == given.size):
        raise ValueError(f"strategies, cost and effect must have the same length (got {len(strategies)}, "
                         f"{cost.size} and {given.size})")
    effect = given if more_is_better else -given
    order = sorted(range(len(strategies)), key=lambda i: (cost[i], -effect[i]))
    status = dict.fromkeys(range(len(strategies)), ND)
    for i in order:
        for j in order:
            if i != j and cost[j] <= cost[i] + tol and effect[j] >= effect[i] - tol and (
                    cost[j] < cost[i] - tol or effect[j] > effect[i] + tol):
                status[i] = D
                break
    # identical strategies: keep the first in order, mark the rest dominated
    kept = []
    for i in order:
        if status[i] != ND:
            continue
        if kept and abs(cost[kept[-1]] - cost[i]) <= tol and abs(effect[kept[-1]] - effect[i]) <= tol:
            status[i] = D
            continue
        kept.append(i)
    changed = True
    while changed and len(kept) > 2:
        changed = False
        icers = [(cost[b] - cost[a]) / (effect[b] - effect[a]) for a, b in zip(kept, kept[1:], strict=False)]
        for k in range(len(icers) - 1):
            if icers[k] > icers[k + 1] + tol * max(1.0, abs(icers[k + 1])):
                status[kept[k + 1]] = ED
                del kept[k + 1]
                changed = True
                break
    rows = []
    prev = {b: a for a, b in zip(kept, kept[1:], strict=False)}
    for i in order:
        icer, comp = np.nan, ""
        if i in prev:
            a = prev[i]
            icer = (cost[i] - cost[a]) / (effect[i] - effect[a])
            comp = strategies[a]
        rows.append({"strategy": strategies[i], "cost": cost[i], "effect": given[i],
                     "status": status[i], "icer": icer, "compared_with": comp})
    out = pd.DataFrame(rows)
    out.attrs.update(outcome=outcome, more_is_better=more_is_better)
    return out


def nmb(cost: np.ndarray, effect: np.ndarray, threshold, *, more_is_better: bool = True) -> np.ndarray:
    """Net monetary benefit ``threshold * effect - cost`` (``threshold * (-effect) - cost`` when
    less is better); broadcasts (samples x strategies)."""
    effect = np.asarray(effect) if more_is_better else -np.asarray(effect)
    return np.asarray(threshold, dtype=float) * effect - np.asarray(cost)


def inmb(cost: np.ndarray, effect: np.ndarray, threshold, reference: int = 0, *,
         more_is_better: bool = True) -> np.ndarray:
    """Incremental NMB of each strategy (last axis) against strategy ``reference``."""
    b = nmb(cost, effect, threshold, more_is_better=more_is_better)
    return b - b[..., reference : reference + 1]


def best_at(cost: Sequence[float], effect: Sequence[float], threshold: float, *,
            more_is_better: bool = True) -> int:
    """Index of the strategy with the highest NMB at ``threshold`` (first on ties)."""
    return int(np.argmax(nmb(np.asarray(cost), np.asarray(effect), threshold, more_is_better=more_is_better)))


def cost_per_unit_averted(d_cost: np.ndarray, d_averted: np.ndarray) -> np.ndarray:
    """Incremental cost per unit of an outcome averted (deaths, LBW births ...); NaN where
    nothing is averted, negative where the strategy saves money."""
    d_averted = np.asarray(d_averted, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(d_averted) > 0, np.asarray(d_cost) / d_averted, np.nan)


def incremental(summary: pd.DataFrame, reference: str, averted: Sequence[str] | None = None,
                cost: str = "cost", *, outcome: str = "dalys", more_is_better: bool = False,
                gained: Sequence[str] | None = None) -> pd.DataFrame:
    """Increments of every strategy against ``reference`` from a per-strategy summary frame.

    ``summary`` has strategies as rows and outcome columns. For each column in ``averted`` (things
    to avoid: DALYs, deaths, LBW births) the table gives the number averted and the incremental
    cost per unit averted; for each column in ``gained`` (QALYs, life years, recoveries) the number
    gained and the cost per unit gained. The efficiency frontier on ``outcome`` (the health
    outcome the decision is made on; ``more_is_better`` says its direction) is joined in:
    ``status``, ``icer_frontier`` (cost per unit of health gained along the frontier) and
    ``compared_with``. By default ``averted`` is ``(outcome,)`` when less is better and
    ``gained`` is ``(outcome,)`` when more is better, so ``incremental(s, "SoC", outcome="qalys",
    more_is_better=True)`` is a QALY table and the defaults give the DALY table.

    A ``reference`` that is not a row, or a column name that is not in ``summary``, is an error
    naming it and listing the known ones."""
    if averted is None:
        averted = () if more_is_better else (outcome,)
    if gained is None:
        gained = (outcome,) if more_is_better else ()
    check_names("reference strategy", [reference], summary.index)
    check_names("summary column", [cost, outcome, *averted, *gained], summary.columns)
    ref = summary.loc[reference]
    out = pd.DataFrame(index=summary.index)
    out["incremental_cost"] = summary[cost] - ref[cost]
    for name in averted:
        out[f"{name}_averted"] = ref[name] - summary[name]
        out[f"cost_per_{name}_averted"] = cost_per_unit_averted(
            out["incremental_cost"].to_numpy(), out[f"{name}_averted"].to_numpy())
    for name in gained:
        out[f"{name}_gained"] = summary[name] - ref[name]
        out[f"cost_per_{name}_gained"] = cost_per_unit_averted(
            out["incremental_cost"].to_numpy(), out[f"{name}_gained"].to_numpy())
    gain = health_gain(summary[outcome], ref[outcome], more_is_better)
    front = frontier(list(summary.index), summary[cost].to_numpy(), gain.to_numpy(),
                     outcome=outcome).set_index("strategy")
    out["status"] = front["status"]
    out["icer_frontier"] = front["icer"]
    out["compared_with"] = front["compared_with"]
    return out


def country_thresholds(gdp_per_capita: float, share_ochalek: float | None = None,
                       share_woods: float | None = None) -> dict[str, float]:
    """Cost-effectiveness thresholds (US$ per DALY averted, the run's price year): 0.5x and 1x GDP
    per capita, and opportunity-cost estimates as shares of GDP per capita where given (Ochalek
    2018; Woods 2016 mid-point)."""
    out = {"0.5 x GDP per capita": 0.5 * gdp_per_capita, "1 x GDP per capita": gdp_per_capita}
    if share_ochalek is not None:
        out["opportunity cost (Ochalek 2018)"] = share_ochalek * gdp_per_capita
    if share_woods is not None:
        out["opportunity cost (Woods 2016, mid)"] = share_woods * gdp_per_capita
    return out


def thresholds_for(ps) -> dict[str, float]:
    """A parameter set's thresholds (US$ per DALY averted, run price year): see
    :func:`country_thresholds`; needs ``gdp_per_capita``, uses the opportunity-cost shares if set."""
    get = lambda k: ps[k].value if k in ps else None  # noqa: E731
    return country_thresholds(ps["gdp_per_capita"].value, get("threshold_share_ochalek2018"),
                              get("threshold_share_woods2016"))


def decision_threshold(ps) -> tuple[str, float]:
    """The threshold the run decides at (``settings.decision_threshold``): (label, US$ per DALY).
    Falls back to 0.5 x GDP per capita when the country has no opportunity-cost estimate."""
    lam = thresholds_for(ps)
    label = ps.settings.decision_threshold
    if label not in lam:
        label = "0.5 x GDP per capita"
    return label, lam[label]


def psa_tables(strategies: Sequence[str], cost: np.ndarray, effect: np.ndarray,
               thresholds: dict[str, float], reference: int = 0, *, outcome: str = "dalys",
               more_is_better: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PSA summaries from ``(samples, strategies)`` cost and health-outcome arrays.

    Returns (1) mean and 95% interval of incremental cost and of health gained against
    ``reference`` (columns ``<outcome>_averted_*`` when less is better, the default for DALYs;
    ``<outcome>_gained_*`` when more is better), and (2) the probability that each strategy has
    the highest net monetary benefit at each named threshold (the acceptability table behind a
    CEAC)."""
    cost, effect = np.atleast_2d(cost), np.atleast_2d(effect)
    if not (len(strategies) == cost.shape[1] == effect.shape[1]):
        raise ValueError(f"{len(strategies)} strategies for cost and effect arrays with {cost.shape[1]} and "
                         f"{effect.shape[1]} columns")
    d_cost = cost - cost[:, [reference]]
    d_eff = health_gain(effect, effect[:, [reference]], more_is_better)
    label = f"{outcome}_{'gained' if more_is_better else 'averted'}"
    rows = []
    for j, s in enumerate(strategies):
        lo_c, hi_c = np.quantile(d_cost[:, j], [0.025, 0.975])
        lo_e, hi_e = np.quantile(d_eff[:, j], [0.025, 0.975])
        rows.append({"strategy": s, "incremental_cost_mean": d_cost[:, j].mean(),
                     "incremental_cost_low": lo_c, "incremental_cost_high": hi_c,
                     f"{label}_mean": d_eff[:, j].mean(), f"{label}_low": lo_e,
                     f"{label}_high": hi_e})
    acc = {}
    for name, value in thresholds.items():
        best = np.argmax(nmb(cost, effect, value, more_is_better=more_is_better), axis=1)
        acc[name] = [float(np.mean(best == j)) for j in range(len(strategies))]
    return (pd.DataFrame(rows).set_index("strategy"),
            pd.DataFrame(acc, index=pd.Index(list(strategies), name="strategy")))
