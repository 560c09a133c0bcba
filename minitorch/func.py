"""``torch.func``: ``functional_call`` (run a module with other tensors in place of its parameters
and buffers). The transforms (grad, vmap, jacrev, ...) raise NotImplementedError with advice.

functional_call swaps the given tensors into the modules' ``_parameters`` / ``_buffers`` (or sets
them as plain attributes for other names) for the duration of the call and puts the originals
back afterwards, also when the call raises. Gradients flow to the given tensors, since the
forward reads them. ``nn.utils.stateless.functional_call`` is the same call, deprecated."""
from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from .tensor import Tensor

__all__ = ["functional_call"]

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


def __getattr__(name: str):
    from ._unsupported import missing
    raise missing("func", name, "module 'minitorch.func'")
