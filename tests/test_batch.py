"""Batch runs: papermill jobs on local processes and on a real Dask cluster, failures, resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import FAST, UNITS

from model import batch, cli
from model import parameters as P
from model.brief import words

BIN = Path(sys.executable).parent


def result_files(job_dir: Path) -> dict[str, bytes]:
    """Every file a job wrote, as the bytes that must not depend on how or where it ran.

    Compared as they are: CSV, JSON, Parquet, PNG, SVG, HTML. Left out: the job's manifest (clock
    readings) and hidden files. Compared without their timestamps: a spreadsheet member by member
    except ``docProps/core.xml`` (its creation time), a PDF by its text page by page (Chromium
    stamps creation time and a document id). An executed notebook is compared cell by cell
    (source, execution count, outputs) without its metadata (papermill's clock) and with three
    things replaced that differ between any two runs, fresh kernels included: the job folder's
    path, pandas Styler's random table ids (``T_1a2b3``) and object addresses (``at 0x7f...``)."""
    import io
    import re
    import zipfile

    out = {}
    for p in sorted(job_dir.rglob("*")):
        rel = str(p.relative_to(job_dir))
        if not p.is_file() or p.name == "manifest.json" or p.name.startswith("."):
            continue
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                out[rel] = b"".join(n.encode() + z.read(n) for n in sorted(z.namelist()) if n != "docProps/core.xml")
        elif p.suffix == ".pdf":
            from pypdf import PdfReader

            out[rel] = "\f".join(page.extract_text() for page in PdfReader(io.BytesIO(p.read_bytes())).pages).encode()
        elif p.suffix == ".ipynb":
            nb = json.loads(p.read_text())
            cells = json.dumps([[c["cell_type"], c["source"], c.get("execution_count"), c.get("outputs")]
                                for c in nb["cells"]])
            cells = cells.replace(str(job_dir), "<job>")
            cells = re.sub(r"T_[0-9a-f]{5}", "T_<id>", cells)
            out[rel] = re.sub(r" at 0x[0-9a-f]+", " at <address>", cells).encode()
        else:
            out[rel] = p.read_bytes()
    return out


def differing(a: Path, b: Path) -> list[str]:
    """The files of job folders ``a`` and ``b`` that differ (see :func:`result_files`), or are in one only."""
    fa, fb = result_files(a), result_files(b)
    return sorted(k for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k))


def test_local_batch_writes_every_job_and_a_manifest(local_run):
    code, run_dir = local_run
    assert code == 0
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [(j["unit"], j["status"]) for j in manifest["jobs"]] == [("BGD", "ok"), ("KEN", "ok")]
    job = manifest["jobs"][0]
    assert [n["notebook"] for n in job["notebooks"]] == list(batch.NOTEBOOKS)
    assert all(n["duration"] > 0 for n in job["notebooks"])
    assert len(job["inputs_hash"]) == 64 and job["seed"] == 11 and job["draws"] == 60
    folder = run_dir / "BGD" / "base"
    for f in ("antenatal_incremental.csv", "infant_incremental.csv", "continuum_incremental.csv",
              "uncertainty_continuum_evpi.csv", "budget_impact.csv", "notebooks/04_uncertainty.ipynb"):
        assert (folder / f).exists(), f
        assert f in job["files"]
    summary = pd.read_csv(run_dir / "summary.csv")
    assert list(summary["unit"]) == ["BGD", "KEN"] and (summary["status"] == "ok").all()
    for key in ("mms", "mami", "care"):  # one vocabulary: a status, and a cost per DALY only when it is one
        assert set(summary[f"{key}_status"]) <= set(words.STATUSES)
        more_for_more = summary[f"{key}_status"] == words.NORTH_EAST
        assert summary.loc[~more_for_more, f"{key}_cost_per_daly_averted"].isna().all()
        assert (summary.loc[more_for_more, f"{key}_cost_per_daly_averted"] > 0).all()
    budget = json.loads((folder / "budget_impact_totals.json").read_text())
    assert list(summary["budget_strategy"]) == list(summary["recommended"])  # the budget is the recommendation's
    assert budget["strategy"] == summary.loc[0, "recommended"] and budget["chosen"] == "recommended"
    assert not list(run_dir.rglob(".tmp-*"))


def test_failing_notebook_fails_its_job_alone(tmp_path, capsys):
    root = tmp_path / "parameters"
    shutil.copytree(P.DEFAULT_ROOT, root)
    (root / "scenarios" / "broken.yaml").write_text(yaml.safe_dump({
        "name": "broken", "description": "An LBW prevalence no calibration can reproduce.",
        "parameters": {"lbw_prevalence": {"value": 90.0, "low": 85.0, "high": 95.0, "source": "workbook_assumption",
                                          "status": "assumption", "note": "test"}}}))
    args = ["--countries", "BGD", "--scenarios", "broken", *FAST, "--workers", "1", "--run-id", "r"]
    # `cea run` refuses it before any notebook starts: its dry run of the base case fails
    assert cli.main(["run", "--root", str(root), *args, "--out", str(tmp_path / "refused")]) == 2
    assert ("parameters/scenarios/broken.yaml: lbw_prevalence: the antenatal model fails on the base case with "
            "these inputs (CalibrationError: calibration: no-supplement SGA prevalence") in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()
    # the executor, called without the gate, still isolates a job that fails in a notebook
    code = batch.run(["BGD"], ["broken"], draws=60, seed=11, out=tmp_path / "out", root=root, workers=1,
                     run_id="r", sobol_n=16)
    assert code == 1
    job = json.loads((tmp_path / "out" / "r" / "manifest.json").read_text())["jobs"][0]
    assert job["status"] == "failed"
    assert job["error"].startswith("01_antenatal_ifa_vs_mms.ipynb (cell ")
    assert "CalibrationError" in job["error"]
    assert (tmp_path / "out" / "r" / "BGD" / "broken" / "notebooks" / "01_antenatal_ifa_vs_mms.ipynb").exists()
    index = (tmp_path / "out" / "r" / "index.html").read_text()  # the index still lists the failed job
    assert '<tr class="failed">' in index and "CalibrationError" in index
    assert 'href="BGD/broken/notebooks/01_antenatal_ifa_vs_mms.ipynb"' in index
    assert not (tmp_path / "out" / "r" / "BGD" / "broken" / "brief.html").exists()


@pytest.mark.parametrize("args,message", [
    (["--countries", "../etc"], "bad country name: '../etc' is not a unit name"),
    (["--scenarios", "../base"], "bad scenario name: '../base' is not a scenario name"),
    (["--countries", "BGD", "--draws", "0"], "--draws must be between 1 and 100,000 (got 0)"),
    (["--countries", "BGD", "--scheduler", "127.0.0.1:8786"], "--scheduler must be an address"),
    (["--countries", "BGD", "--run-id", "a/b"], "--run-id may hold"),
])
def test_bad_arguments_exit_2_and_write_nothing(tmp_path, capsys, args, message):
    assert cli.main(["run", *args, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_killed_run_resumes_and_matches(local_run, tmp_path):
    """SIGKILL a run after its first job, resume it, and get the same numbers as a 2-worker run."""
    out = tmp_path / "out"
    cmd = [str(BIN / "cea"), "run", "--countries", UNITS, "--scenarios", "base", *FAST, "--workers", "1",
           "--out", str(out), "--run-id", "r1", "--no-pdf"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    first = out / "r1" / "BGD" / "base" / "manifest.json"
    deadline = time.time() + 240
    while not first.exists() and time.time() < deadline:
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert first.exists()
    for path in out.rglob("*"):  # nothing half-written under a final name
        if path.is_file() and path.suffix == ".json" and not path.name.startswith("."):
            json.loads(path.read_text())
    assert not (out / "r1" / "manifest.json").exists()
    done = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "resumed  BGD/base" in done.stdout and "ok       KEN/base" in done.stdout
    _, reference = local_run
    assert done.stderr.startswith("cea run: 2 unit(s) x 1 scenario(s)")  # the first line, before any work
    assert "IPKernelApp" not in done.stderr and "IPKernelApp" in "".join(  # kernels talk to the log only
        p.read_text() for p in (out / "r1" / "logs").glob("kernel-*.log"))
    for unit in ("BGD", "KEN"):  # 1 worker vs 2 workers, killed + resumed vs straight through
        assert differing(out / "r1" / unit / "base", reference / unit / "base") == ["brief.pdf"]  # --no-pdf here


def test_warm_kernel_jobs_are_byte_identical_to_fresh_kernels(local_run, tmp_path):
    """The fast path (one warm kernel per worker; with 1 worker, KEN's six notebooks run in the
    kernel BGD's left) against the reference path (a fresh kernel per notebook): every result
    file is the same (:func:`result_files`), PDFs and spreadsheets included."""
    out = tmp_path / "out"
    base = ["run", "--countries", UNITS, "--scenarios", "base", *FAST, "--out", str(out)]
    assert cli.main([*base, "--workers", "1", "--run-id", "warm"]) == 0
    assert cli.main([*base, "--workers", "2", "--run-id", "fresh", "--kernels", "fresh"]) == 0
    _, two_workers = local_run
    for unit in ("BGD", "KEN"):
        warm, fresh = out / "warm" / unit / "base", out / "fresh" / unit / "base"
        assert len(result_files(warm)) > 60
        assert differing(warm, fresh) == []
        assert differing(warm, two_workers / unit / "base") == []
    jobs = json.loads((out / "warm" / "manifest.json").read_text())["jobs"]
    assert jobs[0]["notebooks"][0]["kernel_start"] > 0  # BGD's first notebook started the kernel ...
    assert [n["kernel_start"] for n in jobs[1]["notebooks"]] == [0] * len(batch.NOTEBOOKS)  # ... KEN reused it
    assert json.loads((out / "fresh" / "manifest.json").read_text())["kernels"] == "fresh"


def test_manifest_says_where_the_time_went(local_run):
    _, run_dir = local_run
    job = json.loads((run_dir / "BGD" / "base" / "manifest.json").read_text())
    t = job["timing"]
    assert t["kernels"] == "warm" and list(t["notebooks"]) == list(batch.NOTEBOOKS)
    for name in ("load inputs", "psa", "one-way", "two-way", "thresholds", "sobol", "morris", "evppi", "evsi",
                 "figures", "write results", "scenario table"):
        assert t["analyses"][name] > 0, name
    assert set(t["brief"]) == {"brief html", "spreadsheet", "pdf"}
    parts = t["kernel_start"] + t["imports"] + sum(t["analyses"].values()) + sum(t["brief"].values())
    assert parts <= t["total"] + 0.1  # no time counted twice (nested spans would be)
    assert sum(t["notebooks"].values()) <= t["total"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True, env=env)]
    time.sleep(3)
    for _ in range(2):
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--local-directory", str(tmp_path / "dask")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True, env=env))
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=60)
    yield address, procs
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def test_dask_cluster_gives_the_local_numbers_and_survives_a_dead_worker(local_run, dask_cluster, tmp_path):
    address, procs = dask_cluster
    out = tmp_path / "out"
    cmd = [str(BIN / "cea"), "run", "--countries", UNITS, "--scenarios", "base", *FAST, "--scheduler", address,
           "--out", str(out), "--run-id", "r1", "--no-pdf"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # let both jobs start, then kill one worker process mid-job
    deadline = time.time() + 120
    while time.time() < deadline and not any((out / "r1" / u / "base" / "notebooks").exists()
                                             for u in ("BGD", "KEN")):
        time.sleep(0.5)
    time.sleep(3)
    os.killpg(procs[1].pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-2000:]
    manifest = json.loads((out / "r1" / "manifest.json").read_text())
    assert manifest["executor"] == f"dask {address}"
    assert all(j["status"] == "ok" for j in manifest["jobs"])
    _, reference = local_run
    for unit in ("BGD", "KEN"):
        assert differing(out / "r1" / unit / "base", reference / unit / "base") == ["brief.pdf"]  # --no-pdf here
