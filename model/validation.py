"""The run gate: everything a job reads, checked before any notebook starts.

:func:`check` is what ``cea validate``, ``cea countries`` and the start of ``cea run`` call. For
every (unit, scenario) it checks

1. the parameter files (:func:`model.parameters.load`: schema, finite numbers, magnitude bounds,
   sources, settings, deflators, life table; see that module);
2. the inputs each notebook needs: the ``REQUIRED`` list of every module a notebook runs
   (``NOTEBOOK_MODULES``), or its ``required(settings)`` where inputs depend on the settings. The
   lists are read from the modules, so a parameter added to a model's ``REQUIRED`` is checked here
   without editing this file;
3. a dry run of the base case: the antenatal, infant and continuum models, each given only the
   inputs its PSA samples (a model that reads more would fail in every PSA), the decision
   threshold and the budget's roll-out path. A calibration that cannot reproduce the
   inputs, a non-finite result or any other failure here would otherwise stop a notebook minutes
   into a run. Sets with the same settings are stacked on the sample axis and run in one call;
   a failure is named for the scenario file when the unit without that scenario runs, else for
   the unit's file, with the model's inputs that file sets;

4. the study designs (``studies/*.yaml``, notebook 06) against the unit's parameter set
   (:func:`model.studies.load`): under the scenarios a run will execute (``cea run``), or under
   each unit's base scenario (``cea validate``, ``cea countries``: loading every design for every
   scenario would add about 12 s);

and once per parameter tree

5. every other YAML file under it (study designs, published evaluations): strict reading (UTF-8,
   no duplicate keys), finite numbers, http(s) addresses for ``url`` keys;
6. the files a job renders from: the notebooks (each with a cell tagged ``parameters``) and the
   brief templates.

Every problem names the file, the key and the reason (:class:`model.parameters.Problem`). Nothing is
written.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model import parameters as P
from model.readers import InputFileError, load_yaml

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
# notebook -> the modules whose inputs it needs (tests/test_validation.py checks this against the
# notebooks' imports and batch.NOTEBOOKS)
NOTEBOOK_MODULES = {
    "01_antenatal_ifa_vs_mms.ipynb": ("model.antenatal",),
    "02_infant_inpatient_vs_mami.ipynb": ("model.infant",),
    "03_continuum.ipynb": ("model.continuum",),
    "04_uncertainty.ipynb": ("model.continuum", "model.analysis"),
    "05_budget_impact.ipynb": ("model.budget",),
    "06_research_value.ipynb": ("model.continuum", "model.research"),
}
PARAMETER_FILES = ("global", "countries", "scenarios")  # folders whose YAML files model.parameters reads
_DRY_RUNS: dict[tuple, tuple[P.Problem, ...]] = {}


def sampled(module, settings: P.Settings | None) -> list[str]:
    """The inputs ``module`` reads, and a PSA samples, under ``settings``: its ``required(settings)``
    where it has one (inputs needed only under some settings), else its ``REQUIRED``."""
    if settings is not None and hasattr(module, "required"):
        return list(module.required(settings))
    return list(module.REQUIRED)


def requirements(settings: P.Settings | None = None) -> dict[str, list[str]]:
    """Input name -> the notebooks that need it, from each notebook's modules' ``REQUIRED`` (and
    their ``required(settings)``, given the settings)."""
    needed: dict[str, list[str]] = {}
    for notebook, modules in NOTEBOOK_MODULES.items():
        for name in modules:
            for key in sampled(importlib.import_module(name), settings):
                needed.setdefault(key, [])
                if notebook not in needed[key]:
                    needed[key].append(notebook)
    return needed


def _unit_file(ps: P.ParameterSet) -> str:
    root = ps.root or P.DEFAULT_ROOT
    if ps.unit is None:
        return P.display_path(root / "global", root)
    return P.display_path(root / "countries" / f"{ps.unit}.yaml", root)


def missing_inputs(ps: P.ParameterSet) -> list[P.Problem]:
    """A problem for every input a notebook needs that the parameter set lacks."""
    out = []
    for key, notebooks in requirements(ps.settings).items():
        if key not in ps:
            names = ", ".join(n.split("_")[0] for n in notebooks)
            out.append(P.Problem(_unit_file(ps), key, f"missing: notebook(s) {names} need this input; "
                                                      "give it in this unit's file or in global/"))
    return out


@dataclass(frozen=True)
class ModelFailure:
    """A model that fails (or gives non-finite numbers) on a set's base case; :func:`check` names
    the file and inputs at fault by trying the unit without its scenario."""

    model: str
    needed: tuple[str, ...]
    reason: str


def _fingerprint(ps: P.ParameterSet) -> tuple:
    values = tuple(sorted((k, p.value) for k, p in ps.params.items()))
    return values, json.dumps(ps.settings.model_dump(mode="json"), sort_keys=True), str(ps.settings.life_table_path)


def dry_run(ps: P.ParameterSet) -> list[P.Problem | ModelFailure]:
    """Run the base case the notebooks will run: a problem for an input needed only under these
    settings, a :class:`ModelFailure` for a model that fails or gives non-finite numbers, and the
    checks of the decision threshold and the roll-out path. Cached on the inputs' values and settings."""
    key = _fingerprint(ps)
    if key not in _DRY_RUNS:
        _DRY_RUNS[key] = tuple(_dry_run(ps))
    return list(_DRY_RUNS[key])


def dry_run_many(sets: Sequence[P.ParameterSet]) -> list[list[P.Problem | ModelFailure]]:
    """:func:`dry_run` of many parameter sets at once: sets with the same settings and inputs are
    stacked on the sample axis and evaluated in one vectorised call (the models treat each sample
    on its own), with the antenatal calibration strict as in the base case. A group in which
    anything fails is re-run set by set, so that each failure is found for its own set."""
    from model import antenatal, continuum, infant

    out: list[list | None] = [None] * len(sets)
    groups: dict[tuple, list[int]] = {}
    for i, ps in enumerate(sets):
        key = _fingerprint(ps)
        if key in _DRY_RUNS:
            out[i] = list(_DRY_RUNS[key])
            continue
        group = (key[1], key[2], tuple(sorted(ps.params)))
        groups.setdefault(group, []).append(i)
    for members in groups.values():
        if len(members) > 1:
            first = sets[members[0]]
            stacked = {k: np.array([sets[i].params[k].value for i in members]) for k in first.params}
            try:
                with np.errstate(all="ignore"):
                    antenatal.derive(_only(stacked, antenatal, first.settings), first.settings, strict=True)
                    infant.run(_only(stacked, infant, first.settings), first.settings)
                    result = continuum.run(_only(stacked, continuum, first.settings), first.settings)
                finite = np.ones(len(members), dtype=bool)
                for outcomes in (result.antenatal.outcomes, result.infant.outcomes, result.outcomes):
                    for v in outcomes.values():
                        finite &= np.isfinite(np.asarray(v).reshape(len(members), -1)).all(axis=1)
                failed = [i for i, ok in zip(members, finite, strict=True) if not ok]
            except Exception:  # noqa: BLE001 - some set fails: find which, one by one
                failed = members
            for i in members:
                if i not in failed:
                    out[i] = _other_checks(sets[i])
                    _DRY_RUNS[_fingerprint(sets[i])] = tuple(out[i])
        for i in members:
            if out[i] is None:
                out[i] = dry_run(sets[i])
    return out


def _dry_run(ps: P.ParameterSet) -> list[P.Problem | ModelFailure]:
    from model import antenatal, continuum, infant

    out: list[P.Problem | ModelFailure] = []
    base = ps.base()
    name, module = "continuum", continuum
    try:
        # each model gets only the inputs a PSA of it samples: what it reads beyond them fails here
        for name, module in (("antenatal", antenatal), ("infant", infant), ("continuum", continuum)):  # noqa: B007
            with np.errstate(all="ignore"):
                result = module.run(_only(base, module, ps.settings), ps.settings)
    except Exception as exc:  # noqa: BLE001 - any failure here would stop a notebook
        named = list(dict.fromkeys(re.findall(r"'([a-z][a-z0-9_]*)'", str(exc))))
        if isinstance(exc, KeyError) and named and all(k not in ps for k in named):
            return [P.Problem(_unit_file(ps), k, f"missing: the {name} model needs this input under this scenario's "
                                                 f"settings ({exc})") for k in named]
        if isinstance(exc, KeyError) and named:  # the model reads inputs its required list does not name
            reason = (f"the {name} model reads these inputs under this scenario's settings but its REQUIRED / "
                      f"required() does not list them, so a PSA does not sample them ({exc})")
            return [P.Problem(f"model/{name}.py", ", ".join(named), reason)]
        return [ModelFailure(name, tuple(module.REQUIRED), f"the {name} model fails on the base case with these "
                                                          f"inputs ({type(exc).__name__}: {exc})")]
    for name, outcomes, module in (("antenatal", result.antenatal.outcomes, antenatal),
                                   ("infant", result.infant.outcomes, infant),
                                   ("continuum", result.outcomes, continuum)):
        bad = sorted(k for k, v in outcomes.items() if not np.all(np.isfinite(v)))
        if bad:
            reason = f"the {name} model gives non-finite {', '.join(bad)} on the base case with these inputs"
            out.append(ModelFailure(name, tuple(module.REQUIRED), reason))
    return out + _other_checks(ps)


def _only(values: dict, module, settings: P.Settings) -> dict:
    """``values`` restricted to what a PSA of ``module`` samples under ``settings``."""
    return {k: values[k] for k in sampled(module, settings) if k in values}


def _name_failure(ps: P.ParameterSet, failure: ModelFailure, scenario_at_fault: bool) -> P.Problem:
    """The file and inputs to name for a model failure: the scenario's own overrides (inputs and
    settings) when the unit without the scenario runs; otherwise the inputs the unit's file sets
    (its parent's, then the global files', when it sets none)."""
    needed = [k for k in failure.needed if k in ps]
    by_file: dict[str, list[str]] = {}
    for k in needed:
        by_file.setdefault(ps.origin[k], []).append(k)
    if scenario_at_fault:
        fname = next((f for f in [*by_file, *ps.settings_origin.values()] if "/scenarios/" in f"/{f}"), None)
        if fname:
            keys = [*by_file.get(fname, []), *(f"settings.{k}" for k, f in ps.settings_origin.items() if f == fname)]
            return P.Problem(fname, ", ".join(keys), failure.reason)
    unit = _unit_file(ps)
    for fname in [unit, *sorted(f for f in by_file if "/countries/" in f"/{f}"), *sorted(by_file)]:
        if by_file.get(fname):
            return P.Problem(fname, ", ".join(sorted(by_file[fname])), failure.reason)
    return P.Problem(unit, "-", failure.reason)


def _unit_alone_fails(root: Path, unit: str, model: str, cache: dict) -> bool:
    """Whether ``unit`` with no scenario applied fails in ``model`` too (or cannot be loaded)."""
    if unit not in cache:
        try:
            ps = P.load(unit, None, root)
        except P.ParameterError:
            cache[unit] = None
        else:
            cache[unit] = [f.model for f in dry_run(ps) if isinstance(f, ModelFailure)]
    return cache[unit] is None or model in cache[unit]


def _other_checks(ps: P.ParameterSet) -> list[P.Problem]:
    """The decision threshold and the budget's roll-out path of one set."""
    from model import budget, cea

    out = []
    if "gdp_per_capita" in ps:
        label, lam = cea.decision_threshold(ps)
        if not (math.isfinite(lam) and lam > 0):
            out.append(P.Problem(ps.origin["gdp_per_capita"], "gdp_per_capita",
                                 f"the decision threshold ({label}) is {lam:g} US$ per DALY; it must be positive"))
    try:
        budget.Rollout.from_settings(ps.settings)
    except ValueError as exc:
        keys = [k for k in ps.settings_origin if k.startswith("rollout_")]
        fname = ", ".join(sorted({ps.settings_origin[k] for k in keys})) or "settings"
        out.append(P.Problem(fname, ", ".join(f"settings.{k}" for k in keys) or "settings.rollout_*",
                             f"the budget's roll-out path: {exc}"))
    return out


def _walk(data, path: str = ""):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, data


def other_yaml_problems(root: Path) -> list[P.Problem]:
    """Strict checks of YAML files under ``root`` that ``model.parameters`` does not read (study
    designs and the like; files starting with ``_`` are templates and skipped)."""
    out = []
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root)
        if rel.name.startswith("_") or rel == Path("sources.yaml") or (
                len(rel.parts) == 2 and rel.parts[0] in PARAMETER_FILES):
            continue
        fname = P.display_path(path, root)
        try:
            data = load_yaml(path)
        except InputFileError as exc:
            out += [P.Problem(fname, k, r) for k, r in exc.problems]
            continue
        except OSError as exc:
            out.append(P.Problem(fname, "-", f"cannot read: {exc.strerror or exc}"))
            continue
        if not isinstance(data, dict):
            out.append(P.Problem(fname, "-", "top level must be a mapping"))
            continue
        for key, value in _walk(data):
            if isinstance(value, float) and not math.isfinite(value):
                out.append(P.Problem(fname, key, f"must be a finite number (got {value!r})"))
            elif key.rsplit(".", 1)[-1] == "url" and value is not None and P.url_problem(value):
                out.append(P.Problem(fname, key, P.url_problem(value)))
    return out


def report_file_problems(notebook_dir: Path = NOTEBOOK_DIR) -> list[P.Problem]:
    """The notebooks a job executes and the templates its brief is rendered from, as files."""
    from jinja2 import TemplateError

    from model.brief import render

    out = []
    for name in NOTEBOOK_MODULES:
        path = notebook_dir / name
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            out.append(P.Problem(f"notebooks/{name}", "-", f"not a readable notebook ({type(exc).__name__}: {exc})"))
            continue
        if not tagged:
            out.append(P.Problem(f"notebooks/{name}", "cells", "no cell is tagged 'parameters'"))
    env = render.environment()
    for name in ("brief.html.j2", "index.html.j2", "brief.css"):
        try:
            if name.endswith(".j2"):
                env.get_template(name)
            else:
                (render.TEMPLATES / name).read_text(encoding="utf-8")
        except (OSError, TemplateError, UnicodeDecodeError) as exc:
            out.append(P.Problem(f"model/brief/templates/{name}", "-", f"{type(exc).__name__}: {exc}"))
    return out


@dataclass
class Report:
    """What :func:`check` checked and found."""

    root: Path
    units: list[str]
    scenarios: list[str]
    problems: list[P.Problem] = field(default_factory=list)  # each once, in the order found
    by_unit: dict[str, list[P.Problem]] = field(default_factory=dict)  # unit -> problems that affect it
    tree_problems: list[P.Problem] = field(default_factory=list)  # problems of the tree as a whole
    fit_notes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # unit -> name, where its file says
    quality: dict[str, dict[str, int]] = field(default_factory=dict)  # unit -> base-case input quality

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def invalid_units(self) -> list[str]:
        return [u for u in self.units if self.by_unit.get(u)]


def _add(report: Report, problems: Iterable[P.Problem], unit: str | None) -> None:
    for p in problems:
        if p not in report.problems:
            report.problems.append(p)
        if unit is None:
            if p not in report.tree_problems:
                report.tree_problems.append(p)
        elif p not in report.by_unit.setdefault(unit, []):
            report.by_unit[unit].append(p)


def study_problems(ps: P.ParameterSet, root: Path) -> list[P.Problem]:
    """Every study design under ``root`` checked against ``ps`` (:func:`model.studies.load`)."""
    from model import studies

    out: list[P.Problem] = []
    for name in studies.names(root):
        try:
            studies.load(name, ps, root)
        except studies.StudyError as exc:
            out += exc.problems
    return out


def check(root: str | Path | None = None, units: Sequence[str] | None = None,
          scenarios: Sequence[str] | None = None, report_files: bool = True,
          study_scenarios: Sequence[str] | None = None) -> Report:
    """Check ``units`` (default: all) under ``scenarios`` (default: all) of the parameter tree at
    ``root``, and the tree's other files; see the module docstring. Study designs are checked under
    ``study_scenarios`` (default: ``base``, or the first scenario)."""
    root = Path(root) if root is not None else P.DEFAULT_ROOT
    all_units, all_scenarios = P.units(root), P.scenarios(root)
    units = list(all_units if units is None else units)
    scenarios = list(all_scenarios if scenarios is None else scenarios)
    report = Report(root=root, units=units, scenarios=scenarios)
    tree = other_yaml_problems(root) + (report_file_problems() if report_files else [])
    if not (root / "countries").is_dir():
        tree.append(P.Problem(P.display_path(root / "countries", root), "-", "no countries folder"))
    if not scenarios:
        tree.append(P.Problem(P.display_path(root / "scenarios", root), "-", "no scenario files"))
    _add(report, tree, None)
    complete: list[tuple[str, P.ParameterSet]] = []
    for unit in units:
        for p in tree:
            _add(report, [p], unit)
        for scenario in scenarios:
            try:
                ps = P.load(unit, scenario, root)
            except P.ParameterError as exc:
                _add(report, exc.problems, unit)
                continue
            report.fit_notes += [n for n in ps.fit_warnings if n not in report.fit_notes]
            if scenario == "base" or unit not in report.names:
                report.names[unit] = ps.unit_name or ""
                report.quality[unit] = ps.quality()
            missing = missing_inputs(ps)
            if missing:
                _add(report, missing, unit)
            else:
                complete.append((unit, ps))
    alone: dict[str, list[str] | None] = {}
    for (unit, ps), found in zip(complete, dry_run_many([ps for _, ps in complete]), strict=True):
        _add(report, [f if isinstance(f, P.Problem) else
                      _name_failure(ps, f, not _unit_alone_fails(root, unit, f.model, alone)) for f in found], unit)
    if study_scenarios is None:
        study_scenarios = ["base"] if "base" in scenarios else scenarios[:1]
    for unit, ps in complete:
        if ps.scenario in study_scenarios:
            _add(report, study_problems(ps, root), unit)
    for unit in units:
        if unit not in report.names:
            report.names[unit] = _name_in_file(root, unit)
    return report


def _name_in_file(root: Path, unit: str) -> str:
    try:
        data = load_yaml(root / "countries" / f"{unit}.yaml")
        return str(data.get("name", "")) if isinstance(data, dict) else ""
    except (OSError, InputFileError):
        return ""


# --------------------------------------------------------------------------- which tree, which units
TREE_MARKERS = ("global", "countries", "scenarios", "sources.yaml")


def tree_of(path: Path) -> Path | None:
    """The parameter tree ``path`` lies in: the nearest folder (``path`` itself, if a folder) that
    holds at least two of ``global/``, ``countries/``, ``scenarios/`` and ``sources.yaml``."""
    path = path.resolve()
    for folder in [path, *path.parents] if path.is_dir() else list(path.parents):
        if sum((folder / m).exists() for m in TREE_MARKERS) >= 2:
            return folder
    return None


@dataclass(frozen=True)
class Scope:
    """What ``cea validate PATH ...`` checks and why."""

    root: Path
    units: list[str] | None  # None: every unit
    scenarios: list[str] | None  # None: every scenario
    reason: str


def scope(paths: Sequence[str | Path], root: str | Path | None = None) -> tuple[Scope | None, list[P.Problem]]:
    """The tree the ``paths`` belong to and the units and scenarios they affect.

    A country file affects its unit and the units below it, under every scenario (the uncertainty
    notebook of a job loads every scenario); a scenario file affects every unit under that scenario;
    anything else (global files, tables, sources, other files, the tree itself) affects everything.
    With ``root``, every path must lie inside it."""
    given = Path(root).resolve() if root is not None else None
    if not paths:
        base = given or P.DEFAULT_ROOT
        return Scope(base, None, None, "every unit under every scenario"), []
    problems, roots = [], set()
    for p in map(Path, paths):
        if not p.exists():
            problems.append(P.Problem(str(p), "-", "file not found"))
            continue
        tree = tree_of(p)
        if given is not None and not p.resolve().is_relative_to(given):
            problems.append(P.Problem(str(p), "-", f"not inside the parameter tree given by --root ({given})"))
        elif tree is None and given is None:
            problems.append(P.Problem(str(p), "-", "not inside a parameter tree (no folder above it holds "
                                                   "global/, countries/, scenarios/ or sources.yaml); use --root"))
        else:
            roots.add(given or tree)
    if len(roots) > 1:
        trees = ", ".join(map(str, sorted(roots)))
        problems.append(P.Problem(", ".join(map(str, paths)), "-", f"the paths belong to different parameter trees: "
                                                                   f"{trees}"))
    if problems:
        return None, problems
    tree = roots.pop()
    units: set[str] = set()
    scen: set[str] = set()
    everything = False
    for p in map(lambda x: Path(x).resolve(), paths):
        rel = p.relative_to(tree)
        kind = rel.parts[0] if len(rel.parts) == 2 and p.suffix == ".yaml" and not p.name.startswith("_") else ""
        if kind == "countries":
            units.add(p.stem)
            units.update(u for u in P.units(tree) if u.startswith(f"{p.stem}-"))
        elif kind == "scenarios":
            scen.add(p.stem)
        else:
            everything = True
    if everything or (units and scen):
        return Scope(tree, None, None, "every unit under every scenario (a global, shared or mixed change)"), []
    if units:
        return Scope(tree, sorted(units), None, "the given unit(s) and any below them, under every scenario"), []
    return Scope(tree, None, sorted(scen), "every unit under the given scenario(s)"), []


def bad_name(kind: str, value: str) -> str | None:
    """Why ``value`` is not a safe unit code (``kind='unit'``) or scenario name, or ``None``."""
    pattern = P.UNIT_CODE if kind == "unit" else P.SCENARIO_NAME
    if not isinstance(value, str) or not pattern.match(value):
        what = "ISO3 or ISO3-SUB, e.g. BGD or IND-MH" if kind == "unit" else "lower-case letters, digits, '-', '_'"
        return f"{value!r} is not a {kind} name ({what})"
    return None

