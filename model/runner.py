"""The main job behind ``cea run`` and ``make run``.

For each (unit, scenario) it loads and validates the inputs, draws the PSA sample and writes,
atomically, into ``<out>/<run>/<unit>/<scenario>/``:

* ``parameters.csv``: every input with value, range, distribution, status and citation;
* ``draws_summary.csv``: mean and 95% interval of the draws of every uncertain input (a check
  that the sampled distributions say what the files say);
* each model's results (``antenatal_*``, ``infant_*``, ``continuum_*``: base case, national,
  incremental analysis, PSA summary and acceptability as CSV, the PSA as Parquet, the CE plane as
  PNG and SVG, plain-language findings as JSON);
* ``manifest.json``: seed, draws, data quality, fit warnings, timings, status, files.

``<out>/<run>/summary.csv`` gathers each job's headline figures.

The batch runner (papermill, process pool, Dask) replaces this loop in a later issue; the
outputs layout is already the one it will use.
"""

from __future__ import annotations

import hashlib
import platform
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from model import __version__, antenatal, budget, continuum, infant, plots
from model import parameters as P
from model.io import write_frame, write_json

PACKAGES = ("numpy", "scipy", "pandas", "SALib", "papermill", "pydantic")


def inputs_hash(root: Path) -> str:
    """SHA-256 over every parameter file (path and bytes), so a changed input changes the hash."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def versions() -> dict[str, str]:
    """Python, this package and its main dependencies."""
    out = {"python": platform.python_version(), "model": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def draws_summary(draws: dict[str, np.ndarray], names: list[str]) -> pd.DataFrame:
    """Mean, 2.5% and 97.5% quantiles of the draws of ``names``."""
    rows = []
    for k in names:
        x = draws[k]
        lo, hi = np.quantile(x, [0.025, 0.975])
        rows.append({"parameter": k, "mean": x.mean(), "q025": lo, "q975": hi})
    return pd.DataFrame(rows)


def run_job(unit: str, scenario: str, draws: int, seed: int, folder: Path,
            root: Path | None) -> dict:
    """Run one (unit, scenario); return its manifest entry."""
    t0 = time.perf_counter()
    ps = P.load(unit, scenario, root)
    sample = ps.sample(draws, seed)
    files = [write_frame(folder / "parameters.csv", ps.table()),
             write_frame(folder / "draws_summary.csv", draws_summary(sample, ps.uncertain))]
    reports = {name: module.report(ps, draws=draws, seed=seed)
               for name, module in (("antenatal", antenatal), ("infant", infant), ("continuum", continuum))}
    for name, rep in reports.items():
        files += rep.write(folder)
        unit = "per infant" if name == "infant" else "per pregnancy"
        files += rep.save_ce_plane(folder, f"{ps.unit_name}: {name} strategies", unit)
    impact = budget.budget_impact(ps, "MMS + MAMI")
    files.append(write_frame(folder / "budget_impact.csv", impact.reset_index()))
    files += plots.save(plots.budget(impact, f"{ps.unit_name}: budget impact of MMS + MAMI"),
                        folder / "budget_impact")
    rep = reports["antenatal"]
    mms = rep.incremental.loc["MMS"]
    mami = reports["infant"].incremental.loc["MAMI"]
    best = reports["continuum"].incremental
    entry = {
        "unit": unit, "scenario": scenario, "seed": seed, "draws": draws,
        "quality": ps.quality(), "fit_warnings": list(ps.fit_warnings), "status": "ok",
        "headline": {
            "mms_vs_ifa_cost_per_daly_averted": float(mms["cost_per_dalys_averted"]),
            "mms_vs_ifa_lbw_births_averted_per_100k": float(mms["lbw_births_averted"] * 1e5),
            "mms_vs_ifa_infant_deaths_averted_per_100k": float(mms["infant_deaths_averted"] * 1e5),
            "calibration_clipped_share": rep.notes["calibration_clipped_share"],
            "mami_vs_inpatient_cost_per_1000_infants": float(mami["incremental_cost"] * 1e3),
            "mami_vs_inpatient_deaths_averted_per_1000_infants": float(mami["deaths_averted"] * 1e3),
            "continuum_frontier": " -> ".join(best.index[best["status"] == "non-dominated"]),
            "budget_impact_5y_mms_mami": float(impact["total_cost"].sum()),
        },
        "seconds": round(time.perf_counter() - t0, 3),
        "files": sorted(f.name for f in files),
    }
    write_json(folder / "manifest.json", entry)
    return entry


def run(units: list[str], scenarios: list[str], draws: int, seed: int, out: Path,
        root: str | Path | None = None) -> int:
    """Run every (unit, scenario); print one line per job; return the exit code (0 or 1)."""
    root_path = Path(root) if root else P.DEFAULT_ROOT
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = out / run_id
    jobs, failed = [], 0
    for unit in units:
        for scenario in scenarios:
            try:
                entry = run_job(unit, scenario, draws, seed, base / unit / scenario, root)
            except Exception as exc:  # one failing job must not stop the others
                failed += 1
                entry = {"unit": unit, "scenario": scenario, "status": "failed",
                         "error": f"{type(exc).__name__}: {exc}"}
            jobs.append(entry)
            print(f"{entry['status']:6} {unit}/{scenario}", flush=True)
    headlines = [{"unit": j["unit"], "scenario": j["scenario"], "status": j["status"],
                  **j.get("headline", {})} for j in jobs]
    write_frame(base / "summary.csv", pd.DataFrame(headlines))
    write_json(base / "manifest.json", {
        "run": run_id, "inputs_hash": inputs_hash(root_path), "versions": versions(),
        "argv": sys.argv, "seed": seed, "draws": draws, "jobs": jobs,
    })
    print(f"{len(jobs) - failed} job(s) ok, {failed} failed; results in {base}")
    return 1 if failed else 0
