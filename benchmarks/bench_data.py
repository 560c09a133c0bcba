"""DataLoader throughput: one shuffled epoch over an MNIST-sized TensorDataset.

    python benchmarks/bench_data.py                  # 1 thread, markdown table
    python benchmarks/bench_data.py --threads 1,2    # several configurations
    python benchmarks/bench_data.py --json out.json  # also save the raw numbers

The dataset is 60000 x 784 float32 features and 60000 int64 labels; one epoch is
``for x, y in DataLoader(ds, batch_size=64, shuffle=True): pass`` (938 batches).
Columns: minitorch, torch's DataLoader over the same data, and a NumPy floor (a
permutation, then ``x[idx], y[idx]`` per batch: the copies any loader must make).

Two rows: the default collate, where minitorch gathers each batch with one indexed
copy per tensor, and a custom ``collate_fn`` that wraps ``default_collate``, which
takes the per-sample path (``dataset[i]`` for each index, then a stack) in both
libraries.  Before timing, each library's epoch is checked to visit every sample once.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402

N, FEATURES, BATCH = 60000, 784, 64


def _arrays(np):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, FEATURES), dtype=np.float32)
    y = rng.integers(0, 10, size=N, dtype=np.int64)
    return x, y


def _loader_epoch(lib, x, y, per_sample: bool):
    """An epoch callable over lib's DataLoader; returns (samples seen, sum of x, label counts)."""
    data = lib.utils.data
    ds = data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    kwargs = {}
    if per_sample:
        collate = data.default_collate
        kwargs["collate_fn"] = lambda batch: collate(batch)
    loader = data.DataLoader(ds, batch_size=BATCH, shuffle=True, **kwargs)

    def epoch():
        seen, total, labels = 0, 0.0, []
        for xb, yb in loader:
            seen += len(yb)
            total += float(xb.sum())
            labels.append(yb)
        return seen, total, labels

    def run():
        for _ in loader:
            pass
    return epoch, run


def _numpy_epoch(np, x, y):
    rng = np.random.default_rng(1)

    def epoch():
        seen, total, labels = 0, 0.0, []
        perm = rng.permutation(N)
        for start in range(0, N, BATCH):
            idx = perm[start:start + BATCH]
            xb, yb = x[idx], y[idx]
            seen += len(yb)
            total += float(xb.sum())
            labels.append(yb)
        return seen, total, labels

    def run():
        perm = rng.permutation(N)
        for start in range(0, N, BATCH):
            idx = perm[start:start + BATCH]
            x[idx], y[idx]
    return epoch, run


def _check(np, name, epoch, x, y, problems):
    """One epoch must see every sample once: same count, feature sum and label histogram."""
    seen, total, labels = epoch()
    labels = np.concatenate([np.asarray(lab.tolist(), dtype=np.int64) for lab in labels])
    ok = (seen == N and np.isclose(total, float(x.sum(dtype=np.float64)), rtol=1e-4)
          and (np.bincount(labels, minlength=10) == np.bincount(y, minlength=10)).all())
    if not ok:
        problems.append(f"{name}: an epoch did not visit every sample exactly once")


def worker(threads: int, repeats: int) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np
    import minitorch
    import minitorch.utils.data  # noqa: F401 - minitorch.utils is not imported by minitorch yet

    x, y = _arrays(np)
    libs = [("minitorch", minitorch)] + ([("torch", torch)] if torch is not None else [])
    rows, problems = [], []
    with H.LoadMonitor() as load:
        for name, per_sample in (("default collate", False),
                                 ("collate_fn wrapping default_collate (per-sample path)", True)):
            row = {"name": name}
            fns = {}
            np_epoch, fns["numpy"] = _numpy_epoch(np, x, y)
            _check(np, f"numpy: {name}", np_epoch, x, y, problems)
            for lib_name, lib in libs:
                try:
                    epoch, fns[lib_name] = _loader_epoch(lib, x, y, per_sample)
                    _check(np, f"{lib_name}: {name}", epoch, x, y, problems)
                except Exception as exc:  # report, do not work around
                    fns.pop(lib_name, None)
                    row[lib_name + "_error"] = H.short_error(exc)
                    problems.append(f"{lib_name}: {name}: {H.short_error(exc)}")
            for lib_name, res in H.time_side_by_side(fns, repeats=repeats, warmup_s=0.0,
                                                     min_loop_s=0.0).items():
                if isinstance(res, Exception):
                    row[lib_name + "_error"] = H.short_error(res)
                    problems.append(f"{lib_name}: {name} (timed loop): {H.short_error(res)}")
                else:
                    row[lib_name] = H.stats_dict(res)
            rows.append(row)
    return {"threads": threads, "torch": None if torch is None else torch.__version__,
            "background_cores": load.background_cores, "rows": rows, "problems": problems}


def _median_ms(row, lib):
    stats = row.get(lib)
    return None if stats is None else stats["median_us"] / 1000


def table(result: dict) -> str:
    headers = ["one epoch, batch 64, shuffle", "minitorch ms", "torch ms", "numpy ms",
               "minitorch/torch", "minitorch/numpy"]
    rows = []
    for r in result["rows"]:
        mt, tc, npv = (_median_ms(r, lib) for lib in ("minitorch", "torch", "numpy"))
        rows.append([r["name"], "FAILED" if mt is None else f"{mt:.1f}",
                     "(skipped)" if tc is None else f"{tc:.1f}", f"{npv:.1f}",
                     H.fmt_ratio(mt, tc), H.fmt_ratio(mt, npv)])
    return H.markdown_table(headers, rows)


def run(thread_counts=(1,), repeats: int = 5, wait_quiet_s: float = 0) -> tuple[str, list[dict]]:
    header = "\n".join(["## DataLoader: one epoch over a 60000 x 784 float32 TensorDataset\n",
                        f"Median of {repeats} epochs per library (epochs interleaved round-robin, after "
                        "6 warm-up epochs), 938 batches of 64 with shuffle=True.\n"])
    return H.report_by_threads(__file__, thread_counts, repeats, wait_quiet_s, header, table)


def main(argv=None):
    H.thread_cli(__doc__, worker, run, argv, repeats=5)


if __name__ == "__main__":
    main()
