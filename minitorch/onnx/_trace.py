"""The tracer: while the model runs once, every op it calls adds its ONNX nodes.

It hooks the op layer only for the duration of one export and puts everything back in a
``finally``. Outside an export nothing is wrapped and no op checks a flag.

- Every differentiable op goes through ``Function.apply``, which calls ``cls.forward``, looked
  up on the op's class at each call. The tracer sets each Function subclass's ``forward`` to
  a recording wrapper (hooking ``forward`` rather than ``apply`` also catches the operators,
  which hold ``AddBackward0.apply`` bound at import). The wrapper runs the real forward, then
  hands the op's class, its arguments and the raw result to the op's converter.
- The few ops that make no graph node (comparisons, logical ops, argmax, all/any) are
  wrapped where they are defined.
- In-place ops are sent through their recorded form (``check_inplace`` answers yes) so that
  each one is an out-of-place op followed by ``commit_inplace``, which the tracer follows:
  the written tensor's array now stands for the op's result.
- nn.RNN/LSTM/GRU are translated whole (ONNX has these layers: one node instead of the
  unrolled steps, and their sequence and batch stay dynamic); ops inside a translated module,
  or inside a forward being recorded, are not recorded again (``depth``).
"""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.function import Function, UserFunction
from ..tensor import Tensor
from ._graph import Value
from .errors import OnnxExporterWarning, UnsupportedOperatorError


def _subclasses(cls) -> list:
    out, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in out and not issubclass(sub, UserFunction):
                out.append(sub)
                todo.append(sub)
    return out


class Tracer:
    """Context manager: while open, the ops the model runs are converted into g."""

    def __init__(self, g, converters) -> None:
        self.g = g
        self.converters = converters
        self.depth = 0
        self._patches: list = []

    # ----- installing and removing the hooks -------------------------------------------------
    def _set(self, owner, attr: str, new) -> None:
        if isinstance(owner, dict):
            self._patches.append((owner, attr, attr in owner, owner.get(attr)))
            owner[attr] = new
            return
        own = vars(owner)
        self._patches.append((owner, attr, attr in own, own.get(attr)))
        setattr(owner, attr, new)

    def __enter__(self) -> "Tracer":
        try:
            self._install()
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._restore()

    def _restore(self) -> None:
        while self._patches:
            owner, attr, had, old = self._patches.pop()
            if isinstance(owner, dict):
                if had:
                    owner[attr] = old
                else:
                    owner.pop(attr, None)
            elif had:
                setattr(owner, attr, old)
            else:
                delattr(owner, attr)

    def _install(self) -> None:
        import minitorch
        from .. import nn
        from .._ops import compare, index, inplace, minmax, reduce
        subs = _subclasses(Function)
        originals = {sub: sub.forward for sub in subs}  # all read before any is replaced
        for sub in subs:
            self._set(sub, "forward", staticmethod(self._forward_hook(sub, originals[sub])))
        # ops without a graph node
        self._set(compare, "_compare", self._call_hook("compare", compare._compare))
        self._set(compare, "_logical", self._call_hook("bitwise", compare._logical))
        self._set(minmax, "_arg_extreme", self._call_hook("arg_extreme", minmax._arg_extreme))
        self._set(reduce, "_truth", self._call_hook("truth", reduce._truth))
        for name in ("logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf",
                     "isfinite", "__invert__"):
            key = "logical_not" if name == "__invert__" else name
            self._set(Tensor, name, self._call_hook(key, getattr(Tensor, name)))
            if hasattr(minitorch, name):
                self._set(minitorch, name, self._call_hook(key, getattr(minitorch, name)))
        # in-place ops: always the recorded form, then followed
        always = _always_record
        for module in (inplace, index):
            self._set(module, "check_inplace", always)
            self._set(module, "commit_inplace", self._commit_hook(module.commit_inplace))
        # layers translated whole
        for cls in (nn.RNN, nn.LSTM, nn.GRU):
            self._set(cls, "forward", self._module_hook(cls.forward))
        # a value read into Python is a constant of the graph: say so, as torch's tracer does
        for name, what in (("__bool__", "a Python boolean"), ("item", "a Python number"),
                           ("__int__", "a Python integer"), ("__float__", "a Python float"),
                           ("__index__", "a Python index"), ("tolist", "a Python list")):
            self._set(Tensor, name, self._python_value_hook(getattr(Tensor, name), what))

    # ----- the hooks -------------------------------------------------------------------------
    def _forward_hook(self, cls, forward):
        tracer = self
        has_ctx = cls.setup_context is None

        def traced_forward(*args):
            if tracer.depth:
                return forward(*args)
            tracer.depth += 1
            try:
                out = forward(*args)
            finally:
                tracer.depth -= 1
            if has_ctx:
                tracer.record(cls, args[1:], out, args[0])
            else:
                tracer.record(cls, args, out, None)
            return out
        return traced_forward

    def _call_hook(self, key: str, fn):
        tracer = self

        def traced_call(*args, **kwargs):
            if tracer.depth or kwargs.get("out") is not None:
                return fn(*args, **kwargs)
            tracer.depth += 1
            try:
                out = fn(*args, **kwargs)
            finally:
                tracer.depth -= 1
            if isinstance(out, Tensor):
                kwargs.pop("out", None)
                tracer.record(key, args + tuple(kwargs.values()), out._data, None, kwargs=kwargs)
            return out
        traced_call.__name__ = getattr(fn, "__name__", key)
        return traced_call

    def _commit_hook(self, commit):
        tracer = self

        def traced_commit(a, out):
            result = commit(a, out)
            if not tracer.depth:
                tracer.follow_inplace(a, out)
            return result
        return traced_commit

    def _module_hook(self, forward):
        tracer = self

        def traced_module_forward(module, *args, **kwargs):
            converter = tracer.converters.module_converter(module)
            if tracer.depth or converter is None or not converter.accepts(module, args, kwargs):
                return forward(module, *args, **kwargs)
            tracer.depth += 1
            try:
                result = forward(module, *args, **kwargs)
            finally:
                tracer.depth -= 1
            try:
                converter.convert(tracer.g, module, args, kwargs, result)
            except UnsupportedOperatorError as e:
                tracer.poison_all(result, str(e))
            return result
        return traced_module_forward

    def _python_value_hook(self, fn, what: str):
        tracer = self

        def read(t, *args, **kwargs):
            v = tracer.g.values.get(id(t._data))
            if not tracer.depth and v is not None and v.kind in ("node", "input") and v.error is None:
                warnings.warn(f"Converting a tensor to {what} might cause the trace to be incorrect. We can't "
                              "record the data flow of Python values, so this value will be treated as a "
                              "constant in the future. This means that the trace might not generalize to "
                              "other inputs!", OnnxExporterWarning, stacklevel=2)
            tracer.depth += 1  # (__bool__ reads item(): one warning)
            try:
                return fn(t, *args, **kwargs)
            finally:
                tracer.depth -= 1
        read.__name__ = fn.__name__
        return read

    # ----- recording -------------------------------------------------------------------------
    def record(self, key, args: tuple, out, ctx, kwargs=None) -> None:
        """Convert one op whose raw result is out."""
        g = self.g
        tensors = [a for a in _flat(args) if isinstance(a, Tensor)]
        values = [g.value(t) for t in tensors]
        # raw arrays among the arguments (an index's integer arrays) that the model computed
        values += [g.values[id(a)] for a in _flat(args) if not isinstance(a, Tensor) and id(a) in g.values]
        for v in values:
            if v.error is not None:
                g.bind(out, Value(g, "node", out.shape, out.dtype, error=v.error))
                return
        if all(v.is_const and not v.dynamic for v in values) and self._foldable(out):
            g.bind(out, Value(g, "const", out.shape, out.dtype, array=np.array(_numpy(out, tensors), copy=True)))
            return
        converter = self.converters.lookup(key)
        if converter is None:
            name = key if isinstance(key, str) else key.__name__
            g.bind(out, Value(g, "node", out.shape, out.dtype, error=str(UnsupportedOperatorError(
                name, g.opset, detail="this operation has no ONNX translation yet"))))
            return
        try:
            result = converter(g, *args, out=out, ctx=ctx, **(kwargs or {})) if kwargs else \
                converter(g, *args, out=out, ctx=ctx)
        except UnsupportedOperatorError as e:
            g.bind(out, Value(g, "node", out.shape, out.dtype, error=str(e)))
            return
        if isinstance(result, Value):
            g.bind(out, result)
            return
        name, dims = result if isinstance(result, tuple) else (result, None)
        if dims is None:
            dims = guess_dims(g, out.shape, values)
        g.bind(out, Value(g, "node", out.shape, out.dtype, dims=dims, name=name))

    def _foldable(self, out) -> bool:
        """Fold an op of constants into a constant, unless (with dynamic axes) its result has a
        size that may be one of them: then the op stays, and its sizes can follow the axis."""
        sizes = {size for size, source, _ in self.g.symbols.values() if source is not None and size > 1}
        return not sizes or not any(s in sizes for s in out.shape)

    def follow_inplace(self, a: Tensor, out: Tensor) -> None:
        """After a in-place op: a's array holds out's value; other views of it are stale."""
        g = self.g
        v = g.value(out)
        target = a._data
        if v.error is None and v.dtype != target.dtype:
            v = Value(g, "node", v.shape, target.dtype, dims=v.dims, name=g.cast(v.name, v.dtype, target.dtype))
        if isinstance(target, np.ndarray):
            for key, raw in list(g.keep.items()):
                if key != id(target) and isinstance(raw, np.ndarray) and _shares(raw, target):
                    old = g.values[key]
                    if old.error is None:
                        g.values[key] = Value(g, "node", old.shape, old.dtype, error=(
                            "a tensor was used after another tensor sharing its memory (a view of it, or "
                            "its base) was modified in place; the ONNX graph has no aliasing: use the "
                            "out-of-place op (x = x + y, F.relu(x) instead of x += y, F.relu(x, inplace=True))"))
        g.bind(target, v)

    def poison_all(self, result, message: str) -> None:
        for t in _flat(result):
            if isinstance(t, Tensor):
                g = self.g
                g.bind(t._data, Value(g, "node", t.shape, t._data.dtype, error=message))


def _always_record(a, *others) -> bool:
    """check_inplace during an export: every in-place op takes its recorded form."""
    return True


def _shares(x: np.ndarray, y: np.ndarray) -> bool:
    try:
        return bool(np.shares_memory(x, y, max_work=10000))
    except np.exceptions.TooHardError:
        return True


def _numpy(out, tensors) -> np.ndarray:
    if isinstance(out, np.ndarray):
        return out
    backend = tensors[0]._backend if tensors else None
    return backend.to_numpy(out) if backend is not None else np.asarray(out)


def _flat(obj):
    if isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _flat(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _flat(item)
    else:
        yield obj


def guess_dims(g, shape, values) -> tuple:
    """An op's output dims from its inputs' (broadcast rule): a dim of the output that lines up
    (from the right) with a dynamic input dim of the same size takes that dim."""
    if not any(v.dynamic for v in values):
        return tuple((int(s), ()) for s in shape)
    dims = []
    n = len(shape)
    for i, size in enumerate(shape):
        pick = (int(size), ())
        for v in values:
            j = i - n + len(v.shape)
            if 0 <= j < len(v.shape) and v.dims[j][1] and v.shape[j] == size:
                pick = v.dims[j]
                break
        dims.append(pick)
    return tuple(dims)
