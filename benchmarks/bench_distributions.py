"""The samplers of torch.distributions: minitorch vs torch vs NumPy's Generator.

    python benchmarks/bench_distributions.py                 # 1 thread, markdown table
    python benchmarks/bench_distributions.py --json out.json # also save the raw numbers

minitorch and torch draw the same numbers (torch's Marsaglia-Tsang Gamma, Poisson, BTRS
binomial and Dirichlet samplers on its MT19937); before timing, each case is seeded alike
in both and the results compared bit for bit. NumPy's column is ``np.random.default_rng``:
a different generator and algorithms doing the same job, the floor of a compiled sampler.
Times are medians over timed loops (see ``_harness``), libraries interleaved round-robin.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

N = 100_000


def _cases(lib, np_rng, np):
    """name -> (minitorch-or-torch call, NumPy call) for one library module."""
    half = lib.full((N,), 0.5, dtype=lib.float64)
    four = lib.full((N,), 4.0, dtype=lib.float64)
    rate = lib.full((N,), 30.0, dtype=lib.float64)
    count = lib.full((N,), 50.0, dtype=lib.float64)
    prob = lib.full((N,), 0.3, dtype=lib.float64)
    conc = lib.full((N // 4, 4), 1.5, dtype=lib.float64)
    return {
        f"_standard_gamma({N:,}) alpha 0.5": (lambda: lib._standard_gamma(half),
                                               lambda: np_rng.standard_gamma(0.5, N)),
        f"_standard_gamma({N:,}) alpha 4": (lambda: lib._standard_gamma(four),
                                             lambda: np_rng.standard_gamma(4.0, N)),
        f"poisson({N:,}) rate 30": (lambda: lib.poisson(rate), lambda: np_rng.poisson(30.0, N)),
        f"binomial({N:,}) 50 x 0.3": (lambda: lib.binomial(count, prob), lambda: np_rng.binomial(50, 0.3, N)),
        f"_sample_dirichlet({N // 4:,} x 4)": (lambda: lib._sample_dirichlet(conc),
                                               lambda: np_rng.dirichlet([1.5] * 4, N // 4)),
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
        if mt_call().numpy().tobytes() != torch_call().numpy().tobytes():
            return f"{name}: minitorch's draws differ from torch's"
        return None

    with H.LoadMonitor() as load:
        rows, problems = H.time_cases(mine, theirs, repeats, differs)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


table = H.cases_table


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## Distribution samplers\n",
             f"Median time of one call over {repeats} timed loops (after warm-up; libraries "
             "interleaved round-robin); ratios > 1 mean minitorch is slower. minitorch and torch "
             "return identical bits; NumPy is a different generator and algorithms.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
