"""Where the time of one training step goes: the account the CPU-speed issue asks for.

For the workloads of bench_train.py, one thread, this measures
  - the step time, uninstrumented (median of several loops);
  - the time spent inside the CPU op table, by kind: BLAS (matmul), numba kernels
    (the fused passes: relu, softmax/NLL, the optimizer steps, ...), NumPy (ufuncs,
    reductions, copies), found by timing every op-table call of the same steps;
  - Python framework overhead = step time - op-table time (the autograd graph, the
    Tensor layer, modules, the optimizer loop), corrected for the instrumentation's
    own cost per call (measured on an empty wrapper);
  - page faults per step (getrusage), with the CPU backend's buffer pool on and off
    (``--no-pool`` runs the same account with the pool disabled: the "before").

    python benchmarks/profile_step.py [--no-pool] [--steps 50] [--by-op]
"""
from __future__ import annotations

import argparse
import functools
import json
import resource
import statistics
import sys
import time

import _harness as H

NUMBA_METHODS = {"conv2d", "conv2d_input_grad", "conv2d_weight_grad", "max_pool2d", "max_pool2d_backward",
                 "relu_backward", "tanh_backward", "sigmoid_backward", "log_softmax", "log_softmax_backward",
                 "softmax", "softmax_backward", "nll_forward", "nll_backward", "dropout", "masked_scale",
                 "sgd_step", "adam_step", "adadelta_step", "rmsprop_step", "logsumexp_lastdim", "gelu",
                 "gelu_backward", "leaky_relu", "leaky_relu_backward", "index_put_add"}


def _category(name: str, args) -> str:
    if name == "matmul":
        return "BLAS"
    if name in NUMBA_METHODS or (name == "unary" and args and args[0] == "relu"):
        return "numba kernels"
    return "NumPy"


def account(kind: str, batch: int, steps: int, pool: bool) -> dict:
    import numpy as np

    import minitorch
    from bench_train import _lib_step
    from minitorch._backends import cpu as cpu_backend
    try:
        from minitorch._backends.cpu import _pool
    except ImportError:  # a checkout from before the pool (for before/after accounts)
        _pool = None
    if not pool and _pool is not None:
        _pool.THRESHOLD = 1 << 62
    step = _lib_step(minitorch, kind, batch, np)
    for _ in range(10):
        step()

    def loop_times():
        out = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(steps):
                step()
            out.append((time.perf_counter() - start) / steps)
        return statistics.median(out)

    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    total = loop_times()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / (5 * steps)

    cls = type(cpu_backend)
    spent: dict = {}
    by_op: dict = {}
    calls = [0]
    originals = {}
    for name in dir(cls):
        fn = getattr(cls, name)
        if name.startswith("_") or not callable(fn) or isinstance(fn, type):
            continue
        originals[name] = fn

        def timed(self, *args, _fn=fn, _name=name, **kwargs):
            start = time.perf_counter()
            try:
                return _fn(self, *args, **kwargs)
            finally:
                took = time.perf_counter() - start
                cat = _category(_name, args)
                spent[cat] = spent.get(cat, 0.0) + took
                op = f"{_name}:{args[0]}" if args and isinstance(args[0], str) else _name
                by_op[op] = by_op.get(op, 0.0) + took
                calls[0] += 1
        setattr(cls, name, functools.wraps(fn)(timed))
    try:
        for _ in range(3):
            step()
        spent.clear()
        by_op.clear()
        calls[0] = 0
        start = time.perf_counter()
        for _ in range(steps):
            step()
        instrumented = (time.perf_counter() - start) / steps
    finally:
        for name, fn in originals.items():
            setattr(cls, name, fn)
    per_step = {k: v / steps for k, v in spent.items()}
    n_calls = calls[0] / steps
    # What one wrapper costs: an instrumented call of a method that does nothing.
    probe = type("Probe", (), {"f": lambda self: None})()
    wrapped = functools.wraps(probe.f)(lambda *a, _f=probe.f: (time.perf_counter(), _f(), time.perf_counter()))
    t0 = time.perf_counter()
    for _ in range(100_000):
        wrapped()
    wrapper_cost = (time.perf_counter() - t0) / 100_000
    inside = sum(per_step.values())
    python = max(total - inside, 0.0)
    return {"workload": f"({kind}) bs {batch}", "pool": pool, "step_ms": total * 1e3,
            "samples_per_s": batch / total, "faults_per_step": faults, "op_calls_per_step": n_calls,
            "instrumented_ms": instrumented * 1e3, "wrapper_us": wrapper_cost * 1e6,
            "parts_ms": {**{k: v * 1e3 for k, v in sorted(per_step.items())}, "Python framework": python * 1e3},
            "by_op_us": {k: v / steps * 1e6 for k, v in sorted(by_op.items(), key=lambda kv: -kv[1])}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pool", action="store_true")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--by-op", action="store_true", help="also print each op-table method's time per step")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, batch = args.spec.split(":")
        H.setup_worker_threads(int(args.worker))
        print(json.dumps(account(kind, int(batch), args.steps, not args.no_pool)))
        return 0
    rows = []
    for spec in ("a:64", "b:64", "b:256", "c:64"):
        extra = ["--no-pool"] if args.no_pool else []
        rows.append(H.run_worker(__file__, 1, ["--spec", spec, "--steps", str(args.steps), *extra]))
    cats = ["BLAS", "numba kernels", "NumPy", "Python framework"]
    info = H.machine_info()
    print(f"one thread, buffer pool {'off' if args.no_pool else 'on'}; {info['cpu']}, {info['date']}")
    headers = ["workload", "step ms", "samples/s", "page faults/step", "op calls/step"] + [f"{c} ms" for c in cats]
    table_rows = [[r["workload"], f"{r['step_ms']:.2f}", f"{r['samples_per_s']:,.0f}", f"{r['faults_per_step']:.0f}",
                   f"{r['op_calls_per_step']:.0f}"] + [f"{r['parts_ms'].get(c, 0.0):.2f}" for c in cats]
                  for r in rows]
    print(H.markdown_table(headers, table_rows))
    if args.by_op:
        for r in rows:
            print(f"\n{r['workload']}: op-table time per step by method (µs)")
            print(H.markdown_table(["method", "µs/step"], [[k, f"{v:.1f}"] for k, v in r["by_op_us"].items()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
