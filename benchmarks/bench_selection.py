"""Sorting, selection, scans and scatter: minitorch vs torch vs a NumPy floor, one call each.

    python benchmarks/bench_selection.py                 # 1 thread, markdown table
    python benchmarks/bench_selection.py --threads 1,2   # more thread configurations
    python benchmarks/bench_selection.py --json out.json # also save the raw numbers

minitorch replays PyTorch's CPU algorithms for sort(stable=False), topk and kthvalue
(libstdc++'s introsort / partial_sort / nth_element and ATen's quickselect, in numba) so
that ties come out in PyTorch's order; NumPy's column does the same job with its own
algorithms (np.sort, np.argpartition, ...), without that promise. Before timing, each
case's minitorch result is compared with torch's (indices included). Times are medians over
timed loops (see ``_harness``), libraries interleaved round-robin.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402


def _data(np):
    rng = np.random.default_rng(0)
    return {"vec": rng.standard_normal(1_000_000).astype(np.float32),
            "rows": rng.standard_normal((256, 1000)).astype(np.float32),
            "logits": rng.standard_normal((64, 1000)).astype(np.float32),
            "ints": rng.integers(0, 1000, 1_000_000),
            "q": rng.standard_normal((8, 4, 128, 32)).astype(np.float32),
            "index": rng.integers(0, 1000, 4096)}


def _cases(lib, d, np):
    """name -> (call of lib (minitorch or torch), NumPy floor)."""
    t = {k: lib.from_numpy(v.copy()) for k, v in d.items()}
    return {
        "sort(1M float32)": (lambda: t["vec"].sort(), lambda: np.sort(d["vec"])),
        "sort(256x1000, dim=1, stable)": (lambda: t["rows"].sort(dim=1, stable=True),
                                          lambda: np.argsort(d["rows"], 1, kind="stable")),
        "topk(64x1000, k=5)": (lambda: t["logits"].topk(5, 1),
                               lambda: np.argpartition(-d["logits"], 5, 1)[:, :5]),
        "kthvalue(256x1000, 500)": (lambda: t["rows"].kthvalue(500, 1),
                                    lambda: np.partition(d["rows"], 499, 1)[:, 499]),
        "cumsum(1M float32)": (lambda: t["vec"].cumsum(0), lambda: np.cumsum(d["vec"].astype(np.float64))),
        "unique(1M int64, counts)": (lambda: lib.unique(t["ints"], return_counts=True),
                                     lambda: np.unique(d["ints"], return_counts=True)),
        "bincount(1M int64)": (lambda: lib.bincount(t["ints"]), lambda: np.bincount(d["ints"])),
        "index_select(256x1000, 1, 4096 idx)": (lambda: t["rows"].index_select(1, t["index"]),
                                                lambda: d["rows"][:, d["index"]]),
        "scatter_add-like index_add(1000, 4096)": (
            lambda: lib.zeros(1000).index_add(0, t["index"], t["vec"][:4096]),
            lambda: np.bincount(d["index"], d["vec"][:4096], minlength=1000)),
        "einsum bhqd,bhkd->bhqk (8x4x128x32)": (lambda: lib.einsum("bhqd,bhkd->bhqk", t["q"], t["q"]),
                                                lambda: d["q"] @ d["q"].swapaxes(-1, -2)),
    }


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    data = _data(np)
    mine = _cases(minitorch, data, np)
    theirs = _cases(torch, data, np) if torch is not None else {}

    def differs(name, mt_call, torch_call):
        a, b = mt_call(), torch_call()
        a, b = (tuple(a) if isinstance(a, tuple) else (a,)), (tuple(b) if isinstance(b, tuple) else (b,))
        if any(not np.allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-4) for x, y in zip(a, b)):
            return f"{name}: minitorch's result differs from torch's"
        return None

    with H.LoadMonitor() as load:
        rows, problems = H.time_cases(mine, theirs, repeats, differs)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


table = H.cases_table


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## Sorting, selection, scans, scatter\n",
             f"Median time of one call over {repeats} timed loops (after warm-up; libraries "
             "interleaved round-robin); ratios > 1 mean minitorch is slower. minitorch returns torch's "
             "values and indices (ties included); NumPy's floor does the same job its own way.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
