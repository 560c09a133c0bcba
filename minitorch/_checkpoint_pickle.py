"""Checkpoints of arbitrary objects (whole modules, optimizers): the pickle part, and
PyTorch 2.x's ``weights_only`` rules for reading it.

``save`` writes a checkpoint that holds only tensors, containers and scalars exactly as
before (no pickle at all in minitorch's format). Anything else -- an ``nn.Module``, an
optimizer, a dict holding one -- is pickled: in minitorch's format into
``objects.pkl`` next to the tensors' ``.npy`` records (each tensor a persistent id
``("tensor", i)``), in torch's format as torch.save does (``_torch_writer.py``).

Reading a pickle with ``weights_only=True`` (the default, as in PyTorch 2.6+) runs a
restricted unpickler: only allowlisted globals -- tensors and Parameters, OrderedDict,
Counter, set, complex, bytearray, bytes, dtypes, Size, device -- plus what the user
allowed with ``add_safe_globals`` / ``safe_globals``; objects are built (NEWOBJ, BUILD)
only from those classes. Anything else is refused with PyTorch's "Weights only load
failed" UnpicklingError, naming the first global it met. ``weights_only=False`` unpickles
with Python's pickle: it can run any code the file names -- use it only for files you
trust, as PyTorch says of ``torch.load``.
"""
from __future__ import annotations

import collections
import io
import pickle
from typing import Any, Callable

from ._checkpoint_zip import Refused
from ._torch_format import _OpcodeTable

_user_globals: dict[str, Any] = {}  # "module.qualname" -> the object add_safe_globals allowed

_FAILED = (
    "Weights only load failed. This file can still be loaded, to do so you have two options, "
    "\x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. \n"
    "\t(1) In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. minitorch.load does the same. Re-running `minitorch.load` "
    "with `weights_only` set to `False` will likely succeed, but it can result in arbitrary code "
    "execution. Do it only if you got the file from a trusted source.\n"
    "\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps in the "
    "following error message.\n"
    "\tWeightsUnpickler error: {detail}\n\n"
    "Check the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def weights_only_failure(detail: str) -> str:
    """PyTorch's message for a file weights_only=True refuses, around what refused it."""
    return _FAILED.format(detail=detail)


def unsupported_global(module: str, name: str) -> Refused:
    full = name if module == "builtins" else f"{module}.{name}"  # PyTorch names builtins bare
    return Refused(f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
                   f"`minitorch.serialization.add_safe_globals([{full}])` or the "
                   f"`minitorch.serialization.safe_globals([{full}])` context manager to allowlist this "
                   "global if you trust this class/function.")


# ----- the user's allowlist (torch.serialization's API) ----------------------------------------
def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes/functions in ``load(weights_only=True)``; an entry may be
    ``(obj, "module.name")`` to allow obj under a name it was saved as."""
    for entry in safe_globals:
        obj, name = entry if isinstance(entry, tuple) else (entry, None)
        if name is None:
            name = f"{obj.__module__}.{obj.__qualname__}"
        _user_globals[name] = entry


def get_safe_globals() -> list:
    """What add_safe_globals allowed, as it was given."""
    return list(_user_globals.values())


def clear_safe_globals() -> None:
    """Forget every global add_safe_globals allowed."""
    _user_globals.clear()


class safe_globals:  # noqa: N801 - torch's name
    """Context manager: allow these globals in ``load(weights_only=True)`` inside the block."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        self._saved = dict(_user_globals)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc) -> None:
        _user_globals.clear()
        _user_globals.update(self._saved)


def user_global(module: str, name: str) -> Any:
    """The object add_safe_globals allowed under module.name, or None."""
    entry = _user_globals.get(f"{module}.{name}")
    return entry[0] if isinstance(entry, tuple) else entry


def user_classes() -> set:
    return {e[0] if isinstance(e, tuple) else e for e in _user_globals.values() if isinstance(
        e[0] if isinstance(e, tuple) else e, type)}


# ----- minitorch's format: objects.pkl -----------------------------------------------------------
def dump(obj: Any, is_tensor: Callable[[Any], bool]) -> tuple[bytes, list]:
    """(obj pickled with each tensor a persistent id ("tensor", i), the tensors)."""
    tensors: list = []
    index: dict[int, int] = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, value: Any):
            if is_tensor(value):
                if id(value) not in index:  # (tensors holds it: its id can't be reused meanwhile)
                    index[id(value)] = len(tensors)
                    tensors.append(value)
                return ("tensor", index[id(value)])
            return None

    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue(), tensors


def load(data: bytes, tensors: list, weights_only: bool) -> Any:
    """The object in an objects.pkl, its tensors taken from ``tensors``."""
    kind = _WeightsOnly if weights_only else _Full
    return kind(io.BytesIO(data), tensors).load()


class _Full(pickle.Unpickler):
    """Python's unpickler (it runs whatever the file names) with the tensors as persistent ids."""

    def __init__(self, file, tensors: list) -> None:
        super().__init__(file)
        self._tensors = tensors

    def persistent_load(self, pid: Any) -> Any:
        if not (type(pid) is tuple and len(pid) == 2 and pid[0] == "tensor" and type(pid[1]) is int
                and 0 <= pid[1] < len(self._tensors)):
            raise pickle.UnpicklingError(f"corrupt minitorch checkpoint: unknown persistent id {pid!r:.80}")
        return self._tensors[pid[1]]


def _default_globals() -> dict:
    from . import dtypes
    from ._size import Size
    from .device import device
    from .nn.parameter import Parameter, _rebuild_parameter

    def rebuild_parameter(cls, data, requires_grad, state):
        if cls is not Parameter and cls not in user_classes():
            raise unsupported_global(cls.__module__, cls.__qualname__)
        return _rebuild_parameter(cls, data, requires_grad, state)

    def by_name(name):
        if type(name) is not str or name not in dtypes._NAMES:
            raise Refused(f"{name!r:.40} is not a dtype")
        return dtypes._NAMES[name]

    def encode(text, encoding="latin1"):
        if type(text) is not str or encoding not in ("latin1", "latin-1"):
            raise Refused(f"_codecs.encode with encoding {encoding!r:.20}")
        return text.encode("latin1")

    return {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "Counter"): collections.Counter,
        ("builtins", "set"): set, ("builtins", "complex"): complex, ("builtins", "bytearray"): bytearray,
        ("_codecs", "encode"): encode,
        ("minitorch.nn.parameter", "Parameter"): Parameter,
        ("minitorch.nn.parameter", "_rebuild_parameter"): rebuild_parameter,
        ("minitorch.dtypes", "_by_name"): by_name,
        ("minitorch._size", "Size"): Size,
        ("minitorch.device", "device"): device,
    }


class _WeightsOnly(pickle._Unpickler):
    """The pure-Python unpickler (its opcode table can be replaced) with PyTorch's weights-only rules."""

    _ALLOWED = {"PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "DUP", "GLOBAL", "STACK_GLOBAL",
                "BINPERSID", "REDUCE", "NONE", "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1",
                "LONG4", "BINFLOAT", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "BINBYTES",
                "SHORT_BINBYTES", "BINBYTES8", "EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
                "EMPTY_LIST", "APPEND", "APPENDS", "EMPTY_DICT", "SETITEM", "SETITEMS", "EMPTY_SET",
                "ADDITEMS", "FROZENSET", "BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET", "MEMOIZE",
                "NEWOBJ", "BUILD"}

    def __init__(self, file, tensors: list) -> None:
        super().__init__(file)
        self._tensors = tensors
        self._globals = _default_globals()
        self._classes = {v for v in self._globals.values() if isinstance(v, type)} | user_classes()

    def find_class(self, module: str, name: str) -> Any:
        module = "builtins" if module == "__builtin__" else module
        if (module, name) in self._globals:
            return self._globals[module, name]
        allowed = user_global(module, name)
        if allowed is None:
            raise unsupported_global(module, name)
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        return _Full.persistent_load(self, pid)

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        if cls not in self._classes or type(args) is not tuple:
            raise Refused(f"Trying to instantiate unsupported class {cls!r:.80}")
        self.append(cls.__new__(cls, *args))

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) not in self._classes:
            raise Refused("Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                          f"`add_safe_globals`, but got {type(inst)}")
        setstate = getattr(type(inst), "__setstate__", None)
        if setstate is not None:
            setstate(inst, state)
            return
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        if state:
            inst.__dict__.update(state)
        for key, value in (slots or {}).items():
            setattr(inst, key, value)

    dispatch = _OpcodeTable()
    for _name in _ALLOWED:
        _code = getattr(pickle, _name)[0]
        dispatch[_code] = pickle._Unpickler.dispatch[_code]
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.BUILD[0]] = load_build
    del _name, _code
