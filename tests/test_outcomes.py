"""One outcomes type for every model, and layers that hold (models never import the analysis or
reporting layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model import antenatal, continuum, infant
from model import parameters as P
from model.outcomes import Outcomes

MODEL_DIR = Path(__file__).resolve().parent.parent / "model"
ABOVE_MODELS = {"report", "plots", "uncertainty", "analysis", "gsa", "voi", "budget", "brief", "batch", "cli",
                "spreadsheet", "published", "replication", "research", "studies", "metamodel"}


def test_summary_national_and_long_by_hand():
    # two samples x two strategies; population 10 and 30 units in the two samples
    o = Outcomes({"cost": np.array([[1.0, 3.0], [2.0, 5.0]]), "dalys": np.array([[0.5, 0.25], [0.5, 0.75]])},
                 ("A", "B"), np.array([10.0, 30.0]))
    s = o.summary(100)
    assert s.loc["A", "cost"] == 150.0 and s.loc["B", "dalys"] == 50.0
    n = o.national()
    assert n.loc["B", "cost"] == pytest.approx((3 * 10 + 5 * 30) / 2)  # per-sample population
    long = o.long()
    assert list(long.columns) == ["sample", "strategy", "cost", "dalys"]
    assert list(long["strategy"]) == ["A", "B", "A", "B"] and list(long["sample"]) == [0, 0, 1, 1]
    pd.testing.assert_series_equal(long.groupby("strategy")["cost"].mean(), s["cost"] / 100, check_names=False)


def test_every_model_returns_the_one_outcomes_type():
    ps = P.load("BGD", "base")
    for module, population in ((antenatal, "pregnancies_reached"), (infant, "identified_per_year"),
                               (continuum, "pregnancies_reached")):
        r = module.run_set(ps)
        assert isinstance(r, Outcomes)
        np.testing.assert_array_equal(getattr(r, population), r.population)
        assert list(r.summary().index) == list(r.strategies)


@pytest.mark.parametrize("name", ["antenatal", "infant", "continuum", "natural_history"])
def test_models_import_only_engines_and_inputs(name):
    tree = ast.parse((MODEL_DIR / f"{name}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("model"):
            imported.add(node.module.split(".")[1] if "." in node.module else "")
            imported.update(a.name for a in node.names if node.module == "model")
    assert not imported & ABOVE_MODELS, f"model/{name}.py imports {sorted(imported & ABOVE_MODELS)}"
