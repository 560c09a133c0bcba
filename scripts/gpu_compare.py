"""Every op on the GPU against the CPU backend and against PyTorch CUDA, on random inputs.

For each case the same code runs on minitorch CPU tensors, minitorch CUDA tensors and
(when torch with CUDA is installed) torch CUDA tensors; forward values and input
gradients (from a random upstream gradient) are compared by relative error
max|a - b| / max(max|b|, 1e-6). A case fails
when an error exceeds 1e-3 (float32) or the CUDA result has a NaN the CPU one lacks.

    NUMBA_ENABLE_CUDASIM=0 python scripts/gpu_compare.py [--size 256] [--quick]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TOL = 1e-3


def cases(n):
    """(name, input shapes, fn(lib, F, *inputs) -> tensor); inputs require grad."""
    return [
        ("add broadcast", [(n, n), (n,)], lambda L, F, a, b: a + b),
        ("mul transposed", [(n, n), (n, n)], lambda L, F, a, b: a.t() * b),
        ("div", [(n, n), (n, n)], lambda L, F, a, b: a / (b.abs() + 1)),
        ("exp/log/tanh/sigmoid", [(n, n)], lambda L, F, a: a.exp().log1p() + a.tanh() * a.sigmoid()),
        ("pow/sqrt", [(n, n)], lambda L, F, a: a.abs().sqrt() + a.pow(2)),
        ("relu/gelu/leaky_relu", [(n, n)], lambda L, F, a: F.relu(a) + F.gelu(a) + F.leaky_relu(a, 0.1)),
        ("sum dim 0", [(n, n)], lambda L, F, a: a.sum(0)),
        ("sum all (large)", [(64 * n, n)], lambda L, F, a: a.sum()),
        ("mean/var", [(n, n)], lambda L, F, a: a.mean(1) + a.var(0)),
        ("amax/argmax", [(n, n)], lambda L, F, a: a.amax(1) + a.argmax(1).to(a.dtype)),
        ("matmul", [(n, n), (n, n)], lambda L, F, a, b: a @ b),
        ("matmul transposed", [(n, n), (n, n)], lambda L, F, a, b: a.t() @ b.t()),
        ("bmm broadcast", [(4, n, 32), (32, n)], lambda L, F, a, b: a @ b),
        ("linear", [(n, 64), (32, 64), (32,)], lambda L, F, x, w, b: F.linear(x, w, b)),
        ("log_softmax", [(n, 100)], lambda L, F, a: F.log_softmax(a, dim=1)),
        ("softmax dim 0", [(n, 100)], lambda L, F, a: F.softmax(a, dim=0)),
        ("cross_entropy", [(n, 10)], lambda L, F, a: F.cross_entropy(a, L.arange(n, device=a.device) % 10)),
        ("conv2d", [(4, 3, n // 16 + 6, n // 16 + 6), (8, 3, 3, 3)], lambda L, F, x, w: F.conv2d(x, w, padding=1)),
        ("max_pool2d", [(4, 3, n // 16 + 6, n // 16 + 6)], lambda L, F, x: F.max_pool2d(x, 2)),
        ("index/gather", [(n, n)], lambda L, F, a: a[L.arange(0, n, 3, device=a.device)].gather(
            1, (L.arange(n, device=a.device) % 7).reshape(1, -1).expand(len(range(0, n, 3)), n))),
        ("cat/stack", [(n, 8), (n, 8)], lambda L, F, a, b: L.cat([a, b], 1) + L.stack([a, b], 1).reshape(n, 16)),
    ]


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-6)) if a.size else 0.0


def run(lib, F, device, shapes, fn, seed):
    """Forward value and input gradients of one case. The backward pass starts from a
    random upstream gradient (the same for every library): a plain ``out.sum().backward()``
    gives gradients that are zero up to rounding for ops whose output sums to a constant
    (softmax along any dim: d sum(softmax) / dx = 0), and comparing rounding noise with
    rounding noise made "softmax dim 0" look 0.21 off between correct implementations."""
    rng = np.random.default_rng(seed)
    xs = [lib.tensor(rng.standard_normal(s).astype(np.float32), device=device).requires_grad_(True)
          for s in shapes]
    out = fn(lib, F, *xs)
    if out.requires_grad:
        upstream = np.random.default_rng(seed + 10_000).standard_normal(tuple(out.shape)).astype(np.float32)
        (out.float() * lib.tensor(upstream, device=device)).sum().backward()
    host = lambda t: t.detach().cpu().numpy()  # noqa: E731
    return host(out), [None if x.grad is None else host(x.grad) for x in xs]


def case_error(got, ref) -> float:
    """The largest relative error of a case's forward value and gradients."""
    return max([_rel(got[0], ref[0])] + [_rel(g, r) for g, r in zip(got[1], ref[1]) if r is not None])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--quick", action="store_true", help="tiny shapes (simulator)")
    args = parser.parse_args()
    import minitorch
    try:
        import torch
        has_torch = torch.cuda.is_available()
    except ImportError:
        torch, has_torch = None, False
    if has_torch:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    n = 8 if args.quick else args.size  # every shape below scales with n or is small
    failures, rows = 0, []
    for seed, (name, shapes, fn) in enumerate(cases(n)):
        try:
            cpu = run(minitorch, minitorch.nn.functional, "cpu", shapes, fn, seed)
            gpu = run(minitorch, minitorch.nn.functional, "cuda", shapes, fn, seed)
        except Exception as exc:  # noqa: BLE001 - report and continue
            failures += 1
            rows.append((name, f"ERROR {type(exc).__name__}: {str(exc)[:80]}", "", ""))
            continue
        err_cpu = case_error(gpu, cpu)
        nan = bool(np.isnan(gpu[0]).any() and not np.isnan(cpu[0]).any())
        err_torch = ""
        if has_torch:
            ref = run(torch, torch.nn.functional, "cuda", shapes, fn, seed)
            err_torch = case_error(gpu, ref)
        bad = nan or err_cpu > TOL or (err_torch != "" and err_torch > TOL)
        failures += bad
        rows.append((name, "FAIL" if bad else "ok", f"{err_cpu:.1e}", "" if err_torch == "" else f"{err_torch:.1e}"))
    print("| op | result | rel. err vs CPU | rel. err vs torch CUDA |")
    print("|---|---|--:|--:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\n{len(rows) - failures} of {len(rows)} ops agree (tolerance {TOL:g}, no new NaN)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
