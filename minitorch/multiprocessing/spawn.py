"""spawn / start_processes: run fn(i, *args) in nprocs processes, as torch.multiprocessing does.

If a process fails, the others are terminated and ``join`` raises in the parent: a
``ProcessRaisedException`` carrying the child's traceback when fn raised, a
``ProcessExitedException`` naming the exit code or signal otherwise. The traceback
travels through a file per process (the process may be gone before anyone reads a pipe).
"""
from __future__ import annotations

import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import time
import warnings

log = logging.getLogger(__name__)

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException", "ProcessRaisedException",
           "spawn", "SpawnContext", "start_processes"]


class ProcessException(Exception):
    """A process of a ProcessContext failed: which one (error_index) and its pid."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A process failed because fn raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A process failed by a signal or a nonzero exit code (exit_code, signal_name)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)


def _die_with_parent() -> None:
    """Ask Linux to send this process SIGINT when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGINT), 0, 0, 0)
        except (OSError, AttributeError):
            pass


def _wrap(fn, i: int, args: tuple, error_file: str) -> None:
    """The body of process i: fn(i, *args); an exception's traceback goes to error_file."""
    _die_with_parent()
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent's SIGINT (it is terminating the processes)
    except Exception:
        import traceback
        with open(error_file, "wb") as fh:
            pickle.dump(traceback.format_exc(), fh)
        sys.exit(1)


class ProcessContext:
    """The processes start_processes started; join() waits for them."""

    def __init__(self, processes: list, error_files: list) -> None:
        self.error_files = error_files
        self.processes = processes
        self.sentinels = {process.sentinel: index for index, process in enumerate(processes)}

    def pids(self) -> list[int]:
        return [int(process.pid) for process in self.processes]

    def _join_all(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for process in self.processes:
            process.join(max(0.0, end - time.monotonic()))

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Wait (up to timeout seconds) for processes to finish; True once all have.

        When one failed, the others are terminated (after grace_period seconds, then
        SIGTERM, then SIGKILL) and the failure is raised: ProcessRaisedException with the
        child's traceback, or ProcessExitedException with its exit code or signal."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(self.sentinels.keys(), timeout=timeout)
        error_index = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            process = self.processes[index]
            process.join()
            if process.exitcode != 0:
                error_index = index
                break
        if error_index is None:
            return not self.sentinels
        if grace_period is not None:
            self._join_all(grace_period)
        for process in self.processes:
            if process.is_alive():
                log.warning("Terminating process %s via signal SIGTERM", process.pid)
                process.terminate()
        self._join_all(30 if grace_period is None else grace_period)
        for process in self.processes:
            if process.is_alive():
                log.warning("Unable to shutdown process %s via SIGTERM , forcefully exiting via SIGKILL",
                            process.pid)
                process.kill()
            process.join()
        raise self._failure(error_index)

    def _failure(self, index: int) -> ProcessException:
        process, error_file = self.processes[index], self.error_files[index]
        if not os.access(error_file, os.R_OK):
            code = process.exitcode
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"<Unknown signal {-code}>"
                return ProcessExitedException(f"process {index:d} terminated with signal {name}",
                                              index, process.pid, code, name)
            return ProcessExitedException(f"process {index:d} terminated with exit code {code:d}",
                                          index, process.pid, code)
        with open(error_file, "rb") as fh:
            trace = pickle.load(fh)
        os.unlink(error_file)
        message = f"\n\n-- Process {index:d} terminated with the following error:\n" + trace
        return ProcessRaisedException(message, index, process.pid)


class SpawnContext(ProcessContext):
    """The old name of ProcessContext."""

    def __init__(self, processes: list, error_files: list) -> None:
        warnings.warn("SpawnContext is renamed to ProcessContext since 1.4 release.", stacklevel=2)
        super().__init__(processes, error_files)


def start_processes(fn, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn") -> ProcessContext | None:
    """Start nprocs processes running fn(i, *args) with start_method; join them unless join=False
    (then return their ProcessContext)."""
    context = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        # a name no file has: the child creates it only to report an exception
        with tempfile.NamedTemporaryFile(prefix="minitorch-errorfile-", suffix=".pickle",
                                         delete=False) as placeholder:
            name = placeholder.name
        os.unlink(name)
        process = context.Process(target=_wrap, args=(fn, i, args, name), daemon=daemon)
        process.start()
        processes.append(process)
        error_files.append(name)
    processes_context = ProcessContext(processes, error_files)
    if not join:
        return processes_context
    while not processes_context.join():
        pass
    return None


def spawn(fn, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn") -> ProcessContext | None:
    """Run fn(i, *args) for i in range(nprocs), each in a new process started with "spawn".

    fn must be importable (defined at the top level of a module). A failure in one
    process terminates the others and raises in the parent (see ProcessContext.join).
    Returns None when join is True, the ProcessContext otherwise."""
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t"
                      " torch.multiprocessing.start_processes(...)", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
