"""pyproject.toml and environment.yml declare the same packages with the same lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parent.parent
DESIGN_CARD = {"jupyterlab", "numpy", "scipy", "pandas", "salib", "papermill", "pytest"}


def _norm(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    meta = tomllib.loads((TOP / "pyproject.toml").read_text())["project"]
    specs = meta["dependencies"] + meta["optional-dependencies"]["dev"]
    return dict(_norm(s) for s in specs)


def _conda() -> dict[str, str]:
    deps = yaml.safe_load((TOP / "environment.yml").read_text())["dependencies"]
    return dict(_norm(s) for s in deps if isinstance(s, str) and not s.startswith("python"))


def test_environment_matches_pyproject():
    assert _conda() == _pyproject()


def test_design_card_packages_are_required_with_lower_bounds():
    deps = _pyproject()
    assert DESIGN_CARD <= set(deps)
    assert all(v.startswith(">=") for v in deps.values())


def test_ci_calls_the_readme_test_command():
    assert "make test" in (TOP / ".ci" / "run").read_text()
    readme = (TOP / "README.md").read_text()
    assert readme.index("make run") < readme.index("make test") < readme.index("##")


def test_nothing_in_the_repository_points_outside_it():
    """The design and the evidence a newcomer needs are in the repository (docs/DESIGN.md,
    parameters/): no file refers them to the developers' shared folder."""
    shared = "shared"
    patterns = [f"../{shared}", f"/work/{shared}", f"{shared}/evidence", f"{shared}/DESIGN"]
    folders = ("model", "notebooks", "parameters", "tests", "docs", "benchmarks")
    files = [p for f in folders for p in (TOP / f).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += [TOP / n for n in ("README.md", "Makefile", "pyproject.toml", "environment.yml")]
    hits = [(p.relative_to(TOP), pat) for p in files for pat in patterns
            if pat in p.read_text(encoding="utf-8", errors="ignore")]
    assert hits == []
    assert (TOP / "docs" / "DESIGN.md").exists() and "docs/DESIGN.md" in (TOP / "README.md").read_text()
