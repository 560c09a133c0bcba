"""When a kernel's parallel twin pays: a minimum of work per thread, one per kernel.

A twin (``relu_parallel``, ``im2col_parallel``, ...) splits its outer loop over numba's
threads. Waking them costs tens of microseconds and they share memory bandwidth, so a
twin pays only when every thread gets enough work. ``threads_for(kernel, work)`` gives the
thread count for one call: ``min(get_num_threads(), numba's pool, work // minimum)``, or
1 (the serial kernel) when that is below 2. On a 16-core machine a large batch gets 16
threads and a small one as many as its work pays for; on one thread nothing changes.

``MIN_WORK_PER_THREAD`` holds each kernel's minimum, in the unit its entry names
(elements written, or window reads for average pooling). The values were measured on
the 2-core VM of docs/benchmarks.md with ``benchmarks/bench_threads_kernels.py``, which
sweeps work and thread counts per kernel and prints the minimum where the twin starts to
win; a many-core machine sets its own through the environment::

    MINITORCH_MIN_WORK_PER_THREAD="im2col=32768,relu=262144" python train.py

(read at import; an unknown kernel or a value that is not a positive integer is a
ValueError naming the known ones), or for a block of code with ``min_work(...)``.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

import numba

from ... import _threads
from .kernels import _FORKED

ENV = "MINITORCH_MIN_WORK_PER_THREAD"

# Measured on the 2-core AMD EPYC VM with 1.8 of its 2 cores busy with other work
# (bench_threads_kernels.py --threads 2, 2026-12-04; the table is in docs/benchmarks.md,
# "Threads"): there a wake-up of numba's threads cost 0.2-2 ms, so the twins won only on
# large arrays. Where a crossover was seen the value is near it (rounded to a power of
# two: bias add from 250k per thread, the batch-wide im2col from 1.1M, pooling from
# 2.8M, relu from 2-8M); where none was (the per-image gathers, average pooling's
# forward, batch norm, leaky ReLU) it is 2-4M like its neighbours, and GELU, bound by
# its erf/tanh, pays from a quarter million. With these the MNIST CNN at batch 64 runs
# serially at 2 threads, as before; a many-core machine measures its own (module doc).
DEFAULT_MIN_WORK_PER_THREAD = {
    # elementwise passes (kernels.py, nn_kernels.py): elements
    "relu": 1 << 22,
    "relu_backward": 1 << 21,
    "leaky_relu": 1 << 22,
    "gelu": 1 << 18,
    "dropout": 1 << 22,
    "masked_scale": 1 << 22,
    # conv gathers and scatters (conv_kernels.py): elements of the columns
    "im2col": 1 << 21,
    "im2col_batch": 1 << 21,
    "col2im": 1 << 21,
    "col2im_batch": 1 << 22,
    "bias_add": 1 << 18,      # batch_major_add_bias: elements of the output
    # pooling: elements of the input plane stack (max), window reads (average)
    "max_pool2d": 1 << 21,
    "max_pool2d_backward": 1 << 21,
    "avg_pool2d": 1 << 21,
    "avg_pool2d_backward": 1 << 20,
    # batch norm (stats, apply, backward): elements of x
    "batch_norm": 1 << 21,
}

MIN_WORK_PER_THREAD: dict = dict(DEFAULT_MIN_WORK_PER_THREAD)


def _parse(text: str) -> dict:
    """'name=value,name=value' as a dict of positive ints (ValueError on anything else)."""
    out = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in DEFAULT_MIN_WORK_PER_THREAD:
            raise ValueError(f"{ENV}: unknown kernel {name!r} in {text!r}; expected name=value pairs "
                             f"with a name among {', '.join(sorted(DEFAULT_MIN_WORK_PER_THREAD))}")
        try:
            out[name] = int(value.strip().replace("_", ""))
        except ValueError:
            out[name] = 0
        if out[name] <= 0:
            raise ValueError(f"{ENV}: {name}={value.strip()!r} is not a positive integer")
    return out


MIN_WORK_PER_THREAD.update(_parse(os.environ.get(ENV, "")))


def threads_for(kernel: str, work: int) -> int:
    """The threads to run kernel on for this much work: 1 means the serial kernel. When it
    is 2 or more, numba's next parallel region in this thread is sized to it."""
    most = work // MIN_WORK_PER_THREAD[kernel]
    if most < 2:
        return 1
    n = min(most, _threads.get_num_threads(), numba.config.NUMBA_NUM_THREADS)
    if n < 2 or _FORKED[0]:
        return 1
    numba.set_num_threads(n)
    return n


@contextmanager
def min_work(**values: int):
    """Within the block, these kernels' minimum work per thread (1 forces the twin wherever
    two threads exist, a huge value forces the serial kernel)."""
    saved = dict(MIN_WORK_PER_THREAD)
    MIN_WORK_PER_THREAD.update(_parse(",".join(f"{k}={v}" for k, v in values.items())))
    try:
        yield
    finally:
        MIN_WORK_PER_THREAD.clear()
        MIN_WORK_PER_THREAD.update(saved)
