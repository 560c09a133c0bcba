"""nn.MultiLabelMarginLoss / F.multilabel_margin_loss: values and gradients against torch 2.13
(float64 to float64, float32 against torch's float64) and against a loop-by-loop NumPy reference
of the definition, legacy size_average/reduce, shapes, and torch's errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
import minitorch.nn.functional as F
from tests._compat import requires_torch, torch
from tests.strategies import hsettings


def _reference(x, t):
    """The per-sample losses by the definition, in float64: x (N, C), t (N, C)."""
    rows, n = x.shape
    out = np.zeros(rows)
    for r in range(rows):
        listed = []
        for c in t[r]:
            if c == -1:
                break
            listed.append(int(c))
        for y in listed:
            for i in range(n):
                if i not in listed:
                    out[r] += max(0.0, 1 - x[r, y] + x[r, i])
    return out / n


def _reference_grad(x, t):
    """d(sum of the per-sample losses)/dx by the definition."""
    g = np.zeros_like(x)
    rows, n = x.shape
    for r in range(rows):
        listed = []
        for c in t[r]:
            if c == -1:
                break
            listed.append(int(c))
        for y in listed:
            for i in range(n):
                if i not in listed and 1 - x[r, y] + x[r, i] > 0:
                    g[r, i] += 1 / n
                    g[r, y] -= 1 / n
    return g


@st.composite
def problems(draw):
    rows, n = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    x = np.array(draw(st.lists(st.floats(-2, 2, width=32), min_size=rows * n, max_size=rows * n)),
                 dtype=np.float64).reshape(rows, n)
    t = np.array(draw(st.lists(st.integers(-1, n - 1), min_size=rows * n, max_size=rows * n))).reshape(rows, n)
    return x, t


X = np.array([[0.1, 0.2, 0.4, 0.8], [0.3, 0.3, 0.0, 1.0], [-1.0, 2.0, 0.5, 0.25]])
T = np.array([[3, 0, -1, 1], [1, -1, 2, 2], [1, 1, 2, -1]])  # (the last lists class 1 twice)


@given(problems(), st.sampled_from(["none", "sum", "mean"]))
@hsettings(max_examples=40)
def test_values_and_gradients_match_the_definition(problem, reduction):
    x, t = problem
    mx = minitorch.tensor(x, requires_grad=True)
    loss = F.multilabel_margin_loss(mx, minitorch.tensor(t), reduction=reduction)
    per_sample = _reference(x, t)
    want = {"none": per_sample, "sum": per_sample.sum(), "mean": per_sample.mean()}[reduction]
    np.testing.assert_allclose(loss.detach().numpy(), want, rtol=1e-12, atol=1e-15)
    loss.sum().backward()
    scale = 1 / len(x) if reduction == "mean" else 1
    np.testing.assert_allclose(mx.grad.numpy(), _reference_grad(x, t) * scale, rtol=1e-12, atol=1e-15)


@requires_torch
@given(problems(), st.sampled_from(["none", "sum", "mean"]))
@hsettings(max_examples=30)
def test_values_and_gradients_match_torch(problem, reduction):
    x, t = problem
    for mdt in (minitorch.float64, minitorch.float32):
        mx = minitorch.tensor(x, dtype=mdt, requires_grad=True)
        tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        got = F.multilabel_margin_loss(mx, minitorch.tensor(t), reduction=reduction)
        want = torch.nn.functional.multilabel_margin_loss(tx, torch.tensor(t), reduction=reduction)
        # float32 sums in another order than torch's loop: sized to float32 rounding of the sums
        rtol, atol = (1e-12, 1e-15) if mdt is minitorch.float64 else (1e-5, 1e-6)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=atol)
        got.sum().backward()
        if mdt is minitorch.float32:
            # which margins are positive is decided in the input's dtype, as torch's float32 kernel
            # decides it (1 - x[y] + x[i], in that order)
            tx = torch.tensor(x, dtype=torch.float32, requires_grad=True)
            want = torch.nn.functional.multilabel_margin_loss(tx, torch.tensor(t), reduction=reduction)
        want.sum().backward()
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)


@requires_torch
def test_one_dimensional_input_and_grad_fn_name():
    x, t = X[0], T[0]
    for reduction in ("none", "mean", "sum"):
        got = F.multilabel_margin_loss(minitorch.tensor(x), minitorch.tensor(t), reduction=reduction)
        want = torch.nn.functional.multilabel_margin_loss(torch.tensor(x), torch.tensor(t), reduction=reduction)
        assert tuple(got.shape) == tuple(want.shape) == ()
        assert got.item() == pytest.approx(want.item(), rel=1e-14)
    mx = minitorch.tensor(X, requires_grad=True)
    assert type(F.multilabel_margin_loss(mx, minitorch.tensor(T)).grad_fn).__name__ == "MultilabelMarginLossBackward0"


def test_the_module_and_legacy_arguments():
    x, t = minitorch.tensor(X), minitorch.tensor(T)
    per_sample = _reference(X, T)
    assert repr(minitorch.nn.MultiLabelMarginLoss()) == "MultiLabelMarginLoss()"
    assert minitorch.nn.MultiLabelMarginLoss()(x, t).item() == pytest.approx(per_sample.mean(), rel=1e-6)
    np.testing.assert_allclose(minitorch.nn.MultiLabelMarginLoss(reduction="none")(x, t).numpy(), per_sample,
                               rtol=1e-6)
    with pytest.warns(UserWarning, match="please use reduction='none' instead"):
        module = minitorch.nn.MultiLabelMarginLoss(reduce=False)
    assert module.reduction == "none"
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        total = F.multilabel_margin_loss(x, t, size_average=False)
    assert total.item() == pytest.approx(per_sample.sum(), rel=1e-6)
    # an empty batch
    assert F.multilabel_margin_loss(minitorch.zeros(0, 3), minitorch.zeros(0, 3, dtype=minitorch.int64),
                                    reduction="none").shape == (0,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.multilabel_margin_loss(x, t)


def test_bad_input_raises_torchs_errors():
    x, t = minitorch.tensor(X), minitorch.tensor(T)
    with pytest.raises(RuntimeError, match=r"argument #2 'target' is out of range"):
        F.multilabel_margin_loss(x, minitorch.tensor([[4, 0, -1, 1]] * 3))
    with pytest.raises(RuntimeError, match=r"argument #2 'target' is out of range"):
        F.multilabel_margin_loss(x, minitorch.tensor([[1, 0, -1, 7]] * 3))  # (after the -1 too)
    with pytest.raises(RuntimeError, match=r"argument #2 'target' is out of range"):
        F.multilabel_margin_loss(x, minitorch.tensor([[-2, 0, -1, 1]] * 3))
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[3, 3\] for input of size: \[3, 4\]"):
        F.multilabel_margin_loss(x, t[:, :3])
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.multilabel_margin_loss(x, t.float())
    with pytest.raises(RuntimeError, match=r"Expected non-empty vector or matrix with optional 0-dim batch size, "
                                           r"but got: \[1, 3, 4\]"):
        F.multilabel_margin_loss(x.unsqueeze(0), t.unsqueeze(0))
    with pytest.raises(RuntimeError, match=r"but got: \[2, 0\]"):
        F.multilabel_margin_loss(minitorch.zeros(2, 0), minitorch.zeros(2, 0, dtype=minitorch.int64))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.multilabel_margin_loss(x, t, reduction="bad")
    with pytest.raises(TypeError, match=r"argument 'target' \(position 2\) must be Tensor, not list"):
        F.multilabel_margin_loss(x, [1])
    with pytest.raises(NotImplementedError,
                       match="multilabel_margin_loss_forward_out_frame\" not implemented for 'Int'"):
        F.multilabel_margin_loss(x.int(), t)
