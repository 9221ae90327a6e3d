"""Budget impact over the implementation phases: exploration, pilot, scale-up.

The Healthy Mothers Healthy Babies guidance and the MAMI Global Network strategy (background
documents) describe introduction in three phases: exploration (preparing: no one covered),
initial implementation as a pilot (a small share of the cohort), and scale-up (a ramp to the
target coverage). Each year a new cohort of pregnancies enters (open cohorts); the share of it
covered by the new strategy follows the phase. Per covered pregnancy, the recurrent increment in
cost and outcomes against the status quo comes from the continuum model (so infant-care costs and
the smaller at-risk cohort under MMS are included). The one-off transition cost per woman
(training, guidelines, materials) falls in the year coverage expands, on the newly covered women
only, instead of on every pregnancy as in the per-pregnancy analysis.

Outputs per year: phase, coverage, pregnancies covered, recurrent and one-off cost, total, and
deaths, stillbirths, LBW births and DALYs averted; undiscounted and discounted (the run's cost
and effect discount rates, year 1 undiscounted). Where a country file gives
``government_health_expenditure`` (US$ per year), the budget is also shown as its share; no
evidence file gives it yet, so the column is absent unless added.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model import continuum
from model.parameters import ParameterSet

PHASES = ("exploration", "pilot", "scale-up", "sustained")
# Inputs the budget impact reads: the continuum model's, plus the transition cost and discount rates
# it uses itself (``government_health_expenditure`` is optional).
REQUIRED = sorted(set(continuum.REQUIRED) | {"transition_cost_per_woman", "discount_rate_costs",
                                             "discount_rate_effects"})


@dataclass(frozen=True)
class Rollout:
    """Coverage path: years of exploration (0%), pilot years at ``pilot_coverage``, then a linear
    ramp over ``scale_up_years`` to ``target_coverage``, held to the end of ``years``."""

    years: int = 5
    exploration_years: int = 1
    pilot_years: int = 1
    pilot_coverage: float = 0.1
    scale_up_years: int = 3
    target_coverage: float = 0.9

    def __post_init__(self) -> None:
        if self.years < 1 or min(self.exploration_years, self.pilot_years, self.scale_up_years) < 0:
            raise ValueError("rollout years must be non-negative (and at least one year in total)")
        if not (0 <= self.pilot_coverage <= 1 and 0 <= self.target_coverage <= 1):
            raise ValueError("coverages must lie in [0, 1]")

    @classmethod
    def from_settings(cls, settings) -> Rollout:
        """The path the run's settings describe (``settings.rollout_*``)."""
        return cls(years=settings.rollout_years, exploration_years=settings.rollout_exploration_years,
                   pilot_years=settings.rollout_pilot_years, pilot_coverage=settings.rollout_pilot_coverage,
                   scale_up_years=settings.rollout_scale_up_years,
                   target_coverage=settings.rollout_target_coverage)

    def path(self) -> pd.DataFrame:
        """Phase and coverage for years 1 .. ``years``."""
        rows = []
        for y in range(1, self.years + 1):
            k = y - self.exploration_years
            if k <= 0:
                phase, cov = "exploration", 0.0
            elif k <= self.pilot_years:
                phase, cov = "pilot", self.pilot_coverage
            elif k <= self.pilot_years + self.scale_up_years:
                step = k - self.pilot_years
                phase = "scale-up"
                gap = self.target_coverage - self.pilot_coverage
                cov = self.pilot_coverage + gap * step / self.scale_up_years
            else:
                phase, cov = "sustained", self.target_coverage
            rows.append({"year": y, "phase": phase, "coverage": cov})
        return pd.DataFrame(rows).set_index("year")


OUTCOMES_AVERTED = ("infant_deaths", "stillbirths", "lbw_births", "dalys")


def budget_impact(ps: ParameterSet, strategy: str = "MMS + MAMI", rollout: Rollout | None = None,
                  cohort_growth: float = 0.0) -> pd.DataFrame:
    """Year-by-year budget impact of switching from the status quo to ``strategy``.

    Costs in the run's price year US$ (provider, or societal under that perspective)."""
    rollout = rollout or Rollout.from_settings(ps.settings)
    result = continuum.run_set(ps)
    s = result.summary()
    if strategy not in s.index:
        raise KeyError(f"unknown strategy '{strategy}' (expected one of {list(s.index)})")
    ref, new = s.loc[continuum.STATUS_QUO], s.loc[strategy]
    transition = ps["transition_cost_per_woman"].value if strategy.startswith("MMS") else 0.0
    per_pregnancy = new["cost"] - ref["cost"]
    recurrent = per_pregnancy - transition
    averted = {k: ref[k] - new[k] for k in OUTCOMES_AVERTED}
    cohort0 = float(np.mean(result.pregnancies_reached))
    r_cost = float(ps["discount_rate_costs"].value)
    r_eff = float(ps["discount_rate_effects"].value)
    path = rollout.path()
    rows, previous = [], 0.0
    for year, row in path.iterrows():
        cohort = cohort0 * (1 + cohort_growth) ** (year - 1)
        covered = row["coverage"] * cohort
        newly = max(0.0, row["coverage"] - previous) * cohort
        previous = row["coverage"]
        out = {"year": year, "phase": row["phase"], "coverage": row["coverage"], "pregnancies": cohort,
               "pregnancies_covered": covered, "recurrent_cost": covered * recurrent,
               "one_off_cost": newly * transition}
        out["total_cost"] = out["recurrent_cost"] + out["one_off_cost"]
        for k, v in averted.items():
            out[f"{k}_averted"] = covered * v
        d_cost, d_eff = (1 + r_cost) ** -(year - 1), (1 + r_eff) ** -(year - 1)
        out["total_cost_discounted"] = out["total_cost"] * d_cost
        out["dalys_averted_discounted"] = out["dalys_averted"] * d_eff
        rows.append(out)
    table = pd.DataFrame(rows).set_index("year")
    if "government_health_expenditure" in ps:
        spend = ps["government_health_expenditure"].value
        table["share_of_health_expenditure"] = table["total_cost"] / spend
    table.attrs.update({"strategy": strategy, "reference": continuum.STATUS_QUO,
                        "per_pregnancy_increment": float(per_pregnancy),
                        "price_year": ps.settings.price_year})
    return table


def recommended_strategy(psa: pd.DataFrame, threshold: float) -> str:
    """The strategy with the highest expected net monetary benefit at ``threshold`` (US$ per DALY
    averted) over PSA draws: ``psa`` is tidy (columns ``sample``, ``strategy``, ``cost``, ``dalys``,
    as ``continuum_psa.parquet``). Net benefit is linear, so this is also the strategy whose mean
    cost and DALYs give the highest net benefit; ties go to the first strategy in the frame's order."""
    missing = [c for c in ("strategy", "cost", "dalys") if c not in psa.columns]
    if missing:
        raise KeyError(f"PSA frame has no column {missing}")
    means = psa.groupby("strategy", sort=False)[["cost", "dalys"]].mean()
    nmb = -threshold * means["dalys"] - means["cost"]
    return str(nmb.idxmax())


def summary(table: pd.DataFrame) -> pd.Series:
    """Totals over the horizon (undiscounted and discounted) and by phase."""
    totals = table.drop(columns=["phase", "coverage"]).sum()
    by_phase = table.groupby("phase", sort=False)["total_cost"].sum().add_prefix("total_cost_")
    return pd.concat([totals, by_phase])
