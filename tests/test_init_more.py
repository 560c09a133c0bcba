"""nn.init.trunc_normal_, orthogonal_, sparse_, dirac_: torch's draws from the same seed, and their properties."""
import math

import numpy as np
import pytest

import minitorch
from minitorch import nn
from tests._compat import requires_torch, torch


def _filled(lib, name, shape, *args, **kwargs):
    lib.manual_seed(11)
    t = lib.empty(*shape)
    getattr(lib.nn.init, name)(t, *args, **kwargs)
    return t.detach().numpy(), lib.rand(1).item()


@requires_torch
@pytest.mark.parametrize("args", [(), (0.0, 1.0, -0.5, 0.5), (1.0, 0.02, -2.0, 2.0), (0.0, 1.0, 1.0, 3.0),
                                  (0.0, 0.5, -0.1, 0.1)])
def test_trunc_normal_is_torchs_draw_bit_for_bit(args):
    mine, mine_next = _filled(minitorch, "trunc_normal_", (40, 30), *args)
    theirs, theirs_next = _filled(torch, "trunc_normal_", (40, 30), *args)
    np.testing.assert_array_equal(mine, theirs)
    assert mine_next == theirs_next  # the generator advanced by as many draws


@requires_torch
@pytest.mark.parametrize("shape,gain", [((20, 30), 1.0), ((30, 20), 2.0), ((6, 3, 3, 3), 1.0)])
def test_orthogonal_matches_torch(shape, gain):
    mine, mine_next = _filled(minitorch, "orthogonal_", shape, gain)
    theirs, theirs_next = _filled(torch, "orthogonal_", shape, gain)
    np.testing.assert_allclose(mine, theirs, atol=2e-6)
    assert mine_next == theirs_next


@requires_torch
@pytest.mark.parametrize("name,shape,args", [("sparse_", (10, 6), (0.3,)), ("dirac_", (6, 3, 3, 3), (2,)),
                                             ("dirac_", (4, 4, 5), ()), ("dirac_", (2, 3, 3, 3, 3), ())])
def test_sparse_and_dirac_match_torch(name, shape, args):
    mine, mine_next = _filled(minitorch, name, shape, *args)
    theirs, theirs_next = _filled(torch, name, shape, *args)
    np.testing.assert_array_equal(mine, theirs)
    assert mine_next == theirs_next


def test_trunc_normal_stays_in_bounds_with_normal_moments():
    minitorch.manual_seed(0)
    t = nn.init.trunc_normal_(minitorch.empty(200, 100), mean=0.0, std=1.0, a=-1.0, b=1.0)
    values = t.numpy()
    assert values.min() >= -1.0 and values.max() <= 1.0
    # variance of N(0,1) truncated to [-1, 1]: 1 - 2 phi(1) / (Phi(1) - Phi(-1))
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    mass = math.erf(1 / math.sqrt(2))
    assert abs(values.var() - (1 - 2 * phi / mass)) < 0.01
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
        nn.init.trunc_normal_(minitorch.empty(3), mean=10.0)


def test_orthogonal_rows_are_orthonormal():
    minitorch.manual_seed(1)
    w = nn.init.orthogonal_(minitorch.empty(4, 9), gain=3.0).numpy().astype(np.float64)
    np.testing.assert_allclose(w @ w.T, 9.0 * np.eye(4), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        nn.init.orthogonal_(minitorch.empty(3))


def test_dirac_conv_is_identity_and_sparse_zeroes_per_column():
    w = nn.init.dirac_(minitorch.empty(3, 3, 3, 3))
    x = minitorch.randn(1, 3, 5, 5)
    np.testing.assert_allclose(nn.functional.conv2d(x, w, padding=1).numpy(), x.numpy(), atol=1e-6)
    s = nn.init.sparse_(minitorch.empty(10, 4), sparsity=0.25).numpy()
    assert ((s == 0).sum(axis=0) >= 3).all()
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        nn.init.dirac_(minitorch.empty(3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nn.init.sparse_(minitorch.empty(3, 3, 3), 0.1)
