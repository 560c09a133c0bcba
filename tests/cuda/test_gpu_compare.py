"""scripts/gpu_compare.py's own cases and error measure, on the CPU: minitorch against
torch must agree there, or the GPU check's table would blame the GPU for the script."""
import importlib.util
import pathlib

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch

_SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "gpu_compare.py"
_spec = importlib.util.spec_from_file_location("gpu_compare", _SCRIPT)
gpu_compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_compare)

_CASES = gpu_compare.cases(16)


@requires_torch
@pytest.mark.parametrize("seed, case", list(enumerate(_CASES)), ids=[c[0] for c in _CASES])
def test_minitorch_cpu_agrees_with_torch_cpu_on_every_compare_case(seed, case):
    name, shapes, fn = case
    got = gpu_compare.run(minitorch, minitorch.nn.functional, "cpu", shapes, fn, seed)
    ref = gpu_compare.run(torch, torch.nn.functional, "cpu", shapes, fn, seed)
    assert gpu_compare.case_error(got, ref) < gpu_compare.TOL, name


def test_softmax_dim0_gradient_of_a_plain_sum_is_rounding_noise():
    """Why the script draws an upstream gradient: d sum(softmax(x, 0)) / dx is 0 exactly,
    so the gradient a plain sum gives is rounding noise (no gradient to compare)."""
    rng = np.random.default_rng(0)
    x = minitorch.tensor(rng.standard_normal((64, 10)).astype(np.float32)).requires_grad_(True)
    minitorch.nn.functional.softmax(x, dim=0).sum().backward()
    assert np.abs(x.grad.numpy()).max() < 1e-6
    y = np.exp(x.detach().numpy().astype(np.float64))
    y /= y.sum(0, keepdims=True)
    g = rng.standard_normal((64, 10))
    x.grad = None
    (minitorch.nn.functional.softmax(x, dim=0) * minitorch.tensor(g.astype(np.float32))).sum().backward()
    expected = y * (g - (g * y).sum(0, keepdims=True))            # y * (g - sum(g * y))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-4, atol=1e-6)
