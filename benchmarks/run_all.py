"""Run every benchmark and print one markdown report (about 2-3 minutes).

    python benchmarks/run_all.py                        # print the report
    python benchmarks/run_all.py --out report.md        # and save it
    python benchmarks/run_all.py --quick                # fewer repeats, ~1 minute
    python benchmarks/run_all.py --wait-quiet 120       # on a shared machine, wait for
                                                        # other processes to go quiet first
    python benchmarks/run_all.py --update-docs          # and refresh docs/benchmarks.md
    python benchmarks/run_all.py --plot --sections train --threads 1,4,16
                                                        # the thread-scaling figure (docs/), training only

The report starts with the machine (CPU model, cores, Python/NumPy/numba/torch
versions, date, OpenBLAS variables as found) and the project's goals checked against
this run, then the per-op tables (1 and 2 threads), the training-step and inference
throughput, one epoch over MNIST with the DataLoader, and the start-up table.
``--update-docs`` replaces the part of docs/benchmarks.md between its
``<!-- results:start -->`` and ``<!-- results:end -->`` markers.  ``--plot`` draws the
training section as samples/s against threads (minitorch, torch, the NumPy floor) into
docs/threads-scaling-<N>cores.png (matplotlib, the optional extra ``plot``).  The machine
may be shared: every number is a median of several repeats (see each section).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as H  # noqa: E402
import _plot  # noqa: E402
import bench_epoch  # noqa: E402
import bench_ops  # noqa: E402
import bench_startup  # noqa: E402
import bench_train  # noqa: E402


DOCS = H.REPO_ROOT / "docs" / "benchmarks.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"

# Reference numbers of the goals (PyTorch / NumPy on this kind of machine, 1 thread).
REF_TORCH_ADD_US, REF_TORCH_ADD_GRAD_US, REF_NUMPY_ADD_US = 4.5, 6.6, 2.0


def goals_table(ops_results: list[dict], startup_rows: list[dict]) -> str:
    """The project's performance goals, checked against this run."""
    rows = []
    ops = ops_results[0]  # the first thread configuration (1 thread by default)
    by_name = {r["name"]: r for r in ops["rows"]}
    for name, ref in (("a + b  [64,128]", REF_TORCH_ADD_US),
                      ("a + b  [64,128] requires_grad", REF_TORCH_ADD_GRAD_US)):
        r = by_name[name]
        mt = r.get("minitorch", {}).get("median_us") if r.get("minitorch") else None
        tc = r.get("torch", {}).get("median_us") if r.get("torch") else None
        target = (f"<= torch ({H.fmt_us(tc)} µs this run; ref. {ref} µs)" if tc is not None
                  else f"<= torch (ref. {ref} µs; torch not run)")
        bound = tc if tc is not None else ref
        status = "FAILED" if mt is None else ("met" if mt <= bound else
                                              f"MISSED ({mt / bound:.2f}x)")
        rows.append([f"{name}, {ops['threads']} thread(s)", target,
                     "—" if mt is None else f"{H.fmt_us(mt)} µs", status])
    by_label = {r["label"]: r for r in startup_rows}
    for label, goal in (("minitorch: import + MLP step, warm numba cache", bench_startup.GOAL_WARM_S),
                        ("minitorch: import + MLP step, COLD numba cache", bench_startup.GOAL_COLD_S)):
        r = by_label[label]
        status = "met" if r["median_s"] < goal else "MISSED"
        if r["failed"]:
            status += f" (incomplete: {len(r['failed'])} op(s) failed)"
        rows.append([label.replace("minitorch: ", "process: "), f"< {goal:g} s",
                     f"{r['median_s']:.2f} s", status])
    return H.markdown_table(["goal", "target", "minitorch", "status"], rows, align="llll")


def _demote(markdown: str) -> str:
    """One heading level deeper (## -> ###), to nest the report in the docs page."""
    return re.sub(r"^(#+) ", r"#\1 ", markdown, flags=re.M)


def update_docs(report: str, path: Path = DOCS) -> None:
    text = path.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{path} lacks the {START} / {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n\n{_demote(report).strip()}\n\n{END}{tail}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="also write the report to this file")
    ap.add_argument("--update-docs", action="store_true",
                    help="also put the report into docs/benchmarks.md (between its markers)")
    ap.add_argument("--quick", action="store_true", help="3 repeats per op, 2 runs per start-up")
    ap.add_argument("--threads", default="1,2", help="thread counts of the op tables (default 1,2)")
    ap.add_argument("--data", default="./data", help="the MNIST folder of the epoch benchmark (as the example's)")
    ap.add_argument("--plot", nargs="?", const="", default=None, metavar="PNG",
                    help="also draw samples/s against threads of the training section (default file: "
                         "docs/threads-scaling-<cores>cores.png)")
    ap.add_argument("--sections", default="ops,train,epoch,startup",
                    help="comma-separated sections to run (default: ops,train,epoch,startup; the goals "
                         "table needs ops and startup)")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="S",
                    help="before each section, wait up to S seconds for other processes on the "
                         "machine to go quiet (default 0: do not wait)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    machine = "## Machine\n\n" + H.machine_info_markdown() + "\n"
    print("# minitorch benchmarks\n\n" + machine, flush=True)

    threads = tuple(int(t) for t in args.threads.split(","))
    sections = set(args.sections.split(","))
    reports = [machine]
    ops_results = startup_rows = None
    if "ops" in sections:
        ops_report, ops_results = bench_ops.run(threads, repeats=3 if args.quick else 7,
                                                wait_quiet_s=args.wait_quiet)
        print(ops_report, flush=True)
        reports.append(ops_report)
    if "train" in sections:
        H.wait_for_quiet(args.wait_quiet)
        train_report, train_results = bench_train.run_results(threads, repeats=3 if args.quick else 5)
        print(train_report, flush=True)
        reports.append(train_report)
        if args.plot is not None:
            info = H.machine_info()
            path = args.plot or str(H.REPO_ROOT / "docs" / f"threads-scaling-{info['cores']}cores.png")
            print(_plot.scaling_plot(train_results, path, f"{info['cpu']}, {info['cores']} cores, {info['date']}"))
    elif args.plot is not None:
        print("--plot draws the training section: add train to --sections.")
    if "epoch" in sections:
        H.wait_for_quiet(args.wait_quiet)
        epoch_report = bench_epoch.run(threads, repeats=2 if args.quick else 3, data=args.data)
        print(epoch_report, flush=True)
        reports.append(epoch_report)
    if "startup" in sections:
        H.wait_for_quiet(args.wait_quiet)
        startup_report, startup_rows = bench_startup.run(runs=2 if args.quick else 3)
        print(startup_report, flush=True)
        reports.append(startup_report)

    if ops_results is not None and startup_rows is not None:
        goals = "## Goals, checked against this run\n\n" + goals_table(ops_results, startup_rows) + "\n"
        print(goals)
        reports.insert(1, goals)
    waited = f", of which {H.WAITED_S:.0f} s waiting for quiet" if H.WAITED_S >= 1 else ""
    footer = (f"_Total benchmark time: {time.perf_counter() - t0:.0f} s{waited} "
              f"(`python benchmarks/run_all.py{' --quick' if args.quick else ''}`)._\n")
    print(footer)
    report = "\n".join(reports + [footer])
    if args.out:
        Path(args.out).write_text("# minitorch benchmarks\n\n" + report)
    if args.update_docs:
        update_docs(report)
        print(f"updated {DOCS}")


if __name__ == "__main__":
    main()
