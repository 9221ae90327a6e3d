"""Where a job's time goes (model/timing.py) and the warm kernel's reset (model/kernels.py)."""

from __future__ import annotations

import json
import time

import pytest

from model import kernels, timing


def test_spans_are_kept_summed_and_written_for_the_job(tmp_path, monkeypatch):
    log = tmp_path / "t.jsonl"
    monkeypatch.setenv(timing.ENV, str(log))
    timing.recorded(clear=True)
    for _ in range(2):
        with timing.span("psa"):
            time.sleep(0.02)

    @timing.timed("figures")
    def draw(x):
        time.sleep(0.01)
        return x * 2

    assert draw(3) == 6
    kept = timing.recorded(clear=True)
    assert set(kept) == {"psa", "figures"} and kept["psa"] >= 0.04 and 0.01 <= kept["figures"] < kept["psa"]
    assert timing.read(log) == pytest.approx(kept, abs=1e-3)
    log.write_text(log.read_text() + '{"span": "cut sho')  # a killed kernel's last line
    assert timing.read(log) == pytest.approx(kept, abs=1e-3)
    assert timing.read(tmp_path / "missing.jsonl") == {} and timing.recorded() == {}


def test_a_span_inside_another_is_not_counted_twice(tmp_path, monkeypatch):
    monkeypatch.delenv(timing.ENV, raising=False)
    timing.recorded(clear=True)
    with timing.span("analysis"):
        with timing.span("figures"):
            time.sleep(0.02)
        time.sleep(0.01)
    with timing.span("figures"):
        time.sleep(0.01)
    kept = timing.recorded(clear=True)
    assert kept["analysis"] >= 0.03 and 0.01 <= kept["figures"] < 0.02  # the inner figures span is the outer's


def test_a_warm_kernel_is_reset_between_notebooks(tmp_path):
    """What one notebook leaves in the kernel (variables, pandas options, open figures, the
    execution counter, the working directory) is gone before the next; imported modules stay."""
    kernel = kernels.WarmKernel(log=tmp_path / "kernel.log")
    try:
        assert kernel.prepare(tmp_path, tmp_path / "t.jsonl") > 0  # started (and imported) now
        reply = kernel.kc.execute_interactive(
            "import pandas as pd, matplotlib.pyplot as plt\nleft_over = 1\npd.set_option('display.width', 7)\n"
            "pd.set_option('display.precision', 2)\n"
            "plt.figure()\n", timeout=60, output_hook=lambda m: None)
        assert reply["content"]["status"] == "ok"
        (tmp_path / "next").mkdir()
        assert kernel.prepare(tmp_path / "next", None) == 0  # the same kernel, not a new one
        seen = []
        reply = kernel.kc.execute_interactive(
            "import os, sys, pandas, matplotlib.pyplot as plt, json\n"
            "options = [pandas.get_option(f'display.{o}') for o in ('width', 'precision')]\n"
            "print(json.dumps(['left_over' in globals(), options, "
            "len(plt.get_fignums()), os.getcwd(), 'model.analysis' in sys.modules, "
            "os.environ.get('CEA_TIMINGS')]))",
            timeout=60, output_hook=lambda m: seen.append(m["content"].get("text", "")))
        left, width, figures, cwd, imported, timings = json.loads("".join(seen))
        assert (left, width, figures, imported, timings) == (False, [80, 6], 0, True, None)
        assert reply["content"]["execution_count"] == 1  # numbered as the first cell of a fresh kernel
        assert cwd == str(tmp_path / "next")
        assert "IPKernelApp" in (tmp_path / "kernel.log").read_text()  # its own output: the log, not the terminal
    finally:
        kernel.shutdown()
    assert not kernel.alive()
