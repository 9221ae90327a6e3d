"""Batch runs: one papermill job per (unit, scenario), on local processes or a Dask cluster.

A job executes the workbook's notebooks in order (``NOTEBOOKS``), each with its ``parameters``
cell overridden, into ``<run>/<unit>/<scenario>/notebooks/``; the notebooks write their result
files and figures into ``<run>/<unit>/<scenario>/``. Every file lands under a temporary name and is
renamed, so a killed run leaves no half-written file under a final name.

* **Kernels**: each worker keeps one warm kernel (:mod:`model.kernels`) that runs the notebooks
  of its jobs in turn, reset between notebooks, its imports paid once; ``--kernels fresh`` starts
  a new kernel per notebook instead (the reference path: the results are byte-identical). A
  kernel's own output goes to ``<run>/logs/``, not the terminal.
* **Local** (default): a bounded pool of processes (``--workers``, default the number of cores).
  Kernel start-up failures, the known papermill race under concurrency, are retried
  (``KERNEL_START_ERRORS``: "Kernel didn't respond in 60 seconds",
  ZMQError "Address already in use", DeadKernelError / "Kernel died before replying").
* **Dask**: ``--scheduler tcp://host:port`` submits the same job function to an existing
  ``dask scheduler`` + ``dask worker`` cluster; a job whose worker dies is re-run elsewhere
  (``retries``); results are identical to a local run (same seed, same code).
* **Manifest**: ``<run>/manifest.json`` lists per job its inputs hash (the parameter files it reads,
  the notebooks, every file of the ``model`` package, draws, seed, Sobol N), start, end, where the
  job's time went (``timing``: kernel start, imports, each analysis, figures, brief, PDF; see
  :func:`_timing`), status, error summary (with the failing cell) and output files;
  ``summary.csv`` gathers headline figures. Each job also keeps its own ``manifest.json``.
* ``--resume`` skips a job whose own manifest says ``ok`` with the same inputs hash and whose files
  all exist, and re-runs the rest.
* **One run per folder**: ``<run>/.lock`` is held (``flock``) for the whole run and records the
  run's PID, host and start. A second run into the same folder is refused (:class:`RunFolderLocked`)
  with the holder's PID; a lock left by a killed run is detected (the kernel released its ``flock``
  and its PID is gone or was reused) and taken over with a message. Temporary file names carry
  the process id and a random part, so concurrent processes never share one.
* **Progress**: a ``tqdm`` bar on stderr when it is a terminal; plain lines otherwise (CI logs,
  files), never carriage returns.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from model import __version__, kernels, timing
from model import parameters as P
from model.io import write_frame, write_json
from model.runlock import RunFolderLocked, hold

__all__ = ["Job", "JobResult", "Progress", "RunFolderLocked", "execute_job", "inputs_hash", "plan", "run"]

PACKAGE_DIR = Path(__file__).resolve().parent
NOTEBOOK_DIR = PACKAGE_DIR.parent / "notebooks"
NOTEBOOKS = ("01_antenatal_ifa_vs_mms.ipynb", "02_infant_inpatient_vs_mami.ipynb", "03_continuum.ipynb",
             "04_uncertainty.ipynb", "05_budget_impact.ipynb", "06_research_value.ipynb")
KERNEL_START_ERRORS = ("Kernel didn't respond", "Address already in use", "DeadKernelError",
                       "Kernel died before replying")
KERNEL_RETRIES = 3
PACKAGES = ("numpy", "scipy", "pandas", "SALib", "papermill", "pydantic")


@dataclass(frozen=True)
class Job:
    """One (unit, scenario) of a run."""

    unit: str
    scenario: str
    draws: int
    seed: int
    folder: str
    inputs_hash: str
    root: str
    sobol_n: int = 256
    notebooks: tuple[str, ...] = NOTEBOOKS
    pdf: bool = True
    kernels: str = "warm"  # "warm": one kernel per worker for every notebook; "fresh": one per notebook

    @property
    def run_dir(self) -> Path:
        return Path(self.folder).parent.parent


@dataclass
class JobResult:
    """What a job reports back (and writes to its own manifest)."""

    unit: str
    scenario: str
    status: str
    inputs_hash: str
    seed: int
    draws: int
    start: str = ""
    end: str = ""
    seconds: float = 0.0
    notebooks: list[dict] = field(default_factory=list)
    error: str | None = None
    files: list[str] = field(default_factory=list)
    headline: dict = field(default_factory=dict)
    quality: dict = field(default_factory=dict)
    brief: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)
    resumed: bool = False


def versions() -> dict[str, str]:
    """Python, this package and its main dependencies."""
    out = {"python": platform.python_version(), "model": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def _files_for(unit: str, scenario: str, root: Path) -> list[Path]:
    """Every file under the parameter root a job of ``unit`` may read: all of it (notebook 04 loads
    every scenario; study designs and tables count) except other units' country files and
    templates (names starting with ``_``)."""
    chain = {unit, unit.split("-")[0]}
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if any(part.startswith("_") for part in rel.parts):
            continue
        if rel.parts[0] == "countries" and len(rel.parts) == 2 and path.stem not in chain:
            continue
        files.append(path)
    return files


def package_files() -> list[Path]:
    """Every file of the ``model`` package (code and brief templates), compiled caches aside."""
    return sorted(p for p in PACKAGE_DIR.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))


def package_digest() -> str:
    """SHA-256 over the package's files (relative names and bytes): a change to ``model/*.py`` or a
    template changes every job's inputs hash, so ``--resume`` re-runs the jobs."""
    h = hashlib.sha256()
    for path in package_files():
        h.update(str(path.relative_to(PACKAGE_DIR)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def inputs_hash(unit: str, scenario: str, draws: int, seed: int, root: Path,
                notebooks: Sequence[str] = NOTEBOOKS, sobol_n: int = 256, package: str | None = None) -> str:
    """SHA-256 over everything a job's results depend on: the parameter files it may read, the
    notebooks, the package's files (``package``: a :func:`package_digest`, computed if not given),
    the package version and the run options."""
    h = hashlib.sha256()
    for path in [*_files_for(unit, scenario, root), *(NOTEBOOK_DIR / n for n in notebooks)]:
        h.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode())
        h.update(path.read_bytes())
    h.update((package or package_digest()).encode())
    h.update(json.dumps({"version": __version__, "draws": draws, "seed": seed, "sobol_n": sobol_n}).encode())
    return h.hexdigest()


def plan(units: Sequence[str], scenarios: Sequence[str], draws: int, seed: int, run_dir: Path,
         root: Path, sobol_n: int = 256, pdf: bool = True, kernels: str = "warm") -> list[Job]:
    """One job per (unit, scenario); names are checked against their patterns first."""
    problems = [P.Problem("--countries", u, "bad unit code") for u in units if not P.UNIT_CODE.match(u)]
    problems += [P.Problem("--scenarios", s, "bad scenario name") for s in scenarios
                 if not P.SCENARIO_NAME.match(s)]
    if problems:
        raise P.ParameterError(problems)
    package = package_digest()
    return [Job(u, s, draws, seed, str(run_dir / u / s),
                inputs_hash(u, s, draws, seed, root, sobol_n=sobol_n, package=package),
                str(root), sobol_n, pdf=pdf, kernels=kernels) for u in units for s in scenarios]


def _notebook_parameters(name: str, job: Job) -> dict:
    common = {"country": job.unit, "scenario": job.scenario, "output_dir": job.folder,
              "parameters_root": job.root}
    if name.startswith("04"):
        return {**common, "draws": job.draws, "seed": job.seed, "model": "continuum", "sobol_n": job.sobol_n,
                "morris_trajectories": 20}
    if name.startswith("05"):
        return {**common, "strategy": "recommended"}  # the brief's strategy (notebook 03's PSA)
    return {**common, "draws": job.draws, "seed": job.seed}


def _is_kernel_start_error(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(marker in text for marker in KERNEL_START_ERRORS)


def _execute_notebook(name: str, job: Job, timings: Path) -> dict:
    """Run one notebook of ``job`` into ``<job>/notebooks/``, in this thread's warm kernel or a
    fresh one (``job.kernels``); retried when the kernel fails to start or dies."""
    from papermill.exceptions import PapermillExecutionError

    folder = Path(job.folder) / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    tmp = folder / f".tmp-{os.getpid()}-{secrets.token_hex(4)}-{name}"  # unique: never shared by two runs
    params = _notebook_parameters(name, job)
    logs = job.run_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, KERNEL_RETRIES + 1):
        t0 = time.perf_counter()
        warm = None
        try:
            if job.kernels == "warm":
                log = logs / f"kernel-{platform.node()}-{os.getpid()}-{threading.get_ident()}.log"
                warm = kernels.for_this_thread(log)
                started = warm.prepare(job.folder, timings)
            else:
                started = None
            nb = kernels.execute_notebook(NOTEBOOK_DIR / name, tmp, params, job.folder, warm=warm,
                                          kernel_log=logs / f"{job.unit}-{job.scenario}-kernels.log",
                                          env={timing.ENV: str(timings)})
            os.replace(tmp, final)
            return {"notebook": name, "status": "ok", "attempts": attempt,
                    **_notebook_timing(nb, time.perf_counter() - t0, started, timing.read_spans(timings))}
        except PapermillExecutionError as exc:
            if tmp.exists():
                os.replace(tmp, final)  # keep the executed notebook: it shows the failing cell
            return {"notebook": name, "status": "failed", "attempts": attempt,
                    "error": f"{exc.ename}: {exc.evalue}", "cell_index": exc.cell_index,
                    "execution_count": exc.exec_count}
        except Exception as exc:  # noqa: BLE001 - retried only when the kernel failed to start or died
            tmp.unlink(missing_ok=True)
            if warm is not None:
                warm.shutdown()  # a warm kernel in doubt is replaced, never reused
            if attempt < KERNEL_RETRIES and _is_kernel_start_error(exc):
                time.sleep(1.0 * attempt)
                continue
            return {"notebook": name, "status": "failed", "attempts": attempt,
                    "error": f"{type(exc).__name__}: {exc}"}
    raise AssertionError("unreachable")


def _notebook_timing(nb, seconds: float, kernel_start: float | None, spans: list[tuple[str, float, float]]) -> dict:
    """A notebook's times in seconds: papermill's duration; the wall time the job saw; the kernel
    start (``kernel_start``: for a warm kernel, its start and warm-up imports when this notebook
    needed a new kernel, else 0; None for a fresh kernel, whose start is then the wall time not
    spent in cells); and the imports, the set-up cell's time (the first after ``parameters``)
    outside the spans the model code timed in it (~0 in a warm kernel)."""
    cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    meta = [c.metadata.get("papermill", {}) for c in cells]
    durations = [float(m.get("duration") or 0.0) for m in meta]
    setup = next((i + 1 for i, c in enumerate(cells) if "injected-parameters" in c.metadata.get("tags", [])), None)
    imports = None
    if setup is not None and setup < len(cells) and meta[setup].get("start_time") and meta[setup].get("end_time"):
        lo, hi = (datetime.fromisoformat(meta[setup][k].replace("Z", "+00:00")).timestamp()
                  for k in ("start_time", "end_time"))
        inside = sum(sec for _, sec, end in spans if lo <= end <= hi + 1e-3)
        imports = round(max(durations[setup] - inside, 0.0), 3)
    return {"duration": (nb.metadata.get("papermill") or {}).get("duration"), "seconds": round(seconds, 3),
            "kernel_start": round(max(seconds - sum(durations), 0.0) if kernel_start is None else kernel_start, 3),
            "imports": imports}


def _headline(folder: Path) -> dict:
    """Headline figures from a job's result files (read, not recomputed), in the briefs' words:
    per decision its status, verdict, cost per DALY averted (blank unless more costly and more
    effective) and probability cost-effective; the recommended strategy and its budget; cautions."""
    from model.brief import data as brief_data

    try:
        return brief_data.load(folder).summary_row()
    except (brief_data.BriefDataError, OSError, KeyError, ValueError):
        return {}


def execute_job(job: Job) -> JobResult:
    """Run every notebook of one job; never raises (failures are reported in the result)."""
    t0 = time.perf_counter()
    res = JobResult(job.unit, job.scenario, "ok", job.inputs_hash, job.seed, job.draws,
                    start=datetime.now(UTC).isoformat(timespec="seconds"))
    folder = Path(job.folder)
    timings = folder / ".timings.jsonl"  # the kernels' spans (model.timing); read into the manifest
    brief_spans: dict[str, float] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        timings.unlink(missing_ok=True)
        ps = P.load(job.unit, job.scenario, job.root)
        res.quality = ps.quality()
        write_frame(folder / "parameters.csv", ps.table())
        write_json(folder / "context.json", context(ps, job))
        for name in job.notebooks:
            entry = _execute_notebook(name, job, timings)
            res.notebooks.append(entry)
            if entry["status"] != "ok":
                res.status = "failed"
                where = f" (cell {entry['cell_index']})" if entry.get("cell_index") is not None else ""
                res.error = f"{name}{where}: {entry['error']}"
                break
        if res.status == "ok" and tuple(job.notebooks) == NOTEBOOKS:
            from model.brief import build_brief

            timing.recorded(clear=True)
            res.brief = build_brief(folder, pdf=job.pdf)
            brief_spans = timing.recorded(clear=True)
    except Exception as exc:  # noqa: BLE001 - one failing job must not stop the batch
        res.status = "failed"
        res.error = f"{type(exc).__name__}: {exc}"
        res.notebooks.append({"traceback": traceback.format_exc(limit=3)})
    res.end = datetime.now(UTC).isoformat(timespec="seconds")
    res.seconds = round(time.perf_counter() - t0, 2)
    res.timing = _timing(job, res, timing.read(timings), brief_spans)
    timings.unlink(missing_ok=True)
    res.files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                       if p.is_file() and not p.name.startswith(".") and p.name != "manifest.json")
    res.headline = _headline(folder)
    write_json(folder / "manifest.json", asdict(res))
    return res


def _timing(job: Job, res: JobResult, spans: dict[str, float], brief: dict[str, float]) -> dict:
    """Where the job's time went, in seconds: kernel starts, imports (see :func:`_notebook_timing`),
    each step the model code timed (``spans``, summed over notebooks: loading inputs, PSA,
    one-way, two-way, thresholds, Sobol, Morris, EVPPI, EVSI, figures, writing results), the
    brief's parts (HTML, spreadsheet, PDF), and what is left (notebook code outside the spans:
    tables and displays; papermill reading and writing notebooks; the job's inputs table)."""
    books = [n for n in res.notebooks if "seconds" in n]
    kernel_start = sum(n["kernel_start"] for n in books)
    imports = sum(n["imports"] or 0.0 for n in books)
    known = kernel_start + imports + sum(spans.values()) + sum(brief.values())
    return {"kernels": job.kernels, "total": res.seconds,
            "notebooks": {n["notebook"]: n["seconds"] for n in books},
            "kernel_start": round(kernel_start, 3), "imports": round(imports, 3),
            "analyses": dict(sorted(spans.items(), key=lambda kv: -kv[1])),
            "brief": brief, "other": round(max(res.seconds - known, 0.0), 3)}


def context(ps: P.ParameterSet, job: Job) -> dict:
    """What a brief needs to know about a job besides its result files (no paths, no clock), with
    the authors' declarations from ``parameters/report.yaml``."""
    from model.brief import cheers
    from model.cea import decision_threshold

    value = lambda k: ps[k].value if k in ps else None  # noqa: E731 - the models report what is missing
    label, lam = decision_threshold(ps) if "gdp_per_capita" in ps else (None, None)
    return {"unit": job.unit, "unit_name": ps.unit_name, "scenario": job.scenario,
            "scenario_description": ps.scenario_description, "settings": ps.settings.model_dump(mode="json"),
            "decision_threshold": {"label": label, "value": lam},
            "discount_rate_costs": value("discount_rate_costs"),
            "discount_rate_effects": value("discount_rate_effects"),
            "draws": job.draws, "seed": job.seed, "sobol_n": job.sobol_n, "version": __version__,
            "declarations": cheers.declarations(job.root)}


def _already_done(job: Job) -> JobResult | None:
    path = Path(job.folder) / "manifest.json"
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if old.get("status") != "ok" or old.get("inputs_hash") != job.inputs_hash:
        return None
    if not all((Path(job.folder) / f).exists() for f in old.get("files", [])):
        return None
    return JobResult(**{**old, "resumed": True})


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """One line per finished job on stdout, and the batch's progress on ``stream`` (stderr): a
    ``tqdm`` bar when the stream is a terminal, else a plain line per job (no carriage returns, so
    CI logs and files stay readable)."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.failed, self.t0 = total, 0, 0, time.perf_counter()
        self.stream = stream or sys.stderr
        self.bar = None
        if _is_terminal(self.stream):
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=self.stream, unit="job", dynamic_ncols=True, leave=True)

    def update(self, res: JobResult) -> None:
        self.done += 1
        self.failed += res.status != "ok"
        elapsed = time.perf_counter() - self.t0
        left = elapsed / self.done * (self.total - self.done)
        tag = "resumed" if res.resumed else res.status
        detail = f" - {res.error}" if res.error else ""
        line = f"{tag:8} {res.unit}/{res.scenario} ({res.seconds:.0f} s){detail}"
        if self.bar is not None:
            self.bar.write(line, file=sys.stdout)
            self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(1)
            if self.done == self.total:
                self.close()
            return
        print(line, flush=True)
        print(f"progress: {self.done}/{self.total} done, {self.failed} failed, ~{left / 60:.1f} min left",
              file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _run_local(jobs: Sequence[Job], workers: int, on_done: Callable[[JobResult], None]) -> list[JobResult]:
    results = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(execute_job, job): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker process fails its job only
                res = JobResult(job.unit, job.scenario, "failed", job.inputs_hash, job.seed, job.draws,
                                error=f"worker process failed: {type(exc).__name__}: {exc}")
            results.append(res)
            on_done(res)
    return results


def _run_dask(jobs: Sequence[Job], scheduler: str, on_done: Callable[[JobResult], None]) -> list[JobResult]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    results = []
    with Client(scheduler, timeout="30s") as client:
        futures = client.map(execute_job, list(jobs), pure=False, retries=2,
                             key=[f"job-{j.unit}-{j.scenario}-{j.inputs_hash[:12]}" for j in jobs])
        by_key = {f.key: job for f, job in zip(futures, jobs, strict=True)}
        for fut in dask_completed(futures):
            job = by_key[fut.key]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. every retry's worker died
                res = JobResult(job.unit, job.scenario, "failed", job.inputs_hash, job.seed, job.draws,
                                error=f"dask: {type(exc).__name__}: {exc}")
            results.append(res)
            on_done(res)
    return results


def _write_index(run_dir: Path, manifest: dict) -> None:
    """The run's index.html and results.xlsx; a failure here is reported, never fatal to the run."""
    from model.brief import build_index

    info = {k: manifest[k] for k in ("run", "seed", "draws", "executor")} | {"version": __version__}
    try:
        build_index(run_dir, manifest["jobs"], info)
    except Exception as exc:  # noqa: BLE001 - the jobs' results stand without the index
        print(f"index not written: {type(exc).__name__}: {exc}", file=sys.stderr)


def run(units: Sequence[str], scenarios: Sequence[str], draws: int, seed: int, out: Path,
        root: str | Path | None = None, workers: int | None = None, scheduler: str | None = None,
        resume: bool = False, run_id: str | None = None, sobol_n: int = 256, pdf: bool = True,
        kernels: str = "warm") -> int:
    """Plan, execute and record a batch, then write the run's index and spreadsheet; return 0
    (all ok) or 1 (some failed). The caller validates the inputs first (``cea run`` does, with
    :func:`model.validation.check`). Raises :class:`RunFolderLocked` when another run holds the
    run folder (nothing is written then)."""
    root = Path(root).resolve() if root else P.DEFAULT_ROOT
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = (Path(out) / run_id).resolve()
    jobs = plan(units, scenarios, draws, seed, run_dir, root, sobol_n, pdf=pdf, kernels=kernels)
    with hold(run_dir, "cea run", on_stale=lambda msg: print(f"note: {msg}", file=sys.stderr)):
        previous = run_dir / "manifest.json"
        if previous.exists() and not resume:
            print(f"note: {run_dir} already holds a run; its jobs are run again and its manifest replaced "
                  "(--resume keeps finished jobs)", file=sys.stderr)
        return _run_locked(jobs, run_id, run_dir, draws, seed, sobol_n, workers, scheduler, resume)


def _run_locked(jobs: list[Job], run_id: str, run_dir: Path, draws: int, seed: int, sobol_n: int,
                workers: int | None, scheduler: str | None, resume: bool) -> int:
    todo, results = [], []
    progress = Progress(len(jobs))
    for job in jobs:
        done = _already_done(job) if resume else None
        if done:
            results.append(done)
            progress.update(done)
        else:
            todo.append(job)
    t0 = time.perf_counter()
    try:
        if todo:
            if scheduler:
                results += _run_dask(todo, scheduler, progress.update)
            else:
                results += _run_local(todo, workers or os.cpu_count() or 1, progress.update)
    finally:
        progress.close()
    order = {(j.unit, j.scenario): i for i, j in enumerate(jobs)}
    results.sort(key=lambda r: order[(r.unit, r.scenario)])
    manifest = {
        "run": run_id, "versions": versions(), "argv": sys.argv, "seed": seed, "draws": draws,
        "sobol_n": sobol_n, "executor": f"dask {scheduler}" if scheduler else f"local x{workers or os.cpu_count()}",
        "kernels": jobs[0].kernels if jobs else None,
        "seconds": round(time.perf_counter() - t0, 1), "jobs": [asdict(r) for r in results],
    }
    write_json(run_dir / "manifest.json", manifest)
    summary = pd.DataFrame([{"unit": r.unit, "scenario": r.scenario, "status": r.status,
                             **r.quality, **r.headline, "error": r.error or ""} for r in results])
    write_frame(run_dir / "summary.csv", summary)
    failed = [r for r in results if r.status != "ok"]
    _write_index(run_dir, manifest)
    no_pdf = sorted({r.brief["pdf"] for r in results if r.brief and not r.brief.get("pdf", "").endswith(".pdf")})
    for reason in no_pdf:
        print(f"briefs: {reason}", file=sys.stderr)
    print(f"{len(results) - len(failed)} job(s) ok, {len(failed)} failed; results in {run_dir}")
    print(f"index: {run_dir / 'index.html'}")
    return 1 if failed else 0
