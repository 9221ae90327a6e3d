"""Published results of the decisions this workbook models, next to a run's own results; and the
evidence tables behind the key inputs (``parameters/evidence/*.csv``).

``parameters/published.yaml`` holds, per study, what was compared, the cost per DALY averted (and per
death averted where published) as published, its currency and price year, a source key of
``sources.yaml`` and one line on why it may differ. :func:`compare` converts each figure to the run's
price year with the CPI-U deflators (international dollars are converted as if US$, and flagged) and
lays this run's figure beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import yaml

from model.currency import Deflators
from model.parameters import DEFAULT_ROOT
from model.timing import timed

DECISIONS = ("infant_care", "mms")
FIELDS = ("decision", "compared", "population", "cost_per_daly", "currency", "price_year", "price_year_status",
          "source", "why_differs")
OPTIONAL = ("cost_per_death", "unit", "dalys_averted_per_100000")


class PublishedError(ValueError):
    """A malformed ``published.yaml`` (names the file, the study and the problem)."""


def load(root: str | Path | None = None) -> pd.DataFrame:
    """Every published study as a frame indexed by study key (validated)."""
    root = Path(root) if root else DEFAULT_ROOT
    path = root / "published.yaml"
    sources = yaml.safe_load((root / "sources.yaml").read_text(encoding="utf-8")) or {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    studies = data.get("studies")
    if not isinstance(studies, dict) or not studies:
        raise PublishedError(f"{path}: 'studies' must be a mapping of study key -> entry")
    rows = []
    for key, entry in studies.items():
        where = f"{path}: {key}"
        if not isinstance(entry, dict):
            raise PublishedError(f"{where}: must be a mapping")
        missing = [f for f in FIELDS if f not in entry]
        unknown = sorted(set(entry) - set(FIELDS) - set(OPTIONAL))
        if missing or unknown:
            raise PublishedError(f"{where}: missing {missing}, unknown {unknown} (fields: {FIELDS + OPTIONAL})")
        if entry["decision"] not in DECISIONS:
            raise PublishedError(f"{where}: decision {entry['decision']!r} is not one of {DECISIONS}")
        if entry["source"] not in sources:
            raise PublishedError(f"{where}: source {entry['source']!r} is not a key of sources.yaml")
        if entry["price_year_status"] not in ("read", "assumption"):
            raise PublishedError(f"{where}: price_year_status must be 'read' or 'assumption'")
        for f in ("cost_per_daly", "cost_per_death", "dalys_averted_per_100000"):
            if f in entry and not (isinstance(entry[f], int | float) and math.isfinite(entry[f]) and entry[f] > 0):
                raise PublishedError(f"{where}: {f} must be a positive number, got {entry[f]!r}")
        rows.append({"study": key, **{f: entry.get(f) for f in FIELDS + OPTIONAL}})
    return pd.DataFrame(rows).set_index("study")


@timed("published comparisons")
def compare(decision: str, ours: Mapping[str, tuple[float, float]], price_year: int, setting: str,
            root: str | Path | None = None) -> pd.DataFrame:
    """This run's results (``ours``: what was compared -> (US$ per DALY averted, US$ per death
    averted), in ``price_year`` US$) followed by the published studies of ``decision`` converted to
    ``price_year`` US$, one row each, with its citation (``sources.yaml``) and why it may differ."""
    if decision not in DECISIONS:
        raise PublishedError(f"unknown decision {decision!r} (expected one of {DECISIONS})")
    root = Path(root) if root else DEFAULT_ROOT
    table = load(root)
    table = table[table["decision"] == decision]
    deflators = Deflators.from_csv(root / "global" / "deflators.csv")
    per_daly, per_death = f"US$ per DALY averted ({price_year})", f"US$ per death averted ({price_year})"
    sources = yaml.safe_load((root / "sources.yaml").read_text(encoding="utf-8")) or {}
    rows = [{"study": "this run", "source": "this workbook", "compared": label, "population": setting,
             per_daly: daly, per_death: death, "as published": "", "why it may differ": ""}
            for label, (daly, death) in ours.items()]
    for key, r in table.iterrows():
        f = deflators.factor(int(r["price_year"]), price_year)
        year = f"{r['price_year']}{'' if r['price_year_status'] == 'read' else ', assumed'}"
        published = f"{r['currency']} {r['cost_per_daly']:,.0f} per DALY"
        if pd.notna(r["cost_per_death"]):
            published += f", {r['currency']} {r['cost_per_death']:,.0f} per death"
        rows.append({"study": key, "source": sources[r["source"]]["citation"], "compared": r["compared"],
                     "population": r["population"],
                     per_daly: r["cost_per_daly"] * f,
                     per_death: float(r["cost_per_death"]) * f if pd.notna(r["cost_per_death"]) else float("nan"),
                     "as published": f"{published} ({year})", "why it may differ": r["why_differs"]})
    return pd.DataFrame(rows).set_index("study")


def this_run(incremental: pd.DataFrame, strategy: str, label: str, deaths: str = "infant_deaths"
             ) -> dict[str, tuple[float, float]]:
    """This run's row for :func:`compare` from an incremental table (``model.cea.incremental``):
    ``{"<label> (<status>)": (US$ per DALY averted, US$ per death averted)}``, each ratio NaN unless
    the strategy costs more and averts more of that outcome (the brief's vocabulary,
    :mod:`model.brief.words`), so a dominated strategy never shows a negative 'cost per DALY'."""
    from model.brief import words

    row = incremental.loc[strategy]
    cost = float(row["incremental_cost"])
    daly = words.icer(cost, float(row["dalys_averted"]))
    death = words.icer(cost, float(row[f"{deaths}_averted"]))
    status = words.status(cost, float(row["dalys_averted"]))
    return {f"{label} ({status})": (float("nan") if daly is None else daly,
                                    float("nan") if death is None else death)}


def evidence_table(name: str, root: str | Path | None = None) -> pd.DataFrame:
    """``parameters/evidence/<name>.csv``: an evidence table (estimates with their sources); every
    ``source`` must be a key of ``sources.yaml``."""
    root = Path(root) if root else DEFAULT_ROOT
    path = root / "evidence" / f"{name}.csv"
    table = pd.read_csv(path)
    sources = yaml.safe_load((root / "sources.yaml").read_text(encoding="utf-8")) or {}
    unknown = sorted(set(table.get("source", pd.Series(dtype=str))) - set(sources))
    if "source" not in table.columns or unknown:
        raise PublishedError(f"{path}: source keys not in sources.yaml: {unknown or 'no source column'}")
    return table
