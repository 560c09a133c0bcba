"""Reading the Python-pickle files of datasets (CIFAR's batches) without running their code.

``pickle.load`` calls whatever functions a file names, so a tampered file could run any
command. ``load`` here resolves only the globals that rebuild NumPy arrays (and Python 2's
byte strings): anything else in the file - ``os.system``, ``builtins.eval``, a class -
stops the load with an error naming it, before it is called. What comes out is checked
to hold nothing but plain containers, strings, numbers and non-object NumPy arrays.
"""
from __future__ import annotations

import codecs
import io
import pickle

import numpy as np

try:
    from numpy._core.multiarray import _reconstruct as _numpy_reconstruct
except ImportError:  # NumPy < 2
    from numpy.core.multiarray import _reconstruct as _numpy_reconstruct


def _reconstruct(subtype, shape, dtype):
    """numpy's ndarray reconstructor, for plain ndarrays only."""
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"array subtype {subtype!r} is not allowed")
    return _numpy_reconstruct(subtype, shape, dtype)


def _dtype(*args):
    """numpy.dtype, refusing object dtypes (their elements would be unpickled objects)."""
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise pickle.UnpicklingError(f"arrays of dtype {dtype} are not allowed")
    return dtype


def _frombuffer(buffer, dtype, shape, order):
    """numpy's protocol-5 array reconstructor (raw bytes, dtype, shape, order)."""
    if not isinstance(buffer, (bytes, bytearray, pickle.PickleBuffer)) or not isinstance(dtype, np.dtype):
        raise pickle.UnpicklingError("array buffers must be bytes with a numpy dtype")
    if dtype.hasobject:
        raise pickle.UnpicklingError(f"arrays of dtype {dtype} are not allowed")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order).copy(order="K")


def _latin1_encode(text, encoding="latin1"):
    """Python 3's protocol-2 spelling of bytes: _codecs.encode(str, 'latin1')."""
    if not isinstance(text, str) or codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError("only _codecs.encode(str, 'latin1') is allowed")
    return text.encode("latin1")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,   # files written by NumPy < 2
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,  # files written by NumPy >= 2
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,       # protocol 5
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _latin1_encode,
}

_PLAIN = (str, bytes, int, float, bool, type(None), complex)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent references are not allowed")


def _check_plain(value, depth: int = 0) -> None:
    if depth > 20:
        raise pickle.UnpicklingError("nesting deeper than 20 levels")
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray or value.dtype.hasobject:
            raise pickle.UnpicklingError(f"array of type {type(value).__name__} / dtype {value.dtype} is not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key, depth + 1)
            _check_plain(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_plain(item, depth + 1)
    elif type(value) not in _PLAIN:
        raise pickle.UnpicklingError(f"objects of type {type(value).__name__} are not allowed")


def load(path: str, encoding: str = "latin1"):
    """The data of the pickle file at path, read with only NumPy array reconstruction allowed;
    RuntimeError naming the file for anything else (or a damaged file)."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        value = _RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()
        _check_plain(value)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            MemoryError, RecursionError, UnicodeDecodeError) as error:
        raise RuntimeError(f"{path} was refused: it is not a plain pickle of arrays and lists ({error}). "
                           "Delete it and download the dataset again.") from error
    return value
