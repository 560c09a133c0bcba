"""The smooth activations: minitorch vs torch vs a NumPy floor, forward and forward + backward.

    python benchmarks/bench_activations.py                 # 1 thread, markdown table
    python benchmarks/bench_activations.py --threads 1,2   # more thread configurations
    python benchmarks/bench_activations.py --json out.json # also save the raw numbers

silu, mish, softplus and elu run one-pass numba kernels on the CPU (backend extras of the same
names, _backends/cpu/activation_kernels.py); the "composed" column times the same extra's
default (defaults_nn.py: the formula one core op at a time, what a device without the kernel
runs), so the pair shows what the kernel saves. The NumPy floor is the formula written with
NumPy's ufuncs. Before timing, each forward is compared with torch's. Times are medians over
timed loops (see ``_harness``), libraries interleaved round-robin.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

SHAPE = (256, 1024)


def _numpy_floor(np, name, x, g):
    """name -> (forward, forward + backward) written with NumPy's ufuncs."""
    def sig(v):
        return 1 / (1 + np.exp(-v))
    forward = {"silu": lambda: x / (1 + np.exp(-x)),
               "mish": lambda: x * np.tanh(np.log1p(np.exp(x))),
               "softplus": lambda: np.where(x > 20, x, np.log1p(np.exp(x))),
               "elu": lambda: np.where(x <= 0, np.expm1(x), x)}[name]

    def both():
        y = forward()
        if name == "silu":
            s = sig(x)
            return y, g * s * (1 + x * (1 - s))
        if name == "mish":
            s, t = sig(x), np.tanh(np.log1p(np.exp(x)))
            return y, g * (t + x * s * (1 - t * t))
        if name == "softplus":
            z = np.exp(x)
            return y, np.where(x > 20, g, g * z / (z + 1))
        return y, np.where(x <= 0, g * np.exp(x), g)
    return forward, both


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch
    from minitorch._backends import cpu
    from minitorch._backends.defaults_nn import NnDefaults

    rng = np.random.default_rng(0)
    x_np = (rng.standard_normal(SHAPE) * 3).astype(np.float32)
    g_np = rng.standard_normal(SHAPE).astype(np.float32)
    F = minitorch.nn.functional
    composed = {"silu": lambda: NnDefaults.silu(cpu, x_np), "mish": lambda: NnDefaults.mish(cpu, x_np),
                "softplus": lambda: NnDefaults.softplus(cpu, x_np, 1.0, 20.0),
                "elu": lambda: NnDefaults.elu(cpu, x_np, 1.0, 1.0, 1.0)}
    rows, problems = [], []
    with H.LoadMonitor() as load:
        for name in ("silu", "mish", "softplus", "elu"):
            np_forward, np_both = _numpy_floor(np, name, x_np, g_np)
            for kind in ("forward", "forward + backward"):
                libs = {"minitorch": (minitorch, F)}
                if torch is not None:
                    libs["torch"] = (torch, torch.nn.functional)
                fns = {}
                for lib_name, (lib, lib_f) in libs.items():
                    fn = getattr(lib_f, name)
                    x, g = lib.from_numpy(x_np.copy()), lib.from_numpy(g_np.copy())
                    if kind == "forward":
                        fns[lib_name] = (lambda fn=fn, x=x: fn(x))
                    else:
                        leaf = x.clone().requires_grad_()
                        fns[lib_name] = (lambda fn=fn, leaf=leaf, g=g: fn(leaf).backward(g))
                if kind == "forward":
                    fns["composed"] = composed[name]
                fns["numpy"] = np_forward if kind == "forward" else np_both
                if torch is not None and kind == "forward":
                    mine, theirs = fns["minitorch"]().numpy(), fns["torch"]().numpy()
                    if not np.allclose(mine, theirs, rtol=1e-5, atol=1e-6):
                        problems.append(f"{name}: minitorch's forward differs from torch's")
                row = {"case": f"{name} {kind} {SHAPE[0]}x{SHAPE[1]}"}
                for lib_name, res in H.time_side_by_side(fns, repeats=repeats).items():
                    if isinstance(res, Exception):
                        problems.append(f"{lib_name}: {row['case']}: {H.short_error(res)}")
                    else:
                        row[lib_name] = H.stats_dict(res)
                rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


def table(result: dict) -> str:
    headers = ["case", "minitorch µs", "composed µs", "torch µs", "numpy µs", "minitorch/torch", "minitorch/numpy"]
    rows = []
    for r in result["rows"]:
        mt, tc, npv = H.median_us(r, "minitorch"), H.median_us(r, "torch"), H.median_us(r, "numpy")
        rows.append([r["case"], H.fmt_us(mt), H.fmt_us(H.median_us(r, "composed")),
                     H.fmt_us(tc) if result["torch"] else "(skipped)", H.fmt_us(npv),
                     H.fmt_ratio(mt, tc), H.fmt_ratio(mt, npv)])
    return H.markdown_table(headers, rows)


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## Smooth activations\n",
                        f"Median time of one call over {repeats} timed loops (after warm-up; libraries "
                        "interleaved round-robin); ratios > 1 mean minitorch is slower. \"composed\" is the "
                        "backend default the kernel replaces (forward only).\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
