"""MultiheadAttention and layer_norm, forward + backward: minitorch vs PyTorch vs a NumPy floor.

    python benchmarks/bench_attention.py                 # 1 thread, markdown table
    python benchmarks/bench_attention.py --threads 1,2   # several thread configurations
    python benchmarks/bench_attention.py --json out.json # also save the raw numbers

Self-attention with nn.MultiheadAttention(256, 8) on (seq, batch 8, 256) inputs, sequence 128
and 512, as a transformer layer calls it (need_weights=False), plus sequence 128 with the
default need_weights=True (the explicit-softmax path that also returns the weights); then
F.layer_norm over 256 features of 8 * 128 rows. Each case runs ``out.backward(g)`` with a fixed
upstream gradient and returns one gradient (in_proj_weight's, or the input's for layer_norm),
checked against the NumPy floor's before timing. Medians of the timed loops (see ``_harness``).

The NumPy floor is the same maths with no framework: the packed input projection as one BLAS
product, per-head scores and weighted sums as batched products, a row softmax, the output
projection, and the hand-derived backward (softmax: dS = P * (dP - sum(dP * P))).
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

BATCH, EMBED, HEADS = 8, 256, 8
SEQS = (128, 512)
LN_ROWS = 8 * 128


def _data(np, seq):
    rng = np.random.default_rng(seq)
    f32 = np.float32
    bound = (6 / (EMBED + 3 * EMBED)) ** 0.5
    return {
        "x": rng.standard_normal((seq, BATCH, EMBED), dtype=f32),
        "g": rng.standard_normal((seq, BATCH, EMBED), dtype=f32),
        "w_in": rng.uniform(-bound, bound, (3 * EMBED, EMBED)).astype(f32),
        "b_in": rng.standard_normal(3 * EMBED, dtype=f32) * f32(0.1),
        "w_out": rng.uniform(-EMBED ** -0.5, EMBED ** -0.5, (EMBED, EMBED)).astype(f32),
        "b_out": rng.standard_normal(EMBED, dtype=f32) * f32(0.1),
    }


# ----- NumPy floor ------------------------------------------------------------------------

def _np_mha(np, d):
    """Forward and backward of packed-projection self-attention; returns d(in_proj_weight)."""
    x, g = d["x"], d["g"]
    seq, n, e = x.shape
    hd = e // HEADS
    scale = np.float32(hd ** -0.5)
    x2 = x.reshape(seq * n, e)
    qkv = x2 @ d["w_in"].T + d["b_in"]

    def heads(t):  # (seq * n, e) -> (n, heads, seq, hd)
        return t.reshape(seq, n, HEADS, hd).transpose(1, 2, 0, 3)
    q, k, v = heads(qkv[:, :e]), heads(qkv[:, e:2 * e]), heads(qkv[:, 2 * e:])
    p = (q * scale) @ k.transpose(0, 1, 3, 2)  # the scores, turned into weights in place
    p -= p.max(-1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(-1, keepdims=True)
    o = p @ v
    o2 = o.transpose(2, 0, 1, 3).reshape(seq * n, e)
    out = o2 @ d["w_out"].T + d["b_out"]
    g2 = g.reshape(seq * n, e)
    _ = g2.T @ o2, g2.sum(0)  # out_proj weight and bias gradients
    do = heads(g2 @ d["w_out"])
    dv = p.transpose(0, 1, 3, 2) @ do
    ds = do @ v.transpose(0, 1, 3, 2)  # dP, turned into dS in place
    ds -= np.einsum("nhls,nhls->nhl", ds, p)[..., None]
    ds *= p
    dq = (ds @ k) * scale
    dk = (ds.transpose(0, 1, 3, 2) @ q) * scale

    def flat(t):  # (n, heads, seq, hd) -> (seq * n, e)
        return t.transpose(2, 0, 1, 3).reshape(seq * n, e)
    dqkv = np.concatenate([flat(dq), flat(dk), flat(dv)], axis=1)
    _ = dqkv.sum(0), dqkv @ d["w_in"]  # in_proj bias and input gradients
    return out, dqkv.T @ x2


def _np_layer_norm(np, x, g, w):
    """Forward and backward of layer_norm over the last dim; returns dx."""
    mean = x.mean(-1, keepdims=True)
    xc = x - mean
    rstd = 1 / np.sqrt((xc * xc).mean(-1, keepdims=True) + np.float32(1e-5))
    xhat = xc * rstd
    _ = xhat * w
    gw = g * w
    _ = (g * xhat).sum(0), g.sum(0)
    return rstd * (gw - gw.mean(-1, keepdims=True) - xhat * (gw * xhat).mean(-1, keepdims=True))


# ----- the cases --------------------------------------------------------------------------

def _mha_case(seq, need_weights):
    def build_lib(lib, d):
        mha = lib.nn.MultiheadAttention(EMBED, HEADS)
        with lib.no_grad():
            mha.in_proj_weight.copy_(lib.from_numpy(d["w_in"].copy()))
            mha.in_proj_bias.copy_(lib.from_numpy(d["b_in"].copy()))
            mha.out_proj.weight.copy_(lib.from_numpy(d["w_out"].copy()))
            mha.out_proj.bias.copy_(lib.from_numpy(d["b_out"].copy()))
        x = lib.from_numpy(d["x"].copy()).requires_grad_()
        g = lib.from_numpy(d["g"].copy())

        def run():
            mha(x, x, x, need_weights=need_weights)[0].backward(g)
            grad = mha.in_proj_weight.grad
            for p in mha.parameters():
                p.grad = None
            x.grad = None
            return grad
        return run

    def build_np(np, d):
        return lambda: _np_mha(np, d)[1]
    return build_lib, build_np, seq


def _ln_case():
    def build_lib(lib, d):
        x = lib.from_numpy(d["x"][:128].reshape(LN_ROWS, EMBED).copy()).requires_grad_()
        w = lib.from_numpy(d["b_out"].copy()).requires_grad_()
        b = lib.zeros(EMBED, requires_grad=True)
        g = lib.from_numpy(d["g"][:128].reshape(LN_ROWS, EMBED).copy())

        def run():
            lib.nn.functional.layer_norm(x, (EMBED,), w, b).backward(g)
            grad = x.grad
            x.grad = w.grad = b.grad = None
            return grad
        return run

    def build_np(np, d):
        x, g = d["x"][:128].reshape(LN_ROWS, EMBED), d["g"][:128].reshape(LN_ROWS, EMBED)
        return lambda: _np_layer_norm(np, x, g, d["b_out"])
    return build_lib, build_np, 128


CASES = [
    (f"MHA self-attn seq {SEQS[0]}, need_weights=False", *_mha_case(SEQS[0], False)),
    (f"MHA self-attn seq {SEQS[1]}, need_weights=False", *_mha_case(SEQS[1], False)),
    (f"MHA self-attn seq {SEQS[0]}, need_weights=True", *_mha_case(SEQS[0], True)),
    (f"layer_norm ({LN_ROWS}, {EMBED})", *_ln_case()),
]


# ----- worker / parent --------------------------------------------------------------------


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch
    import minitorch.nn.functional  # noqa: F401 - the lazy submodule

    libs = [("minitorch", minitorch)] + ([("torch", torch)] if torch is not None else [])
    rows, problems = [], []
    with H.LoadMonitor() as load:
        for name, build_lib, build_np, seq in CASES:
            d = _data(np, seq)
            builders = {lib_name: functools.partial(build_lib, lib, d) for lib_name, lib in libs}
            row, found = H.time_checked_case(name, build_np(np, d)(), build_np(np, d), builders, repeats,
                                             rtol=1e-3, atol=1e-3)
            problems += found
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


def table(result: dict) -> str:
    headers = ["case", "minitorch ms", "torch ms", "numpy floor ms", "minitorch/torch", "minitorch/numpy"]
    rows = []
    for r in result["rows"]:
        mt, tc, npv = H.median_us(r, "minitorch"), H.median_us(r, "torch"), H.median_us(r, "numpy")

        def ms(v):
            return "—" if v is None else f"{v / 1000:.2f}"
        rows.append([r["name"], "FAILED" if "minitorch_error" in r else ms(mt), ms(tc), ms(npv),
                     H.fmt_ratio(mt, tc), H.fmt_ratio(mt, npv)])
    return H.markdown_table(headers, rows)


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    header = "\n".join(["## MultiheadAttention / layer_norm, forward + backward\n",
                        f"Median per-call time of {repeats} timed loops, float32, embed {EMBED}, {HEADS} heads, "
                        f"batch {BATCH}; ratios > 1 mean minitorch is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
