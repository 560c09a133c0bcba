"""minitorch.hub: PyTorch's cache of downloaded checkpoints, and the ``tqdm`` it re-exports.

Checkpoints live where PyTorch keeps them (``$TORCH_HOME/hub/checkpoints``, by default
``~/.cache/torch/hub/checkpoints``), so a file PyTorch downloaded is found here too.
A download streams into a temporary file next to its destination, is checked against the
SHA-256 prefix in its name when asked, and is renamed into place only when complete. Offline,
``load_state_dict_from_url`` says which file is missing, where it goes and where it comes from.
Loading code from GitHub repositories (``hub.load``, ``hub.list``, ``hub.help``) is not supported.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
from urllib.parse import urlparse

from tqdm import tqdm  # noqa: F401 - PyTorch's torch.hub re-exports it

from .serialization import load as _load

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]

# The hex digits between the last '-' and the extension of a published checkpoint's name
# ("resnet18-f37072fd.pth") are the start of its SHA-256.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_TIMEOUT_S = 10.0
_CHUNK = 1 << 16
_hub_dir: str | None = None


def _get_torch_home() -> str:
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")))


def get_dir() -> str:
    """The hub's cache directory: set_dir's, else ``$TORCH_HOME/hub`` (``~/.cache/torch/hub``)."""
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d) -> None:
    """Use d as the hub's cache directory."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None, progress: bool = True) -> None:
    """Download url to dst, all or nothing; RuntimeError when the file's SHA-256 does not start
    with hash_prefix (then nothing is written)."""
    dst = os.path.expanduser(dst)
    folder = os.path.dirname(os.path.abspath(dst))
    request = urllib.request.Request(url, headers={"User-Agent": "torch.hub"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        length = response.headers.get("Content-Length") if hasattr(response, "headers") else None
        total = int(length) if length else None
        handle, tmp = tempfile.mkstemp(prefix=os.path.basename(dst) + ".", suffix=".partial", dir=folder)
        try:
            digest = hashlib.sha256()
            with os.fdopen(handle, "wb") as file, tqdm(total=total, disable=not progress, unit="B", unit_scale=True,
                                                       unit_divisor=1024) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    file.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            if hash_prefix is not None:
                got = digest.hexdigest()
                if got[:len(hash_prefix)] != hash_prefix:
                    raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{got}")')
            os.replace(tmp, dst)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None, weights_only: bool = False):
    """The checkpoint at url, from the cache (``<hub dir>/checkpoints/<file name>``) or
    downloaded into it first; check_hash: the download's SHA-256 must start with the hex digits
    after the last '-' of the file name. Offline, a URLError naming the file and its place."""
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        try:
            download_url_to_file(url, cached_file, hash_prefix, progress=progress)
        except urllib.error.URLError as error:
            raise urllib.error.URLError(
                f"could not download {url} ({error.reason}), and {cached_file} is not there: download the file "
                "on a machine with internet access and copy it to that path (or set TORCH_HOME / hub.set_dir to "
                "a directory whose checkpoints/ folder holds it)") from error
    return _load(cached_file, map_location=map_location, weights_only=weights_only)


def _no_github(name: str):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"torch.hub.{name} is not supported by minitorch: it runs model code from a "
                                  "GitHub repository, written for PyTorch. Build the model with minitorch's own "
                                  "layers and load its weights with hub.load_state_dict_from_url.")
    refuse.__name__ = refuse.__qualname__ = name
    refuse.__doc__ = f"Not supported: torch.hub.{name} loads model code from GitHub."
    return refuse


load = _no_github("load")
list = _no_github("list")  # noqa: A001 - PyTorch's name
help = _no_github("help")  # noqa: A001 - PyTorch's name
