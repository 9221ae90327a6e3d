"""Replicating a published analysis: from this workbook's base case to its conventions, step by step.

:func:`kashi_decomposition` walks from the base case of each country to the conventions of Kashi
et al. 2019 (the Nutrition International MMS model, "Cochrane scenario"), one convention at a
time, as far as they are published (``STEPS``; the ``kashi2019`` scenario file holds the same
values with their sources). Each row gives MMS vs IFA DALYs averted per 100,000 pregnancies and
the cost per DALY averted after that step, so every difference from the published figures is
attributed to a named assumption. What the model cannot represent is listed in
``NOT_REPRESENTABLE`` with the reason. Nothing here is tuned to the published numbers.

Units: DALYs per 100,000 pregnancies reached; US$ of the base run's price year until the price-year
step, then 2016 US$.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model import antenatal, published
from model import parameters as P
from model.currency import Deflators
from model.timing import timed

UNITS = ("BGD", "IND", "PAK")
KASHI_PRICE_YEAR = 2016


@dataclass(frozen=True)
class Step:
    """One convention adopted: settings and parameter values (costs in ``cost_year`` US$)."""

    label: str
    settings: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    costs: dict = field(default_factory=dict)  # name -> US$ of KASHI_PRICE_YEAR
    source: str = "kashi2019"


STEPS = (
    Step("Comparator: 60 mg IFA", settings={"comparator_iron_mg": 60}),
    Step("Neonatal effect pooled across comparator doses (0.99; the 2017 reviews did not split by dose)",
         values={"rr_nmr_mms_vs_ifa60": 0.99, "rr_nmr_mms_vs_ifa30": 0.99}, source="smith2017_ipd"),
    Step("Trial effects for every pregnancy (no adjustment for adherence)",
         values={"effect_fraction_low_adherence": 1.0}),
    Step("Stillbirths counted in DALYs", settings={"stillbirths_in_dalys": True}),
    Step("Costs: supplements only (IFA US$1.63, MMS US$3.46 per pregnancy), no wastage, no newborn care",
         values={"supplement_wastage": 0.0, "p_admission_small_newborn": 0.0},
         costs={"price_ifa60_180": 1.63, "price_mms_180": 3.46}),
    Step("Price year 2016", settings={"price_year": KASHI_PRICE_YEAR}),
)

NOT_REPRESENTABLE = (
    ("DALYs for low birthweight, preterm and SGA births and for maternal anaemia",
     "Kashi aggregates eight outcomes into DALYs; the disability weights and durations it gives LBW, "
     "preterm and SGA births and maternal anaemia are not published. This model counts birth outcomes "
     "only through the deaths they cause (no sourced disability weight was found), so it cannot add them."),
    ("Cochrane 2017 (pub5) effect sizes",
     "The review's risk ratios could not be read; the WHO 2020 analysis of its 2019 update stands in "
     "for the birth outcomes, and the IPD's pooled neonatal effect for mortality."),
    ("Maternal mortality", "Not modelled (no significant effect of MMS vs IFA; not in this model's scope)."),
    ("Country inputs of about 2016", "This model uses current (2020-2023) UN IGME, UNICEF-WHO and DHS inputs; "
     "Kashi's baselines are not published."),
    ("Life table, discounting and age weighting", "Not published; this model keeps its own (GBD 2019 "
     "reference life table, 3% a year, no age weighting)."),
)


def _run(ps: P.ParameterSet, p: dict, settings: P.Settings) -> tuple[float, float]:
    """MMS vs IFA: (DALYs averted per 100,000 pregnancies, incremental cost per 100,000)."""
    s = antenatal.run(p, settings).summary()
    return (float((s.loc["IFA", "dalys"] - s.loc["MMS", "dalys"]) * 1e5),
            float((s.loc["MMS", "cost"] - s.loc["IFA", "cost"]) * 1e5))


@timed("published comparisons")
def kashi_decomposition(units: tuple[str, ...] = UNITS, root=None) -> pd.DataFrame:
    """Rows: the base case, then each step of ``STEPS`` (cumulative), then the published figures
    and the remaining difference; columns ``(unit, 'DALYs averted per 100,000' | 'US$ per DALY')``."""
    deflators = Deflators.from_csv(Path(root or P.DEFAULT_ROOT) / "global" / "deflators.csv")
    table: dict[tuple[str, str], list[float]] = {}
    labels = ["This workbook's base case"] + [s.label for s in STEPS]
    for unit in units:
        ps = P.load(unit, "base", root)
        p, settings = ps.base(), ps.settings
        factor = 1.0  # US$ of the base price year per US$ of the current step's price year
        rows = [_run(ps, p, settings)]
        for step in STEPS:
            settings = settings.model_copy(update={k: v for k, v in step.settings.items() if k != "price_year"})
            p = {**p, **{k: np.asarray(float(v)) for k, v in step.values.items()}}
            base_year = ps.settings.price_year
            p.update({k: np.asarray(v * deflators.factor(KASHI_PRICE_YEAR, base_year)) for k, v in step.costs.items()})
            if "price_year" in step.settings:
                factor = deflators.factor(step.settings["price_year"], base_year)
                settings = settings.model_copy(update={"price_year": step.settings["price_year"]})
            dalys, cost = _run(ps, p, settings)
            rows.append((dalys, cost / factor))
        table[(unit, "DALYs averted per 100,000")] = [r[0] for r in rows]
        table[(unit, "US$ per DALY")] = [r[1] / r[0] if r[0] > 0 else float("nan") for r in rows]
    out = pd.DataFrame(table, index=pd.Index(labels, name="step"))
    pub = published.load(root)
    pub = pub[pub["source"] == "kashi2019"].set_index("unit")
    target = {(u, "DALYs averted per 100,000"): float(pub.loc[u, "dalys_averted_per_100000"]) for u in units}
    target |= {(u, "US$ per DALY"): float(pub.loc[u, "cost_per_daly"]) for u in units}
    out.loc["Published (Kashi 2019, 2016 US$)"] = pd.Series(target)
    last = out.iloc[-2]
    out.loc["Difference from published, %"] = 100 * (last - out.loc["Published (Kashi 2019, 2016 US$)"]) / out.loc[
        "Published (Kashi 2019, 2016 US$)"]
    return out


def not_representable() -> pd.DataFrame:
    """Kashi 2019 conventions this model cannot represent, and why."""
    return pd.DataFrame(NOT_REPRESENTABLE, columns=["convention", "why not"])
