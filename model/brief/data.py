"""What a brief says, read from one job's result files (no model is re-run).

Every number in a brief comes from here. Per-100,000 figures are differences of the
``*_base.csv`` tables (already per 100,000 pregnancies reached); national figures are differences of
``*_base_national.csv`` (one year's cohort of pregnancies reached by antenatal care); probabilities
of being cost-effective are shares of PSA draws (``*_psa.parquet``) with a positive incremental net
monetary benefit at the decision threshold. Costs are US$ of the run's price year; DALYs as the
models count them (discounted YLL and YLD).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.brief import cheers, words

HEADLINE_OUTCOMES = (  # (column in *_base.csv, label in the brief)
    ("infant_deaths", "Infant deaths averted"),
    ("stillbirths", "Stillbirths averted"),
    ("lbw_births", "Low-birthweight births averted"),
    ("dalys", "DALYs averted"),
)


EVPPI_FLOOR_SHARE = 0.01  # EVPPI rows below this share of the EVPI are noise or too small to direct research


class BriefDataError(ValueError):
    """A result file a brief needs is missing or malformed (names the file and the problem)."""


@dataclass
class Comparison:
    """One decision: ``new`` against ``old``, per 100,000 pregnancies and for the national cohort."""

    key: str
    question: str
    prefix: str  # the model whose result files hold both strategies
    new: str
    old: str
    per_100k: dict[str, float]
    national: dict[str, float]
    probability_ce: float
    threshold_label: str
    threshold: float

    @property
    def status(self) -> str:
        """Dominance status of ``new`` against ``old`` (:func:`model.brief.words.status`)."""
        return words.status(self.per_100k["cost"], self.per_100k["dalys"])

    @property
    def icer(self) -> float:
        """US$ per DALY averted where it means that (more costly, more effective); NaN otherwise."""
        value = words.icer(self.per_100k["cost"], self.per_100k["dalys"])
        return float("nan") if value is None else value

    @property
    def verdict(self) -> str:
        """``dominant``, ``dominated``, ``cost-effective`` or ``not cost-effective`` at the threshold
        (a positive incremental net monetary benefit), or ``no difference``."""
        return words.verdict(self.per_100k["cost"], self.per_100k["dalys"], self.threshold)

    @property
    def sentence(self) -> str:
        """The answer in one plain sentence, right in every quadrant (per 100,000 pregnancies)."""
        return words.comparison_sentence(self.new, self.old, self.per_100k["cost"], self.per_100k, self.threshold)


@dataclass
class BriefData:
    """Everything a brief and a spreadsheet show for one (unit, scenario)."""

    folder: Path
    context: dict
    comparisons: list[Comparison]
    best: dict
    frontier: pd.DataFrame
    budget: pd.DataFrame
    budget_totals: dict
    drivers: pd.DataFrame
    evppi: pd.DataFrame
    parameters: pd.DataFrame
    quality: dict[str, int]
    thresholds: dict[str, float]
    findings: dict[str, str]
    notes: dict = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    published: pd.DataFrame | None = None
    by_risk: pd.DataFrame | None = None
    strategies: pd.DataFrame | None = None  # continuum base case per 100,000 pregnancies, by strategy
    research: pd.DataFrame | None = None  # notebook 06's summary, one row per study (None: not run)
    research_horizons: pd.DataFrame | None = None

    @property
    def unit_name(self) -> str:
        return self.context.get("unit_name") or self.context["unit"]

    def label(self, name: str) -> str:
        """The human label of a parameter (or an EVPPI group's own name)."""
        return self.labels.get(name, name)

    @property
    def recommended(self) -> str:
        """The strategy the brief recommends: the highest expected net benefit at the threshold."""
        return self.best["strategy"]

    @property
    def changes_nothing(self) -> bool:
        """True when the recommended strategy is today's practice."""
        return self.best["strategy"] == self.best["reference"]

    @property
    def cautions(self) -> list[str]:
        """Every caveat that must travel with the results (page 1 of the brief, the index flag)."""
        return [w for w in (self.notes.get("cohort_warning", ""), *self.notes.get("data_warnings", [])) if w]

    @property
    def evppi_floor(self) -> float:
        """EVPPI per pregnancy below which an input is not shown (1% of the EVPI at the threshold)."""
        return EVPPI_FLOOR_SHARE * max(self.best["evpi"], 0.0)

    def evppi_shown(self, top: int = 4) -> pd.DataFrame:
        """The EVPPI rows at or above :attr:`evppi_floor`, largest first, at most ``top``."""
        floor = self.evppi_floor
        return self.evppi[self.evppi["evppi"] >= floor].head(top) if floor > 0 else self.evppi.iloc[0:0]

    def summary_row(self) -> dict:
        """One flat row for ``summary.csv`` and the run index: for each decision its status, verdict,
        ICER (blank unless more costly and more effective) and probability cost-effective; the
        recommended strategy, what it buys in a year and its budget; the cautions."""
        row: dict = {}
        for c in self.comparisons:
            row[f"{c.key}_status"] = c.status
            row[f"{c.key}_verdict"] = c.verdict
            row[f"{c.key}_cost_per_daly_averted"] = None if math.isnan(c.icer) else c.icer
            row[f"{c.key}_probability_cost_effective"] = c.probability_ce
        per = self.best.get("per_100k") or {}
        row["recommended"] = self.recommended
        row["recommended_infant_deaths_averted_per_year"] = per.get("infant_deaths", 0.0) * \
            self.notes["pregnancies_per_year"] / 1e5
        row["recommended_budget_5y"] = self.budget_totals["total"]
        row["budget_strategy"] = self.notes.get("budget_strategy", "")
        row["cautions"] = len(self.cautions)
        row["caution_text"] = " ".join(self.cautions)
        return row

    def headline(self) -> dict[str, float]:
        """Flat ``name -> value`` of the headline numbers (the page marks each with ``data-key``)."""
        out: dict[str, float] = {}
        for c in self.comparisons:
            for scope, table in (("per_100k", c.per_100k), ("national", c.national)):
                for k, v in table.items():
                    out[f"{c.key}.{scope}.{k}"] = v
            out[f"{c.key}.icer"] = c.icer
            out[f"{c.key}.probability_ce"] = c.probability_ce
        out["best.probability_ce"] = self.best["probability_ce"]
        for phase, value in self.budget_totals.items():
            out[f"budget.{phase}"] = value
        for row in (self.research.to_dict("records") if self.research is not None else []):
            for k in RESEARCH_NUMBERS:
                out[f"research.{row['study']}.{k}"] = row[k]
        return out


MISSING = "missing (result files are written by `cea run`; re-run this job)"
RESEARCH_NUMBERS = ("n_best", "evsi_population", "study_cost", "enbs_max")  # shown with data-key per study
RESEARCH_COLUMNS = ("study", "title", "sample_size_unit", "years_to_report", "fund", "evppi_population",
                    *RESEARCH_NUMBERS)


def _read_csv(folder: Path, name: str, index: str | None = None, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a result CSV; a missing file or a missing ``index``/``columns`` column is an error naming both."""
    path = folder / name
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise BriefDataError(f"{path}: {MISSING}") from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise BriefDataError(f"{path}: cannot read it ({exc})") from None
    absent = [c for c in (*([index] if index else []), *columns) if c not in frame.columns]
    if absent:
        raise BriefDataError(f"{path}: no column {', '.join(map(repr, absent))}")
    return frame.set_index(index) if index else frame


def _read_json(folder: Path, name: str, keys: tuple[str, ...] = ()) -> dict:
    """Read a result JSON object; a missing file or a missing top-level key is an error naming both."""
    path = folder / name
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise BriefDataError(f"{path}: {MISSING}") from None
    except ValueError as exc:
        raise BriefDataError(f"{path}: not valid JSON ({exc})") from None
    absent = [k for k in keys if not isinstance(data, dict) or k not in data]
    if absent:
        raise BriefDataError(f"{path}: no key {', '.join(map(repr, absent))}")
    return data


def _row(frame: pd.DataFrame, strategy: str, path: str) -> pd.Series:
    if strategy not in frame.index:
        raise BriefDataError(f"{path}: no row for strategy {strategy!r} (has {list(frame.index)})")
    return frame.loc[strategy]


def difference(folder: Path, prefix: str, new: str, old: str, national: bool = False) -> dict[str, float]:
    """Incremental cost and outcomes averted of ``new`` against ``old`` from ``<prefix>_base.csv``
    (per 100,000 pregnancies) or ``<prefix>_base_national.csv`` (national cohort, one year)."""
    name = f"{prefix}_base{'_national' if national else ''}.csv"
    base = _read_csv(folder, name, "strategy")
    a, b = _row(base, new, name), _row(base, old, name)
    out = {"cost": float(a["cost"] - b["cost"])}
    for col, _ in HEADLINE_OUTCOMES:
        if col in base.columns:
            out[col] = float(b[col] - a[col])
    return out


def psa_draws(folder: Path, prefix: str, strategies: tuple[str, ...] = ()) -> pd.DataFrame:
    """``<prefix>_psa.parquet`` as a (sample x (cost|dalys, strategy)) frame, read once per call site;
    names the file when it, a column or one of ``strategies`` is missing."""
    path = folder / f"{prefix}_psa.parquet"
    try:
        psa = pd.read_parquet(path)
        wide = psa.pivot(index="sample", columns="strategy", values=["cost", "dalys"])
    except FileNotFoundError:
        raise BriefDataError(f"{path}: {MISSING}") from None
    except (KeyError, ValueError, OSError) as exc:
        raise BriefDataError(f"{path}: cannot read it ({type(exc).__name__}: {exc})") from None
    for s in strategies:
        if s not in wide["cost"].columns:
            raise BriefDataError(f"{path}: no draws for strategy {s!r}")
    return wide


def probability_cost_effective(wide: pd.DataFrame, new: str, old: str, threshold: float) -> float:
    """Share of PSA draws (:func:`psa_draws`) in which ``new`` has a higher net monetary benefit than ``old``."""
    inmb = threshold * (wide["dalys"][old] - wide["dalys"][new]) - (wide["cost"][new] - wide["cost"][old])
    return float(np.mean(inmb.to_numpy() > 0))


def best_strategy(wide: pd.DataFrame, threshold: float) -> dict:
    """The strategy with the highest expected net monetary benefit over the PSA draws at
    ``threshold`` (the CEAF's choice), the share of draws in which it is the best, and the expected
    value of perfect information per unit (mean of the per-draw maximum NMB minus the maximum mean NMB)."""
    nmb = -threshold * wide["dalys"] - wide["cost"]
    best = str(nmb.mean().idxmax())
    share = float(np.mean(nmb.idxmax(axis=1).to_numpy() == best))
    evpi = float(nmb.max(axis=1).mean() - nmb.mean().max())
    return {"strategy": best, "probability_ce": share, "expected_nmb": float(nmb[best].mean()), "evpi": evpi}


def _budget_by_phase(budget: pd.DataFrame) -> dict[str, float]:
    totals = budget.groupby("phase", sort=False)["total_cost"].sum()
    out = {str(k): float(v) for k, v in totals.items()}
    out["total"] = float(budget["total_cost"].sum())
    return out


def cohort_warning(context: dict, parameters: pd.DataFrame) -> str:
    """A warning when a subnational unit's live births come from its parent's file, so that its
    national-cohort and budget figures are the parent's size ('' otherwise)."""
    unit = context["unit"]
    if "-" not in unit or "file" not in parameters.columns:
        return ""
    row = parameters.loc[parameters["parameter"] == "live_births"]
    origin = str(row["file"].iloc[0]) if len(row) else ""
    if not origin or Path(origin).stem == unit:
        return ""
    return (f"Live births come from {origin} (no figure for {context.get('unit_name') or unit} in the parameter "
            f"files): whole-population, national-cohort and budget figures are {Path(origin).stem}-sized, "
            "not this unit's. Per-100,000 figures and ratios are unaffected.")


def data_warnings(notes: dict) -> list[str]:
    """Plain-language caveats about the inputs and the PSA draws that must travel with the results."""
    out = []
    redrawn, clipped = notes.get("coherence_redrawn_share", 0.0), notes.get("calibration_clipped_share", 0.0)
    natural = notes.get("natural_history_clipped_share", 0.0)
    if redrawn > 0:
        out.append(f"In {redrawn:.1%} of the probabilistic draws the country's low-birthweight and preterm rates "
                   "could not both be true; those two inputs were drawn again until they could.")
    if clipped > 0:
        out.append(f"In {clipped:.1%} of the draws the birth-outcome inputs still could not be reproduced and "
                   "were clipped into range: treat the uncertainty ranges with care.")
    if natural > 0:
        out.append(f"In {natural:.1%} of the draws the infant death risks could not be reproduced by the "
                   "untreated cohort and were adjusted: treat the infant-care uncertainty ranges with care.")
    if notes.get("iron_dose_status") == "assumption":
        out.append(f"No national antenatal iron dose was found; the comparator is "
                   f"{notes.get('comparator_dose_mg', float('nan')):g} mg by the WHO rule (an assumption), and "
                   "the dose decides the neonatal-mortality effect of MMS (see scenario ifa30-comparator).")
    return out


STATUS_QUO = "IFA + inpatient"
PUBLISHED_FILES = {"mms": "published_mms.csv", "infant_care": "published_infant_care.csv"}

COMPARISONS = (  # key, question, result prefix, new, old
    ("mms", "Should pregnant women receive MMS instead of IFA?", "antenatal", "MMS", "IFA"),
    ("mami", "Should uncomplicated at-risk infants under 6 months be cared for in the community (MAMI) "
             "instead of being referred to inpatient care?", "continuum", "IFA + MAMI", "IFA + inpatient"),
    ("care", "What does caring for at-risk infants buy against doing nothing (no programme to identify "
             "and treat them)?", "continuum", "IFA + MAMI", "IFA + no programme"),
)


def load(folder: str | Path) -> BriefData:
    """Read a finished job's result folder into :class:`BriefData`."""
    folder = Path(folder)
    context = _read_json(folder, "context.json", keys=("unit", "scenario", "decision_threshold", "settings", "draws"))
    try:
        threshold_label = str(context["decision_threshold"]["label"])
        threshold = float(context["decision_threshold"]["value"])
    except (KeyError, TypeError, ValueError):
        raise BriefDataError(f"{folder / 'context.json'}: decision_threshold needs a label and a value in US$ "
                             f"per DALY (got {context['decision_threshold']!r})") from None
    draws = {prefix: psa_draws(folder, prefix, (new, old)) for _, _, prefix, new, old in COMPARISONS}
    comparisons = []
    for key, question, prefix, new, old in COMPARISONS:
        comparisons.append(Comparison(
            key=key, question=question, prefix=prefix, new=new, old=old,
            per_100k=difference(folder, prefix, new, old),
            national=difference(folder, prefix, new, old, national=True),
            probability_ce=probability_cost_effective(draws[prefix], new, old, threshold),
            threshold_label=threshold_label, threshold=threshold))
    best = best_strategy(draws["continuum"], threshold)
    best["reference"] = STATUS_QUO
    best["per_100k"] = difference(folder, "continuum", best["strategy"], STATUS_QUO)
    best["national"] = difference(folder, "continuum", best["strategy"], STATUS_QUO, national=True)
    frontier = _read_csv(folder, "continuum_incremental.csv", "strategy")
    budget = _read_csv(folder, "budget_impact.csv", columns=(
        "phase", "coverage", "pregnancies", "total_cost", "infant_deaths_averted", "stillbirths_averted",
        "dalys_averted"))
    budget_totals_file = _read_json(folder, "budget_impact_totals.json")
    one_way = _read_csv(folder, "uncertainty_continuum_one_way.csv", columns=("parameter", "inmb_swing"))
    drivers = one_way[one_way["inmb_swing"] > 0].sort_values("inmb_swing", ascending=False).head(8)
    evppi = _read_csv(folder, "uncertainty_continuum_evppi_at_threshold.csv", columns=("index", "evppi"))
    evppi = evppi.rename(columns={"index": "input"})
    evpi = _read_csv(folder, "uncertainty_continuum_evpi.csv",
                     columns=("threshold", "evpi_per_unit", "evpi_population"))
    notes = _read_json(folder, "uncertainty_continuum_notes.json",
                       keys=("reference", "comparator", "evpi_horizon_years"))
    per_unit = evpi["evpi_per_unit"].to_numpy()
    scale = float(np.median(evpi["evpi_population"].to_numpy()[per_unit > 0] / per_unit[per_unit > 0])) \
        if (per_unit > 0).any() else float("nan")
    evppi["evppi_population"] = evppi["evppi"] * scale
    evppi = evppi.sort_values("evppi", ascending=False).reset_index(drop=True)
    parameters = _read_csv(folder, "parameters.csv", columns=("parameter", "value", "status"))
    quality = {k: int((parameters["status"] == k).sum()) for k in ("verified", "unverified", "assumption")}
    findings_files = {p: _read_json(folder, f"{p}_findings.json", keys=("findings",))
                      for p in ("antenatal", "infant", "continuum")}
    findings = {p: f["findings"] for p, f in findings_files.items()}
    ante = findings_files["antenatal"]
    for key in ("calibration_clipped_share", "coherence_redrawn_share", "comparator_dose_mg",
                "adherence_among_reached"):
        notes[key] = float(ante.get(key, float("nan")))
    notes["natural_history_clipped_share"] = float(findings_files["infant"].get("natural_history_clipped_share", 0.0))
    dose = parameters.loc[parameters["parameter"] == "antenatal_iron_dose_mg", "status"]
    notes["iron_dose_status"] = str(dose.iloc[0]) if len(dose) else ""
    if context["settings"].get("comparator_iron_mg", "national") != "national":
        notes["iron_dose_status"] = "set by the scenario"
    notes["effect_fraction_low_adherence"] = float(
        parameters.loc[parameters["parameter"] == "effect_fraction_low_adherence", "value"].iloc[0]) \
        if (parameters["parameter"] == "effect_fraction_low_adherence").any() else float("nan")
    notes["data_warnings"] = data_warnings(notes)
    notes["evpi_population_scale"] = scale
    notes["evpi_population_at_threshold"] = best["evpi"] * scale  # exact at the threshold, not interpolated
    notes["budget_strategy"] = budget_totals_file.get("strategy", "")
    notes["budget_is_recommended"] = notes["budget_strategy"] == best["strategy"]
    notes["pregnancies_per_year"] = float(budget["pregnancies"].iloc[0])
    notes["cohort_warning"] = cohort_warning(context, parameters)
    thresholds = _read_json(folder, "continuum_findings.json", keys=("thresholds_usd_per_daly",))[
        "thresholds_usd_per_daly"]
    labels = dict(zip(parameters["parameter"], parameters["label"], strict=True)) \
        if "label" in parameters.columns else {}
    notes["declarations"] = {**dict.fromkeys(cheers.DECLARATIONS, cheers.NOT_STATED),
                             **(context.get("declarations") or {})}
    research, horizons, research_notes = research_value(folder)
    notes["research_horizon_years"] = research_notes.get("horizon_years")
    return BriefData(folder=folder, context=context, comparisons=comparisons, best=best, frontier=frontier,
                     budget=budget, budget_totals=_budget_by_phase(budget), drivers=drivers, evppi=evppi,
                     parameters=parameters, quality=quality, thresholds=thresholds, findings=findings,
                     notes=notes, labels=labels, published=_published(folder),
                     by_risk=_optional_csv(folder, "infant_by_risk.csv"),
                     strategies=_read_csv(folder, "continuum_base.csv", "strategy"),
                     research=research, research_horizons=horizons)


def _optional_csv(folder: Path, name: str) -> pd.DataFrame | None:
    """A result file that older runs do not have: ``None`` when it is missing."""
    return _read_csv(folder, name) if (folder / name).exists() else None


def _published(folder: Path) -> pd.DataFrame | None:
    """Published results beside this run's (written by notebooks 01 and 02), one frame."""
    frames = [f.assign(decision=decision) for decision, name in PUBLISHED_FILES.items()
              if (f := _optional_csv(folder, name)) is not None]
    return pd.concat(frames, ignore_index=True) if frames else None


def research_value(folder: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict]:
    """Notebook 06's per-study summary, horizon table and notes, or ``(None, None, {})`` for a job
    from before the notebook existed (the brief then leaves its research section out). A file that
    is present but lacks a column or key the brief needs is an error naming it."""
    if not (folder / "research_summary.csv").exists():
        return None, None, {}
    summary = _read_csv(folder, "research_summary.csv", columns=RESEARCH_COLUMNS)
    horizons = _read_csv(folder, "research_horizons.csv", columns=("study", "horizon_years", "fund", "n_optimal"))
    notes = _read_json(folder, "research_notes.json", keys=("horizon_years",))
    return summary, horizons, notes
