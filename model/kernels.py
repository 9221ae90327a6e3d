"""Warm kernels: one Jupyter kernel per worker that runs notebook after notebook, job after job.

A fresh kernel per notebook costs a start (about 1 s) and the imports (about 2.5 s: the model,
pandas, scipy, matplotlib) before any model work. :class:`WarmKernel` starts one kernel, imports
the workbook's modules once, and gives papermill that kernel for each notebook. Between two
notebooks it puts the kernel back into the state a fresh kernel starts in, as far as a notebook
can see it:

* the user namespace and the input/output history are cleared and the execution counter is 1
  again (``InteractiveShell.reset(new_session=True)``), so the executed notebook is numbered as
  in a fresh kernel;
* open matplotlib figures are closed and matplotlib's, pandas' and numpy's options are restored
  to what they were after the warm-up imports;
* the warnings filters are restored and their "already shown" registries invalidated, so a
  warning shows in every notebook that raises it, as it would in a fresh kernel;
* the working directory and ``CEA_TIMINGS`` are set for the job.

Modules stay imported: that is the point. Their state must therefore not change a result: the
model's caches are keyed by file path, modification time and size (``model.parameters``) or are
pure functions of their arguments (``functools.lru_cache``), and every random draw comes from a
seeded generator. ``tests/test_batch.py`` checks a job run this way against one run notebook by
notebook in fresh kernels, file by file and byte by byte.

The kernel's own stdout and stderr (start-up warnings, a crash's last words) go to a log file,
not the terminal. A kernel that dies is replaced at the next notebook.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from pathlib import Path

# Imported once when a warm kernel starts: what the notebooks import, so no notebook pays for it.
WARM_IMPORTS = ("import numpy, pandas, scipy.stats, matplotlib\n"
                "import model.analysis, model.antenatal, model.budget, model.continuum, model.infant, "
                "model.plots, model.report, model.research, model.tables, model.published, "
                "model.replication, model.uncertainty, model.io, model.timing\n"
                "import IPython.display\n")

# Run (silently, outside the history) when the kernel starts, after the imports: a snapshot of the
# options a notebook may change. Names start with "__cea" and leave the namespace with the reset.
_SNAPSHOT = """
import warnings as _w, matplotlib as _mpl, numpy as _np, pandas as _pd, sys as _sys
_sys.modules["__cea_state__"] = type(_sys)("__cea_state__")
_s = _sys.modules["__cea_state__"]
_s.filters = list(_w.filters)
_s.rc = _mpl.rcParams.copy()
_s.np = _np.get_printoptions()
_s.pd_width = _pd.get_option("display.width")
_s.pd_cols = _pd.get_option("display.max_columns")
_s.pd_rows = _pd.get_option("display.max_rows")
"""

# Run before each notebook; {cwd} and {timings} are Python literals (repr of a str, or None).
_RESET = """
def __cea_reset():
    import os, sys, warnings
    import matplotlib, matplotlib.pyplot, numpy, pandas
    s = sys.modules["__cea_state__"]
    matplotlib.pyplot.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.clear()
        matplotlib.rcParams.update(s.rc)
        pandas.reset_option("all")
    pandas.set_option("display.width", s.pd_width)
    pandas.set_option("display.max_columns", s.pd_cols)
    pandas.set_option("display.max_rows", s.pd_rows)
    numpy.set_printoptions(**s.np)
    warnings.filters[:] = s.filters
    warnings._filters_mutated()
    os.chdir({cwd})
    if {timings} is None:
        os.environ.pop("CEA_TIMINGS", None)
    else:
        os.environ["CEA_TIMINGS"] = {timings}
    get_ipython().reset(new_session=True)
__cea_reset()
"""


class KernelError(RuntimeError):
    """The warm kernel could not be started or reset."""


class WarmKernel:
    """One kernel, kept alive across notebooks; ``log`` receives the kernel process's output."""

    def __init__(self, kernel_name: str = "python3", log: str | Path | None = None, startup_timeout: int = 60):
        self.kernel_name, self.startup_timeout = kernel_name, startup_timeout
        self.log = Path(log) if log else None
        self.km = None
        self.kc = None
        self._log_fh = None
        self.notebooks_run = 0

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def start(self, cwd: str | Path) -> None:
        """Start the kernel in ``cwd``, import the workbook's modules and snapshot the options."""
        from jupyter_client.manager import KernelManager

        self.shutdown()
        if self.log:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self._log_fh = open(self.log, "ab")  # noqa: SIM115 - kept open for the kernel's lifetime
        self.km = KernelManager(kernel_name=self.kernel_name)
        out = self._log_fh if self._log_fh else None
        self.km.start_kernel(cwd=str(cwd), stdout=out, stderr=out)
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=self.startup_timeout)
        except RuntimeError as exc:
            self.shutdown()
            raise KernelError(f"Kernel didn't respond in {self.startup_timeout} seconds: {exc}") from exc
        self._run(WARM_IMPORTS + _SNAPSHOT, "warm-up imports")

    def prepare(self, cwd: str | Path, timings: str | Path | None) -> float:
        """Make the kernel ready for the next notebook: start it if needed, then reset it. Returns
        the seconds spent starting it (0 when it was already running)."""
        started = 0.0
        if not self.alive():
            t0 = time.perf_counter()
            self.start(cwd)
            started = time.perf_counter() - t0
        self._run(_RESET.format(cwd=repr(str(cwd)), timings=repr(str(timings) if timings else None)), "reset")
        self.notebooks_run += 1
        return started

    def _run(self, code: str, what: str) -> None:
        reply = self.kc.execute_interactive(code, silent=True, store_history=False, timeout=self.startup_timeout,
                                            output_hook=lambda msg: None)
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise KernelError(f"warm kernel {what} failed: {content.get('ename')}: {content.get('evalue')}")

    def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None:
            try:
                if self.km.is_alive():
                    self.km.shutdown_kernel(now=True)
            finally:
                self.km.cleanup_resources()
                self.km = None
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None


_LOCAL = threading.local()


def for_this_thread(log: str | Path | None = None) -> WarmKernel:
    """This thread's warm kernel (a process pool worker has one thread; a Dask worker may run
    several jobs at once, one per thread, each with its own kernel). Shut down at exit."""
    kernel = getattr(_LOCAL, "kernel", None)
    if kernel is None:
        kernel = _LOCAL.kernel = WarmKernel(log=log)
        _ALL.append(kernel)
    elif log is not None and kernel.log != Path(log):
        kernel.shutdown()  # a new run (a Dask worker outlives runs): a new kernel, logging there
        kernel.log = Path(log)
    return kernel


_ALL: list[WarmKernel] = []


def shutdown_all() -> None:
    """Stop every warm kernel of this process."""
    for kernel in _ALL:
        kernel.shutdown()
    _ALL.clear()


atexit.register(shutdown_all)


def execute_notebook(source: str | Path, target: str | Path, parameters: dict, cwd: str | Path,
                     warm: WarmKernel | None = None, kernel_log: str | Path | None = None,
                     env: dict[str, str] | None = None):
    """Execute ``source`` into ``target`` with papermill (its ``parameters`` cell overridden) in
    ``warm`` (prepared by the caller with :meth:`WarmKernel.prepare`) or, when ``warm`` is None,
    in a fresh kernel started in ``cwd`` with ``env`` added to this process's environment, and
    shut down afterwards. Either way the kernel's own output goes to ``kernel_log`` (or the warm
    kernel's log), never to the terminal. The executed notebook is written once, at the end (or
    at the failing cell), not after every cell. Returns the executed notebook; raises what
    :func:`papermill.execute_notebook` raises."""
    import papermill as pm

    _register_engine()
    if warm is not None:
        return pm.execute_notebook(str(source), str(target), parameters=parameters, kernel_name=warm.kernel_name,
                                   progress_bar=False, cwd=str(cwd), log_output=False, engine_name=ENGINE,
                                   request_save_on_cell_execute=False,
                                   km=warm.km, kc=warm.kc)
    log = open(kernel_log, "ab") if kernel_log else None  # noqa: SIM115 - closed below
    try:
        return pm.execute_notebook(str(source), str(target), parameters=parameters, kernel_name="python3",
                                   progress_bar=False, cwd=str(cwd), log_output=False, engine_name=ENGINE,
                                   request_save_on_cell_execute=False,
                                   kernel_output=log, kernel_env={**os.environ, **(env or {})})
    finally:
        if log:
            log.close()


ENGINE = "cea"


def _register_engine() -> None:
    """Register papermill's ``cea`` engine: nbclient's, plus a kernel that is already running
    (``km`` and ``kc``: kept alive afterwards) or a fresh one whose output goes to a file."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    if ENGINE in papermill_engines._engines:
        return

    class Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, km=None,
                                     kc=None, kernel_output=None, kernel_env=None, **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log_output=log_output, stdout_file=stdout_file,
                                 stderr_file=stderr_file)
            import logging

            client = PapermillNotebookClient(nb_man, km=km, log=logging.getLogger("papermill"), **final)
            if km is not None:
                client.kc = kc  # the warm kernel's client: nbclient neither starts nor stops it
                return client.execute()
            return client.execute(stdout=kernel_output, stderr=kernel_output, env=kernel_env)

    papermill_engines.register(ENGINE, Engine)
