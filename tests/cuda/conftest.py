"""Helpers for the CUDA backend's tests: every CUDA result is checked against the CPU
backend running the same minitorch code (which the rest of the suite checks against
PyTorch). Shapes stay tiny: in CI the kernels run in numba's CUDA simulator."""
import numpy as np
import pytest

import minitorch
from minitorch._backends.cuda import _runtime

requires_cuda = pytest.mark.skipif(not _runtime.is_available(), reason="no CUDA device (or simulator)")


def cuda(t):
    """A CUDA copy of a CPU tensor, keeping requires_grad (as a new leaf)."""
    out = t.detach().cuda()
    if t.requires_grad:
        out.requires_grad_(True)
    return out


def assert_same(got, expected, rtol=1e-5, atol=1e-6):
    """got (a CUDA tensor) equals expected (the CPU result): device, dtype, shape, values."""
    assert got.device.type == "cuda", f"result is on {got.device}, expected cuda"
    assert got.dtype == expected.dtype, f"dtype {got.dtype} != {expected.dtype}"
    assert tuple(got.shape) == tuple(expected.shape), f"shape {tuple(got.shape)} != {tuple(expected.shape)}"
    g, e = got.detach().cpu().numpy(), expected.detach().numpy()
    if e.dtype.kind == "f":
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(g, e)


def rand(*shape, dtype=minitorch.float32, seed=0, requires_grad=False):
    """A small random CPU tensor (NumPy's generator: independent of minitorch's RNG)."""
    rng = np.random.default_rng(seed)
    t = minitorch.tensor(rng.standard_normal(shape).astype(dtype.np if dtype.is_floating_point else np.float64)
                         ).to(dtype)
    return t.requires_grad_(True) if requires_grad else t


@pytest.fixture(autouse=True, scope="package")
def _short_switch_interval():
    """numba's simulator runs every CUDA thread as a Python thread and busy-polls them at
    each syncthreads: a short interpreter switch interval makes the tiled kernels ~5x
    quicker there."""
    import sys
    old = sys.getswitchinterval()
    if _runtime.simulator():
        sys.setswitchinterval(5e-4)
    yield
    sys.setswitchinterval(old)
