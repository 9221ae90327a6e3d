"""Notebooks: committed clean, parameterised, and executable under papermill with small draws."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest

from model import antenatal
from model import parameters as P

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs_and_with_a_parameters_cell(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert not any(c.get("outputs") or c.get("execution_count") for c in code)
    assert sum("parameters" in c.get("metadata", {}).get("tags", []) for c in code) == 1


def test_antenatal_notebook_runs_and_writes_its_results(tmp_path):
    out = tmp_path / "out"
    pm.execute_notebook(
        str(NOTEBOOKS[0].parent / "01_antenatal_ifa_vs_mms.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"country": "ETH", "scenario": "base", "draws": 200, "seed": 3, "output_dir": str(out)},
        kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
    )
    for name in ("antenatal_incremental.csv", "antenatal_base.csv", "antenatal_psa.parquet",
                 "antenatal_ce_plane.png", "antenatal_ce_plane.svg", "antenatal_findings.json"):
        assert (out / name).stat().st_size > 0, name
    # the notebook's numbers are the model's numbers
    written = pd.read_csv(out / "antenatal_base.csv").set_index("strategy")
    expected = antenatal.run_set(P.load("ETH", "base")).summary() * 100_000
    pd.testing.assert_series_equal(written["dalys"], expected["dalys"], check_names=False)
    assert len(pd.read_parquet(out / "antenatal_psa.parquet")) == 200 * len(antenatal.STRATEGIES)
    assert not list(out.glob("*.tmp"))


@pytest.mark.parametrize("name,prefix,extra", [
    ("02_infant_inpatient_vs_mami.ipynb", "infant", ["infant_trace.png", "infant_survival.png", "infant_survival.svg"]),
    ("03_continuum.ipynb", "continuum", []),
])
def test_infant_and_continuum_notebooks_run(tmp_path, name, prefix, extra):
    out = tmp_path / "out"
    pm.execute_notebook(
        str(NOTEBOOKS[0].parent / name), str(tmp_path / "run.ipynb"),
        parameters={"country": "KEN", "scenario": "base", "draws": 150, "seed": 5, "output_dir": str(out)},
        kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
    )
    for f in [f"{prefix}_base.csv", f"{prefix}_incremental.csv", f"{prefix}_psa.parquet",
              f"{prefix}_ce_plane.svg", f"{prefix}_findings.json", *extra]:
        assert (out / f).stat().st_size > 0, f
    findings = json.loads((out / f"{prefix}_findings.json").read_text())
    assert "Kenya" in findings["findings"]


def test_uncertainty_notebook_runs(tmp_path):
    out = tmp_path / "out"
    pm.execute_notebook(
        str(NOTEBOOKS[0].parent / "04_uncertainty.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"country": "TZA", "scenario": "base", "model": "continuum", "draws": 300, "seed": 2,
                    "sobol_n": 32, "morris_trajectories": 4, "output_dir": str(out)},
        kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
    )
    for name in ("tornado", "ceac", "ceaf", "evpi", "evppi", "sobol", "expected_loss"):
        assert (out / f"uncertainty_continuum_{name}.png").stat().st_size > 0
        assert (out / f"uncertainty_continuum_{name}.svg").stat().st_size > 0
    tables = ("one_way", "ceac", "evpi", "evppi_at_threshold", "sobol", "morris", "thresholds", "scenarios")
    for name in tables:
        assert (out / f"uncertainty_continuum_{name}.csv").stat().st_size > 0


def test_budget_notebook_runs(tmp_path):
    out = tmp_path / "out"
    pm.execute_notebook(
        str(NOTEBOOKS[0].parent / "05_budget_impact.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"country": "NER", "scenario": "transition-cost", "strategy": "MMS + MAMI",
                    "output_dir": str(out)},
        kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
    )
    table = pd.read_csv(out / "budget_impact.csv")
    assert list(table["phase"]) == ["exploration", "pilot", "scale-up", "scale-up", "scale-up"]
    assert table["one_off_cost"].iloc[1] > 0 and (out / "budget_impact.svg").stat().st_size > 0


def test_research_value_notebook_runs(tmp_path):
    out = tmp_path / "out"
    pm.execute_notebook(
        str(NOTEBOOKS[0].parent / "06_research_value.ipynb"), str(tmp_path / "run.ipynb"),
        parameters={"country": "NGA", "scenario": "base", "draws": 300, "seed": 4, "output_dir": str(out)},
        kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
    )
    for name in ("summary", "evsi", "optimal", "horizons", "checks"):
        assert (out / f"research_{name}.csv").stat().st_size > 0, name
    for name in ("evsi_enbs", "optimal_n"):
        assert (out / f"research_{name}.png").stat().st_size > 0 and (out / f"research_{name}.svg").exists()
    summary = pd.read_csv(out / "research_summary.csv").set_index("study")
    assert set(summary.index) == {"mms-trial", "mami-study", "adherence-survey"}
    notes = json.loads((out / "research_notes.json").read_text())
    assert notes["draws"] == 300 and notes["unit"] == "NGA"
