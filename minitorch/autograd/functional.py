"""minitorch.autograd.functional: derivatives of whole functions, as torch.autograd.functional.

``vjp`` and ``vhp`` are one backward pass; ``jvp`` and ``hvp`` use the double-backward trick
(the gradient of a gradient with respect to a dummy ``grad_outputs``), as PyTorch does;
``jacobian`` is one backward per output element and ``hessian`` the jacobian of the jacobian.
``func`` takes the inputs as separate arguments; a Tensor given where a tuple is allowed comes
back as a Tensor, a tuple as a tuple.
"""
from __future__ import annotations

from ..tensor import Tensor
from .engine import grad as _grad
from .grad_mode import enable_grad


def _as_tuple(x, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple "
                            f"of Tensors but {where} has type {type(item)}.")
    return is_tuple, items


def _untuple(res, is_tuple):
    """res shaped back to what the user passed: one flag, or (outer, inner) for nested tuples."""
    if isinstance(is_tuple, tuple):
        if not is_tuple[1]:
            res = tuple(r[0] for r in res)
        if not is_tuple[0]:
            res = res[0]
        return res
    return res if is_tuple else res[0]


def _track(inputs: tuple, create_graph: bool) -> tuple:
    """Fresh leaves to differentiate with respect to (views of the inputs when the result must
    itself stay differentiable with respect to them)."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
                 for t in inputs)


def _release(values: tuple, create_graph: bool) -> tuple:
    return values if create_graph else tuple(None if v is None else v.detach() for v in values)


def _check_v(v, outputs: tuple, fn_name: str, about: str) -> tuple:
    _, v = _as_tuple(v, "v", fn_name)
    if len(v) != len(outputs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(outputs)} but got {len(v)}.")
    for vi, ref in zip(v, outputs):
        if vi.shape != ref.shape:
            raise RuntimeError(f"Entry {0 if len(v) == 1 else v.index(vi)} in v has invalid size: "
                               f"should be {ref.shape} but got {vi.shape}.")
    return v


def _grads(outputs: tuple, inputs: tuple, grad_outputs=None, create_graph=False, retain_graph=None) -> tuple:
    """autograd.grad over the outputs that need a gradient; None for inputs nothing reaches."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad(tuple(o for o, _ in pairs), inputs, tuple(g for _, g in pairs),
                 retain_graph=True if retain_graph is None else retain_graph,
                 create_graph=create_graph, allow_unused=True)


def _zeros_for_none(grads: tuple, refs: tuple, strict: bool, stage: str) -> tuple:
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {'output' if stage == 'back' else 'input'} of the user-"
                                   f"provided function is independent of input {i}. This is not "
                                   "allowed in strict mode.")
            g = ref.new_zeros(ref.shape)
        out.append(g)
    return tuple(out)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product at inputs."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _track(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        if v is not None:
            v = _check_v(v, outputs, "vjp", "outputs")
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        grads = _zeros_for_none(_grads(outputs, inputs, v, create_graph), inputs, strict, "back")
    return (_untuple(_release(outputs, create_graph), outputs_tuple),
            _untuple(_release(grads, create_graph), inputs_tuple))


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product at inputs (by double backward)."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _track(inputs, create_graph)
        if v is not None:
            v = _check_v(v, inputs, "jvp", "inputs")
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        dummies = tuple(o.new_zeros(o.shape).requires_grad_(True) for o in outputs)
        grad_inputs = _grads(outputs, inputs, dummies, create_graph=True)
        if strict and any(g is None for g in grad_inputs):
            _zeros_for_none(grad_inputs, inputs, True, "back")
        grads = _zeros_for_none(_grads(grad_inputs, dummies, v, create_graph), outputs, strict, "forward")
    return (_untuple(_release(outputs, create_graph), outputs_tuple),
            _untuple(_release(grads, create_graph), outputs_tuple))


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of func at inputs: shape output.shape + input.shape for each (output,
    input) pair, nested as the user's tuples are. One backward per output element (vectorize
    and strategy choose only how PyTorch computes the same values)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                         'function has more outputs than inputs, "forward-mode" tends to be more '
                         'performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian is only implemented for `vectorize=True`.")
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _track(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                           "jacobian")
        result = []
        for i, out in enumerate(outputs):
            flat = out.reshape(-1)
            rows = [[] for _ in inputs]
            for j in range(flat.numel()):
                seed = flat.new_zeros(flat.shape)
                seed[j] = 1
                grads = _grads((flat,), inputs, (seed,), create_graph)
                for k, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is "
                                               f"independent of input {k}. This is not allowed in "
                                               "strict mode.")
                        g = inp.new_zeros(inp.shape)
                    rows[k].append(g)
            per_input = []
            for k, inp in enumerate(inputs):
                if rows[k]:
                    per_input.append(_stack(rows[k]).reshape(tuple(out.shape) + tuple(inp.shape)))
                else:
                    per_input.append(inp.new_zeros(tuple(out.shape) + tuple(inp.shape)))
            result.append(tuple(_release(tuple(per_input), create_graph)))
    return _untuple(tuple(result), (outputs_tuple, inputs_tuple))


def _stack(rows: list) -> Tensor:
    """The rows (tensors of one shape) as one (len(rows), numel) tensor, differentiably (written
    row by row: the ops layer, where cat lives, sits above autograd)."""
    out = rows[0].new_zeros(len(rows), rows[0].numel())
    for i, r in enumerate(rows):
        out[i] = r.reshape(-1)
    return out


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a function returning one element: shape input.shape + input.shape per
    pair of inputs (a tuple of tuples for a tuple of inputs)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def single_output(*inp):
        out = func(*inp)
        is_tuple, t = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if is_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*inp):
        return jacobian(single_output, inp, create_graph=True, strict=strict)

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _untuple(res, (inputs_tuple, inputs_tuple))


def _single_element_output(func, inputs, fn_name: str):
    outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    if outputs_tuple or len(outputs) != 1:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")
    return outputs


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H): the vector-Hessian product of a one-element function."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _track(inputs, create_graph)
        if v is not None:
            v = _check_v(v, inputs, "vhp", "inputs")
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        outputs = _single_element_output(func, inputs, "vhp")
        jac = _grads(outputs, inputs, create_graph=True)
        if strict and any(g is None for g in jac):
            _zeros_for_none(jac, inputs, True, "back")
        grads = _zeros_for_none(_grads(jac, inputs, v, create_graph), inputs, strict, "double_back")
    return _release(outputs, create_graph)[0], _untuple(_release(grads, create_graph), inputs_tuple)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v): the Hessian-vector product of a one-element function (by double
    backward, as PyTorch: the same values as vhp, the Hessian being symmetric)."""
    with enable_grad():
        inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _track(inputs, create_graph)
        if v is not None:
            v = _check_v(v, inputs, "hvp", "inputs")
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        outputs = _single_element_output(func, inputs, "hvp")
        jac = _grads(outputs, inputs, create_graph=True)
        if strict and any(g is None for g in jac):
            _zeros_for_none(jac, inputs, True, "back")
        dummies = tuple(t.new_zeros(t.shape).requires_grad_(True) for t in inputs)
        double_back = _grads(jac, inputs, dummies, create_graph=True)
        grads = _zeros_for_none(_grads(double_back, dummies, v, create_graph), inputs, strict,
                                "double_back_trick")
    return _release(outputs, create_graph)[0], _untuple(_release(grads, create_graph), inputs_tuple)
