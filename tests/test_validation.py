"""The run gate: which inputs each notebook needs comes from the modules' REQUIRED lists, and the
dry run names the file at fault."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
import yaml

from model import analysis, antenatal, batch, budget, continuum, infant
from model import parameters as P
from model import validation as V


def _code(notebook: str) -> str:
    nb = json.loads((V.NOTEBOOK_DIR / notebook).read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def test_every_notebook_is_registered_with_the_modules_it_imports():
    assert tuple(V.NOTEBOOK_MODULES) == batch.NOTEBOOKS
    for notebook, modules in V.NOTEBOOK_MODULES.items():
        imported = {f"model.{m.split(' as ')[0].strip()}"
                    for line in re.findall(r"^from model import (.+)$", _code(notebook), re.M) for m in line.split(",")}
        models = {m for m in imported if hasattr(__import__(m, fromlist=["x"]), "REQUIRED")}
        assert set(modules) >= models, (notebook, models - set(modules))
        assert all(hasattr(__import__(m, fromlist=["x"]), "REQUIRED") for m in modules)


def _only(ps: P.ParameterSet, names) -> P.ParameterSet:
    keep = set(names)
    return dataclasses.replace(ps, params={k: v for k, v in ps.params.items() if k in keep},
                               dists={k: v for k, v in ps.dists.items() if k in keep})


def test_each_module_needs_no_input_beyond_its_required_list():
    """If a model read an input its REQUIRED does not list, validation could not tell that it is
    missing: each model runs on exactly its REQUIRED inputs."""
    ps = P.load("BGD", "base")
    for module in (antenatal, infant, continuum):
        module.run_set(_only(ps, module.REQUIRED))
    budget.budget_impact(_only(ps, budget.REQUIRED))
    analysis.run(_only(ps, [*continuum.REQUIRED, *analysis.REQUIRED]), "continuum", draws=40, seed=1, sobol_n=8,
                 morris_trajectories=2)



def test_a_required_list_missing_an_input_the_model_reads_would_be_caught(monkeypatch):
    """The check above has teeth: drop 'nmr' from the antenatal list and the restricted run fails."""
    ps = P.load("BGD", "base")
    monkeypatch.setattr(antenatal, "REQUIRED", [k for k in antenatal.REQUIRED if k != "nmr"])
    with pytest.raises(KeyError, match="nmr"):
        antenatal.run_set(_only(ps, antenatal.REQUIRED))


def test_a_new_required_input_is_checked_without_editing_the_gate(monkeypatch, project_tree):
    monkeypatch.setattr(antenatal, "REQUIRED", [*antenatal.REQUIRED, "rr_new_effect"])
    report = V.check(project_tree, ["BGD"], ["base"], report_files=False)
    assert [str(p) for p in report.problems] == [
        "parameters/countries/BGD.yaml: rr_new_effect: missing: notebook(s) 01, 03, 04, 06 need this input; give it "
        "in this unit's file or in global/"]  # 03, 04, 06 through continuum.required(), which adds antenatal's


def _scenario(root, name: str, parameters: dict, settings: dict | None = None) -> None:
    data = {"name": name, "description": f"{name} (test)", "parameters": parameters}
    if settings:
        data["settings"] = settings
    (root / "scenarios" / f"{name}.yaml").write_text(yaml.safe_dump(data))


LBW_90 = {"lbw_prevalence": {"value": 90.0, "low": 85.0, "high": 95.0, "source": "workbook_assumption",
                             "status": "assumption", "note": "test"}}


def test_a_scenario_that_breaks_calibration_is_named_and_the_others_pass(project_tree):
    _scenario(project_tree, "broken", LBW_90)
    report = V.check(project_tree, ["BGD", "KEN"], report_files=False)
    assert sorted(report.by_unit) == ["BGD", "KEN"]
    assert {p.file for p in report.problems} == {"parameters/scenarios/broken.yaml"}
    assert {p.key for p in report.problems} == {"lbw_prevalence"}
    assert all(p.reason.startswith("the antenatal model fails on the base case with these inputs (CalibrationError")
               for p in report.problems)


def test_a_unit_that_fails_under_every_scenario_names_its_own_file(project_tree):
    path = project_tree / "countries" / "KEN.yaml"
    data = yaml.safe_load(path.read_text())
    data["parameters"]["lbw_prevalence"].update(value=90.0, low=85.0, high=95.0)
    path.write_text(yaml.safe_dump(data))
    report = V.check(project_tree, ["BGD", "KEN"], report_files=False)
    assert not report.by_unit.get("BGD")
    (problem,) = report.problems
    assert problem.file == "parameters/countries/KEN.yaml" and "lbw_prevalence" in problem.key.split(", ")


def test_the_vectorised_dry_run_finds_what_one_by_one_finds(project_tree):
    _scenario(project_tree, "broken", LBW_90)
    sets = [P.load(u, s, project_tree) for u in ("BGD", "KEN") for s in ("base", "broken", "societal")]
    V._DRY_RUNS.clear()
    together = V.dry_run_many(sets)
    V._DRY_RUNS.clear()
    alone = [V._dry_run(ps) for ps in sets]
    assert together == alone
    assert [bool(x) for x in together] == [False, True, False, False, True, False]


def test_report_files_are_checked(tmp_path):
    assert V.report_file_problems() == []
    (tmp_path / "01_antenatal_ifa_vs_mms.ipynb").write_text("{not json")
    problems = V.report_file_problems(tmp_path)
    assert problems[0].file == "notebooks/01_antenatal_ifa_vs_mms.ipynb"
    assert problems[0].reason.startswith("not a readable notebook (JSONDecodeError")
    assert len(problems) == len(V.NOTEBOOK_MODULES)  # the other four are missing


def test_the_project_passes_the_gate():
    report = V.check()
    assert report.ok, report.problems
    assert report.units == P.units() and report.scenarios == P.scenarios()


def test_a_model_reading_an_input_its_psa_does_not_sample_is_refused(monkeypatch):
    """The anaemia-weighted (and smith2017-subgroups) scenario failed in every PSA (notebooks 01, 03,
    04) while its base case ran: the antenatal model read subgroup inputs its REQUIRED did not list,
    so they were never sampled. The dry run gives each model only what its PSA samples, so such a
    gap is refused by name."""
    ps = P.load("BGD", "anaemia-weighted")
    assert V.dry_run(ps) == []
    monkeypatch.setattr(antenatal, "required", lambda settings: antenatal.REQUIRED)  # the gap as it was
    V._DRY_RUNS.clear()
    (problem,) = V.dry_run(ps)
    assert problem.file == "model/antenatal.py"
    assert problem.key == ", ".join(antenatal.ANAEMIA_KEYS)
    assert "a PSA does not sample them" in problem.reason
    V._DRY_RUNS.clear()


@pytest.mark.parametrize("scenario", P.scenarios())
def test_every_scenario_runs_a_psa(scenario):
    """What the gate's dry run now guards: a PSA of every scenario runs and gives finite numbers."""
    result = continuum.run_set(P.load("BGD", scenario), draws=8, seed=3)
    assert all(np.all(np.isfinite(v)) for v in result.outcomes.values())
