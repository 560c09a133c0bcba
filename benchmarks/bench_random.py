"""Random numbers: minitorch vs torch vs NumPy's Generator, same sizes, one call each.

    python benchmarks/bench_random.py                 # 1 thread, markdown table
    python benchmarks/bench_random.py --threads 1,2   # more thread configurations
    python benchmarks/bench_random.py --json out.json # also save the raw numbers

minitorch and torch draw the same numbers (PyTorch's MT19937 and its conversions); before
timing, each case is seeded alike in both and the results compared bit for bit. NumPy's
column is ``np.random.default_rng`` (PCG64, ziggurat normals): a different generator
doing the same job, shown as the floor a fast vectorised generator reaches. Times are
medians over timed loops (see ``_harness``), libraries interleaved round-robin.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

N = 1_000_000
PERM = 100_000


def _cases(lib, np_rng, np):
    """name -> (minitorch-or-torch call, NumPy call) for one library module."""
    return {
        f"randn({N:,}) float32": (lambda: lib.randn(N),
                                  lambda: np_rng.standard_normal(N, dtype=np.float32)),
        f"randn({N:,}) float64": (lambda: lib.randn(N, dtype=lib.float64),
                                  lambda: np_rng.standard_normal(N)),
        f"rand({N:,}) float32": (lambda: lib.rand(N), lambda: np_rng.random(N, dtype=np.float32)),
        f"randint(0, 1000, ({N:,},))": (lambda: lib.randint(0, 1000, (N,)),
                                        lambda: np_rng.integers(0, 1000, N)),
        f"randperm({PERM:,})": (lambda: lib.randperm(PERM), lambda: np_rng.permutation(PERM)),
        "randn(7) x 100 (scalar path)": (lambda: [lib.randn(7) for _ in range(100)],
                                          lambda: [np_rng.standard_normal(7) for _ in range(100)]),
    }


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    np_rng = np.random.default_rng(0)
    mine = _cases(minitorch, np_rng, np)
    theirs = _cases(torch, np_rng, np) if torch is not None else {}

    def differs(name, mt_call, torch_call):
        minitorch.manual_seed(0)
        torch.manual_seed(0)
        a, b = mt_call(), torch_call()
        a, b = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
        if any(x.numpy().tobytes() != y.numpy().tobytes() for x, y in zip(a, b)):
            return f"{name}: minitorch's draws differ from torch's"
        return None

    with H.LoadMonitor() as load:
        rows, problems = H.time_cases(mine, theirs, repeats, differs)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


table = H.cases_table


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## Random numbers\n",
             f"Median time of one call over {repeats} timed loops (after warm-up; libraries "
             "interleaved round-robin); ratios > 1 mean minitorch is slower. minitorch and torch "
             "return identical bits; NumPy is a different generator (PCG64, ziggurat).\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
