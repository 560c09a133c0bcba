"""The thread-scaling figure of run_all.py --plot: samples/s against threads per workload.

One panel per bench_train.py workload, a line each for minitorch, torch and the NumPy
floor, threads on a log2 axis. matplotlib is the optional extra ``plot``
(``pip install minitorch[plot]``); without it no figure is written and the caller is
told why.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

STYLES = {"minitorch": ("tab:blue", "o"), "torch": ("tab:orange", "s"), "numpy": ("tab:gray", "^")}


def scaling_plot(results: list[dict], path: Path | str, machine: str) -> str:
    """Write the figure of bench_train results (one dict per thread count) to path (PNG,
    written to a temporary name and renamed); return a line saying what was done."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install minitorch[plot]): no scaling plot written."
    results = sorted((r for r in results if "rows" in r), key=lambda r: r["threads"])
    if not results:
        return "no training results to plot."
    threads = [r["threads"] for r in results]
    names = [row["name"] for row in results[0]["rows"]]
    fig, axes = plt.subplots(1, len(names), figsize=(3.4 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        for lib, (color, marker) in STYLES.items():
            values = [next((row.get(lib) for row in r["rows"] if row["name"] == name), None) for r in results]
            points = [(t, v) for t, v in zip(threads, values) if v]
            if points:
                ax.plot([t for t, _ in points], [v for _, v in points], color=color, marker=marker, label=lib)
        ax.set_title(name.replace(", ", ",\n", 1), fontsize=8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(threads, [str(t) for t in threads])
        ax.set_xlabel("threads")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("samples/s")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"Training throughput against threads — {machine}", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return f"wrote {path}"
