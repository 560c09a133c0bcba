"""Real PyTorch programs with transposed, 1-D and padded convolutions, instance norm and
upsampling, ported by changing their imports only (tests/programs/dcgan.py,
fast_neural_style.py, conv1d_classifiers.py): each runs with minitorch and, its imports
switched back, with PyTorch, in this process; every number they print must agree. And the
fast_neural_style TransformerNet's every parameter gradient against PyTorch's."""
import contextlib
import io
import pathlib
import re

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def _run(source: str, name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, name, "exec"), {"__name__": "__main__"})
    return out.getvalue()


def _as_torch(source: str) -> str:
    """The same program with PyTorch's imports: the only lines that differ."""
    torch_source = re.sub(r"^import minitorch as torch$", "import torch", source, flags=re.M)
    torch_source = re.sub(r"^(import|from) minitorch\.", r"\1 torch.", torch_source, flags=re.M)
    changed = [a for a, b in zip(source.splitlines(), torch_source.splitlines()) if a != b]
    assert changed and all(re.match(r"(import|from) minitorch", line) for line in changed)
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
    assert NUMBER.sub("#", ours) == NUMBER.sub("#", theirs)  # the same lines (reprs too), numbers aside
    a, b = _numbers(ours), _numbers(theirs)
    assert len(a) == len(b) and len(a) > 5
    for (x, _), (y, decimals) in zip(a, b):
        # numbers printed in full agree to rtol; those rounded for display to their last digit
        tolerance = 1.01 * 10.0 ** -decimals if decimals <= 4 else 0
        assert x == pytest.approx(y, rel=rtol, abs=tolerance), (ours, theirs)
    return ours


@requires_torch
def test_dcgan_prints_torchs_losses():
    # ConvTranspose2d + BatchNorm2d + ReLU + Tanh against Conv2d + BatchNorm2d +
    # LeakyReLU(0.2, inplace=True) + Sigmoid, BCELoss, Adam(betas=(0.5, 0.999)), 4 iterations
    ours = _compare("dcgan.py", rtol=1e-5)
    assert ours.count("Loss_D") == 4


@requires_torch
def test_fast_neural_style_prints_torchs_losses():
    # TransformerNet: ReflectionPad2d, Conv2d, InstanceNorm2d(affine=True), ReLU and
    # F.interpolate(nearest, x2), through gram matrices and MSE losses; Adam, 3 steps
    ours = _compare("fast_neural_style.py", rtol=1e-5)
    assert ours.count("content:") == 3


@requires_torch
def test_conv1d_classifiers_print_torchs_losses():
    # M5 (Conv1d, BatchNorm1d, MaxPool1d, avg_pool1d) with Adam and StepLR; a sentence CNN
    # (Embedding, Conv1d, max_pool1d over time, dropout) with SGD
    ours = _compare("conv1d_classifiers.py", rtol=2e-5)
    assert ours.count("Train Epoch") == 6 and ours.count("Batch[") == 5


def _transformer_net(lib):
    """The program's TransformerNet class (its definitions run against lib)."""
    source = (PROGRAMS / "fast_neural_style.py").read_text()
    definitions = source[:source.index("# neural_style.py's train()")]
    namespace = {"torch": lib, "__name__": "transformer_net"}
    exec(compile(re.sub(r"^(import|from) minitorch.*$", "", definitions, flags=re.M), "tn", "exec"), namespace)
    return namespace["TransformerNet"]


@requires_torch
def test_transformer_net_gradients_of_every_parameter_are_torchs():
    torch.manual_seed(0)
    t_net = _transformer_net(torch)()
    m_net = _transformer_net(minitorch)()
    m_net.load_state_dict({k: minitorch.tensor(v.numpy()) for k, v in t_net.state_dict().items()})
    x = np.random.default_rng(0).random((2, 3, 32, 32)).astype(np.float32) * 255
    ym, yt = m_net(minitorch.tensor(x)), t_net(torch.tensor(x))
    np.testing.assert_allclose(ym.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    (ym * ym).mean().backward()
    (yt * yt).mean().backward()
    grads = [(name, pm.grad.numpy(), pt.grad.numpy())
             for (name, pm), (_, pt) in zip(m_net.named_parameters(), t_net.named_parameters())]
    scale = max(np.abs(gt).max() for _, _, gt in grads)
    for name, gm, gt in grads:
        # The conv biases in front of an InstanceNorm have no true gradient (the norm subtracts
        # them): both libraries give float32 noise ~1e-9 there, which the absolute term covers;
        # every other gradient agrees with torch's to 1e-4 of its own largest element.
        np.testing.assert_allclose(gm, gt, rtol=1e-4, atol=1e-5 * scale, err_msg=name)
        if np.abs(gt).max() > 1e-6 * scale:
            assert np.abs(gm - gt).max() <= 1e-4 * np.abs(gt).max(), name


def test_the_programs_run_without_torch_and_learn():
    text = _run((PROGRAMS / "dcgan.py").read_text(), "dcgan")
    assert "ConvTranspose2d(16, 64, kernel_size=(4, 4), stride=(1, 1), bias=False)" in text
    assert len(re.findall(r"Loss_D: (\S+) Loss_G: (\S+)", text)) == 4
    text = _run((PROGRAMS / "fast_neural_style.py").read_text(), "fns")
    totals = [float(v) for v in re.findall(r"total: (\S+)", text)]
    assert len(totals) == 3 and totals[2] < totals[0]  # the running average of the loss falls
    text = _run((PROGRAMS / "conv1d_classifiers.py").read_text(), "c1d")
    losses = [float(v) for v in re.findall(r"Loss: (\S+)", text)]
    assert len(losses) == 6 and losses[-1] < losses[0]
