"""Runs that cannot clobber each other: the run-folder lock, unique temp names, an inputs hash that
covers the package's code, and progress output that suits its reader."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model import batch, runlock
from model import parameters as P
from model.io import temp_beside


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path):
    run = tmp_path / "r1"
    code = ("import sys, time\nfrom model.runlock import hold\nwith hold(sys.argv[1], 'cea run'):\n"
            "    print('held', flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(runlock.RunFolderLocked, match=rf"is in use by PID {holder.pid} on .*running 'cea run'"):
            with runlock.hold(run):
                pass
    finally:
        holder.kill()
        holder.wait()
    taken = []
    with runlock.hold(run, on_stale=taken.append) as lock:  # killed: the kernel freed its flock
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert taken and f"stale lock of PID {holder.pid}" in taken[0]
    assert not (run / runlock.LOCK_NAME).exists()  # released at the end


def test_a_lock_naming_a_live_process_is_refused_even_without_flock(tmp_path):
    """On a file system where flock does nothing, the PID (and its start time) still guard the folder."""
    run = tmp_path / "r1"
    run.mkdir()
    me = {"pid": os.getpid(), "host": runlock.socket.gethostname(), "process_start": runlock._start_time(os.getpid()),
          "command": "cea run", "since": "now"}
    (run / runlock.LOCK_NAME).write_text(json.dumps(me))
    with pytest.raises(runlock.RunFolderLocked, match="its lock is not flock-held"):
        with runlock.hold(run):
            pass


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("case", ["dead PID", "PID reused by another process", "another host", "empty file"])
def test_stale_locks_are_taken_over(tmp_path, case):
    """A killed run leaves its lock file; its flock is gone, and so is its process (or the PID now
    belongs to a process started later)."""
    host = runlock.socket.gethostname()
    content = {
        "dead PID": {"pid": _dead_pid(), "host": host, "command": "cea run", "since": "then"},
        "PID reused by another process": {"pid": os.getpid(), "host": host, "process_start": "1", "since": "then"},
        "another host": {"pid": os.getpid(), "host": f"not-{host}", "since": "then"},
        "empty file": None,
    }[case]
    run = tmp_path / "r1"
    run.mkdir()
    (run / runlock.LOCK_NAME).write_text(json.dumps(content) if content else "")
    notes = []
    with runlock.hold(run, on_stale=notes.append) as lock:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    if content:
        assert len(notes) == 1 and f"took over a stale lock of PID {content['pid']}" in notes[0]
    else:  # a lock file left empty (killed between creating and writing it) names no one
        assert notes == []


def test_temp_names_are_unique_and_readable(tmp_path):
    names = {temp_beside(tmp_path / "brief.pdf", ".pdf") for _ in range(50)}
    assert len(names) == 50 and all(p.name.startswith(".brief.pdf.") for p in names)
    assert all(p.stat().st_mode & 0o044 for p in names)  # not mkstemp's private 0600


def _package_copy(tmp_path, monkeypatch) -> Path:
    pkg = tmp_path / "model"
    shutil.copytree(batch.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(batch, "PACKAGE_DIR", pkg)
    return pkg


def test_inputs_hash_changes_with_the_package_code(tmp_path, monkeypatch):
    """--resume once reused results after a change to model/*.py: the hash covered parameters,
    notebooks and the version only."""
    pkg = _package_copy(tmp_path, monkeypatch)
    args = ("BGD", "base", 10, 1, P.DEFAULT_ROOT)
    before = batch.inputs_hash(*args)
    assert batch.inputs_hash(*args) == before
    (pkg / "antenatal.py").write_text((pkg / "antenatal.py").read_text() + "\n# a change\n")
    changed_code = batch.inputs_hash(*args)
    assert changed_code != before
    (pkg / "brief" / "templates" / "brief.css").write_text("body {}\n")
    assert batch.inputs_hash(*args) not in (before, changed_code)


def test_inputs_hash_covers_every_parameter_file_a_job_reads(project_tree):
    h = lambda unit="BGD": batch.inputs_hash(unit, "base", 10, 1, project_tree)  # noqa: E731
    before, ken = h(), h("KEN")
    scenario = project_tree / "scenarios" / "societal.yaml"  # not this job's scenario; notebook 04 reads it
    scenario.write_text(scenario.read_text() + "\n# changed\n")
    assert h() != before
    before = h()
    other = project_tree / "countries" / "NGA.yaml"  # another unit's file: not read by a BGD job
    other.write_text(other.read_text() + "\n# changed\n")
    template = project_tree / "countries" / "_template.yaml"
    template.write_text(template.read_text() + "\n# changed\n")
    assert h() == before and h("KEN") != ken
    parent = project_tree / "countries" / "IND.yaml"
    mh = h("IND-MH")
    parent.write_text(parent.read_text() + "\n# changed\n")
    assert h("IND-MH") != mh


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _result(unit: str, status: str = "ok") -> batch.JobResult:
    return batch.JobResult(unit, "base", status, "h", 1, 10, seconds=3.0, error=None if status == "ok" else "boom")


def test_progress_in_a_log_is_plain_lines(capsys):
    stream = io.StringIO()
    progress = batch.Progress(2, stream=stream)
    progress.update(_result("BGD"))
    progress.update(_result("KEN", "failed"))
    text = stream.getvalue()
    assert "\r" not in text
    assert text.splitlines()[0].startswith("progress: 1/2 done, 0 failed, ~")
    assert text.splitlines()[1].startswith("progress: 2/2 done, 1 failed, ~0.0 min left")
    assert capsys.readouterr().out.splitlines() == ["ok       BGD/base (3 s)", "failed   KEN/base (3 s) - boom"]


def test_progress_on_a_terminal_is_a_tqdm_bar(capsys):
    stream = _Terminal()
    progress = batch.Progress(2, stream=stream)
    progress.update(_result("BGD"))
    progress.update(_result("KEN"))
    assert "\r" in stream.getvalue() and "2/2" in stream.getvalue()
    assert "ok       KEN/base (3 s)" in capsys.readouterr().out
