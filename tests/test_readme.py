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
