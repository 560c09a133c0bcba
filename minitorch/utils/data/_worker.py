"""What runs inside a DataLoader worker process, and what crosses the process boundary.

A worker seeds its random generators, runs ``worker_init_fn(worker_id)``, then loops:
take ``(task_idx, batch_index)`` from its index queue, fetch the batch, send
``(task_idx, batch)`` down its own result pipe (``_results.py``).  An exception travels
back as an ``ExceptionWrapper`` holding its formatted traceback, which the main process
re-raises.  ``None`` on the index queue means "exit".

A worker never outlives the main process (see ``_ParentWatchdog``).
"""
from __future__ import annotations

import ctypes
import os
import queue
import random
import signal
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ... import random as _random
from ._fetch import _DatasetKind
from ._results import ResultSender

# PyTorch's interval for the main process's checks on its workers (a fallback here: see
# _results.py) and for waiting on them to exit.
MP_STATUS_CHECK_INTERVAL = 5.0
# Seconds between a waiting worker's checks that the main process is still there.
_PARENT_CHECK_INTERVAL = 1.0
_PR_SET_PDEATHSIG = 1

_worker_info: "WorkerInfo | None" = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """Who this worker is: ``id`` (0..num_workers-1), ``num_workers``, its ``seed``, and
    this process's copy of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """The current worker's WorkerInfo inside a DataLoader worker process; None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception and its formatted traceback, to re-raise in another process."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        # the text, not the traceback object: tracebacks do not pickle
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the same exception type, its message holding the original traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception type that needs other arguments
            raise RuntimeError(msg) from None
        raise exception


class KeyErrorMessage(str):
    """A str whose repr is itself, so that KeyError prints the traceback readably."""

    def __repr__(self) -> str:
        return self


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's signal that its copy of an IterableDataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Start a new epoch (persistent workers); the worker echoes it back when ready."""

    seed: int | None = None


def _numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    """The four 32-bit words PyTorch seeds NumPy's global generator with in a worker.

    PyTorch's hash of (worker_id, base_seed), modelled on NumPy's SeedSequence, so that
    workers get distinct NumPy streams and the same ones as under PyTorch.
    """
    mask = 0xFFFFFFFF
    mult_a, mult_b = 0x931E8875, 0x58F38DED
    mix_left, mix_right = 0xCA01F9DD, 0x4973F715
    hash_const = 0x43B0D7E5

    def hashmix(value: int) -> int:
        nonlocal hash_const
        value = (value ^ hash_const) & mask
        hash_const = (hash_const * mult_a) & mask
        value = (value * hash_const) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x: int, y: int) -> int:
        result = (mix_left * x - mix_right * y) & mask
        return (result ^ (result >> 16)) & mask

    entropy = [worker_id, base_seed & mask, base_seed >> 32, 0]
    pool = [hashmix(word) for word in entropy]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))

    out_const = 0x8B51F9DD
    state = []
    for word in pool:
        word = (word ^ out_const) & mask
        out_const = (out_const * mult_b) & mask
        word = (word * out_const) & mask
        state.append((word ^ (word >> 16)) & mask)
    return state


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed Python's, minitorch's and NumPy's global generators for this worker; return its seed."""
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


class _ParentWatchdog:
    """Tells a worker whether the process that started it is still there.

    Two mechanisms.  On Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` has the kernel kill
    the worker the moment its parent goes, whatever the worker is doing (waiting on a
    queue, blocked on a full pipe, stuck in a dataset's ``__getitem__``).  But the
    kernel's "parent" is the *thread* that started the worker: armed for workers started
    from another thread, it would kill them when that thread ends, with the main process
    still using them.  So the main process asks for it only from its main thread (or
    under forkserver, whose server forks); everywhere, the worker also compares
    ``os.getppid()`` with its parent's pid (PyTorch's ManagerWatchdog) on every wait.
    """

    def __init__(self, parent_pid: int | None, kill_with_parent: bool) -> None:
        self._parent = os.getppid() if parent_pid is None else parent_pid
        if kill_with_parent:
            _kill_me_with_my_parent()
        # After arming: a parent that died before that would never send the signal.
        self._alive = os.getppid() == self._parent

    def is_alive(self) -> bool:
        if self._alive:
            self._alive = os.getppid() == self._parent
        return self._alive


def _kill_me_with_my_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux; nothing elsewhere (the getppid check stays)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl in this libc
        pass


def _worker_loop(dataset_kind, dataset, index_queue, result_conn, done_flag, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers, parent_pid,
                 kill_with_parent) -> None:
    """The body of a worker process (see the module docstring).

    ``done_flag`` is a lock-free shared byte (set when the main process shuts down):
    a ``multiprocessing.Event`` takes a lock that a worker killed inside ``is_set()``
    would never release, hanging the main process's ``set()``.
    """
    global _worker_info
    watchdog = _ParentWatchdog(parent_pid, kill_with_parent)
    where = f"in DataLoader worker process {worker_id}"

    def give_up() -> bool:  # a result nobody will read: stop waiting to write it
        return bool(done_flag.value) or not watchdog.is_alive()

    def unpicklable(result):  # report a batch that does not pickle as this worker's error
        return result[0], ExceptionWrapper(where=where)

    sender = ResultSender(result_conn, give_up, unpicklable)
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)

        # A failing worker_init_fn is reported with the first batch this worker is asked for.
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                  collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=where)

        iteration_end = False
        while watchdog.is_alive() and not sender.gave_up:
            try:
                task = index_queue.get(timeout=_PARENT_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(task, _ResumeIteration):
                sender.put((task, None))
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                      collate_fn, drop_last)
                continue
            if task is None:
                break
            if done_flag.value or iteration_end:
                continue  # shutting down, or nothing left to give this epoch
            task_idx, batch_index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(batch_index)
                except StopIteration:
                    if dataset_kind != _DatasetKind.Iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=where)
            sender.put((task_idx, data))
            del data, task, batch_index  # do not hold a batch while waiting for the next task
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C
    sender.close()
