"""Every Python code block in README.md and docs/*.md runs, so the docs cannot rot.

A block whose first line is ``# requires: module`` runs only where that optional
module is installed (the distributed extra's mpi4py, say); CI installs them all.
"""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
# A fence may be indented (a block inside a list item): its lines then carry that indent.
BLOCK = re.compile(r"^([ \t]*)```python\n(.*?)^\1```", re.S | re.M)


def _code(match) -> str:
    indent = match.group(1)
    return "".join(line[len(indent):] if line.startswith(indent) else line
                   for line in match.group(2).splitlines(keepends=True))


def _blocks():
    for path in DOCS:
        for i, match in enumerate(BLOCK.finditer(path.read_text())):
            yield pytest.param(_code(match), id=f"{path.name}-{i}")


@pytest.mark.parametrize("code", list(_blocks()))
def test_doc_code_block_runs(code):
    first = code.splitlines()[0] if code else ""
    if first.startswith("# requires:"):
        for module in first.split(":", 1)[1].split(","):
            if importlib.util.find_spec(module.strip()) is None:
                pytest.skip(f"needs the optional module {module.strip()}")
    exec(compile(code, "<doc>", "exec"), {"__name__": "__doc_block__"})


def test_readme_has_code_blocks():
    assert any(True for _ in BLOCK.finditer((ROOT / "README.md").read_text()))


# ----- the shell commands of the docs -----------------------------------------------------
SHELL_DOCS = DOCS + [ROOT / "benchmarks" / "README.md"]
SHELL_BLOCK = re.compile(r"^```(?:bash|sh|console)\n(.*?)^```", re.S | re.M)
SCRIPT = re.compile(r"python3?\s+((?:benchmarks|examples|scripts)/[\w/]+\.py)([^#\n]*)")


def _commands() -> dict:
    """script path -> the --options the docs' shell blocks pass it (comments stripped)."""
    found: dict = {}
    for path in SHELL_DOCS:
        for block in SHELL_BLOCK.finditer(path.read_text()):
            for cmd in SCRIPT.finditer(block.group(1)):
                flags = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", cmd.group(2)))
                found.setdefault(cmd.group(1), set()).update(flags)
    return found


@pytest.mark.parametrize("script, flags", sorted((s, sorted(f)) for s, f in _commands().items()))
def test_doc_shell_commands_name_real_scripts_and_options(script, flags):
    # A command shown in the docs must exist and accept the options shown (its --help lists them).
    assert (ROOT / script).is_file(), f"{script} is in the docs but not in the repository"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-1000:]
    missing = [f for f in flags if not re.search(re.escape(f) + r"(?![\w-])", proc.stdout)]
    assert not missing, f"{script} --help does not know {missing}"


def test_the_docs_show_shell_commands():
    assert len(_commands()) >= 5


def _public_methods(cls) -> set:
    return {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}


def test_the_op_table_in_backends_md_is_the_backend_interface():
    """docs/backends.md's table lists the core (Backend's abstract methods) and every extra;
    the CPU and CUDA tables implement exactly that interface, nothing public beside it."""
    from minitorch._backends.base import Backend
    from minitorch._backends.cpu import CPUBackend
    from minitorch._backends.cuda._table import CUDABackend  # importable without a GPU
    text = (ROOT / "docs" / "backends.md").read_text()
    table = text[text.index("| group | methods |"):].split("\n\n")[0]
    rows = re.findall(r"^\| ([^|]+) \| (.*) \|$", table, re.M)
    core, extras = set(), set()
    for group, methods in rows:
        words = {w for code in re.findall(r"`([^`]+)`", methods) for w in re.split(r"[\s(]+", code)}
        names = {w for w in words if re.fullmatch(r"[a-z_][a-z0-9_]*", w)}
        (core if group.startswith("core") else extras).update(names)
    assert core == set(Backend.__abstractmethods__)
    assert extras == _public_methods(Backend) - core
    assert _public_methods(CPUBackend) == _public_methods(CUDABackend) == _public_methods(Backend)


def test_design_md_shows_hardtanhs_real_declaration():
    """The listing of docs/design.md's "Adding an op" is the source of minitorch/_ops/activation.py."""
    text = (ROOT / "docs" / "design.md").read_text()
    listing = text.split("## Adding an op: hardtanh", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    source = (ROOT / "minitorch" / "_ops" / "activation.py").read_text()
    assert listing.strip() in source
