"""One Adam step: minitorch.optim.Adam vs torch.optim.Adam vs a hand-written NumPy Adam.

    python benchmarks/bench_optim.py                 # 1 thread, markdown table
    python benchmarks/bench_optim.py --threads 1,2   # more thread configurations
    python benchmarks/bench_optim.py --json out.json # also save the raw numbers

The work is one ``optimizer.step()`` over the parameters (weights and biases) of an
MLP, with fixed float32 gradients already on ``.grad``: 784-128-10 (the MNIST model,
~102k parameters in 4 tensors) and 784-512-512-10 (~670k in 6 tensors). torch runs
with its defaults (``foreach=None``, which on CPU tensors is the single-tensor loop).
The NumPy floor is the same Adam written with in-place ufuncs and one preallocated
temporary per parameter: the fastest plain NumPy, no wrapper or dispatch.

Before timing, each library takes 3 steps from the same start and its parameters are
compared with NumPy's. Then each column's median per-step time over the timed loops
(see ``_harness``); the libraries' loops are interleaved round-robin. "first step" is
minitorch's first ``step()`` in the fresh worker process (state allocation plus
loading the numba kernel from its on-disk cache, or compiling it when the cache is cold).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

MODELS = {"784-128-10": (784, 128, 10), "784-512-512-10": (784, 512, 512, 10)}
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
CHECK_STEPS = 3


def _model_arrays(np, sizes):
    """(params, grads): float32 weights (out, in) and biases of an MLP, and fixed gradients."""
    rng = np.random.default_rng(0)
    params, grads = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        for shape in ((fan_out, fan_in), (fan_out,)):
            params.append((rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32))
            grads.append((rng.standard_normal(shape) * 1e-2).astype(np.float32))
    return params, grads


def _build_lib(lib, params, grads):
    """lib.optim.Adam over leaf tensors holding copies of params, .grad set once."""
    tensors = []
    for p, g in zip(params, grads):
        t = lib.tensor(p.copy(), requires_grad=True)
        t.grad = lib.tensor(g.copy())
        tensors.append(t)
    opt = lib.optim.Adam(tensors, lr=LR, betas=BETAS, eps=EPS)
    return opt.step, lambda: [t.detach().numpy().copy() for t in tensors]


def _build_numpy(np, params, grads):
    """Adam by hand: in-place ufuncs, state and one temporary preallocated per parameter."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    tmp = [np.empty_like(p) for p in params]
    beta1, beta2 = BETAS
    t = 0

    def step():
        nonlocal t
        t += 1
        step_size = LR / (1 - beta1 ** t)
        bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5
        for p, g, m_, v_, tmp_ in zip(params, grads, m, v, tmp):
            m_ *= beta1                                  # m = beta1 m + (1 - beta1) g
            np.multiply(g, 1 - beta1, out=tmp_)
            m_ += tmp_
            v_ *= beta2                                  # v = beta2 v + (1 - beta2) g^2
            np.multiply(g, g, out=tmp_)
            tmp_ *= 1 - beta2
            v_ += tmp_
            np.sqrt(v_, out=tmp_)                        # denom = sqrt(v) / sqrt(bc2) + eps
            tmp_ /= bias_correction2_sqrt
            tmp_ += EPS
            np.divide(m_, tmp_, out=tmp_)                # p -= step_size * m / denom
            tmp_ *= -step_size
            p += tmp_
    return step, lambda: [p.copy() for p in params]


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch
    import minitorch.optim  # noqa: F401 - makes minitorch.optim an attribute

    libs = [("minitorch", minitorch)] + ([("torch", torch)] if torch is not None else [])
    rows, problems = [], []
    with H.LoadMonitor() as load:
        for model, sizes in MODELS.items():
            params, grads = _model_arrays(np, sizes)
            row = {"model": model, "numel": int(sum(p.size for p in params)),
                   "tensors": len(params)}
            ref_step, ref_values = _build_numpy(np, params, grads)
            for _ in range(CHECK_STEPS):
                ref_step()
            expected = ref_values()
            fns = {}
            for lib_name, lib in libs + [("numpy", None)]:
                try:
                    step, values = (_build_numpy(np, params, grads) if lib is None
                                    else _build_lib(lib, params, grads))
                    t0 = time.perf_counter()
                    step()
                    if lib_name == "minitorch":
                        row["first_step_ms"] = (time.perf_counter() - t0) * 1e3
                    for _ in range(CHECK_STEPS - 1):
                        step()
                    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(values(), expected))
                    if diff > 1e-6:
                        problems.append(f"{lib_name}: {model}: parameters differ from NumPy's "
                                        f"after {CHECK_STEPS} steps (max abs diff {diff:.3g})")
                    fns[lib_name] = step
                except Exception as exc:  # report, do not work around
                    row[lib_name + "_error"] = H.short_error(exc)
                    problems.append(f"{lib_name}: {model}: {H.short_error(exc)}")
            for lib_name, res in H.time_side_by_side(fns, repeats=repeats).items():
                if isinstance(res, Exception):
                    row[lib_name + "_error"] = H.short_error(res)
                    problems.append(f"{lib_name}: {model} (timed loop): {H.short_error(res)}")
                else:
                    row[lib_name] = H.stats_dict(res)
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


def table(result: dict) -> str:
    headers = ["model (params)", "minitorch µs", "torch µs", "numpy µs", "minitorch/torch",
               "minitorch/numpy", "minitorch first step ms"]
    rows = []
    for r in result["rows"]:
        mt, tc, npv = H.median_us(r, "minitorch"), H.median_us(r, "torch"), H.median_us(r, "numpy")
        first = r.get("first_step_ms")
        rows.append([f"{r['model']} ({r['numel']:,} in {r['tensors']} tensors)",
                     "FAILED" if "minitorch_error" in r else H.fmt_us(mt),
                     H.fmt_us(tc) if result["torch"] else "(skipped)", H.fmt_us(npv),
                     H.fmt_ratio(mt, tc), H.fmt_ratio(mt, npv),
                     "—" if first is None else f"{first:.1f}"])
    return H.markdown_table(headers, rows)


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## Optimizer step (Adam)\n",
             f"Median time of one `optimizer.step()` over {repeats} timed loops (each >= 20 ms, "
             "after warm-up; libraries interleaved round-robin), float32, gradients fixed; "
             "ratios > 1 mean minitorch is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
