"""nn.utils.prune: masks (random draws, ties, composition of iterative pruning), the
weight_orig / weight_mask reparametrization, gradients, state_dict, remove and errors against
torch 2.13, with NumPy references where torch is absent."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch import nn
from minitorch.nn.utils import prune
from tests._compat import requires_torch, torch
from tests.strategies import hsettings

if torch is not None:
    import torch.nn.utils.prune  # noqa: F401  (torch imports it lazily)


def _np(t):
    return t.detach().numpy()


def _linear(lib, seed=0, n_in=5, n_out=4):
    lib.manual_seed(seed)
    return lib.nn.Linear(n_in, n_out).double()


# ----- the reparametrization ------------------------------------------------------------------
def test_pruning_moves_weight_to_orig_and_adds_mask():
    m = _linear(minitorch)
    weight = m.weight
    w = _np(weight).copy()
    prune.l1_unstructured(m, "weight", amount=0.25)
    assert m.weight_orig is weight
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_mask"]
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert not isinstance(m.weight, nn.Parameter)
    # The 5 of 20 entries of smallest |w| are pruned (NumPy reference: w has no ties).
    expected = np.ones(20)
    expected[np.argsort(np.abs(w).ravel(), kind="stable")[:5]] = 0
    np.testing.assert_array_equal(_np(m.weight_mask).ravel(), expected)
    np.testing.assert_array_equal(_np(m.weight), w * expected.reshape(4, 5))
    assert prune.is_pruned(m) and prune.is_pruned(nn.Sequential(m))
    assert not prune.is_pruned(nn.Linear(2, 2))


def test_gradient_reaches_weight_orig_through_the_mask():
    m = _linear(minitorch)
    prune.custom_from_mask(m, "weight", mask=minitorch.tensor(np.eye(4, 5)))
    x = minitorch.tensor(np.linspace(-1, 1, 10).reshape(2, 5))
    m(x).sum().backward()
    expected = np.outer(np.ones(4), np.linspace(-1, 1, 10).reshape(2, 5).sum(0)) * np.eye(4, 5)
    np.testing.assert_allclose(_np(m.weight_orig.grad), expected)


def test_forward_pre_hook_reapplies_mask_after_orig_changes():
    m = _linear(minitorch)
    mask = np.eye(4, 5)
    prune.custom_from_mask(m, "weight", mask=minitorch.tensor(mask))
    with minitorch.no_grad():
        m.weight_orig.fill_(2.0)
    y = m(minitorch.ones(1, 5, dtype=minitorch.float64))
    np.testing.assert_array_equal(_np(m.weight), 2.0 * mask)
    np.testing.assert_allclose(_np(y), 2.0 * mask.sum(1)[None] + _np(m.bias))


def test_remove_makes_pruning_permanent():
    m = _linear(minitorch)
    orig = m.weight
    prune.ln_structured(m, "weight", amount=2, n=1, dim=0)
    pruned = _np(m.weight).copy()
    prune.remove(m, "weight")
    assert m.weight is orig and isinstance(m.weight, nn.Parameter)
    np.testing.assert_array_equal(_np(m.weight), pruned)
    assert list(m.state_dict()) == ["bias", "weight"] and not prune.is_pruned(m)
    with pytest.raises(ValueError, match="Parameter 'weight' of module Linear"):
        prune.remove(m, "weight")


def test_state_dict_round_trip_of_pruned_model():
    src = _linear(minitorch, seed=1)
    prune.random_unstructured(src, "weight", amount=7)
    dst = _linear(minitorch, seed=2)
    prune.identity(dst, "weight")
    assert repr(dst.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    y = dst(minitorch.ones(1, 5, dtype=minitorch.float64))
    np.testing.assert_array_equal(_np(dst.weight), _np(src.weight))
    np.testing.assert_allclose(_np(y), _np(src(minitorch.ones(1, 5, dtype=minitorch.float64))))
    assert int((_np(dst.weight_mask) == 0).sum()) == 7


def test_iterative_pruning_composes_masks():
    m = _linear(minitorch, n_in=6, n_out=4)
    prune.l1_unstructured(m, "weight", amount=6)
    first = _np(m.weight_mask).copy()
    prune.l1_unstructured(m, "weight", amount=6)
    second = _np(m.weight_mask)
    # The second round prunes 6 more, all among entries the first left.
    assert first.sum() == 18 and second.sum() == 12 and (second <= first).all()
    hooks = list(m._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer) and len(hooks[0]) == 2
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    third = _np(m.weight_mask)
    assert (third <= second).all() and (third.sum(1) == 0).sum() >= 1


def test_prune_method_on_a_bare_tensor():
    t = minitorch.tensor([[3.0, -1.0, 2.0], [0.5, -4.0, 1.5]])
    out = prune.L1Unstructured(amount=2).prune(t)
    np.testing.assert_array_equal(_np(out), [[3.0, 0.0, 2.0], [0.0, -4.0, 1.5]])
    scores = minitorch.tensor([[0.0, 9.0, 9.0], [9.0, 9.0, 0.1]])
    out = prune.L1Unstructured(amount=2).prune(t, importance_scores=scores)
    np.testing.assert_array_equal(_np(out), [[0.0, -1.0, 2.0], [0.5, -4.0, 0.0]])


# ----- against torch -----------------------------------------------------------------------
def _prune_sequence(lib, steps, seed=5, shape=(4, 6)):
    """Apply steps (function name, kwargs) to a fresh Linear; return the masks and weights seen."""
    lib.manual_seed(seed)
    m = lib.nn.Linear(shape[1], shape[0]).double()
    seen = []
    for name, kwargs in steps:
        getattr(lib.nn.utils.prune, name)(m, "weight", **kwargs)
        seen.append(_np(m.weight_mask).copy())
    seen.append(_np(m.weight).copy())
    return seen, m


STEP_SEQUENCES = [
    [("random_unstructured", {"amount": 0.3})],
    [("random_unstructured", {"amount": 5}), ("random_unstructured", {"amount": 0.5})],
    [("l1_unstructured", {"amount": 0.4}), ("l1_unstructured", {"amount": 3})],
    [("random_structured", {"amount": 2, "dim": 1}), ("random_structured", {"amount": 0.5, "dim": 0})],
    [("ln_structured", {"amount": 0.5, "n": 2, "dim": 0}), ("ln_structured", {"amount": 2, "n": 1, "dim": -1})],
    [("ln_structured", {"amount": 1, "n": math.inf, "dim": 1}), ("ln_structured", {"amount": 1, "n": -math.inf, "dim": 1})],
    [("ln_structured", {"amount": 1, "n": "fro", "dim": 0})],
    [("identity", {}), ("random_unstructured", {"amount": 0.25}), ("ln_structured", {"amount": 1, "n": 2, "dim": 0}),
     ("l1_unstructured", {"amount": 2}), ("random_structured", {"amount": 1, "dim": 1}),
     ("custom_from_mask", {"mask": "checker"})],
    [("random_unstructured", {"amount": 0}), ("l1_unstructured", {"amount": 0.0}),
     ("ln_structured", {"amount": 0, "n": 2, "dim": 0})],
]


@requires_torch
@pytest.mark.parametrize("steps", STEP_SEQUENCES, ids=lambda s: "+".join(n for n, _ in s))
def test_masks_and_draws_match_torch(steps):
    def run(lib):
        fixed = [(n, {k: (lib.tensor(np.indices((4, 6)).sum(0) % 2, dtype=lib.float64) if v == "checker" else v)
                      for k, v in kw.items()}) for n, kw in steps]
        seen, m = _prune_sequence(lib, fixed)
        after = lib.rand(3)  # the generator is left where torch leaves it
        return seen + [_np(after)], [type(h).__name__ for h in m._forward_pre_hooks.values()]

    t_seen, t_hooks = run(torch)
    m_seen, m_hooks = run(minitorch)
    assert m_hooks == t_hooks
    for a, b in zip(m_seen, t_seen):
        np.testing.assert_array_equal(a, b)


@requires_torch
def test_ties_are_broken_as_torch_topk():
    rng = np.random.default_rng(0)
    for _ in range(40):
        shape = tuple(rng.integers(1, 6, size=rng.integers(1, 4)))
        a = rng.integers(-2, 3, size=shape).astype(np.float64)
        k = int(rng.integers(0, a.size + 1))
        expected = torch.nn.utils.prune.L1Unstructured(k).compute_mask(torch.tensor(a), torch.ones(shape).double())
        got = prune.L1Unstructured(k).compute_mask(minitorch.tensor(a), minitorch.ones(shape, dtype=minitorch.float64))
        np.testing.assert_array_equal(_np(got), expected.numpy())
        if len(shape) > 1:
            expected = torch.nn.utils.prune.LnStructured(0.5, n=1, dim=0).compute_mask(
                torch.tensor(a), torch.ones(shape).double())
            got = prune.LnStructured(0.5, n=1, dim=0).compute_mask(
                minitorch.tensor(a), minitorch.ones(shape, dtype=minitorch.float64))
            np.testing.assert_array_equal(_np(got), expected.numpy())


@requires_torch
def test_global_unstructured_matches_torch():
    out = {}
    for lib in (torch, minitorch):
        lib.manual_seed(2)
        net = lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.Linear(4, 3))
        params = [(net[0], "weight"), (net[1], "weight"), (net[1], "bias")]
        lib.nn.utils.prune.global_unstructured(params, pruning_method=lib.nn.utils.prune.L1Unstructured, amount=0.4)
        scores = {(net[0], "weight"): lib.ones(4, 5)}
        lib.nn.utils.prune.global_unstructured(params, pruning_method=lib.nn.utils.prune.RandomUnstructured,
                                               importance_scores=scores, amount=5)
        out[lib.__name__] = [_np(b) for _, b in net.named_buffers()] + [list(net.state_dict())]
    for a, b in zip(out["minitorch"], out["torch"]):
        if isinstance(a, list):
            assert a == b
        else:
            np.testing.assert_array_equal(a, b)


@requires_torch
def test_training_a_pruned_model_matches_torch():
    trace = {}
    for lib in (torch, minitorch):
        lib.manual_seed(4)
        net = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)).double()
        lib.nn.utils.prune.l1_unstructured(net[0], "weight", amount=0.5)
        lib.nn.utils.prune.random_structured(net[2], "weight", amount=3, dim=1)
        opt = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x = lib.tensor(np.linspace(-1, 1, 24).reshape(6, 4))
        values = []
        for _ in range(4):
            opt.zero_grad()
            loss = net(x).square().mean()
            loss.backward()
            opt.step()
            values.append(loss.item())
        lib.nn.utils.prune.remove(net[0], "weight")
        values.extend(_np(net(x)).ravel().tolist())
        trace[lib.__name__] = values
    np.testing.assert_allclose(trace["minitorch"], trace["torch"], rtol=1e-12, atol=1e-14)


# ----- errors --------------------------------------------------------------------------------
ERROR_CASES = [
    ("l1_unstructured", {"amount": -1}),
    ("l1_unstructured", {"amount": 1.5}),
    ("l1_unstructured", {"amount": "a"}),
    ("l1_unstructured", {"amount": 21}),
    ("random_structured", {"amount": 5, "dim": 0}),
    ("random_structured", {"amount": 1, "dim": 2}),
    ("ln_structured", {"amount": 1, "n": 2, "dim": 3}),
    ("custom_from_mask", {"mask": "wrong_shape"}),
]


@requires_torch
@pytest.mark.parametrize("name,kwargs", ERROR_CASES, ids=lambda v: str(v))
def test_errors_match_torch(name, kwargs):
    def run(lib):
        m = _linear(lib)
        kw = {k: (lib.ones(3, 3) if v == "wrong_shape" else v) for k, v in kwargs.items()}
        try:
            getattr(lib.nn.utils.prune, name)(m, "weight", **kw)
        finally:
            # A failed first pruning leaves the module as it was.
            assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]

    with pytest.raises(Exception) as expected:
        run(torch)
    with pytest.raises(type(expected.value)) as got:
        run(minitorch)
    assert str(got.value).replace("minitorch.", "torch.") == str(expected.value)


def test_structured_pruning_of_a_vector_and_global_with_structured_method_raise():
    with pytest.raises(ValueError, match=r"Structured pruning can only be applied to multidimensional tensors"):
        prune.random_structured(_linear(minitorch), "bias", amount=1, dim=0)
    m = _linear(minitorch)
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
        prune.global_unstructured([(m, "weight")], pruning_method=prune.RandomStructured, amount=1)
    with pytest.raises(TypeError, match="parameters is not an Iterable"):
        prune.global_unstructured(3, pruning_method=prune.L1Unstructured, amount=1)


# ----- properties ------------------------------------------------------------------------------
@given(values=st.lists(st.integers(-3, 3), min_size=1, max_size=30), frac=st.floats(0, 1))
@hsettings(max_examples=25)
def test_l1_unstructured_prunes_round_amount_smallest(values, frac):
    t = minitorch.tensor(np.array(values, dtype=np.float64))
    mask = _np(prune.L1Unstructured(frac).compute_mask(t, minitorch.ones_like(t)))
    k = round(frac * len(values))
    assert int((mask == 0).sum()) == k
    a = np.abs(np.array(values, dtype=np.float64))
    if 0 < k < len(values):
        # Every pruned entry is at most every kept one (ties may go either way).
        assert a[mask == 0].max() <= a[mask == 1].min()
