"""conv2d, conv_transpose2d and max_pool2d, forward + backward: minitorch vs PyTorch vs a NumPy
im2col floor.

    python benchmarks/bench_conv.py                 # 1 thread, markdown table
    python benchmarks/bench_conv.py --threads 1,2   # several thread configurations
    python benchmarks/bench_conv.py --json out.json # also save the raw numbers

The shapes are those of a small MNIST CNN, batch 64: conv 1->32 3x3 on 28x28 (the first
layer: the input needs no gradient), conv 32->64 3x3 on 13x13 (an inner layer: input,
weight and bias gradients), and 2x2 max pooling of the first conv's output; and, at a DCGAN
size, the third layer of pytorch/examples dcgan's generator (ngf=64: ConvTranspose2d 128->64
4x4, stride 2, padding 1, 16x16 -> 32x32, no bias) at batch 16. Each case
runs ``out.backward(g)`` with a fixed upstream gradient ``g`` and returns one gradient,
checked against NumPy's before timing. Medians of 7 timed loops (see ``_harness``).

The NumPy floor is the same math with no framework: im2col as one strided-window copy,
one BLAS product per batch, and col2im as kh*kw slice additions (the transposed conv's
forward is that col2im of W^T x, its gradients a strided im2col of g and two products);
max pooling as a reshape and a max with the mask of first maxima for the backward.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

N = 64
CONVT_N = 16  # DCGAN's transposed conv: batch 16 keeps one loop near 0.1 s on one core
CONVS = {  # name: (in, out, size)
    "conv1": (1, 32, 28),
    "conv2": (32, 64, 13),
}


def _data(np):
    rng = np.random.default_rng(0)
    f32 = np.float32
    d = {}
    for name, (cin, cout, size) in CONVS.items():
        d[name + "_x"] = rng.standard_normal((N, cin, size, size), dtype=f32)
        d[name + "_w"] = rng.standard_normal((cout, cin, 3, 3), dtype=f32) * f32(1 / (3 * cin ** 0.5))
        d[name + "_b"] = rng.standard_normal(cout, dtype=f32)
        d[name + "_g"] = rng.standard_normal((N, cout, size - 2, size - 2), dtype=f32)
    d["convt_x"] = rng.standard_normal((CONVT_N, 128, 16, 16), dtype=f32)
    d["convt_w"] = rng.standard_normal((128, 64, 4, 4), dtype=f32) * f32(0.02)
    d["convt_g"] = rng.standard_normal((CONVT_N, 64, 32, 32), dtype=f32)
    d["pool_x"] = rng.standard_normal((N, 32, 26, 26), dtype=f32)
    d["pool_g"] = rng.standard_normal((N, 32, 13, 13), dtype=f32)
    return d


def _t(lib, arr, grad=False):
    t = lib.from_numpy(arr.copy())
    return t.requires_grad_() if grad else t


# ----- NumPy floor ------------------------------------------------------------------------

def _np_im2col(np, x, k):
    """(N, C*k*k, oh*ow) columns: one strided-window view, one copy."""
    n, c, h, w = x.shape
    win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, oh, ow, k, k)
    oh, ow = h - k + 1, w - k + 1
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * k * k, oh * ow)


def _np_conv(np, x, w, b, g, need_x):
    k = w.shape[2]
    n, o = x.shape[0], w.shape[0]
    oh, ow = x.shape[2] - k + 1, x.shape[3] - k + 1
    cols = _np_im2col(np, x, k)
    w2 = w.reshape(o, -1)
    out = np.matmul(w2, cols).reshape(n, o, oh, ow) + b.reshape(1, o, 1, 1)
    g3 = g.reshape(n, o, oh * ow)
    dw = np.matmul(g3, cols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
    db = g.sum((0, 2, 3))
    if need_x:
        dcols = np.matmul(w2.T, g3).reshape(n, x.shape[1], k, k, oh, ow)
        dx = np.zeros_like(x)
        for i in range(k):
            for j in range(k):
                dx[:, :, i:i + oh, j:j + ow] += dcols[:, :, i, j]
    return out, dw, db


def _np_conv_transpose(np, x, w, g, s, p):
    """conv_transpose2d(x, w, stride=s, padding=p) and its weight and input gradients."""
    n, cin, h, wd = x.shape
    cout, k = w.shape[1], w.shape[2]
    oh, ow = (h - 1) * s - 2 * p + k, (wd - 1) * s - 2 * p + k
    cols = np.matmul(w.reshape(cin, -1).T, x.reshape(n, cin, h * wd)).reshape(n, cout, k, k, h, wd)
    full = np.zeros((n, cout, oh + 2 * p, ow + 2 * p), x.dtype)
    for i in range(k):
        for j in range(k):
            full[:, :, i:i + s * (h - 1) + 1:s, j:j + s * (wd - 1) + 1:s] += cols[:, :, i, j]
    out = full[:, :, p:p + oh, p:p + ow]
    gp = np.pad(g, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(gp, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    gcols = np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, cout * k * k, h * wd)
    dw = np.matmul(x.reshape(n, cin, h * wd), gcols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
    dx = np.matmul(w.reshape(cin, -1), gcols).reshape(x.shape)
    return out, dw, dx


def _np_maxpool(np, x, g):
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    arg = win.argmax(-1)  # the first maximum, as PyTorch
    out = np.take_along_axis(win, arg[..., None], -1)[..., 0]
    dwin = np.zeros_like(win)
    np.put_along_axis(dwin, arg[..., None], g[..., None], -1)
    dx = dwin.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)
    return out, dx


# ----- the cases --------------------------------------------------------------------------

def _conv_case(name, need_x):
    def build_lib(lib, d):
        x = _t(lib, d[name + "_x"], grad=need_x)
        w, b = _t(lib, d[name + "_w"], grad=True), _t(lib, d[name + "_b"], grad=True)
        g = _t(lib, d[name + "_g"])
        conv2d = lib.nn.functional.conv2d if hasattr(lib.nn.functional, "conv2d") else _mt_conv2d()

        def run():
            conv2d(x, w, b).backward(g)
            grad = w.grad
            w.grad = b.grad = x.grad = None
            return grad
        return run

    def build_np(np, d):
        x, w, b, g = (d[name + s] for s in ("_x", "_w", "_b", "_g"))
        return lambda: _np_conv(np, x, w, b, g, need_x)[1]
    return build_lib, build_np


def _convt_case():
    def build_lib(lib, d):
        x, w = _t(lib, d["convt_x"], grad=True), _t(lib, d["convt_w"], grad=True)
        g = _t(lib, d["convt_g"])
        conv_transpose2d = lib.nn.functional.conv_transpose2d

        def run():
            conv_transpose2d(x, w, stride=2, padding=1).backward(g)
            grad = w.grad
            w.grad = x.grad = None
            return grad
        return run

    def build_np(np, d):
        return lambda: _np_conv_transpose(np, d["convt_x"], d["convt_w"], d["convt_g"], 2, 1)[1]
    return build_lib, build_np


def _pool_case():
    def build_lib(lib, d):
        x, g = _t(lib, d["pool_x"], grad=True), _t(lib, d["pool_g"])
        max_pool2d = lib.nn.functional.max_pool2d if hasattr(lib.nn.functional, "max_pool2d") else _mt_pool()

        def run():
            max_pool2d(x, 2).backward(g)
            grad = x.grad
            x.grad = None
            return grad
        return run

    def build_np(np, d):
        return lambda: _np_maxpool(np, d["pool_x"], d["pool_g"])[1]
    return build_lib, build_np


def _mt_conv2d():
    from minitorch.nn.functional import conv2d
    return conv2d


def _mt_pool():
    from minitorch.nn.functional import max_pool2d
    return max_pool2d


CASES = [
    ("conv2d 1->32 3x3, 64x1x28x28, fwd+bwd (w, b)", *_conv_case("conv1", need_x=False)),
    ("conv2d 32->64 3x3, 64x32x13x13, fwd+bwd (x, w, b)", *_conv_case("conv2", need_x=True)),
    ("max_pool2d 2x2, 64x32x26x26, fwd+bwd", *_pool_case()),
    ("conv_transpose2d 128->64 4x4 s2 p1 (DCGAN G), 16x128x16x16, fwd+bwd (x, w)", *_convt_case()),
]


# ----- worker / parent --------------------------------------------------------------------


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch
    import minitorch.nn.functional  # noqa: F401 - the lazy submodule, for hasattr above

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


def table(result: dict) -> str:
    headers = ["case", "minitorch ms", "torch ms", "numpy floor ms", "minitorch/torch", "minitorch/numpy"]
    rows = []
    for r in result["rows"]:
        mt, tc, npv = H.median_us(r, "minitorch"), H.median_us(r, "torch"), H.median_us(r, "numpy")

        def ms(v):
            return "—" if v is None else f"{v / 1000:.2f}"
        rows.append([r["name"], "FAILED" if "minitorch_error" in r else ms(mt), ms(tc), ms(npv),
                     H.fmt_ratio(mt, tc), H.fmt_ratio(mt, npv)])
    return H.markdown_table(headers, rows)


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    header = "\n".join(["## conv2d / max_pool2d / conv_transpose2d, forward + backward\n",
                        f"Median per-call time of {repeats} timed loops, float32, batch {N} (the transposed "
                        f"conv: {CONVT_N}); ratios > 1 mean minitorch is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
