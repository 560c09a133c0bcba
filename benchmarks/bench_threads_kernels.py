"""Where each kernel's parallel twin starts to pay: serial against the twin, per thread count.

For every kernel family with a parallel twin (the keys of
``minitorch._backends.cpu.parallel.MIN_WORK_PER_THREAD``), at growing sizes (batch sizes
of the MNIST CNN's layers, or element counts), the serial kernel and its twin on each
thread count run side by side (interleaved loops, medians). The twin "pays" at a size
when it is at least ``--margin`` faster there and at every larger size; the work of the
first such size divided by the thread count is the minimum work per thread to set.
The last lines print them as the environment variable minitorch reads::

    python benchmarks/bench_threads_kernels.py --threads 2,4,16 [--kernels im2col,relu] [--repeats 5]
    MINITORCH_MIN_WORK_PER_THREAD="im2col=...,relu=..." python benchmarks/bench_train.py --threads 1,4,16

The kernels are called directly (raw NumPy arrays, numba's pool resized in process), so
this measures the twins alone; bench_train.py measures what they do to a training step.
On a machine with fewer cores than a thread count, that count is skipped.
"""
from __future__ import annotations

import argparse
import os
import sys

import _harness as H


def _cases(np, K, E, N):
    """key -> (label, build(scale) -> (serial, parallel, work), scales). K: conv_kernels,
    E: kernels, N: nn_kernels."""
    rng = np.random.default_rng(0)
    f32 = np.float32

    def randn(*shape):
        return rng.standard_normal(shape).astype(f32)

    def elementwise(serial, parallel, inputs):
        def build(size):
            args = [a(size) for a in inputs]
            out = np.empty(size, f32)
            return (lambda: serial(*args, out)), (lambda: parallel(*args, out)), size
        return build

    def flat(size):
        return randn(size)

    def conv(kernel_pair, batch_layout, channels, hw, kernel):
        serial, parallel = kernel_pair

        def build(n):
            oh = hw - kernel + 1
            x = randn(n, channels, hw, hw)
            shape = (channels * kernel * kernel, n * oh * oh) if batch_layout else (n, channels * kernel * kernel, oh * oh)
            cols = randn(*shape)
            args = (kernel, kernel, 1, 1, 0, 0, 1, 1, oh, oh)
            if serial in (K.im2col, K.im2col_batch):
                return (lambda: serial(x, *args, cols)), (lambda: parallel(x, *args, cols)), cols.size
            out = np.zeros_like(x)
            return (lambda: serial(cols, *args, out)), (lambda: parallel(cols, *args, out)), cols.size
        return build

    def bias_add(n):
        prod, bias = randn(64, n * 121), randn(64)
        out = np.empty((n, 64, 121), f32)
        return (lambda: K.batch_major_add_bias(prod, bias, out)), \
            (lambda: K.batch_major_add_bias_parallel(prod, bias, out)), out.size

    def max_pool(n):
        x = randn(n * 32, 26, 26)
        out, idx = np.empty((n * 32, 13, 13), f32), np.empty((n * 32, 13, 13), np.int64)
        return (lambda: K.max_pool2d_2x2(x, 2, 2, out, idx)), \
            (lambda: K.max_pool2d_2x2_parallel(x, 2, 2, out, idx)), x.size

    def max_pool_backward(n):
        grad = randn(n * 32, 169)
        idx = np.tile((np.arange(169) // 13 * 2 * 26 + np.arange(169) % 13 * 2).astype(np.int64), (n * 32, 1))
        out = np.zeros((n * 32, 676), f32)
        return (lambda: K.max_pool2d_backward(grad, idx, out)), \
            (lambda: K.max_pool2d_backward_parallel(grad, idx, out)), out.size

    def avg_pool(n):
        x = randn(n * 32, 26, 26)
        out = np.empty((n * 32, 13, 13), f32)
        args = (2, 2, 2, 2, 0, 0, True, 0)
        return (lambda: K.avg_pool2d(x, *args, out)), (lambda: K.avg_pool2d_parallel(x, *args, out)), out.size * 4

    def avg_pool_backward(n):
        grad = randn(n * 32, 13, 13)
        out = np.zeros((n * 32, 26, 26), f32)
        args = (2, 2, 2, 2, 0, 0, True, 0)
        return (lambda: K.avg_pool2d_backward(grad, *args, out)), \
            (lambda: K.avg_pool2d_backward_parallel(grad, *args, out)), grad.size * 4

    def batch_norm(n):
        x, g = randn(n, 32, 169), randn(n, 32, 169)
        mean, var = np.empty(32), np.empty(32)
        scale, shift = randn(32), randn(32)
        invstd, weight = np.ones(32, f32), randn(32)
        out, gi, gw, gb = np.empty_like(x), np.empty_like(x), np.empty(32, f32), np.empty(32, f32)

        def serial():
            K.batch_norm_stats(x, mean, var)
            K.batch_norm_apply(x, scale, shift, out)
            K.batch_norm_backward(g, x, mean.astype(f32), invstd, weight, True, gi, gw, gb)

        def parallel():
            K.batch_norm_stats_parallel(x, mean, var)
            K.batch_norm_apply_parallel(x, scale, shift, out)
            K.batch_norm_backward_parallel(g, x, mean.astype(f32), invstd, weight, True, gi, gw, gb)
        return serial, parallel, x.size

    def dropout(size):
        x, u = randn(size), rng.random(size).astype(f32)
        out, mask = np.empty(size, f32), np.empty(size, np.bool_)
        return (lambda: N.dropout(x, u, 0.8, f32(1.25), out, mask)), \
            (lambda: N.dropout_parallel(x, u, 0.8, f32(1.25), out, mask)), size

    def masked_scale(size):
        g, mask, out = randn(size), rng.random(size) < 0.8, np.empty(size, f32)
        return (lambda: N.masked_scale(g, mask, f32(1.25), out)), \
            (lambda: N.masked_scale_parallel(g, mask, f32(1.25), out)), size

    def gelu(size):
        x, out = randn(size), np.empty(size, f32)
        return (lambda: N.gelu(x, out, False)), (lambda: N.gelu_parallel(x, out, False)), size

    def leaky(size):
        x, out = randn(size), np.empty(size, f32)
        return (lambda: N.leaky_relu(x, out, f32(0.01))), (lambda: N.leaky_relu_parallel(x, out, f32(0.01))), size

    sizes = [1 << k for k in range(14, 25, 2)]
    batches = [4, 16, 64, 256]
    return {
        "relu": ("relu, elements", elementwise(E.relu, E.relu_parallel, [flat]), sizes),
        "relu_backward": ("relu backward, elements", elementwise(E.relu_backward, E.relu_backward_parallel,
                                                                 [flat, flat]), sizes),
        "leaky_relu": ("leaky_relu, elements", leaky, sizes),
        "gelu": ("gelu (erf), elements", gelu, [s // 4 for s in sizes]),
        "dropout": ("dropout, elements", dropout, sizes),
        "masked_scale": ("dropout backward, elements", masked_scale, sizes),
        "im2col": ("im2col per image, N x 3x32x32, 3x3", conv((K.im2col, K.im2col_parallel), False, 3, 32, 3),
                   batches),
        "col2im": ("col2im per image, N x 3x32x32, 3x3", conv((K.col2im, K.col2im_parallel), False, 3, 32, 3),
                   batches),
        "im2col_batch": ("im2col batch-wide, N x 32x13x13, 3x3",
                         conv((K.im2col_batch, K.im2col_batch_parallel), True, 32, 13, 3), batches),
        "col2im_batch": ("col2im batch-wide, N x 32x13x13, 3x3",
                         conv((K.col2im_batch, K.col2im_batch_parallel), True, 32, 13, 3), batches),
        "bias_add": ("conv bias add, N x 64x11x11", bias_add, batches),
        "max_pool2d": ("max_pool2d 2x2, N x 32x26x26", max_pool, batches),
        "max_pool2d_backward": ("max_pool2d backward, N x 32x26x26", max_pool_backward, batches),
        "avg_pool2d": ("avg_pool2d 2x2, N x 32x26x26 (window reads)", avg_pool, batches),
        "avg_pool2d_backward": ("avg_pool2d backward (window reads)", avg_pool_backward, batches),
        "batch_norm": ("batch_norm stats+apply+backward, N x 32x13x13", batch_norm, batches),
    }


def measure(thread_counts, kernels, repeats, margin):
    """Rows of (key, label, work, serial µs, {threads: twin µs}) and the suggested minimums."""
    import numba
    import numpy as np
    from minitorch._backends.cpu import conv_kernels as K, kernels as E, nn_kernels as N

    pool = numba.config.NUMBA_NUM_THREADS
    usable = [t for t in thread_counts if t <= pool]
    cases = _cases(np, K, E, N)
    rows, suggested = [], {}
    for key in kernels or cases:
        label, build, scales = cases[key]
        per_scale = []
        for scale in scales:
            serial, parallel, work = build(scale)
            fns = {"serial": serial}
            for t in usable:
                fns[t] = (lambda t=t: (numba.set_num_threads(t), parallel()))
            numba.set_num_threads(max(usable) if usable else 1)
            parallel()  # compile before timing
            stats = H.time_side_by_side(fns, repeats=repeats, warmup_s=0.02, min_loop_s=0.01)
            per_scale.append((work, stats["serial"].median_us, {t: stats[t].median_us for t in usable}))
        for work, serial_us, twins in per_scale:
            rows.append((key, label, work, serial_us, twins))
        suggested[key] = {}
        for t in usable:
            pays = [twins[t] * (1 + margin) <= serial_us for _, serial_us, twins in per_scale]
            first = next((i for i in range(len(pays)) if all(pays[i:])), None)
            suggested[key][t] = None if first is None else max(1, per_scale[first][0] // t)
    return rows, suggested, usable


def report(rows, suggested, usable, margin) -> str:
    headers = ["kernel", "work", "serial µs"] + [f"{t} thr µs (speed-up)" for t in usable]
    body = [[label, f"{work:,}", H.fmt_us(serial)] + [f"{H.fmt_us(twins[t])} ({serial / twins[t]:.2f}x)"
                                                      for t in usable]
            for _, label, work, serial, twins in rows]
    parts = [H.markdown_table(headers, body), ""]
    parts.append(f"Minimum work per thread where the twin is >= {margin:.0%} faster at that size and every "
                 "larger one (— : never in this range):\n")
    srows = [[key] + [("—" if v[t] is None else f"{v[t]:,}") for t in usable] for key, v in suggested.items()]
    parts.append(H.markdown_table(["kernel"] + [f"{t} threads" for t in usable], srows))
    if usable:
        top = max(usable)
        never = 1 << 40
        pairs = ",".join(f"{k}={v[top] if v[top] is not None else never}" for k, v in suggested.items())
        parts.append(f"\nFrom the {top}-thread column (— as {never}):\n\n    MINITORCH_MIN_WORK_PER_THREAD=\"{pairs}\"")
    return "\n".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="2", help="comma-separated thread counts of the twins (default 2)")
    ap.add_argument("--kernels", default="", help="comma-separated kernel keys (default: all)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--margin", type=float, default=0.1, help="how much faster the twin must be (default 0.1)")
    args = ap.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    os.environ.setdefault("NUMBA_NUM_THREADS", str(max(threads)))
    if int(os.environ["NUMBA_NUM_THREADS"]) < max(threads):
        print(f"NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}: thread counts above it are skipped",
              file=sys.stderr)
    print(H.machine_info_markdown())
    with H.LoadMonitor() as load:
        rows, suggested, usable = measure(threads, [k for k in args.kernels.split(",") if k], args.repeats,
                                          args.margin)
    print("\n" + H.load_note(load.background_cores, max(usable) if usable else None) + "\n")
    print(report(rows, suggested, usable, args.margin))


if __name__ == "__main__":
    main()
