"""The DataLoader's iterators: one epoch of batches, in this process or in workers.

``_SingleProcessIter`` fetches each batch when asked.  ``_MultiProcessIter`` starts
``num_workers`` processes, hands out batch indices round-robin (``prefetch_factor``
batches per worker in flight), and returns results in sampler order, re-raising a
worker's exception with the worker's traceback.  A worker that dies (killed, crashed,
exited) is a RuntimeError in PyTorch's words as soon as the main process waits for a
batch; all workers are then stopped, and the loader can be iterated again.
"""
from __future__ import annotations

import atexit
import itertools
import multiprocessing
import os
import queue
import threading
import warnings
from typing import TYPE_CHECKING

from ._fetch import _DatasetKind
from ._results import ResultReceiver, WorkerDied, enlarge_pipe, worker_failure_message
from ._worker import MP_STATUS_CHECK_INTERVAL, ExceptionWrapper, _IterableDatasetStopIteration
from ._worker import _ResumeIteration, _worker_loop
from .sampler import _random_seed

if TYPE_CHECKING:
    from .dataloader import DataLoader

# Set at interpreter exit: __del__ must not talk to workers that multiprocessing is
# already tearing down.
_python_exiting = False


@atexit.register
def _mark_python_exiting() -> None:
    global _python_exiting
    _python_exiting = True


class _BaseIter:
    """What both iterators share: the sampler, the base seed, the yielded-count check."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=3)
        self._sampler_iter = iter(self._index_sampler)
        # Drawn every epoch, before the sampler's first draw, as PyTorch does: both consume
        # the loader's generator in the same order.
        self._base_seed = _random_seed(loader.generator)
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)  # may raise StopIteration

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if (self._dataset_kind == _DatasetKind.Iterable and self._IterableDataset_len_called is not None
                and self._num_yielded > self._IterableDataset_len_called):
            message = (f"Length of IterableDataset {self._dataset} was reported to be "
                       f"{self._IterableDataset_len_called}(when accessing len(dataloader)), but "
                       f"{self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                message += ("For multiprocessing data-loading, this could be caused by not properly "
                            "configuring the IterableDataset replica at each worker. Please see "
                            "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset "
                            "for examples.")
            warnings.warn(message, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessIter(_BaseIter):
    """Fetches each batch in the main process, when asked for it."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = _DatasetKind.create_fetcher(self._dataset_kind, self._dataset,
                                                    self._auto_collation, self._collate_fn,
                                                    self._drop_last)

    def _next_data(self):
        index = self._next_index()  # may raise StopIteration
        return self._fetcher.fetch(index)  # may raise StopIteration (IterableDataset)


class _MultiProcessIter(_BaseIter):
    """Loads batches in worker processes and returns them in sampler order.

    Bookkeeping: task ``i`` is the ``i``-th batch index sent out.  ``_tasks[i]`` is
    ``(worker_id,)`` while in flight and ``(worker_id, data)`` once it arrived early;
    ``_rcvd_idx`` is the next task to return.
    """

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._workers_done = context.RawValue("b", 0)  # lock-free: see _worker_loop
        self._shutdown = False
        self._receiver = None
        self._index_queues = []
        self._workers = []
        self._workers_active = []
        readers = []
        # Who the workers' parent is, and whether the kernel may kill them with it (see
        # _ParentWatchdog): the forkserver is their parent under forkserver, else we are.
        forkserver = context.get_start_method() == "forkserver"
        parent_pid = None if forkserver else os.getpid()
        kill_with_parent = forkserver or threading.current_thread() is threading.main_thread()
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()  # never block exit on indices nobody will read
            reader, writer = context.Pipe(duplex=False)
            enlarge_pipe(writer)
            worker = context.Process(
                target=_worker_loop,
                args=(self._dataset_kind, self._dataset, index_queue, writer,
                      self._workers_done, self._auto_collation, self._collate_fn,
                      self._drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                      self._num_workers, parent_pid, kill_with_parent))
            worker.daemon = True  # killed with the main process at worst
            try:
                worker.start()
            except BaseException:
                reader.close()
                raise
            finally:
                # Only the worker writes: later workers must not inherit this end, and its
                # pipe reads as closed once the worker exits.
                writer.close()
            readers.append(reader)
            self._index_queues.append(index_queue)
            self._workers.append(worker)
            self._workers_active.append(True)
        self._receiver = ResultReceiver(readers, self._workers, MP_STATUS_CHECK_INTERVAL)
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._tasks = {}
        self._workers_active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: results of an unfinished epoch may still be in the queue;
            # each worker echoes the resume message after them, so drop all until every echo.
            for index_queue in self._index_queues:
                index_queue.put(_ResumeIteration())
            pending = self._num_workers
            while pending > 0:
                task_idx, _ = self._get_data()
                if isinstance(task_idx, _ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        """Send the next batch index to the next active worker (if any are left)."""
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._next_worker)
            if self._workers_active[worker_id]:
                break
        else:
            return  # every worker has exhausted its IterableDataset
        self._index_queues[worker_id].put((self._send_idx, index))
        self._tasks[self._send_idx] = (worker_id,)
        self._send_idx += 1

    def _get_data(self):
        """The next ``(task_idx, data)`` from any worker.

        Raises PyTorch's RuntimeError, after stopping every worker, when a worker dies
        without a word (killed, segfault, os._exit) or ``timeout`` seconds pass.
        """
        try:
            return self._receiver.get(self._timeout if self._timeout > 0 else None)
        # The epoch is over either way: end the workers at once rather than wait for a
        # stuck one (timeout) or for the others' current batches (a dead worker).
        except queue.Empty:
            self._shutdown_workers(wait=0.0)
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        except WorkerDied as died:
            dead = [self._workers[worker_id] for worker_id in died.worker_ids]
            message = worker_failure_message(dead, MP_STATUS_CHECK_INTERVAL)
            self._shutdown_workers(wait=0.0)
            raise RuntimeError(message) from None

    def _next_data(self):
        while True:
            # Skip tasks that will never arrive: their worker ran out of IterableDataset.
            while self._rcvd_idx < self._send_idx and not self._shutdown:
                info = self._tasks.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._workers_active[info[0]]):
                    break
                self._tasks.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._tasks[self._rcvd_idx]) == 2:  # arrived earlier, out of order
                _, data = self._tasks.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data)

            task_idx, data = self._get_data()
            if isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_active[data.worker_id] = False
                else:
                    self._mark_worker_inactive(data.worker_id)
                self._try_put_index()
                continue
            if task_idx == self._rcvd_idx or not self._in_order:
                del self._tasks[task_idx]
                if task_idx == self._rcvd_idx:
                    self._rcvd_idx += 1
                return self._process_data(data)
            self._tasks[task_idx] += (data,)

    def _process_data(self, data):
        if isinstance(data, ExceptionWrapper):
            # The exception's traceback keeps this iterator alive (its frames hold it), so
            # waiting for __del__ would leave the workers running: stop them now.  Unlike
            # PyTorch, the iterator then ends; it does not go on after the failed batch.
            self._shutdown_workers()
            data.reraise()
        self._try_put_index()
        return data

    def _mark_worker_inactive(self, worker_id: int) -> None:
        """Tell a worker to exit; it gets no more tasks."""
        if self._receiver is not None:
            self._receiver.expect_exit(worker_id)
        self._index_queues[worker_id].put(None)
        self._workers_active[worker_id] = False

    def _shutdown_workers(self, wait: float = MP_STATUS_CHECK_INTERVAL) -> None:
        """Stop every worker: ask politely, wait up to ``wait`` seconds each, then terminate
        (and kill one that ignores SIGTERM)."""
        if self._shutdown or _python_exiting:
            return
        self._shutdown = True
        try:
            self._workers_done.value = 1  # workers skip any task still queued
            for worker_id in range(len(self._workers)):  # fewer if __init__ failed midway
                if self._persistent_workers or self._workers_active[worker_id]:
                    self._mark_worker_inactive(worker_id)
            for worker in self._workers:
                worker.join(timeout=wait)
            for index_queue in self._index_queues:
                index_queue.close()
        finally:
            for worker in self._workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=MP_STATUS_CHECK_INTERVAL)
                if worker.is_alive():
                    worker.kill()
                    worker.join()
            if self._receiver is not None:
                self._receiver.close()

    def __del__(self) -> None:
        if hasattr(self, "_workers"):  # __init__ may have failed before starting any
            self._shutdown_workers()
