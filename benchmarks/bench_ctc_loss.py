"""CTC loss: minitorch vs torch vs a NumPy floor, one call each.

    python benchmarks/bench_ctc_loss.py                 # 1 thread, markdown table
    python benchmarks/bench_ctc_loss.py --threads 1,2   # more thread configurations
    python benchmarks/bench_ctc_loss.py --json out.json # also save the raw numbers

The shapes of torch's nn.CTCLoss example (T=50 steps, a batch of 16, 20 classes, padded targets
of up to 30 labels, lengths 10-30) and a speech-sized case (T=200, batch 8, 29 characters,
targets up to 60). minitorch runs the alpha (and, for the gradient, beta) recursions in numba
on the host; the NumPy floor is the alpha recursion vectorised over the batch and the states
(one pass over time; the fwd+bwd floor runs it twice, as alpha and beta cost the same). Before
timing, each case's minitorch result is compared with torch's. Times are medians over timed
loops (see ``_harness``), libraries interleaved round-robin.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

_SHAPES = {"T50 N16 C20 S30": (50, 16, 20, 30), "T200 N8 C29 S60": (200, 8, 29, 60)}


def _data(np, steps, batch, classes, longest):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, batch, classes)).astype(np.float32)
    x = x - x.max(2, keepdims=True)
    log_probs = (x - np.log(np.exp(x).sum(2, keepdims=True))).astype(np.float32)
    return {"log_probs": log_probs, "targets": rng.integers(1, classes, (batch, longest)),
            "input_lengths": np.full(batch, steps), "target_lengths": rng.integers(longest // 3, longest + 1, batch)}


def _alpha_floor(np, d):
    """-log-likelihood per sample by the alpha recursion, vectorised over batch and states."""
    lp, tg, tl = d["log_probs"].astype(np.float64), d["targets"], d["target_lengths"]
    steps, batch, _ = lp.shape
    states = 2 * tg.shape[1] + 1
    ext = np.zeros((batch, states), np.int64)
    ext[:, 1::2] = tg
    skip = np.zeros((batch, states), bool)
    skip[:, 3::2] = tg[:, 1:] != tg[:, :-1]
    rows = np.arange(batch)[:, None]
    alpha = np.full((batch, states), -np.inf)
    alpha[:, :2] = lp[0][rows, ext[:, :2]]
    for t in range(1, steps):
        prev1 = np.concatenate([np.full((batch, 1), -np.inf), alpha[:, :-1]], 1)
        prev2 = np.where(skip, np.concatenate([np.full((batch, 2), -np.inf), alpha[:, :-2]], 1), -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, prev1), prev2) + lp[t][rows, ext]
    ends = alpha[np.arange(batch), 2 * tl], alpha[np.arange(batch), 2 * tl - 1]
    return -np.logaddexp(*ends)


def _cases(lib, np):
    """name -> (call of lib (minitorch or torch), NumPy floor)."""
    F = lib.nn.functional
    cases = {}
    for label, shape in _SHAPES.items():
        d = _data(np, *shape)
        t = {k: lib.from_numpy(v.copy()) for k, v in d.items()}
        leaf = t["log_probs"].clone().requires_grad_()

        def forward(t=t):
            return F.ctc_loss(t["log_probs"], t["targets"], t["input_lengths"], t["target_lengths"])

        def forward_backward(t=t, leaf=leaf):
            leaf.grad = None
            F.ctc_loss(leaf, t["targets"], t["input_lengths"], t["target_lengths"]).backward()
            return leaf.grad

        cases[f"ctc_loss({label})"] = (forward, lambda d=d: _alpha_floor(np, d))
        cases[f"ctc_loss({label}) fwd+bwd"] = (forward_backward, lambda d=d: (_alpha_floor(np, d),
                                                                               _alpha_floor(np, d)))
    return cases


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    mine = _cases(minitorch, np)
    theirs = _cases(torch, np) if torch is not None else {}

    def differs(name, mt_call, torch_call):
        a, b = mt_call(), torch_call()
        if not np.allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5):
            return f"{name}: minitorch's result differs from torch's"
        return None

    with H.LoadMonitor() as load:
        rows, problems = H.time_cases(mine, theirs, repeats, differs)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


table = H.cases_table


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    """Run every thread configuration in a fresh process; return (markdown, raw results)."""
    header = "\n".join(["## CTC loss\n",
             f"Median time of one call over {repeats} timed loops (after warm-up; libraries "
             "interleaved round-robin); ratios > 1 mean minitorch is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
