"""Process start-up: import time and first-use time, numba compilation included.

    python benchmarks/bench_startup.py            # markdown table
    python benchmarks/bench_startup.py --runs 5   # more runs per measurement

Numba compile time is user time, so this measures what a user waits for: the wall
time of a fresh ``python`` process, from spawn to exit, median of ``--runs`` (default
3) runs, after one discarded run of the same command (which warms the OS file cache;
for the warm-cache rows it is also the run that fills the numba cache).

Measurements
    python -c pass / import numpy / import numba / import minitorch / import torch;
    first use (benchmarks/_first_use.py): import + one training-sized forward/backward
        (784-128-10 MLP, batch 64, + SGD update), either alone ("MLP step") or followed
        by one call of every core op and a backward through them ("all core ops");
        for minitorch with a WARM numba cache (NUMBA_CACHE_DIR = a temp dir filled by
        the discarded run) and with a COLD one (NUMBA_CACHE_DIR = a fresh empty temp
        dir for every run), and for torch.

All runs use the machine's core count for every thread-pool variable (see _harness);
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are passed through as found.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

FIRST_USE = H.BENCH_DIR / "_first_use.py"
GOAL_WARM_S = 1.5
GOAL_COLD_S = 20.0


def _run(cmd, env, label):
    secs, proc = H.wall_time(cmd, env=env, cwd=H.REPO_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{label}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return secs, proc


def measure(label, cmd, runs, *, cache=None, goal=None):
    """Median wall time of ``cmd`` over ``runs`` fresh processes.

    cache: None (numba's default cache, i.e. whatever is already there), "warm" or
    "cold" (see the module docstring).
    """
    env = H.thread_env(os.cpu_count() or 1)
    tmp_dirs = []

    def cache_dir():
        d = tempfile.mkdtemp(prefix="minitorch-numba-cache-")
        tmp_dirs.append(d)
        return d

    try:
        if cache == "warm":
            env["NUMBA_CACHE_DIR"] = cache_dir()
        if cache == "cold":
            env["NUMBA_CACHE_DIR"] = cache_dir()
        _run(cmd, env, label)  # discarded: file cache / numba cache warm-up
        times, phases, failed = [], [], []
        for _ in range(runs):
            if cache == "cold":
                env["NUMBA_CACHE_DIR"] = cache_dir()
            secs, proc = _run(cmd, env, label)
            times.append(secs)
            if cmd[1] == str(FIRST_USE):
                out = json.loads(proc.stdout.strip().splitlines()[-1])
                phases.append((out["import_s"], out["mlp_s"], out["ops_s"]))
                failed = out["failed"]
    finally:
        for d in tmp_dirs:
            shutil.rmtree(d, ignore_errors=True)
    row = {"label": label, "median_s": statistics.median(times), "min_s": min(times),
           "max_s": max(times), "goal_s": goal, "failed": failed}
    if phases:
        row["phases_s"] = [statistics.median(p[i] for p in phases) for i in range(3)]
    return row


def run(runs: int = 3, with_torch: bool = True) -> tuple[str, list[dict]]:
    py = sys.executable
    fu = str(FIRST_USE)
    has_torch = (with_torch and os.environ.get("MINITORCH_BENCH_NO_TORCH") != "1"
                 and H._version("torch") != "not installed")
    plan = [
        ("python -c pass", [py, "-c", "pass"], {}),
        ("import numpy", [py, "-c", "import numpy"], {}),
        ("import numba", [py, "-c", "import numba"], {}),
        ("import minitorch", [py, "-c", "import minitorch"], {}),
        ("minitorch: import + MLP step, warm numba cache", [py, fu, "minitorch", "--mlp-only"],
         {"cache": "warm", "goal": GOAL_WARM_S}),
        ("minitorch: import + MLP step + all core ops, warm cache", [py, fu, "minitorch"],
         {"cache": "warm", "goal": GOAL_WARM_S}),
        ("minitorch: import + MLP step, COLD numba cache", [py, fu, "minitorch", "--mlp-only"],
         {"cache": "cold", "goal": GOAL_COLD_S}),
        ("minitorch: import + MLP step + all core ops, COLD cache", [py, fu, "minitorch"],
         {"cache": "cold", "goal": GOAL_COLD_S}),
    ]
    if has_torch:
        plan += [
            ("import torch", [py, "-c", "import torch"], {}),
            ("torch: import + MLP step", [py, fu, "torch", "--mlp-only"], {}),
            ("torch: import + MLP step + all core ops", [py, fu, "torch"], {}),
        ]
    with H.LoadMonitor() as load:
        rows = [measure(label, cmd, runs, **kw) for label, cmd, kw in plan]

    headers = ["process", "median s", "min–max s", "in-process import / MLP / ops s", "goal",
               "status"]
    table = []
    problems: dict[str, list[str]] = {}  # failure -> rows it happened in
    for r in rows:
        phases = " / ".join(f"{p:.2f}" for p in r["phases_s"]) if "phases_s" in r else ""
        goal = f"< {r['goal_s']:g} s" if r["goal_s"] else ""
        status = ""
        if r["goal_s"]:
            status = "met" if r["median_s"] < r["goal_s"] else "MISSED"
        if r["failed"]:
            status += f" (incomplete: {len(r['failed'])} op(s) FAILED)"
            for f in r["failed"]:
                problems.setdefault(f, []).append(r["label"])
        table.append([r["label"], f"{r['median_s']:.2f}", f"{r['min_s']:.2f}–{r['max_s']:.2f}",
                      phases, goal, status.strip()])
    parts = ["## Start-up\n",
             f"Wall time of a fresh process, median of {runs} runs (after one discarded run), "
             f"all thread pools at {os.cpu_count()} threads. "
             "In-process phases are measured inside the process (they exclude interpreter "
             "start-up). Warm cache: NUMBA_CACHE_DIR filled by the discarded run; "
             "COLD: a fresh empty NUMBA_CACHE_DIR for every run."
             + ("" if has_torch else " torch is not installed: its rows are skipped.") + "\n",
             H.load_note(load.background_cores) + "\n",
             H.markdown_table(headers, table, align="lrrrll") + "\n"]
    if problems:
        parts.append("### Problems found (first-use script)\n")
        parts += [f"- {f}  (in {len(labels)} row(s): {'; '.join(labels)})"
                  for f, labels in problems.items()]
        parts.append("")
    return "\n".join(parts), rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per measurement (default 3)")
    ap.add_argument("--no-torch", action="store_true", help="skip the torch rows")
    ap.add_argument("--json", help="also write the raw results to this file")
    args = ap.parse_args(argv)
    report, rows = run(args.runs, with_torch=not args.no_torch)
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
