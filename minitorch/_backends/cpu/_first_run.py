"""The first run on a machine: compile the common CPU kernels at once, in parallel, and say so.

numba compiles a kernel at its first call and keeps the machine code in its on-disk
cache (``cache=True``: ``__pycache__`` beside the kernel files, or NUMBA_CACHE_DIR), so
only the first process of an install pays. Unannounced, that looked like a hang: the
MNIST example's first epoch compiled 18 kernels (about 5 CPU seconds on the 2-core
VM of docs/benchmarks.md, one signature each) in the middle of its progress bar.

So at import, when the cache lacks the kernels every float32 training program needs
(``CORE``: the random numbers, ReLU, dropout, log-softmax, NLL/cross-entropy, Adam,
SGD), minitorch prints one line on stderr and compiles them before anything else, in
worker processes forked from this one (numba's compiler is single-threaded Python, so
processes are what use the other cores), with a progress bar. The workers write the
cache; this process then loads each kernel from it at its first call (milliseconds).

The warm path costs a few ``os.stat`` calls at import: a kernel counts as cached when
its index file exists and is newer than its source file (numba rebuilds an index whose
source changed). Kernels outside ``CORE`` (convolutions, float64 variants, ...) still
compile at their first call; the first one to do so in a process prints one line too,
through numba's compile event, which fires only for real compiles (never for a cache
load), so that notice also costs nothing once the cache is warm.

MINITORCH_PRECOMPILE=0 turns the upfront compile off (kernels then compile lazily).
"""
from __future__ import annotations

import os
import select
import signal
import sys
import warnings

from numba.core import event, sigutils

from . import kernels, nn_kernels, optim_kernels, random_kernels

# (kernel, argument types): what the MNIST example (tutorial MLP: Linear, ReLU, Dropout,
# LogSoftmax, NLLLoss, Adam, a shuffling DataLoader) and the README's programs (randn,
# CrossEntropyLoss, SGD) compile, recorded from numba's compile events. A test checks
# that after these, such a training step compiles nothing.
_RNG = "uint32[::1], int64[::1]"
CORE = [
    (random_kernels.seed_mt, f"({_RNG}, int64)"),
    (random_kernels.uniform_f32, f"({_RNG}, float32[::1], float32, float32)"),
    (random_kernels.uniform_f64, f"({_RNG}, float64[::1], float64, float64)"),
    (random_kernels.normal_fill_f32, f"({_RNG}, float32[::1], float32, float32)"),
    (random_kernels.normal_scalar, f"({_RNG}, float64[::1], float64[::1], float64, float64)"),
    (random_kernels.random64, f"({_RNG}, uint64[::1])"),
    (random_kernels.randperm, f"({_RNG}, int64[::1])"),
    (random_kernels.randint, f"({_RNG}, int64[::1], int64, int64)"),
    (kernels.relu, "(float32[::1], float32[::1])"),
    (kernels.relu_backward, "(float32[::1], float32[::1], float32[::1])"),
    (nn_kernels.dropout, "(float32[::1], float64[::1], float64, float32, float32[::1], boolean[::1])"),
    (nn_kernels.masked_scale, "(float32[::1], boolean[::1], float32, float32[::1])"),
    (nn_kernels.log_softmax_rows, "(float32[:, ::1], float32[:, ::1])"),
    (nn_kernels.log_softmax_backward_rows, "(float32[:, ::1], float32[:, ::1], float32[:, ::1])"),
    (nn_kernels.nll_forward, "(float32[:, ::1], int64[::1], float32[::1], int64, float32[::1])"),
    (nn_kernels.nll_backward, "(float32[::1], int64[::1], float32[::1], int64, float32[:, ::1])"),
    (optim_kernels.adam_step, "(" + ", ".join(["float32[::1]"] * 5 + ["float32"] * 8 + ["boolean"] * 3) + ")"),
    (optim_kernels.sgd_step, "(" + ", ".join(["float32[::1]"] * 3 + ["float32"] * 4 + ["boolean"] * 4) + ")"),
]

# CPU seconds one CORE kernel takes to compile, on average, on the 2-core VM of
# docs/benchmarks.md (5.3 s for the MNIST example's kernels): the notice's estimate.
_SECONDS_PER_KERNEL = 0.35
STALL_S = 120.0  # no kernel done by any worker in this long: give up on the workers
_MODULES = {"minitorch._backends.cpu." + m.__name__.rsplit(".", 1)[-1]
            for m in (kernels, nn_kernels, optim_kernels, random_kernels)} | {
    "minitorch._backends.cpu.conv_kernels", "minitorch._backends.cpu.norm_kernels",
    "minitorch._backends.cpu.rnn_kernels"}
NOTICE = "minitorch: compiling its kernels for this machine (first run only, about {seconds} s)..."
LAZY_NOTICE = ("minitorch: compiling {name} and other kernels at their first use on this machine "
               "(once: later runs load them from numba's cache)...")


def _index_is_current(kernel) -> bool:
    """Whether numba's cache index of ``kernel`` exists and is newer than its source file.

    Unknown (numba's cache internals changed, or NUMBA_DISABLE_JIT) counts as current: the
    kernels then compile lazily, silently, as before."""
    try:
        index = kernel._cache._cache_file._index_path
        source = kernel.py_func.__code__.co_filename
        return os.stat(index).st_mtime >= os.stat(source).st_mtime
    except FileNotFoundError:
        return False
    except (AttributeError, OSError):
        return True


def cold_kernels() -> list:
    """The CORE entries whose cache is missing or stale."""
    return [entry for entry in CORE if not _index_is_current(entry[0])]


def _compile(kernel, signature: str) -> None:
    """Compile and write numba's cache, as a first call would. The cache's key holds the
    signature as given, and a call gives a tuple of types: so a tuple it must be here."""
    args, _ = sigutils.normalize_signature(signature)
    kernel.compile(tuple(args))


def _workers(n: int) -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, n, 8))


def _progress(total: int):
    from tqdm import tqdm
    return tqdm(total=total, desc="compiling", unit="kernel", file=sys.stderr, leave=False)


def _fork_workers(shards: list, bar) -> None:
    """Compile each shard in a child forked from this process; each child writes one byte
    to a pipe per kernel done (the progress bar). Plain os.fork: the children use only
    what is already imported, so nothing is pickled or imported there (a multiprocessing
    pool imports its task's module in the child, and deadlocked on the import that is
    running here). Children that report nothing for STALL_S seconds are killed: their
    kernels then compile at their first call."""
    read_end, write_end = os.pipe()
    children = []
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork in a process with threads: the only ones here are
        # the BLAS pool's, which re-initialises itself in a forked child.
        warnings.simplefilter("ignore", DeprecationWarning)
        for shard in shards:
            pid = os.fork()
            if pid == 0:  # the child: compile, report, exit without running any cleanup
                status = 1
                try:
                    os.close(read_end)
                    for kernel, signature in shard:
                        _compile(kernel, signature)
                        os.write(write_end, b".")
                    status = 0
                finally:
                    os._exit(status)
            children.append(pid)
    os.close(write_end)
    with os.fdopen(read_end, "rb", buffering=0) as reports:
        while select.select([reports], [], [], STALL_S)[0] and reports.read(1):
            bar.update()
    for pid in children:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):  # still running: stalled
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def notice(kernel_count: int, workers: int) -> str:
    """The first-run line: what is happening, that it happens once, and an estimate."""
    seconds = max(1, round(kernel_count * _SECONDS_PER_KERNEL / workers))
    return NOTICE.format(seconds=seconds)


def precompile(entries: list) -> None:
    """Compile ``entries`` now: in forked child processes when this machine has several
    cores (they write numba's cache; this process loads from it at each kernel's first
    call), else here. Kernels a child failed to compile compile here, at their first call."""
    workers = _workers(len(entries)) if hasattr(os, "fork") else 1
    print(notice(len(entries), workers), file=sys.stderr, flush=True)
    with _progress(len(entries)) as bar:
        if workers > 1:
            _fork_workers([entries[i::workers] for i in range(workers)], bar)
        else:
            for kernel, signature in entries:
                _compile(kernel, signature)
                bar.update()


class _LazyNotice(event.Listener):
    """Says once per process that a minitorch kernel is being compiled at its first use."""

    said = False

    def on_start(self, ev) -> None:
        if _LazyNotice.said:
            return
        function = getattr(ev.data.get("dispatcher"), "py_func", None)
        if getattr(function, "__module__", None) in _MODULES:
            _LazyNotice.said = True
            print(LAZY_NOTICE.format(name=function.__name__), file=sys.stderr, flush=True)

    def on_end(self, ev) -> None:
        pass


def prepare() -> None:
    """At import: compile the cold CORE kernels (see the module docstring) and set up the
    notice for the rest."""
    if os.environ.get("MINITORCH_PRECOMPILE", "1") != "0":
        cold = cold_kernels()
        if cold:
            precompile(cold)
            _LazyNotice.said = True  # one notice per run: the kernels left are few
    event.register("numba:compile", _LazyNotice())
