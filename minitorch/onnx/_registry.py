"""Which converter translates which op.

A converter is ``fn(g, *args, out, ctx)``: the op's arguments exactly as its Function's
forward received them (Tensors, numbers, shapes), the raw result, and the node (ctx) for
ops that keep state on it. It adds nodes to ``g`` and returns the output's graph name, or
``(name, dims)`` with the output's symbolic sizes (see ``_graph``), or a ``Value`` (an op
that passes a value through). It raises ``UnsupportedOperatorError`` for a form it cannot
translate: the error is raised by ``export`` only if the model's outputs depend on it.

Ops are registered by their Function class (found along the MRO, so a family such as the
basic-indexing views shares one converter) or, for the ops that make no graph node, by a
name. A new op (Conv1d's, ConvTranspose2d's Function) needs one ``@converts`` function.
Whole layers are registered in ``MODULES``: an object with ``accepts(module, args, kwargs)``
and ``convert(g, module, args, kwargs, result)``.
"""
from __future__ import annotations

CONVERTERS: dict = {}
MODULES: dict = {}


def converts(*keys):
    """Register the decorated function as the converter of these Function classes or names."""
    def register(fn):
        for key in keys:
            CONVERTERS[key] = fn
        return fn
    return register


class Registry:
    """The lookups the tracer does (the converter modules are imported on first use)."""

    def __init__(self) -> None:
        from . import (_convert_elementwise, _convert_index, _convert_modules, _convert_nn,  # noqa: F401
                       _convert_reduce, _convert_shape)

    @staticmethod
    def lookup(key):
        if isinstance(key, str):
            return CONVERTERS.get(key)
        for cls in key.__mro__:
            if cls in CONVERTERS:
                return CONVERTERS[cls]
        return None

    @staticmethod
    def module_converter(module):
        for cls in type(module).__mro__:
            if cls in MODULES:
                return MODULES[cls]
        return None
