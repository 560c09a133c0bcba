"""GEMM throughput at the training table's shapes: NumPy's OpenBLAS, Intel MKL, torch.

The float32 products of bench_train.py's MLPs, forward and both backward products
(x @ W^T, g @ W, g^T @ x), for the 784x128 and 512x512 layers at batch 64, 256 and
1000, side by side in one process per thread count:

- ``openblas``: NumPy's matmul (OpenBLAS in NumPy's wheels), what minitorch runs by default;
- ``mkl``: Intel MKL's cblas_sgemm as minitorch calls it (``MINITORCH_BLAS=mkl``); only
  when the ``mkl`` package is installed (``pip install minitorch[mkl]``);
- ``torch``: torch.matmul on the same arrays (MKL / oneDNN in torch's x86 wheels).

Prints GFLOP/s per shape and the MKL/OpenBLAS ratio, so that the choice of
``MINITORCH_BLAS=auto`` can be checked on the machine at hand (Intel and AMD differ)::

    python benchmarks/bench_gemm.py --threads 1,4,16 [--repeats 7]
"""
from __future__ import annotations

import _harness as H

# (name, m, k, n): the products of a Linear(k_in, k_out) at batch b: forward (b, in) @ (in, out),
# input grad (b, out) @ (out, in), weight grad (out, b) @ (b, in) (operands as transposed views).
LAYERS = [(784, 128), (512, 512), (784, 512)]
BATCHES = [64, 256, 1000]


def _products(np):
    rng = np.random.default_rng(0)
    out = []
    for batch in BATCHES:
        for fan_in, fan_out in LAYERS:
            if (fan_in, fan_out) == (784, 512) and batch == 64:
                continue
            x = rng.standard_normal((batch, fan_in), dtype=np.float32)
            w = rng.standard_normal((fan_out, fan_in), dtype=np.float32)
            g = rng.standard_normal((batch, fan_out), dtype=np.float32)
            out.append((f"bs {batch}: x @ W^T ({batch}x{fan_in} @ {fan_in}x{fan_out})", x, w.T))
            if batch != 1000:  # inference batch: forward only
                out.append((f"bs {batch}: g @ W ({batch}x{fan_out} @ {fan_out}x{fan_in})", g, w))
                out.append((f"bs {batch}: g^T @ x ({fan_out}x{batch} @ {batch}x{fan_in})", g.T, x))
    return out


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch
    from minitorch._backends.cpu import blas

    minitorch.set_num_threads(threads)
    has_mkl = blas.mkl_available()
    rows = []
    with H.LoadMonitor() as load:
        for name, a, b in _products(np):
            m, k = a.shape
            n = b.shape[1]
            out = np.empty((m, n), np.float32)
            fns = {"openblas": lambda a=a, b=b, out=out: np.matmul(a, b, out=out)}
            if has_mkl:
                fns["mkl"] = lambda a=a, b=b, out=out: blas._mkl_product(a, b, out)
            if torch is not None:
                ta, tb = torch.from_numpy(np.ascontiguousarray(a.T)).T, torch.from_numpy(np.ascontiguousarray(b.T)).T
                if a.flags.c_contiguous:
                    ta = torch.from_numpy(a)
                if b.flags.c_contiguous:
                    tb = torch.from_numpy(b)
                fns["torch"] = lambda ta=ta, tb=tb: torch.matmul(ta, tb)
            if has_mkl:
                blas.set_blas("mkl")
            stats = H.time_side_by_side(fns, repeats=repeats, min_loop_s=0.05)
            flops = 2.0 * m * n * k
            row = {"name": name}
            for lib, st in stats.items():
                row[lib] = None if isinstance(st, Exception) else flops / (st.median_us * 1e-6) / 1e9
            rows.append(row)
    return {"threads": threads, "mkl": has_mkl, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows}


def table(result: dict) -> str:
    headers = ["product", "openblas GFLOP/s", "mkl GFLOP/s", "torch GFLOP/s", "mkl/openblas", "openblas/torch",
               "mkl/torch"]
    body = []
    for r in result["rows"]:
        def cell(lib):
            return "—" if r.get(lib) is None else f"{r[lib]:.1f}"
        body.append([r["name"], cell("openblas"), cell("mkl"), cell("torch"),
                     H.fmt_ratio(r.get("mkl"), r.get("openblas")), H.fmt_ratio(r.get("openblas"), r.get("torch")),
                     H.fmt_ratio(r.get("mkl"), r.get("torch"))])
    note = "" if result["mkl"] else "\nMKL is not installed here (`pip install minitorch[mkl]`): its column is empty.\n"
    return H.markdown_table(headers, body) + "\n" + note


def run(thread_counts=(1,), repeats: int = 7, wait_quiet_s: float = 0) -> tuple[str, list]:
    header = "## GEMM (float32 GFLOP/s, higher is better)\n"
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    def run_and_print(threads, repeats, wait):
        print(H.machine_info_markdown())
        return run(threads, repeats, wait)
    H.thread_cli(__doc__, worker, run_and_print, argv)


if __name__ == "__main__":
    main()
