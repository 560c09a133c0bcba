"""smooth_l1, huber, kl_div, poisson/gaussian NLL, the margin and embedding losses, cosine
similarity and pairwise distance: values, gradients and graph nodes against torch for every
reduction in float32 and float64; errors and warnings against torch; the modules' attributes,
reprs and state; float64 gradcheck, and NumPy references on any layout without torch."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
import minitorch.nn.functional as F
from minitorch import nn
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors

N, C = 5, 4
_rng = np.random.default_rng(0)
X, Y, Z = (_rng.standard_normal((N, C)) * 2 for _ in range(3))
SIGN = np.sign(_rng.standard_normal((N, C)))
ROW_SIGN = np.sign(_rng.standard_normal(N))
CLASSES = _rng.integers(0, C, N)
PROB = _rng.random((N, C))
PROB /= PROB.sum(1, keepdims=True)
POSITIVE = _rng.random((N, C)) * 3 + 0.1
LABELS = (_rng.random((N, C)) > 0.5) * 1.0

# name -> f(F, lib, T, reduction); T(array, grad=False) makes a tensor of the case's dtype.
CASES = {
    "smooth_l1_loss": lambda F, L, T, R: F.smooth_l1_loss(T(X, 1), T(Y, 1), reduction=R, beta=0.7),
    "smooth_l1_loss_beta0": lambda F, L, T, R: F.smooth_l1_loss(T(X, 1), T(Y), reduction=R, beta=0.0),
    "huber_loss": lambda F, L, T, R: F.huber_loss(T(X, 1), T(Y, 1), reduction=R, delta=1.3),
    "huber_loss_weight": lambda F, L, T, R: F.huber_loss(T(X, 1), T(Y), reduction=R, delta=0.5, weight=T(POSITIVE, 1)),
    "kl_div": lambda F, L, T, R: F.kl_div(T(X, 1), T(PROB, 1), reduction=R),
    "kl_div_batchmean": lambda F, L, T, R: F.kl_div(T(X, 1), T(PROB), reduction="batchmean" if R == "mean" else R),
    "kl_div_log_target": lambda F, L, T, R: F.kl_div(T(X, 1), T(np.log(PROB), 1), reduction=R, log_target=True),
    "soft_margin_loss": lambda F, L, T, R: F.soft_margin_loss(T(X, 1), T(SIGN), reduction=R),
    "margin_ranking_loss": lambda F, L, T, R: F.margin_ranking_loss(T(X[:, 0], 1), T(Y[:, 0], 1), T(ROW_SIGN),
                                                                    margin=0.3, reduction=R),
    "hinge_embedding_loss": lambda F, L, T, R: F.hinge_embedding_loss(T(X, 1), T(SIGN), margin=1.5, reduction=R),
    "cosine_embedding_loss": lambda F, L, T, R: F.cosine_embedding_loss(T(X, 1), T(Y, 1), T(ROW_SIGN), margin=0.1,
                                                                        reduction=R),
    "poisson_nll_loss": lambda F, L, T, R: F.poisson_nll_loss(T(X, 1), T(POSITIVE), reduction=R),
    "poisson_nll_loss_full": lambda F, L, T, R: F.poisson_nll_loss(T(POSITIVE, 1), T(POSITIVE * 2, 1), log_input=False,
                                                                   full=True, reduction=R),
    "gaussian_nll_loss": lambda F, L, T, R: F.gaussian_nll_loss(T(X, 1), T(Y, 1), T(POSITIVE, 1), reduction=R),
    "gaussian_nll_loss_homoscedastic": lambda F, L, T, R: F.gaussian_nll_loss(T(X, 1), T(Y), T(POSITIVE[:, 0], 1),
                                                                              full=True, reduction=R),
    "gaussian_nll_loss_float_var": lambda F, L, T, R: F.gaussian_nll_loss(T(X, 1), T(Y), 0.5, reduction=R),
    "triplet_margin_loss": lambda F, L, T, R: F.triplet_margin_loss(T(X, 1), T(Y, 1), T(Z, 1), reduction=R),
    "triplet_margin_loss_swap_p1": lambda F, L, T, R: F.triplet_margin_loss(T(X, 1), T(Y, 1), T(Z, 1), p=1, swap=True,
                                                                            margin=2.0, reduction=R),
    "triplet_margin_with_distance_loss": lambda F, L, T, R: F.triplet_margin_with_distance_loss(
        T(X, 1), T(Y, 1), T(Z, 1), swap=True, reduction=R),
    "multi_margin_loss": lambda F, L, T, R: F.multi_margin_loss(T(X, 1), L.tensor(CLASSES), reduction=R),
    "multi_margin_loss_p2_weight": lambda F, L, T, R: F.multi_margin_loss(T(X, 1), L.tensor(CLASSES), p=2, margin=0.7,
                                                                          weight=T(POSITIVE[0]), reduction=R),
    "multi_margin_loss_1d": lambda F, L, T, R: F.multi_margin_loss(T(X[0], 1), L.tensor(CLASSES[0]), reduction=R),
    "multilabel_soft_margin_loss": lambda F, L, T, R: F.multilabel_soft_margin_loss(T(X, 1), T(LABELS), reduction=R),
    "multilabel_soft_margin_loss_weight": lambda F, L, T, R: F.multilabel_soft_margin_loss(
        T(X, 1), T(LABELS), weight=T(POSITIVE[0]), reduction=R),
}
DISTANCES = {
    "cosine_similarity": lambda F, L, T: F.cosine_similarity(T(X, 1), T(Y, 1)),
    "cosine_similarity_broadcast": lambda F, L, T: L.cosine_similarity(T(X, 1), T(Y[0], 1), dim=-1),
    "cosine_similarity_dim0": lambda F, L, T: F.cosine_similarity(T(X, 1), T(Z, 1), dim=0, eps=0.5),
    "pairwise_distance": lambda F, L, T: F.pairwise_distance(T(X, 1), T(Y, 1)),
    "pairwise_distance_p3_keepdim": lambda F, L, T: L.pairwise_distance(T(X, 1), T(Y, 1), p=3, keepdim=True),
    "pairwise_distance_1d": lambda F, L, T: F.pairwise_distance(T(X[0], 1), T(Y[0], 1), p=1),
}


def _run(fn, lib, dtype, *args):
    leaves = []

    def T(a, grad=False):
        t = lib.tensor(np.array(a, dtype=dtype), requires_grad=bool(grad))
        if grad:
            leaves.append(t)
        return t
    functional = lib.nn.functional
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(functional, lib, T, *args)
    seed = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
    out.backward(lib.tensor(seed))
    return out, leaves


def _compare(mine, theirs, dtype):
    (out, leaves), (expected, th_leaves) = mine, theirs
    assert out.grad_fn.name() == expected.grad_fn.name()
    assert tuple(out.shape) == tuple(expected.shape) and str(out.dtype) == str(expected.dtype)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tol)
    for a, b in zip(leaves, th_leaves):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


@requires_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", list(CASES))
def test_loss_values_gradients_and_nodes_match_torch(name, reduction, dtype):
    _compare(_run(CASES[name], minitorch, dtype, reduction), _run(CASES[name], torch, dtype, reduction), dtype)


@requires_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(DISTANCES))
def test_distances_match_torch(name, dtype):
    _compare(_run(DISTANCES[name], minitorch, dtype), _run(DISTANCES[name], torch, dtype), dtype)


@requires_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_elementwise_losses_on_non_contiguous_inputs_match_torch(reduction):
    base = np.random.default_rng(2).standard_normal((6, 8))
    for name in ("smooth_l1_loss", "huber_loss", "soft_margin_loss", "kl_div", "poisson_nll_loss"):
        outs = []
        for lib in (minitorch, torch):
            x = lib.tensor(base.copy(), requires_grad=True)
            y = lib.tensor(np.sign(base.T.copy()) if name == "soft_margin_loss" else base.T.copy() / 3)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = getattr(lib.nn.functional, name)(x[::2, 1:7].t(), y[1:7, ::2], reduction=reduction)
            out.sum().backward()
            outs.append((out.detach().numpy(), x.grad.numpy()))
        np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-12, atol=1e-12)


def _error_cases(lib):
    Fn = lib.nn.functional
    x, y = lib.ones(3, 4), lib.ones(3, 4) * 2
    idx = lib.tensor
    return [
        lambda: Fn.smooth_l1_loss(x, y, beta=-1), lambda: Fn.huber_loss(x, y, delta=0),
        lambda: Fn.huber_loss(x, y, reduction="foo"), lambda: Fn.smooth_l1_loss(x, y, reduction="foo"),
        lambda: Fn.smooth_l1_loss(x, lib.ones(5)), lambda: Fn.huber_loss(x, y, weight=lib.ones(4)),
        lambda: Fn.kl_div(x, y, reduction="foo"), lambda: Fn.kl_div(x, lib.ones(5), reduction="sum"),
        lambda: Fn.soft_margin_loss(x, lib.ones(5)), lambda: Fn.soft_margin_loss(x, y, reduction="x"),
        lambda: Fn.margin_ranking_loss(x, y, lib.ones(3)), lambda: Fn.margin_ranking_loss(x[0], y[0], lib.ones(3)),
        lambda: Fn.hinge_embedding_loss(x, lib.ones(5)), lambda: Fn.cosine_embedding_loss(x, y, lib.ones(4)),
        lambda: Fn.cosine_embedding_loss(x, y, lib.ones(3, 1)),
        lambda: Fn.cosine_embedding_loss(x, y[:, :3], lib.ones(3)),
        lambda: Fn.cosine_embedding_loss(x[None], y[None], lib.ones(3)),
        lambda: Fn.cosine_embedding_loss(x, y[0], lib.ones(())),
        lambda: Fn.poisson_nll_loss(x, lib.ones(5)), lambda: Fn.poisson_nll_loss(x, y, reduction="bad"),
        lambda: Fn.gaussian_nll_loss(x, y, lib.ones(5)), lambda: Fn.gaussian_nll_loss(x, y, -1.0),
        lambda: Fn.gaussian_nll_loss(x, y, -lib.ones(3, 4)), lambda: Fn.gaussian_nll_loss(x, y, 1),
        lambda: Fn.gaussian_nll_loss(x, y, lib.ones(3, 4), reduction="x"),
        lambda: Fn.triplet_margin_loss(x, y, x[0]), lambda: Fn.triplet_margin_loss(x, y, x, margin=0),
        lambda: Fn.triplet_margin_loss(x, y, lib.ones(3, 5)),
        lambda: Fn.triplet_margin_with_distance_loss(x, y, x, reduction="z"),
        lambda: Fn.multi_margin_loss(x, idx([0, 1, 5])), lambda: Fn.multi_margin_loss(x, idx([0, 1])),
        lambda: Fn.multi_margin_loss(x, idx([0, 1, 2]), p=3),
        lambda: Fn.multi_margin_loss(x, idx([0, 1, 2]), weight=lib.ones(5)),
        lambda: Fn.multi_margin_loss(x, idx([0, 1, 2]), weight=lib.ones(2, 2)),
        lambda: Fn.multi_margin_loss(x, idx([0.0, 1, 2])), lambda: Fn.multi_margin_loss(x[None], idx([0, 1, 2])),
        lambda: Fn.multi_margin_loss(x, idx([0, 1, -1])),
        lambda: Fn.multilabel_soft_margin_loss(x, lib.ones(3, 5)),
        lambda: Fn.multilabel_soft_margin_loss(x, y, reduction="q"),
        lambda: Fn.cosine_similarity(x, lib.ones(5)), lambda: Fn.cosine_similarity(x.long(), y.long()),
        lambda: Fn.pairwise_distance(x, lib.ones(5)), lambda: Fn.cosine_similarity(x, y, dim=3),
        lambda: lib.cosine_similarity([1.0], y), lambda: lib.pairwise_distance(x, 3),
        lambda: lib.nn.TripletMarginLoss(margin=-1), lambda: lib.nn.TripletMarginWithDistanceLoss(margin=0),
        lambda: lib.nn.MultiMarginLoss(p=3), lambda: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)),
        lambda: lib.nn.HuberLoss(delta="a"),
    ]


# losses with their tensor arguments: each is given None in turn (found by the bad-input
# sweep at MINITORCH_HYPOTHESIS_SCALE=5, where these raised AttributeError from inside)
TENSOR_ARGUMENTS = {"soft_margin_loss": 2, "margin_ranking_loss": 3, "cosine_embedding_loss": 3,
                    "triplet_margin_loss": 3, "multi_margin_loss": 2, "poisson_nll_loss": 2,
                    "smooth_l1_loss": 2, "huber_loss": 2, "hinge_embedding_loss": 2, "l1_loss": 2, "kl_div": 2,
                    "multilabel_soft_margin_loss": 2, "triplet_margin_with_distance_loss": 3}


@pytest.mark.parametrize("name", list(TENSOR_ARGUMENTS))
def test_a_missing_tensor_argument_is_named_at_the_call(name):
    """torch's TypeError where its binding checks the argument; where torch's Python code uses it
    first (AttributeError, "unsupported operand"), minitorch's error is of torch's type and names it."""
    n = TENSOR_ARGUMENTS[name]
    for k in range(n):
        args = [minitorch.ones(2, 3)] * n
        args[k] = None
        with pytest.raises(TypeError, match=r"must be Tensor, not NoneType") as info:
            getattr(F, name)(*args)
        if torch is not None:
            targs = [torch.ones(2, 3)] * n
            targs[k] = None
            with pytest.raises(Exception) as theirs:
                getattr(torch.nn.functional, name)(*targs)
            assert isinstance(info.value, type(theirs.value))
            if "must be Tensor" in str(theirs.value):  # (not torch's accidental "unsupported operand")
                assert str(info.value) == str(theirs.value)


@requires_torch
def test_bad_input_raises_torchs_errors():
    for k, (mine, theirs) in enumerate(zip(_error_cases(minitorch), _error_cases(torch))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as th_info:
                theirs()
            with pytest.raises(type(th_info.value)) as mt_info:
                mine()
        assert type(mt_info.value) is type(th_info.value), k
        assert str(mt_info.value) == str(th_info.value), k


@requires_torch
@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.kl_div(lib.zeros(2, 3), lib.ones(2, 3) / 3),
    lambda lib: lib.nn.functional.smooth_l1_loss(lib.zeros(2, 3), lib.ones(3)),
    lambda lib: lib.nn.functional.huber_loss(lib.zeros(2, 3), lib.ones(1, 3)),
    lambda lib: lib.nn.functional.smooth_l1_loss(lib.zeros(3), lib.ones(3), size_average=False),
    lambda lib: lib.nn.functional.margin_ranking_loss(lib.zeros(3), lib.ones(3), lib.ones(3), reduce=False),
    lambda lib: lib.nn.SoftMarginLoss(size_average=True, reduce=True),
], ids=["kl_div-mean", "smooth_l1-broadcast", "huber-broadcast", "legacy-size_average", "legacy-reduce",
        "module-legacy"])
def test_warnings_match_torch(call):
    with warnings.catch_warnings(record=True) as th_record:
        warnings.simplefilter("always")
        call(torch)
    with warnings.catch_warnings(record=True) as mt_record:
        warnings.simplefilter("always")
        call(minitorch)
    assert [str(w.message) for w in mt_record] == [str(w.message) for w in th_record]
    assert [w.category for w in mt_record] == [w.category for w in th_record]


MODULES = {
    "SmoothL1Loss": {"beta": 0.5}, "HuberLoss": {"delta": 2.0, "reduction": "sum"},
    "KLDivLoss": {"reduction": "batchmean", "log_target": True}, "SoftMarginLoss": {},
    "MarginRankingLoss": {"margin": 0.2}, "HingeEmbeddingLoss": {"margin": 2.0},
    "CosineEmbeddingLoss": {"margin": -0.5}, "PoissonNLLLoss": {"log_input": False, "full": True},
    "GaussianNLLLoss": {"full": True, "eps": 1e-3}, "TripletMarginLoss": {"p": 1.0, "swap": True},
    "TripletMarginWithDistanceLoss": {"swap": True}, "MultiMarginLoss": {"p": 2, "margin": 0.5},
    "MultiLabelSoftMarginLoss": {"reduction": "none"}, "CosineSimilarity": {"dim": 0},
    "PairwiseDistance": {"p": 1.0, "keepdim": True},
}


@requires_torch
@pytest.mark.parametrize("name", list(MODULES))
def test_modules_have_torchs_attributes_repr_and_state(name):
    mine, theirs = getattr(nn, name)(**MODULES[name]), getattr(torch.nn, name)(**MODULES[name])
    public = lambda m: {k: v for k, v in vars(m).items() if not k.startswith("_") and k != "training"}  # noqa: E731
    assert repr(mine) == repr(theirs)
    assert public(mine).keys() == public(theirs).keys()
    assert {k: v for k, v in public(mine).items() if k != "distance_function"} == \
           {k: v for k, v in public(theirs).items() if k != "distance_function"}
    assert list(mine.state_dict()) == list(theirs.state_dict())


@requires_torch
def test_weighted_modules_keep_their_weight_as_a_buffer_like_torch():
    for name in ("MultiMarginLoss", "MultiLabelSoftMarginLoss"):
        mine = getattr(nn, name)(weight=minitorch.ones(4))
        theirs = getattr(torch.nn, name)(weight=torch.ones(4))
        assert list(mine.state_dict()) == list(theirs.state_dict()) == ["weight"]
        assert repr(mine) == repr(theirs)


def test_modules_compute_their_functionals():
    x = minitorch.tensor(X, requires_grad=True)
    y, z = minitorch.tensor(Y), minitorch.tensor(Z)
    pairs = [
        (nn.SmoothL1Loss(beta=0.5)(x, y), F.smooth_l1_loss(x, y, beta=0.5)),
        (nn.HuberLoss(delta=0.3)(x, y), F.huber_loss(x, y, delta=0.3)),
        (nn.TripletMarginLoss(margin=0.5)(x, y, z), F.triplet_margin_loss(x, y, z, margin=0.5)),
        (nn.TripletMarginWithDistanceLoss(distance_function=nn.CosineSimilarity())(x, y, z),
         F.triplet_margin_with_distance_loss(x, y, z, distance_function=F.cosine_similarity)),
        (nn.MultiMarginLoss(p=2)(x, minitorch.tensor(CLASSES)),
         F.multi_margin_loss(x, minitorch.tensor(CLASSES), p=2)),
        (nn.PairwiseDistance(p=1.0)(x, y), F.pairwise_distance(x, y, 1.0)),
        (nn.CosineSimilarity(dim=0)(x, y), F.cosine_similarity(x, y, 0)),
        (nn.GaussianNLLLoss(full=True)(x, y, minitorch.tensor(POSITIVE)),
         F.gaussian_nll_loss(x, y, minitorch.tensor(POSITIVE), full=True)),
    ]
    for got, expected in pairs:
        np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())


# ----- without torch -----------------------------------------------------------------------

def _gradcheck_case(case, *args):
    """gradcheck of case over its differentiable inputs (float64), the others held fixed."""
    leaves = []

    def first(a, grad=False):
        t = minitorch.tensor(np.array(a, np.float64), requires_grad=bool(grad))
        if grad:
            leaves.append(t)
        return t

    def rerun(*values):
        it = iter(values)
        return case(F, minitorch, lambda a, grad=False: next(it) if grad else first(a), *args)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case(F, minitorch, first, *args)
        return gradcheck(rerun, tuple(leaves))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", list(CASES))
def test_loss_gradients_match_central_differences(name, reduction):
    assert _gradcheck_case(CASES[name], reduction)


@pytest.mark.parametrize("name", list(DISTANCES))
def test_distance_gradients_match_central_differences(name):
    assert _gradcheck_case(DISTANCES[name])


def _np_smooth_l1(z, beta):
    return np.where(np.abs(z) < beta, 0.5 * z * z / beta, np.abs(z) - 0.5 * beta)


def _np_huber(z, delta):
    return np.where(np.abs(z) < delta, 0.5 * z * z, delta * (np.abs(z) - 0.5 * delta))


@hsettings(max_examples=25)
@given(data=st.data(), name=st.sampled_from(["smooth_l1_loss", "huber_loss", "soft_margin_loss", "poisson_nll_loss"]),
       reduction=st.sampled_from(["none", "mean", "sum"]))
def test_elementwise_losses_match_numpy_on_any_layout(data, name, reduction):
    shape = data.draw(st.sampled_from([(3, 4), (2, 3, 2), (5,)]))
    a, x = data.draw(tensors(shape, "float64", lo=-3, hi=3), label="input")
    b, y = data.draw(tensors(shape, "float64", lo=-3, hi=3), label="target")
    if name == "smooth_l1_loss":
        got, terms = F.smooth_l1_loss(x, y, reduction=reduction, beta=0.8), _np_smooth_l1(a - b, 0.8)
    elif name == "huber_loss":
        got, terms = F.huber_loss(x, y, reduction=reduction, delta=1.5), _np_huber(a - b, 1.5)
    elif name == "soft_margin_loss":
        got, terms = F.soft_margin_loss(x, y.sign(), reduction=reduction), np.log1p(np.exp(-a * np.sign(b)))
    else:
        got, terms = F.poisson_nll_loss(x, y.abs(), reduction=reduction), np.exp(a) - np.abs(b) * a
    expected = {"none": terms, "mean": terms.mean(), "sum": terms.sum()}[reduction]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_multi_margin_loss_matches_its_definition():
    x, t = np.random.default_rng(3).standard_normal((6, 5)), np.array([0, 4, 2, 2, 1, 3])
    w = np.array([1.0, 2.0, 0.5, 1.5, 3.0])
    for p in (1, 2):
        got = F.multi_margin_loss(minitorch.tensor(x), minitorch.tensor(t), p=p, margin=0.8,
                                  weight=minitorch.tensor(w), reduction="none")
        expected = [sum(w[t[i]] * max(0.0, 0.8 - x[i, t[i]] + x[i, j]) ** p for j in range(5) if j != t[i]) / 5
                    for i in range(6)]
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_cosine_similarity_and_pairwise_distance_match_their_definitions():
    a, b = np.random.default_rng(4).standard_normal((2, 7, 3))
    cos = F.cosine_similarity(minitorch.tensor(a), minitorch.tensor(b), dim=1)
    expected = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cos.numpy(), expected, rtol=1e-12)
    assert F.cosine_similarity(minitorch.zeros(2, 3), minitorch.ones(2, 3)).tolist() == [0.0, 0.0]
    dist = F.pairwise_distance(minitorch.tensor(a), minitorch.tensor(b), p=3.0)
    np.testing.assert_allclose(dist.numpy(), (np.abs(a - b + 1e-6) ** 3).sum(1) ** (1 / 3), rtol=1e-12)


def test_kl_div_batchmean_is_the_divergence_per_sample():
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    q = np.array([[0.1, 0.6, 0.3], [0.3, 0.3, 0.4]])
    got = F.kl_div(minitorch.tensor(np.log(q)), minitorch.tensor(p), reduction="batchmean")
    np.testing.assert_allclose(got.item(), (p * np.log(p / q)).sum() / 2, rtol=1e-12)
    zero_target = F.kl_div(minitorch.tensor([[-1.0, -2.0]]), minitorch.tensor([[0.0, 1.0]]), reduction="sum")
    assert zero_target.item() == pytest.approx(2.0)  # 0 log 0 counts as 0


# ----- the deprecated size_average / reduce arguments -----------------------------------------
# (older tutorials: the spatial transformer's test loop sums with nll_loss(size_average=False))
_LEGACY = {
    "mse_loss": lambda lib, T: (T(X), T(Y)), "l1_loss": lambda lib, T: (T(X), T(Y)),
    "nll_loss": lambda lib, T: (T(np.log(PROB)), lib.tensor(CLASSES)),
    "cross_entropy": lambda lib, T: (T(X), lib.tensor(CLASSES)),
    "binary_cross_entropy": lambda lib, T: (T(PROB), T(LABELS)),
    "binary_cross_entropy_with_logits": lambda lib, T: (T(X), T(LABELS)),
    "kl_div": lambda lib, T: (T(np.log(PROB)), T(PROB)), "smooth_l1_loss": lambda lib, T: (T(X), T(Y)),
    "soft_margin_loss": lambda lib, T: (T(X), T(SIGN)), "hinge_embedding_loss": lambda lib, T: (T(X), T(SIGN)),
    "multilabel_soft_margin_loss": lambda lib, T: (T(X), T(LABELS)),
    "poisson_nll_loss": lambda lib, T: (T(X), T(POSITIVE)),
    "margin_ranking_loss": lambda lib, T: (T(X[:, 0]), T(Y[:, 0]), T(ROW_SIGN)),
    "cosine_embedding_loss": lambda lib, T: (T(X), T(Y), T(ROW_SIGN)),
    "triplet_margin_loss": lambda lib, T: (T(X), T(Y), T(Z)),
    "multi_margin_loss": lambda lib, T: (T(X), lib.tensor(CLASSES)),
}
_LEGACY_ARGS = {"sum": dict(size_average=False), "none": dict(reduce=False),
                "mean": dict(size_average=True, reduce=True), "sum_reduce": dict(size_average=False, reduce=True)}


@pytest.mark.parametrize("legacy", list(_LEGACY_ARGS))
@pytest.mark.parametrize("name", list(_LEGACY))
def test_size_average_and_reduce_give_the_reduction_they_name_with_torchs_warning(name, legacy):
    kwargs = _LEGACY_ARGS[legacy]
    reduction = legacy.split("_")[0]

    def run(lib, F_, **kw):
        args = _LEGACY[name](lib, lambda a: lib.tensor(a, dtype=lib.float64))
        return getattr(F_, name)(*args, **kw)

    with pytest.warns(UserWarning, match=f"please use reduction='{reduction}' instead"):
        got = run(minitorch, F, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warning
        want = run(minitorch, F, reduction=reduction)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = run(torch, torch.nn.functional, **kwargs)
        assert tuple(got.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(got.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
