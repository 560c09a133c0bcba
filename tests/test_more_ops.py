"""flip, repeat, norm, gather/scatter_add, masked_fill, narrow/unbind, nonzero, hooks and
user-defined Functions: values and gradients against torch, and against NumPy/finite
differences where torch is absent."""
import numpy as np
import pytest

import minitorch
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch

RNG = np.random.default_rng(0)


def _pair(shape, dtype=np.float32):
    data = RNG.standard_normal(shape).astype(dtype)
    m = minitorch.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True) if torch is not None else None
    return data, m, t


def _close(m, t, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    assert str(m.dtype) == str(t.dtype)


CASES = {
    "flip": lambda x, lib: x.flip(0, 2),
    "repeat": lambda x, lib: x.repeat(2, 1, 3),
    "repeat_new_dims": lambda x, lib: x.repeat(2, 1, 1, 2),
    "norm": lambda x, lib: x.norm(),
    "norm_dim": lambda x, lib: x.norm(dim=1),
    "norm_p1": lambda x, lib: x.norm(p=1, dim=(0, 2), keepdim=True),
    "norm_p3": lambda x, lib: x.norm(p=3),
    "masked_fill": lambda x, lib: x.masked_fill(x > 0.5, -1.0),
    "narrow": lambda x, lib: x.narrow(1, 1, 2),
    "unbind": lambda x, lib: x.unbind(1)[2],
    "select": lambda x, lib: x.select(2, -1),
    "outer": lambda x, lib: lib.outer(x[0, 0], x[1, 1]),
    "where_scalar": lambda x, lib: lib.where(x > 0, x, 0.0),
    "clamp_tensor_bounds": lambda x, lib: x.clamp(min=x[0:1] * 0, max=x[1:2].abs()),
    "gather": lambda x, lib: x.gather(2, lib.tensor([[[0, 3], [1, 1], [2, 0]]] * 2)),
    "scatter_add": lambda x, lib: lib.zeros(2, 3, 5, dtype=x.dtype).scatter_add(2, lib.tensor([[[0, 4, 4, 1]] * 3] * 2), x),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_op_values_grad_fn_and_gradients_match_torch(name):
    data, m, t = _pair((2, 3, 4))
    fn = CASES[name]
    mo, to = fn(m, minitorch), fn(t, torch)
    _close(mo, to, rtol=1e-5)
    assert type(mo.grad_fn).__name__ == type(to.grad_fn).__name__
    g = RNG.standard_normal(tuple(to.shape)).astype(np.float32)
    mo.backward(minitorch.tensor(g))
    to.backward(torch.tensor(g))
    _close(m.grad, t.grad, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_gradients_match_central_differences(name):
    x = minitorch.tensor(RNG.standard_normal((2, 3, 4)) + 0.1, dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(lambda a: CASES[name](a, minitorch).double(), (x,))


def test_flip_values_match_numpy_without_torch():
    data = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(minitorch.tensor(data).flip(0, 2).numpy(), data[::-1, :, ::-1])


def test_scatter_add_needs_matching_dtypes():
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        minitorch.zeros(3).scatter_add(0, minitorch.tensor([0, 1]), minitorch.ones(2, dtype=minitorch.float64))


def test_nonzero_matches_numpy():
    data = np.array([[0, 1, 0], [2, 0, 3]])
    out = minitorch.nonzero(minitorch.tensor(data))
    np.testing.assert_array_equal(out.numpy(), np.argwhere(data))
    rows, cols = minitorch.nonzero(minitorch.tensor(data), as_tuple=True)
    np.testing.assert_array_equal(rows.numpy(), np.nonzero(data)[0])
    np.testing.assert_array_equal(cols.numpy(), np.nonzero(data)[1])


def test_register_hook_replaces_the_gradient_and_can_be_removed():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_hook_on_a_non_leaf_sees_its_gradient():
    x = minitorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    # dy = 2y = [4, 8]; the hook adds 1; dx = 2 * dy
    assert x.grad.tolist() == [10.0, 18.0]


class _Square(minitorch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return 2 * a * grad


def test_user_function_forward_runs_without_graph_and_backward_is_used():
    x = minitorch.tensor([3.0, -1.0], requires_grad=True)
    y = _Square.apply(x)
    assert type(y.grad_fn).__name__ == "_Square"
    assert y.grad_fn.needs_input_grad == (True,)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, -2.0]


def test_user_function_must_return_a_tensor():
    class Bad(minitorch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return 1.0

    with pytest.raises(TypeError, match="must return a single Tensor"):
        Bad.apply(minitorch.ones(2, requires_grad=True))


@requires_torch
def test_var_of_one_element_warns_like_torch_and_gives_nan():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        out = minitorch.tensor([1.0]).var()
    assert np.isnan(out.item())


@requires_torch
def test_inplace_on_non_leaf_uses_the_original_values_like_torch():
    for lib in (minitorch, torch):
        w = lib.full((3,), 3.0, requires_grad=True)
        x = lib.full((3,), 2.0, requires_grad=True)
        y = x * 1
        y.mul_(w)
        y.clamp_(0, 5.0)
        y.sum().backward()
        if lib is torch:
            expected = (x.grad.tolist(), w.grad.tolist())
        else:
            got = (x.grad.tolist(), w.grad.tolist())
    assert got == expected
