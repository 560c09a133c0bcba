"""Op declarations: one function per op, bound in every public form the declaration names.

An op is written once, as a function whose first argument is the tensor it works on,
with PyTorch's signature and a docstring::

    @op(inplace=True, out=True)
    def exp(input: Tensor) -> Tensor:
        \"\"\"e ** input elementwise.\"\"\"
        return ExpBackward0.apply(input)

``@op`` makes it the Tensor method (``x.exp()``: the function itself, so a method call
costs nothing extra), ``minitorch.exp`` (the same function behind a check that ``input``
is a Tensor, and here with ``out=``), the in-place method ``x.exp_()`` (computed out of
place, then written into ``x`` by the in-place machinery, which also rewrites the graph)
and, when asked, ``nn.functional.exp``. ``help()`` shows each form's real signature and
docstring. Functions of the ``minitorch`` and ``nn.functional`` namespaces land in
``FUNCTIONS`` and ``FUNCTIONAL``, which those modules export.
"""
from __future__ import annotations

import functools
import inspect
import warnings

from . import dtypes
from ._grad_enabled import _enabled as _grad_enabled
from .tensor import Tensor

# minitorch.<name> and nn.functional.<name>, filled as the op modules are imported.
FUNCTIONS: dict = {}
FUNCTIONAL: dict = {}


def op(fn=None, *, name: str | None = None, method=True, function=True, inplace=False,
       functional: bool = False, out: bool = False, aliases: tuple = (), checked: bool = True):
    """Declare fn as an op (used as ``@op`` or ``@op(...)``).

    method: bind as the Tensor method (a string binds another function as the method, for
    ops whose method and function signatures differ, e.g. ``where``). function: export as
    ``minitorch.<name>``; checked: the function form first checks that its first argument
    is a Tensor. inplace: True adds ``<name>_`` computed out of place, a function is the
    in-place method itself. out: the function form takes ``out=``. functional: also
    ``nn.functional.<name>``. aliases: more names for all of these (``subtract`` for ``sub``).
    """
    def declare(fn):
        names = (name or fn.__name__,) + tuple(aliases)
        if fn.__name__.startswith("_") and not names[0].startswith("_"):
            fn.__name__ = fn.__qualname__ = names[0]  # a helper declared under its public name
        public = _function_form(fn, names[0], checked, out) if function or functional else None
        for n in names:
            if method is True:
                setattr(Tensor, n, fn)
            elif callable(method):
                setattr(Tensor, n, method)
            if function:
                FUNCTIONS[n] = public
            if functional:
                FUNCTIONAL[n] = public
            if inplace is True:
                setattr(Tensor, n + "_", _inplace_form(fn, n + "_"))
            elif callable(inplace):
                setattr(Tensor, n + "_", inplace)
        return fn
    return declare(fn) if fn is not None else declare


def method(fn=None, *, name: str | None = None, aliases: tuple = ()):
    """Declare a Tensor method that is not an op of the minitorch namespace (``size``, ``backward``)."""
    return op(fn, name=name, function=False, aliases=aliases)


def tensor_property(fn):
    """Declare a read-only Tensor property (``T``, ``mT``)."""
    setattr(Tensor, fn.__name__, property(fn, doc=fn.__doc__))
    return fn


def function(fn=None, *, name: str | None = None, functional: bool = False, out: bool = False,
             aliases: tuple = ()):
    """Declare a ``minitorch.<name>`` function with no Tensor method (``cat``, ``stack``)."""
    return op(fn, name=name, method=False, functional=functional, out=out, aliases=aliases, checked=False)


def functional(fn=None, *, name: str | None = None):
    """Declare an ``nn.functional.<name>`` function only (``F.linear``, the losses)."""
    return op(fn, name=name, method=False, function=False, functional=True, checked=False)


# ----- the generated forms ----------------------------------------------------------------
def _function_form(fn, name: str, checked: bool, out: bool):
    """minitorch.<name>: fn behind the check of its first argument, optionally with out=."""
    arg = fn.__code__.co_varnames[0] if fn.__code__.co_argcount else "input"
    if not checked and not out:
        return fn
    if not out:
        def form(input, *args, **kwargs):
            if not isinstance(input, Tensor):
                raise _not_a_tensor(name, arg, input)
            return fn(input, *args, **kwargs)
    else:
        def form(input, *args, out=None, **kwargs):
            if checked and not isinstance(input, Tensor):
                raise _not_a_tensor(name, arg, input)
            if out is None:
                return fn(input, *args, **kwargs)
            return _into_out(name, out, fn, (input,) + args, kwargs)
    functools.update_wrapper(form, fn)
    if out:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        params.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
        form.__signature__ = sig.replace(parameters=params)
        del form.__wrapped__  # the signature above, not fn's, is the form's
    return form


def _not_a_tensor(name: str, arg: str, value) -> TypeError:
    return TypeError(f"{name}(): argument '{arg}' (position 1) must be Tensor, not {type(value).__name__}")


def _inplace_form(fn, name: str):
    """<name>_: fn computed out of place and written into the tensor (Tensor._inplace)."""
    def form(self, *args, **kwargs):
        return self._inplace(fn, *args, **kwargs)
    form.__name__ = form.__qualname__ = name
    form.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return form


def _into_out(name: str, out, fn, args: tuple, kwargs: dict):
    """fn(*args, **kwargs) written into out (resized to the result's shape), as PyTorch's out=."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    result = fn(*args, **kwargs)
    # grad mode is on and an argument (out itself counts) requires grad
    if result._requires_grad or (out._requires_grad and _grad_enabled[0]):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if result._backend is not out._backend:
        raise RuntimeError(f"Expected out tensor to have device {result.device}, but got {out.device} instead")
    if not dtypes.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {result.dtype.legacy_name} can't be cast to the desired output type "
                           f"{out.dtype.legacy_name}")
    if out.shape != result.shape:
        if out.numel() != 0:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                f"which does not match the required output shape {list(result.shape)}. This behavior is "
                "deprecated, and in a future PyTorch release outputs will not be resized unless they have "
                "zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                "elements with t.resize_(0).", UserWarning, stacklevel=3)
        out._data = out._backend.empty(result._data.shape, out.dtype)
    return out.copy_(result)
