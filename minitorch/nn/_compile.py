"""minitorch.compile: PyTorch's ``torch.compile`` for a framework whose kernels are compiled
already (numba), so compiling changes no number and no speed.

What stays is what a script can observe: ``compile(module)`` returns an ``OptimizedModule``
wrapping it (its ``_orig_mod``; attribute reads and writes pass through; its state_dict keys
carry the ``_orig_mod.`` prefix, so checkpoints match PyTorch's); ``compile(fn)`` returns a
wrapper of fn; ``@compile`` and ``@compile(mode=...)`` decorate; and the arguments are checked
as PyTorch checks them (mode and options together, an unknown mode or backend).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from .modules.module import Module

__all__ = ["compile", "OptimizedModule"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
# The backends torch._dynamo registers (by name): compile() accepts them and runs the model as is.
_BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_default_partitioner", "aot_ts",
             "cudagraphs", "eager", "inductor", "openxla", "openxla_eval", "pre_dispatch_eager", "ts", "tvm")


class OptimizedModule(Module):
    """What ``compile(module)`` returns: runs the original module, registered as ``_orig_mod``;
    reads and writes of other attributes go to it, as in PyTorch."""

    _opt_mod_attributes = {"_orig_mod", "dynamo_ctx", "_torchdynamo_orig_callable", "forward", "_forward",
                           "__dict__", "_super_module_initialized"}

    def __init__(self, mod: Module, dynamo_ctx: Any = None) -> None:
        object.__setattr__(self, "_orig_mod", mod)  # first: attribute access goes through it
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()
        self._super_module_initialized = True
        self._orig_mod = mod  # now registered as the child module "_orig_mod"
        self.dynamo_ctx = dynamo_ctx

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)

    def __len__(self) -> int:
        mod = self._orig_mod
        if hasattr(type(mod), "__len__"):
            return len(mod)
        raise TypeError(f"{type(mod).__name__} does not support len()")

    @property
    def training(self) -> bool:
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        # Module.__init__ sets the default; afterwards the original module's flag is the one
        if self.__dict__.get("_super_module_initialized"):
            self._orig_mod.training = value

    def __getattr__(self, name: str) -> Any:
        if name == "_orig_mod":
            modules = self.__dict__.get("_modules") or {}
            if "_orig_mod" in modules:
                return modules["_orig_mod"]
            raise AttributeError("'OptimizedModule' object has no attribute '_orig_mod'")
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__setattr__(name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__delattr__(name)
        return delattr(self._orig_mod, name)

    def __reduce__(self):
        return (self.__class__, (self._orig_mod, self.dynamo_ctx))

    def __dir__(self) -> list[str]:
        own = self._orig_mod.__dir__()
        return own + [a for a in super().__dir__() if a not in own]


def _check(backend, mode, options) -> None:
    """PyTorch's argument checks, in its order."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if isinstance(backend, str):
        if backend not in _BACKENDS:
            raise RuntimeError(f"Invalid backend: '{backend}', see `torch.compiler.list_backends()` "
                               "for available backends.")
    elif not callable(backend):
        raise RuntimeError(f"Invalid backend: {backend!r}, see `torch.compiler.list_backends()` "
                           "for available backends.")
    if backend == "inductor" and mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")


def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,  # noqa: A001
            backend: str | Callable = "inductor", mode: str | None = None, options: dict | None = None,
            name: str | None = None, disable: bool = False, recompile_limit: int | None = None,
            isolate_recompiles: bool = False, shapes_spec: Any = None):
    """``torch.compile``: model (a Module or a function) back, ready to call, computing exactly
    what it computed before (minitorch's kernels are numba-compiled already). A Module comes
    back wrapped in an OptimizedModule, a function in a wrapper; with no model, a decorator."""
    if backend is None:
        backend = "inductor"
    if model is None:
        def decorate(model: Callable) -> Callable:
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                           options=options, name=name, disable=disable, recompile_limit=recompile_limit,
                           isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
        return decorate
    _check(backend, mode, options)
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")

    @functools.wraps(model)
    def compiled(*args: Any, **kwargs: Any) -> Any:
        return model(*args, **kwargs)
    compiled._torchdynamo_orig_callable = model
    return compiled
