"""Every uncertainty analysis of one model for one (unit, scenario), as frames and figures.

Used by ``notebooks/04_uncertainty.ipynb`` and the batch runs; the methods themselves live in
``model/uncertainty.py`` and ``model/gsa.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model import antenatal, cea, continuum, gsa, infant, plots
from model import uncertainty as U
from model.io import write_frame, write_json
from model.parameters import ParameterSet
from model.timing import span, timed

# model name -> (module, reference strategy, comparator of interest)
MODELS = {
    "antenatal": (antenatal, "IFA", "MMS"),
    "infant": (infant, "inpatient", "MAMI"),
    "continuum": (continuum, "IFA + inpatient", "MMS + MAMI"),
}
# Inputs the analyses read beyond their model's (the threshold grid and the decision threshold use GDP per
# capita; the threshold searches the MMS price and the MAMI set-up cost, which the models already need).
REQUIRED = ["gdp_per_capita"]
# EVPPI groups: label -> pattern over parameter names (only uncertain inputs the model uses count)
EVPPI_FLOOR_SHARE = 0.01  # EVPPI below 1% of the EVPI is not shown (figures, notebook, brief)
GROUPS = {
    "MMS effects": r"^rr_.*_mms",
    "iron effects": r"_ifa_vs_none$",
    "mortality by birth category": r"^rr_p?nmr_(term|preterm)",
    "adherence and its support": r"^(effect_fraction_low_adherence|adherence_support_|ifa_adherence)",
    "country epidemiology": r"^(nmr|pnmr|sbr|lbw_prevalence|preterm_prevalence|p_at_risk_u6m)$",
    "infant care outcomes": r"^(hr_death_|p_default_|p_recovered_|p_referral_|los_|mami_treatment_weeks)",
    "infant natural history": (r"^(mortality_untreated_|mortality_not_at_risk|recovery_|relapse_"
                               r"|share_postneonatal_|hr_mortality_)"),
    "uptake and identification": r"^(uptake_|p_identified|p_high_risk)",
    "costs": r"(price_|_cost|cost_|supplement_wastage|bed_days|visits_per_week|_per_day$)",
}


def groups_for(names: list[str]) -> dict[str, list[str]]:
    """EVPPI groups restricted to ``names``; empty groups dropped."""
    out = {label: [n for n in names if re.search(pat, n)] for label, pat in GROUPS.items()}
    return {k: v for k, v in out.items() if v}


@dataclass
class Analysis:
    """Frames of every analysis; ``figures`` maps a name to its PNG and SVG paths once saved."""

    model: str
    strategies: list[str]
    reference: str
    comparator: str
    threshold: float
    thresholds: dict[str, float]
    frames: dict[str, pd.DataFrame]
    notes: dict = field(default_factory=dict)
    figures: dict[str, list[Path]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # parameter -> human label (figures)
    unit: str = "per pregnancy"  # what one decision is (EVPI, EVPPI and INMB are per unit)

    @timed("write results")
    def write(self, folder: str | Path) -> list[Path]:
        """Write every frame as CSV (prefix ``uncertainty_<model>_``) and the notes as JSON."""
        folder = Path(folder)
        pre = f"uncertainty_{self.model}"
        files = [write_frame(folder / f"{pre}_{name}.csv", frame.reset_index())
                 for name, frame in self.frames.items()]
        files.append(write_json(folder / f"{pre}_notes.json", {
            "reference": self.reference, "comparator": self.comparator,
            "threshold_usd_per_daly": self.threshold, "thresholds": self.thresholds, **self.notes}))
        return files

    @timed("figures")
    def save_figures(self, folder: str | Path, title: str) -> dict[str, list[Path]]:
        """Tornado, CEAC, CEAF, expected loss, EVPI, EVPPI (inputs at or above :meth:`evppi_floor`)
        and Sobol figures, rows by the inputs' labels, the decision threshold marked."""
        folder = Path(folder)
        pre = folder / f"uncertainty_{self.model}"
        f = self.frames
        at = ("decision threshold", self.threshold)
        evppi, floor = self.evppi_above_floor()
        figs = {
            "tornado": plots.tornado(f["one_way"], "inmb", labels=self.labels,
                                     title=f"{title}: {self.comparator} vs {self.reference}",
                                     xlabel=f"incremental net monetary benefit (US$ {self.unit}) at "
                                            f"US${self.threshold:,.0f} per DALY averted"),
            "ceac": plots.curves(f["ceac"], "probability of being the most cost-effective", f"{title}: CEAC",
                                 marker=at, probability=True),
            "ceaf": plots.ceaf(f["ceaf"], f"{title}: CEAF (optimal by expected net benefit)", marker=at),
            "expected_loss": plots.curves(f["expected_loss"], f"expected loss (US$ {self.unit})", f"{title}",
                                          marker=at),
            "evpi": plots.curves(f["evpi"][["evpi_per_unit"]].rename(columns={"evpi_per_unit": "EVPI"}),
                                 f"EVPI (US$ {self.unit})", f"{title}: EVPI", marker=at),
            "evppi": plots.bars(evppi["evppi"], f"EVPPI at US${self.threshold:,.0f} per DALY (US$ {self.unit}); "
                                                f"inputs below US${floor:,.3g} not shown",
                                f"{title}: EVPPI", labels=self.labels),
            "sobol": plots.bars(f["sobol"]["ST"][f["sobol"]["ST"] > 0.005],
                                "total-order Sobol index of INMB (inputs above 0.005)", f"{title}: Sobol",
                                labels=self.labels),
        }
        if "two_way" in f:
            figs["two_way"] = plots.heatmap(f["two_way"], f"{title}: two-way INMB")
        self.figures = {name: plots.save(fig, Path(f"{pre}_{name}")) for name, fig in figs.items()}
        return self.figures

    def evppi_above_floor(self) -> tuple[pd.DataFrame, float]:
        """EVPPI rows at the decision threshold worth reading and the floor (US$ per unit): 1% of
        the EVPI at the threshold (``EVPPI_FLOOR_SHARE``). Below it estimates are regression noise
        (values of 1e-14) or too small to direct research."""
        evpi = float(np.interp(self.threshold, self.frames["evpi"].index.to_numpy(dtype=float),
                               self.frames["evpi"]["evpi_per_unit"].to_numpy(dtype=float)))
        floor = EVPPI_FLOOR_SHARE * max(evpi, 0.0)
        frame = self.frames["evppi_at_threshold"]
        return (frame[frame["evppi"] >= floor] if floor > 0 else frame.iloc[0:0]), floor


def run(ps: ParameterSet, model: str = "continuum", draws: int = 1000, seed: int = 1,
        threshold: float | None = None, grid_points: int = 41, sobol_n: int = 256,
        morris_trajectories: int = 20, evppi_top: int = 30, horizon_years: int = 5) -> Analysis:
    """All analyses of ``model`` for one parameter set.

    ``threshold`` defaults to the run's decision threshold (``settings.decision_threshold``); the
    CEAC/EVPI grid runs from 0 to 3 x GDP per capita."""
    module, reference, comparator = MODELS[model]
    lam = cea.thresholds_for(ps)
    if threshold is None:
        threshold = cea.decision_threshold(ps)[1]
    ev = U.evaluator(module, ps.settings)
    base = module.run_set(ps)
    strategies = list(base.strategies)
    ref, comp = strategies.index(reference), strategies.index(comparator)
    names = [n for n in ps.uncertain if n in module.REQUIRED]
    grid = np.linspace(0, 3 * ps["gdp_per_capita"].value, grid_points)

    sampled = module.required(ps.settings) if hasattr(module, "required") else module.REQUIRED
    with span("psa"):
        params, cost, dalys = U.psa(ps, ev, draws, seed, names=sampled,
                                    sampler=getattr(module, "coherent_sample", None))
    params = {k: v for k, v in params.items() if not k.startswith("coherence_")}
    frames: dict[str, pd.DataFrame] = {}
    with span("one-way"):
        frames["one_way"] = U.one_way(ps, ev, threshold, comp, ref, names)
    with span("ceac, ceaf, evpi"):
        frames["ceac"] = U.ceac(cost, dalys, grid, strategies)
        frames["ceaf"] = U.ceaf(cost, dalys, grid, strategies)
        frames["expected_loss"] = U.expected_loss(cost, dalys, grid, strategies)
        per = U.evpi(cost, dalys, grid)
    population = float(np.mean(base.population))  # units per year (model.outcomes.Outcomes)
    frames["evpi"] = pd.DataFrame({
        "evpi_per_unit": per,
        "evpi_population": U.population_evpi(per, population, horizon_years,
                                             float(ps["discount_rate_costs"].value))})
    top = list(frames["one_way"].index[:evppi_top])
    # groups hold only inputs that move the result here (e.g. not the 60 mg effect under a 30 mg
    # comparator): inputs without effect add regression noise and nothing else
    moving = [n for n in names if frames["one_way"].loc[n, "inmb_swing"] > 0]
    sets = {n: [n] for n in top} | groups_for(moving)
    with span("evppi"):
        at = U.evppi(params, cost, dalys, [threshold], sets, reference=ref)
        at_threshold = at.rename(columns={threshold: "evppi"})
        frames["evppi_at_threshold"] = at_threshold.sort_values("evppi", ascending=False)
        frames["evppi_grid"] = U.evppi(params, cost, dalys, grid, sets, reference=ref)
    frames["psa_summary"], _ = cea.psa_tables(strategies, cost, dalys, lam, reference=ref)
    with span("sobol"):
        frames["sobol"] = gsa.sobol(ps, ev, threshold, comp, ref, n=sobol_n, seed=seed, names=names)
    with span("morris"):
        frames["morris"] = gsa.morris(ps, ev, threshold, comp, ref, trajectories=morris_trajectories,
                                      seed=seed, names=names)
    if len(top) >= 2:
        with span("two-way"):
            frames["two_way"] = U.two_way(ps, ev, top[0], top[1], threshold, comp, ref, points=15)
    with span("thresholds"):
        frames["thresholds"] = _threshold_analyses(ps, ev, model, comp, ref, threshold)
    unit = {"antenatal": "per pregnancy", "infant": "per infant", "continuum": "per pregnancy"}[model]
    return Analysis(model=model, strategies=strategies, reference=reference, comparator=comparator,
                    threshold=float(threshold), thresholds=lam, frames=frames, unit=unit,
                    labels={k: p.label for k, p in ps.params.items()},
                    notes={"draws": draws, "seed": seed, "evpi_population_per_year": population,
                           "evpi_horizon_years": horizon_years, "evppi_clipped": at.attrs.get("clipped", []),
                           "evppi_clipped_share": frames["evppi_grid"].attrs.get("clipped_share"),
                           "threshold_grid_max": float(grid[-1])})


def _threshold_analyses(ps: ParameterSet, ev, model: str, comp: int, ref: int,
                        threshold: float) -> pd.DataFrame:
    """The price of MMS at which it is cost-neutral and just cost-effective; the MAMI set-up cost
    per pair at which MAMI stops being cost-effective (where the model has them)."""
    rows = []
    if model in ("antenatal", "continuum"):
        just = f"MMS price per 180 at which MMS is just cost-effective at {threshold:,.0f}"
        questions = ((None, "MMS price per 180 at which MMS is cost-neutral"), (threshold, just))
        for lam, label in questions:
            t = U.threshold_search(ps, ev, "price_mms_180", comp, ref, lam, low=0.0,
                                   high=10 * ps["price_mms_180"].value)
            rows += [dict(r, question=label) for r in t.to_dict("records")]
    if model in ("infant", "continuum"):
        t = U.threshold_search(ps, ev, "mami_setup_cost_per_pair", comp, ref, threshold, low=0.0,
                               high=100 * ps["mami_setup_cost_per_pair"].value)
        rows += [dict(r, question=f"MAMI set-up cost per pair at which it stops being cost-effective "
                                  f"at {threshold:,.0f}") for r in t.to_dict("records")]
    return pd.DataFrame(rows)
