"""Failures inside the op tables' unwrapped (HOT) methods still reach the user in PyTorch's
words: Function.apply and the backward engine translate them on the way out (the methods
every op calls carry no wrapper of their own, which cost 0.3 µs a call)."""
import pytest

import minitorch as torch
from minitorch._backends import cpu
from minitorch._backends._table_errors import HOT

OOM = "DefaultCPUAllocator: can't allocate memory: you tried to allocate {} bytes"
BIG = 2 ** 58


def test_the_hot_methods_are_not_wrapped_and_the_others_are():
    table = type(cpu)
    assert all(not hasattr(getattr(table, name), "__wrapped__") for name in HOT if hasattr(table, name))
    assert hasattr(table.compare, "__wrapped__") and hasattr(table.zeros, "__wrapped__")


@pytest.mark.parametrize("make,nbytes", [
    (lambda: torch.ones(1).expand(BIG) + 1, 4 * BIG),                                     # binary
    (lambda: 2.0 - torch.ones(1).expand(BIG), 4 * BIG),                                   # rbinary
    (lambda: torch.ones(1).expand(BIG).exp(), 4 * BIG),                                   # unary
    (lambda: torch.ones(1, 1).expand(2 ** 29, 1) @ torch.ones(1, 1).expand(1, 2 ** 29), 4 * BIG),  # matmul
    (lambda: torch.ones(1).expand(BIG).clamp(0, 1), 4 * BIG),                             # clamp
    (lambda: torch.ones(1).expand(BIG).double(), 8 * BIG),                                # astype
    (lambda: torch.cat([torch.ones(1).expand(BIG // 2)] * 2), 4 * BIG),                   # concatenate
    (lambda: torch.where(torch.tensor(True), torch.ones(1).expand(BIG), 0.0), 4 * BIG),   # where
    (lambda: torch.ones(2, 1).expand(2, BIG // 2).mean(0), 2 * BIG),                      # reduce / mean
    (lambda: (torch.ones(1, requires_grad=True).expand(BIG) * 2).sum().backward(), 4 * BIG),  # in backward
])
def test_an_allocation_failure_in_an_op_is_torchs_runtime_error(make, nbytes):
    with pytest.raises(RuntimeError) as info:
        make()
    assert type(info.value) is RuntimeError
    assert OOM.format(nbytes) in str(info.value)


def test_an_ordinary_value_error_of_an_op_is_left_alone():
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        torch.nn.functional.hardtanh(torch.ones(2), 2.0, 1.0)


@pytest.mark.parametrize("mean", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_cpu_reduced_nll_gives_the_defaults_bits(mean, weighted, dtype):
    """The CPU table's own nll_loss_reduced / nll_backward_reduced against the interface's
    composed defaults: the same values and gradients, bit for bit (ignored rows included)."""
    import numpy as np
    from minitorch import dtypes
    from minitorch._backends.defaults_nn import NnDefaults
    rng = np.random.default_rng(3)
    logp = rng.standard_normal((7, 5)).astype(dtype)
    target = np.array([0, 4, 2, -100, 1, 3, 4], np.int64)
    weight = rng.random(5).astype(dtype) if weighted else None
    ours = cpu.nll_loss_reduced(logp, target, weight, -100, mean)
    default = NnDefaults.nll_loss_reduced(cpu, logp, target, weight, -100, mean)
    for a, b in zip(ours, default):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    grad = np.array(0.37, dtype)
    dt = dtypes.FROM_NP[np.dtype(dtype)]
    got = cpu.nll_backward_reduced(grad, ours[1], target, weight, -100, mean, logp.shape, dt)
    want = NnDefaults.nll_backward_reduced(cpu, grad, default[1], target, weight, -100, mean, logp.shape, dt)
    assert got.dtype == want.dtype and got.tobytes() == np.asarray(want).tobytes()
