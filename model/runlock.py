"""One process at a time in a run folder: ``<run>/.lock``.

The lock file holds an exclusive ``flock`` for as long as its holder runs, and records the
holder's PID, host, process start time and the time it took the lock. A second ``cea run`` (or
``cea brief``) into the folder is refused with :class:`RunFolderLocked`, which names the holder.

A lock left behind by a killed run is *stale*: the kernel dropped the dead process's ``flock``, and
its PID is gone or now belongs to another process (the recorded start time differs). Such a lock
is taken over and :func:`hold` reports the dead holder. A lock whose ``flock`` is free but whose
PID is alive with the same start time on this host (a file system without ``flock``) still
refuses.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".lock"


class RunFolderLocked(RuntimeError):
    """Another live process holds the run folder."""


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), or ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_is_live(info: dict) -> bool:
    """Whether the process a lock file names is still the one that wrote it (same host only)."""
    try:
        pid = int(info.get("pid"))
    except (TypeError, ValueError):
        return False
    if info.get("host") != socket.gethostname() or pid <= 0 or not _alive(pid):
        return False
    recorded, now = info.get("process_start"), _start_time(pid)
    return recorded is None or now is None or recorded == now


def _describe(info: dict) -> str:
    return (f"PID {info.get('pid', '?')} on {info.get('host', '?')}, running {info.get('command', '?')!r} "
            f"since {info.get('since', '?')}")


@contextmanager
def hold(run_dir: str | Path, command: str = "cea run", on_stale=None) -> Iterator[Path]:
    """Hold ``run_dir``'s lock for the ``with`` block (the folder is created if missing).

    Raises :class:`RunFolderLocked` when a live process holds it; calls ``on_stale(message)`` when
    it takes over a stale lock. The lock file is removed when the block ends."""
    run_dir = Path(run_dir)
    path = run_dir / LOCK_NAME
    while True:
        if not run_dir.exists():
            run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _read(fd)
            os.close(fd)
            raise RunFolderLocked(f"run folder {run_dir} is in use by {_describe(info)}; wait for it to "
                                  "finish or choose another --run-id") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder removed the file as we opened it: start again on the new one
            os.close(fd)
            continue
        break
    old = _read(fd)
    if old and holder_is_live(old):
        os.close(fd)
        raise RunFolderLocked(f"run folder {run_dir} is in use by {_describe(old)} (its lock is not "
                              "flock-held: a file system without flock?); wait for it or remove "
                              f"{path} if no run is active")
    if old and on_stale:
        on_stale(f"run folder {run_dir}: took over a stale lock of {_describe(old)}, which is no longer running")
    me = {"pid": os.getpid(), "host": socket.gethostname(), "process_start": _start_time(os.getpid()),
          "command": command, "since": datetime.now(UTC).isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
    os.fsync(fd)
    try:
        yield path
    finally:
        try:
            path.unlink(missing_ok=True)  # while still holding the flock: no one else owns this file
        finally:
            os.close(fd)


def _read(fd: int) -> dict:
    try:
        data = os.pread(fd, 65536, 0)
        info = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (OSError, ValueError):
        return {"pid": "?", "note": "unreadable lock file"}
    return info if isinstance(info, dict) else {}
