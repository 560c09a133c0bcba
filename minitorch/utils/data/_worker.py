"""What runs inside a DataLoader worker process, and what crosses the process boundary.

A worker seeds its random generators, runs ``worker_init_fn(worker_id)``, then loops:
take ``(task_idx, batch_index)`` from its index queue, fetch the batch, put
``(task_idx, batch)`` on the shared result queue.  An exception travels back as an
``ExceptionWrapper`` holding its formatted traceback, which the main process re-raises.
``None`` on the index queue means "exit".
"""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ... import random as _random
from ._fetch import _DatasetKind

# Seconds between checks that the other side (main process or worker) is still alive.
MP_STATUS_CHECK_INTERVAL = 5.0

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


def _worker_loop(dataset_kind, dataset, index_queue, result_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers) -> None:
    """The body of a worker process (see the module docstring)."""
    global _worker_info
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"

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
        parent = os.getppid()
        while os.getppid() == parent:  # exit if the main process died
            try:
                task = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(task, _ResumeIteration):
                result_queue.put((task, None))
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                      collate_fn, drop_last)
                continue
            if task is None:
                break
            if done_event.is_set() or iteration_end:
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
            result_queue.put((task_idx, data))
            del data, task, batch_index  # do not hold a batch while waiting for the next task
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C
    if done_event.is_set():
        # The main process may no longer read: do not block exit on unflushed results.
        result_queue.cancel_join_thread()
        result_queue.close()
