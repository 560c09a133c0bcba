"""Tensors in shared memory: ``share_memory_`` and ``is_shared`` (see ``_shared_memory.py``).

As in PyTorch, ``share_memory_`` moves the tensor's *storage*: the whole block of memory
its values live in (a view's base included) is copied into a shared segment once, and
every tensor over that block -- the tensor, its base, its views -- is pointed at the copy,
at the same offsets and strides. A tensor already in shared memory is left as it is.
``minitorch.multiprocessing`` sends a shared tensor to another process as the segment's
handle plus its offset, shape and strides, and rebuilds it there over the same memory
(``shared_handle`` / ``from_shared`` below).
"""
from __future__ import annotations

import gc
import sys

import numpy as np

from .. import _backends as backends, _shared_memory
from .._declare import method
from ..tensor import Tensor


@method
def share_memory_(self) -> Tensor:
    """Move the storage to shared memory (no-op if it is there already, and for CUDA tensors).

    Views of the same storage, made before or after, see the shared memory too."""
    if self._backend is not backends.cpu or _shared_memory.segment_of(self._data) is not None:
        return self
    root = _shared_memory.root_of(self._data)
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        # memory NumPy can't describe as one block (a strided view of a foreign buffer):
        # this tensor alone moves, its values copied into a contiguous segment
        segment = _shared_memory.allocate(self._data.nbytes)
        data = self._data
        shared = _shared_memory.array(segment, 0, data.shape, _contiguous_strides(data), data.dtype)
        shared[...] = data
        shared.flags.writeable = data.flags.writeable
        self._data = shared
        return self
    segment = _shared_memory.allocate(root.nbytes)
    if root.nbytes:
        flat = np.ndarray((root.nbytes,), np.uint8, buffer=segment)
        flat[:] = np.ravel(root, order="K").view(np.uint8)
    start = _shared_memory.address(root)
    for t in _users(self, root):
        data = t._data
        t._data = _shared_memory.array(segment, _shared_memory.address(data) - start, data.shape,
                                       data.strides, data.dtype, data.flags.writeable)
    return self


@method
def is_shared(self) -> bool:
    """Whether the tensor's storage is in shared memory (always True for CUDA tensors)."""
    return self._backend is not backends.cpu or _shared_memory.segment_of(self._data) is not None


def _users(tensor: Tensor, root: np.ndarray, measure: bool = False):
    """tensor and every other live tensor whose values are in root's memory.

    Finding the others means a walk over the garbage collector's objects, so it happens
    only when something besides tensor holds root's memory: when the reference counts of
    root (and of tensor's array, for a view) exceed those of a tensor alone, measured by
    _calibrate on this interpreter, since how CPython counts borrowed references changes."""
    data = tensor._data
    counts = (sys.getrefcount(root), sys.getrefcount(data), data is root)
    del data
    if measure:
        return counts
    if counts == _ALONE[counts[2]]:
        return [tensor]
    users = [tensor]
    for obj in gc.get_objects():
        # (type(), not isinstance: isinstance asks some objects for __class__, which can run code;
        # getattr: a tensor another thread is still making may not have its slots yet)
        if issubclass(type(obj), Tensor) and obj is not tensor and getattr(obj, "_backend", None) is backends.cpu:
            data = getattr(obj, "_data", None)
            if data.__class__ is np.ndarray and _in(data, root):
                users.append(obj)
    return users


def _calibrate(t: Tensor) -> tuple:
    """_users' counts for t alone, from a frame like share_memory_'s."""
    root = _shared_memory.root_of(t._data)
    return _users(t, root, measure=True)


_ALONE = {True: _calibrate(Tensor._wrap(np.empty(2), backends.cpu)),
          False: _calibrate(Tensor._wrap(np.empty(2)[1:], backends.cpu))}


def _contiguous_strides(a: np.ndarray) -> tuple:
    strides, step = [], a.itemsize
    for n in reversed(a.shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _in(a: np.ndarray, root: np.ndarray) -> bool:
    if a is root:
        return True
    while isinstance(a.base, np.ndarray):
        a = a.base
        if a is root:
            return True
    return False


# ----- for minitorch.multiprocessing ---------------------------------------------------------
def shared_handle(t: Tensor) -> tuple:
    """(segment, byte offset, shape, byte strides, NumPy dtype, writeable) of a CPU tensor in
    shared memory."""
    data = t._data
    segment = _shared_memory.segment_of(data)
    offset = _shared_memory.address(data) - _shared_memory.segment_address(segment)
    return segment, offset, data.shape, data.strides, data.dtype, data.flags.writeable


def from_shared(segment, offset: int, shape: tuple, strides: tuple, dtype, writeable: bool = True) -> Tensor:
    """A CPU tensor over a segment's memory."""
    return Tensor._wrap(_shared_memory.array(segment, offset, shape, strides, dtype, writeable), backends.cpu)
