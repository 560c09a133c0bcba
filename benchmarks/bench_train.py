"""Training-step throughput of full models: nn layers, loss, Adam, side by side.

(a) the tutorial MNIST MLP: Flatten-Linear(784,128)-ReLU-Dropout(0.2)-Linear(128,10)-
    LogSoftmax, NLLLoss, Adam(1e-3), batch 64;
(b) a 784-512-512-10 ReLU MLP, CrossEntropyLoss, Adam(1e-3), batch 64 and 256;
(c) the CNN of examples/mnist/train.py (two conv/ReLU/pool blocks, dropout, two Linear),
    NLLLoss, Adam(1e-3), batch 64 (no NumPy floor: it would need a convolution by hand);
and (b)'s model for inference: eval mode, one forward under no_grad, batch 1000.
Each training step: zero_grad, forward, loss, backward, optimizer.step. minitorch and torch
run the same model code; the NumPy floor is the same math written by hand (BLAS
products, one fused-as-NumPy-allows Adam update per parameter). Prints samples/s.

    python benchmarks/bench_train.py [--threads 1,2] [--repeats 5] [--cases c,b256] [--json raw.json]

On a many-core machine: ``--threads 1,4,16`` (the environment passes through, so
``MINITORCH_MIN_WORK_PER_THREAD`` / ``MINITORCH_BLAS`` settings can be compared).
"""
from __future__ import annotations

import argparse
import json

import _harness as H

CASES = [("(a) MLP 784-128-10 + dropout, NLLLoss, Adam, bs 64", "a", 64),
         ("(b) MLP 784-512-512-10, CrossEntropyLoss, Adam, bs 64", "b", 64),
         ("(b) MLP 784-512-512-10, CrossEntropyLoss, Adam, bs 256", "b", 256),
         ("(c) the MNIST example's CNN, NLLLoss, Adam, bs 64", "c", 64),
         ("(b) inference (eval, no_grad forward), bs 1000", "i", 1000)]


def _model(lib, kind):
    nn = lib.nn
    if kind == "c":  # examples/mnist/train.py's cnn()
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(),
                             nn.Dropout(0.25), nn.Linear(128, 10), nn.LogSoftmax(dim=1)), nn.NLLLoss()
    if kind == "a":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(128, 10), nn.LogSoftmax(dim=1)), nn.NLLLoss()
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10)), nn.CrossEntropyLoss()


def _lib_step(lib, kind, batch, np):
    lib.manual_seed(0)
    if kind == "i":
        return _lib_inference(lib, batch, np)
    model, loss_fn = _model(lib, kind)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def _lib_inference(lib, batch, np):
    """(b)'s model in eval mode, one forward under no_grad."""
    model, _ = _model(lib, "b")
    model.eval()
    x = lib.tensor(np.random.default_rng(0).standard_normal((batch, 1, 28, 28)).astype(np.float32))

    def forward():
        with lib.no_grad():
            return model(x)
    return forward


def _numpy_inference(batch, np):
    """The same forward by hand: three BLAS products, bias adds, ReLUs."""
    rng = np.random.default_rng(0)
    sizes = [784, 512, 512, 10]
    layers = [(rng.uniform(-1, 1, (o, i)).astype(np.float32) / np.float32(np.sqrt(i)),
               rng.uniform(-1, 1, o).astype(np.float32) / np.float32(np.sqrt(i)))
              for i, o in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((batch, 784)).astype(np.float32)

    def forward():
        h = x
        for k, (w, b) in enumerate(layers):
            h = h @ w.T
            h += b
            if k < len(layers) - 1:
                np.maximum(h, 0, out=h)
        return h
    return forward


def _numpy_step(kind, batch, np):
    """The same training step by hand: forward, softmax-cross-entropy backward, Adam."""
    rng = np.random.default_rng(0)
    sizes = [784, 128, 10] if kind == "a" else [784, 512, 512, 10]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    x = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    state = {"t": 0}
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8

    def step(x=x, y=y):
        batch = len(y)
        acts, masks = [x], []
        h = x
        n_layers = len(params) // 2
        for i in range(n_layers):
            w, b = params[2 * i], params[2 * i + 1]
            h = h @ w.T + b
            if i < n_layers - 1:
                h = np.maximum(h, 0)
                if kind == "a":
                    mask = (rng.random(h.shape) >= 0.2) / np.float32(0.8)
                    h = h * mask
                    masks.append(mask)
                acts.append(h)
        z = h - h.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        loss = -logp[np.arange(batch), y].mean()
        g = np.exp(logp)
        g[np.arange(batch), y] -= 1
        g /= batch
        grads = [None] * len(params)
        for i in reversed(range(n_layers)):
            grads[2 * i] = g.T @ acts[i]
            grads[2 * i + 1] = g.sum(0)
            if i:
                g = g @ params[2 * i]
                if kind == "a":
                    g = g * masks[i - 1]
                g = g * (acts[i] > 0)
        state["t"] += 1
        t = state["t"]
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        for p, gr, mi, vi in zip(params, grads, m, v):
            mi *= b1
            mi += (1 - b1) * gr
            vi *= b2
            vi += (1 - b2) * gr * gr
            p -= (lr / c1) * mi / (np.sqrt(vi / c2) + eps)
        return loss
    return step


def worker(threads: int, repeats: int, cases: str = "") -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    rows = []
    with H.LoadMonitor() as load:
        for name, kind, batch in CASES:
            if cases and f"{kind}{batch}" not in cases.split(",") and kind not in cases.split(","):
                continue
            fns = {"minitorch": _lib_step(minitorch, kind, batch, np)}
            if kind == "i":
                fns["numpy"] = _numpy_inference(batch, np)
            elif kind != "c":  # no hand-written NumPy convolution floor for the CNN
                fns["numpy"] = _numpy_step(kind, batch, np)
            if torch is not None:
                fns["torch"] = _lib_step(torch, kind, batch, np)
            stats = H.time_side_by_side(fns, repeats=repeats, min_loop_s=0.2)
            row = {"name": name, "batch": batch}
            for lib, res in stats.items():
                row[lib] = None if isinstance(res, Exception) else batch / (res.median_us * 1e-6)
                if isinstance(res, Exception):
                    row[lib + "_error"] = repr(res)[:200]
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows}


def table(result: dict) -> str:
    return H.library_table("workload", "samples/s", result["rows"], lambda v: f"{v:,.0f}")


def run_results(thread_counts=(1, 2), repeats: int = 5, cases: str = "") -> tuple[str, list[dict]]:
    """The report and the raw results (one dict per thread count, for run_all.py --plot)."""
    header = "## Training steps (samples/s, higher is better; ratios > 1 mean minitorch is faster)\n"
    extra = ["--cases", cases] if cases else []
    return H.report_by_threads(__file__, thread_counts, repeats, 0, header, table, extra, timeout=1200)


def run(thread_counts=(1, 2), repeats: int = 5) -> str:
    return run_results(thread_counts, repeats)[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cases", default="", help="comma-separated workloads to run: a, b, c, i (all batch sizes) "
                                                "or kind+batch such as b256 (default: all)")
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats, args.cases)))
        return
    print(H.machine_info_markdown())
    report, results = run_results(tuple(int(t) for t in args.threads.split(",")), args.repeats, args.cases)
    print(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
