"""GPU benchmark: minitorch's CUDA backend against PyTorch CUDA on the same GPU.

Workloads (the goals of the CUDA issue):
  train   MLP 784-512-512-10, CrossEntropyLoss, Adam, batch 256: training samples/s;
  matmul  float32 4096 x 4096 @ 4096 x 4096: TFLOP/s (torch with TF32 off);
  ops     single ops on 1M-16M elements (add, sum, cross_entropy): ms.
Timing: warm-up, then ``repeats`` timed loops, each ending in a device synchronize;
the median per-call time is reported. Prints a Markdown table last.

    NUMBA_ENABLE_CUDASIM=0 python benchmarks/bench_cuda.py [--repeats 5] [--quick]

``--quick`` shrinks every size so the script can be smoke-tested in numba's CUDA
simulator (NUMBA_ENABLE_CUDASIM=1); its numbers mean nothing.

``--host-tier`` needs no GPU: in a Python with numba-cuda, over the host tier's fake
driver (tests/cuda/host/fake_driver.py: real NVVM compiles, real argument typing and
minitorch's real launch path, only the driver calls stubbed), it measures the host time
of one kernel launch (minitorch's path and numba's dispatcher) and the launches, memsets,
device-to-host copies and host time of one MLP training step.

    python benchmarks/bench_cuda.py --host-tier     (numba-cuda installed; no GPU needed)
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _time(fn, sync, repeats, number, warmup=2):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def _mlp_step(lib, device, batch, sizes):
    nn = lib.nn
    lib.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to(device)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, sizes[0])).astype(np.float32)).to(device)
    y = lib.tensor(rng.integers(0, sizes[-1], batch)).to(device)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def _per_call(fn, n, repeats):
    """Median seconds per call of fn over repeats loops of n calls (after a warm-up)."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - start) / n)
    return statistics.median(times)


def host_tier(repeats: int) -> int:
    """Host-side launch cost and per-step counts over the fake driver (no GPU)."""
    import os
    os.environ["NUMBA_ENABLE_CUDASIM"] = "0"
    root = Path(__file__).resolve().parents[1]
    import importlib.util
    spec = importlib.util.spec_from_file_location("fake_driver", root / "tests" / "cuda" / "host" / "fake_driver.py")
    fake = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fake)
    fake.install()
    fake.STATE["check"] = False
    import warnings
    warnings.filterwarnings("ignore", message=".*Grid size")
    import minitorch
    from minitorch._backends.cuda import _kernels as K
    from minitorch._backends.cuda import _launch
    from minitorch._backends.cuda._array import CudaArray
    sys.path.insert(0, str(root))
    from tests.cuda.proposed_nll import device_nll

    n = 1024
    out, a, b = (CudaArray.empty((n,), np.float32) for _ in range(3))
    blocks = (n + _launch.THREADS - 1) // _launch.THREADS
    rows = []
    t = _per_call(lambda: _launch.launch(K.k_arith_flat, n, K.ADD, out.buf, 0, a.buf, 0, b.buf, 0, n), 5000, repeats)
    rows.append(("one launch, minitorch's path (k_arith_flat, 8 args)", f"{t * 1e6:.1f} us"))
    strides = (1,)
    t = _per_call(lambda: _launch.launch(K.k_arith, n, K.ADD, out.buf, 0, strides, a.buf, 0, strides, b.buf, 0,
                                         strides, (n,), n), 5000, repeats)
    rows.append(("one launch, minitorch's path (k_arith, strided, 12 args)", f"{t * 1e6:.1f} us"))
    ra, rb, ro = (x.block.raw.view(np.float32) for x in (a, b, out))
    t = _per_call(lambda: K.k_arith_flat[blocks, _launch.THREADS](K.ADD, ro, 0, ra, 0, rb, 0, n), 1000, repeats)
    rows.append(("one launch, numba's dispatcher (same arrays)", f"{t * 1e6:.1f} us"))
    ta = minitorch.ones(n, device="cuda")
    tb = minitorch.ones(n, device="cuda")
    t = _per_call(lambda: ta + tb, 5000, repeats)
    rows.append(("Tensor a + b, 1K float32 (whole op, one launch)", f"{t * 1e6:.1f} us"))

    step = _mlp_step(minitorch, "cuda", 256, [784, 512, 512, 10])
    for label, ctx in (("autograd as today", None), ("with the proposed autograd NLL/addmm", device_nll)):
        def run():
            if ctx is None:
                step()
            else:
                with ctx():
                    step()
        if ctx is None:   # the op-table NLL reads three numbers the (unrun) kernels left
            from minitorch._backends.cuda import _nn
            real_read = _nn.read
            _nn.read = lambda arr, start, k: (real_read(arr, start, k), np.array([0.0, 1.0, 2.0 ** 62]))[1]
        run()
        run()
        fake.reset_counts()
        run()
        counts = dict(fake.STATE)
        t = _per_call(run, 20, repeats)
        if ctx is None:
            _nn.read = real_read
        rows.append((f"MLP 784-512-512-10 Adam bs 256 step, {label}",
                     f"{counts['launches']} launches, {counts['memsets']} memsets, {counts['d2h']} D2H, "
                     f"{t * 1e3:.2f} ms host"))
    print(f"\nhost tier (numba-cuda over a fake driver, no GPU); {os.cpu_count()} CPUs; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| measurement | value |")
    print("|---|--:|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (simulator smoke test)")
    parser.add_argument("--host-tier", action="store_true", help="host-side costs over a fake driver (no GPU)")
    args = parser.parse_args()
    if args.host_tier:
        return host_tier(args.repeats)
    import minitorch
    if not minitorch.cuda.is_available():
        print("no CUDA device: nothing to measure")
        return 1
    try:
        import torch
        has_torch = torch.cuda.is_available()
    except ImportError:
        torch, has_torch = None, False
    if has_torch:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    msync = minitorch.cuda.synchronize
    tsync = torch.cuda.synchronize if has_torch else (lambda: None)
    quick = args.quick
    reps = 1 if quick else args.repeats
    rows = []  # (workload, unit, minitorch, torch, better_is_higher)

    # ----- training step -------------------------------------------------------------
    batch, sizes = (4, [6, 5, 5, 3]) if quick else (256, [784, 512, 512, 10])
    t_m = _time(_mlp_step(minitorch, "cuda", batch, sizes), msync, reps, 1 if quick else 20)
    t_t = _time(_mlp_step(torch, "cuda", batch, sizes), tsync, reps, 20) if has_torch else None
    rows.append((f"MLP {'-'.join(map(str, sizes))} Adam bs {batch} train", "samples/s",
                 batch / t_m, None if t_t is None else batch / t_t, True))

    # ----- matmul ------------------------------------------------------------------
    n = 8 if quick else 4096
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n)).astype(np.float32)
    b_np = rng.standard_normal((n, n)).astype(np.float32)
    am, bm = minitorch.tensor(a_np, device="cuda"), minitorch.tensor(b_np, device="cuda")
    t_m = _time(lambda: am @ bm, msync, reps, 1 if quick else 5)
    flops = 2 * n ** 3
    t_t = None
    if has_torch:
        at, bt = torch.tensor(a_np, device="cuda"), torch.tensor(b_np, device="cuda")
        t_t = _time(lambda: at @ bt, tsync, reps, 5)
        err = float(np.abs((am @ bm).cpu().numpy() - (at @ bt).cpu().numpy()).max() / np.abs(a_np @ b_np).max())
        print(f"matmul {n}: max |minitorch - torch| / max |C| = {err:.2e}")
    rows.append((f"matmul {n}x{n} float32 (TF32 off)", "TFLOP/s", flops / t_m / 1e12,
                 None if t_t is None else flops / t_t / 1e12, True))

    # ----- single ops --------------------------------------------------------------
    size = 64 if quick else 1 << 20
    x_np = rng.standard_normal(size).astype(np.float32)
    xm = minitorch.tensor(x_np, device="cuda")
    big_np = rng.standard_normal(16 * size).astype(np.float32)
    bigm = minitorch.tensor(big_np, device="cuda")
    rows_n = max(size // 1024, 4)
    logits_np = rng.standard_normal((rows_n, 1024 if not quick else 16)).astype(np.float32)
    target_np = rng.integers(0, logits_np.shape[1], rows_n)
    lm, ym = minitorch.tensor(logits_np, device="cuda"), minitorch.tensor(target_np, device="cuda")
    fm = minitorch.nn.functional
    cases = [(f"a + b, {size:,} float32", lambda: xm + xm, None),
             (f"x.sum(), {16 * size:,} float32", lambda: bigm.sum(), None),
             (f"cross_entropy {logits_np.shape[0]}x{logits_np.shape[1]}", lambda: fm.cross_entropy(lm, ym), None)]
    if has_torch:
        xt, bigt = torch.tensor(x_np, device="cuda"), torch.tensor(big_np, device="cuda")
        lt, yt = torch.tensor(logits_np, device="cuda"), torch.tensor(target_np, device="cuda")
        ft = torch.nn.functional
        cases = [(cases[0][0], cases[0][1], lambda: xt + xt), (cases[1][0], cases[1][1], lambda: bigt.sum()),
                 (cases[2][0], cases[2][1], lambda: ft.cross_entropy(lt, yt))]
    for name, fm_call, ft_call in cases:
        t_m = _time(fm_call, msync, reps, 1 if quick else 50)
        t_t = _time(ft_call, tsync, reps, 50) if ft_call else None
        rows.append((name, "ms", t_m * 1e3, None if t_t is None else t_t * 1e3, False))

    gpu = minitorch.cuda.get_device_name()
    print(f"\nGPU: {gpu}; torch {torch.__version__ if torch else 'absent'}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| workload | unit | minitorch | torch | minitorch/torch |")
    print("|---|---|--:|--:|--:|")
    for name, unit, m, t, higher in rows:
        ratio = "" if t is None else f"{m / t:.2f}x"
        print(f"| {name} | {unit} | {m:,.3g} | {'' if t is None else f'{t:,.3g}'} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
