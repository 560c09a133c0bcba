"""Activation checkpointing: keep a block's inputs, not its activations, and run the block
again during backward to get them back.

``checkpoint(fn, *args, use_reentrant=False)`` runs fn and returns its outputs; the graph
holds one node per output tensor, which saves only fn's tensor inputs. Backward runs fn again
with grad enabled — with the random state of the forward restored, so dropout draws the same
masks — and backpropagates through that recomputation: the gradients are the ones the
un-checkpointed block gives.

The two variants, as in PyTorch:

- ``use_reentrant=True`` (still PyTorch's default, with a warning when not passed): fn runs
  without grad in the forward; the outputs need a gradient only when an input does; backward
  calls ``autograd.backward`` on the recomputation, which accumulates straight into the
  ``.grad`` of the parameters fn uses (so ``autograd.grad`` cannot see them).
- ``use_reentrant=False`` (recommended): fn runs with grad in the forward so that the leaves
  it reaches (its parameters) are known, and that graph is dropped at once; the node's inputs
  are fn's tensor inputs and those leaves, so outputs need a gradient exactly when they would
  without checkpointing, and ``autograd.grad`` works through it. Not supported: tensors that
  need a gradient and are not leaves, reaching fn other than as its direct arguments (closed
  over, or inside a list argument): pass them as arguments.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable

from .. import random as _random
from ..autograd import Function, backward as _backward, enable_grad, grad as _grad, is_grad_enabled, no_grad
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]


class CheckpointError(RuntimeError):
    """The recomputation differs from the forward (determinism_check="default")."""


def noop_context_fn():
    """The default context_fn: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


_MISSING_REENTRANT = (
    "the use_reentrant parameter should be passed explicitly. {when} use_reentrant=False is "
    "recommended, but if you need to preserve the current default behavior, you can pass "
    "use_reentrant=True. Refer to docs for more details on the differences between the two variants.")


# ----- the random state --------------------------------------------------------------------
def _rng_state(tensors: list) -> tuple:
    """The CPU generator's state, and the GPU's when an input lives on the GPU (as PyTorch
    restores the devices of the inputs)."""
    cuda_state = None
    if any(t.device.type == "cuda" for t in tensors):
        from .. import cuda
        cuda_state = cuda.get_rng_state()
    return _random.get_rng_state(), cuda_state


def _set_rng_state(state: tuple) -> None:
    cpu_state, cuda_state = state
    _random.set_rng_state(cpu_state)
    if cuda_state is not None:
        from .. import cuda
        cuda.set_rng_state(cuda_state)


@contextlib.contextmanager
def _forked_rng(state: tuple | None):
    """Run the body with the random state of the forward; restore the current one after."""
    if state is None:
        yield
        return
    now = _rng_state([]) if state[1] is None else _rng_state_with_cuda()
    _set_rng_state(state)
    try:
        yield
    finally:
        _set_rng_state(now)


def _rng_state_with_cuda() -> tuple:
    from .. import cuda
    return _random.get_rng_state(), cuda.get_rng_state()


# ----- what a node keeps ----------------------------------------------------------------------
class _Block:
    """fn and its arguments with the tensors taken out (the node saves those), the random state
    of the forward, and what the recomputation is checked against."""

    def __init__(self, function: Callable, args: tuple, kwargs: dict, rng, context_fn, check: bool) -> None:
        self.function = function
        self.slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.args = [None if isinstance(a, Tensor) else a for a in args]
        self.kwargs = kwargs
        self.rng = rng
        self.context_fn = context_fn
        self.check = check
        self.metadata: list = []
        self.output = None  # handed to the node's forward, then dropped

    def rerun(self, inputs: tuple) -> tuple[list, list]:
        """fn again on detached copies of inputs (requiring grad as they do), with grad on:
        (the copies, the outputs as a list)."""
        args = list(self.args)
        copies = []
        for slot, t in zip(self.slots, inputs):
            copy = t.detach()
            copy.requires_grad_(t.requires_grad)
            args[slot] = copy
            copies.append(copy)
        recompute_ctx = self.context_fn()[1] if self.context_fn is not None else contextlib.nullcontext()
        with _forked_rng(self.rng), enable_grad(), recompute_ctx:
            out = self.function(*args, **self.kwargs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if self.check:
            now = [(tuple(o.shape), o.dtype, o.device) for o in outs if isinstance(o, Tensor)]
            if now != self.metadata:
                raise CheckpointError(
                    "torch.utils.checkpoint: Recomputed values for the following tensors have different "
                    f"metadata than during the forward pass.\nforward: {self.metadata}\nrecomputed: {now}")
        return copies, outs


class CheckpointFunctionBackward(Function):
    """The node of one output of a use_reentrant=True checkpoint (PyTorch's node name)."""

    @staticmethod
    def forward(ctx, block: _Block, index: int, *inputs):
        ctx.block, ctx.index = block, index
        ctx.save_for_backward(*inputs)
        return block.output[index].detach()

    @staticmethod
    def backward(ctx, grad_output):
        copies, outs = ctx.block.rerun(ctx.saved_tensors)
        out = outs[ctx.index]
        if isinstance(out, Tensor) and out.requires_grad:
            _backward(out, grad_output)
        return (None, None, *(c.grad if c.requires_grad else None for c in copies))


class CheckpointBackward(Function):
    """The node of one output of a use_reentrant=False checkpoint: its inputs are fn's tensor
    inputs and the leaves fn reached (its parameters)."""

    @staticmethod
    def forward(ctx, block: _Block, index: int, n_inputs: int, *tensors):
        ctx.block, ctx.index, ctx.n_inputs = block, index, n_inputs
        ctx.save_for_backward(*tensors)
        return block.output[index].detach()

    @staticmethod
    def backward(ctx, grad_output):
        saved = ctx.saved_tensors
        inputs, leaves = saved[:ctx.n_inputs], saved[ctx.n_inputs:]
        copies, outs = ctx.block.rerun(inputs)
        out = outs[ctx.index]
        wanted = [c for c in copies if c.requires_grad] + list(leaves)
        if not wanted or not (isinstance(out, Tensor) and out.requires_grad):
            return (None, None, None) + (None,) * len(saved)
        found = iter(_grad(out, wanted, grad_output, allow_unused=True))
        input_grads = [next(found) if c.requires_grad else None for c in copies]
        return (None, None, None, *input_grads, *found)


def _leaves(outputs: list, inputs: set) -> list:
    """The leaf tensors needing a gradient that the graphs of outputs reach, in first-seen
    order, but for the (detached copies of the) inputs, whose ids are in inputs."""
    seen, found, stack = set(), [], []
    for o in outputs:
        if isinstance(o, Tensor) and o.grad_fn is not None:
            stack.append(o.grad_fn)
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:  # an AccumulateGrad
            if id(variable) not in inputs:
                found.append(variable)
            continue
        stack.extend(n for n, _ in reversed(node.next_functions))
    return found


def _pack(container, outputs: list):
    """fn's result (a tuple or list when container says so) with each tensor output replaced
    by its checkpointed one."""
    return outputs[0] if container is None else container(outputs)


# ----- the two variants ---------------------------------------------------------------------
def _reentrant(function, preserve: bool, args: tuple):
    tensors = [a for a in args if isinstance(a, Tensor)]
    if not any(t.requires_grad for t in tensors):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)
    rng = _rng_state(tensors) if preserve else None
    with no_grad():
        out = function(*args)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    if not (is_grad_enabled() and any(t.requires_grad for t in tensors)):
        return out
    block = _Block(function, args, {}, rng, None, False)
    block.output = outs
    result = [CheckpointFunctionBackward.apply(block, i, *tensors) if isinstance(o, Tensor) else o
              for i, o in enumerate(outs)]
    block.output = None
    return _pack(type(out) if isinstance(out, (tuple, list)) else None, result)


def _non_reentrant(function, preserve: bool, context_fn, check: bool, args: tuple, kwargs: dict):
    forward_ctx, _ = context_fn()
    if not is_grad_enabled():
        with forward_ctx:
            return function(*args, **kwargs)
    tensors = [a for a in args if isinstance(a, Tensor)]
    block = _Block(function, args, kwargs, _rng_state(tensors) if preserve else None, context_fn, check)
    # fn with grad on, on detached inputs: which outputs need a gradient, and through which leaves
    call = list(args)
    copies = []
    for slot, t in zip(block.slots, tensors):
        copy = t.detach()
        copy.requires_grad_(t.requires_grad)
        call[slot] = copy
        copies.append(copy)
    with forward_ctx:
        out = function(*call, **kwargs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    block.metadata = [(tuple(o.shape), o.dtype, o.device) for o in outs if isinstance(o, Tensor)]
    leaves = _leaves(outs, {id(c) for c in copies})
    outs = [o.detach() if isinstance(o, Tensor) and o.requires_grad else o for o in outs]
    needs = [isinstance(o, Tensor) and o.requires_grad
             for o in (out if isinstance(out, (tuple, list)) else [out])]
    container = type(out) if isinstance(out, (tuple, list)) else None
    del out, call, copies  # the forward's graph goes here: only the inputs stay
    block.output = outs
    result = [CheckpointBackward.apply(block, i, len(tensors), *tensors, *leaves) if need else o
              for i, (o, need) in enumerate(zip(outs, needs))]
    block.output = None
    return _pack(container, result)


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable = noop_context_fn, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, **kwargs: Any):
    """Run function(*args, **kwargs) keeping only its inputs for backward, which runs it
    again (see the module's docstring). preserve_rng_state=True (a keyword) restores the
    forward's random state for the recomputation."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: " + _MISSING_REENTRANT.format(
            when="Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception."),
            stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return _reentrant(function, preserve, args)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of {['default', 'none']}, but got {determinism_check}")
    return _non_reentrant(function, preserve, context_fn, determinism_check == "default", args, kwargs)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs: Any):
    """Split functions (an nn.Sequential or a list of modules/functions) into segments chunks
    and checkpoint each but the last, which runs as usual (its activations are needed at once)."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: " + _MISSING_REENTRANT.format(
            when="In version 2.9 we will raise an exception if use_reentrant is not passed."), stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start: int, end: int):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
