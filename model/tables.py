"""Tables for reading: significant figures, thousands separators, labels and full notes.

Display only (notebooks): each function returns the same numbers, formatted or rescaled; nothing
here computes a result. ``sig`` is the number format; ``show`` styles any frame with it;
``inputs`` is the parameter table with labels first and notes in full; ``per_100k`` turns
per-pregnancy increments into counts per 100,000; ``by_risk`` lays out the infant model's results
per risk class; ``above_floor`` keeps the EVPPI rows worth reading.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

YEAR_COLUMNS = ("cost_year", "cost_year_original", "price_year", "year")


def sig(value, digits: int = 3) -> str:
    """A number for reading: thousands separators from 1,000 (whole numbers), ``digits``
    significant figures below (0.000347, 0.93, 12.3), '' for missing values."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool | str):
        return str(value)
    x = float(value)
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _year(value) -> str:
    return "" if value is None or (isinstance(value, float) and not math.isfinite(value)) else f"{int(value)}"


def show(frame: pd.DataFrame, digits: int = 3, percent: Iterable[str] = (), caption: str | None = None):
    """A Styler of ``frame``: numbers by :func:`sig`, ``percent`` columns as percentages, year
    columns as whole years, text wrapped rather than cut."""
    if not frame.index.is_unique:  # e.g. several 'this run' rows: a Styler needs unique labels
        frame = frame.reset_index()
    percent = set(percent)
    formats = {}
    for col in frame.columns:
        if col in percent:
            formats[col] = lambda v: "" if pd.isna(v) else f"{v:.1%}"
        elif str(col) in YEAR_COLUMNS:
            formats[col] = _year
        elif pd.api.types.is_numeric_dtype(frame[col]):
            formats[col] = lambda v, d=digits: sig(v, d)
    styler = frame.style.format(formats, na_rep="")
    if not isinstance(frame.index, pd.RangeIndex) and pd.api.types.is_numeric_dtype(frame.index):
        styler = styler.format_index(lambda v: sig(v, digits), axis=0)
    numbers = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    text = [c for c in frame.columns if c not in numbers]
    if numbers:
        styler = styler.set_properties(subset=numbers, **{"text-align": "right", "white-space": "nowrap"})
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left", "white-space": "normal",
                                                       "min-width": "8em"})
    if "note" in frame.columns:
        styler = styler.set_properties(subset=["note"], **{"min-width": "32em"})
    styler = styler.set_table_styles([{"selector": "th.row_heading", "props": "text-align: left; min-width: 14em;"},
                                      {"selector": "caption", "props": "text-align: left; font-weight: bold;"}],
                                     overwrite=False)
    return styler.set_caption(caption) if caption else styler


def inputs(table: pd.DataFrame, names: Iterable[str] | None = None):
    """The parameter table (``ParameterSet.table()``), restricted to ``names``, label first,
    notes in full, original cost year as a year."""
    t = table if names is None else table[table["parameter"].isin(list(names))]
    cols = [c for c in ("label", "parameter", "value", "low", "high", "unit", "distribution", "status", "source",
                        "cost_year_original", "note") if c in t.columns]
    return show(t[cols].set_index("label"))


def per_100k(incremental: pd.DataFrame, scale: float = 100_000) -> pd.DataFrame:
    """Per-pregnancy (or per-infant) increments as totals per ``scale``: incremental costs and
    counts averted (means and interval bounds) are multiplied; ratios (``cost_per_*``,
    ``icer_*``), statuses and names are kept."""
    out = incremental.copy()
    for col in out.columns:
        if (col.startswith("incremental_cost") or "_averted" in col) and not col.startswith("cost_per_") \
                and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col] * scale
    return out


def with_status(incremental: pd.DataFrame, reference: str) -> pd.DataFrame:
    """An incremental table (``model.cea.incremental``) with each strategy's status against
    ``reference`` (:func:`model.brief.words.status`) first, and every ``cost_per_<outcome>_averted``
    blank where it is not a cost per unit averted (the strategy does not cost more and avert more);
    the frontier columns renamed for reading."""
    from model.brief import words

    out = incremental.copy()
    cost = out["incremental_cost"]
    out.insert(0, f"status vs {reference}", [words.status(c, e) for c, e in zip(cost, out["dalys_averted"],
                                                                            strict=True)])
    for col in [c for c in out.columns if c.startswith("cost_per_") and c.endswith("_averted")]:
        averted = out[col.removeprefix("cost_per_")]
        out[col] = [words.icer(c, a) for c, a in zip(cost, averted, strict=True)]
        out[col] = out[col].astype(float)
    return out.rename(columns={"status": "frontier status", "icer_frontier": "frontier ICER (US$ per DALY averted)",
                               "compared_with": "frontier ICER compared with"})


def by_risk(result, strategies: Iterable[str], risks: Iterable[str], scale: float = 1000,
            outcomes: Iterable[str] = ("cost", "deaths", "dalys")) -> pd.DataFrame:
    """The infant model's base case per risk class: rows (risk class, strategy), outcomes per
    ``scale`` infants of that class (``result.by_risk`` holds them per infant)."""
    strategies, risks = list(strategies), list(risks)
    rows = []
    for i, risk in enumerate(risks):
        for j, s in enumerate(strategies):
            row = {"risk class": risk, "strategy": s}
            for o in outcomes:
                row[o] = float(np.mean(np.asarray(result.by_risk[o])[..., i, j])) * scale
            rows.append(row)
    return pd.DataFrame(rows).set_index(["risk class", "strategy"])


def above_floor(evppi: pd.DataFrame, evpi: float, share: float = 0.01, column: str = "evppi"
                ) -> tuple[pd.DataFrame, float]:
    """EVPPI rows worth reading: those at or above ``share`` of the EVPI (per decision); returns
    the rows and the floor (US$ per decision). Below it an estimate is regression noise or too
    small to direct research."""
    floor = share * max(float(evpi), 0.0)
    keep = evppi[evppi[column] >= floor] if floor > 0 else evppi.iloc[0:0]
    return keep, floor
