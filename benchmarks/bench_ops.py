"""Per-op overhead: minitorch vs PyTorch vs a hand-written NumPy floor.

    python benchmarks/bench_ops.py                 # 1 and 2 threads, markdown tables
    python benchmarks/bench_ops.py --threads 1     # one configuration
    python benchmarks/bench_ops.py --json out.json # also save the raw numbers

Each thread configuration runs in a fresh subprocess (see ``_harness``); inside it,
every case runs for minitorch, torch (when installed) and NumPy on identical float32
data, one after the other, and reports the median per-call time in µs over 7 timed
loops (IQR in the raw JSON).  Before timing, each library's first result is checked
against NumPy's, so a benchmark never times a wrong answer silently.

The NumPy column is a floor: the same math with no tensor wrapper, no dispatch and no
autograd.  For the "requires_grad" rows it is the plain op (NumPy records no graph);
for forward+backward rows it is the hand-derived gradient.
"""
from __future__ import annotations

import functools
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

B = 64        # batch
LR = 0.01     # SGD step of the MLP case

MATMUL_SHAPES = [((64, 784), (784, 128)), ((64, 128), (128, 10)),
                 ((64, 784), (784, 512)), ((64, 512), (512, 512))]


# ----- the cases --------------------------------------------------------------------------
# A case builds, for one library, a zero-argument callable that does the work once and
# returns its result (a tensor or array, used only for the correctness check).
# ``build_lib(lib, data)`` serves both minitorch and torch (same API);
# ``build_np(np, data)`` is the NumPy floor.

def _data(np):
    rng = np.random.default_rng(0)
    f32 = np.float32
    d = {
        "a": rng.standard_normal((B, 128), dtype=f32),
        "b": rng.standard_normal((B, 128), dtype=f32),
        "idx": rng.integers(0, B, size=B, dtype=np.int64),
        # MLP 784-128-10, batch 64, Kaiming-ish scale so the loss stays finite.
        "x": rng.standard_normal((B, 784), dtype=f32),
        "y": rng.integers(0, 10, size=B, dtype=np.int64),
        "w1": (rng.standard_normal((784, 128), dtype=f32) * f32(0.05)),
        "b1": np.zeros(128, dtype=f32),
        "w2": (rng.standard_normal((128, 10), dtype=f32) * f32(0.1)),
        "b2": np.zeros(10, dtype=f32),
    }
    for (m, k), (_, n) in MATMUL_SHAPES:
        d[f"mm_a_{m}x{k}"] = rng.standard_normal((m, k), dtype=f32)
        d[f"mm_b_{k}x{n}"] = rng.standard_normal((k, n), dtype=f32)
    return d


def _t(lib, arr, grad=False):
    """A library tensor holding a private copy of ``arr``."""
    t = lib.from_numpy(arr.copy())
    return t.requires_grad_() if grad else t


def _binary(op_lib, op_np, grad=False):
    def build_lib(lib, d):
        a, b = _t(lib, d["a"], grad), _t(lib, d["b"], grad)
        return lambda: op_lib(lib, a, b)

    def build_np(np, d):
        a, b = d["a"], d["b"]
        return lambda: op_np(np, a, b)
    return build_lib, build_np


def _unary(op_lib, op_np):
    def build_lib(lib, d):
        a = _t(lib, d["a"])
        return lambda: op_lib(lib, a)

    def build_np(np, d):
        a = d["a"]
        return lambda: op_np(np, a)
    return build_lib, build_np


def _matmul(ka, kb):
    def build_lib(lib, d):
        a, b = _t(lib, d[ka]), _t(lib, d[kb])
        return lambda: a @ b

    def build_np(np, d):
        a, b = d[ka], d[kb]
        return lambda: a @ b
    return build_lib, build_np


def _matmul_fwd_bwd():
    """(x @ w).sum().backward() with w requiring grad; w.grad reset each call."""
    def build_lib(lib, d):
        x, w = _t(lib, d["mm_a_64x784"]), _t(lib, d["mm_b_784x128"], grad=True)

        def run():
            (x @ w).sum().backward()
            g = w.grad
            w.grad = None
            return g
        return run

    def build_np(np, d):
        x, w = d["mm_a_64x784"], d["mm_b_784x128"]

        def run():
            y = x @ w
            y.sum()                      # the forward's loss
            gy = np.ones_like(y)         # d(sum)/dy
            return x.T @ gy              # dL/dw
        return run
    return build_lib, build_np


def _mlp_step():
    """One SGD step of a 784-128-10 MLP on raw tensors, batch 64; returns the loss."""
    def build_lib(lib, d):
        x, y, ar = _t(lib, d["x"]), _t(lib, d["y"]), lib.arange(B)
        params = [_t(lib, d[k], grad=True) for k in ("w1", "b1", "w2", "b2")]
        w1, b1, w2, b2 = params

        def step():
            h = (x @ w1 + b1).relu()
            z = h @ w2 + b2
            loss = z.logsumexp(1).mean() - z[ar, y].mean()
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p -= LR * p.grad
                    p.grad = None
            return loss.detach()
        return step

    def build_np(np, d):
        x, y = d["x"], d["y"]
        w1, b1, w2, b2 = (d[k].copy() for k in ("w1", "b1", "w2", "b2"))
        ar = np.arange(B)

        def step():
            nonlocal w1, b1, w2, b2  # updated in place below
            # forward
            hpre = x @ w1 + b1
            h = np.maximum(hpre, 0)
            z = h @ w2 + b2
            m = z.max(axis=1, keepdims=True)
            e = np.exp(z - m)
            s = e.sum(axis=1, keepdims=True)
            loss = (np.log(s) + m).mean() - z[ar, y].mean()
            # backward: dL/dz = (softmax(z) - onehot(y)) / B
            dz = e / s
            dz[ar, y] -= 1
            dz /= B
            dw2 = h.T @ dz
            db2 = dz.sum(axis=0)
            dh = dz @ w2.T
            dh[hpre <= 0] = 0
            dw1 = x.T @ dh
            db1 = dh.sum(axis=0)
            # SGD, in place
            w1 -= LR * dw1
            b1 -= LR * db1
            w2 -= LR * dw2
            b2 -= LR * db2
            return loss
        return step
    return build_lib, build_np


def _index_case():
    def build_lib(lib, d):
        a, idx = _t(lib, d["a"]), _t(lib, d["idx"])
        return lambda: a[idx]

    def build_np(np, d):
        a, idx = d["a"], d["idx"]
        return lambda: a[idx]
    return build_lib, build_np


MLP_NAME = "MLP 784-128-10 SGD step, batch 64 (fwd+bwd+update)"

CASES = [
    ("a + b  [64,128]", *_binary(lambda lib, a, b: a + b, lambda np, a, b: a + b)),
    ("a + b  [64,128] requires_grad", *_binary(lambda lib, a, b: a + b, lambda np, a, b: a + b,
                                               grad=True)),
    *[(f"a @ b  [{m},{k}]@[{k},{n}]", *_matmul(f"mm_a_{m}x{k}", f"mm_b_{k}x{n}"))
      for (m, k), (_, n) in MATMUL_SHAPES],
    ("(x @ w).sum().backward()  [64,784]@[784,128]", *_matmul_fwd_bwd()),
    ("relu  [64,128]", *_unary(lambda lib, a: a.relu(), lambda np, a: np.maximum(a, 0))),
    ("sigmoid  [64,128]", *_unary(lambda lib, a: a.sigmoid(),
                                  lambda np, a: 1 / (1 + np.exp(-a)))),
    ("exp  [64,128]", *_unary(lambda lib, a: a.exp(), lambda np, a: np.exp(a))),
    ("sum(dim=1)  [64,128]", *_unary(lambda lib, a: a.sum(dim=1), lambda np, a: a.sum(axis=1))),
    ("mean()  [64,128]", *_unary(lambda lib, a: a.mean(), lambda np, a: a.mean())),
    ("x[idx]  [64,128], int64 idx[64]", *_index_case()),
    ("cat([a, b])  2x[64,128]", *_binary(lambda lib, a, b: lib.cat([a, b]),
                                         lambda np, a, b: np.concatenate([a, b]))),
    (MLP_NAME, *_mlp_step()),
]


# ----- worker: runs in a thread-configured subprocess -------------------------------------


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
            row, found = H.time_checked_case(name, build_np(np, _data(np))(), build_np(np, d), builders, repeats,
                                             rtol=1e-3, atol=1e-4)  # fresh data: the MLP case updates its weights
            problems += found
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


# ----- parent: runs the workers and prints the tables ------------------------------------

def ops_table(result: dict) -> str:
    has_torch = result["torch"] is not None
    headers = ["op", "minitorch µs", "torch µs", "numpy µs", "minitorch/torch", "minitorch/numpy"]
    rows = []
    for r in result["rows"]:
        mt, tc, npv = H.median_us(r, "minitorch"), H.median_us(r, "torch"), H.median_us(r, "numpy")
        rows.append([r["name"], "FAILED" if "minitorch_error" in r else H.fmt_us(mt),
                     H.fmt_us(tc) if has_torch else "(skipped)", H.fmt_us(npv),
                     H.fmt_ratio(mt, tc), H.fmt_ratio(mt, npv)])
    return H.markdown_table(headers, rows)


def mlp_table(results: list[dict]) -> str:
    headers = ["threads", "minitorch samples/s", "torch samples/s", "numpy samples/s",
               "minitorch/torch", "minitorch/numpy", "background load (cores)"]
    rows = []
    for res in results:
        r = next(r for r in res["rows"] if r["name"] == MLP_NAME)
        sps = {lib: (None if H.median_us(r, lib) is None else B / (H.median_us(r, lib) * 1e-6))
               for lib in ("minitorch", "torch", "numpy")}

        def f(v):
            return "—" if v is None else f"{v:,.0f}"
        rows.append([res["threads"], f(sps["minitorch"]), f(sps["torch"]), f(sps["numpy"]),
                     H.fmt_ratio(sps["minitorch"], sps["torch"]),
                     H.fmt_ratio(sps["minitorch"], sps["numpy"]),
                     "?" if res["background_cores"] is None else f"{res['background_cores']:.2f}"])
    return H.markdown_table(headers, rows)


def run(thread_counts=(1, 2), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration; return (markdown report, raw results).

    wait_quiet_s: before each configuration, wait up to this long for the machine's
    background load to drop below 0.25 cores (see _harness.wait_for_quiet).
    """
    results = []
    for n in thread_counts:
        H.wait_for_quiet(wait_quiet_s)
        results.append(H.run_worker(__file__, n, ["--repeats", str(repeats)]))
    parts = ["## Per-op overhead\n",
             f"Median per-call time of {repeats} timed loops (each loop >= 20 ms, after warm-up; "
             "the libraries' loops interleaved round-robin), float32; ratios > 1 mean minitorch "
             "is slower. Each thread count ran in its own fresh process.\n"]
    for res in results:
        parts.append(f"### {res['threads']} thread{'s' if res['threads'] > 1 else ''}\n")
        parts.append(H.load_note(res["background_cores"], res["threads"]) + "\n")
        parts.append(ops_table(res) + "\n")
    parts.append("### MLP training step throughput (784-128-10, batch 64, raw tensors + manual SGD)\n")
    parts.append(mlp_table(results) + "\n")
    problems = [f"[{res['threads']} thr] {p}" for res in results for p in res["problems"]]
    if problems:
        parts.append("### Problems found\n")
        parts.extend(f"- {p}" for p in problems)
        parts.append("")
    return "\n".join(parts), results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--repeats", type=int, default=7, help="timed loops per case (default 7)")
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="S",
                    help="wait up to S seconds for other processes to go quiet before each "
                         "thread configuration (default 0: do not wait)")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats)))
        return
    report, results = run(tuple(int(t) for t in args.threads.split(",")), args.repeats,
                          args.wait_quiet)
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
