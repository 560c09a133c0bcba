"""Shared helpers of the benchmarks: timing, thread-configured subprocesses, tables.

The benchmarks in this folder compare minitorch with PyTorch (when it is installed)
and with a hand-written NumPy "floor" doing the same work, side by side in one
process, so that all three see the same machine state.  Nothing here imports
minitorch or torch: the benchmark scripts do, after the thread settings are in the
environment.

Timing model (``time_call``)
    1. warm-up: the callable runs a few times and for at least ``warmup_s`` seconds
       (caches, lazy imports, numba compilation, allocator pools all settle);
    2. calibration: ``number`` (calls per timed loop) is chosen so that one timed
       loop lasts at least ``min_loop_s``; this keeps ``perf_counter``'s
       resolution and the loop's own overhead negligible for microsecond ops;
    3. ``repeats`` timed loops; each gives one per-call time (loop time / number).
       ``time_side_by_side`` interleaves the libraries round-robin (loop 1 of
       minitorch, of torch, of NumPy, then loop 2 of each, ...), so a burst of
       load from another process hits all columns alike instead of one.
    The result is the median of those per-call times and their interquartile range
    (IQR = 75th - 25th percentile), in microseconds.  Medians, not means: the
    machine is shared (test runs may be going on) and a disturbed loop is an
    outlier we want to ignore, not average in.  The garbage collector stays
    enabled (it is part of what a user pays), but ``gc.collect()`` runs before
    each timed loop so that no loop inherits another's garbage.

Background load (``LoadMonitor``)
    The machine may be shared with processes we cannot see (other containers).  The
    monitor compares the machine's busy CPU time (/proc/stat) with our own (this
    process and its children) over a run; the difference, in cores, is printed
    beside the tables.  With 2 cores, a background load near 1 core makes every
    2-thread number unreliable: a thread pool's barrier waits for a thread that has
    no core to run on (a 300 µs matmul was seen taking 20 ms).

Thread configurations (``run_worker``)
    Thread pools are sized when a library is imported, so each configuration runs in
    a fresh ``python`` subprocess whose environment has OMP_NUM_THREADS,
    OPENBLAS_NUM_THREADS, MKL_NUM_THREADS and NUMBA_NUM_THREADS set before any
    import; the worker also calls ``torch.set_num_threads(n)``.  Any other
    variable (e.g. OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) is passed through unchanged.
"""
from __future__ import annotations

import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent

# The repository root goes first on sys.path so that `import minitorch` finds this
# checkout even when the package is not installed.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
# Variables the machine may set to steer OpenBLAS; they are reported and left alone.
PASSTHROUGH_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# ----- timing -------------------------------------------------------------------------

@dataclass
class Stats:
    """Per-call time of one benchmarked callable, in microseconds."""

    median_us: float
    q1_us: float
    q3_us: float
    number: int   # calls per timed loop
    repeats: int  # timed loops

    @property
    def iqr_us(self) -> float:
        return self.q3_us - self.q1_us


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """(25th percentile, median, 75th percentile) of at least one value."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def _calibrate(fn: Callable[[], object], warmup_s: float, min_loop_s: float,
               max_number: int) -> int:
    """Warm ``fn`` up (>= 3 calls and >= warmup_s); return calls per timed loop."""
    start = time.perf_counter()
    calls = 0
    while calls < 3 or time.perf_counter() - start < warmup_s:
        fn()
        calls += 1
    # estimate the per-call time from 3 calls after the warm-up (first calls are slow)
    t0 = time.perf_counter()
    for _ in range(3):
        fn()
    per_call = (time.perf_counter() - t0) / 3
    return max(1, min(max_number, int(min_loop_s / max(per_call, 1e-9)) + 1))


def _timed_loop(fn: Callable[[], object], number: int) -> float:
    """Per-call µs of one loop of ``number`` calls (after a gc.collect())."""
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number * 1e6


def _stats(samples: list[float], number: int) -> Stats:
    q1, med, q3 = _quartiles(samples)
    return Stats(med, q1, q3, number, len(samples))


def time_call(fn: Callable[[], object], *, repeats: int = 7, warmup_s: float = 0.05,
              min_loop_s: float = 0.02, max_number: int = 100_000) -> Stats:
    """Median and IQR of the per-call time of ``fn()`` (see the module docstring)."""
    number = _calibrate(fn, warmup_s, min_loop_s, max_number)
    return _stats([_timed_loop(fn, number) for _ in range(repeats)], number)


def time_side_by_side(fns: dict[str, Callable[[], object]], *, repeats: int = 7,
                      warmup_s: float = 0.05, min_loop_s: float = 0.02,
                      max_number: int = 100_000) -> dict[str, Stats | Exception]:
    """``time_call`` for several callables, their timed loops interleaved round-robin.

    A callable that raises gets the exception instead of Stats (the others go on).
    """
    numbers: dict[str, int] = {}
    out: dict[str, Stats | Exception] = {}
    for name, fn in fns.items():
        try:
            numbers[name] = _calibrate(fn, warmup_s, min_loop_s, max_number)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            out[name] = exc
    samples: dict[str, list[float]] = {name: [] for name in numbers}
    for _ in range(repeats):
        for name in list(samples):
            try:
                samples[name].append(_timed_loop(fns[name], numbers[name]))
            except Exception as exc:  # noqa: BLE001
                out[name] = exc
                del samples[name]
    for name, values in samples.items():
        out[name] = _stats(values, numbers[name])
    return {name: out[name] for name in fns if name in out}


def wall_time(cmd: Sequence[str], *, env: dict | None = None, cwd: Path | str | None = None,
              timeout: float = 300) -> tuple[float, subprocess.CompletedProcess]:
    """Wall-clock seconds of one subprocess run, and its result (stdout/stderr captured)."""
    t0 = time.perf_counter()
    proc = subprocess.run(list(cmd), env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    return time.perf_counter() - t0, proc


# ----- background load ------------------------------------------------------------------

def _machine_busy_s() -> float | None:
    """Seconds of CPU time all processes of the machine have used since boot."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(fields[:8]) - fields[3] - fields[4]  # all minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    """CPU seconds of this process (all threads) and of its finished children."""
    import resource
    self_ = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return self_.ru_utime + self_.ru_stime + kids.ru_utime + kids.ru_stime


class LoadMonitor:
    """Average CPU load of *other* processes (in cores) over a ``with`` block.

    ``background_cores`` is None where /proc/stat is unavailable.
    """

    def __enter__(self):
        self._t, self._busy, self._own = time.perf_counter(), _machine_busy_s(), _own_cpu_s()
        self.background_cores = None
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self._t
        busy = _machine_busy_s()
        if busy is not None and self._busy is not None and wall > 0:
            other = (busy - self._busy) - (_own_cpu_s() - self._own)
            self.background_cores = max(0.0, other / wall)
        return False


WAITED_S = 0.0  # total time wait_for_quiet has waited in this process


def wait_for_quiet(max_wait_s: float, threshold: float = 0.25, sample_s: float = 1.0) -> float | None:
    """Wait (up to ``max_wait_s``) until the background load over ``sample_s`` is below
    ``threshold`` cores; return the last sample (None without /proc/stat or if max_wait_s <= 0)."""
    global WAITED_S
    start = time.perf_counter()
    deadline = start + max_wait_s
    last = None
    while time.perf_counter() < deadline:
        with LoadMonitor() as mon:
            time.sleep(sample_s)
        last = mon.background_cores
        if last is None or last < threshold:
            break
    WAITED_S += time.perf_counter() - start
    return last


def load_note(background_cores: float | None, threads: int | None = None) -> str:
    """One sentence about the background load, with a warning when it matters."""
    if background_cores is None:
        return "Background load: unknown (no /proc/stat)."
    cores = os.cpu_count() or 1
    note = f"Background load from other processes during this run: {background_cores:.2f} of {cores} cores."
    if threads is not None and background_cores + threads > cores + 0.25:
        note += (f" **Warning:** {threads} threads + this load exceed the {cores} cores: "
                 "multi-threaded numbers are unreliable (threads wait for a core).")
    return note


# ----- thread-configured subprocesses -------------------------------------------------

def thread_env(threads: int, base: dict | None = None) -> dict:
    """A copy of the environment with every thread-pool variable set to ``threads``.

    PYTHONPATH gets the repository root, so the subprocess imports this checkout.
    Everything else (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, ...) is left as it is.
    """
    env = dict(os.environ if base is None else base)
    for var in THREAD_VARS:
        env[var] = str(threads)
    paths = [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def setup_worker_threads(threads: int):
    """In a worker: check the environment, size torch's pool; return torch or None.

    Call this before importing minitorch.  Torch is skipped (None) when it is not
    installed or when the environment sets MINITORCH_BENCH_NO_TORCH=1.
    """
    for var in THREAD_VARS:
        if os.environ.get(var) != str(threads):
            raise RuntimeError(f"{var}={os.environ.get(var)!r}, expected {threads}: "
                               "run workers through run_worker()")
    if os.environ.get("MINITORCH_BENCH_NO_TORCH") == "1":
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def run_worker(script: Path | str, threads: int, args: Iterable[str] = (),
               timeout: float = 600) -> dict:
    """Run ``python script --worker THREADS *args`` in a fresh process; return its JSON.

    The worker prints exactly one JSON document on its last stdout line.
    """
    cmd = [sys.executable, str(script), "--worker", str(threads), *args]
    proc = subprocess.run(cmd, env=thread_env(threads), cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    return json.loads(lines[-1])


def stats_dict(stats: Stats | None) -> dict | None:
    return None if stats is None else asdict(stats)


# ----- tables ---------------------------------------------------------------------------

def fmt_us(value: float | None) -> str:
    """A time in µs with 3 significant figures (or '—' when missing)."""
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def short_error(exc: BaseException) -> str:
    """An exception in one line: its type, message and the innermost frame it came from."""
    tb = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {exc} (at {Path(tb.filename).name}:{tb.lineno} in {tb.name})"


def fmt_ratio(num: float | None, den: float | None) -> str:
    if num is None or den is None or den == 0:
        return "—"
    return f"{num / den:.2f}x"


def library_table(first_header: str, unit: str, rows: Iterable[dict], fmt: Callable[[float], str]) -> str:
    """The side-by-side table: a row per dict, its 'name' and a value per library (minitorch,
    torch, numpy; None or missing prints '—') through fmt, then minitorch/torch and
    minitorch/numpy."""
    libs = ("minitorch", "torch", "numpy")
    headers = [first_header] + [f"{lib} {unit}" for lib in libs] + ["minitorch/torch", "minitorch/numpy"]
    body = [[r["name"]] + ["—" if r.get(lib) is None else fmt(r[lib]) for lib in libs]
            + [fmt_ratio(r.get("minitorch"), r.get("torch")), fmt_ratio(r.get("minitorch"), r.get("numpy"))]
            for r in rows]
    return markdown_table(headers, body)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]],
                   align: str | None = None) -> str:
    """A GitHub-markdown table; ``align`` is one of 'l'/'r' per column (default: first
    column left, the rest right)."""
    rows = [[str(c) for c in r] for r in rows]
    headers = [str(h) for h in headers]
    if align is None:
        align = "l" + "r" * (len(headers) - 1)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        out = []
        for c, w, a in zip(cells, widths, align):
            out.append(c.ljust(w) if a == "l" else c.rjust(w))
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else (":" + "-" * (w + 1))
                         for w, a in zip(widths, align)) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


# ----- machine info ---------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(module: str) -> str:
    """A package's version, read in a subprocess so this process imports nothing."""
    code = f"import {module}; print({module}.__version__)"
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120, env=thread_env(1))
    except subprocess.TimeoutExpired:
        return "?"
    return proc.stdout.strip() if proc.returncode == 0 else "not installed"


def machine_info() -> dict:
    """CPU, cores, versions, date and the OpenBLAS variables as found."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "torch": _version("torch"),
        **{var: os.environ.get(var, "(not set)") for var in PASSTHROUGH_VARS},
    }


def machine_info_markdown(info: dict | None = None) -> str:
    info = machine_info() if info is None else info
    rows = [(k, v) for k, v in info.items()]
    return markdown_table(("machine", ""), rows, align="ll")


# ----- the scaffolding the per-area scripts share ----------------------------------------
def median_us(row: dict, lib: str) -> float | None:
    """lib's median µs in a worker's result row (None when lib did not run)."""
    stats = row.get(lib)
    return None if stats is None else stats["median_us"]


def time_cases(mine: dict, theirs: dict, repeats: int, differs: Callable) -> tuple[list, list]:
    """(rows, problems) for cases {name: (minitorch call, NumPy floor call)}, each timed side by
    side with torch's call of the same name (theirs, possibly empty); before timing,
    differs(name, minitorch call, torch call) returns a problem line when the results disagree."""
    rows, problems = [], []
    for name, (mt_call, np_call) in mine.items():
        row = {"case": name}
        fns = {"minitorch": mt_call, "numpy": np_call}
        if name in theirs:
            fns["torch"] = theirs[name][0]
            problem = differs(name, mt_call, theirs[name][0])
            if problem:
                problems.append(problem)
        for lib_name, res in time_side_by_side(fns, repeats=repeats).items():
            if isinstance(res, Exception):
                problems.append(f"{lib_name}: {name}: {short_error(res)}")
            else:
                row[lib_name] = stats_dict(res)
        rows.append(row)
    return rows, problems


def as_numpy(result):
    """A library's result (a tensor, detached, or anything NumPy takes) as a NumPy array."""
    if hasattr(result, "detach"):
        result = result.detach()
    if hasattr(result, "numpy"):
        return result.numpy()
    import numpy as np
    return np.asarray(result)


def time_checked_case(name: str, ref, numpy_call: Callable[[], object], builders: dict, repeats: int,
                      rtol: float = 1e-3, atol: float = 1e-3) -> tuple[dict, list]:
    """(row, problems) of one case: each library's call, made by builders[library](), is checked
    against ref (NumPy's result) before timing, then timed side by side with numpy_call. A
    library that fails to build, run or agree is reported, never worked around."""
    import numpy as np
    row, problems = {"name": name}, []
    fns = {"numpy": numpy_call}
    for lib_name, build in builders.items():
        try:
            fn = build()
            got = as_numpy(fn())
            if not np.allclose(got, ref, rtol=rtol, atol=atol):
                problems.append(f"{lib_name}: {name}: result differs from NumPy's "
                                f"(max abs diff {np.max(np.abs(got - ref)):.3g})")
            fns[lib_name] = fn
        except Exception as exc:  # report, do not work around
            row[lib_name + "_error"] = short_error(exc)
            problems.append(f"{lib_name}: {name}: {short_error(exc)}")
    for lib_name, res in time_side_by_side(fns, repeats=repeats).items():
        if isinstance(res, Exception):
            row[lib_name + "_error"] = short_error(res)
            problems.append(f"{lib_name}: {name} (timed loop): {short_error(res)}")
        else:
            row[lib_name] = stats_dict(res)
    return row, problems


def cases_table(result: dict) -> str:
    """The markdown table of a time_cases result: µs per call and the ratios."""
    headers = ["case", "minitorch µs", "torch µs", "numpy µs", "minitorch/torch", "minitorch/numpy"]
    rows = []
    for r in result["rows"]:
        mt, tc, npv = median_us(r, "minitorch"), median_us(r, "torch"), median_us(r, "numpy")
        rows.append([r["case"], fmt_us(mt), fmt_us(tc) if result["torch"] else "(skipped)",
                     fmt_us(npv), fmt_ratio(mt, tc), fmt_ratio(mt, npv)])
    return markdown_table(headers, rows)


def report_by_threads(script: Path | str, thread_counts: Sequence[int], repeats: int,
                      wait_quiet_s: float, header: str, table: Callable[[dict], str],
                      extra_args: Sequence[str] = (), timeout: float = 600) -> tuple[str, list[dict]]:
    """Run ``script``'s worker once per thread count (fresh processes, ``--repeats`` and
    extra_args), then the markdown: header, one section per thread count (load note +
    table(result), or why it was not measured when the result says "skipped"), problems last."""
    results = []
    for n in thread_counts:
        wait_for_quiet(wait_quiet_s)
        results.append(run_worker(script, n, ["--repeats", str(repeats), *extra_args], timeout=timeout))
    parts = [header]
    for res in results:
        parts.append(f"### {res['threads']} thread{'s' if res['threads'] > 1 else ''}\n")
        if "skipped" in res:
            parts.append(f"Not measured: {res['skipped']}\n")
            continue
        parts.append(load_note(res["background_cores"], res["threads"]) + "\n")
        parts.append(table(res) + "\n")
    problems = [f"[{res['threads']} thr] {p}" for res in results for p in res.get("problems", ())]
    if problems:
        parts.append("### Problems found\n")
        parts.extend(f"- {p}" for p in problems)
        parts.append("")
    return "\n".join(parts), results


def thread_cli(doc: str, worker: Callable[[int, int], dict],
               run: Callable[[tuple, int, float], tuple[str, object]], argv=None, repeats: int = 7) -> None:
    """The command line of a per-thread benchmark: --threads, --repeats (default repeats),
    --json, --wait-quiet, and the hidden --worker N that run_worker starts."""
    import argparse
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1", help="comma-separated thread counts (default 1)")
    ap.add_argument("--repeats", type=int, default=repeats, help=f"timed loops per case (default {repeats})")
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="S",
                    help="wait up to S seconds for other processes to go quiet first (default 0)")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats)))
        return
    report, results = run(tuple(int(t) for t in args.threads.split(",")), args.repeats, args.wait_quiet)
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
