"""The numbers the docs state, computed here so that they cannot drift from the code.

    python scripts/doc_numbers.py --check              # what tests/test_doc_numbers.py runs
    python scripts/doc_numbers.py --update             # rewrite the cheap numbers in the docs
    python scripts/doc_numbers.py --update --measure   # ... and re-measure the others (minutes)

In the docs each number sits between markers, invisible once rendered:
``<!-- n:NAME -->VALUE<!-- /n -->``. Two kinds:

- computed: cheap to recompute from the repository (line counts, how many kernels the
  first run compiles); ``--check`` recomputes them and compares with every occurrence.
- measured: they need a run (start-up times, the MNIST example's output). ``--measure``
  runs the command, and records the value, the command, the date and the machine in
  ``docs/numbers.json``; the docs show the value with that date and machine, and
  ``--check`` compares the docs with the record. tests/test_mnist_pipeline.py also
  checks the example's first epoch against the recorded output, in the run it makes
  anyway (the later epochs follow from it: same seed, same code).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "docs" / "numbers.json"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"<!-- n:(?P<name>[a-z0-9_]+) -->(?P<value>.*?)<!-- /n -->", re.S)
ABOUT = 0.10  # an "about" number may be this far from the count before it is stale


# ---------- computed ----------

def _lines(paths) -> int:
    return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in paths)


def _about(count: int, step: int) -> str:
    return f"{round(count / step) * step:,}"


def python_lines() -> str:
    """Lines of Python in the package, to the nearest thousand."""
    return _about(_lines((ROOT / "minitorch").rglob("*.py")), 1000)


def engine_lines() -> str:
    """Lines of the backward engine, to the nearest ten."""
    return _about(_lines([ROOT / "minitorch" / "autograd" / "engine.py"]), 10)


def first_run_kernels() -> str:
    """How many kernels the first run compiles at import."""
    sys.path.insert(0, str(ROOT))
    from minitorch._backends.cpu import _first_run
    return str(len(_first_run.CORE))


COMPUTED = {"python_lines": python_lines, "engine_lines": engine_lines,
            "first_run_kernels": first_run_kernels}
# Counts the docs give as "about": within ABOUT of the count they are current.
APPROXIMATE = {"python_lines", "engine_lines"}


# ---------- measured ----------

def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    # other processes' load matters on a shared machine: the 1-minute load average after the run
    return (f"{os.cpu_count()}-core {cpu}, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f}")


def _run(command: list, env=None) -> str:
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, **(env or {})})
    return out.stdout


def mnist_run() -> tuple[str, str]:
    """The example's output with its defaults (seed 1): the quickstart's text block."""
    command = [sys.executable, "examples/mnist/train.py"]
    text = _run(command)
    return "\n```text\n" + text.rstrip("\n") + "\n```\n", "python examples/mnist/train.py"


def _startup(lib: str) -> float:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_startup as B
    first_use = str(B.FIRST_USE)
    if lib == "torch":
        row = B.measure("import torch", [sys.executable, "-c", "import torch"], 3)
    else:
        row = B.measure("warm", [sys.executable, first_use, "minitorch", "--mlp-only"], 3, cache="warm")
    return row["median_s"]


def warm_start_s() -> tuple[str, str]:
    return f"{_startup('minitorch'):.2f}", "python benchmarks/bench_startup.py (warm numba cache row)"


def torch_import_s() -> tuple[str, str]:
    return f"{_startup('torch'):.2f}", "python benchmarks/bench_startup.py (import torch row)"


MEASURED = {"mnist_run": mnist_run, "warm_start_s": warm_start_s, "torch_import_s": torch_import_s}
RECORDED = {*MEASURED, "measured_on"}  # measured_on: the date and machine of the last --measure


def mnist_accuracy(record: dict) -> str:
    """The recorded run's final test accuracy."""
    return re.findall(r"test accuracy ([0-9.]+%)", record["mnist_run"]["value"])[-1]


DERIVED = {"mnist_accuracy": mnist_accuracy}  # from the measured numbers


# ---------- whole lines the docs quote (in code blocks, where markers would show) ----------

def first_run_notice() -> str:
    """The first-run notice as a 2-core machine prints it (the README shows it)."""
    sys.path.insert(0, str(ROOT))
    from minitorch._backends.cpu import _first_run
    return "    " + _first_run.notice(len(_first_run.CORE), workers=2)


LITERALS = [(ROOT / "README.md", first_run_notice)]


# ---------- the docs ----------

def occurrences() -> list[tuple[Path, str, str]]:
    """(file, name, value) of every marked number in the docs."""
    found = []
    for path in DOCS:
        for match in MARKER.finditer(path.read_text(encoding="utf-8")):
            found.append((path, match["name"], match["value"]))
    return found


def load_record() -> dict:
    return json.loads(RECORD.read_text()) if RECORD.exists() else {}


def _current(name: str, value: str, computed: dict, record: dict) -> str | None:
    """None when ``value`` is current, else what it should be."""
    if name in COMPUTED:
        want = computed.setdefault(name, COMPUTED[name]())
        if name in APPROXIMATE:
            have, exact = float(value.replace(",", "")), float(want.replace(",", ""))
            return None if abs(have - exact) <= ABOUT * exact else want
        return None if value == want else want
    if name in DERIVED:
        try:
            want = DERIVED[name](record)
        except (KeyError, IndexError):
            return "(no record to derive it from: run --update --measure)"
        return None if value == want else want
    if name in RECORDED:
        if name not in record:
            return f"(no record: run --update --measure {name})"
        want = record[name]["value"]
        return None if value == want else want
    return "(unknown number: add it to scripts/doc_numbers.py)"


def check() -> list[str]:
    """Every marked number that is not current, as 'file: name is X, should be Y'."""
    computed, record = {}, load_record()
    problems = []
    for path, name, value in occurrences():
        want = _current(name, value, computed, record)
        if want is not None:
            problems.append(f"{path.relative_to(ROOT)}: {name} is {value!r}, should be {want!r}")
    for path, line in LITERALS:
        if line() not in path.read_text(encoding="utf-8").splitlines():
            problems.append(f"{path.relative_to(ROOT)}: the line {line()!r} is missing")
    return problems


def update(measure: list[str]) -> None:
    record = load_record()
    for name in measure:
        value, command = MEASURED[name]()
        record[name] = {"value": value, "command": command,
                        "date": datetime.date.today().isoformat(), "machine": _machine()}
    if measure:
        record["measured_on"] = {"value": f"{datetime.date.today().isoformat()}, {_machine()}",
                                 "command": "the date and machine of the last --measure"}
        tmp = RECORD.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1) + "\n")
        os.replace(tmp, RECORD)
    values = {name: fn() for name, fn in COMPUTED.items()}
    values.update({name: entry["value"] for name, entry in record.items()})
    for name, derive in DERIVED.items():
        try:
            values[name] = derive(record)
        except (KeyError, IndexError):
            pass
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        new = MARKER.sub(lambda m: f"<!-- n:{m['name']} -->{values.get(m['name'], m['value'])}<!-- /n -->", text)
        if new != text:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, path)
            print(f"updated {path.relative_to(ROOT)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="list the numbers that are not current")
    ap.add_argument("--update", action="store_true", help="rewrite the computed numbers")
    ap.add_argument("--measure", nargs="*", metavar="NAME",
                    help="with --update: re-measure these (all when none is named)")
    args = ap.parse_args(argv)
    if args.update:
        names = list(MEASURED) if args.measure == [] else (args.measure or [])
        update(names)
    problems = check()
    for problem in problems:
        print(problem)
    return 1 if problems and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
