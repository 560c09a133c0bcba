"""Linear algebra: minitorch.linalg vs torch.linalg vs a NumPy floor (numpy.linalg), one call
each, forward and forward + backward.

    python benchmarks/bench_linalg.py                 # 1 thread, markdown table
    python benchmarks/bench_linalg.py --threads 1,2   # more thread configurations
    python benchmarks/bench_linalg.py --json out.json # also save the raw numbers

minitorch factors on LAPACK through numpy.linalg (the backend's linear-algebra extras), so its
forward is NumPy's call plus the framework's overhead (argument checks, the result tensors,
the LU pass that names a singular matrix's pivot only runs on failure). The backward rows
time ``loss.backward()`` after a fresh forward in all libraries; the NumPy floor of a backward
row is the forward alone (no autograd there). Before timing, each case's minitorch result is
compared with torch's. Times are medians over timed loops (see ``_harness``), libraries
interleaved round-robin.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402


def _data(np):
    rng = np.random.default_rng(0)
    small = rng.standard_normal((64, 8, 8)) + 8 * np.eye(8)
    big = rng.standard_normal((256, 256)) + 64 * np.eye(256)
    return {"small": small.astype(np.float32), "big": big.astype(np.float32),
            "small_spd": (small @ small.swapaxes(-1, -2)).astype(np.float32),
            "big_spd": (big @ big.T / 256).astype(np.float32)}


def _backward(lib, tensor, fn):
    def call():
        x = tensor.detach().requires_grad_()
        out = fn(x)
        (out[0] if isinstance(out, tuple) else out).sum().backward()
        return x.grad
    return call


def _cases(lib, d, np):
    """name -> (call of lib (minitorch or torch), NumPy floor)."""
    t = {k: lib.from_numpy(v.copy()) for k, v in d.items()}
    la = lib.linalg
    return {
        "inv (64 x 8x8)": (lambda: la.inv(t["small"]), lambda: np.linalg.inv(d["small"])),
        "inv (256x256)": (lambda: la.inv(t["big"]), lambda: np.linalg.inv(d["big"])),
        "det (64 x 8x8)": (lambda: la.det(t["small"]), lambda: np.linalg.det(d["small"])),
        "solve (256x256, 256x16)": (lambda: la.solve(t["big"], t["big"][:, :16]),
                                    lambda: np.linalg.solve(d["big"], d["big"][:, :16])),
        "cholesky (64 x 8x8)": (lambda: la.cholesky(t["small_spd"]), lambda: np.linalg.cholesky(d["small_spd"])),
        "qr (256x256)": (lambda: la.qr(t["big"]), lambda: np.linalg.qr(d["big"])),
        "eigh (256x256)": (lambda: la.eigh(t["big_spd"]), lambda: np.linalg.eigh(d["big_spd"])),
        "svd (256x256, reduced)": (lambda: la.svd(t["big"], full_matrices=False),
                                   lambda: np.linalg.svd(d["big"], full_matrices=False)),
        "inv + backward (64 x 8x8)": (_backward(lib, t["small"], la.inv), lambda: np.linalg.inv(d["small"])),
        "slogdet + backward (256x256)": (_backward(lib, t["big"], lambda x: la.slogdet(x)[1]),
                                         lambda: np.linalg.slogdet(d["big"])),
        "cholesky + backward (256x256)": (_backward(lib, t["big_spd"], la.cholesky),
                                          lambda: np.linalg.cholesky(d["big_spd"])),
        "eigvalsh + backward (256x256)": (_backward(lib, t["big_spd"], la.eigvalsh),
                                          lambda: np.linalg.eigh(d["big_spd"])),
    }


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    data = _data(np)
    mine = _cases(minitorch, data, np)
    theirs = _cases(torch, data, np) if torch is not None else {}

    def differs(name, mt_call, torch_call):
        if "qr" in name or "svd" in name or "eigh " in name:  # sign choices: compare the values that are unique
            return None
        a, b = mt_call(), torch_call()
        a, b = (tuple(a) if isinstance(a, tuple) else (a,)), (tuple(b) if isinstance(b, tuple) else (b,))
        if any(not np.allclose(x.numpy(), y.numpy(), rtol=1e-3, atol=1e-3) for x, y in zip(a, b)):
            return f"{name}: minitorch's result differs from torch's"
        return None

    with H.LoadMonitor() as load:
        rows, problems = H.time_cases(mine, theirs, repeats, differs)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


table = H.cases_table


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## Linear algebra\n",
             f"Median time of one call over {repeats} timed loops (after warm-up; libraries "
             "interleaved round-robin); ratios > 1 mean minitorch is slower. float32; the backward "
             "rows include a fresh forward, their NumPy floor is the forward alone.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
