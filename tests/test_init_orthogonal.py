"""nn.init.orthogonal_: the same draws as PyTorch, orthonormal rows or columns, torch's errors."""
import numpy as np
import pytest

import minitorch

from ._compat import requires_torch, torch

_SHAPES = [(6, 1, 2, 2), (3, 7), (7, 3), (5, 5), (4, 3, 2)]


@pytest.mark.parametrize("shape", _SHAPES)
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape):
    w = minitorch.nn.init.orthogonal_(minitorch.empty(*shape), gain=2.0)
    flat = w.numpy().reshape(shape[0], -1).astype(np.float64)
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=2e-5)


def test_orthogonal_is_the_sign_normalised_q_of_the_drawn_normal_matrix():
    minitorch.manual_seed(3)
    drawn = minitorch.empty(7, 3).normal_(0, 1).numpy().astype(np.float64)
    minitorch.manual_seed(3)
    w = minitorch.nn.init.orthogonal_(minitorch.empty(7, 3)).numpy()
    q, r = np.linalg.qr(drawn)
    np.testing.assert_allclose(w, q * np.sign(np.diag(r)), atol=1e-6)


def test_orthogonal_refuses_vectors_and_leaves_empty_tensors():
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        minitorch.nn.init.orthogonal_(minitorch.ones(3))
    assert minitorch.nn.init.orthogonal_(minitorch.empty(0, 3)).shape == (0, 3)


@requires_torch
@pytest.mark.parametrize("shape", _SHAPES)
def test_orthogonal_matches_torch_from_the_same_seed(shape):
    torch.manual_seed(0)
    minitorch.manual_seed(0)
    theirs = torch.nn.init.orthogonal_(torch.empty(*shape), 1.5)
    ours = minitorch.nn.init.orthogonal_(minitorch.empty(*shape), 1.5)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-6)
