"""Shared memory for CPU tensors: memory-mapped segments that other processes can map.

A segment is a ``Segment`` (an ``mmap.mmap``) over a file in RAM. NumPy arrays are made
over it with ``np.ndarray(buffer=segment)``, so each array (and every view NumPy makes of
it) keeps the segment alive: the memory stays mapped while any tensor or view uses it,
and is unmapped when the last one dies, as a PyTorch storage is.

Two ways to make and hand on a segment, PyTorch's two sharing strategies:

* ``"file_descriptor"`` (the default): an anonymous file (``memfd_create``; where that is
  missing, a file in /dev/shm unlinked at once). Nothing ever appears in /dev/shm, so a
  crash can't leak it; another process gets the file descriptor itself (``DupFd``, sent
  over a Unix socket or passed at spawn), and the segment keeps its descriptor open.
* ``"file_system"``: a named file ``/dev/shm/minitorch_<pid>_<n>``; other processes open it
  by name and keep no descriptor. The creating process unlinks it when its own last user
  of the segment dies (or at exit), so a receiver must map it before that -- keep a tensor
  alive until the other side has it. A process killed by SIGKILL leaves its names behind.

Each process keeps one Segment per file (keyed by inode): a segment received twice, or
sent back to the process that made it, maps to the same memory at the same address.
"""
from __future__ import annotations

import itertools
import mmap
import os
import sys
import threading
import weakref

import numpy as np

STRATEGIES = ("file_descriptor", "file_system")
_SHM_DIR = "/dev/shm"
_PREFIX = "minitorch_"
_strategy = ["file_descriptor" if hasattr(os, "memfd_create") or os.path.isdir(_SHM_DIR) else "file_system"]
_counter = itertools.count()
_segments: "weakref.WeakValueDictionary[tuple, Segment]" = weakref.WeakValueDictionary()
_lock = threading.Lock()
# mmap keeps a duplicate of the descriptor unless told not to (Python 3.13+)
_NO_DUP = {"trackfd": False} if sys.version_info >= (3, 13) else {}


class Segment(mmap.mmap):
    """A shared memory mapping: its file descriptor (file_descriptor strategy) or its name
    in /dev/shm (file_system strategy)."""

    fd: int | None = None
    name: str | None = None


def get_strategy() -> str:
    return _strategy[0]


def set_strategy(name: str) -> None:
    _strategy[0] = name


def allocate(nbytes: int) -> Segment:
    """A new zero-filled segment of at least nbytes (an empty one still maps a page)."""
    size = max(int(nbytes), 1)
    if _strategy[0] == "file_system":
        name = f"{_PREFIX}{os.getpid()}_{next(_counter)}_{os.urandom(4).hex()}"
        fd = os.open(os.path.join(_SHM_DIR, name), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, size)
            segment = _map(fd, size, keep_fd=False)
        except BaseException:
            os.close(fd)
            os.unlink(os.path.join(_SHM_DIR, name))
            raise
        segment.name = name
        weakref.finalize(segment, _unlink, name, os.getpid())
        return segment
    fd = _anonymous_file()
    try:
        os.ftruncate(fd, size)
        return _map(fd, size, keep_fd=True)
    except BaseException:
        os.close(fd)
        raise


def from_fd(fd: int) -> Segment:
    """The segment of a received file descriptor (which this call takes over and closes)."""
    with _lock:
        key = _key(fd)
        segment = _segments.get(key)
        if segment is not None:
            os.close(fd)
            return segment
        return _map(fd, os.fstat(fd).st_size, keep_fd=True)


def from_name(name: str) -> Segment:
    """The segment of a file_system name another process sent."""
    if os.sep in name or not name.startswith(_PREFIX):
        raise ValueError(f"{name!r} is not the name of a minitorch shared memory segment")
    fd = os.open(os.path.join(_SHM_DIR, name), os.O_RDWR)
    with _lock:
        segment = _segments.get(_key(fd))
        if segment is None:
            segment = _map(fd, os.fstat(fd).st_size, keep_fd=False)
            segment.name = name
        else:
            os.close(fd)
        return segment


def array(segment: Segment, offset: int, shape: tuple, strides: tuple, dtype, writeable: bool = True) -> np.ndarray:
    """An array over segment's bytes (it keeps the segment alive)."""
    out = np.ndarray(shape, dtype, buffer=segment, offset=offset, strides=strides)
    if not writeable:
        out.flags.writeable = False
    return out


def segment_of(a: np.ndarray) -> Segment | None:
    """The segment under array a, or None when a is not in shared memory."""
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    return root.base if isinstance(root.base, Segment) else None


def root_of(a: np.ndarray) -> np.ndarray:
    """The array at the bottom of a's chain of views: the one holding its memory."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def segment_address(segment: Segment) -> int:
    """Where segment is mapped in this process."""
    return address(np.ndarray((0,), np.uint8, buffer=segment))


def names_in_use() -> list[str]:
    """The file_system names this process created and has not unlinked yet."""
    return sorted(n for n in os.listdir(_SHM_DIR) if n.startswith(f"{_PREFIX}{os.getpid()}_"))


# ----- the files -------------------------------------------------------------------------
def _anonymous_file() -> int:
    name = f"{_PREFIX}{os.getpid()}_{next(_counter)}"
    if hasattr(os, "memfd_create"):
        return os.memfd_create(name, os.MFD_CLOEXEC)
    path = os.path.join(_SHM_DIR, name + "_" + os.urandom(4).hex())
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    os.unlink(path)
    return fd


def _map(fd: int, size: int, keep_fd: bool) -> Segment:
    """Map fd (registering the segment); keep_fd: the segment owns fd and closes it when it
    dies, otherwise fd is closed now."""
    try:
        segment = Segment(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, **_NO_DUP)
    except BaseException:
        if not keep_fd:
            os.close(fd)
        raise
    _segments[_key(fd)] = segment
    if keep_fd:
        segment.fd = fd
        weakref.finalize(segment, os.close, fd)
    else:
        os.close(fd)
    return segment


def _key(fd: int) -> tuple:
    stat = os.fstat(fd)
    return stat.st_ino, stat.st_dev


def _unlink(name: str, creator: int) -> None:
    if os.getpid() == creator:  # a forked child's copy of the segment must not unlink it
        try:
            os.unlink(os.path.join(_SHM_DIR, name))
        except FileNotFoundError:
            pass
