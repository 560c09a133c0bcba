"""Downloading a file from a list of mirrors, checked against its MD5, all or nothing.

A file is streamed into a temporary file next to its destination and renamed only
once its size and MD5 are right, so an interrupted or corrupt download never leaves
a file that looks like data.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import secrets
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from typing import Sequence

from tqdm import tqdm

# Seconds to wait for a connection or for the next chunk.  Short, because machines
# without internet access should reach the offline fallback quickly.
TIMEOUT_S = 5.0

_CHUNK = 1 << 16
_USER_AGENT = "minitorch"


def md5_of_file(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_url(url: str, path: str, md5: str | None = None, timeout: float = TIMEOUT_S) -> None:
    """Stream ``url`` to ``path`` with a progress bar; raise and leave nothing if it fails.

    Network errors propagate as ``OSError`` (``urllib.error.URLError``, timeouts, reset
    connections); a short body or an MD5 mismatch raises RuntimeError.
    """
    folder, filename = os.path.split(path)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with _temporary_file(folder, filename) as (tmp_path, file):
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
            digest = hashlib.md5()
            received = 0
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=filename) as progress:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    file.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    progress.update(len(chunk))
        # http.client returns a short body without error when the server hangs up early.
        if total is not None and received != total:
            raise RuntimeError(f"Download of {url} ended after {received} of {total} bytes")
        if md5 is not None and digest.hexdigest() != md5:
            raise RuntimeError(f"Downloaded {url} has MD5 {digest.hexdigest()}, expected {md5}: "
                               f"the file is corrupt or not the published one")
        file.close()
        os.replace(tmp_path, path)


def gunzip(source: str, destination: str) -> None:
    """Decompress ``source`` into ``destination`` (via a temporary file)."""
    folder, filename = os.path.split(destination)
    with _temporary_file(folder, filename) as (tmp_path, file):
        try:
            with gzip.open(source, "rb") as compressed:
                shutil.copyfileobj(compressed, file, _CHUNK)
        except (OSError, EOFError) as error:
            raise RuntimeError(f"{source} is not a valid gzip file: {error}") from error
        file.close()
        os.replace(tmp_path, destination)


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, so readers never see half of it."""
    folder, filename = os.path.split(path)
    with _temporary_file(folder, filename) as (tmp_path, file):
        file.write(data)
        file.close()
        os.replace(tmp_path, path)


def download_from_mirrors(mirrors: Sequence[str], filename: str, path: str, md5: str,
                          unreachable: set) -> bool:
    """Try each mirror in turn for ``filename``; True once one delivered it intact.

    Mirrors that could not be reached at all are added to ``unreachable`` and skipped
    for later files, so a machine without internet pays the timeout once per mirror.
    """
    for mirror in mirrors:
        if mirror in unreachable:
            continue
        url = f"{mirror}{filename}"
        print(f"Downloading {url}")
        try:
            download_url(url, path, md5)
            return True
        except urllib.error.HTTPError as error:  # the server answered: try the next file here
            print(f"Failed to download (trying next):\n{error}")
        except (OSError, http.client.HTTPException, ValueError) as error:  # includes timeouts
            unreachable.add(mirror)
            print(f"Failed to download (trying next):\n{error}")
        except RuntimeError as error:
            print(f"Failed to download (trying next):\n{error}")
    return False


def extract_tar(archive: str, root: str) -> list:
    """Extract the regular files and folders of a tar archive (any compression) into root;
    return the paths written. Links, devices and members that would land outside root
    refuse the archive; each file appears whole (extracted beside root, then renamed)."""
    root = os.path.abspath(root)
    written = []
    try:
        with tarfile.open(archive, "r:*") as tar, tempfile.TemporaryDirectory(dir=root, prefix=".extract-") as tmp:
            members = tar.getmembers()
            for member in members:
                target = os.path.abspath(os.path.join(root, member.name))
                if not (member.isfile() or member.isdir()) or os.path.commonpath([root, target]) != root:
                    raise RuntimeError(f"{archive} holds {member.name!r}, which is not a plain file or folder "
                                       f"inside {root}: refusing to extract it")
            for member in members:
                if member.isfile():
                    tar.extract(member, tmp, set_attrs=False, **_TAR_FILTER)
            for member in members:
                if member.isfile():
                    target = os.path.join(root, member.name)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    os.replace(os.path.join(tmp, member.name), target)
                    written.append(target)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise RuntimeError(f"{archive} is not a valid tar archive: {error}") from error
    return written


# tarfile's "data" filter (Python >= 3.11.4 / 3.12) rejects links and absolute paths too.
_TAR_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


class _temporary_file:
    """``with _temporary_file(folder, name) as (tmp_path, file)``: a hidden temp file in
    ``folder`` that is removed on exit unless the body renamed it away."""

    def __init__(self, folder: str, name: str) -> None:
        self.folder = folder or "."
        self.name = name

    def __enter__(self):
        # open(..., "xb") rather than mkstemp: the file gets the usual umask permissions.
        self.tmp_path = os.path.join(self.folder,
                                     f".{self.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
        self.file = open(self.tmp_path, "xb")
        return self.tmp_path, self.file

    def __exit__(self, *exc_info) -> None:
        self.file.close()
        if os.path.exists(self.tmp_path):
            os.remove(self.tmp_path)
