"""``torch.func``: ``functional_call`` (run a module with other tensors in place of its parameters
and buffers), and the reverse-mode transforms ``grad``, ``grad_and_value``, ``vjp`` and ``jacrev``
over minitorch's autograd. The others (vmap, jacfwd, jvp, hessian, ...) raise NotImplementedError
with advice.

functional_call swaps the given tensors into the modules' ``_parameters`` / ``_buffers`` (or sets
them as plain attributes for other names) for the duration of the call and puts the originals
back afterwards, also when the call raises. Gradients flow to the given tensors, since the
forward reads them. ``nn.utils.stateless.functional_call`` is the same call, deprecated."""
from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from .tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "jacrev", "vjp"]

_MISSING = object()  # (the module had no attribute of that name)


def _is_module(obj) -> bool:
    # (nn sits above this layer: a module is what holds parameter and buffer registries)
    return isinstance(getattr(obj, "_parameters", None), dict) and isinstance(getattr(obj, "_buffers", None), dict)


def _submodule(module, path: str):
    for attr in filter(None, path.split(".")):
        parent = module
        try:
            module = getattr(parent, attr)
        except AttributeError as error:
            raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from error
        if not _is_module(module):
            raise TypeError(f"submodule `{path}`: {module} is not an instance of torch.nn.Module")
    return module


def _swap(root, name: str, tensor):
    """Put tensor at the dotted name (_MISSING: remove it); return what was there."""
    prefix, _, attr = name.rpartition(".")
    module = _submodule(root, prefix)
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    if attr == "":
        raise KeyError('tensor name can\'t be empty string ""')
    for registry in (module._parameters, module._buffers):
        if attr in registry:
            original = registry[attr]
            if tensor is _MISSING:
                del registry[attr]
            else:
                registry[attr] = tensor
            return original
    original = getattr(module, attr, _MISSING)
    if original is not _MISSING and original is not None and not isinstance(original, Tensor):
        raise TypeError(f"attribute `{attr}`: {original} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(module, attr, tensor)
    elif original is not _MISSING:
        delattr(module, attr)
    return original


def _named_tensors(module) -> dict:
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    return named


def _untie(module, given: dict) -> dict:
    """given plus, for each given name of a tensor the module holds under several names, its
    other names with the same value (a ValueError when the given values of tied names differ)."""
    names_of = {}
    for name, tensor in _named_tensors(module).items():
        names_of.setdefault(id(tensor), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    untied = dict(given)
    for name in given:
        if name not in tied:
            continue
        values = {id(given[other]) for other in tied[name] if other in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied[name])}, "
                             "which are tied. Consider using tie_weights=False")
        for other in tied[name]:
            untied[other] = given[name]
    return untied


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers: dict, tie_weights: bool = False,
                          strict: bool = False):
    """Within the block, module reads parameters_and_buffers' tensors under their names."""
    tensors = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = set(_named_tensors(module))
        missing, unexpected = sorted(valid - set(tensors)), sorted(set(tensors) - valid)
        messages = []
        if unexpected:
            messages.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            messages.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if messages:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(messages))
    originals = {}
    try:
        for name, tensor in tensors.items():
            originals[name] = _swap(module, name, tensor)
        yield
    finally:
        for name, original in originals.items():
            now = _swap(module, name, original)
            # (what the module left there, e.g. after assigning a new buffer in its forward)
            if name in parameters_and_buffers:
                parameters_and_buffers[name] = now


def _functional_call(module, parameters_and_buffers: dict, args: Any = None, kwargs: dict | None = None, *,
                     tie_weights: bool = True, strict: bool = False):
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameter_and_buffer_dicts, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False):
    """module(*args, **kwargs) with the tensors of parameter_and_buffer_dicts ({dotted name: tensor},
    or a list/tuple of such dicts with distinct keys) in place of the module's own of those names;
    args that is not a tuple is the single argument. tie_weights: a tensor the module holds under
    several names is replaced under all of them. strict: the names must be exactly the module's."""
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for key in d:
                counts[key] = counts.get(key, 0) + 1
        repeated = [key for key, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, "
                         f"but got {type(parameter_and_buffer_dicts)}")
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)


# ----- grad, grad_and_value, vjp, jacrev over minitorch's autograd ------------------------------
# Each argument tensor is replaced by a fresh leaf (or, when it already requires grad, by a view
# of it, so an outer transform can differentiate through this one). The gradient graph is kept
# only where an argument required grad (nested transforms); tensors the function captures from
# outside are constants to these transforms.
def _flatten(tree):
    """(the tensors of a nested tuple/list/dict, a function rebuilding that structure from a list)."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(item) for item in tree]
        sizes = [len(leaves) for leaves, _ in parts]

        def rebuild(values):
            out, start = [], 0
            for (_, build), n in zip(parts, sizes):
                out.append(build(values[start:start + n]))
                start += n
            return type(tree)(out)
        return [leaf for leaves, _ in parts for leaf in leaves], rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, build = _flatten([tree[k] for k in keys])
        return leaves, lambda values: dict(zip(keys, build(values)))
    return [tree], lambda values: values[0]


def _track(tree):
    """(tree with each tensor replaced by one that requires grad, its leaves, whether any of the
    given tensors required grad already)."""
    leaves, rebuild = _flatten(tree)
    tracked, outer = [], False
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")
        if not leaf.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        outer = outer or leaf.requires_grad
        tracked.append(leaf.view_as(leaf) if leaf.requires_grad else leaf.detach().requires_grad_())
    return rebuild(tracked), tracked, outer


def _argnums(argnums, n_args: int):
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple)) or (
            isinstance(argnums, tuple) and not all(isinstance(a, int) and not isinstance(a, bool) for a in argnums)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for a in (argnums if isinstance(argnums, tuple) else (argnums,)):
        if not -n_args <= a < n_args:
            raise RuntimeError(f"Got argnum={a}, but only {n_args} positional inputs")
    return argnums


def _gradients(outputs, leaves, grad_outputs, create_graph: bool):
    from .autograd import grad as autograd_grad
    grads = autograd_grad(outputs, leaves, grad_outputs, retain_graph=True, create_graph=create_graph,
                          allow_unused=True)
    return [g if g is not None else leaf.detach().new_zeros(leaf.shape) for g, leaf in zip(grads, leaves)]


def _result(value, keep: bool):
    leaves, rebuild = _flatten(value)
    return rebuild([v if keep or not isinstance(v, Tensor) else v.detach() for v in leaves])


def _split_aux(out, has_aux: bool, api: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}(f)(*args): output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return out


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (gradient of func's scalar output with respect to the arguments at
    argnums, func's output) (with has_aux: ((gradient, (output, aux))))."""
    def wrapper(*args, **kwargs):
        from .autograd.grad_mode import is_grad_enabled
        nums = _argnums(argnums, len(args))
        args = list(args)
        picked = nums if isinstance(nums, tuple) else (nums,)
        tracked_leaves, outer = [], False
        for a in picked:
            args[a], leaves, required = _track(args[a])
            tracked_leaves.append(leaves)
            outer = outer or required
        keep = outer and is_grad_enabled()
        output, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value")
        if not isinstance(output, Tensor):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
        flat = [leaf for leaves in tracked_leaves for leaf in leaves]
        grads = _gradients(output, flat, None, keep)
        per_arg, start = [], 0
        for a, leaves in zip(picked, tracked_leaves):
            per_arg.append(_flatten(args[a])[1](grads[start:start + len(leaves)]))
            start += len(leaves)
        g = tuple(per_arg) if isinstance(nums, tuple) else per_arg[0]
        value = _result(output, keep)
        return (g, (value, _result(aux, keep))) if has_aux else (g, value)
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """A function returning the gradient of func's scalar output with respect to the arguments at
    argnums (an int or a tuple of ints; each argument a tensor or a tuple/list/dict of them);
    with has_aux, func returns (output, aux) and the function (gradient, aux)."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) is the tuple of the vector-Jacobian
    products with respect to each primal, cotangents shaped as func's output."""
    from .autograd.grad_mode import is_grad_enabled
    tracked, outer = [], False
    inputs = []
    for primal in primals:
        new, leaves, required = _track(primal)
        inputs.append(new)
        tracked.append(leaves)
        outer = outer or required
    keep = outer and is_grad_enabled()
    output, aux = _split_aux(func(*inputs), has_aux, "vjp")
    out_leaves, _ = _flatten(output)

    def vjp_fn(cotangents, *, retain_graph: bool = True, create_graph=None):
        cot_leaves, _ = _flatten(cotangents)
        flat = [leaf for leaves in tracked for leaf in leaves]
        grads = _gradients(out_leaves, flat, cot_leaves, keep if create_graph is None else create_graph)
        result, start = [], 0
        for new, leaves in zip(inputs, tracked):
            result.append(_flatten(new)[1](grads[start:start + len(leaves)]))
            start += len(leaves)
        return tuple(result)
    value = _result(output, keep)
    return (value, vjp_fn, _result(aux, keep)) if has_aux else (value, vjp_fn)


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy: bool = False):
    """A function returning the Jacobian of func's tensor output with respect to the argument at
    argnums (a tuple of Jacobians for a tuple of argnums), of shape output.shape + argument.shape,
    one backward pass per output element."""
    def wrapper(*args, **kwargs):
        from .autograd.grad_mode import is_grad_enabled
        nums = _argnums(argnums, len(args))
        args = list(args)
        picked = nums if isinstance(nums, tuple) else (nums,)
        for a in picked:
            if not isinstance(args[a], Tensor):
                raise ValueError(f"Thing passed to transform API must be Tensor, got {type(args[a])}")
        outer = any(args[a].requires_grad for a in picked)
        leaves = []
        for a in picked:
            args[a], (leaf,), _ = _track(args[a])
            leaves.append(leaf)
        keep = outer and is_grad_enabled()
        output, aux = _split_aux(func(*args, **kwargs), has_aux, "jacrev")
        if not isinstance(output, Tensor):
            raise RuntimeError(f"jacrev(f)(*args): Expected f(*args) to return a Tensor, got {type(output)}")
        from . import stack
        flat = output.reshape(-1)
        rows = [_gradients(flat[k], leaves, None, keep) for k in range(flat.numel())]
        jacobians = []
        for i, leaf in enumerate(leaves):
            if rows:
                jac = stack([row[i] for row in rows])
            else:
                jac = leaf.detach().new_zeros((0,) + tuple(leaf.shape))
            jacobians.append(_result(jac.reshape(tuple(output.shape) + tuple(leaf.shape)), keep))
        jac = tuple(jacobians) if isinstance(nums, tuple) else jacobians[0]
        return (jac, _result(aux, keep)) if has_aux else jac
    return wrapper


def __getattr__(name: str):
    from ._unsupported import missing
    raise missing("func", name, "module 'minitorch.func'")
