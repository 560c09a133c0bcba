"""Every number the docs state is current: computed ones recomputed, measured ones equal to
their record (scripts/doc_numbers.py; `python scripts/doc_numbers.py --update` fixes them)."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _script():
    spec = importlib.util.spec_from_file_location("doc_numbers", os.path.join(ROOT, "scripts", "doc_numbers.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_marked_number_in_the_docs_is_current():
    assert _script().check() == []


def test_the_docs_mark_the_numbers_that_drifted_before():
    """index.md's size and start-up time, the quickstart's run and the README's accuracy
    are produced by the script, not typed."""
    names = {(os.path.basename(path), name) for path, name, _ in _script().occurrences()}
    assert {("index.md", "python_lines"), ("index.md", "warm_start_s"), ("quickstart.md", "mnist_run"),
            ("README.md", "mnist_accuracy")} <= names


def test_an_about_count_goes_stale_beyond_ten_percent(tmp_path, monkeypatch):
    script = _script()
    doc = tmp_path / "doc.md"
    monkeypatch.setattr(script, "DOCS", [doc])
    monkeypatch.setattr(script, "ROOT", tmp_path)
    monkeypatch.setattr(script, "COMPUTED", {"python_lines": lambda: "23,000"})
    doc.write_text("about <!-- n:python_lines -->22,000<!-- /n --> lines")
    assert script.check() == []
    doc.write_text("about <!-- n:python_lines -->16,000<!-- /n --> lines")
    assert script.check() == ["doc.md: python_lines is '16,000', should be '23,000'"]
    doc.write_text("<!-- n:no_such_number -->3<!-- /n -->")
    assert script.check() == ["doc.md: no_such_number is '3', should be "
                              "'(unknown number: add it to scripts/doc_numbers.py)'"]
