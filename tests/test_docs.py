"""Every Python code block in README.md and docs/*.md runs, so the docs cannot rot.

A block whose first line is ``# requires: module`` runs only where that optional
module is installed (the distributed extra's mpi4py, say); CI installs them all.
"""
import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks():
    for path in DOCS:
        for i, match in enumerate(BLOCK.finditer(path.read_text())):
            yield pytest.param(match.group(1), id=f"{path.name}-{i}")


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
