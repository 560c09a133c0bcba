"""Real PyTorch programs with recurrent layers, ported by changing their imports only
(tests/programs/*.py): each runs with minitorch and, its imports switched back, with
PyTorch, in this process; every number they print must agree."""
import contextlib
import io
import pathlib
import re

import pytest

from tests._compat import requires_torch, torch

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"
NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def _run(source: str, name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, name, "exec"), {"__name__": "__main__"})
    return out.getvalue()


def _as_torch(source: str) -> str:
    """The same program with PyTorch's imports: the only lines that differ."""
    torch_source = re.sub(r"^import minitorch as torch$", "import torch", source, flags=re.M)
    torch_source = re.sub(r"^import minitorch\.", "import torch.", torch_source, flags=re.M)
    changed = [a for a, b in zip(source.splitlines(), torch_source.splitlines()) if a != b]
    assert changed and all(line.startswith("import minitorch") for line in changed)
    return torch_source


def _numbers(text: str) -> list:
    """(value, decimals printed) of every decimal number in text."""
    return [(float(v), len(v.split(".")[1].split("e")[0])) for v in NUMBER.findall(text)]


def _compare(name: str, rtol: float) -> str:
    source = (PROGRAMS / name).read_text()
    ours = _run(source, name)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small ops: a second thread only spins on a shared machine
    try:
        theirs = _run(_as_torch(source), name)
    finally:
        torch.set_num_threads(threads)
    assert NUMBER.sub("#", ours) == NUMBER.sub("#", theirs)  # the same lines, numbers aside
    a, b = _numbers(ours), _numbers(theirs)
    assert len(a) == len(b) and len(a) > 5
    for (x, _), (y, decimals) in zip(a, b):
        # numbers printed in full agree to rtol; those rounded for display (ppl 414.97) to
        # their last printed digit
        tolerance = 1.01 * 10.0 ** -decimals if decimals <= 4 else 0
        assert x == pytest.approx(y, rel=rtol, abs=tolerance), (ours, theirs)
    return ours


@requires_torch
def test_time_sequence_prediction_prints_torchs_losses():
    # float64 LSTMCells through 99 + 20 steps, trained by three L-BFGS steps (61 closure calls):
    # L-BFGS's curvature pairs amplify float64 rounding (the BLAS's summation order) from 1e-16
    # at the first losses to 8e-10 relative at the last (measured), so 1e-8 here.
    ours = _compare("time_sequence_prediction.py", rtol=1e-8)
    train = [float(v) for v in re.findall(r"^loss: (\S+)", ours, flags=re.M)]
    assert len(train) > 20 and train[-1] < train[0] / 100


@requires_torch
def test_word_language_model_prints_torchs_losses():
    # float32 LSTM, GRU and tanh RNN with dropout, tied weights, clip_grad_norm_ and SGD by hand
    ours = _compare("word_language_model.py", rtol=2e-5)
    assert ours.count("valid loss") == 3


def test_the_programs_run_without_torch_and_learn():
    text = _run((PROGRAMS / "time_sequence_prediction.py").read_text(), "tsp")
    train = [float(v) for v in re.findall(r"^loss: (\S+)", text, flags=re.M)]
    test = [float(v) for v in re.findall(r"^test loss: (\S+)", text, flags=re.M)]
    assert len(test) == 3 and test[2] < test[1] < test[0] and train[-1] < train[0] / 100
    text = _run((PROGRAMS / "word_language_model.py").read_text(), "wlm")
    first = [float(v) for v in re.findall(r"\|\s+1/ .*? loss (\S+)", text)]
    valid = [float(v) for v in re.findall(r"valid loss (\S+)", text)]
    assert len(valid) == 3 and all(v < f for v, f in zip(valid, first))

