"""F.ctc_loss / nn.CTCLoss: values and gradients against PyTorch, against a NumPy sum over every
alignment, against central differences; argument forms, reductions, zero_infinity, errors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitorch
import minitorch.nn.functional as MF
from minitorch.autograd import gradcheck
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, layout_of


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def _inputs(seed: int, steps: int, batch: int, classes: int, longest: int, dtype=np.float64):
    rng = np.random.default_rng(seed)
    log_probs = _log_softmax(rng.standard_normal((steps, batch, classes))).astype(dtype)
    targets = rng.integers(1, classes, (batch, longest))
    return log_probs, targets


def brute_force(log_probs: np.ndarray, target, blank: int):
    """(loss, PyTorch's gradient w.r.t. log_probs) of one sample, log_probs (T, C), by summing
    over all C**T alignments the ones that collapse (merge repeats, drop blanks) to target.
    PyTorch's gradient is exp(log_probs) minus the alignments' occupancy of (t, c): the gradient
    through a log_softmax in front, which the kernel folds in."""
    steps, classes = log_probs.shape
    total, occupancy = 0.0, np.zeros_like(log_probs)
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [k for k, _ in itertools.groupby(path) if k != blank]
        if collapsed == list(target):
            p = np.exp(log_probs[np.arange(steps), list(path)].sum())
            total += p
            occupancy[np.arange(steps), list(path)] += p
    if total == 0:
        return np.inf, None
    return -np.log(total), np.exp(log_probs) - occupancy / total


def _mt(a, requires_grad=False):
    return minitorch.tensor(a, requires_grad=requires_grad)


# ----- against PyTorch ------------------------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_padded_targets_match_torch_float64(reduction, zero_infinity):
    log_probs, targets = _inputs(0, 9, 4, 5, 4)
    # sample 2 cannot fit its target (inf loss), sample 3 has an empty input and target
    input_lengths, target_lengths = [9, 7, 1, 0], [4, 2, 3, 0]
    ours = _mt(log_probs, True)
    theirs = torch.tensor(log_probs, requires_grad=True)
    out = MF.ctc_loss(ours, _mt(targets), input_lengths, target_lengths, reduction=reduction,
                      zero_infinity=zero_infinity)
    expected = torch.nn.functional.ctc_loss(theirs, torch.tensor(targets), input_lengths, target_lengths,
                                            reduction=reduction, zero_infinity=zero_infinity)
    assert type(out.grad_fn).__name__ == type(expected.grad_fn).__name__
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    weights = np.arange(1.0, 5.0)[: out.numel()].reshape(out.shape)
    (out * _mt(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-10)


@requires_torch
def test_concatenated_targets_and_tensor_lengths_match_torch():
    log_probs, targets = _inputs(1, 7, 3, 4, 3)
    target_lengths = np.array([3, 1, 2])
    flat = np.concatenate([targets[b, :n] for b, n in enumerate(target_lengths)])
    input_lengths = np.array([7, 5, 6])
    ours = _mt(log_probs, True)
    theirs = torch.tensor(log_probs, requires_grad=True)
    out = MF.ctc_loss(ours, _mt(flat), _mt(input_lengths), _mt(target_lengths), blank=0)
    expected = torch.nn.functional.ctc_loss(theirs, torch.tensor(flat), torch.tensor(input_lengths),
                                            torch.tensor(target_lengths))
    out.backward()
    expected.backward()
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_unbatched_input_matches_torch(reduction):
    log_probs, targets = _inputs(2, 6, 1, 4, 2)
    ours = _mt(log_probs[:, 0], True)
    theirs = torch.tensor(log_probs[:, 0], requires_grad=True)
    out = MF.ctc_loss(ours, _mt(targets[0]), _mt(np.array(6)), _mt(np.array(2)), blank=3, reduction=reduction)
    expected = torch.nn.functional.ctc_loss(theirs, torch.tensor(targets[0]), torch.tensor(6), torch.tensor(2),
                                            blank=3, reduction=reduction)
    assert out.shape == () and type(out.grad_fn).__name__ == type(expected.grad_fn).__name__
    out.backward()
    expected.backward()
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@requires_torch
def test_float32_matches_torch_float64_on_the_same_values():
    log_probs, targets = _inputs(3, 12, 3, 6, 5, np.float32)
    input_lengths, target_lengths = [12, 10, 8], [5, 3, 4]
    ours = _mt(log_probs, True)
    theirs = torch.tensor(log_probs.astype(np.float64), requires_grad=True)
    out = MF.ctc_loss(ours, _mt(targets), input_lengths, target_lengths, reduction="sum")
    expected = torch.nn.functional.ctc_loss(theirs, torch.tensor(targets), input_lengths, target_lengths,
                                            reduction="sum")
    out.backward()
    expected.backward()
    assert out.dtype is minitorch.float32 and ours.grad.dtype is minitorch.float32
    # float64 inside, rounded once to float32
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=0, atol=1e-6)


@requires_torch
@hsettings(max_examples=25)
@given(st.data())
def test_random_lengths_match_torch(data):
    steps = data.draw(st.integers(1, 8), "T")
    batch = data.draw(st.integers(1, 4), "N")
    classes = data.draw(st.integers(2, 5), "C")
    blank = data.draw(st.integers(0, classes - 1), "blank")
    target_lengths = data.draw(st.lists(st.integers(0, 5), min_size=batch, max_size=batch), "S")
    input_lengths = data.draw(st.lists(st.integers(0, steps), min_size=batch, max_size=batch), "lengths")
    zero_infinity = data.draw(st.booleans(), "zero_infinity")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), "seed"))
    log_probs = _log_softmax(rng.standard_normal((steps, batch, classes)))
    targets = rng.integers(0, classes - 1, (batch, max(target_lengths + [1])))
    if not data.draw(st.booleans(), "blank in targets"):  # PyTorch does not forbid it
        targets += targets >= blank
    ours = data.draw(layout_of(log_probs), "layout").requires_grad_()
    theirs = torch.tensor(log_probs, requires_grad=True)
    out = MF.ctc_loss(ours, _mt(targets), input_lengths, target_lengths, blank, "none", zero_infinity)
    expected = torch.nn.functional.ctc_loss(theirs, torch.tensor(targets), input_lengths, target_lengths, blank,
                                            "none", zero_infinity)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-10)


# ----- without PyTorch --------------------------------------------------------------------------

@hsettings(max_examples=25)
@given(st.data())
def test_matches_the_sum_over_all_alignments(data):
    steps = data.draw(st.integers(1, 4), "T")
    classes = data.draw(st.integers(2, 3), "C")
    blank = data.draw(st.integers(0, classes - 1), "blank")
    labels = [c for c in range(classes) if c != blank]
    target = data.draw(st.lists(st.sampled_from(labels), max_size=3), "target")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), "seed"))
    log_probs = _log_softmax(rng.standard_normal((steps, 1, classes)))
    expected_loss, expected_grad = brute_force(log_probs[:, 0], target, blank)
    ours = _mt(log_probs, True)
    padded = np.array(target + [labels[0]], np.int64)
    out = MF.ctc_loss(ours, _mt(padded[None]), [steps], [len(target)], blank, "sum")
    if np.isinf(expected_loss):
        assert out.item() == np.inf
        return
    np.testing.assert_allclose(out.item(), expected_loss, rtol=1e-12, atol=1e-12)
    out.backward()
    np.testing.assert_allclose(ours.grad.numpy()[:, 0], expected_grad, rtol=1e-10, atol=1e-12)


def test_gradient_through_log_softmax_matches_central_differences():
    # the kernel's gradient is the one through a log_softmax in front (as PyTorch's)
    rng = np.random.default_rng(4)
    logits = _mt(rng.standard_normal((6, 2, 4)), True)
    targets = _mt(np.array([[1, 2, 2], [3, 1, 0]]))

    def loss(x):
        return MF.ctc_loss(x.log_softmax(2), targets, [6, 5], [3, 2], reduction="mean")
    assert gradcheck(loss, (logits,))


def test_rows_past_the_input_length_get_no_gradient_and_zero_infinity_zeroes_infinite_losses():
    log_probs, targets = _inputs(5, 5, 2, 3, 3)
    ours = _mt(log_probs, True)
    out = MF.ctc_loss(ours, _mt(targets), [3, 1], [2, 3], reduction="none", zero_infinity=True)
    assert out[1].item() == 0 and np.isfinite(out[0].item())
    out.sum().backward()
    grad = ours.grad.numpy()
    assert np.all(grad[3:, 0] == 0) and np.all(grad[:, 1] == 0) and np.any(grad[:3, 0] != 0)


def test_empty_target_and_empty_input_give_a_zero_loss():
    log_probs, targets = _inputs(6, 4, 2, 3, 1)
    out = MF.ctc_loss(_mt(log_probs), _mt(targets), [0, 4], [0, 0], reduction="none")
    assert out[0].item() == 0
    np.testing.assert_allclose(out[1].item(), -log_probs[:, 1, 0].sum(), rtol=1e-12)


def test_mean_divides_by_the_target_lengths_before_averaging():
    log_probs, targets = _inputs(7, 6, 3, 4, 3)
    each = MF.ctc_loss(_mt(log_probs), _mt(targets), [6, 6, 4], [3, 1, 0], reduction="none").numpy()
    mean = MF.ctc_loss(_mt(log_probs), _mt(targets), (6, 6, 4), (3, 1, 0)).item()
    np.testing.assert_allclose(mean, np.mean(each / np.array([3, 1, 1])), rtol=1e-12)


def test_module_is_the_functional_with_its_settings():
    log_probs, targets = _inputs(8, 5, 2, 4, 2)
    module = minitorch.nn.CTCLoss(blank=3, reduction="sum", zero_infinity=True)
    assert repr(module) == "CTCLoss()" and module.blank == 3 and module.zero_infinity
    got = module(_mt(log_probs), _mt(targets % 3), [5, 4], [2, 2]).item()
    want = MF.ctc_loss(_mt(log_probs), _mt(targets % 3), [5, 4], [2, 2], 3, "sum", True).item()
    assert got == want


# ----- errors -------------------------------------------------------------------------------------

_LP = _log_softmax(np.random.default_rng(9).standard_normal((6, 2, 4)))
_TG = np.array([[1, 2, 3], [1, 1, 1]])
_AT = " (while checking arguments for ctc_loss_allocate_outputs)"
_TARGETS = " for argument #2 'targets'" + _AT
_ERRORS = [
    (lambda m: (m(_LP), m(_TG), [6, 5], [3, 2], 4), RuntimeError, "blank must be in label range"),
    (lambda m: (m(_LP), m(_TG), [6, 5], [3, 2], -1), RuntimeError, "blank must be in label range"),
    (lambda m: (m(_LP), m(_TG), [7, 5], [3, 2]), RuntimeError,
     "Expected input_lengths to have value at most 6, but got value 7" + _AT),
    (lambda m: (m(_LP), m(_TG), [-1, 5], [3, 2]), RuntimeError,
     "Expected input_lengths to have value at least 0, but got value -1" + _AT),
    (lambda m: (m(_LP), m(_TG), [6, 5], [-1, 2]), RuntimeError,
     "Expected target_lengths to have value at least 0, but got value -1" + _AT),
    (lambda m: (m(_LP), m(_TG), [6, 5], [4, 2]), RuntimeError,
     "Expected tensor to have size at least 4 at dimension 1, but got size 3" + _TARGETS),
    (lambda m: (m(_LP), m(_TG.reshape(-1)), [6, 5], [3, 2]), RuntimeError,
     "Expected tensor to have size 5 at dimension 0, but got size 6" + _TARGETS),
    (lambda m: (m(_LP), m(_TG[:1]), [6, 5], [3, 2]), RuntimeError,
     "Expected tensor to have size 2 at dimension 0, but got size 1" + _TARGETS),
    (lambda m: (m(_LP), m(_TG[:, None]), [6, 5], [3, 2]), RuntimeError,
     "Expected 1 to 2 dimensions, but got 3-dimensional tensor" + _TARGETS),
    (lambda m: (m(_LP[0, 0]), m(_TG), [6, 5], [3, 2]), RuntimeError,
     "Expected 3-dimensional tensor, but got 2-dimensional tensor for argument #1 'log_probs'" + _AT),
    (lambda m: (m(_LP), m(_TG), [6], [3, 2]), RuntimeError, "input_lengths must be of size batch_size"),
    (lambda m: (m(_LP), m(_TG), [6, 5], [3]), RuntimeError, "target_lengths must be of size batch_size"),
    (lambda m: (m(_LP), m(_TG), m(np.array([6.0, 5.0])), m(np.array([3, 2]))), RuntimeError,
     "input_lengths must be integral"),
    (lambda m: (m(_LP), m(_TG), m(np.array([6, 5])), m(np.array([3.0, 2.0]))), RuntimeError,
     "target_lengths must be integral"),
    (lambda m: (m(_LP.astype(np.int64)), m(_TG), [6, 5], [3, 2]), NotImplementedError,
     "\"ctc_loss_cpu\" not implemented for 'Long'"),
    (lambda m: (m(_LP.astype(np.float16)), m(_TG), [6, 5], [3, 2]), NotImplementedError,
     "\"ctc_loss_cpu\" not implemented for 'Half'"),
    (lambda m: (m(np.zeros((0, 2, 3))), m(_TG), [0, 0], [0, 0]), RuntimeError, "log_probs tensor must not be empty"),
    (lambda m: (m(_LP), m(_TG), [6, 5.5], [3, 2]), TypeError,
     "ctc_loss(): argument 'input_lengths' failed to unpack the object at pos 2 with error "
     "\"type must be tuple of ints,but got float\""),
]


@pytest.mark.parametrize("case", range(len(_ERRORS)))
def test_bad_arguments_raise_torchs_error(case):
    make, error, message = _ERRORS[case]
    with pytest.raises(error) as raised:
        MF.ctc_loss(*make(minitorch.tensor))
    assert str(raised.value) == message
    if torch is not None:
        with pytest.raises(error) as raised:
            torch.nn.functional.ctc_loss(*make(torch.tensor))
        assert str(raised.value) == message


@pytest.mark.parametrize("lengths", [(minitorch.tensor([6, 5]), [3, 2]), ([6, 5], minitorch.tensor([3, 2])), (6, 3)])
def test_mixed_or_scalar_lengths_raise_torchs_type_error(lengths):
    with pytest.raises(TypeError) as raised:
        MF.ctc_loss(_mt(_LP), _mt(_TG), *lengths)
    assert str(raised.value).startswith("ctc_loss() received an invalid combination of arguments")
    if torch is not None:
        as_torch = [torch.tensor(v.numpy()) if isinstance(v, minitorch.Tensor) else v for v in lengths]
        with pytest.raises(TypeError) as expected:
            torch.nn.functional.ctc_loss(torch.tensor(_LP), torch.tensor(_TG), *as_torch)
        assert str(raised.value) == str(expected.value)


def test_bad_reduction_and_out_of_range_labels():
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        MF.ctc_loss(_mt(_LP), _mt(_TG), [6, 5], [3, 2], reduction="foo")
    # PyTorch reads past the row for such a label; minitorch refuses it
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        MF.ctc_loss(_mt(_LP), _mt(_TG + 1), [6, 5], [3, 2])
