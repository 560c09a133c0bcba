"""nn.utils: gradient clipping, parameters_to_vector, and nn.utils.rnn's packing against
torch (values, gradients through packing, errors), with NumPy references where torch is
absent."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.nn.utils import rnn as rnn_utils
from minitorch.nn.utils._sort import sort_descending
from tests._compat import requires_torch, torch
from tests.strategies import hsettings

NORMS = (2.0, 1, 3.5, math.inf, -math.inf, 0, 0.5)


def _grads(lib, arrays, dtypes=None):
    """Leaf tensors whose .grad are the given arrays (None: no gradient)."""
    params = []
    for k, a in enumerate(arrays):
        dtype = getattr(lib, dtypes[k]) if dtypes else getattr(lib, "float32")
        shape = (3,) if a is None else a.shape
        p = lib.zeros(shape, dtype=dtype, requires_grad=True)
        if a is not None:
            p.grad = lib.tensor(a, dtype=dtype)
        params.append(p)
    return params


def _arrays(rng):
    return [rng.standard_normal((4, 3)).astype(np.float32), None, rng.standard_normal(5).astype(np.float32) * 3,
            np.zeros((2, 2), np.float32)]


def _vector_norm(flat, p):
    if p == math.inf:
        return np.abs(flat).max()
    if p == -math.inf:
        return np.abs(flat).min()
    if p == 0:
        return float(np.count_nonzero(flat))
    return (np.abs(flat) ** p).sum() ** (1 / p)


def _numpy_norm(values, p):
    """The norm of the per-tensor norms (for p = 0: how many tensors have a non-zero element)."""
    return _vector_norm(np.array([_vector_norm(v.reshape(-1).astype(np.float64), p) for v in values]), p)


@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("max_norm", (0.5, 1e9))
def test_clip_grad_norm_matches_numpy(norm_type, max_norm):
    rng = np.random.default_rng(0)
    arrays = _arrays(rng)
    params = _grads(minitorch, arrays)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    present = [a for a in arrays if a is not None]
    expected = _numpy_norm(present, norm_type)
    assert total.dtype == minitorch.float32 and total.dim() == 0
    assert float(total) == pytest.approx(expected, rel=1e-5)
    coef = min(max_norm / (expected + 1e-6), 1.0)
    for p, a in zip(params, arrays):
        if a is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), a * coef, rtol=1e-5, atol=1e-7)


@requires_torch
@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("max_norm", (0.5, 7.0, 1e9))
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    arrays = _arrays(np.random.default_rng(1))
    m, t = _grads(minitorch, arrays), _grads(torch, arrays)
    m_total = nn.utils.clip_grad_norm_(m, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    assert str(m_total.dtype) == str(t_total.dtype) and m_total.shape == t_total.shape
    np.testing.assert_allclose(m_total.numpy(), t_total.numpy(), rtol=1e-6)
    for a, b in zip(m, t):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-8)


@requires_torch
def test_clip_grad_norm_mixed_dtypes_single_tensor_and_generators_match_torch():
    arrays = [np.arange(6.0).reshape(2, 3), np.array([-4.0, 1.5])]
    for lib_args in ((["float32", "float64"]), (["float64", "float32"])):
        m, t = _grads(minitorch, arrays, lib_args), _grads(torch, arrays, lib_args)
        m_total = nn.utils.clip_grad_norm_(iter(m), 1.0)
        t_total = torch.nn.utils.clip_grad_norm_(iter(t), 1.0)
        assert str(m_total.dtype) == str(t_total.dtype) == "torch.float64"
        np.testing.assert_allclose(m_total.numpy(), t_total.numpy(), rtol=1e-7)
        for a, b in zip(m, t):
            assert str(a.grad.dtype) == str(b.grad.dtype)
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-7)
    (m,), (t,) = _grads(minitorch, arrays[:1]), _grads(torch, arrays[:1])
    np.testing.assert_allclose(nn.utils.clip_grad_norm_(m, 2.0, math.inf).numpy(),
                               torch.nn.utils.clip_grad_norm_(t, 2.0, math.inf).numpy())
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-7)


def test_clip_grad_norm_without_gradients():
    params = _grads(minitorch, [None, None])
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.item() == 0.0 and total.dtype == minitorch.float32
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        assert nn.utils.clip_grad_norm_((p for p in []), 1.0).item() == 0.0
    zeros = _grads(minitorch, [np.zeros(3, np.float32)])
    assert nn.utils.clip_grad_norm_(zeros, 1.0).item() == 0.0
    assert zeros[0].grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("bad", (math.nan, math.inf))
def test_clip_grad_norm_error_if_nonfinite(bad):
    arrays = [np.array([1.0, bad], np.float32)]
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(_grads(minitorch, arrays), 1.0, error_if_nonfinite=True)
    params = _grads(minitorch, arrays)
    total = nn.utils.clip_grad_norm_(params, 1.0)  # scales by the non-finite norm, as torch does
    assert not math.isfinite(total.item())
    if torch is not None:
        t_params = _grads(torch, arrays)
        with pytest.raises(RuntimeError) as expected:
            torch.nn.utils.clip_grad_norm_(t_params, 1.0, error_if_nonfinite=True)
        with pytest.raises(RuntimeError) as got:
            nn.utils.clip_grad_norm_(_grads(minitorch, arrays), 1.0, error_if_nonfinite=True)
        assert str(got.value) == str(expected.value)
        torch.nn.utils.clip_grad_norm_(t_params, 1.0)
        np.testing.assert_array_equal(params[0].grad.numpy(), t_params[0].grad.numpy())


def test_get_total_norm_and_clip_grads_with_norm():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(4).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)]
    params = _grads(minitorch, arrays)
    grads = [p.grad for p in params]
    total = nn.utils.get_total_norm(grads, norm_type=3.0)
    assert float(total) == pytest.approx(_numpy_norm(arrays, 3.0), rel=1e-6)
    nn.utils.clip_grads_with_norm_(params, 0.25, total)
    for p, a in zip(params, arrays):
        np.testing.assert_allclose(p.grad.numpy(), a * (0.25 / (float(total) + 1e-6)), rtol=1e-6)
    assert nn.utils.get_total_norm([]).item() == 0.0
    assert nn.utils.get_total_norm(minitorch.tensor([3.0, 4.0])).item() == 5.0
    if torch is not None:
        tp = _grads(torch, arrays)
        t_total = torch.nn.utils.get_total_norm([p.grad for p in tp], norm_type=3.0)
        np.testing.assert_allclose(total.numpy(), t_total.numpy(), rtol=1e-6)


def test_clip_grad_norm_deprecated_alias_warns():
    params = _grads(minitorch, [np.array([3.0, 4.0], np.float32)])
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated"):
        total = nn.utils.clip_grad_norm(params, 1.0)
    assert total.item() == 5.0


@pytest.mark.parametrize("clip", (0.5, 2, 0.0))
def test_clip_grad_value(clip):
    rng = np.random.default_rng(4)
    arrays = _arrays(rng)
    params = _grads(minitorch, arrays)
    assert nn.utils.clip_grad_value_(params, clip) is None
    for p, a in zip(params, arrays):
        if a is not None:
            np.testing.assert_array_equal(p.grad.numpy(), np.clip(a, -clip, clip))
    if torch is not None:
        t_params = _grads(torch, arrays)
        torch.nn.utils.clip_grad_value_(t_params, clip)
        for p, tp in zip(params, t_params):
            if tp.grad is not None:
                np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())
    single = _grads(minitorch, [np.array([-3.0, 0.1, 3.0], np.float32)])[0]
    nn.utils.clip_grad_value_(single, 1)
    assert single.grad.tolist() == pytest.approx([-1.0, 0.1, 1.0])


def test_clip_grad_norm_in_a_training_step_matches_torch():
    if torch is None:
        pytest.skip("torch is not installed")
    minitorch.manual_seed(0)
    torch.manual_seed(0)
    m_model, t_model = nn.LSTM(3, 4, num_layers=2), torch.nn.LSTM(3, 4, num_layers=2)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    (m_model(minitorch.tensor(x))[0] ** 2).sum().backward()
    (t_model(torch.tensor(x))[0] ** 2).sum().backward()
    m_total = nn.utils.clip_grad_norm_(m_model.parameters(), 0.25)
    t_total = torch.nn.utils.clip_grad_norm_(t_model.parameters(), 0.25)
    np.testing.assert_allclose(m_total.numpy(), t_total.numpy(), rtol=1e-5)
    for p, tp in zip(m_model.parameters(), t_model.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-7)


# ----- parameters as one vector -----------------------------------------------------------------
def test_parameters_to_vector_and_back():
    minitorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    expected = np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])
    np.testing.assert_array_equal(vec.detach().numpy(), expected)
    vec.sum().backward()  # differentiable, as torch.cat is
    assert all(p.grad.tolist() == np.ones(p.shape).tolist() for p in model.parameters())
    new = minitorch.arange(float(vec.numel()))
    nn.utils.vector_to_parameters(new, model.parameters())
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(model.parameters()).detach().numpy(),
                                  np.arange(float(vec.numel())))
    assert model[0].weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert isinstance(model[0].weight, nn.Parameter)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], model.parameters())
    if torch is not None:
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            torch.nn.utils.vector_to_parameters([1.0], torch.nn.Linear(1, 1).parameters())


# ----- packing ------------------------------------------------------------------------------------
@hsettings(max_examples=60)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=60))
def test_sort_descending_is_a_descending_permutation(keys):
    order = sort_descending(keys)
    assert sorted(order) == list(range(len(keys)))
    assert [keys[i] for i in order] == sorted(keys, reverse=True)
    if torch is not None:  # and PyTorch's own (unstable) order of equal keys
        assert order == torch.sort(torch.tensor(keys), descending=True).indices.tolist()


def _seqs(rng, lengths, trailing=(3,)):
    return [rng.standard_normal((n,) + trailing) for n in lengths]


@requires_torch
@pytest.mark.parametrize("batch_first", (False, True))
@pytest.mark.parametrize("lengths", ([5, 3, 3, 1], [2, 6, 1, 6, 3], [4], [3] * 20 + [5, 1]))
@pytest.mark.parametrize("as_tensor", (False, True))
def test_pack_and_pad_round_trip_with_gradients_match_torch(batch_first, lengths, as_tensor):
    rng = np.random.default_rng(0)
    T, B = max(lengths) + 1, len(lengths)
    x = rng.standard_normal((B, T, 3) if batch_first else (T, B, 3))
    m_x, t_x = minitorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    sorted_input = lengths == sorted(lengths, reverse=True)
    m_len = minitorch.tensor(lengths) if as_tensor else lengths
    t_len = torch.tensor(lengths) if as_tensor else lengths
    m_p = rnn_utils.pack_padded_sequence(m_x, m_len, batch_first, enforce_sorted=sorted_input)
    t_p = torch.nn.utils.rnn.pack_padded_sequence(t_x, t_len, batch_first, enforce_sorted=sorted_input)
    np.testing.assert_array_equal(m_p.data.detach().numpy(), t_p.data.detach().numpy())
    assert m_p.batch_sizes.tolist() == t_p.batch_sizes.tolist()
    assert m_p.batch_sizes.dtype == minitorch.int64
    for a, b in ((m_p.sorted_indices, t_p.sorted_indices), (m_p.unsorted_indices, t_p.unsorted_indices)):
        assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist())
    kw = dict(batch_first=batch_first, padding_value=-2.5, total_length=T + 1)
    m_pad, m_lengths = rnn_utils.pad_packed_sequence(m_p, **kw)
    t_pad, t_lengths = torch.nn.utils.rnn.pad_packed_sequence(t_p, **kw)
    np.testing.assert_array_equal(m_pad.detach().numpy(), t_pad.detach().numpy())
    assert m_lengths.tolist() == t_lengths.tolist() and m_lengths.dtype == minitorch.int64
    g = rng.standard_normal(tuple(t_pad.shape))
    (m_pad * minitorch.tensor(g)).sum().backward()
    (t_pad * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(m_x.grad.numpy(), t_x.grad.numpy())


def test_pack_padded_sequence_layout_without_torch():
    x = minitorch.tensor([[1.0, 10.0, 100.0], [2.0, 20.0, 0.0], [3.0, 0.0, 0.0]])  # (T=3, B=3)
    packed = rnn_utils.pack_padded_sequence(x, [3, 2, 1])
    assert packed.data.tolist() == [1.0, 10.0, 100.0, 2.0, 20.0, 3.0]
    assert packed.batch_sizes.tolist() == [3, 2, 1] and packed.sorted_indices is None
    xb = minitorch.tensor([[100.0, 0.0, 0.0], [10.0, 20.0, 0.0], [1.0, 2.0, 3.0]])  # (B=3, T=3)
    packed = rnn_utils.pack_padded_sequence(xb, [1, 2, 3], batch_first=True, enforce_sorted=False)
    assert packed.data.tolist() == [1.0, 10.0, 100.0, 2.0, 20.0, 3.0]
    assert packed.sorted_indices.tolist() == [2, 1, 0] and packed.unsorted_indices.tolist() == [2, 1, 0]
    padded, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, padding_value=9.0)
    assert padded.tolist() == [[100.0, 9.0, 9.0], [10.0, 20.0, 9.0], [1.0, 2.0, 3.0]]
    assert lengths.tolist() == [1, 2, 3]


@requires_torch
@pytest.mark.parametrize("batch_first", (False, True))
@pytest.mark.parametrize("padding_side", ("right", "left"))
@pytest.mark.parametrize("trailing", ((), (2,), (2, 3)))
def test_pad_sequence_matches_torch(batch_first, padding_side, trailing):
    rng = np.random.default_rng(1)
    seqs = _seqs(rng, [2, 5, 1, 5], trailing)
    m_s = [minitorch.tensor(s, requires_grad=True) for s in seqs]
    t_s = [torch.tensor(s, requires_grad=True) for s in seqs]
    kw = dict(batch_first=batch_first, padding_value=0.5, padding_side=padding_side)
    m_out, t_out = rnn_utils.pad_sequence(m_s, **kw), torch.nn.utils.rnn.pad_sequence(t_s, **kw)
    np.testing.assert_array_equal(m_out.detach().numpy(), t_out.detach().numpy())
    g = rng.standard_normal(tuple(t_out.shape))
    (m_out * minitorch.tensor(g)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()
    for a, b in zip(m_s, t_s):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@requires_torch
def test_pack_sequence_unpack_and_unpad_match_torch():
    rng = np.random.default_rng(2)
    seqs = _seqs(rng, [3, 5, 3, 2])
    for enforce, batch in ((False, seqs), (True, sorted(seqs, key=len, reverse=True))):
        m_p = rnn_utils.pack_sequence([minitorch.tensor(s) for s in batch], enforce_sorted=enforce)
        t_p = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in batch], enforce_sorted=enforce)
        np.testing.assert_array_equal(m_p.data.numpy(), t_p.data.numpy())
        assert repr(m_p) == repr(t_p)
        for a, b in zip(rnn_utils.unpack_sequence(m_p), torch.nn.utils.rnn.unpack_sequence(t_p)):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    padded = rnn_utils.pad_sequence([minitorch.tensor(s) for s in seqs])
    lengths = minitorch.tensor([3, 5, 3, 2])
    out = rnn_utils.unpad_sequence(padded, lengths)
    assert padded.shape == (5, 4, 3)  # left as it was (torch transposes it in place)
    for a, s in zip(out, seqs):
        np.testing.assert_array_equal(a.numpy(), s)
    for a, s in zip(rnn_utils.unpad_sequence(padded.transpose(0, 1), lengths, batch_first=True), seqs):
        np.testing.assert_array_equal(a.numpy(), s)


def test_packed_sequence_methods_and_invert_permutation():
    p = rnn_utils.pack_sequence([minitorch.ones(2, 3), minitorch.ones(3, 3)], enforce_sorted=False)
    assert isinstance(p, tuple) and p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert p.double().data.dtype == minitorch.float64 and p.float() is p
    assert p.to(minitorch.float64).batch_sizes is p.batch_sizes
    assert p.half().data.dtype == minitorch.float16 and p.long().data.dtype == minitorch.int64
    assert p.int().data.dtype == minitorch.int32 and p.short().data.dtype == minitorch.int16
    assert p.char().data.dtype == minitorch.int8 and p.byte().data.dtype == minitorch.uint8
    assert p.is_cuda is False and p.cpu() is p
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert batch_sizes.tolist() == [2, 2, 1] and sorted_indices.tolist() == [1, 0]
    perm = minitorch.tensor([2, 0, 3, 1])
    assert rnn_utils.invert_permutation(perm).tolist() == [1, 3, 0, 2]
    assert rnn_utils.invert_permutation(None) is None
    q = rnn_utils.PackedSequence(minitorch.ones(3), minitorch.tensor([1, 1, 1]), minitorch.tensor([0]))
    assert q.unsorted_indices.tolist() == [0]
    assert rnn_utils.PackedSequence((minitorch.ones(2), minitorch.tensor([2]))).batch_sizes.tolist() == [2]


def _packing_error_cases(lib):
    R = lib.nn.utils.rnn
    randn = lib.randn
    return {
        "unsorted": lambda: R.pack_sequence([randn(3, 2), randn(5, 2)]),
        "zero_length": lambda: R.pack_padded_sequence(randn(5, 2, 3), [5, 0]),
        "batch_mismatch": lambda: R.pack_padded_sequence(randn(5, 3, 3), [5, 2]),
        "batch_mismatch_batch_first": lambda: R.pack_padded_sequence(randn(5, 2, 3), [5, 2], batch_first=True),
        "lengths_2d": lambda: R.pack_padded_sequence(randn(5, 2, 3), lib.tensor([[5, 2]])),
        "input_1d": lambda: R.pack_padded_sequence(randn(5), lib.tensor([5])),
        "pad_empty": lambda: R.pad_sequence([]),
        "pad_trailing": lambda: R.pad_sequence([randn(3, 2), randn(2, 3)]),
        "pad_side": lambda: R.pad_sequence([randn(3, 2), randn(2, 2)], padding_side="middle"),
        "pad_not_iterable": lambda: R.pad_sequence(5),
        "total_length": lambda: R.pad_packed_sequence(R.pack_sequence([randn(3, 2), randn(2, 2)]), total_length=2),
        "batch_sizes_device": lambda: R.PackedSequence(randn(2), None),
    }


@requires_torch
@pytest.mark.parametrize("case", sorted(_packing_error_cases(minitorch)))
def test_packing_errors_match_torch(case):
    with pytest.raises(Exception) as expected:
        _packing_error_cases(torch)[case]()
    with pytest.raises(Exception) as got:
        _packing_error_cases(minitorch)[case]()
    assert got.type is expected.type
    assert str(got.value) == str(expected.value)


def test_pack_padded_sequence_refuses_lengths_beyond_the_input():
    # torch reads past the end of its input here
    with pytest.raises(RuntimeError, match=r"a sequence length \(7\) exceeds the padded input's length \(5\)"):
        rnn_utils.pack_padded_sequence(minitorch.randn(5, 2, 3), [7, 2])
    with pytest.raises(RuntimeError, match="every sequence needs at least one dimension"):
        rnn_utils.pad_sequence([minitorch.tensor(1.0), minitorch.tensor(2.0)])


def test_pad_sequence_takes_the_first_sequences_dtype_and_broadcasts_like_copy():
    out = rnn_utils.pad_sequence([minitorch.ones(2, 3), minitorch.ones(1, 1, dtype=minitorch.float64)])
    assert out.dtype == minitorch.float32 and out.shape == (2, 2, 3)
    assert out[:, 1].tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a tensor is an iterable of its rows: two sequences of length 3
        assert rnn_utils.pad_sequence(minitorch.ones(2, 3)).shape == (3, 2)
