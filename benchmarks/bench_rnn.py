"""LSTM forward + backward: minitorch.nn.LSTM vs torch.nn.LSTM vs a hand-written NumPy LSTM.

    python benchmarks/bench_rnn.py                 # 1 thread, markdown table
    python benchmarks/bench_rnn.py --threads 1,2   # more thread configurations
    python benchmarks/bench_rnn.py --json out.json # also save the raw numbers

The work is one forward and backward pass of a two-layer float32 LSTM over a
(35, 20, size) input (sequence 35, batch 20: the word_language_model example's
``--bptt`` and ``--batch_size``), with a fixed upstream gradient on the output:
size 200 (the example's default ``--emsize``/``--nhid``) and 650 (its "medium" model).
The input requires grad (in the example it is the embedding's output).

The NumPy floor is the same computation written by hand with BLAS and nothing else: the
input projection of all steps in one GEMM per layer, per step one GEMM and the gate math
(NumPy's float32 exp/tanh), then backpropagation through time with one GEMM per step and
the weight gradients as one GEMM each. torch runs its own CPU kernels (oneDNN's LSTM
for float32).

Before timing, minitorch's gradients are compared with the floor's and torch's. Then
each column's median per-pass time over the timed loops (see ``_harness``); the
libraries' loops are interleaved round-robin. "first pass" is minitorch's first
forward + backward in the fresh worker process.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

STEPS, BATCH, LAYERS = 35, 20, 2
SIZES = (200, 650)


def _sigmoid(np, x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_floor(np, x, layers, dy):
    """Forward and backward of a stacked LSTM, x (T, B, I), layers [(w_ih, w_hh, b_ih, b_hh)],
    dy (T, B, H) the output's gradient. Returns (output, [(dw_ih, dw_hh, db) per layer], dx);
    db is the gradient of both biases (they enter the gates the same way)."""
    T, B, _ = x.shape
    caches, inp = [], x
    for w_ih, w_hh, b_ih, b_hh in layers:
        H4 = w_hh.shape[0]
        n = H4 // 4
        gx = (inp.reshape(T * B, -1) @ w_ih.T + b_ih).reshape(T, B, H4)
        hs = np.zeros((T + 1, B, n), x.dtype)
        cs = np.zeros((T + 1, B, n), x.dtype)
        acts = np.empty((T, B, H4), x.dtype)
        tcs = np.empty((T, B, n), x.dtype)
        for t in range(T):
            g = hs[t] @ w_hh.T
            g += b_hh
            g += gx[t]
            a = acts[t]
            a[:, :2 * n] = _sigmoid(np, g[:, :2 * n])
            a[:, 2 * n:3 * n] = np.tanh(g[:, 2 * n:3 * n])
            a[:, 3 * n:] = _sigmoid(np, g[:, 3 * n:])
            cs[t + 1] = a[:, n:2 * n] * cs[t] + a[:, :n] * a[:, 2 * n:3 * n]
            tcs[t] = np.tanh(cs[t + 1])
            hs[t + 1] = a[:, 3 * n:] * tcs[t]
        caches.append((inp, hs, cs, acts, tcs))
        inp = hs[1:]
    grads, d_out = [], dy
    for (w_ih, w_hh, _, _), (inp, hs, cs, acts, tcs) in zip(layers[::-1], caches[::-1]):
        n = w_hh.shape[1]
        dgates = np.empty_like(acts)
        dh = np.zeros((B, n), x.dtype)
        dc = np.zeros((B, n), x.dtype)
        for t in range(T - 1, -1, -1):
            dh = dh + d_out[t]
            a = acts[t]
            i, f, g, o = a[:, :n], a[:, n:2 * n], a[:, 2 * n:3 * n], a[:, 3 * n:]
            tc = tcs[t]
            dc = dc + dh * o * (1 - tc * tc)
            dg = dgates[t]
            dg[:, :n] = dc * g * i * (1 - i)
            dg[:, n:2 * n] = dc * cs[t] * f * (1 - f)
            dg[:, 2 * n:3 * n] = dc * i * (1 - g * g)
            dg[:, 3 * n:] = dh * tc * o * (1 - o)
            dc = dc * f
            dh = dg @ w_hh
        flat = dgates.reshape(T * B, -1)
        grads.append((flat.T @ inp.reshape(T * B, -1), flat.T @ hs[:-1].reshape(T * B, n), flat.sum(0)))
        d_out = (flat @ w_ih).reshape(T, B, -1)
    return inp, grads[::-1], d_out


def _case(np, size):
    rng = np.random.default_rng(size)
    bound = 1 / np.sqrt(size)
    layers = [tuple(rng.uniform(-bound, bound, shape).astype(np.float32)
                    for shape in ((4 * size, size), (4 * size, size), (4 * size,), (4 * size,)))
              for _ in range(LAYERS)]
    x = rng.standard_normal((STEPS, BATCH, size)).astype(np.float32)
    dy = rng.standard_normal((STEPS, BATCH, size)).astype(np.float32)
    return layers, x, dy


def _build_lib(lib, layers, x, dy, size):
    """lib.nn.LSTM with the given weights; a pass is forward + backward from dy."""
    model = lib.nn.LSTM(size, size, num_layers=LAYERS)
    with lib.no_grad():
        for layer, weights in enumerate(layers):
            for name, w in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), weights):
                getattr(model, f"{name}_l{layer}").copy_(lib.tensor(w))
    xt = lib.tensor(x, requires_grad=True)
    dyt = lib.tensor(dy)

    def step():
        out, _ = model(xt)
        out.backward(dyt)

    def grads():
        return [p.grad.numpy().copy() for p in model.parameters()] + [xt.grad.numpy().copy()]

    def reset():
        model.zero_grad()
        xt.grad = None
    return step, grads, reset


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    libs = [("minitorch", minitorch)] + ([("torch", torch)] if torch is not None else [])
    rows, problems = [], []
    with H.LoadMonitor() as load:
        for size in SIZES:
            row = {"size": size}
            layers, x, dy = _case(np, size)
            _, ref_grads, ref_dx = lstm_floor(np, x, layers, dy)
            expected = [g for dw_ih, dw_hh, db in ref_grads for g in (dw_ih, dw_hh, db, db)] + [ref_dx]
            fns = {"numpy": lambda layers=layers, x=x, dy=dy: lstm_floor(np, x, layers, dy)}
            for lib_name, lib in libs:
                try:
                    step, grads, reset = _build_lib(lib, layers, x, dy, size)
                    t0 = time.perf_counter()
                    step()
                    if lib_name == "minitorch":
                        row["first_pass_ms"] = (time.perf_counter() - t0) * 1e3
                    diff = max(float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-12))
                               for a, b in zip(grads(), expected))
                    if diff > 1e-4:
                        problems.append(f"{lib_name}: size {size}: gradients differ from the NumPy floor's "
                                        f"(max relative diff {diff:.3g})")
                    reset()
                    fns[lib_name] = step
                except Exception as exc:  # report, do not work around
                    row[lib_name + "_error"] = H.short_error(exc)
                    problems.append(f"{lib_name}: size {size}: {H.short_error(exc)}")
            order = [name for name in ("minitorch", "torch", "numpy") if name in fns]
            for lib_name, res in H.time_side_by_side({k: fns[k] for k in order}, repeats=repeats,
                                                     min_loop_s=0.1).items():
                if isinstance(res, Exception):
                    row[lib_name + "_error"] = H.short_error(res)
                    problems.append(f"{lib_name}: size {size} (timed loop): {H.short_error(res)}")
                else:
                    row[lib_name] = H.stats_dict(res)
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


def table(result: dict) -> str:
    headers = ["2-layer LSTM, seq 35, batch 20, fwd+bwd", "minitorch ms", "torch ms", "numpy ms",
               "minitorch/torch", "minitorch/numpy", "minitorch first pass ms"]
    rows = []
    for r in result["rows"]:
        mt, tc, npv = H.median_us(r, "minitorch"), H.median_us(r, "torch"), H.median_us(r, "numpy")
        first = r.get("first_pass_ms")
        rows.append([f"input = hidden = {r['size']}",
                     "FAILED" if "minitorch_error" in r else H.fmt_us(None if mt is None else mt / 1e3),
                     H.fmt_us(None if tc is None else tc / 1e3) if result["torch"] else "(skipped)",
                     H.fmt_us(None if npv is None else npv / 1e3),
                     H.fmt_ratio(mt, tc), H.fmt_ratio(mt, npv), "—" if first is None else f"{first:.1f}"])
    return H.markdown_table(headers, rows)


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## Recurrent layers (LSTM)\n",
             f"Median time of one forward + backward pass over {repeats} timed loops (each >= 100 ms, "
             "after warm-up; libraries interleaved round-robin), float32; ratios > 1 mean minitorch "
             "is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
