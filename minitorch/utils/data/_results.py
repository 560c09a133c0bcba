"""How batches travel from the workers to the main process: one pipe per worker.

A ``multiprocessing.Queue`` shared by all workers lets one dead worker hang the main
process for ever: killed in the middle of a message, it leaves half of it in the pipe
and the reader blocks in ``recv`` waiting for the rest; killed while holding the
queue's write lock, it blocks every other worker's writes.  Here each worker writes
whole messages (an 8-byte length, then the pickle) to a pipe of its own, and the main
process never blocks in a read: it waits on all the pipes and on the workers' process
sentinels at once, so a worker that dies (before, between or in the middle of its
messages) wakes it within the same wait, at no cost per batch.
"""
from __future__ import annotations

import os
import pickle
import queue
import selectors
import signal
import struct
import threading
import time
from multiprocessing.reduction import ForkingPickler

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None

_HEADER = struct.Struct("!Q")
_F_SETPIPE_SZ = 1031  # Linux: a 1 MiB pipe holds a whole batch, so a worker writes it in one go
_PIPE_SIZE = 1 << 20
# How often a worker blocked on a full pipe checks whether it should give up.
_WRITE_POLL_INTERVAL = 0.1


def enlarge_pipe(conn) -> None:
    """Grow a pipe's buffer where the system allows it (Linux); a speed-up, never required."""
    try:
        fcntl.fcntl(conn.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
    except (OSError, AttributeError):
        pass


_CLOSE = object()


class ResultSender:
    """A worker's end of its pipe.

    ``put(obj)`` returns at once; a thread pickles and writes, so that the worker
    fetches its next batch meanwhile (what a ``multiprocessing.Queue``'s feeder thread
    does).  While the pipe is full the thread waits, checking ``give_up()`` (the main
    process shut down or died) every ``_WRITE_POLL_INTERVAL`` seconds; once it gives up
    it drops every result.  ``unpicklable(obj)`` (called inside the ``except``) gives
    what to send instead of a result that does not pickle.
    """

    def __init__(self, conn, give_up, unpicklable) -> None:
        self._conn = conn  # owns the file descriptor
        self._fd = conn.fileno()
        os.set_blocking(self._fd, False)
        self._give_up = give_up
        self._unpicklable = unpicklable
        self._pending = queue.SimpleQueue()
        self.gave_up = False
        self._thread = threading.Thread(target=self._feed, name="DataLoader result sender", daemon=True)
        self._thread.start()

    def put(self, obj) -> None:
        self._pending.put(obj)

    def close(self) -> None:
        """Send what is queued (unless giving up), then close the pipe."""
        self._pending.put(_CLOSE)
        self._thread.join()
        self._conn.close()

    def _feed(self) -> None:
        with selectors.DefaultSelector() as writable:
            writable.register(self._fd, selectors.EVENT_WRITE)
            while (obj := self._pending.get()) is not _CLOSE:
                if self.gave_up:
                    continue
                try:
                    payload = ForkingPickler.dumps(obj)
                except Exception:  # noqa: BLE001 - PicklingError, or whatever a __reduce__ raises
                    payload = ForkingPickler.dumps(self._unpicklable(obj))
                del obj  # do not hold a batch while waiting for the next one
                self.gave_up = not self._write(payload, writable)

    def _write(self, payload, writable) -> bool:
        """Write one message; False if told to give up, or nobody can read any more."""
        for part in (_HEADER.pack(len(payload)), payload):
            view = memoryview(part)
            while view:
                try:
                    view = view[os.write(self._fd, view):]
                except BlockingIOError:
                    while not writable.select(_WRITE_POLL_INTERVAL):
                        if self._give_up():
                            return False
                except BrokenPipeError:
                    return False
        return True


class WorkerDied(Exception):
    """``ResultReceiver.get`` found workers that exited without being asked to."""

    def __init__(self, worker_ids: list[int]) -> None:
        super().__init__(worker_ids)
        self.worker_ids = worker_ids


class _Incoming:
    """The message being read from one pipe: its length first, then its pickle."""

    __slots__ = ("buffer", "filled", "in_header")

    def __init__(self) -> None:
        self.expect_header()

    def expect_header(self) -> None:
        self.buffer, self.filled, self.in_header = bytearray(_HEADER.size), 0, True


_NOTHING = object()


class ResultReceiver:
    """The main process's ends of every worker's pipe, read without blocking."""

    def __init__(self, readers: list, workers: list, status_check_interval: float) -> None:
        self._readers = readers
        self._workers = workers
        self._status_check_interval = status_check_interval
        self._incoming = [_Incoming() for _ in readers]
        self._watched = set(range(len(workers)))  # workers whose exit would be an error
        self._selector = selectors.DefaultSelector()
        for worker_id, (reader, worker) in enumerate(zip(readers, workers)):
            os.set_blocking(reader.fileno(), False)
            self._selector.register(reader.fileno(), selectors.EVENT_READ, (worker_id, False))
            self._selector.register(worker.sentinel, selectors.EVENT_READ, (worker_id, True))

    def expect_exit(self, worker_id: int) -> None:
        """This worker was asked to exit: its exit is no longer an error."""
        if worker_id in self._watched:
            self._watched.discard(worker_id)
            self._selector.unregister(self._workers[worker_id].sentinel)

    def get(self, timeout: float | None):
        """The next message from any worker.

        Raises ``queue.Empty`` after ``timeout`` seconds (None: no limit), and
        ``WorkerDied`` as soon as a watched worker has exited, even with its messages
        still unread: a worker's death is an error at once, as under PyTorch.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = self._status_check_interval
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0.0))
            events = self._selector.select(wait)
            if not events:
                # A worker that forked processes of its own shares its sentinel with them,
                # so its death may not wake the wait: check on every idle interval.
                dead = [worker_id for worker_id in sorted(self._watched)
                        if not self._workers[worker_id].is_alive()]
                if dead:
                    raise WorkerDied(dead)
                if deadline is not None and time.monotonic() >= deadline:
                    raise queue.Empty
                continue
            dead = sorted(worker_id for worker_id, is_sentinel in (key.data for key, _ in events)
                          if is_sentinel)
            if dead:
                raise WorkerDied(dead)
            for key, _ in events:
                message = self._read(key.data[0])
                if message is not _NOTHING:
                    return message

    def _read(self, worker_id: int):
        """Read what is there of this worker's current message; the message once complete."""
        incoming = self._incoming[worker_id]
        fd = self._readers[worker_id].fileno()
        while True:
            try:
                n = os.readv(fd, [memoryview(incoming.buffer)[incoming.filled:]])
            except BlockingIOError:
                return _NOTHING
            if n == 0:  # every write end is closed: the worker has exited
                self._selector.unregister(fd)
                return _NOTHING
            incoming.filled += n
            if incoming.filled < len(incoming.buffer):
                continue
            if incoming.in_header:
                (size,) = _HEADER.unpack(incoming.buffer)
                incoming.buffer, incoming.filled, incoming.in_header = bytearray(size), 0, False
            else:
                try:
                    message = pickle.loads(incoming.buffer)
                except (EOFError, ConnectionError):
                    # A tensor in the message names its shared memory by a descriptor that
                    # the worker hands over when asked (multiprocessing's resource sharer):
                    # a worker that died after sending cannot. Its death is the error.
                    worker = self._workers[worker_id]
                    worker.join(self._status_check_interval)
                    if worker_id in self._watched and not worker.is_alive():
                        raise WorkerDied([worker_id]) from None
                    raise
                incoming.expect_header()
                return message

    def close(self) -> None:
        self._selector.close()
        for reader in self._readers:
            reader.close()


def worker_failure_message(workers: list, join_timeout: float) -> str:
    """PyTorch's words for workers that exited unasked: the first one killed by a signal or
    exited with an error code, else all of them ("exited unexpectedly")."""
    for worker in workers:
        worker.join(join_timeout)  # its sentinel fired: it is gone or going; reap its exit code
        code = worker.exitcode
        if code is not None and code < 0:
            name = signal.strsignal(-code) or f"Unknown signal {-code}"
            message = f"DataLoader worker (pid {worker.pid}) is killed by signal: {name}. "
            if -code == signal.SIGBUS:
                message += ("It is possible that dataloader's workers are out of shared memory. "
                            "Please try to raise your shared memory limit.")
            return message
        if code:
            return (f"DataLoader worker (pid {worker.pid}) exited unexpectedly with exit code {code}. "
                    "Details are lost due to multiprocessing. Rerunning with num_workers=0 may give "
                    "better error trace.")
    pids = ", ".join(str(worker.pid) for worker in workers)
    return f"DataLoader worker (pid(s) {pids}) exited unexpectedly"
