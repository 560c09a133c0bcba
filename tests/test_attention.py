"""tril / triu / baddbmm (staged core ops), F.scaled_dot_product_attention and nn.MultiheadAttention:
values and gradients against torch 2.13, against NumPy and central finite differences (so the
maths is checked without torch too), masks of every kind, dropout draws, init, state_dict, repr
and error messages."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
import minitorch.nn.functional as F
from minitorch.autograd import gradcheck
from minitorch import baddbmm, tril, triu
from tests._compat import requires_torch, torch
from tests._nn_compare import assert_close, assert_grads_close, assert_same_state, load_from_torch, np_of, raises_like
from tests.strategies import ALL_DTYPES, hsettings, nonempty_shapes, tensors

RNG = np.random.default_rng(11)


def _arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _pair(arr, requires_grad=True):
    return (minitorch.tensor(arr, requires_grad=requires_grad),
            torch.tensor(arr, requires_grad=requires_grad) if torch is not None else None)


# ----- tril / triu -------------------------------------------------------------------------------

@hsettings(max_examples=40)
@given(data=st.data(), lower=st.booleans(), diagonal=st.integers(-6, 6))
def test_tril_triu_equal_numpy_on_any_layout_and_dtype(data, lower, diagonal):
    arr, t = data.draw(tensors(shape=nonempty_shapes(min_dims=2, max_dims=4), dtype=st.sampled_from(ALL_DTYPES)))
    out = (tril if lower else triu)(t, diagonal)
    expected = (np.tril if lower else np.triu)(arr, diagonal)
    assert out.dtype is t.dtype and tuple(out.shape) == arr.shape
    np.testing.assert_array_equal(out.numpy(), expected)


@hsettings(max_examples=25)
@given(data=st.data(), lower=st.booleans(), diagonal=st.integers(-4, 4))
def test_tril_triu_gradient_is_the_same_triangle_of_the_incoming_gradient(data, lower, diagonal):
    arr, t = data.draw(tensors(shape=nonempty_shapes(min_dims=2, max_dims=3), dtype="float64"))
    x = t.detach().requires_grad_()
    g = np.random.default_rng(0).standard_normal(arr.shape)
    (tril if lower else triu)(x, diagonal).backward(minitorch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), (np.tril if lower else np.triu)(g, diagonal))


@requires_torch
@pytest.mark.parametrize("diagonal", [-2, 0, 1, 5])
def test_tril_triu_match_torch_values_nodes_and_double_backward(diagonal):
    for m_fn, t_fn, node in ((tril, torch.tril, "TrilBackward0"), (triu, torch.triu, "TriuBackward0")):
        xm, xt = _pair(_arr(2, 3, 4, dtype=np.float64))
        ym, yt = m_fn(xm, diagonal), t_fn(xt, diagonal)
        assert_close(ym, yt)
        assert type(ym.grad_fn).__name__ == type(yt.grad_fn).__name__ == node
        (gm,) = minitorch.autograd.grad((ym * ym).sum(), xm, create_graph=True)
        (gt,) = torch.autograd.grad((yt * yt).sum(), xt, create_graph=True)
        assert_close(gm, gt)
        gm.sum().backward()
        gt.sum().backward()
        assert_close(xm.grad, xt.grad)


@requires_torch
def test_tril_triu_errors_match_torch():
    for m_fn, t_fn in ((tril, torch.tril), (triu, torch.triu)):
        raises_like(lambda: m_fn(minitorch.ones(3)), lambda: t_fn(torch.ones(3)))
        raises_like(lambda: m_fn(minitorch.tensor(1.0)), lambda: t_fn(torch.tensor(1.0)))
        raises_like(lambda: m_fn([[1.0]]), lambda: t_fn([[1.0]]))
        raises_like(lambda: m_fn(minitorch.ones(2, 2), 1.5), lambda: t_fn(torch.ones(2, 2), 1.5))


# ----- baddbmm -----------------------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("input_shape", [(2, 4, 5), (4, 5), (1, 5), ()])
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1)])
def test_baddbmm_values_and_gradients_match_torch(input_shape, beta, alpha):
    im, it = _pair(_arr(*input_shape))
    am, at = _pair(_arr(2, 4, 3))
    bm, bt = _pair(_arr(2, 3, 5))
    ym = baddbmm(im, am, bm, beta=beta, alpha=alpha)
    yt = torch.baddbmm(it, at, bt, beta=beta, alpha=alpha)
    assert_close(ym, yt)
    assert type(ym.grad_fn).__name__ == "BaddbmmBackward0"
    g = _arr(2, 4, 5)
    ym.backward(minitorch.tensor(g))
    yt.backward(torch.tensor(g))
    for m_t, t_t in ((im, it), (am, at), (bm, bt)):
        assert_close(m_t.grad, t_t.grad)


def test_baddbmm_with_beta_zero_ignores_nan_input_and_passes_gradcheck():
    nan_input = minitorch.full((4, 5), float("nan"))
    out = baddbmm(nan_input, minitorch.ones(2, 4, 3), minitorch.ones(2, 3, 5), beta=0)
    assert out.tolist() == np.full((2, 4, 5), 3.0).tolist()
    args = [minitorch.tensor(_arr(*s, dtype=np.float64), requires_grad=True) for s in ((4, 1), (2, 4, 3), (2, 3, 2))]
    assert gradcheck(lambda i, a, b: baddbmm(i, a, b, beta=0.5, alpha=-1.5), tuple(args))


@requires_torch
def test_baddbmm_errors_match_torch():
    cases = [((4, 5), (2, 4, 3), (2, 4, 5)), ((4, 5), (3, 4, 3), (2, 3, 5)), ((4, 6), (2, 4, 3), (2, 3, 5))]
    for i, a, b in cases:
        raises_like(lambda: baddbmm(minitorch.zeros(i), minitorch.zeros(a), minitorch.zeros(b)),
                    lambda: torch.baddbmm(torch.zeros(i), torch.zeros(a), torch.zeros(b)))
    raises_like(lambda: baddbmm(minitorch.zeros(4, 5, dtype=minitorch.float64), minitorch.zeros(2, 4, 3),
                                minitorch.zeros(2, 3, 5)),
                lambda: torch.baddbmm(torch.zeros(4, 5, dtype=torch.float64), torch.zeros(2, 4, 3),
                                      torch.zeros(2, 3, 5)))


# ----- scaled_dot_product_attention --------------------------------------------------------------

def _numpy_sdpa(q, k, v, bias, scale):
    s = q @ np.swapaxes(k, -1, -2) * scale + bias
    s = s - s.max(-1, keepdims=True)
    w = np.exp(s)
    return (w / w.sum(-1, keepdims=True)) @ v


def test_sdpa_equals_the_numpy_formula_with_bool_float_and_causal_masks():
    q, k, v = _arr(2, 3, 4, 8, dtype=np.float64), _arr(2, 3, 6, 8, dtype=np.float64), _arr(2, 3, 6, 5,
                                                                                              dtype=np.float64)
    keep = RNG.random((4, 6)) > 0.3
    keep[:, 0] = True
    float_mask = _arr(2, 1, 4, 6, dtype=np.float64)
    causal = np.where(np.tril(np.ones((4, 6), bool)), 0.0, -np.inf)
    Q, K, V = (minitorch.tensor(a) for a in (q, k, v))
    cases = [({}, 0.0, 8 ** -0.5), ({"attn_mask": minitorch.tensor(keep)}, np.where(keep, 0.0, -np.inf), 8 ** -0.5),
             ({"attn_mask": minitorch.tensor(float_mask), "scale": 0.3}, float_mask, 0.3),
             ({"is_causal": True}, causal, 8 ** -0.5)]
    for kwargs, bias, scale in cases:
        out = F.scaled_dot_product_attention(Q, K, V, **kwargs)
        np.testing.assert_allclose(out.numpy(), _numpy_sdpa(q, k, v, bias, scale), rtol=1e-12, atol=1e-12)


def test_sdpa_gradcheck_float64_with_masks():
    keep = minitorch.tensor(np.array([[True, False, True], [True, True, False]]))
    bias = minitorch.tensor(_arr(2, 3, dtype=np.float64), requires_grad=True)
    q, k, v = (minitorch.tensor(_arr(1, 2, *s, dtype=np.float64), requires_grad=True)
               for s in ((2, 4), (3, 4), (3, 3)))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep), (q, k, v))
    assert gradcheck(lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b), (q, k, v, bias))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7), (q, k, v))


SDPA_CASES = {
    "plain_4d": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8)),
    "plain_3d_value_dim": dict(q=(3, 4, 8), k=(3, 6, 8), v=(3, 6, 5)),
    "plain_2d": dict(q=(4, 8), k=(6, 8), v=(6, 8)),
    "broadcast_batch": dict(q=(2, 3, 4, 8), k=(1, 3, 6, 8), v=(1, 3, 6, 8)),
    "bool_mask": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8), mask="bool", mask_shape=(4, 6)),
    "bool_mask_batched": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8), mask="bool", mask_shape=(2, 1, 4, 6)),
    "float_mask": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8), mask="float", mask_shape=(2, 3, 4, 6)),
    "float_mask_requires_grad": dict(q=(2, 2, 4, 8), k=(2, 2, 6, 8), v=(2, 2, 6, 8), mask="float_grad",
                                     mask_shape=(1, 2, 4, 6)),
    "causal_square": dict(q=(2, 2, 5, 8), k=(2, 2, 5, 8), v=(2, 2, 5, 8), is_causal=True),
    "causal_wide": dict(q=(2, 2, 3, 8), k=(2, 2, 6, 8), v=(2, 2, 6, 8), is_causal=True),
    "causal_tall_3d": dict(q=(2, 6, 8), k=(2, 3, 8), v=(2, 3, 8), is_causal=True),
    "bool_mask_and_causal_4d": dict(q=(2, 2, 5, 8), k=(2, 2, 5, 8), v=(2, 2, 5, 8), mask="bool", mask_shape=(5, 5),
                                    is_causal=True),
    "float_mask_and_causal_4d": dict(q=(2, 2, 5, 8), k=(2, 2, 5, 8), v=(2, 2, 5, 8), mask="float",
                                     mask_shape=(5, 5), is_causal=True),
    "fully_masked_rows": dict(q=(2, 2, 4, 8), k=(2, 2, 5, 8), v=(2, 2, 5, 8), mask="dead_rows", mask_shape=(4, 5)),
    "scale": dict(q=(2, 2, 4, 8), k=(2, 2, 6, 8), v=(2, 2, 6, 8), scale=0.05),
    "gqa": dict(q=(2, 6, 4, 8), k=(2, 2, 6, 8), v=(2, 2, 6, 8), enable_gqa=True, mask="bool", mask_shape=(4, 6)),
    "empty_keys": dict(q=(2, 2, 4, 8), k=(2, 2, 0, 8), v=(2, 2, 0, 8)),
}


def _sdpa_mask(lib, kind, shape):
    rng = np.random.default_rng(5)
    if kind == "bool":
        keep = rng.random(shape) > 0.4
        keep[..., 0] = True
        return lib.tensor(keep)
    if kind == "dead_rows":
        keep = rng.random(shape) > 0.4
        keep[1] = False
        keep[3, :2] = True
        return lib.tensor(keep)
    values = rng.standard_normal(shape).astype(np.float32)
    values[..., 1] = -np.inf
    return lib.tensor(values, requires_grad=kind == "float_grad")


@requires_torch
@pytest.mark.parametrize("name", sorted(SDPA_CASES))
def test_sdpa_values_and_gradients_match_torch(name):
    case = SDPA_CASES[name]
    q, k, v = (_arr(*case[n]) for n in "qkv")
    (qm, qt), (km, kt), (vm, vt) = _pair(q), _pair(k), _pair(v)
    kwargs_m = {n: case[n] for n in ("is_causal", "scale", "enable_gqa") if n in case}
    kwargs_t = dict(kwargs_m)
    if "mask" in case:
        kwargs_m["attn_mask"] = _sdpa_mask(minitorch, case["mask"], case["mask_shape"])
        kwargs_t["attn_mask"] = _sdpa_mask(torch, case["mask"], case["mask_shape"])
    ym = F.scaled_dot_product_attention(qm, km, vm, **kwargs_m)
    yt = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, **kwargs_t)
    assert_close(ym, yt, rtol=1e-5, atol=1e-6)
    g = _arr(*yt.shape)
    ym.backward(minitorch.tensor(g))
    yt.backward(torch.tensor(g))
    for what, m_t, t_t in (("q", qm, qt), ("k", km, kt), ("v", vm, vt)):
        assert_close(m_t.grad, t_t.grad, rtol=1e-4, atol=1e-5, what=what)
    if case.get("mask") == "float_grad":
        assert_close(kwargs_m["attn_mask"].grad, kwargs_t["attn_mask"].grad, rtol=1e-4, atol=1e-5, what="mask")
    if name == "fully_masked_rows":
        assert not np_of(ym)[:, :, 1].any() and not qm.grad.numpy()[:, :, 1].any()


@requires_torch
@pytest.mark.parametrize("dropout_p", [0.3, 1.0])
def test_sdpa_dropout_draws_what_torch_draws_from_the_same_seed(dropout_p):
    (qm, qt), (km, kt), (vm, vt) = (_pair(_arr(2, 2, 5, 4)) for _ in range(3))
    torch.manual_seed(9)
    yt = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, dropout_p=dropout_p)
    minitorch.manual_seed(9)
    ym = F.scaled_dot_product_attention(qm, km, vm, dropout_p=dropout_p)
    assert_close(ym, yt, rtol=1e-5, atol=1e-6)
    yt.sum().backward()
    ym.sum().backward()
    assert_close(qm.grad, qt.grad, rtol=1e-4, atol=1e-5)


SDPA_ERRORS = [
    ("mask_and_causal_3d", lambda lib: dict(query=lib.ones(2, 3, 4), key=lib.ones(2, 3, 4), value=lib.ones(2, 3, 4),
                                            attn_mask=lib.ones(3, 3, dtype=lib.bool), is_causal=True)),
    ("key_dim", lambda lib: dict(query=lib.ones(2, 3, 4), key=lib.ones(2, 3, 5), value=lib.ones(2, 3, 5))),
    ("dtypes", lambda lib: dict(query=lib.ones(3, 4), key=lib.ones(3, 4, dtype=lib.float64), value=lib.ones(3, 4))),
    ("int_mask", lambda lib: dict(query=lib.ones(3, 4), key=lib.ones(3, 4), value=lib.ones(3, 4),
                                  attn_mask=lib.ones(3, 3, dtype=lib.int64))),
    ("double_mask", lambda lib: dict(query=lib.ones(3, 4), key=lib.ones(3, 4), value=lib.ones(3, 4),
                                     attn_mask=lib.ones(3, 3, dtype=lib.float64))),
    ("mask_shape", lambda lib: dict(query=lib.ones(2, 3, 4), key=lib.ones(2, 5, 4), value=lib.ones(2, 5, 4),
                                    attn_mask=lib.ones(3, 4))),
    ("one_dim", lambda lib: dict(query=lib.ones(4), key=lib.ones(4), value=lib.ones(4))),
    ("int_inputs", lambda lib: dict(query=lib.ones(1, 1, 3, 4, dtype=lib.int64),
                                    key=lib.ones(1, 1, 3, 4, dtype=lib.int64),
                                    value=lib.ones(1, 1, 3, 4, dtype=lib.int64))),
    ("gqa_heads", lambda lib: dict(query=lib.ones(1, 3, 2, 4), key=lib.ones(1, 2, 2, 4), value=lib.ones(1, 2, 2, 4),
                                   enable_gqa=True)),
    ("dropout_above_one", lambda lib: dict(query=lib.ones(3, 4), key=lib.ones(3, 4), value=lib.ones(3, 4),
                                           dropout_p=1.5)),
    ("list_query", lambda lib: dict(query=[1.0], key=lib.ones(3, 4), value=lib.ones(3, 4))),
    ("int_mask_argument", lambda lib: dict(query=lib.ones(3, 4), key=lib.ones(3, 4), value=lib.ones(3, 4),
                                           attn_mask=0)),
    ("is_causal_int", lambda lib: dict(query=lib.ones(3, 4), key=lib.ones(3, 4), value=lib.ones(3, 4),
                                       is_causal=1)),
]


@requires_torch
@pytest.mark.parametrize("name,make", SDPA_ERRORS, ids=[n for n, _ in SDPA_ERRORS])
def test_sdpa_errors_match_torch(name, make):
    def call(lib, fn):
        kwargs = make(lib)
        return lambda: fn(kwargs.pop("query"), kwargs.pop("key"), kwargs.pop("value"), **kwargs)
    raises_like(call(minitorch, F.scaled_dot_product_attention),
                call(torch, torch.nn.functional.scaled_dot_product_attention))


# ----- MultiheadAttention -----------------------------------------------------------------------

MHA_CONFIGS = {
    "default": dict(embed_dim=16, num_heads=4),
    "batch_first": dict(embed_dim=16, num_heads=4, batch_first=True),
    "kdim_vdim": dict(embed_dim=16, num_heads=2, kdim=6, vdim=10),
    "bias_kv_zero_attn": dict(embed_dim=16, num_heads=4, add_bias_kv=True, add_zero_attn=True),
    "no_bias_one_head": dict(embed_dim=12, num_heads=1, bias=False),
}


def _mha_pair(config, seed=0):
    torch.manual_seed(seed)
    t_mod = torch.nn.MultiheadAttention(**config)
    minitorch.manual_seed(seed)
    m_mod = minitorch.nn.MultiheadAttention(**config)
    return m_mod, t_mod


@requires_torch
@pytest.mark.parametrize("name", sorted(MHA_CONFIGS))
def test_mha_seeded_init_state_dict_parameters_and_repr_equal_torch(name):
    m_mod, t_mod = _mha_pair(MHA_CONFIGS[name], seed=4)
    assert_same_state(m_mod, t_mod)
    assert [n for n, _ in m_mod.named_parameters()] == [n for n, _ in t_mod.named_parameters()]
    assert repr(m_mod) == repr(t_mod)
    assert type(m_mod.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m_mod.out_proj, minitorch.nn.Linear)
    for attr in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "batch_first", "_qkv_same_embed_dim",
                 "add_zero_attn", "dropout"):
        assert getattr(m_mod, attr) == getattr(t_mod, attr), attr


def _mha_masks(lib, kind, batch, tgt, src, heads):
    rng = np.random.default_rng(3)
    pad = np.zeros((batch, src), bool)
    pad[-1, src - 2:] = True
    attn = rng.random((tgt, src)) > 0.7
    attn[:, 0] = False
    if kind == "none":
        return {}
    if kind == "bool_padding":
        return {"key_padding_mask": lib.tensor(pad)}
    if kind == "float_padding":
        return {"key_padding_mask": lib.tensor(np.where(pad, -np.inf, 0.0).astype(np.float32))}
    if kind == "bool_attn_2d":
        return {"attn_mask": lib.tensor(attn)}
    if kind == "float_attn_3d":
        return {"attn_mask": lib.tensor(rng.standard_normal((batch * heads, tgt, src)).astype(np.float32))}
    if kind == "both_bool":
        return {"attn_mask": lib.tensor(attn), "key_padding_mask": lib.tensor(pad)}
    if kind == "causal_hint":
        causal = np.where(np.triu(np.ones((tgt, src), bool), 1), -np.inf, 0.0).astype(np.float32)
        return {"attn_mask": lib.tensor(causal), "is_causal": True}
    raise ValueError(kind)


MASK_KINDS = ["none", "bool_padding", "float_padding", "bool_attn_2d", "float_attn_3d", "both_bool", "causal_hint"]


@requires_torch
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)],
                         ids=["weights_avg", "weights_per_head", "no_weights"])
@pytest.mark.parametrize("masks", MASK_KINDS)
@pytest.mark.parametrize("name", sorted(MHA_CONFIGS))
def test_mha_outputs_weights_and_all_gradients_match_torch(name, masks, need_weights, average):
    config = MHA_CONFIGS[name]
    m_mod, t_mod = _mha_pair(config)
    if masks == "causal_hint" and config.get("add_bias_kv"):
        pytest.skip("the causal hint needs a square mask; add_bias_kv adds a key")
    batch, tgt, src, heads = 3, 5, 5 if masks == "causal_hint" else 6, config["num_heads"]
    bf = config.get("batch_first", False)
    e, kd, vd = config["embed_dim"], config.get("kdim", config["embed_dim"]), config.get("vdim", config["embed_dim"])
    shape = (lambda n, d: (batch, n, d)) if bf else (lambda n, d: (n, batch, d))
    (qm, qt), (km, kt), (vm, vt) = _pair(_arr(*shape(tgt, e))), _pair(_arr(*shape(src, kd))), _pair(
        _arr(*shape(src, vd)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        om, wm = m_mod(qm, km, vm, need_weights=need_weights, average_attn_weights=average,
                       **_mha_masks(minitorch, masks, batch, tgt, src, heads))
        ot, wt = t_mod(qt, kt, vt, need_weights=need_weights, average_attn_weights=average,
                       **_mha_masks(torch, masks, batch, tgt, src, heads))
    assert_close(om, ot, rtol=1e-4, atol=1e-5, what="output")
    assert (wm is None) == (wt is None)
    if wt is not None:
        assert_close(wm, wt, rtol=1e-4, atol=1e-6, what="weights")
    g = _arr(*ot.shape)
    loss_m, loss_t = (om * minitorch.tensor(g)).sum(), (ot * torch.tensor(g)).sum()
    if wt is not None:
        loss_m, loss_t = loss_m + (wm * wm).sum(), loss_t + (wt * wt).sum()
    loss_m.backward()
    loss_t.backward()
    for what, m_t, t_t in (("query", qm, qt), ("key", km, kt), ("value", vm, vt)):
        assert_close(m_t.grad, t_t.grad, rtol=1e-4, atol=1e-5, what=what)
    assert_grads_close(m_mod, t_mod)


@requires_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_self_attention_unbatched_and_training_dropout_match_torch(batch_first, need_weights):
    m_mod, t_mod = _mha_pair(dict(embed_dim=8, num_heads=2, dropout=0.25, batch_first=batch_first))
    xm, xt = _pair(_arr(4, 8))
    pad = np.array([False, False, True, False])
    torch.manual_seed(1)
    ot, wt = t_mod(xt, xt, xt, key_padding_mask=torch.tensor(pad), need_weights=need_weights)
    minitorch.manual_seed(1)
    om, wm = m_mod(xm, xm, xm, key_padding_mask=minitorch.tensor(pad), need_weights=need_weights)
    assert tuple(om.shape) == (4, 8)
    assert_close(om, ot, rtol=1e-4, atol=1e-5)
    if need_weights:
        assert tuple(wm.shape) == (4, 4)
        assert_close(wm, wt, rtol=1e-4, atol=1e-6)
    om.sum().backward()
    ot.sum().backward()
    assert_close(xm.grad, xt.grad, rtol=1e-4, atol=1e-5)
    assert_grads_close(m_mod, t_mod)


def test_mha_functional_gradcheck_float64():
    e, heads = 4, 2
    q = minitorch.tensor(_arr(3, 2, e, dtype=np.float64), requires_grad=True)
    kv = minitorch.tensor(_arr(4, 2, e, dtype=np.float64), requires_grad=True)
    w_in = minitorch.tensor(_arr(3 * e, e, dtype=np.float64) * 0.5, requires_grad=True)
    b_in = minitorch.tensor(_arr(3 * e, dtype=np.float64), requires_grad=True)
    w_out = minitorch.tensor(_arr(e, e, dtype=np.float64) * 0.5, requires_grad=True)
    pad = minitorch.tensor(np.array([[False, False, True, False], [False, False, False, False]]))
    for need_weights in (False, True):
        def attend(q, kv, w_in, b_in, w_out):
            out, _ = F.multi_head_attention_forward(q, kv, kv, e, heads, w_in, b_in, None, None, False, 0.0, w_out,
                                                    None, key_padding_mask=pad, need_weights=need_weights)
            return out
        assert gradcheck(attend, (q, kv, w_in, b_in, w_out))


def test_mha_weights_are_a_distribution_and_masked_keys_get_none():
    minitorch.manual_seed(0)
    mha = minitorch.nn.MultiheadAttention(8, 2, batch_first=True)
    x = minitorch.randn(2, 5, 8)
    pad = minitorch.tensor(np.array([[False] * 5, [False, False, False, True, True]]))
    _, weights = mha(x, x, x, key_padding_mask=pad, average_attn_weights=False)
    w = weights.detach().numpy()
    assert w.shape == (2, 2, 5, 5)
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-6)
    assert not w[1, :, :, 3:].any()


@requires_torch
def test_mha_mismatched_mask_types_warn_like_torch():
    m_mod, t_mod = _mha_pair(dict(embed_dim=8, num_heads=2))
    results = []
    for lib, mod in ((torch, t_mod), (minitorch, m_mod)):
        x = lib.zeros(3, 2, 8)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mod(x, x, x, key_padding_mask=lib.zeros(2, 3, dtype=lib.bool), attn_mask=lib.zeros(3, 3))
        results.append([str(w.message) for w in caught])
    assert results[0] == results[1] == [
        "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for both instead."]


@requires_torch
def test_mha_merge_masks_matches_torch():
    m_mod, t_mod = _mha_pair(dict(embed_dim=8, num_heads=2, batch_first=True))
    attn, pad = _arr(3, 3), np.where(RNG.random((2, 3)) > 0.5, -np.inf, 0.0).astype(np.float32)
    query = _arr(2, 3, 8)
    for a, p in ((attn, None), (None, pad), (attn, pad)):
        mm, mtype = m_mod.merge_masks(None if a is None else minitorch.tensor(a),
                                      None if p is None else minitorch.tensor(p), minitorch.tensor(query))
        tm, ttype = t_mod.merge_masks(None if a is None else torch.tensor(a), None if p is None else torch.tensor(p),
                                      torch.tensor(query))
        assert mtype == ttype
        assert_close(mm, tm)


MHA_ERRORS = [
    ("heads_divide", lambda lib: lib.nn.MultiheadAttention(10, 3)),
    ("zero_dim", lambda lib: lib.nn.MultiheadAttention(0, 2)),
    ("causal_without_mask", lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.zeros(3, 2, 4), lib.zeros(3, 2, 4), lib.zeros(3, 2, 4), is_causal=True)),
    ("attn_mask_2d_shape", lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.zeros(3, 2, 4), lib.zeros(5, 2, 4), lib.zeros(5, 2, 4), attn_mask=lib.zeros(3, 3))),
    ("attn_mask_3d_shape", lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.zeros(3, 2, 4), lib.zeros(5, 2, 4), lib.zeros(5, 2, 4), attn_mask=lib.zeros(2, 3, 5))),
    ("padding_shape", lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.zeros(3, 2, 4), lib.zeros(5, 2, 4), lib.zeros(5, 2, 4), key_padding_mask=lib.zeros(2, 4))),
    ("int_mask", lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.zeros(3, 2, 4), lib.zeros(3, 2, 4), lib.zeros(3, 2, 4), attn_mask=lib.zeros(3, 3, dtype=lib.int64))),
    ("query_4d", lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.zeros(1, 3, 2, 4), lib.zeros(1, 3, 2, 4), lib.zeros(1, 3, 2, 4))),
    ("key_2d_for_batched", lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.zeros(3, 2, 4), lib.zeros(3, 4), lib.zeros(3, 4))),
    ("embed_dim", lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.zeros(3, 2, 6), lib.zeros(3, 2, 6),
                                                              lib.zeros(3, 2, 6))),
    ("key_value_shapes", lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.zeros(3, 2, 4), lib.zeros(3, 2, 4),
                                                                     lib.zeros(4, 2, 4))),
]


@requires_torch
@pytest.mark.parametrize("name,make", MHA_ERRORS, ids=[n for n, _ in MHA_ERRORS])
def test_mha_errors_match_torch(name, make):
    raises_like(lambda: make(minitorch), lambda: make(torch))
