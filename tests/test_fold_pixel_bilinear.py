"""F.unfold/fold (im2col/col2im), pixel_shuffle/unshuffle, channel_shuffle, bilinear and their
modules: values and gradients against torch, gradcheck in float64, NumPy references, errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors

RNG = np.random.default_rng(3)

CASES = {
    "unfold": (lambda F, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [(2, 3, 5, 7)]),
    "unfold_unbatched": (lambda F, x: F.unfold(x, 2), [(3, 4, 5)]),
    "fold": (lambda F, x: F.fold(x, (5, 6), (2, 3), dilation=(2, 1), padding=(1, 0), stride=(1, 2)), [(2, 12, 10)]),
    "fold_unbatched": (lambda F, x: F.fold(x, (4, 5), 2), [(8, 12)]),
    "pixel_shuffle": (lambda F, x: F.pixel_shuffle(x, 2), [(2, 3, 8, 2, 3)]),
    "pixel_unshuffle": (lambda F, x: F.pixel_unshuffle(x, 2), [(2, 3, 4, 6)]),
    "channel_shuffle": (lambda F, x: F.channel_shuffle(x, 3), [(2, 6, 2, 3)]),
    "bilinear": (lambda F, x, y, w, b: F.bilinear(x, y, w, b), [(2, 7, 3), (2, 7, 4), (5, 3, 4), (5,)]),
    "bilinear_no_bias": (lambda F, x, y, w: F.bilinear(x, y, w), [(3,), (4,), (2, 3, 4)]),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    fn, shapes = CASES[name]
    arrays = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    mine = [minitorch.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    m_out, t_out = fn(nn.functional, *mine), fn(torch.nn.functional, *theirs)
    exact = not name.startswith("bilinear")  # pure data movement and sums in PyTorch's order
    tol = {"rtol": 0, "atol": 0} if exact else {"rtol": 1e-5, "atol": 1e-5}
    np.testing.assert_allclose(m_out.detach().numpy(), t_out.detach().numpy(), **tol)
    weights = RNG.standard_normal(tuple(t_out.shape)).astype(np.float32)
    (m_out * minitorch.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), **tol)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_central_differences(name):
    fn, shapes = CASES[name]
    inputs = tuple(minitorch.tensor(RNG.standard_normal(s), dtype=minitorch.float64, requires_grad=True)
                   for s in shapes)
    assert gradcheck(lambda *xs: fn(nn.functional, *xs), inputs)


def test_fold_of_unfold_counts_block_overlaps():
    x = minitorch.ones(1, 1, 4, 4)
    cols = nn.Unfold(kernel_size=2, stride=1)(x)
    counts = nn.Fold(output_size=4, kernel_size=2)(cols).numpy()[0, 0]
    # how many 2x2 windows cover each pixel of a 4x4 image
    cover = np.array([1, 2, 2, 1])
    np.testing.assert_array_equal(counts, np.outer(cover, cover))


def test_unfold_matches_a_numpy_im2col():
    x = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
    cols = nn.functional.unfold(minitorch.tensor(x), (2, 3), stride=(1, 2)).numpy()
    expected = []
    for r in range(0, 4):
        for c in range(0, 4, 2):
            expected.append(x[:, :, r:r + 2, c:c + 3].reshape(2, -1))
    np.testing.assert_array_equal(cols, np.stack(expected, -1))


def test_pixel_shuffle_round_trip_and_numpy_reference():
    x = RNG.standard_normal((2, 8, 3, 5)).astype(np.float32)
    shuffled = nn.PixelShuffle(2)(minitorch.tensor(x))
    expected = x.reshape(2, 2, 2, 2, 3, 5).transpose(0, 1, 4, 2, 5, 3).reshape(2, 2, 6, 10)
    np.testing.assert_array_equal(shuffled.numpy(), expected)
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(shuffled).numpy(), x)
    mixed = nn.ChannelShuffle(4)(minitorch.tensor(x)).numpy()
    np.testing.assert_array_equal(mixed, x.reshape(2, 4, 2, 3, 5).transpose(0, 2, 1, 3, 4).reshape(x.shape))


def test_bilinear_module_computes_x1_a_x2_plus_b():
    minitorch.manual_seed(0)
    layer = nn.Bilinear(3, 4, 2)
    bound = 1 / np.sqrt(3)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (2, 3, 4) and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    x1, x2 = RNG.standard_normal((5, 3)).astype(np.float32), RNG.standard_normal((5, 4)).astype(np.float32)
    got = layer(minitorch.tensor(x1), minitorch.tensor(x2)).detach().numpy()
    np.testing.assert_allclose(got, np.einsum("ni,oij,nj->no", x1, w, x2) + b, rtol=1e-5, atol=1e-5)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


@requires_torch
def test_modules_init_and_repr_match_torch():
    for build in (lambda m: m.Bilinear(3, 4, 5), lambda m: m.Bilinear(2, 3, 4, bias=False)):
        torch.manual_seed(2)
        minitorch.manual_seed(2)
        theirs, mine = build(torch.nn), build(nn)
        assert repr(mine) == repr(theirs)
        for (name, p), (_, q) in zip(mine.named_parameters(), theirs.named_parameters()):
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
    for text in ("Fold(output_size=(4, 5), kernel_size=2)", "Unfold(kernel_size=(2, 3), padding=1, stride=2)",
                 "PixelShuffle(2)", "PixelUnshuffle(3)", "ChannelShuffle(2)"):
        assert repr(eval("nn." + text)) == repr(eval("torch.nn." + text))


@requires_torch
@pytest.mark.parametrize("call", [
    lambda F, L: F.unfold(L.randn(3, 4), 2),
    lambda F, L: F.unfold(L.randn(1, 2, 3, 4), 5),
    lambda F, L: F.unfold(L.randn(1, 2, 3, 4), 2, stride=0),
    lambda F, L: F.fold(L.randn(1, 8, 6), (4, 5), 2),
    lambda F, L: F.fold(L.randn(1, 7, 12), (4, 5), 2),
    lambda F, L: F.fold(L.randn(8), (4, 5), 2),
    lambda F, L: F.pixel_shuffle(L.randn(1, 3, 2, 2), 2),
    lambda F, L: F.pixel_shuffle(L.randn(3, 2), 2),
    lambda F, L: F.pixel_unshuffle(L.randn(1, 1, 3, 4), 2),
    lambda F, L: F.pixel_unshuffle(L.randn(1, 1, 4, 3), 2),
    lambda F, L: F.channel_shuffle(L.randn(1, 3, 2, 2), 2),
    lambda F, L: F.channel_shuffle(L.randn(3), 2),
    lambda F, L: F.channel_shuffle(L.randn(1, 4, 2), 0),
    lambda F, L: F.bilinear(L.randn(2, 3), L.randn(2, 5), L.randn(5, 3, 4)),
    lambda F, L: F.bilinear(L.randn(2, 3), L.randn(3, 4), L.randn(5, 3, 4)),
    lambda F, L: F.bilinear(L.randn(2, 3), L.randn(2, 4), L.randn(5, 3, 4), L.randn(4)),
])
def test_errors_match_torch(call):
    with pytest.raises(Exception) as theirs:
        call(torch.nn.functional, torch)
    with pytest.raises(type(theirs.value)) as mine:
        call(nn.functional, minitorch)
    assert str(mine.value) == str(theirs.value)


@given(x=tensors(shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(2, 6), st.integers(2, 6)),
                 lo=-3, hi=3),
       k=st.integers(1, 2), s=st.integers(1, 2), p=st.integers(0, 1))
@hsettings(max_examples=25)
def test_unfold_then_fold_on_any_layout(x, k, s, p):
    arr, t = x
    cols = nn.functional.unfold(t, k, padding=p, stride=s)
    ref = nn.functional.unfold(minitorch.tensor(arr), k, padding=p, stride=s)
    np.testing.assert_array_equal(cols.numpy(), ref.numpy())
    back = nn.functional.fold(cols, arr.shape[2:], k, padding=p, stride=s).numpy()
    ones = nn.functional.fold(nn.functional.unfold(minitorch.ones(*arr.shape), k, padding=p, stride=s),
                              arr.shape[2:], k, padding=p, stride=s).numpy()
    np.testing.assert_allclose(back, arr * ones, rtol=1e-6, atol=1e-6)  # each pixel times its coverage
