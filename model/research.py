"""Which research is worth paying for: the value of every study design for one (unit, scenario).

For each design in ``parameters/studies/`` (:mod:`model.studies`): EVSI over its sample sizes and
the threshold grid (:func:`model.voi.evsi`), the EVPPI of the inputs it informs and the EVPI (the
ceilings), population values, the expected net benefit of sampling (ENBS), the optimal sample
size over the grid and at the decision threshold, and an importance-sampling cross-check of the
EVSI at the chosen size. Used by ``notebooks/06_research_value.ipynb`` and batch runs.

Populations (US$ of the run's price year): EVPI and EVPPI are scaled by the discounted
pregnancies reached over the decision horizon (as in the uncertainty notebook); a study's EVSI
only by the decisions made after it reports (``years_to_report``), over the same horizon, and, as
a second reading, over the pregnancies the rollout of ``model/budget.py`` covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model import cea, plots, studies, voi
from model import uncertainty as U
from model.budget import Rollout
from model.io import write_frame, write_json
from model.parameters import ParameterSet
from model.timing import span, timed

HORIZON_YEARS = 5  # the uncertainty notebook's population EVPI uses the same horizon
HORIZONS = (5, 10, 15, 20)  # decision horizons (years) of the sensitivity table
IS_MIN_ESS = 100  # below this effective sample size the importance-sampling check is unreliable
# Inputs read beyond the model's own: the threshold grid and the decision threshold (GDP per capita),
# and the discounting of the population EVSI (the study designs name model inputs only).
REQUIRED = ["gdp_per_capita", "discount_rate_costs"]


@dataclass
class ResearchValue:
    """Frames of the analysis (see :func:`run`); ``figures`` maps a name to its PNG and SVG paths."""

    unit: str | None
    scenario: str
    threshold: float
    threshold_label: str
    designs: dict[str, studies.Study]
    frames: dict[str, pd.DataFrame]
    notes: dict = field(default_factory=dict)
    figures: dict[str, list[Path]] = field(default_factory=dict)

    @timed("write results")
    def write(self, folder: str | Path) -> list[Path]:
        """Every frame as ``research_<name>.csv`` and the notes as ``research_notes.json``."""
        folder = Path(folder)
        files = [write_frame(folder / f"research_{name}.csv", frame) for name, frame in self.frames.items()]
        files.append(write_json(folder / "research_notes.json", self.notes))
        return files

    @timed("figures")
    def save_figures(self, folder: str | Path, title: str) -> dict[str, list[Path]]:
        """EVSI and ENBS by sample size at the decision threshold; optimal size across thresholds."""
        pre = Path(folder) / "research"
        self.figures = {
            "evsi_enbs": plots.save(plots.evsi_enbs(self.frames["evsi"], self.frames["summary"], self.threshold,
                                                    title), f"{pre}_evsi_enbs"),
            "optimal_n": plots.save(plots.optimal_n(self.frames["optimal"], self.frames["summary"], self.threshold,
                                                    title), f"{pre}_optimal_n"),
        }
        return self.figures


def run(ps: ParameterSet, draws: int = 1000, seed: int = 1, designs: Sequence[str] | None = None,
        model: str = "continuum", grid_points: int = 41, horizon_years: int = HORIZON_YEARS, outer: int = 1000,
        root: str | Path | None = None) -> ResearchValue:
    """Value every study design (all files in ``parameters/studies/`` by default) for ``ps``.

    The PSA uses the same draws as the uncertainty notebook for the same ``seed``. Frames:

    * ``evsi``: one row per (study, n, threshold): per-unit EVSI and its Monte Carlo standard error,
      population EVSI over the horizon and over the rollout, study cost, ENBS (both readings);
    * ``optimal``: one row per (study, threshold): the best size, its ENBS, whether to fund;
    * ``summary``: one row per study at the decision threshold, with EVPI, EVPPI, the EVSI and ENBS
      at the best size, and the importance-sampling check;
    * ``horizons``: the best size and its ENBS at the decision threshold for decision horizons of
      5 to 20 years (a study reporting in year 4 informs one year of a 5-year horizon);
    * ``checks``: the largest excess of EVSI over EVPPI and of EVPPI over EVPI over all sizes and
      thresholds (estimates: small positive values are Monte Carlo noise), and the share of EVSI
      estimates above their EVPPI, which are valued at the EVPPI (EVSI <= EVPPI holds exactly).
    """
    from model.analysis import MODELS

    module = MODELS[model][0]
    label, lam = cea.decision_threshold(ps)
    grid = np.unique(np.r_[np.linspace(0, 3 * ps["gdp_per_capita"].value, grid_points), lam])
    names = list(designs) if designs is not None else studies.names(root)
    designs_ = {name: studies.load(name, ps, root) for name in names}
    wrong = [n for n, s in designs_.items() if s.model != model]
    if wrong:
        raise ValueError(f"studies {wrong} inform another model than '{model}'")
    sampled = module.required(ps.settings) if hasattr(module, "required") else module.REQUIRED
    with span("psa"):
        params, cost, dalys = U.psa(ps, U.evaluator(module, ps.settings), draws, seed, names=sampled)
    base = module.run_set(ps)
    annual = float(np.mean(base.pregnancies_reached if hasattr(base, "pregnancies_reached")
                           else base.identified_per_year))
    rate = float(ps["discount_rate_costs"].value)
    rollout = Rollout.from_settings(ps.settings)
    ceiling = voi.horizon_population(annual, horizon_years, rate)
    evpi = U.evpi(cost, dalys, grid)
    at = int(np.flatnonzero(grid == lam)[0])
    long_rows, optimal_rows, summary_rows, check_rows, horizon_rows = [], [], [], [], []
    for name, study in designs_.items():
        with span("evsi"):
            raw = voi.evsi(study, params, cost, dalys, grid, seed=seed)
        se = pd.DataFrame(raw.attrs["se"], index=grid).T
        with span("evppi"):
            evppi = U.evppi(params, cost, dalys, grid, {name: study.parameters}, clip=False)
        # EVSI <= EVPPI holds exactly; where the two estimates cross (noise), value the study at its ceiling
        per = raw.clip(upper=evppi.iloc[0], axis=1)
        pop = voi.horizon_population(annual, horizon_years, rate, study.years_to_report)
        pop_rollout = voi.rollout_population(annual, rollout, rate, study.years_to_report)
        enbs, enbs_rollout = voi.enbs(per, study, pop), voi.enbs(per, study, pop_rollout)
        best, best_rollout = voi.optimal(enbs), voi.optimal(enbs_rollout)
        n = per.index.to_numpy()
        cost_n = study.cost(n)
        values = per.to_numpy()
        long_rows.append(pd.DataFrame({
            "study": name, "n": np.repeat(n, grid.size), "threshold": np.tile(grid, n.size), "evsi": values.ravel(),
            "evsi_se": se.to_numpy().ravel(), "evsi_population": values.ravel() * pop,
            "evsi_population_rollout": values.ravel() * pop_rollout, "study_cost": np.repeat(cost_n, grid.size),
            "enbs": enbs.to_numpy().ravel(), "enbs_rollout": enbs_rollout.to_numpy().ravel()}))
        both = best.join(best_rollout.add_suffix("_rollout")).reset_index()
        optimal_rows += [{"study": name, **r} for r in both.drop(columns="n_best_rollout").to_dict("records")]
        top, top_rollout = best.iloc[at], best_rollout.iloc[at]
        n_best = int(top["n_best"])
        row = per.index.get_loc(n_best)
        with span("evsi importance check"):
            check = voi.evsi_importance(study, params, cost, dalys, [lam], n_best, seed=seed, outer=outer).iloc[0]
        summary_rows.append({
            "study": name, "title": study.title, "informs": ", ".join(study.parameters),
            "sample_size_unit": study.sample_size_unit, "arms": len(study.arms),
            "years_to_report": study.years_to_report, "fixed_cost": study.fixed_cost,
            "per_participant_cost": study.per_participant_cost,
            "evpi": evpi.iat[at], "evppi": evppi.iat[0, at], "evpi_population": evpi.iat[at] * ceiling,
            "evppi_population": evppi.iat[0, at] * ceiling, "evppi_clipped_share": evppi.attrs["clipped_share"],
            "n_best": n_best, "fund": bool(top["fund"]), "n_optimal": int(top["n_optimal"]),
            "evsi": per.iat[row, at], "evsi_se": se.iat[row, at], "evsi_population": per.iat[row, at] * pop,
            "study_cost": float(cost_n[row]), "enbs_max": float(top["enbs_max"]),
            "evsi_largest_n": per.iat[-1, at], "largest_n": int(n[-1]),
            "population_horizon": pop, "population_rollout": pop_rollout,
            "n_optimal_rollout": int(top_rollout["n_optimal"]), "enbs_max_rollout": float(top_rollout["enbs_max"]),
            "fund_rollout": bool(top_rollout["fund"]),
            "evsi_importance": check["evsi"], "evsi_importance_se": check["se"],
            "importance_ess": check["ess_median"], "importance_reliable": bool(check["ess_median"] >= IS_MIN_ESS)})
        for years in HORIZONS:
            h = voi.optimal(voi.enbs(per[[lam]], study, voi.horizon_population(annual, years, rate,
                                                                               study.years_to_report))).iloc[0]
            horizon_rows.append({"study": name, "horizon_years": years, "n_optimal": int(h["n_optimal"]),
                                 "n_best": int(h["n_best"]), "enbs_max": float(h["enbs_max"]), "fund": bool(h["fund"])})
        check_rows.append({"study": name,
                           "max_evsi_minus_evppi": float((raw.to_numpy() - evppi.to_numpy()).max()),
                           "share_evsi_capped": float((raw.to_numpy() > evppi.to_numpy()).mean()),
                           "max_evppi_minus_evpi": float((evppi.to_numpy()[0] - evpi.to_numpy()).max()),
                           "evpi_max": float(evpi.max())})
    frames = {"summary": pd.DataFrame(summary_rows), "evsi": pd.concat(long_rows, ignore_index=True),
              "optimal": pd.DataFrame(optimal_rows), "checks": pd.DataFrame(check_rows),
              "horizons": pd.DataFrame(horizon_rows)}
    notes = {"unit": ps.unit, "scenario": ps.scenario, "model": model, "draws": draws, "seed": seed,
             "threshold_usd_per_daly": float(lam), "threshold_label": label,
             "pregnancies_per_year": annual, "horizon_years": horizon_years, "discount_rate": rate,
             "population_evpi_factor": ceiling, "rollout": rollout.path().reset_index().to_dict("records"),
             "importance_outer": min(outer, draws), "importance_min_ess": IS_MIN_ESS,
             "studies": {n: {"file": s.file, "assumptions": list(s.assumptions), "description": s.description}
                         for n, s in designs_.items()}}
    return ResearchValue(unit=ps.unit, scenario=ps.scenario, threshold=float(lam), threshold_label=label,
                         designs=designs_, frames=frames, notes=notes)
