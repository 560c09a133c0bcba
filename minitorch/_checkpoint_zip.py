"""Reading the zip records of a checkpoint without trusting the sizes its headers declare.

A corrupt or hostile archive can declare any size for a record. Before anything is
allocated, each record's declared sizes are checked against the bytes the file really
has: a stored record must lie inside the file and hold exactly its declared size; a
deflated one may expand at most 1032-fold (deflate's limit). Records are read in
chunks into a buffer of the checked size, and zipfile checks their CRC-32 at the end.

The error types here are internal: ``load`` re-raises them as a plain RuntimeError
(``CheckpointError``) or ``pickle.UnpicklingError`` (``Refused``).
"""
from __future__ import annotations

import io
import pickle
import zipfile
from typing import IO

import numpy as np

_DEFLATE_MAX_RATIO = 1032
_CHUNK = 1 << 18  # NumPy's read size too: chunks that stay in cache (16 MiB ones made loads 2x slower)
_LOCAL_HEADER_SIZE = 30


class CheckpointError(RuntimeError):
    """A file minitorch can't load, with minitorch's own explanation."""


class Refused(pickle.UnpicklingError):
    """A weights-only refusal: the file asks for code or objects outside the allowlist."""


def corrupt(what: str) -> CheckpointError:
    return CheckpointError(f"corrupt checkpoint: {what}")


class Archive:
    """A zip archive opened for reading, whose records are checked before they are read."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        start = fileobj.tell()
        self.length = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(start)
        self.zip = zipfile.ZipFile(fileobj)
        self.names = self.zip.namelist()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def __contains__(self, name: str) -> bool:
        return name in self.zip.NameToInfo

    def info(self, name: str) -> zipfile.ZipInfo:
        """The record's header, checked against the file; a CheckpointError if it's missing or impossible."""
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise corrupt(f"the record {name!r} is missing from the archive") from None
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise corrupt(f"the record {name!r} uses compression method {info.compress_type}, "
                          "neither stored nor deflated")
        if info.flag_bits & 0x41:
            raise corrupt(f"the record {name!r} is marked as encrypted")
        if info.header_offset + _LOCAL_HEADER_SIZE + info.compress_size > self.length:
            raise corrupt(f"the record {name!r} declares {info.compress_size} bytes at offset "
                          f"{info.header_offset}, past the end of the {self.length}-byte file")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise corrupt(f"the stored record {name!r} declares {info.file_size} bytes but holds "
                          f"{info.compress_size}")
        if info.file_size > _DEFLATE_MAX_RATIO * info.compress_size + 1024:
            raise corrupt(f"the record {name!r} declares {info.file_size} bytes, more than its "
                          f"{info.compress_size} compressed bytes can hold")
        return info

    def open(self, name: str) -> IO[bytes]:
        return self.zip.open(self.info(name))

    def read(self, name: str) -> bytes:
        """A whole record (checked, then read into a buffer of its declared size)."""
        return read_exactly(self.open(name), self.info(name).file_size, name).tobytes()

    def read_array(self, name: str, nbytes: int) -> np.ndarray:
        """A record of exactly nbytes as a uint8 array; a CheckpointError if its size differs."""
        info = self.info(name)
        if info.file_size != nbytes:
            raise corrupt(f"the record {name!r} has {info.file_size} bytes, {nbytes} expected")
        return read_exactly(self.zip.open(info), nbytes, name)


def read_exactly(src: IO[bytes], nbytes: int, name: str) -> np.ndarray:
    """The next nbytes of src (which must then end: the CRC check) as a new uint8 array."""
    out = np.empty(nbytes, np.uint8)
    view, done = memoryview(out), 0
    with src:
        while done < nbytes:
            n = src.readinto(view[done:done + _CHUNK])
            if not n:
                raise corrupt(f"the record {name!r} is truncated")
            done += n
        if src.read(1):
            raise corrupt(f"the record {name!r} is longer than declared")
    return out
