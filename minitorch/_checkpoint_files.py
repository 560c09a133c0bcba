"""Atomic checkpoint files: write beside the target, rename over it, clean up what a killed writer left.

``write_atomic(path, write)`` writes into a temporary file in the target's directory,
fsyncs it and renames it over the target, so a crash leaves the previous file (or
none), never a partial one. An exception during the write removes the temporary file
at once. A process killed mid-write (SIGKILL, power loss) can't clean up after itself,
so every save first removes the temporaries of its own target whose writer is gone.

A temporary file is named ``.<name>.<pid>-<start>-<host>-<token>.tmp``: the writer's
process id, its start time (clock ticks since boot, from /proc; 0 where unknown, which
guards against a reused pid), a hash of the host name (a directory may be shared
between machines, whose pids mean nothing here) and a random token (two saves of one
target at once, from threads of one process, get distinct names). A temporary is
stale when it was written on this host by a process that no longer runs (or is a
zombie, or is a different process with the same pid). Temporaries of live processes,
of other hosts, and anything else in the directory are never touched. On Windows,
where a process can't be probed safely, nothing is removed.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
import stat
from typing import IO, Callable

_TEMP_SUFFIX = re.compile(r"(\d+)-(\d+)-([0-9a-f]{8})-[0-9a-f]{8}\.tmp")


def write_atomic(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """write(file) into a temporary file beside path, fsync it, then rename it over path."""
    target = os.path.realpath(path)  # through a symlink, as open(path, "wb") would write
    directory, name = os.path.split(target)
    remove_stale_temporaries(target)
    temp = os.path.join(directory, temporary_name(name))
    # os.open with 0o666 gives the permissions open() would (after the umask).
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fileobj:
            write(fileobj)
            fileobj.flush()
            os.fsync(fileobj.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))  # overwriting keeps the mode
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if os.name == "posix":  # make the rename itself durable
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def temporary_name(name: str) -> str:
    """The name of this process's temporary file for a target called name."""
    pid = os.getpid()
    return f".{name}.{pid}-{_start_time(pid) or 0}-{_HOST}-{secrets.token_hex(4)}.tmp"


def remove_stale_temporaries(target: str) -> list[str]:
    """Delete the temporary files of target left by writers that are gone; their paths."""
    directory, name = os.path.split(target)
    prefix = f".{name}."
    removed = []
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        match = _TEMP_SUFFIX.fullmatch(entry.name[len(prefix):])
        if match is None or match[3] != _HOST:
            continue
        with contextlib.suppress(OSError):
            if not entry.is_file(follow_symlinks=False) or _alive(int(match[1]), int(match[2])):
                continue
            os.unlink(entry.path)
            removed.append(entry.path)
    return removed


def _alive(pid: int, start: int) -> bool:
    """Whether the process that wrote a temporary file may still be writing it."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user
        pass
    stat_line = _proc_stat(pid)
    if stat_line is None:
        return True
    state, started = stat_line
    return state != "Z" and (start == 0 or started == start)


def _start_time(pid: int) -> int | None:
    found = _proc_stat(pid)
    return None if found is None else found[1]


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) of a process, from Linux's /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            line = f.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = line[line.rfind(")") + 2:].split()  # the command name, in parentheses, may hold spaces
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
