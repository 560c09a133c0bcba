"""Image transforms: ToTensor + Normalize over an MNIST-sized set, per sample vs batched.

    python benchmarks/bench_transforms.py                  # markdown table
    python benchmarks/bench_transforms.py --repeats 7 --json out.json

The work is the standard MNIST pipeline ``Compose([ToTensor(), Normalize((0.5,),
(0.5,))])`` over 60000 uint8 images of 28x28, timed as a whole (median of the
repeats, loops interleaved round-robin; the DataLoader epochs as a separate group):

- per sample: ``[transform(img) for img in images]`` on NumPy images (the datasets'
  image type without Pillow) and, where Pillow is installed, on PIL images;
- batch: ``transform.batch(images)``, the fast path (one look-up table pass);
- NumPy floor: ``(images.astype(float32) / 255 - 0.5) / 0.5`` by hand;
- torchvision's per-sample pipeline, where torchvision is installed;
- a shuffled DataLoader epoch (batch 64) over an MNIST-like dataset that transforms in
  ``__getitem__``, against one over ``apply_to_dataset(dataset)`` (the apply included).

The last column puts each time against one epoch of the example model (the tutorial
MLP 784-128-10 with Adam, batch 64: 938 training steps, timed here with
bench_train's step).  Before timing, the batch result is checked bit for bit against
the per-sample path and the NumPy floor.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import _harness as H

N, SIDE, STEPS_PER_EPOCH = 60000, 28, 938


def _cases(np, T, images):
    """name -> callable doing the whole set once, plus the problems found checking them."""
    f32 = np.float32
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])

    def floor():
        out = images.astype(f32)[:, None]
        out /= f32(255)
        out -= f32(0.5)
        out /= f32(0.5)
        return out

    cases = {"per sample, NumPy images": lambda: [transform(img) for img in images],
             "batch: Compose.batch (fast path)": lambda: transform.batch(images),
             "NumPy floor (4 vectorised passes)": floor}
    problems = []
    fast = transform.batch(images).numpy()
    if fast.tobytes() != floor().tobytes():
        problems.append("batch != NumPy floor")
    if np.stack([transform(img).numpy() for img in images[:2000]]).tobytes() != fast[:2000].tobytes():
        problems.append("batch != per-sample path")
    loader_cases = _loader_cases(T, images, transform)
    try:
        from PIL import Image
    except ImportError:
        cases["per sample, PIL images"] = None
    else:
        pil_images = [Image.fromarray(img, mode="L") for img in images]
        cases["per sample, PIL images"] = lambda: [transform(img) for img in pil_images]
    try:
        import torchvision.transforms as tvt
    except ImportError:
        cases["torchvision per sample, NumPy images"] = None
    else:
        tv = tvt.Compose([tvt.ToTensor(), tvt.Normalize((0.5,), (0.5,))])
        cases["torchvision per sample, NumPy images"] = lambda: [tv(img) for img in images]
    cases.update(loader_cases)
    return cases, problems


def _loader_cases(T, images, transform):
    """A shuffled DataLoader epoch (batch 64) over an MNIST-like dataset that transforms
    in ``__getitem__``, and over ``apply_to_dataset`` of it (the apply timed too)."""
    import minitorch
    from minitorch.utils.data import DataLoader, Dataset

    class MnistLike(Dataset):
        def __init__(self):
            self.data = minitorch.from_numpy(images)
            self.targets = minitorch.from_numpy((images[:, 0, 0] % 10).astype("int64"))
            self.transform = transform

        def __getitem__(self, index):
            return self.transform(self.data[index].numpy()), int(self.targets[index])

        def __len__(self):
            return len(self.data)

    dataset = MnistLike()

    def epoch(data):
        for _ in DataLoader(data, batch_size=64, shuffle=True):
            pass
    return {"DataLoader epoch, transform in __getitem__": lambda: epoch(dataset),
            "DataLoader epoch over apply_to_dataset (apply included)":
                lambda: epoch(T.apply_to_dataset(dataset))}


def worker(threads: int, repeats: int) -> dict:
    H.setup_worker_threads(threads)
    import numpy as np

    import bench_train
    import minitorch
    from minitorch.vision import transforms as T

    images = np.random.default_rng(0).integers(0, 256, size=(N, SIDE, SIDE), dtype=np.uint8)
    rows, problems = [], []
    with H.LoadMonitor() as load:
        cases, problems = _cases(np, T, images)
        results = {}
        for group in (False, True):  # the epochs apart: their 188 MB allocations disturb the others
            fns = {name: fn for name, fn in cases.items()
                   if fn is not None and name.startswith("DataLoader") == group}
            results.update(H.time_side_by_side(fns, repeats=repeats, warmup_s=0.0, min_loop_s=0.0))
        try:
            epoch_ms = H.time_call(bench_train._lib_step(minitorch, "a", 64, np),
                                   repeats=repeats).median_us * STEPS_PER_EPOCH / 1000
        except Exception as exc:  # report, do not work around
            epoch_ms = None
            problems.append(f"MLP training step (the epoch reference): {H.short_error(exc)}")
    for name, fn in cases.items():
        res = results.get(name)
        if fn is None:
            rows.append({"name": name, "skipped": True})
        elif isinstance(res, Exception):
            rows.append({"name": name, "error": H.short_error(res)})
            problems.append(f"{name}: {H.short_error(res)}")
        else:
            rows.append({"name": name, "stats": H.stats_dict(res)})
    return {"threads": threads, "background_cores": load.background_cores, "rows": rows,
            "epoch_ms": epoch_ms, "problems": problems}


def table(result: dict) -> str:
    headers = [f"{N} images {SIDE}x{SIDE} uint8 -> normalized float32", "ms", "µs / image",
               "x NumPy floor", "% of an MLP epoch"]
    by_name = {r["name"]: r for r in result["rows"]}
    floor = by_name["NumPy floor (4 vectorised passes)"].get("stats")
    floor_ms = None if floor is None else floor["median_us"] / 1000
    rows = []
    for r in result["rows"]:
        if r.get("skipped"):
            rows.append([r["name"], "(skipped: not installed)", "", "", ""])
            continue
        if "error" in r:
            rows.append([r["name"], "FAILED", "", "", ""])
            continue
        ms = r["stats"]["median_us"] / 1000
        epoch_ms = result["epoch_ms"]
        rows.append([r["name"], f"{ms:.1f}", f"{ms * 1000 / N:.2f}", H.fmt_ratio(ms, floor_ms),
                     "—" if epoch_ms is None else f"{100 * ms / epoch_ms:.1f}%"])
    return H.markdown_table(headers, rows)


def run(threads: int = 1, repeats: int = 5) -> tuple[str, dict]:
    result = H.run_worker(__file__, threads, ["--repeats", str(repeats)])
    parts = ["## Transforms: ToTensor + Normalize over 60000 MNIST-sized images\n",
             f"Median of {repeats} passes over the whole set per row (interleaved round-robin), "
             f"{threads} thread{'s' if threads > 1 else ''}. One MLP epoch (938 Adam steps of the "
             f"tutorial 784-128-10 model, batch 64, data loading excluded) = "
             + ("(failed)" if result["epoch_ms"] is None else f"{result['epoch_ms']:.0f} ms")
             + " on this machine.\n",
             H.load_note(result["background_cores"], threads) + "\n",
             table(result) + "\n"]
    if result["problems"]:
        parts.append("### Problems found\n")
        parts.extend(f"- {p}" for p in result["problems"])
        parts.append("")
    return "\n".join(parts), result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="thread count (default 1)")
    ap.add_argument("--repeats", type=int, default=5, help="timed passes per row (default 5)")
    ap.add_argument("--json", help="also write the raw results to this file")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.repeats)))
        return
    report, result = run(args.threads, args.repeats)
    print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
