"""Every Python code block in README.md and docs/*.md runs, so the docs cannot rot."""
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
    exec(compile(code, "<doc>", "exec"), {"__name__": "__doc_block__"})


def test_readme_has_code_blocks():
    assert any(True for _ in BLOCK.finditer((ROOT / "README.md").read_text()))
