"""One step of the optimizers written in Tensor ops (Adagrad, Adamax, NAdam, RAdam, ASGD,
Rprop) against torch.optim's, and Adam (minitorch's fused numba pass) for reference.

    python benchmarks/bench_optim_tensor_steps.py                 # 1 thread, markdown table
    python benchmarks/bench_optim_tensor_steps.py --json out.json # also save the raw numbers

The work is one ``optimizer.step()`` over the parameters of the 784-128-10 MNIST MLP
(~102k float32 parameters in 4 tensors) with fixed gradients on ``.grad``; torch runs its
defaults (the single-tensor loop on CPU tensors). Before timing, both libraries take 3 steps
from the same start and their parameters are compared. There is no NumPy floor here: the
point is the cost of composing a step from generic in-place ops (each a temporary and a
copy) instead of one fused kernel, next to PyTorch's own composition of the same ops.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

SIZES = (784, 128, 10)
OPTIMIZERS = {"Adam": {}, "Adagrad": {}, "Adamax": {}, "NAdam": {}, "RAdam": {}, "ASGD": {}, "Rprop": {}}
CHECK_STEPS = 3


def _arrays(np):
    rng = np.random.default_rng(0)
    params, grads = [], []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        for shape in ((fan_out, fan_in), (fan_out,)):
            params.append((rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32))
            grads.append((rng.standard_normal(shape) * 1e-2).astype(np.float32))
    return params, grads


def _build(lib, name, params, grads):
    tensors = []
    for p, g in zip(params, grads):
        t = lib.tensor(p.copy(), requires_grad=True)
        t.grad = lib.tensor(g.copy())
        tensors.append(t)
    opt = getattr(lib.optim, name)(tensors, **OPTIMIZERS[name])
    return opt.step, lambda: [t.detach().numpy().copy() for t in tensors]


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch
    import minitorch.optim  # noqa: F401

    libs = [("minitorch", minitorch)] + ([("torch", torch)] if torch is not None else [])
    rows, problems = [], []
    params, grads = _arrays(np)
    with H.LoadMonitor() as load:
        for name in OPTIMIZERS:
            row = {"optimizer": name}
            fns, values = {}, {}
            for lib_name, lib in libs:
                try:
                    step, get = _build(lib, name, params, grads)
                    for _ in range(CHECK_STEPS):
                        step()
                    values[lib_name] = get()
                    fns[lib_name] = step
                except Exception as exc:  # report, do not work around
                    row[lib_name + "_error"] = H.short_error(exc)
                    problems.append(f"{lib_name}: {name}: {H.short_error(exc)}")
            if len(values) == 2:
                diff = max(float(np.max(np.abs(a - b))) for a, b in zip(values["minitorch"], values["torch"]))
                if diff > 1e-5:
                    problems.append(f"{name}: minitorch's parameters differ from torch's by {diff:.3g}")
            for lib_name, res in H.time_side_by_side(fns, repeats=repeats).items():
                if isinstance(res, Exception):
                    problems.append(f"{lib_name}: {name} (timed loop): {H.short_error(res)}")
                else:
                    row[lib_name] = H.stats_dict(res)
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


def table(result: dict) -> str:
    headers = ["optimizer", "minitorch µs", "torch µs", "minitorch/torch"]
    rows = []
    for r in result["rows"]:
        mt, tc = H.median_us(r, "minitorch"), H.median_us(r, "torch")
        rows.append([r["optimizer"], "FAILED" if "minitorch_error" in r else H.fmt_us(mt),
                     H.fmt_us(tc) if result["torch"] else "(skipped)", H.fmt_ratio(mt, tc)])
    return H.markdown_table(headers, rows)


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## Optimizer step (Tensor-op optimizers)\n",
                        f"Median time of one `optimizer.step()` over {repeats} timed loops, 784-128-10 "
                        "MLP, float32, gradients fixed; ratios > 1 mean minitorch is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
