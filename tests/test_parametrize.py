"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm) and the
hook-based nn.utils.weight_norm / spectral_norm: values, gradients reaching the originals,
state_dict keys and round trips, reprs, RNG draws, training steps and errors against torch
2.13, with NumPy references and finite differences where torch is absent."""
import copy
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd import gradcheck, gradgradcheck
from minitorch.nn.utils import parametrize
from tests._compat import requires_torch, torch
from tests.strategies import grad_leaf, hsettings, tensors

if torch is not None:
    import torch.nn.utils.parametrizations  # noqa: F401  (torch imports these lazily)
    import torch.nn.utils.parametrize  # noqa: F401


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def _scale(lib, factor):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * factor

        def right_inverse(self, Y):
            return Y / factor
    return Scale()


def _split(lib):
    """A parametrization in terms of two tensors (right_inverse returns a pair)."""
    class Split(lib.nn.Module):
        def forward(self, A, B):
            return A + B

        def right_inverse(self, X):
            return X * 0.25, X * 0.75
    return Split()


def _linear(lib, seed=0, n_in=4, n_out=3):
    lib.manual_seed(seed)
    return lib.nn.Linear(n_in, n_out).double()


def _np(t):
    return t.detach().numpy()


# ----- nn.utils.parametrize -----------------------------------------------------------------
def test_register_parametrization_makes_weight_a_property_of_a_subclass():
    m = _linear(minitorch, n_in=3)
    original = m.weight
    before = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", _symmetric(minitorch))
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert type(nn.Linear(2, 2)) is nn.Linear  # other instances keep their class
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert not parametrize.is_parametrized(m, "bias")
    # The original Parameter object is kept (optimizers built earlier still hold it), holding right_inverse(W).
    assert m.parametrizations.weight.original is original
    np.testing.assert_array_equal(_np(original), np.triu(before))
    np.testing.assert_array_equal(_np(m.weight), np.triu(before) + np.triu(before, 1).T)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]


def test_gradient_reaches_original():
    m = _linear(minitorch, n_in=3)
    parametrize.register_parametrization(m, "weight", _symmetric(minitorch))
    x = minitorch.tensor(np.arange(6.0).reshape(2, 3))
    m(x).sum().backward()
    # d/dW of sum(x @ W.T) is ones(3,1) @ colsum(x); W = triu(O) + triu(O,1).T folds the lower half up.
    g = np.outer(np.ones(3), np.arange(6.0).reshape(2, 3).sum(0))
    np.testing.assert_allclose(_np(m.parametrizations.weight.original.grad), np.triu(g) + np.triu(g.T, 1))
    original = minitorch.randn(3, 3, dtype=minitorch.float64, requires_grad=True)
    assert gradcheck(lambda o: m.parametrizations.weight[0](o) * 2.0, (original,))


@requires_torch
def test_parametrized_module_matches_torch():
    out = {}
    for lib in (torch, minitorch):
        m = _linear(lib, n_in=3)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(lib))
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _scale(lib, 3.0))
        x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
        y = m(x)
        y.pow(2).sum().backward()
        out[lib.__name__] = (repr(m), _np(y), _np(m.parametrizations.weight.original.grad),
                             list(m.state_dict()), repr(m.weight), type(m).__name__)
    t, mt = out["torch"], out["minitorch"]
    assert mt[0] == t[0] and mt[3] == t[3] and mt[4] == t[4] and mt[5] == t[5]
    np.testing.assert_allclose(mt[1], t[1], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(mt[2], t[2], rtol=1e-14, atol=1e-15)


def test_assignment_runs_right_inverse_through_the_chain():
    m = _linear(minitorch, n_in=3)
    parametrize.register_parametrization(m, "weight", _symmetric(minitorch))
    parametrize.register_parametrization(m, "weight", _scale(minitorch, 2.0))
    original = m.parametrizations.weight.original
    target = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]])
    m.weight = minitorch.tensor(target)
    assert m.parametrizations.weight.original is original
    np.testing.assert_allclose(_np(original), np.triu(target) / 2.0)
    np.testing.assert_allclose(_np(m.weight), target)


def test_sequence_right_inverse_gives_original0_original1():
    m = _linear(minitorch)
    w = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", _split(minitorch))
    plist = m.parametrizations.weight
    assert not plist.is_tensor and plist.ntensors == 2
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert isinstance(plist.original0, nn.Parameter) and plist.original1.requires_grad
    np.testing.assert_allclose(_np(plist.original0), w * 0.25)
    np.testing.assert_allclose(_np(m.weight), w)
    m.weight.sum().backward()
    np.testing.assert_array_equal(_np(plist.original0.grad), np.ones_like(w))
    np.testing.assert_array_equal(_np(plist.original1.grad), np.ones_like(w))


def test_remove_parametrizations_leaves_value_or_original():
    m = _linear(minitorch, n_in=3)
    w = _np(m.weight).copy()
    parametrize.register_parametrization(m, "weight", _scale(minitorch, 2.0))
    original = m.parametrizations.weight.original
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and "parametrizations" not in m._modules
    assert m.weight is original and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), w)
    assert list(m.state_dict()) == ["bias", "weight"]  # re-registered last, as torch does
    parametrize.register_parametrization(m, "weight", _scale(minitorch, 2.0))
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_allclose(_np(m.weight), w / 2.0)
    # A sequence of originals can only be left parametrized (as a new Parameter).
    parametrize.register_parametrization(m, "weight", _split(minitorch))
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(m, "weight")
    assert isinstance(m.weight, nn.Parameter) and m.weight.grad_fn is None
    np.testing.assert_allclose(_np(m.weight), w / 2.0)


@requires_torch
def test_remove_parametrizations_state_dict_order_matches_torch():
    keys = {}
    for lib in (torch, minitorch):
        m = _linear(lib)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _scale(lib, 2.0))
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight")
        keys[lib.__name__] = list(m.state_dict())
    assert keys["minitorch"] == keys["torch"]


def test_cached_computes_each_parametrization_once():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2.0

    m = _linear(minitorch)
    parametrize.register_parametrization(m, "weight", Counting())
    calls.clear()
    with parametrize.cached():
        a, b = m.weight, m.weight
        assert a is b
    assert len(calls) == 1
    m.weight
    assert len(calls) == 2 and not parametrize._cache


def test_state_dict_round_trip_and_deepcopy():
    src = _linear(minitorch, seed=1)
    parametrize.register_parametrization(src, "weight", _scale(minitorch, 3.0))
    dst = _linear(minitorch, seed=2)
    parametrize.register_parametrization(dst, "weight", _scale(minitorch, 3.0))
    assert repr(dst.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    np.testing.assert_array_equal(_np(dst.weight), _np(src.weight))
    twin = copy.deepcopy(src)
    assert type(twin).__name__ == "ParametrizedLinear"
    np.testing.assert_array_equal(_np(twin.weight), _np(src.weight))
    assert twin.parametrizations.weight.original is not src.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through"):
        pickle.dumps(src)
    plain = _linear(minitorch)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        plain.load_state_dict(src.state_dict())


def test_buffer_can_be_parametrized():
    m = nn.BatchNorm1d(3).double()
    parametrize.register_parametrization(m, "running_var", _scale(minitorch, 2.0))
    assert "parametrizations.running_var.original" in m.state_dict()
    assert not isinstance(m.parametrizations.running_var.original, nn.Parameter)
    np.testing.assert_array_equal(_np(m.running_var), np.ones(3))


def test_transfer_parametrizations_and_params():
    src = _linear(minitorch, seed=1)
    parametrize.register_parametrization(src, "weight", _scale(minitorch, 3.0))
    dst = _linear(minitorch, seed=2)
    parametrize.transfer_parametrizations_and_params(src, dst)
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original
    np.testing.assert_array_equal(_np(dst.weight), _np(src.weight))


@requires_torch
@pytest.mark.parametrize("case", ["shape", "dtype", "name", "no_inverse", "not_parametrized", "chain_shape"])
def test_errors_match_torch(case):
    def run(lib):
        m = _linear(lib)

        class Shape(lib.nn.Module):
            def forward(self, X):
                return X[:1]

        class Dtype(lib.nn.Module):
            def forward(self, X):
                return X.float()

        class NoInverse(lib.nn.Module):
            def forward(self, X):
                return X * 2

        reg = lib.nn.utils.parametrize.register_parametrization
        if case == "shape":
            reg(m, "weight", Shape())
        elif case == "dtype":
            reg(m, "weight", Dtype())
        elif case == "name":
            reg(m, "nope", NoInverse())
        elif case == "no_inverse":
            reg(m, "weight", NoInverse())
            m.weight = lib.zeros(3, 4, dtype=lib.float64)
        elif case == "not_parametrized":
            lib.nn.utils.parametrize.remove_parametrizations(m, "weight")
        elif case == "chain_shape":
            reg(m, "weight", NoInverse())
            reg(m, "weight", Shape())

    with pytest.raises(Exception) as expected:
        run(torch)
    with pytest.raises(type(expected.value)) as got:
        run(minitorch)
    assert str(got.value).replace("minitorch", "torch") == str(expected.value)


def test_unsafe_allows_shape_change():
    class Rows(nn.Module):
        def forward(self, X):
            return X[:1]

    m = _linear(minitorch)
    parametrize.register_parametrization(m, "weight", Rows(), unsafe=True)
    assert m.weight.shape == (1, 4) and m.parametrizations.weight.unsafe


# ----- minitorch.norm_except_dim and minitorch._weight_norm ----------------------------------
WEIGHT_NORM_CASES = [((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), 2), ((3, 4, 5), -1), ((3, 4, 5), -2),
                     ((5,), 0), ((5,), -1), ((3, 4), 1), ((3, 4), -1)]


@requires_torch
@pytest.mark.parametrize("shape,dim", WEIGHT_NORM_CASES)
def test_weight_norm_ops_match_torch(shape, dim):
    rng = np.random.default_rng(len(shape) * 10 + dim)
    v = rng.standard_normal(shape)
    weights = np.cos(v)
    g = torch.norm_except_dim(torch.tensor(v), 2, dim) * 1.5
    got_g = minitorch.norm_except_dim(minitorch.tensor(v), 2, dim) * 1.5
    assert got_g.shape == g.shape
    np.testing.assert_allclose(_np(got_g), g.numpy(), rtol=1e-14)
    tv, tg = torch.tensor(v, requires_grad=True), g.clone().requires_grad_()
    w = torch._weight_norm(tv, tg, dim)
    (w * torch.tensor(weights)).sum().backward()
    mv, mg = minitorch.tensor(v, requires_grad=True), minitorch.tensor(g.numpy(), requires_grad=True)
    got = minitorch._weight_norm(mv, mg, dim)
    (got * minitorch.tensor(weights)).sum().backward()
    # torch fuses dims 0 and v.dim() - 1 (WeightNormInterfaceBackward0) and composes the rest.
    assert type(got.grad_fn).__name__ == w.grad_fn.name()
    np.testing.assert_allclose(_np(got), w.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(_np(mv.grad), tv.grad.numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(_np(mg.grad), tg.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("shape,dim", WEIGHT_NORM_CASES)
def test_weight_norm_op_gradients_against_finite_differences(shape, dim):
    rng = np.random.default_rng(3)
    v = minitorch.tensor(rng.standard_normal(shape), requires_grad=True)
    g = (minitorch.norm_except_dim(v.detach(), 2, dim) * 2.0).requires_grad_()
    assert gradcheck(lambda a, b: minitorch._weight_norm(a, b, dim), (v, g))
    assert gradgradcheck(lambda a, b: minitorch._weight_norm(a, b, dim), (v, g))
    np.testing.assert_allclose(_np(minitorch._weight_norm(v, g, dim)),
                               _weight_norm_reference(_np(v), _np(g), None if dim == -1 else dim), rtol=1e-13)


@given(data=st.data(), dim=st.sampled_from([0, 1, 2, -1]))
@hsettings(max_examples=20)
def test_weight_norm_op_property_on_any_layout(data, dim):
    arr, v = data.draw(tensors(shape=(3, 2, 4), dtype="float64", lo=-3, hi=3, min_abs=0.1))
    g_shape = () if dim == -1 else tuple(n if i == dim else 1 for i, n in enumerate(arr.shape))
    g = minitorch.tensor(np.full(g_shape, 2.0))
    v = grad_leaf(v)
    out = minitorch._weight_norm(v, g, dim)
    np.testing.assert_allclose(_np(out), _weight_norm_reference(arr, 2.0, None if dim == -1 else dim), rtol=1e-12)
    out.sum().backward()
    # The output has norm g along every slice whatever v is: the sum's gradient is orthogonal to v there.
    axes = tuple(range(3)) if dim == -1 else tuple(i for i in range(3) if i != dim)
    np.testing.assert_allclose((_np(v.grad) * arr).sum(axis=axes), 0.0, atol=1e-12)


WEIGHT_NORM_ERRORS = {
    "v_not_tensor": lambda lib: lib.norm_except_dim("a"),
    "wn_v_not_tensor": lambda lib: lib._weight_norm("a", lib.ones(2)),
    "wn_g_not_tensor": lambda lib: lib._weight_norm(lib.ones(2, 3), "b"),
    "dim_range": lambda lib: lib.norm_except_dim(lib.ones(2, 3), 2, 5),
    "wn_dim_range": lambda lib: lib._weight_norm(lib.ones(2, 3), lib.ones(2, 1), 5),
    "fused_dtypes": lambda lib: lib._weight_norm(lib.ones(2, 3, dtype=lib.float64), lib.ones(2, 1), 0),
    "fused_dtypes_2": lambda lib: lib._weight_norm(lib.ones(2, 3), lib.ones(2, 1, dtype=lib.float64), 1),
    "dim_float": lambda lib: lib.norm_except_dim(lib.ones(2, 3), 2, 1.5),
    "pow_float": lambda lib: lib.norm_except_dim(lib.ones(2, 3), 2.0, 0),
    "integer_norm": lambda lib: lib.norm_except_dim(lib.ones(2, 3, dtype=lib.int64), 2, 0),
    "integer_fused": lambda lib: lib._weight_norm(lib.ones(2, 3, dtype=lib.int64), lib.ones(2, 1, dtype=lib.int64), 0),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(WEIGHT_NORM_ERRORS))
def test_weight_norm_op_errors_match_torch(case):
    with pytest.raises(Exception) as expected:
        WEIGHT_NORM_ERRORS[case](torch)
    with pytest.raises(type(expected.value)) as got:
        WEIGHT_NORM_ERRORS[case](minitorch)
    assert str(got.value) == str(expected.value)


def test_weight_norm_op_refuses_a_g_of_the_wrong_size():
    # (torch's fused kernel reads past such a g silently)
    with pytest.raises(RuntimeError, match=r"expected g to hold one value per slice of v along dim 0 \(2\)"):
        minitorch._weight_norm(minitorch.ones(2, 3), minitorch.ones(3, 1), 0)


@requires_torch
def test_weight_norm_float32_within_rounding_of_torch_float64():
    rng = np.random.default_rng(1)
    v = rng.standard_normal((16, 40)).astype(np.float32)
    g = np.abs(rng.standard_normal((16, 1))).astype(np.float32)
    expected = torch._weight_norm(torch.tensor(v, dtype=torch.float64), torch.tensor(g, dtype=torch.float64), 0)
    got = minitorch._weight_norm(minitorch.tensor(v), minitorch.tensor(g), 0)
    assert got.dtype is minitorch.float32
    np.testing.assert_allclose(_np(got), expected.numpy(), rtol=2e-6, atol=1e-7)


# ----- nn.utils.parametrizations.weight_norm -----------------------------------------------
def _weight_norm_reference(v, g, dim):
    if dim is None:
        return g * v / np.sqrt((v ** 2).sum())
    axes = tuple(i for i in range(v.ndim) if i != dim % v.ndim)
    return g * v / np.sqrt((v ** 2).sum(axis=axes, keepdims=True))


@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_parametrized_weight_norm_values_and_gradients(dim):
    minitorch.manual_seed(0)
    m = nn.Conv1d(2, 3, 2).double()
    w = _np(m.weight).copy()
    nn.utils.parametrizations.weight_norm(m, dim=dim)
    g = m.parametrizations.weight.original0
    v = m.parametrizations.weight.original1
    np.testing.assert_allclose(_np(v), w)
    np.testing.assert_allclose(_np(m.weight), w, rtol=1e-13)
    # torch treats dim=None and dim=-1 alike: one norm over the whole tensor, g 0-dim.
    if dim in (None, -1):
        assert g.shape == ()
    np.testing.assert_allclose(_np(m.weight), _weight_norm_reference(_np(v), _np(g), None if dim == -1 else dim),
                               rtol=1e-13)
    assert gradcheck(lambda g_, v_: m.parametrizations.weight[0](g_, v_),
                     (g.detach().clone().requires_grad_(), v.detach().clone().requires_grad_()))


@requires_torch
def test_parametrized_weight_norm_matches_torch_and_loads_old_checkpoints():
    out = {}
    for lib in (torch, minitorch):
        m = _linear(lib)
        lib.nn.utils.parametrizations.weight_norm(m)
        y = m(lib.tensor(np.linspace(-2, 2, 8).reshape(2, 4)))
        y.sum().backward()
        old = _linear(lib, seed=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            lib.nn.utils.weight_norm(old)
        result = m.load_state_dict(old.state_dict())
        out[lib.__name__] = (repr(m), list(m.state_dict()), _np(y), _np(m.parametrizations.weight.original0.grad),
                             _np(m.parametrizations.weight.original1.grad), repr(result), _np(m.weight))
    t, mt = out["torch"], out["minitorch"]
    assert mt[0] == t[0] and mt[1] == t[1] and mt[5] == t[5]
    for a, b in zip(mt[2:5] + mt[6:], t[2:5] + t[6:]):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


# ----- nn.utils.parametrizations.spectral_norm ---------------------------------------------
def _sigma(w_mat):
    return np.linalg.svd(w_mat, compute_uv=False)[0]


def test_parametrized_spectral_norm_converges_to_largest_singular_value():
    minitorch.manual_seed(0)
    m = nn.Linear(6, 5).double()
    w = _np(m.weight).copy()
    nn.utils.parametrizations.spectral_norm(m, n_power_iterations=50)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
                                    "parametrizations.weight.0._v"]
    np.testing.assert_allclose(_np(m.weight), w / _sigma(w), rtol=1e-8)
    m.weight.sum().backward()
    assert m.parametrizations.weight.original.grad is not None


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parametrized_spectral_norm_draws_and_power_iteration_match_torch(dtype):
    out = {}
    for lib in (torch, minitorch):
        lib.manual_seed(7)
        m = lib.nn.Conv2d(3, 4, 2).to(getattr(lib, dtype))
        lib.nn.utils.parametrizations.spectral_norm(m)
        u0 = _np(m.parametrizations.weight[0]._u).copy()
        w_train = _np(m.weight).copy()
        u1 = _np(m.parametrizations.weight[0]._u).copy()
        m.eval()
        w_eval, u2 = _np(m.weight).copy(), _np(m.parametrizations.weight[0]._u).copy()
        out[lib.__name__] = (u0, w_train, u1, w_eval, u2)
    tol = 1e-5 if dtype == "float32" else 1e-13
    for a, b in zip(out["minitorch"], out["torch"]):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    # eval reads the stored u, v; training does one power step per read.
    np.testing.assert_array_equal(out["minitorch"][2], out["minitorch"][4])
    assert not np.array_equal(out["minitorch"][0], out["minitorch"][2])


@requires_torch
def test_parametrized_spectral_norm_dims_and_errors_match_torch():
    for lib in (torch, minitorch):
        lib.manual_seed(0)
        m = lib.nn.ConvTranspose2d(3, 4, 2).double()
        lib.nn.utils.parametrizations.spectral_norm(m)
        assert m.parametrizations.weight[0].dim == 1
        assert tuple(m.parametrizations.weight[0]._u.shape) == (4,)
    for kwargs, exc in (({"n_power_iterations": 0}, ValueError), ({"dim": 2}, IndexError),
                        ({"name": "nope"}, ValueError)):
        with pytest.raises(exc) as expected:
            torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(3, 2), **kwargs)
        with pytest.raises(exc) as got:
            nn.utils.parametrizations.spectral_norm(nn.Linear(3, 2), **kwargs)
        assert str(got.value) == str(expected.value)


# ----- hook-based nn.utils.weight_norm / spectral_norm -------------------------------------
def test_hook_weight_norm_warns_and_recomputes_weight():
    m = _linear(minitorch)
    w = _np(m.weight).copy()
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated in favor of"):
        nn.utils.weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(_np(m.weight_g), np.sqrt((w ** 2).sum(1, keepdims=True)))
    with minitorch.no_grad():
        m.weight_g.mul_(2.0)
    m(minitorch.ones(1, 4, dtype=minitorch.float64)).sum().backward()
    np.testing.assert_allclose(_np(m.weight), 2.0 * w)
    assert m.weight_v.grad is not None and m.weight_g.grad is not None
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        with pytest.warns(FutureWarning):
            nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert isinstance(m.weight, nn.Parameter) and "weight_g" not in m.state_dict()
    np.testing.assert_allclose(_np(m.weight), 2.0 * w)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in Linear"):
        nn.utils.remove_weight_norm(m)


def test_hook_spectral_norm_state_dict_metadata_and_remove():
    minitorch.manual_seed(0)
    m = nn.Linear(5, 4).double()
    nn.utils.spectral_norm(m)
    sd = m.state_dict()
    assert list(sd) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert sd._metadata[""] == {"version": 1, "spectral_norm": {"weight.version": 1}}
    u = m.weight_u
    before = _np(u).copy()
    m(minitorch.ones(1, 5, dtype=minitorch.float64))
    assert m.weight_u is u and not np.array_equal(_np(u), before)  # updated in place
    m.eval()
    after = _np(u).copy()
    m(minitorch.ones(1, 5, dtype=minitorch.float64))
    np.testing.assert_array_equal(_np(u), after)
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"] and not m._state_dict_hooks
    assert repr(m.load_state_dict(m.state_dict())) == "<All keys matched successfully>"


@requires_torch
def test_hook_based_normalisations_match_torch():
    out = {}
    for lib in (torch, minitorch):
        lib.manual_seed(3)
        net = lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2)).double()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            lib.nn.utils.weight_norm(net[0], dim=1)
        lib.nn.utils.spectral_norm(net[2], n_power_iterations=2)
        y = net(lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4)))
        y.square().sum().backward()
        grads = [_np(p.grad) for p in net.parameters()]
        sd = net.state_dict()
        out[lib.__name__] = (list(sd), dict(sd._metadata), _np(y), grads, _np(net[2].weight_u), repr(net))
        lib.nn.utils.remove_weight_norm(net[0])
        lib.nn.utils.remove_spectral_norm(net[2])
        out[lib.__name__] += (list(net.state_dict()), _np(net[2].weight))
    t, mt = out["torch"], out["minitorch"]
    assert mt[0] == t[0] and mt[1] == t[1] and mt[5] == t[5] and mt[6] == t[6]
    np.testing.assert_allclose(mt[2], t[2], rtol=1e-13, atol=1e-15)
    for a, b in zip(mt[3], t[3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mt[4], t[4], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(mt[7], t[7], rtol=1e-13, atol=1e-15)


# ----- training -----------------------------------------------------------------------------
@requires_torch
def test_training_with_parametrizations_matches_torch():
    losses = {}
    for lib in (torch, minitorch):
        lib.manual_seed(11)
        net = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.ReLU(), lib.nn.Linear(6, 3)).double()
        lib.nn.utils.parametrizations.weight_norm(net[0])
        lib.nn.utils.parametrizations.spectral_norm(net[2])
        lib.nn.utils.parametrize.register_parametrization(net[2], "bias", _scale(lib, 0.5))
        opt = lib.optim.Adam(net.parameters(), lr=0.05)
        x = lib.tensor(np.linspace(-1, 1, 20).reshape(5, 4))
        target = lib.tensor(np.arange(5) % 3)
        trace = []
        for _ in range(4):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(net(x), target)
            loss.backward()
            opt.step()
            trace.append(loss.item())
        net.eval()
        trace.extend(_np(net(x)).ravel().tolist())
        losses[lib.__name__] = trace
    np.testing.assert_allclose(losses["minitorch"], losses["torch"], rtol=1e-11, atol=1e-13)


@given(rows=st.integers(2, 5), cols=st.integers(1, 5), dim=st.sampled_from([0, 1, None]), seed=st.integers(0, 99))
@hsettings(max_examples=15)
def test_weight_norm_property(rows, cols, dim, seed):
    minitorch.manual_seed(seed)
    m = nn.Linear(cols, rows).double()
    w = _np(m.weight).copy()
    nn.utils.parametrizations.weight_norm(m, dim=dim)
    np.testing.assert_allclose(_np(m.weight), w, rtol=1e-12, atol=1e-14)
    g = _np(m.parametrizations.weight.original0)
    v = _np(m.parametrizations.weight.original1)
    np.testing.assert_allclose(_np(m.weight), _weight_norm_reference(v, g, dim), rtol=1e-12, atol=1e-14)


# ----- the Module machinery these rely on ---------------------------------------------------
@requires_torch
def test_state_dict_metadata_matches_torch():
    def build(lib):
        n = lib.nn
        return n.Sequential(n.Conv2d(1, 2, 3), n.BatchNorm2d(2), n.InstanceNorm1d(3), n.LayerNorm(3), n.LSTM(2, 2),
                            n.TransformerEncoderLayer(4, 2), n.MultiheadAttention(4, 2))
    assert build(minitorch).state_dict()._metadata == build(torch).state_dict()._metadata


def test_state_dict_hooks_and_load_pre_hooks():
    m = _linear(minitorch)
    seen = []

    def add_entry(module, state_dict, prefix, local_metadata):
        local_metadata["mine"] = True
        state_dict[prefix + "extra"] = minitorch.zeros(1)

    def rename(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        seen.append((module, local_metadata.get("mine")))
        state_dict[prefix + "weight"] = state_dict.pop(prefix + "old_weight")

    handle = m._register_state_dict_hook(add_entry)
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias", "extra"] and sd._metadata[""] == {"version": 1, "mine": True}
    handle.remove()
    assert list(m.state_dict()) == ["weight", "bias"]
    m.register_load_state_dict_pre_hook(rename)
    source = _linear(minitorch, seed=9).state_dict()
    source["old_weight"] = source.pop("weight")
    assert repr(m.load_state_dict(source)) == "<All keys matched successfully>"
    assert seen == [(m, None)]
    np.testing.assert_array_equal(_np(m.weight), _np(source["old_weight"]))


@requires_torch
def test_vocoder_style_stack_matches_torch_before_and_after_removal():
    """HiFi-GAN's pattern: weight-normed (transposed) convolutions, removed for inference."""
    out = {}
    for lib in (torch, minitorch):
        lib.manual_seed(0)
        n = lib.nn
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            net = n.Sequential(n.utils.parametrizations.weight_norm(n.ConvTranspose1d(4, 3, 4, 2, 1).double()),
                               n.LeakyReLU(0.1), n.utils.weight_norm(n.Conv1d(3, 2, 3, padding=1).double()),
                               n.utils.parametrizations.spectral_norm(n.Conv1d(2, 2, 3).double()))
        x = lib.randn(2, 4, 7).double()
        y = net(x)
        y.square().sum().backward()
        grads = [_np(p.grad) for p in net.parameters()]
        net.eval()
        lib.nn.utils.parametrize.remove_parametrizations(net[0], "weight")
        lib.nn.utils.remove_weight_norm(net[2])
        lib.nn.utils.parametrize.remove_parametrizations(net[3], "weight")
        out[lib.__name__] = (_np(y), grads, _np(net(x)), list(net.state_dict()), repr(net))
    t, mt = out["torch"], out["minitorch"]
    assert mt[3] == t[3] and mt[4] == t[4]
    np.testing.assert_allclose(mt[0], t[0], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(mt[2], t[2], rtol=1e-13, atol=1e-14)
    for a, b in zip(mt[1], t[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
