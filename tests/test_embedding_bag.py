"""F.embedding_bag and nn.EmbeddingBag: values and gradients (weight and per_sample_weights)
against PyTorch over modes, offsets, 2-D input, padding_idx, include_last_offset,
scale_grad_by_freq, max_norm and non-contiguous weights; a NumPy reference and central
differences without it; the backend's composed default against the CPU kernels; the module's
init draws, repr, from_pretrained, the text-classification tutorial's model; errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch._backends.defaults_nn import NnDefaults
from minitorch.autograd.gradcheck import gradcheck
from minitorch.nn import functional as F
from tests._compat import requires_torch, torch
from tests._nn_compare import raises_like
from tests.strategies import hsettings, layout_of


@st.composite
def bag_cases(draw):
    num, dim = draw(st.integers(1, 8)), draw(st.integers(1, 4))
    mode = draw(st.sampled_from(["sum", "mean", "max"]))
    two_d = draw(st.booleans())
    if two_d:
        shape = (draw(st.integers(0, 3)), draw(st.integers(1, 4)))
    else:
        shape = (draw(st.integers(0, 10)),)
    index = np.array(draw(st.lists(st.integers(0, num - 1), min_size=int(np.prod(shape)),
                                   max_size=int(np.prod(shape)))), np.int64).reshape(shape)
    kwargs = dict(mode=mode)
    if not two_d:
        cuts = sorted(draw(st.lists(st.integers(0, shape[0]), min_size=0, max_size=4)))
        last = draw(st.booleans())
        kwargs["include_last_offset"] = last
        kwargs["offsets"] = np.array([0] + cuts + ([shape[0]] if last else []), np.int64)
    if draw(st.booleans()):
        kwargs["padding_idx"] = draw(st.integers(-num, num - 1))
    if mode != "max" and draw(st.booleans()):
        kwargs["scale_grad_by_freq"] = True
    psw = mode == "sum" and draw(st.booleans())
    return num, dim, index, kwargs, psw, draw(st.integers(0, 2 ** 16))


def _run(lib, index, weight, kwargs, psw):
    kw = dict(kwargs)
    if "offsets" in kw:
        kw["offsets"] = lib.tensor(kw["offsets"])
    if psw is not None:
        kw["per_sample_weights"] = psw
    return lib.nn.functional.embedding_bag(lib.tensor(index), weight, **kw)


@requires_torch
@hsettings(max_examples=50)
@given(case=bag_cases(), dtype=st.sampled_from(["float32", "float64"]), data=st.data())
def test_embedding_bag_matches_torch_values_and_gradients(case, dtype, data):
    num, dim, index, kwargs, with_psw, seed = case
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((num, dim)).astype(dtype)
    wm = data.draw(layout_of(w)).requires_grad_()
    wt = torch.tensor(w.astype(np.float64), requires_grad=True)
    pm = pt = None
    if with_psw:
        p = rng.standard_normal(index.shape).astype(dtype)
        pm, pt = minitorch.tensor(p, requires_grad=True), torch.tensor(p.astype(np.float64), requires_grad=True)
    om, ot = _run(minitorch, index, wm, kwargs, pm), _run(torch, index, wt, kwargs, pt)
    assert om.grad_fn.name() == ot.grad_fn.name() == "EmbeddingBagBackward0"
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(om.detach().numpy(), ot.detach().numpy(), **tol)
    upstream = rng.standard_normal(tuple(ot.shape)).astype(dtype)
    om.backward(minitorch.tensor(upstream))
    ot.backward(torch.tensor(upstream.astype(np.float64)))
    np.testing.assert_allclose(wm.grad.numpy(), wt.grad.numpy(), **tol)
    if with_psw:
        np.testing.assert_allclose(pm.grad.numpy(), pt.grad.numpy(), **tol)


def _reference(index, offsets, weight, mode, psw=None, padding_idx=None):
    """The bags one at a time in NumPy."""
    ends = list(offsets[1:]) + [len(index)]
    out = np.zeros((len(offsets), weight.shape[1]))
    for b, (s, e) in enumerate(zip(offsets, ends)):
        picked = [j for j in range(s, e) if index[j] != padding_idx]
        if not picked:
            continue
        rows = weight[index[picked]] * (psw[picked, None] if psw is not None else 1)
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_equals_a_numpy_loop_over_bags(mode):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((7, 3))
    index = np.array([1, 6, 3, 3, 0, 2, 6, 5, 1])
    offsets = np.array([0, 2, 2, 5])
    for padding_idx in (None, 3):
        got = F.embedding_bag(minitorch.tensor(index), minitorch.tensor(w), minitorch.tensor(offsets), mode=mode,
                              padding_idx=padding_idx)
        np.testing.assert_allclose(got.numpy(), _reference(index, offsets, w, mode, padding_idx=padding_idx),
                                   atol=1e-14)
    if mode == "sum":
        psw = rng.standard_normal(9)
        got = F.embedding_bag(minitorch.tensor(index), minitorch.tensor(w), minitorch.tensor(offsets), mode="sum",
                              per_sample_weights=minitorch.tensor(psw))
        np.testing.assert_allclose(got.numpy(), _reference(index, offsets, w, "sum", psw), atol=1e-14)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradchecks(mode):
    rng = np.random.default_rng(1)
    w = minitorch.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    index, offsets = minitorch.tensor([1, 5, 3, 3, 0, 2, 5]), minitorch.tensor([0, 3, 3])
    assert gradcheck(lambda t: F.embedding_bag(index, t, offsets, mode=mode, padding_idx=2), (w,))
    if mode == "sum":
        p = minitorch.tensor(rng.standard_normal(7), requires_grad=True)
        assert gradcheck(lambda t, q: F.embedding_bag(index, t, offsets, mode="sum", per_sample_weights=q), (w, p))


def test_composed_default_equals_the_cpu_kernels():
    rng = np.random.default_rng(2)
    be = minitorch.tensor([1.0])._backend
    w = rng.standard_normal((9, 4))
    w[3] = w[5]  # ties: the first row in the bag wins
    index = np.array([3, 5, 1, 0, 5, 3, 8, 2])
    bag = np.array([0, 0, -1, 1, 1, 3, 3, 3])
    scale = rng.standard_normal(8)
    for s in (None, scale):
        np.testing.assert_allclose(be.embedding_bag_sum(w, index, bag, s, 4),
                                   NnDefaults.embedding_bag_sum(be, w, index, bag, s, 4), rtol=1e-14)
    out, argmax = be.embedding_bag_max(w, index, bag, 4)
    ref_out, ref_argmax = NnDefaults.embedding_bag_max(be, w, index, bag, 4)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(argmax, ref_argmax)
    assert (argmax[2] == -1).all() and (out[2] == 0).all()
    assert (argmax[0] == 3).all()


@requires_torch
def test_max_norm_renormalises_the_used_rows_in_place_like_torch():
    w = np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32) * 2
    wm, wt = minitorch.tensor(w), torch.tensor(w)
    index = [[1, 1, 2], [4, 5, 5]]
    om = F.embedding_bag(minitorch.tensor(index), wm, max_norm=1.5, norm_type=3.0)
    ot = torch.nn.functional.embedding_bag(torch.tensor(index), wt, max_norm=1.5, norm_type=3.0)
    np.testing.assert_allclose(wm.numpy(), wt.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(om.numpy(), ot.numpy(), rtol=1e-6, atol=1e-7)
    assert (wm.numpy()[[0, 3]] == w[[0, 3]]).all()  # rows not used are untouched


# ----- the module ---------------------------------------------------------------------------

@requires_torch
def test_module_init_draws_state_dict_and_repr_match_torch():
    for kwargs in ({}, dict(padding_idx=2, mode="max"), dict(max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True,
                                                             mode="sum", padding_idx=-1)):
        minitorch.manual_seed(7)
        torch.manual_seed(7)
        m, t = nn.EmbeddingBag(10, 3, **kwargs), torch.nn.EmbeddingBag(10, 3, **kwargs)
        assert repr(m) == repr(t)
        assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]
        np.testing.assert_array_equal(m.weight.detach().numpy(), t.weight.detach().numpy())
        assert m.padding_idx == t.padding_idx


def test_from_pretrained_freezes_by_default_and_keeps_the_values():
    w = minitorch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    bag = nn.EmbeddingBag.from_pretrained(w, mode="sum")
    assert not bag.weight.requires_grad and bag.mode == "sum"
    assert bag(minitorch.tensor([[0, 2]])).tolist() == [[6.0, 8.0]]
    assert nn.EmbeddingBag.from_pretrained(w, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.EmbeddingBag.from_pretrained(minitorch.zeros(3))


@requires_torch
def test_text_classification_tutorial_model_trains_like_torch():
    def make(lib):
        class TextClassificationModel(lib.nn.Module):
            def __init__(self, vocab_size, embed_dim, num_class):
                super().__init__()
                self.embedding = lib.nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
                self.fc = lib.nn.Linear(embed_dim, num_class)
                initrange = 0.5
                self.embedding.weight.data.uniform_(-initrange, initrange)
                self.fc.weight.data.uniform_(-initrange, initrange)
                self.fc.bias.data.zero_()

            def forward(self, text, offsets):
                return self.fc(self.embedding(text, offsets))
        return TextClassificationModel(50, 16, 4)

    minitorch.manual_seed(0)
    torch.manual_seed(0)
    m, t = make(minitorch), make(torch)
    rng = np.random.default_rng(0)
    text, offsets, label = rng.integers(0, 50, 40), np.array([0, 7, 19, 30]), np.array([0, 3, 1, 2])
    opt_m = minitorch.optim.SGD(m.parameters(), lr=5.0)
    opt_t = torch.optim.SGD(t.parameters(), lr=5.0)
    for _ in range(3):
        for model, lib, opt in ((m, minitorch, opt_m), (t, torch, opt_t)):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(text), lib.tensor(offsets)), lib.tensor(label))
            loss.backward()
            opt.step()
    for (name, p), q in zip(m.named_parameters(), t.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


# ----- errors -------------------------------------------------------------------------------

I1, O1, W = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4]), np.zeros((10, 3), np.float32)
BAG_ERRORS = [
    (I1, W, dict(offsets=O1, mode="foo")),
    (I1, W, dict(offsets=O1, mode="max", scale_grad_by_freq=True)),
    (I1, W, dict(offsets=O1, mode="max", sparse=True)),
    (I1, W, dict(offsets=O1, per_sample_weights=np.ones(8, np.float32))),
    (I1, W, dict(offsets=O1, mode="sum", per_sample_weights=np.ones(7, np.float32))),
    (I1, W, dict(offsets=O1, mode="sum", per_sample_weights=np.ones(8))),
    (I1, W[0], dict(offsets=O1)),
    (I1.reshape(2, 4), W, dict(offsets=O1)),
    (I1, W, {}),
    (I1, W, dict(offsets=O1.reshape(2, 1))),
    (I1.reshape(2, 2, 2), W, {}),
    (I1, W, dict(offsets=np.array([1, 4]))),
    (I1, W, dict(offsets=np.array([0, 9]))),
    (np.array([1, 2, 10]), W, dict(offsets=np.array([0]))),
    (np.array([1, 2, -1]), W, dict(offsets=np.array([0]))),
    (I1.astype(np.float32), W.astype(np.float64), dict(offsets=O1)),
    (I1, W, dict(offsets=O1.astype(np.float32))),
    (I1, W.astype(np.int64), dict(offsets=O1)),
    (I1, W, dict(offsets=O1, padding_idx=10)),
    (I1, W, dict(offsets=O1, padding_idx=-11)),
]


@requires_torch
@pytest.mark.parametrize("index, weight, kwargs", BAG_ERRORS)
def test_embedding_bag_errors_match_torch(index, weight, kwargs):
    def call(lib):
        kw = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return lambda: lib.nn.functional.embedding_bag(lib.tensor(index), lib.tensor(weight), **kw)
    raises_like(call(minitorch), call(torch))


@requires_torch
def test_module_errors_match_torch():
    for kwargs in (dict(padding_idx=10), dict(padding_idx=-11), dict(_weight=np.zeros((3, 3), np.float32))):
        def make(lib, kwargs=kwargs):
            kw = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
            return lambda: lib.nn.EmbeddingBag(10, 3, **kw)
        raises_like(make(minitorch), make(torch))


def test_no_bags_and_empty_bags_give_zero_rows_and_zero_gradients():
    for index, offsets in (([], [0, 0]), ([1, 2], [])):
        w = minitorch.ones(3, 2, requires_grad=True)
        psw = minitorch.ones(len(index), requires_grad=True)
        out = F.embedding_bag(minitorch.tensor(index, dtype=minitorch.int64), w,
                              minitorch.tensor(offsets, dtype=minitorch.int64), mode="sum", per_sample_weights=psw)
        assert out.shape == (len(offsets), 2) and not out.detach().numpy().any()
        out.sum().backward()
        assert w.grad.shape == (3, 2) and not w.grad.numpy().any()
        assert psw.grad.shape == (len(index),) and not psw.grad.numpy().any()


def test_sparse_gradients_say_they_are_not_supported():
    with pytest.raises(NotImplementedError, match="sparse=True"):
        F.embedding_bag(minitorch.tensor([[1, 2]]), minitorch.zeros(3, 2), sparse=True)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_runs_on_a_backend_made_of_the_core_alone(mode):
    from tests._core_backend import CORE  # noqa: F401 - registers the "core" device
    w = minitorch.tensor(np.random.default_rng(4).standard_normal((6, 3)))
    index, offsets = [1, 5, 3, 3, 0, 2, 5], [0, 3, 3]
    a, b = w.clone().requires_grad_(), w.to("core").requires_grad_()
    ya = F.embedding_bag(minitorch.tensor(index), a, minitorch.tensor(offsets), mode=mode)
    yb = F.embedding_bag(minitorch.tensor(index).to("core"), b, minitorch.tensor(offsets).to("core"), mode=mode)
    np.testing.assert_allclose(yb.detach().cpu().numpy(), ya.detach().numpy(), rtol=1e-14)
    ya.sum().backward()
    yb.sum().backward()
    np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-14)
