"""Spatial-transformer and bag ops: minitorch vs torch vs a NumPy floor, one call each.

    python benchmarks/bench_grid_sample.py                 # 1 thread, markdown table
    python benchmarks/bench_grid_sample.py --threads 1,2   # more thread configurations
    python benchmarks/bench_grid_sample.py --json out.json # also save the raw numbers

Shapes of the Spatial Transformer Networks tutorial (MNIST batch of 64, 1x28x28, and a
10-channel feature map) and of the text classification tutorial (EmbeddingBag over 64 bags).
minitorch plans grid_sample's taps on the host in NumPy, then applies them over the channels
in numba; the NumPy floor is the same bilinear sampling written with fancy indexing.
Before timing, each case's minitorch result is compared with torch's. Times are medians over
timed loops (see ``_harness``), libraries interleaved round-robin.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402


def _data(np):
    rng = np.random.default_rng(0)
    theta = np.tile(np.array([[[0.9, 0.1, 0.05], [-0.1, 1.1, 0.0]]], np.float32), (64, 1, 1))
    return {"img": rng.random((64, 1, 28, 28)).astype(np.float32),
            "feat": rng.random((64, 10, 28, 28)).astype(np.float32),
            "theta": theta,
            "grid": (rng.random((64, 28, 28, 2)) * 2 - 1).astype(np.float32),
            "weight": rng.standard_normal((20000, 64)).astype(np.float32),
            "text": rng.integers(0, 20000, 64 * 40),
            "offsets": np.arange(0, 64 * 40, 40)}


def _bilinear_floor(np, x, grid, backward=False):
    """grid_sample(x, grid, align_corners=False, zeros padding) with NumPy fancy indexing; with
    backward, also the gradients of out.sum() w.r.t. x and grid."""
    n, c, h, w = x.shape
    gx = ((grid[..., 0] + 1) * w - 1) / 2
    gy = ((grid[..., 1] + 1) * h - 1) / 2
    x0, y0 = np.floor(gx).astype(np.int64), np.floor(gy).astype(np.int64)
    fx, fy = gx - x0, gy - y0
    out = 0
    batch = np.arange(n)[:, None, None]
    xt = x.transpose(0, 2, 3, 1)
    grad_x = np.zeros_like(xt) if backward else None
    grad_grid = np.zeros_like(grid) if backward else None
    for dy, wy, sy in ((0, 1 - fy, -1), (1, fy, 1)):
        for dx, wx, sx in ((0, 1 - fx, -1), (1, fx, 1)):
            xi, yi = x0 + dx, y0 + dy
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            at = (batch, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1))
            v = xt[at] * inside[..., None]  # (n, H, W, c)
            out = out + v * (wx * wy)[..., None]
            if backward:
                np.add.at(grad_x, at, np.broadcast_to(((wx * wy) * inside)[..., None], v.shape))
                total = v.sum(-1)
                grad_grid[..., 0] += total * sx * wy * (w / 2)
                grad_grid[..., 1] += total * sy * wx * (h / 2)
    if backward:
        return grad_x.transpose(0, 3, 1, 2), grad_grid
    return out.transpose(0, 3, 1, 2)


def _cases(lib, d, np):
    """name -> (call of lib (minitorch or torch), NumPy floor)."""
    t = {k: lib.from_numpy(v.copy()) for k, v in d.items()}
    F = lib.nn.functional
    feat_g = t["feat"].clone().requires_grad_()
    grid_g = t["grid"].clone().requires_grad_()

    axis = (np.arange(28, dtype=np.float32) * 2 + 1) / 28 - 1
    base = np.stack(np.broadcast_arrays(axis[None, :], axis[:, None], np.float32(1)), -1).reshape(-1, 3)

    def forward_backward():
        F.grid_sample(feat_g, grid_g, align_corners=False).sum().backward()

    return {
        "affine_grid(64x2x3 -> 64x28x28x2)": (
            lambda: F.affine_grid(t["theta"], (64, 1, 28, 28), align_corners=False),
            lambda: np.matmul(base, d["theta"].transpose(0, 2, 1)).reshape(64, 28, 28, 2)),
        "grid_sample(64x1x28x28, bilinear)": (
            lambda: F.grid_sample(t["img"], t["grid"], align_corners=False),
            lambda: _bilinear_floor(np, d["img"], d["grid"])),
        "grid_sample(64x10x28x28, bilinear)": (
            lambda: F.grid_sample(t["feat"], t["grid"], align_corners=False),
            lambda: _bilinear_floor(np, d["feat"], d["grid"])),
        "grid_sample(64x10x28x28) fwd+bwd": (
            forward_backward, lambda: _bilinear_floor(np, d["feat"], d["grid"], backward=True)),
        "embedding_bag(20000x64, 64 bags of 40, mean)": (
            lambda: F.embedding_bag(t["text"], t["weight"], t["offsets"]),
            lambda: d["weight"][d["text"]].reshape(64, 40, 64).mean(1)),
    }


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch

    data = _data(np)
    mine = _cases(minitorch, data, np)
    theirs = _cases(torch, data, np) if torch is not None else {}

    def differs(name, mt_call, torch_call):
        a, b = mt_call(), torch_call()
        if a is None or b is None:
            return None
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
    header = "\n".join(["## Spatial transformer and bag ops\n",
             f"Median time of one call over {repeats} timed loops (after warm-up; libraries "
             "interleaved round-robin); ratios > 1 mean minitorch is slower.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv)


if __name__ == "__main__":
    main()
