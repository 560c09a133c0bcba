"""nn.utils.parametrizations.orthogonal: the parametrized weight, its base buffer, gradients,
Adam steps, state_dict keys and round trips, repr and errors against torch 2.13 (float64),
for every map on square, wide, tall and batched weights with and without the dynamic
trivialization; orthogonality and finite-difference gradients where torch is absent."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import hsettings

if torch is not None:
    import torch.nn.utils.parametrizations  # noqa: F401  (torch imports it lazily)

MAPS = [None, "matrix_exp", "cayley", "householder"]
SHAPES = [(4, 4), (3, 5), (5, 3)]  # (out_features, in_features): square, wide, tall


def _linear(lib, shape, orthogonal_map, use_trivialization, seed=0):
    lib.manual_seed(seed)
    layer = lib.nn.Linear(shape[1], shape[0]).double()
    return lib.nn.utils.parametrizations.orthogonal(layer, orthogonal_map=orthogonal_map,
                                                    use_trivialization=use_trivialization)


def _batched(lib, shape, orthogonal_map, use_trivialization, seed=0):
    """A module whose weight is a batch of matrices."""
    class Batched(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.randn(*shape, dtype=lib.float64))

        def forward(self, x):
            return (self.weight @ x).sum()

    lib.manual_seed(seed)
    return lib.nn.utils.parametrizations.orthogonal(Batched(), orthogonal_map=orthogonal_map,
                                                    use_trivialization=use_trivialization)


def _np(t):
    return t.detach().numpy()


def _assert_orthonormal(w, atol=1e-12):
    """Orthonormal columns if tall or square, rows if wide (each matrix of a batch)."""
    w = np.asarray(w, dtype=np.float64)
    if w.shape[-2] < w.shape[-1]:
        w = np.swapaxes(w, -1, -2)
    gram = np.swapaxes(w, -1, -2) @ w
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(w.shape[-1]), gram.shape), rtol=0, atol=atol)


@requires_torch
@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("shape", SHAPES)
def test_weight_base_grads_keys_and_repr_match_torch(shape, orthogonal_map, use_trivialization):
    mine = _linear(minitorch, shape, orthogonal_map, use_trivialization)
    theirs = _linear(torch, shape, orthogonal_map, use_trivialization)
    np.testing.assert_allclose(_np(mine.weight), _np(theirs.weight), rtol=0, atol=1e-13)
    _assert_orthonormal(_np(mine.weight))
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert repr(mine) == repr(theirs)
    assert type(mine).__name__ == "ParametrizedLinear"
    assert hasattr(mine.parametrizations.weight[0], "base") == use_trivialization
    if use_trivialization:
        np.testing.assert_allclose(_np(mine.parametrizations.weight[0].base),
                                   _np(theirs.parametrizations.weight[0].base), rtol=0, atol=1e-13)
    # The gradient reaches the original (and the bias) as torch's does.
    x = np.random.default_rng(1).standard_normal((2, shape[1]))
    (mine(minitorch.tensor(x)) ** 2).sum().backward()
    (theirs(torch.tensor(x)) ** 2).sum().backward()
    original = mine.parametrizations.weight.original
    assert original.grad is not None and float(np.abs(_np(original.grad)).max()) > 0
    np.testing.assert_allclose(_np(original.grad), _np(theirs.parametrizations.weight.original.grad),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(mine.bias.grad), _np(theirs.bias.grad), rtol=1e-12, atol=1e-12)
    # The next random draw is the same: registration drew exactly what torch drew.
    assert float(minitorch.randn(1)) == float(torch.randn(1))


@requires_torch
@pytest.mark.parametrize("orthogonal_map,use_trivialization",
                         [(None, True), ("cayley", False), ("householder", False), ("matrix_exp", False)])
@pytest.mark.parametrize("shape", [(2, 3, 3), (2, 5, 3), (2, 2, 4)])
def test_batched_weight_matches_torch(shape, orthogonal_map, use_trivialization):
    mine = _batched(minitorch, shape, orthogonal_map, use_trivialization)
    theirs = _batched(torch, shape, orthogonal_map, use_trivialization)
    np.testing.assert_allclose(_np(mine.weight), _np(theirs.weight), rtol=0, atol=1e-13)
    _assert_orthonormal(_np(mine.weight))
    x = np.random.default_rng(2).standard_normal((shape[-1], 2))
    mine(minitorch.tensor(x)).backward()
    theirs(torch.tensor(x)).backward()
    np.testing.assert_allclose(_np(mine.parametrizations.weight.original.grad),
                               _np(theirs.parametrizations.weight.original.grad), rtol=1e-10, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_adam_steps_match_torch(orthogonal_map, use_trivialization):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 5))
    trajectories = []
    for lib in (minitorch, torch):
        layer = _linear(lib, (5, 3), orthogonal_map, use_trivialization)
        opt = lib.optim.Adam(layer.parameters(), lr=0.05)
        weights = []
        for _ in range(4):
            opt.zero_grad()
            ((layer(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
            opt.step()
            weights.append(_np(layer.weight).copy())
        trajectories.append(np.stack(weights))
    mine, theirs = trajectories
    assert np.abs(mine[-1] - mine[0]).max() > 1e-3  # the weight moved
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-10)
    for w in mine:
        _assert_orthonormal(w, atol=1e-10)


@requires_torch
def test_loads_torchs_state_dict_and_round_trips():
    theirs = _linear(torch, (5, 3), "cayley", True, seed=4)
    theirs.weight = torch.randn(5, 3, dtype=torch.float64)  # a new base, as torch draws it
    mine = _linear(minitorch, (5, 3), "cayley", True, seed=5)
    mine.load_state_dict({k: minitorch.tensor(_np(v)) for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(_np(mine.weight), _np(theirs.weight), rtol=0, atol=1e-13)
    # ... and back: a fresh minitorch module from minitorch's own state_dict.
    again = _linear(minitorch, (5, 3), "cayley", True, seed=6)
    again.load_state_dict(mine.state_dict())
    np.testing.assert_allclose(_np(again.weight), _np(mine.weight), rtol=0, atol=0)


@pytest.mark.parametrize("orthogonal_map,use_trivialization",
                         [("matrix_exp", True), ("cayley", True), ("householder", True), ("householder", False)])
def test_state_dict_round_trip_and_keys(orthogonal_map, use_trivialization):
    src = _linear(minitorch, (3, 5), orthogonal_map, use_trivialization, seed=7)
    src.weight = minitorch.randn(3, 5, dtype=minitorch.float64)
    expected = ["bias", "parametrizations.weight.original"]
    if use_trivialization:
        expected.insert(1, "parametrizations.weight.0.base")
    assert sorted(src.state_dict()) == sorted(expected)
    dst = _linear(minitorch, (3, 5), orthogonal_map, use_trivialization, seed=8)
    assert not np.allclose(_np(dst.weight), _np(src.weight))
    dst.load_state_dict(src.state_dict())
    np.testing.assert_allclose(_np(dst.weight), _np(src.weight), rtol=0, atol=0)


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_assigning_a_orthogonal_weight_keeps_it(shape, use_trivialization):
    """right_inverse: an orthogonal matrix with positive R diagonal comes back unchanged."""
    layer = _linear(minitorch, shape, "householder", use_trivialization)
    a = np.random.default_rng(9).standard_normal(shape)
    q, r = np.linalg.qr(a if shape[0] >= shape[1] else a.T)
    q = q * np.sign(np.diag(r))
    q = q if shape[0] >= shape[1] else q.T
    layer.weight = minitorch.tensor(q)
    np.testing.assert_allclose(_np(layer.weight), q, rtol=0, atol=1e-12)


def test_initial_weight_is_q_of_the_qr_without_torch():
    """A square non-orthogonal weight starts at Q of its QR with R's diagonal positive (NumPy)."""
    minitorch.manual_seed(10)
    layer = minitorch.nn.Linear(4, 4).double()
    w = _np(layer.weight).copy()
    minitorch.nn.utils.parametrizations.orthogonal(layer)
    q, r = np.linalg.qr(w)
    np.testing.assert_allclose(_np(layer.weight), q * np.sign(np.diag(r)), rtol=0, atol=1e-12)


@given(data=st.data(), shape=st.sampled_from([(3, 3), (4, 2), (2, 4), (2, 3, 3)]),
       orthogonal_map=st.sampled_from(["matrix_exp", "cayley", "householder"]),
       use_trivialization=st.booleans())
@hsettings(max_examples=15)
def test_any_original_gives_an_orthogonal_weight(data, shape, orthogonal_map, use_trivialization):
    values = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=int(np.prod(shape)),
                                         max_size=int(np.prod(shape)))), dtype=np.float64).reshape(shape)
    module = _batched(minitorch, shape, orthogonal_map, use_trivialization)
    original = module.parametrizations.weight.original
    # householder keeps the diagonal's +-1 signs (they are not trained); the rest is free.
    keep = np.zeros(shape, dtype=bool)
    if orthogonal_map == "householder":
        keep[..., np.arange(min(shape[-2:])), np.arange(min(shape[-2:]))] = True
    with minitorch.no_grad():
        original.copy_(minitorch.tensor(np.where(keep, _np(original), values)))
    _assert_orthonormal(_np(module.weight), atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
def test_gradient_matches_finite_differences(shape, orthogonal_map):
    module = _batched(minitorch, shape, orthogonal_map, True)
    orth = module.parametrizations.weight[0]
    rng = np.random.default_rng(11)
    x = minitorch.tensor(0.5 * rng.standard_normal(shape), requires_grad=True)
    if orthogonal_map == "householder":
        # The diagonal's signs are read through .int(): hold them at -1 and vary the rest.
        eye = minitorch.tensor(-np.eye(*shape))
        mask = minitorch.tensor(1.0 - np.eye(*shape))
        assert gradcheck(lambda x: orth(x * mask + eye), (x,))
    else:
        assert gradcheck(lambda x: orth(x), (x,))


@pytest.mark.parametrize("call,exc,message", [
    (lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 5), "bias"), ValueError,
     "Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."),
    (lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 5), orthogonal_map="qr"), ValueError,
     'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: qr'),
    (lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 5), orthogonal_map=3), TypeError,
     "attribute name must be string"),
    (lambda lib: lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 5), "nope"), ValueError,
     "Module 'Linear(in_features=3, out_features=5, bias=True)' has no parameter or buffer with name 'nope'"),
    (lambda lib: setattr(lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 5)), "weight",
                         lib.ones(5, 4)), ValueError,
     "Expected a matrix or batch of matrices of shape torch.Size([5, 3]). Got a tensor of shape torch.Size([5, 4])."),
    (lambda lib: setattr(lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), use_trivialization=False),
                         "weight", lib.eye(3)), NotImplementedError,
     "It is not possible to assign to the matrix exponential or the Cayley parametrizations when "
     "use_trivialization=False."),
])
def test_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call(minitorch)
    assert message in str(info.value)
    if torch is not None:
        with pytest.raises(exc) as theirs:
            call(torch)
        assert message in str(theirs.value)


@pytest.mark.parametrize("shape,orthogonal_map,use_trivialization",
                         [((4, 3), "cayley", True), ((3, 3), "householder", False)])
def test_on_cuda_matches_cpu(shape, orthogonal_map, use_trivialization):
    """On CUDA (the simulator in CI) the weight and its gradient are the CPU's. A tall weight's
    base is completed with normal draws from the weight's device (as torch draws them), so
    there only the weight, which does not depend on them, is compared, and base is checked
    orthogonal."""
    from minitorch._backends.cuda import _runtime
    if not _runtime.is_available():
        pytest.skip("no CUDA device (or simulator)")
    draws = use_trivialization and shape[0] != shape[1]
    results = []
    for device in ("cpu", "cuda"):
        minitorch.manual_seed(12)
        layer = minitorch.nn.Linear(shape[1], shape[0]).double().to(device)
        minitorch.nn.utils.parametrizations.orthogonal(layer, orthogonal_map=orthogonal_map,
                                                       use_trivialization=use_trivialization)
        layer(minitorch.ones(2, shape[1], dtype=minitorch.float64, device=device)).sum().backward()
        original = layer.parametrizations.weight.original
        assert layer.weight.device.type == original.grad.device.type == device
        if use_trivialization:
            base = layer.parametrizations.weight[0].base
            assert base.device.type == device
            _assert_orthonormal(_np(base.cpu()))
        results.append([_np(t.cpu()) for t in ((layer.weight,) if draws else (layer.weight, original.grad))])
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("orthogonal_map,use_trivialization",
                         [("matrix_exp", True), ("cayley", False), ("householder", False)])
def test_float32_weight_and_grad_near_torchs_float64(orthogonal_map, use_trivialization):
    """float32 (Linear's default): torch's float64 result on the same float32 weight and input,
    to float32 rounding of the matrix products and decompositions."""
    minitorch.manual_seed(13)
    mine = minitorch.nn.Linear(6, 6)
    theirs = torch.nn.Linear(6, 6).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(_np(mine.weight), dtype=torch.float64))
        theirs.bias.copy_(torch.tensor(_np(mine.bias), dtype=torch.float64))
    minitorch.nn.utils.parametrizations.orthogonal(mine, orthogonal_map=orthogonal_map,
                                                   use_trivialization=use_trivialization)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map,
                                               use_trivialization=use_trivialization)
    assert mine.weight.dtype == minitorch.float32
    x = np.random.default_rng(14).standard_normal((3, 6)).astype(np.float32)
    mine(minitorch.tensor(x)).pow(2).sum().backward()
    theirs(torch.tensor(x, dtype=torch.float64)).pow(2).sum().backward()
    np.testing.assert_allclose(_np(mine.weight), _np(theirs.weight), rtol=0, atol=2e-6)
    _assert_orthonormal(_np(mine.weight), atol=2e-6)
    got, expected = _np(mine.parametrizations.weight.original.grad), _np(theirs.parametrizations.weight.original.grad)
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-5 * np.abs(expected).max())
