"""Every Python example in the README runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code):
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation


def test_hiv_example_prints_the_published_numbers():
    namespace: dict = {}
    (block,) = [b for b in BLOCKS if "Chancellor" in b or "mono = np.array" in b]
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    cost = namespace["res"].totals["cost"]
    assert cost[0] == pytest.approx(44663.4535637) and cost[1] == pytest.approx(50601.6513312)


def test_every_stable_module_keeps_its_names_and_has_a_worked_example():
    import importlib

    import model

    assert set(model.STABLE) == {"tree", "markov", "cea", "uncertainty", "distributions"}
    for name, public in model.STABLE.items():
        module = importlib.import_module(f"model.{name}")
        missing = [n for n in public if not hasattr(module, n)]
        assert not missing, f"model.{name} lacks {missing}"
        undocumented = [n for n in public if callable(getattr(module, n)) and not getattr(module, n).__doc__]
        assert not undocumented, f"model.{name}: no docstring for {undocumented}"
        uses = re.compile(rf"from model\.{name} import|from model import [^\n]*\b{name}\b")
        assert any(uses.search(b) for b in BLOCKS), f"no README example imports model.{name}"
