"""minitorch.onnx.export of the ops a custom forward uses: arithmetic with numbers and
broadcasting, matmul, views and reshapes, permute / transpose, cat / stack, slicing and
integer / mask indexing, reductions, comparisons and logical ops, losses, in-place ops."""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from hypothesis import given, settings, strategies as st  # noqa: E402

import minitorch as torch  # noqa: E402
import minitorch.onnx  # noqa: E402
from minitorch import nn  # noqa: E402
from minitorch.autograd.function import Function  # noqa: E402
from minitorch.onnx.errors import UnsupportedOperatorError  # noqa: E402

from ._onnx_check import op_types, roundtrip  # noqa: E402


class Fn(nn.Module):
    """A module around a function (export traces modules and plain callables alike)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


OPS = {
    "add-mul-sub-div-numbers": (lambda x: (2 - x) * 3 + x / 4 - 1, 1),
    "broadcast-tensors": (lambda x, y: x * y[0] + y[:, :1] - x.mean(), 2),
    "int-tensor-times-float": (lambda i: i * 0.5 + 1, "int"),
    "true-division-of-ints": (lambda i: i / 3, "int"),
    "floor-divide-and-remainder": (lambda x, y: (x // (y.abs() + 0.5), x % 0.7, torch.remainder(-x, 1.3)), 2),
    "pow-forms": (lambda x: (x.abs() ** 1.5, 2 ** x, x.abs() ** x), 1),
    "unary-functions": (lambda x: (x.exp(), x.abs().log1p(), x.abs().sqrt(), x.abs().rsqrt(), x.sin(), x.cos(),
                                   x.sign(), x.floor(), x.ceil(), x.round(), x.trunc(), x.abs().log2(),
                                   x.expm1(), x.reciprocal(), -x), 1),
    "clamp-forms": (lambda x, y: (x.clamp(-0.5, 0.5), x.clamp(min=0.1), x.clamp(max=y)), 2),
    "matmul-forms": (lambda x, y: (x @ y.t(), torch.mm(x, y.t()), x[0] @ y[1], x @ y[0], torch.bmm(
        x.unsqueeze(0), y.t().unsqueeze(0))), 2),
    "views": (lambda x: (x.view(2, 6), x.reshape(-1), x.view(3, 2, 2).permute(2, 0, 1), x.t(), x.transpose(0, 1),
                         x.unsqueeze(1).squeeze(), x.flatten(), x.T.contiguous(), x.expand(2, 3, 4)), 1),
    "cat-stack-split": (lambda x, y: (torch.cat([x, y], 0), torch.cat([x, y, x], 1), torch.stack([x, y], 2),
                                      *x.chunk(2, 1), *torch.split(y, [1, 2], 0), *x.unbind(0)), 2),
    "repeat-flip-tril": (lambda x: (x.repeat(2, 1, 3), x.flip(0, 1), torch.tril(x), torch.triu(x, 1)), 1),
    "slicing": (lambda x: (x[1:], x[:, ::2], x[..., -1], x[None, 1, 1:3], x[-2:, :-1], x[1]), 1),
    "reductions": (lambda x: (x.sum(), x.sum(1), x.mean((0, 1), keepdim=True), x.prod(0), x.max(), x.min(1)[0],
                              x.amax(1), x.var(1), x.std(), x.logsumexp(1), x.norm(), x.norm(1, 1)), 1),
    "arg-and-indices": (lambda x: (x.argmax(), x.argmin(1, keepdim=True), x.max(1)[1], x.min(0).indices), 1),
    "comparisons-and-logic": (lambda x, y: (x > y, x <= 0.5, x == y, x != 0, (x > 0) & (y > 0), (x > 0) | (y < 0),
                                            (x > 0) ^ (y > 0), ~(x > 0), torch.logical_and(x > 0, y > 0),
                                            (x > 0).all(), (x > 0).any(1), x.isnan(), x.isfinite()), 2),
    "where-masked-fill": (lambda x, y: (torch.where(x > 0, x, y), x.masked_fill(y > 0, -1.0),
                                        torch.where(x > 0, 1.0, 0.0)), 2),
    "gather-scatter": (lambda x: (x.gather(1, torch.tensor([[0, 2], [1, 1], [3, 0]])),
                                  torch.zeros(3, 4).scatter_add(1, torch.tensor([[0, 2], [1, 1], [3, 0]]), x[:, :2])), 1),
    "casts": (lambda x: ((x > 0).float(), x.long(), x.double() * 2, x.to(torch.float64).half().float()), 1),
    "activations-functional": (lambda x: (torch.nn.functional.relu(x), torch.nn.functional.softmax(x, 1),
                                          torch.nn.functional.gelu(x), torch.nn.functional.leaky_relu(x),
                                          torch.nn.functional.hardtanh(x), x.sigmoid(), x.tanh()), 1),
    "losses": (lambda x, y: (torch.nn.functional.mse_loss(x, y), torch.nn.functional.l1_loss(x, y, reduction="sum"),
                             torch.nn.functional.binary_cross_entropy_with_logits(x, y.sigmoid(), pos_weight=y[0].abs()),
                             torch.nn.functional.binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction="none"),
                             torch.nn.functional.cross_entropy(x, torch.tensor([1, 0, 3]), weight=y[1].abs(),
                                                               ignore_index=0),
                             torch.nn.functional.cross_entropy(x, torch.tensor([1, 0, 3]), label_smoothing=0.1),
                             torch.nn.functional.nll_loss(x.log_softmax(1), torch.tensor([2, 2, 1]), reduction="none")),
               2),
}


def _inputs(kind):
    torch.manual_seed(0)
    if kind == "int":
        return (torch.tensor([[3, -2, 7, 0], [1, 2, -9, 4], [5, 5, 6, -1]]),)
    return tuple(torch.randn(3, 4) for _ in range(kind))


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_exports_and_onnxruntime_matches_minitorch(name):
    fn, kind = OPS[name]
    roundtrip(Fn(fn), _inputs(kind))


def test_inplace_ops_are_followed():
    def fn(x):
        y = x * 2
        y += 1
        y.mul_(3)
        z = (y - 4).relu_()
        w = y.clone()
        w[:, 0] = 5.0
        w[1] = x[0]
        x2 = x.clone()
        x2.zero_()
        x2.copy_(y)
        return z, w, x2
    proto = roundtrip(Fn(fn), torch.randn(3, 4))
    assert {"Relu", "ScatterElements"} <= op_types(proto)


def test_advanced_indexing_with_model_computed_indices_and_masks():
    def fn(x, i):
        return (x[i], x[:, [0, 2]], x[torch.arange(3), i[:3]], x[x > 0.5], x[1:, i[:2]],
                x[torch.tensor([[0, 1], [2, 3]])], x[:, torch.tensor([True, False, True, False, True])])
    proto = roundtrip(Fn(fn), (torch.randn(4, 5), torch.tensor([2, 0, 1, 3])))
    assert {"Gather", "GatherND", "NonZero"} <= op_types(proto)


def test_indexing_a_parameter_by_an_input_is_not_folded():
    class Table(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = nn.Parameter(torch.randn(6, 3))

        def forward(self, i):
            return self.table[i], self.table[i, 1:], self.table[:, (i % 3)[:2]]

    torch.manual_seed(0)
    i = torch.tensor([4, 0, 2])
    roundtrip(Table(), i, others=[(torch.tensor([1, 5, 3]),)])


def test_constants_made_in_forward_and_parameters_transposed_are_folded():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(6, 4))

        def forward(self, x):
            return x @ self.w.t() + torch.arange(6.0) * 2

    torch.manual_seed(0)
    folded = roundtrip(M(), torch.randn(3, 4))
    assert op_types(folded) == {"MatMul", "Add"}
    kept = roundtrip(M(), torch.randn(3, 4), do_constant_folding=False)
    assert "Transpose" in op_types(kept) and "w" in {i.name for i in kept.graph.initializer}


class NoTranslationBackward0(Function):
    """An op that no converter knows."""

    @staticmethod
    def forward(ctx, a):
        return a._data * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def test_unsupported_op_raises_only_when_an_output_needs_it():
    def needs_it(x, t):
        return NoTranslationBackward0.apply(x) + 1

    def unused(x, t):
        NoTranslationBackward0.apply(x)
        return x * 2
    args = (torch.randn(3, 4), torch.tensor([0, 3, 1]))
    with pytest.raises(UnsupportedOperatorError, match="'NoTranslationBackward0' to ONNX opset version 20") as e:
        minitorch.onnx.export(Fn(needs_it), args)
    assert isinstance(e.value, RuntimeError)
    roundtrip(Fn(unused), args)


def test_inplace_write_through_a_view_then_reading_the_base_is_refused():
    def fn(x):
        y = x * 1
        y[0].mul_(2)  # writes into y through a view
        return y

    def fine(x):
        y = (x * 1).view(12)
        y.mul_(2)
        return y
    with pytest.raises(UnsupportedOperatorError, match="modified in place"):
        minitorch.onnx.export(Fn(fn), (torch.randn(3, 4),))
    roundtrip(Fn(fine), torch.randn(3, 4))


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), data=st.data())
def test_reduce_permute_reshape_chains_match_onnxruntime(shape, data):
    n = len(shape)
    dim = data.draw(st.integers(-n, n - 1))
    keepdim = data.draw(st.booleans())
    perm = data.draw(st.permutations(range(n)))
    start = data.draw(st.integers(1, 3))

    def fn(x):
        y = x.permute(*perm)[..., :start] * 2 + x.sum(dim, keepdim=True).mean()
        return y.reshape(-1, y.shape[-1]).exp().sum(dim=0), x.amax(dim, keepdim=keepdim)
    x = torch.tensor(np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32))
    roundtrip(Fn(fn), x.transpose(0, 1).contiguous().transpose(0, 1))
