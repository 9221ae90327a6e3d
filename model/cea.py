"""Incremental analysis: efficiency frontier, dominance, ICERs and net benefit.

Health is measured as DALYs *averted* relative to a reference strategy (higher is better), costs
in the run's currency. The frontier follows Hunink/Drummond (as in dampack ``calculate_icers``):

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

ND, D, ED = "non-dominated", "dominated", "extendedly dominated"


def frontier(strategies: Sequence[str], cost: Sequence[float], effect: Sequence[float],
             tol: float = 1e-12) -> pd.DataFrame:
    """Frontier table: one row per strategy, sorted by cost, with ``status``, ``icer`` and
    ``compared_with`` (the previous strategy on the frontier). ``effect`` is health gained
    (e.g. DALYs averted), higher is better."""
    cost = np.asarray(cost, dtype=float)
    effect = np.asarray(effect, dtype=float)
    if not (len(strategies) == cost.size == effect.size):
        raise ValueError("strategies, cost and effect must have the same length")
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
        rows.append({"strategy": strategies[i], "cost": cost[i], "effect": effect[i],
                     "status": status[i], "icer": icer, "compared_with": comp})
    return pd.DataFrame(rows)


def nmb(cost: np.ndarray, effect: np.ndarray, threshold) -> np.ndarray:
    """Net monetary benefit ``threshold * effect - cost``; broadcasts (samples x strategies)."""
    return np.asarray(threshold, dtype=float) * np.asarray(effect) - np.asarray(cost)


def inmb(cost: np.ndarray, effect: np.ndarray, threshold, reference: int = 0) -> np.ndarray:
    """Incremental NMB of each strategy (last axis) against strategy ``reference``."""
    b = nmb(cost, effect, threshold)
    return b - b[..., reference : reference + 1]


def best_at(cost: Sequence[float], effect: Sequence[float], threshold: float) -> int:
    """Index of the strategy with the highest NMB at ``threshold`` (first on ties)."""
    return int(np.argmax(nmb(np.asarray(cost), np.asarray(effect), threshold)))


def cost_per_unit_averted(d_cost: np.ndarray, d_averted: np.ndarray) -> np.ndarray:
    """Incremental cost per unit of an outcome averted (deaths, LBW births ...); NaN where
    nothing is averted, negative where the strategy saves money."""
    d_averted = np.asarray(d_averted, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(d_averted) > 0, np.asarray(d_cost) / d_averted, np.nan)


def incremental(summary: pd.DataFrame, reference: str, averted: Sequence[str] = ("dalys",),
                cost: str = "cost") -> pd.DataFrame:
    """Increments of every strategy against ``reference`` from a per-strategy summary frame.

    ``summary`` has strategies as rows and outcome columns; for each outcome in ``averted``
    (things to avoid: DALYs, deaths, LBW births) the table gives the number averted and the
    incremental cost per unit averted. The efficiency frontier on DALYs averted is joined in."""
    ref = summary.loc[reference]
    out = pd.DataFrame(index=summary.index)
    out["incremental_cost"] = summary[cost] - ref[cost]
    for name in averted:
        out[f"{name}_averted"] = ref[name] - summary[name]
        out[f"cost_per_{name}_averted"] = cost_per_unit_averted(
            out["incremental_cost"].to_numpy(), out[f"{name}_averted"].to_numpy())
    front = frontier(list(summary.index), summary[cost].to_numpy(),
                     (ref["dalys"] - summary["dalys"]).to_numpy()).set_index("strategy")
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


def psa_tables(strategies: Sequence[str], cost: np.ndarray, dalys: np.ndarray,
               thresholds: dict[str, float], reference: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PSA summaries from ``(samples, strategies)`` cost and DALY arrays.

    Returns (1) mean and 95% interval of incremental cost and DALYs averted against
    ``reference``, and (2) the probability that each strategy has the highest net monetary
    benefit at each named threshold (the acceptability table behind a CEAC)."""
    cost, dalys = np.atleast_2d(cost), np.atleast_2d(dalys)
    d_cost = cost - cost[:, [reference]]
    d_eff = dalys[:, [reference]] - dalys
    rows = []
    for j, s in enumerate(strategies):
        lo_c, hi_c = np.quantile(d_cost[:, j], [0.025, 0.975])
        lo_e, hi_e = np.quantile(d_eff[:, j], [0.025, 0.975])
        rows.append({"strategy": s, "incremental_cost_mean": d_cost[:, j].mean(),
                     "incremental_cost_low": lo_c, "incremental_cost_high": hi_c,
                     "dalys_averted_mean": d_eff[:, j].mean(), "dalys_averted_low": lo_e,
                     "dalys_averted_high": hi_e})
    acc = {}
    for label, value in thresholds.items():
        best = np.argmax(nmb(cost, -dalys, value), axis=1)
        acc[label] = [float(np.mean(best == j)) for j in range(len(strategies))]
    return (pd.DataFrame(rows).set_index("strategy"),
            pd.DataFrame(acc, index=pd.Index(list(strategies), name="strategy")))
