"""minitorch's random numbers equal PyTorch's CPU generator bit for bit.

Against torch when it is installed (exact equality of every bit, not closeness);
without it, against the NumPy oracle in tests/reference/torch_cpu_rng.py (small
sizes: it is slow), and against the text PyTorch prints for the tutorial.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler, random_split
from tests._compat import requires_torch, torch

SEEDS = [0, 1, 7, 42, 2 ** 32 + 5, 123456789]
SIZES = [1, 3, 15, 16, 17, 31, 32, 33, 100, 1000, 1001]
DTYPES = ["float32", "float64"]


def _same(mine, theirs) -> None:
    """Equal dtype, shape and bits (so -0.0 != 0.0 and NaN payloads count)."""
    a = mine.detach().numpy() if hasattr(mine, "detach") else np.asarray(mine)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes(), f"{int((a != b).sum())} of {a.size} elements differ"


def _both(seed: int):
    minitorch.manual_seed(seed)
    torch.manual_seed(seed)


# ---------- against torch ----------

@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_randn_uniform_normal_match_torch_bitwise(seed, dtype):
    md, td = getattr(minitorch, dtype), getattr(torch, dtype)
    _both(seed)
    for n in SIZES:
        _same(minitorch.rand(n, dtype=md), torch.rand(n, dtype=td))
        _same(minitorch.randn(n, dtype=md), torch.randn(n, dtype=td))
        _same(minitorch.empty(n, dtype=md).uniform_(-0.3, 1.7), torch.empty(n, dtype=td).uniform_(-0.3, 1.7))
        _same(minitorch.empty(n, dtype=md).normal_(0.25, 3.0), torch.empty(n, dtype=td).normal_(0.25, 3.0))
    _same(minitorch.randn(4, 5, 6, dtype=md), torch.randn(4, 5, 6, dtype=td))


@requires_torch
def test_float16_uniforms_and_whole_blocks_of_normals_match_torch():
    """float16 draws in float32 and rounds; a draw that rounds up to high becomes low."""
    _both(4)
    _same(minitorch.rand(1000, dtype=minitorch.float16), torch.rand(1000, dtype=torch.float16))
    for low, high in [(-1, 3), (-0.1, 0.3)]:
        _same(minitorch.empty(20000, dtype=minitorch.float16).uniform_(low, high),
              torch.empty(20000, dtype=torch.float16).uniform_(low, high))
    for n in [5, 32, 160]:
        _same(minitorch.randn(n, dtype=minitorch.float16), torch.randn(n, dtype=torch.float16))


@requires_torch
def test_cached_normal_crosses_calls_like_torch():
    """The scalar path (< 16 elements) caches its second Box-Muller sample in the generator;
    the 16-lane path neither uses nor clears it."""
    _both(3)
    for n in [3, 20, 1, 1, 5, 16, 2, 7, 33, 1]:
        _same(minitorch.randn(n), torch.randn(n))
        _same(minitorch.rand(1), torch.rand(1))


@requires_torch
@pytest.mark.parametrize("seed", SEEDS[:3])
def test_randint_randperm_match_torch(seed):
    _both(seed)
    for n in SIZES + [0, 5000]:
        _same(minitorch.randint(-5, 1000, (n,)), torch.randint(-5, 1000, (n,)))
        _same(minitorch.randint(7, (n,)), torch.randint(7, (n,)))
        _same(minitorch.randperm(n), torch.randperm(n))
    _same(minitorch.randint(0, 2 ** 40, (50,)), torch.randint(0, 2 ** 40, (50,)))  # random64() path


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_matches_torch(dtype):
    md, td = getattr(minitorch, dtype), getattr(torch, dtype)
    probs = torch.rand(3, 37, dtype=td, generator=torch.Generator().manual_seed(9))
    _both(5)
    _same(minitorch.bernoulli(minitorch.tensor(probs.numpy())), torch.bernoulli(probs))
    _same(minitorch.bernoulli(minitorch.tensor(probs.numpy()), 0.3), torch.bernoulli(probs, 0.3))
    _same(minitorch.empty(40, dtype=md).bernoulli_(0.7), torch.empty(40, dtype=td).bernoulli_(0.7))
    _same(minitorch.empty(3, 37, dtype=md).bernoulli_(minitorch.tensor(probs.numpy())),
          torch.empty(3, 37, dtype=td).bernoulli_(probs))


@requires_torch
def test_normal_forms_match_torch():
    mean = torch.rand(20, generator=torch.Generator().manual_seed(1))
    std = torch.rand(20, generator=torch.Generator().manual_seed(2))
    m_mean, m_std = minitorch.tensor(mean.numpy()), minitorch.tensor(std.numpy())
    _both(8)
    _same(minitorch.normal(m_mean, m_std), torch.normal(mean, std))
    _same(minitorch.normal(m_mean, 0.5), torch.normal(mean, 0.5))
    _same(minitorch.normal(0.5, m_std), torch.normal(0.5, std))
    _same(minitorch.normal(0.5, 2.0, (4, 5)), torch.normal(0.5, 2.0, (4, 5)))
    _same(minitorch.normal(0.5, 2.0, (4,)), torch.normal(0.5, 2.0, (4,)))


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_matches_torch(dtype, replacement):
    weights = torch.rand(4, 9, dtype=getattr(torch, dtype), generator=torch.Generator().manual_seed(4))
    _both(6)
    for n in [1, 3, 9]:
        _same(minitorch.multinomial(minitorch.tensor(weights.numpy()), n, replacement),
              torch.multinomial(weights, n, replacement))
        _same(minitorch.multinomial(minitorch.tensor(weights[0].numpy()), n, replacement),
              torch.multinomial(weights[0], n, replacement))


@requires_torch
def test_generator_objects_are_independent_of_the_default():
    _both(0)
    mg, tg = minitorch.Generator().manual_seed(77), torch.Generator().manual_seed(77)
    for n in [5, 40]:
        _same(minitorch.randn(n, generator=mg), torch.randn(n, generator=tg))
        _same(minitorch.randn(n), torch.randn(n))
        _same(minitorch.rand(n, generator=mg), torch.rand(n, generator=tg))
        _same(minitorch.randperm(n, generator=mg), torch.randperm(n, generator=tg))
        _same(minitorch.randint(3, 9, (n,), generator=mg), torch.randint(3, 9, (n,), generator=tg))
        _same(minitorch.empty(n).normal_(generator=mg), torch.empty(n).normal_(generator=tg))
        _same(minitorch.empty(n).uniform_(generator=mg), torch.empty(n).uniform_(generator=tg))
    assert mg.initial_seed() == tg.initial_seed() == 77
    assert minitorch.Generator().initial_seed() == torch.Generator().initial_seed()


@requires_torch
def test_rng_state_has_torchs_bytes_and_round_trips():
    _both(5)
    minitorch.randn(3)  # leaves a cached normal in the state
    torch.randn(3)
    state = torch.get_rng_state()
    _same(minitorch.get_rng_state(), state)
    expected = torch.randn(7)
    minitorch.set_rng_state(minitorch.tensor(state.numpy()))
    _same(minitorch.randn(7), expected)


@requires_torch
def test_linear_and_conv2d_init_match_torch():
    _both(0)
    for fan_in, fan_out in [(3, 4), (784, 10), (20, 7)]:
        for mine, theirs in [(minitorch.nn.Linear(fan_in, fan_out), torch.nn.Linear(fan_in, fan_out)),
                             (minitorch.nn.Conv2d(fan_in, fan_out, 3), torch.nn.Conv2d(fan_in, fan_out, 3))]:
            _same(mine.weight, theirs.weight)
            _same(mine.bias, theirs.bias)


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_masks_and_scale_match_torch(dtype):
    _both(2)
    x = torch.randn(7, 33, dtype=getattr(torch, dtype))
    xm = minitorch.randn(7, 33, dtype=getattr(minitorch, dtype), requires_grad=True)
    x.requires_grad_(True)
    for p in [0.1, 0.3, 0.5, 0.77]:
        _same(minitorch.nn.Dropout(p)(xm), torch.nn.Dropout(p)(x))
    out_m, out_t = minitorch.nn.functional.dropout(xm, 0.3), torch.nn.functional.dropout(x, 0.3)
    out_m.sum().backward()
    out_t.sum().backward()
    _same(xm.grad, x.grad)


@requires_torch
@pytest.mark.parametrize("with_generator", [False, True])
def test_dataloader_shuffle_and_random_split_follow_torch(with_generator):
    _both(11)
    mg = minitorch.Generator().manual_seed(3) if with_generator else None
    tg = torch.Generator().manual_seed(3) if with_generator else None
    mine = DataLoader(TensorDataset(minitorch.arange(50)), batch_size=8, shuffle=True, generator=mg)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(50)), batch_size=8,
                                         shuffle=True, generator=tg)
    for _ in range(3):
        assert [b[0].tolist() for b in mine] == [b[0].tolist() for b in theirs]
    split_m = random_split(range(30), [10, 20], generator=minitorch.Generator().manual_seed(2))
    split_t = torch.utils.data.random_split(range(30), [10, 20], generator=torch.Generator().manual_seed(2))
    assert [list(s) for s in split_m] == [list(s) for s in split_t]
    assert [list(s) for s in random_split(range(30), [0.3, 0.7])] == \
        [list(s) for s in torch.utils.data.random_split(range(30), [0.3, 0.7])]
    weights = [0.1, 0.5, 0.2, 0.9, 0.3]
    for replacement in [True, False]:
        assert list(WeightedRandomSampler(weights, 4, replacement)) == \
            list(torch.utils.data.WeightedRandomSampler(weights, 4, replacement))
    _same(minitorch.randn(20), torch.randn(20))  # both consumed the default generator alike


# ---------- without torch: the NumPy oracle ----------

def _oracle():
    path = Path(__file__).resolve().parent / "reference" / "torch_cpu_rng.py"
    spec = importlib.util.spec_from_file_location("torch_cpu_rng", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [0, 1, 99])
def test_draws_match_the_numpy_reference(seed):
    ref = _oracle()
    ref.manual_seed(seed)
    minitorch.manual_seed(seed)
    for n in [1, 3, 15, 16, 17, 33, 200]:
        np.testing.assert_array_equal(minitorch.rand(n).numpy(), ref.rand(n))
        np.testing.assert_array_equal(minitorch.randn(n).numpy(), ref.randn(n))
        np.testing.assert_array_equal(minitorch.empty(n).uniform_(-2, 3).numpy(), ref.rand(n, low=-2, high=3))
        np.testing.assert_array_equal(minitorch.randint(3, 50, (n,)).numpy(), ref.randint(3, 50, (n,)))
        np.testing.assert_array_equal(minitorch.randperm(n).numpy(), ref.randperm(n))
        keep = ref._uniform_f64(ref._gen, n) < 0.7
        out = minitorch.nn.functional.dropout(minitorch.ones(n), 0.3)
        np.testing.assert_array_equal(out.numpy() != 0, keep)


# ---------- the tutorial prints PyTorch's digits ----------

TUTORIAL_TEXT = [
    "tensor([[-1.0276, -0.5631, -0.8923, -0.0583, -0.1955],\n"
    "        [-0.9656,  0.4224,  0.2673, -0.4212, -0.5107],\n"
    "        [-1.5727, -0.1232,  3.5870, -1.8313,  1.5987]], requires_grad=True)",
    "tensor([[-1.2770],\n        [ 0.3255],\n        [-0.4791]], requires_grad=True)",
    "tensor([[-2.1098],\n        [-0.2148],\n        [-3.1912]], grad_fn=<AddBackward0>)",
    "tensor(6.0846, grad_fn=<MseLossBackward0>)",
    "tensor([[-0.8570, -0.3459, -0.0799, -0.8051,  0.5856],\n"
    "        [ 0.5767,  0.2328,  0.0538,  0.5418, -0.3941],\n"
    "        [-1.5753, -0.6358, -0.1469, -1.4799,  1.0764]])",
    "tensor([[-1.2958],\n        [ 0.8720],\n        [-2.3819]])",
]


def _tutorial(lib) -> list:
    lib.manual_seed(1)
    x = lib.randn((5, 1))
    y = lib.randn((3, 1))
    w = lib.randn(3, 5, requires_grad=True)
    b = lib.randn(3, 1, requires_grad=True)
    z = lib.matmul(w, x) + b
    loss = lib.nn.MSELoss()(z, y)
    text = [repr(w), repr(b), repr(z), repr(loss)]
    loss.backward()
    return text + [repr(w.grad), repr(b.grad)]


def test_tutorial_prints_pytorchs_digits():
    assert _tutorial(minitorch) == TUTORIAL_TEXT


@requires_torch
def test_tutorial_text_is_what_torch_prints():
    assert _tutorial(torch) == TUTORIAL_TEXT


# ---------- the Generator API ----------

def test_manual_seed_resets_state_and_initial_seed():
    g = minitorch.Generator().manual_seed(2 ** 40 + 3)
    first = g.get_state().numpy()
    draws = minitorch.randn(20, generator=g)
    assert g.initial_seed() == 2 ** 40 + 3
    g.manual_seed(2 ** 40 + 3)
    np.testing.assert_array_equal(g.get_state().numpy(), first)
    np.testing.assert_array_equal(minitorch.randn(20, generator=g).numpy(), draws.numpy())
    assert minitorch.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1


def test_set_state_rejects_a_wrong_size():
    with pytest.raises(RuntimeError, match="size to be 10"):
        minitorch.Generator().set_state(minitorch.zeros(10, dtype=minitorch.uint8))
