"""Adaptive average / max pooling, forward + backward: minitorch vs PyTorch vs a NumPy floor.

    python benchmarks/bench_adaptive_pool.py                 # 1 thread, markdown table
    python benchmarks/bench_adaptive_pool.py --threads 1,2   # several thread configurations
    python benchmarks/bench_adaptive_pool.py --json out.json # also save the raw numbers

Shapes: ResNet's AdaptiveAvgPool2d((1, 1)) on 64x512x7x7, VGG's AdaptiveAvgPool2d((7, 7)) on
8x512x14x14 (windows that tile the input) and on a non-dividing 8x64x15x15 (overlapping
windows), adaptive_max_pool2d on the same three, and adaptive_max_pool3d (16,32,32) -> (3,5,7)
on 2x8 channels. Each case runs ``out.backward(g)`` with a fixed upstream gradient and returns
the input's gradient, checked against NumPy's before timing. Medians of 7 timed loops.

The NumPy floor: a Python loop over the output cells, each a reduction of its window over
every plane at once (the windows PyTorch's: start = floor(i In / Out), end = ceil((i + 1) In /
Out)), and the backward as the matching slice additions.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402
from bench_conv import _as_numpy, table  # noqa: E402

# (label, kind, input shape, output size)
SHAPES = [
    ("avg2d (1,1), 64x512x7x7", "avg", (64, 512, 7, 7), (1, 1)),
    ("avg2d (7,7), 8x512x14x14", "avg", (8, 512, 14, 14), (7, 7)),
    ("avg2d (7,7), 8x64x15x15", "avg", (8, 64, 15, 15), (7, 7)),
    ("max2d (1,1), 64x512x7x7", "max", (64, 512, 7, 7), (1, 1)),
    ("max2d (7,7), 8x512x14x14", "max", (8, 512, 14, 14), (7, 7)),
    ("max2d (7,7), 8x64x15x15", "max", (8, 64, 15, 15), (7, 7)),
    ("max3d (3,5,7), 2x8x16x32x32", "max", (2, 8, 16, 32, 32), (3, 5, 7)),
    ("avg3d (3,5,7), 2x8x16x32x32", "avg", (2, 8, 16, 32, 32), (3, 5, 7)),
]


def _bounds(size, out):
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _np_pool(np, kind, x, g, out_size):
    """(out, dx) over the trailing len(out_size) dims."""
    k = len(out_size)
    lead = x.shape[:-k]
    spatial = x.shape[-k:]
    planes = x.reshape((-1,) + spatial)
    gp = g.reshape((-1,) + tuple(out_size))
    dx = np.zeros_like(planes)
    out = np.empty(gp.shape, x.dtype)
    import itertools
    for cell in itertools.product(*[range(o) for o in out_size]):
        win = tuple(slice(*_bounds(s, o)[c]) for s, o, c in zip(spatial, out_size, cell))
        block = planes[(slice(None),) + win]
        flat = block.reshape(block.shape[0], -1)
        gcell = gp[(slice(None),) + cell]
        if kind == "avg":
            out[(slice(None),) + cell] = flat.mean(1)
            dx[(slice(None),) + win] += (gcell / flat.shape[1]).reshape((-1,) + (1,) * k)
        else:
            arg = flat.argmax(1)  # the first maximum, as PyTorch (no NaN in these inputs)
            out[(slice(None),) + cell] = flat[np.arange(flat.shape[0]), arg]
            dflat = np.zeros_like(flat)
            dflat[np.arange(flat.shape[0]), arg] = gcell
            dx[(slice(None),) + win] += dflat.reshape(block.shape)
    return out.reshape(lead + tuple(out_size)), dx.reshape(x.shape)


def _case(kind, shape, out_size):
    def data(np):
        rng = np.random.default_rng(0)
        return (rng.standard_normal(shape, dtype=np.float32),
                rng.standard_normal(shape[:-len(out_size)] + tuple(out_size), dtype=np.float32))

    def build_lib(lib, d):
        import importlib
        F = importlib.import_module(lib.__name__ + ".nn.functional")
        fn = getattr(F, f"adaptive_{kind}_pool{len(out_size)}d")
        x = lib.from_numpy(d[0].copy()).requires_grad_()
        g = lib.from_numpy(d[1].copy())

        def run():
            fn(x, out_size).backward(g)
            grad = x.grad
            x.grad = None
            return grad
        return run

    def build_np(np, d):
        return lambda: _np_pool(np, kind, d[0], d[1], out_size)[1]
    return data, build_lib, build_np


CASES = [(label, *_case(kind, shape, out)) for label, kind, shape, out in SHAPES]


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    libs = [("minitorch", minitorch)] + ([("torch", torch)] if torch is not None else [])
    rows, problems = [], []
    with H.LoadMonitor() as load:
        for name, data, build_lib, build_np in CASES:
            d = data(np)
            row = {"name": name}
            ref = build_np(np, d)()
            fns = {"numpy": build_np(np, d)}
            for lib_name, lib in libs:
                try:
                    fn = build_lib(lib, d)
                    got = _as_numpy(fn())
                    if not np.allclose(got, ref, rtol=1e-4, atol=1e-5):
                        problems.append(f"{lib_name}: {name}: result differs from NumPy's "
                                        f"(max abs diff {np.max(np.abs(got - ref)):.3g})")
                    fns[lib_name] = fn
                except Exception as exc:  # report, do not work around
                    row[lib_name + "_error"] = H.short_error(exc)
                    problems.append(f"{lib_name}: {name}: {H.short_error(exc)}")
            for lib_name, res in H.time_side_by_side(fns, repeats=repeats).items():
                if isinstance(res, Exception):
                    problems.append(f"{lib_name}: {name} (timed loop): {H.short_error(res)}")
                else:
                    row[lib_name] = H.stats_dict(res)
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    header = "\n".join(["## Adaptive pooling, forward + backward\n",
                        f"Median per-call time of {repeats} timed loops, float32; ratios > 1 mean "
                        "minitorch is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
