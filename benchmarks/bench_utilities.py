"""Utilities of issue 18 (im2col/col2im, cdist, searchsorted, scans, products, shuffles):
minitorch vs torch vs a NumPy floor, one call each.

    python benchmarks/bench_utilities.py                 # 1 thread, markdown table
    python benchmarks/bench_utilities.py --threads 1,2   # more thread configurations
    python benchmarks/bench_utilities.py --json out.json # also save the raw numbers

Most of these ops are compositions of minitorch's existing ops (slices, cat, mm, reshapes),
so the table shows what composing costs against PyTorch's dedicated kernels. Before timing,
each case's minitorch result is compared with torch's. Times are medians over timed loops
(see ``_harness``), libraries interleaved round-robin.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402


def _data(np):
    rng = np.random.default_rng(0)
    return {"img": rng.standard_normal((8, 16, 32, 32)).astype(np.float32),
            "cols": rng.standard_normal((8, 144, 1024)).astype(np.float32),
            "pts": rng.standard_normal((512, 64)).astype(np.float32),
            "pts2": rng.standard_normal((512, 64)).astype(np.float32),
            "seq": np.sort(rng.standard_normal(1000)).astype(np.float32),
            "vec": rng.standard_normal(1_000_000).astype(np.float32),
            "rows": rng.standard_normal((256, 1000)).astype(np.float32),
            "a": rng.standard_normal((64, 64)).astype(np.float32),
            "b": rng.standard_normal((8, 8)).astype(np.float32),
            "m1": rng.standard_normal((256, 512)).astype(np.float32),
            "m2": rng.standard_normal((512, 256)).astype(np.float32),
            "bias": rng.standard_normal(256).astype(np.float32),
            "chan": rng.standard_normal((16, 64, 32, 32)).astype(np.float32)}


def _im2col(np, x):
    """The NumPy floor of unfold(k=3, padding=1): a padded sliding-window view, copied."""
    p = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    w = np.lib.stride_tricks.sliding_window_view(p, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    return np.ascontiguousarray(w.transpose(0, 1, 4, 5, 2, 3)).reshape(x.shape[0], -1, x.shape[2] * x.shape[3])


def _col2im(np, cols):
    out = np.zeros((8, 16, 34, 34), np.float32)
    parts = cols.reshape(8, 16, 3, 3, 32, 32)
    for i in range(3):
        for j in range(3):
            out[:, :, i:i + 32, j:j + 32] += parts[:, :, i, j]
    return out[:, :, 1:33, 1:33]


def _cases(lib, d, np):
    """name -> (call of lib (minitorch or torch), NumPy floor)."""
    t = {k: lib.from_numpy(v.copy()) for k, v in d.items()}
    F = lib.nn.functional
    sq, sq2 = (d["pts"] ** 2).sum(1), (d["pts2"] ** 2).sum(1)
    return {
        "unfold(8x16x32x32, k=3, p=1)": (lambda: F.unfold(t["img"], 3, padding=1), lambda: _im2col(np, d["img"])),
        "fold(8x144x1024 -> 32x32, k=3, p=1)": (lambda: F.fold(t["cols"], 32, 3, padding=1),
                                                 lambda: _col2im(np, d["cols"])),
        "cdist(512x64, 512x64)": (lambda: lib.cdist(t["pts"], t["pts2"]),
                                  lambda: np.sqrt(np.maximum(sq[:, None] - 2 * d["pts"] @ d["pts2"].T + sq2, 1e-30))),
        "searchsorted(1000 sorted, 1M values)": (lambda: lib.searchsorted(t["seq"], t["vec"]),
                                                 lambda: np.searchsorted(d["seq"], d["vec"])),
        "histc(1M, bins=100)": (lambda: lib.histc(t["vec"], 100, -3, 3),
                                lambda: np.histogram(d["vec"], 100, (-3, 3))[0]),
        "cummax(256x1000, dim=1)": (lambda: t["rows"].cummax(1), lambda: np.maximum.accumulate(d["rows"], 1)),
        "logcumsumexp(256x1000, dim=1)": (lambda: t["rows"].logcumsumexp(1),
                                          lambda: np.logaddexp.accumulate(d["rows"], 1)),
        "kron(64x64, 8x8)": (lambda: lib.kron(t["a"], t["b"]), lambda: np.kron(d["a"], d["b"])),
        "addmm(256, 256x512, 512x256)": (lambda: lib.addmm(t["bias"], t["m1"], t["m2"]),
                                         lambda: d["m1"] @ d["m2"] + d["bias"]),
        "pixel_shuffle(16x64x32x32, 2)": (
            lambda: F.pixel_shuffle(t["chan"], 2),
            lambda: np.ascontiguousarray(d["chan"].reshape(16, 16, 2, 2, 32, 32).transpose(0, 1, 4, 2, 5, 3))),
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
    header = "\n".join(["## Utilities: im2col/col2im, cdist, searchsorted, scans, products, shuffles\n",
             f"Median time of one call over {repeats} timed loops (after warm-up; libraries "
             "interleaved round-robin); ratios > 1 mean minitorch is slower. minitorch returns torch's "
             "values; NumPy's floor does the same job its own way.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
