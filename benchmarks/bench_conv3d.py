"""conv3d and max_pool3d, forward + backward: minitorch vs PyTorch vs a NumPy im2col floor.

    python benchmarks/bench_conv3d.py                 # 1 thread, markdown table
    python benchmarks/bench_conv3d.py --threads 1,2   # several thread configurations
    python benchmarks/bench_conv3d.py --json out.json # also save the raw numbers

A small video-model layer (C3D-like, batch 4): conv 16->32 3x3x3 on 8x28x28 (input, weight
and bias gradients) and 2x2x2 max pooling of its output. minitorch runs a 3-D convolution as
a 2-D one with the depth taps as channels (minitorch/_ops/conv3d.py) and a 3-D max pool as
the 2-D pool of each depth slice followed by a max over the depth taps (_ops/pool3d.py).
Each case runs ``out.backward(g)`` with a fixed upstream gradient and returns one gradient,
checked against NumPy's before timing. Medians of 7 timed loops (see ``_harness``).

The NumPy floor: im2col over three dims as one strided-window copy, one BLAS product per
sample, col2im as k^3 slice additions; max pooling as a reshape and a max with the mask of
first maxima for the backward.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402
from bench_conv import table  # noqa: E402

N, CIN, COUT, D, S, K = 4, 16, 32, 8, 28, 3


def _data(np):
    rng = np.random.default_rng(0)
    f32 = np.float32
    od, os_ = D - K + 1, S - K + 1
    return {
        "x": rng.standard_normal((N, CIN, D, S, S), dtype=f32),
        "w": rng.standard_normal((COUT, CIN, K, K, K), dtype=f32) * f32(1 / (K * K * CIN ** 0.5)),
        "b": rng.standard_normal(COUT, dtype=f32),
        "g": rng.standard_normal((N, COUT, od, os_, os_), dtype=f32),
        "pool_x": rng.standard_normal((N, COUT, od, os_, os_), dtype=f32),
        "pool_g": rng.standard_normal((N, COUT, od // 2, os_ // 2, os_ // 2), dtype=f32),
    }


def _t(lib, arr, grad=False):
    t = lib.from_numpy(arr.copy())
    return t.requires_grad_() if grad else t


def _np_conv3d(np, x, w, b, g):
    n, c, d, h, wd = x.shape
    o, k = w.shape[0], w.shape[2]
    od, oh, ow = d - k + 1, h - k + 1, wd - k + 1
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k, k), axis=(2, 3, 4))
    cols = np.ascontiguousarray(win.transpose(0, 1, 5, 6, 7, 2, 3, 4)).reshape(n, c * k ** 3, od * oh * ow)
    w2 = w.reshape(o, -1)
    out = np.matmul(w2, cols).reshape(n, o, od, oh, ow) + b.reshape(1, o, 1, 1, 1)
    g3 = g.reshape(n, o, -1)
    dw = np.matmul(g3, cols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
    db = g.sum((0, 2, 3, 4))
    dcols = np.matmul(w2.T, g3).reshape(n, c, k, k, k, od, oh, ow)
    dx = np.zeros_like(x)
    for i in range(k):
        for j in range(k):
            for m in range(k):
                dx[:, :, i:i + od, j:j + oh, m:m + ow] += dcols[:, :, i, j, m]
    return out, dw, db, dx


def _np_maxpool3d(np, x, g):
    n, c, d, h, w = x.shape
    x = x[:, :, :d // 2 * 2, :h // 2 * 2, :w // 2 * 2]
    win = x.reshape(n, c, d // 2, 2, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 6, 3, 5, 7)
    win = win.reshape(n, c, d // 2, h // 2, w // 2, 8)
    arg = win.argmax(-1)  # the first maximum, as PyTorch
    out = np.take_along_axis(win, arg[..., None], -1)[..., 0]
    dwin = np.zeros_like(win)
    np.put_along_axis(dwin, arg[..., None], g[..., None], -1)
    dx = np.zeros((n, c, d, h, w), x.dtype)
    dx[:, :, :d // 2 * 2, :h // 2 * 2, :w // 2 * 2] = dwin.reshape(n, c, d // 2, h // 2, w // 2, 2, 2, 2).transpose(
        0, 1, 2, 5, 3, 6, 4, 7).reshape(n, c, d // 2 * 2, h // 2 * 2, w // 2 * 2)
    return out, dx


def _conv_case():
    def build_lib(lib, d):
        x, w, b = _t(lib, d["x"], True), _t(lib, d["w"], True), _t(lib, d["b"], True)
        g = _t(lib, d["g"])
        import importlib
        conv3d = importlib.import_module(lib.__name__ + ".nn.functional").conv3d

        def run():
            conv3d(x, w, b).backward(g)
            grad = w.grad
            w.grad = b.grad = x.grad = None
            return grad
        return run

    def build_np(np, d):
        return lambda: _np_conv3d(np, d["x"], d["w"], d["b"], d["g"])[1]
    return build_lib, build_np


def _pool_case():
    def build_lib(lib, d):
        x, g = _t(lib, d["pool_x"], True), _t(lib, d["pool_g"])
        import importlib
        max_pool3d = importlib.import_module(lib.__name__ + ".nn.functional").max_pool3d

        def run():
            max_pool3d(x, 2).backward(g)
            grad = x.grad
            x.grad = None
            return grad
        return run

    def build_np(np, d):
        return lambda: _np_maxpool3d(np, d["pool_x"], d["pool_g"])[1]
    return build_lib, build_np


CASES = [
    (f"conv3d {CIN}->{COUT} 3x3x3, {N}x{CIN}x{D}x{S}x{S}, fwd+bwd (x, w, b)", *_conv_case()),
    (f"max_pool3d 2x2x2, {N}x{COUT}x{D - K + 1}x{S - K + 1}x{S - K + 1}, fwd+bwd", *_pool_case()),
]


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    d = _data(np)
    libs = [("minitorch", minitorch)] + ([("torch", torch)] if torch is not None else [])
    rows, problems = [], []
    with H.LoadMonitor() as load:
        for name, build_lib, build_np in CASES:
            builders = {lib_name: functools.partial(build_lib, lib, d) for lib_name, lib in libs}
            row, found = H.time_checked_case(name, build_np(np, d)(), build_np(np, d), builders, repeats,
                                             rtol=1e-3, atol=1e-3)
            problems += found
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    header = "\n".join(["## conv3d / max_pool3d, forward + backward\n",
                        f"Median per-call time of {repeats} timed loops, float32, batch {N}; ratios > 1 mean "
                        "minitorch is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
