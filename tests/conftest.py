"""Shared fixtures: the Bangladesh base case, one real batch run, and a small valid parameter tree
that tests can break one line at a time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from model import parameters as P
from model.parameters import DEFAULT_ROOT

FAST = ["--draws", "60", "--sobol-n", "16", "--seed", "11"]  # a quick but complete batch run
UNITS = "BGD,KEN"


@pytest.fixture(scope="module")
def bgd() -> P.ParameterSet:
    """Bangladesh, base scenario, as the project ships it."""
    return P.load("BGD", "base")


@pytest.fixture(scope="session")
def local_run(tmp_path_factory):
    """One real ``cea run`` of two countries (base scenario) on 2 local workers, shared by the batch
    and brief tests: ``(exit code, run folder)``."""
    from model import cli

    out = tmp_path_factory.mktemp("local")
    code = cli.main(["run", "--countries", UNITS, "--scenarios", "base", *FAST, "--workers", "2",
                     "--out", str(out), "--run-id", "r1"])
    return code, out / "r1"


SOURCES = {
    "src_a": {"citation": "Author A. A study. J 2020;1:1-2.", "url": "https://example.org/a",
              "read": "Table 2."},
    "workbook_assumption": {"citation": "Assumption.", "url": None, "read": "Nothing."},
}
GLOBAL = {
    "settings": {"price_year": 2023},
    "parameters": {
        "p_event": {"label": "Event risk", "value": 0.2, "low": 0.1, "high": 0.3, "distribution": "beta",
                    "unit": "probability", "source": "src_a", "status": "verified"},
        "rr_effect": {"label": "Treatment effect", "value": 0.9, "low": 0.8, "high": 1.01, "distribution": "lognormal",
                      "unit": "relative risk", "source": "src_a", "status": "verified"},
        "cost_visit": {"label": "Cost of a visit", "value": 10.0, "low": 8.0, "high": 12.0, "distribution": "gamma",
                       "unit": "US$ per visit", "currency": "USD", "cost_year": 2010,
                       "source": "src_a", "status": "unverified"},
        "horizon": {"label": "Time horizon", "value": 1.0, "distribution": "fixed", "unit": "years",
                    "source": "workbook_assumption", "status": "assumption",
                    "note": "one year by design"},
    },
}
COUNTRY = {
    "code": "BGD", "name": "Bangladesh",
    "parameters": {
        "nmr": {"label": "Neonatal mortality rate", "value": 18.0, "low": 16.6, "high": 19.3,
                "distribution": "lognormal", "unit": "per 1,000 live births", "source": "src_a", "status": "verified"},
        "p_event": {"label": "Event risk", "value": 0.25, "low": 0.15, "high": 0.35, "source": "src_a",
                    "status": "verified"},
    },
}
SUBNATIONAL = {"code": "IND-MH", "name": "Maharashtra", "parent": "IND",
               "parameters": {"nmr": {"value": 12.0, "low": 10.0, "high": 14.0,
                                      "source": "src_a", "status": "unverified"}}}
INDIA = {"code": "IND", "name": "India",
         "parameters": {"nmr": {"label": "Neonatal mortality rate", "value": 20.0, "low": 18.0, "high": 22.0,
                                "distribution": "lognormal", "unit": "per 1,000 live births",
                                "source": "src_a", "status": "verified"}}}
SCENARIO = {"name": "base", "description": "Base case."}
SCENARIO_HIGH = {"name": "high-cost", "description": "Visit cost doubled to test overrides.",
                 "parameters": {"cost_visit": {"label": "Cost of a visit", "value": 20.0, "low": 16.0, "high": 24.0,
                                               "source": "workbook_assumption",
                                               "status": "assumption", "note": "stress test"}}}


def dump(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A valid parameter root (files only: too few inputs for the models): globals, deflators and life
    table, BGD, IND and IND-MH, two scenarios, sources."""
    root = tmp_path / "parameters"
    dump(root / "sources.yaml", SOURCES)
    dump(root / "global" / "core.yaml", GLOBAL)
    for table in ("deflators.csv", "life_table.csv"):
        shutil.copy(DEFAULT_ROOT / "global" / table, root / "global" / table)
    dump(root / "countries" / "BGD.yaml", COUNTRY)
    dump(root / "countries" / "IND.yaml", INDIA)
    dump(root / "countries" / "IND-MH.yaml", SUBNATIONAL)
    dump(root / "scenarios" / "base.yaml", SCENARIO)
    dump(root / "scenarios" / "high-cost.yaml", SCENARIO_HIGH)
    return root


@pytest.fixture
def project_tree(tmp_path: Path) -> Path:
    """A copy of the project's parameter folder: complete, valid, and safe to break."""
    root = tmp_path / "parameters"
    shutil.copytree(DEFAULT_ROOT, root)
    return root
