"""save and load: checkpoints that run no code when read.

``minitorch.save(obj, f)`` writes (nested) dicts, OrderedDicts, lists and tuples of
tensors and Python scalars (int, float, bool, str, None) -- a ``state_dict()`` of a
module or an optimizer. ``f`` is a path (str or PathLike) or a binary file object.

Two formats, both zip archives; ``load`` tells them apart by their contents:

* ``format="minitorch"`` (the default): ``manifest.json`` describes the structure,
  ``tensors/<i>.npy`` hold the values, one NumPy ``.npy`` file per tensor::

      {"format": "minitorch", "version": 1,
       "root": {"OrderedDict": [["weight", {"tensor": 0}], ["bias", {"tensor": 1}]]},
       "tensors": [{"file": "tensors/0.npy", "dtype": "float32", "shape": [2, 3],
                    "requires_grad": false, "device": "cpu"}, ...]}

  A value in the manifest is a JSON scalar or one of ``{"list": [...]}``,
  ``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}``, ``{"OrderedDict": ...}``,
  ``{"tensor": i}``, ``{"float": "nan" | "inf" | "-inf"}``. Reading it is JSON and
  ``numpy.load(allow_pickle=False)``: no pickle at all.
* ``format="torch"``: the layout of ``torch.save`` (see ``_torch_format.py``), so that
  ``torch.load(path, weights_only=True)`` reads the file. Use it for files PyTorch
  must read; the default stays minitorch's format, which needs no pickle machine.

``load`` reads both, and files written by ``torch.save``; a torch file is unpickled
with an allowlist (tensors, containers, scalars), so a file can't run code: anything
else is refused with ``pickle.UnpicklingError``. ``weights_only`` is accepted for
PyTorch compatibility and changes nothing: minitorch never loads arbitrary objects.

Saving to a path is atomic: the file is written next to the target under a temporary
name (``.<name>.<hex>.tmp``), flushed to disk and renamed over the target, so a crash
leaves the previous file (or none), never a partial one; a killed process may leave
its temporary file behind. A file object is written in place.

Tensors come back as plain tensors (a saved ``Parameter`` loads as a ``Tensor`` with
its ``requires_grad``). A tensor that appears twice in ``obj`` is stored once and
comes back as one tensor; views are saved by value.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import secrets
import stat
import zipfile
from collections import OrderedDict
from typing import IO, Any, Callable

import numpy as np

from . import _torch_format, backends, dtypes
from .device import as_device, device
from .tensor import Tensor

_MANIFEST = "manifest.json"
_FORMAT_VERSION = 1
_SCALARS = (type(None), bool, int, float, str)
_ZIP_MAGIC = b"PK\x03\x04"
# torch.save before 1.6 pickled the magic number 0x1950a86a20f9469cfc6c first.
_LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


def save(obj: Any, f: str | os.PathLike | IO[bytes],
         format: str = "minitorch",  # noqa: A002 - the natural name
         _use_new_zipfile_serialization: bool = True) -> None:
    """Write obj (dicts, lists, tuples of tensors and scalars) to a path or binary file object."""
    if format not in ("minitorch", "torch"):
        raise ValueError(f"save() format must be 'minitorch' or 'torch', got {format!r}")
    if not _use_new_zipfile_serialization:
        raise ValueError("minitorch.save only writes zip archives, not the legacy torch format")
    tensors: list[Tensor] = []
    root = _encode(obj, "obj", tensors, {}, set())
    writer = _write_minitorch if format == "minitorch" else _torch_format.write

    def write(fileobj: IO[bytes]) -> None:
        arrays = [(t._backend.to_numpy(t._data), t.requires_grad, str(t.device)) for t in tensors]
        writer(fileobj, root, arrays)

    if isinstance(f, (str, os.PathLike)):
        _write_atomic(os.fspath(f), write)
    else:
        write(f)


def load(f: str | os.PathLike | IO[bytes], map_location=None, weights_only: bool = True) -> Any:
    """Read a checkpoint written by minitorch.save or torch.save; never runs code from the file.

    map_location: None (tensors go back to the device they were saved from), a device
    or device string (all tensors go there), a dict {saved: target} of device strings,
    or a callable(tensor_on_cpu, saved_location) returning a tensor on the target device
    or None.
    """
    with _open_for_reading(f) as (fileobj, name):
        head = fileobj.read(16)
        fileobj.seek(-len(head), io.SEEK_CUR)
        if not head.startswith(_ZIP_MAGIC):
            raise RuntimeError(_not_a_checkpoint(name, head))
        try:
            archive = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise RuntimeError(f"{name} is truncated or corrupt: not a readable zip archive ({e})") from None
        make_tensor = _tensor_maker(map_location)
        with archive:
            try:
                if _MANIFEST in archive.namelist():
                    return _read_minitorch(archive, make_tensor)
                if _torch_format.is_torch_archive(archive):
                    return _torch_format.read(archive, make_tensor)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
                raise RuntimeError(f"{name} is truncated or corrupt: {e}") from None
            raise RuntimeError(f"{name} is a zip archive but neither a minitorch nor a PyTorch checkpoint "
                               f"(it has no {_MANIFEST} and no data.pkl)")


# ----- the structure: Python objects <-> manifest values -------------------------------
def _encode(obj: Any, path: str, tensors: list, memo: dict, active: set) -> Any:
    """The manifest value of obj; its tensors are appended to ``tensors`` (once each)."""
    kind = type(obj)
    if isinstance(obj, Tensor):
        if id(obj) not in memo:
            memo[id(obj)] = len(tensors)
            tensors.append(obj)
        return {"tensor": memo[id(obj)]}
    if kind is float and not math.isfinite(obj):
        return {"float": repr(obj)}
    if kind in _SCALARS:
        return obj
    if kind not in (dict, OrderedDict, list, tuple):
        raise TypeError(
            f"minitorch.save can't save an object of type {_type_name(obj)} (at {path}): a checkpoint "
            "holds tensors, dicts and OrderedDicts with str or int keys, lists, tuples, and "
            "int, float, bool, str or None")
    if id(obj) in active:
        raise ValueError(f"minitorch.save can't save a reference cycle: {path} contains itself")
    active.add(id(obj))
    if kind is list or kind is tuple:
        items = [_encode(v, f"{path}[{i}]", tensors, memo, active) for i, v in enumerate(obj)]
        value = {kind.__name__: items}
    else:
        for key in obj:
            if type(key) not in (str, int):
                raise TypeError(f"minitorch.save can't save the dict key {key!r} of type "
                                f"{_type_name(key)} (in {path}): keys must be str or int")
        value = {kind.__name__: [[k, _encode(v, f"{path}[{k!r}]", tensors, memo, active)]
                                 for k, v in obj.items()]}
    active.discard(id(obj))
    return value


def _decode(value: Any, tensors: list) -> Any:
    """The Python object a manifest value describes."""
    if not isinstance(value, dict):
        if isinstance(value, list):
            raise _corrupt(f"unexpected list {value!r:.80} in the manifest")
        return value
    if len(value) != 1:
        raise _corrupt(f"unexpected entry {value!r:.80} in the manifest")
    (kind, body), = value.items()
    if kind == "tensor" and type(body) is int and 0 <= body < len(tensors):
        return tensors[body]
    if kind == "float" and body in ("nan", "inf", "-inf"):
        return float(body)
    if kind in ("list", "tuple") and isinstance(body, list):
        items = [_decode(v, tensors) for v in body]
        return items if kind == "list" else tuple(items)
    if kind in ("dict", "OrderedDict") and isinstance(body, list):
        if not all(isinstance(p, list) and len(p) == 2 and type(p[0]) in (str, int) for p in body):
            raise _corrupt(f"malformed {kind} in the manifest")
        return (dict if kind == "dict" else OrderedDict)((k, _decode(v, tensors)) for k, v in body)
    raise _corrupt(f"unexpected entry {value!r:.80} in the manifest")


# ----- minitorch's format ---------------------------------------------------------------
def _write_minitorch(fileobj: IO[bytes], root: Any, arrays: list) -> None:
    """The zip archive: manifest.json, then tensors/<i>.npy."""
    entries = []
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as archive:
        for i, (array, requires_grad, location) in enumerate(arrays):
            entries.append({"file": f"tensors/{i}.npy", "dtype": dtypes.FROM_NP[array.dtype].name,
                            "shape": list(array.shape), "requires_grad": requires_grad,
                            "device": location})
            # Over 2 GiB needs zip64 headers, which must be chosen before writing starts.
            zip64 = array.nbytes + 4096 > zipfile.ZIP64_LIMIT
            with archive.open(entries[-1]["file"], "w", force_zip64=zip64) as out:
                np.lib.format.write_array(out, array, allow_pickle=False)
        manifest = {"format": "minitorch", "version": _FORMAT_VERSION, "root": root, "tensors": entries}
        archive.writestr(_MANIFEST, json.dumps(manifest, allow_nan=False))


def _read_minitorch(archive: zipfile.ZipFile, make_tensor: Callable) -> Any:
    try:
        manifest = json.loads(archive.read(_MANIFEST))
    except (RecursionError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _corrupt(f"{_MANIFEST} is not valid JSON ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "minitorch":
        raise _corrupt(f"{_MANIFEST} does not describe a minitorch checkpoint")
    if manifest.get("version") != _FORMAT_VERSION:
        raise RuntimeError(f"the checkpoint has format version {manifest.get('version')!r}; this "
                           f"minitorch reads version {_FORMAT_VERSION}")
    tensors = [make_tensor(_read_npy(archive, entry), entry["requires_grad"], entry["device"])
               for entry in manifest.get("tensors", [])]
    try:
        return _decode(manifest.get("root"), tensors)
    except RecursionError:
        raise _corrupt("the manifest is nested too deeply") from None


def _read_npy(archive: zipfile.ZipFile, entry: Any) -> np.ndarray:
    """One tensor's values, checked against what the manifest says about them."""
    try:
        name, dtype, shape = entry["file"], dtypes._NAMES[entry["dtype"]], tuple(entry["shape"])
        requires_grad, location = entry["requires_grad"], entry["device"]
    except (KeyError, TypeError):
        raise _corrupt(f"malformed tensor entry {entry!r:.80} in the manifest") from None
    if type(requires_grad) is not bool or type(location) is not str:
        raise _corrupt(f"malformed tensor entry {entry!r:.80} in the manifest")
    try:
        with archive.open(name) as blob:
            array = np.lib.format.read_array(blob, allow_pickle=False)
            if blob.read(1):
                raise _corrupt(f"{name} has bytes after the array")
    except KeyError:
        raise _corrupt(f"the manifest names {name!r}, which is not in the archive") from None
    if array.dtype != dtype.np or array.shape != shape:
        raise _corrupt(f"{name} holds {array.dtype}{list(array.shape)}, the manifest says "
                       f"{dtype.name}{list(shape)}")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


# ----- files ---------------------------------------------------------------------------
def _write_atomic(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """write(file) into a temporary file beside path, fsync it, then rename it over path."""
    target = os.path.realpath(path)  # through a symlink, as open(path, "wb") would write
    directory, name = os.path.split(target)
    temp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
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


@contextlib.contextmanager
def _open_for_reading(f: str | os.PathLike | IO[bytes]):
    """(a seekable binary file, a name for messages), opening a path."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fileobj:
            yield fileobj, repr(os.fspath(f))
        return
    if not hasattr(f, "read"):
        raise TypeError(f"load() expected a path or a binary file object, got {_type_name(f)}")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    yield f, "the checkpoint"


def _not_a_checkpoint(name: str, head: bytes) -> str:
    if not head:
        return f"{name} is empty: it is not a checkpoint"
    if head.startswith(_LEGACY_TORCH_MAGIC[:4]):
        return (f"{name} is in the legacy format of torch.save before PyTorch 1.6, which minitorch "
                "does not read; load it in PyTorch and save it again")
    return f"{name} is not a minitorch or PyTorch checkpoint (a zip archive); it starts with {head!r}"


# ----- devices -------------------------------------------------------------------------
def _tensor_maker(map_location) -> Callable[[np.ndarray, bool, str], Tensor]:
    """make_tensor(array, requires_grad, saved_location): a tensor where map_location puts it."""
    if not (map_location is None or callable(map_location) or isinstance(map_location, (str, device, dict))):
        raise TypeError(f"map_location must be None, a device, a str, a dict or a callable, "
                        f"got {_type_name(map_location)}")

    def make_tensor(array: np.ndarray, requires_grad: bool, location: str) -> Tensor:
        cpu = Tensor._wrap(array, backends.cpu)
        if callable(map_location):
            moved = map_location(cpu, location)
            target = location if moved is None else moved.device
        elif isinstance(map_location, dict):
            target = map_location.get(location, location)
        else:
            target = location if map_location is None else map_location
        try:
            backend = backends.get(as_device(target))
        except RuntimeError as e:
            raise RuntimeError(f"the checkpoint holds a tensor saved on {location}: {e}; pass "
                               "map_location='cpu' to load it on the CPU") from None
        t = cpu if backend is backends.cpu else Tensor._wrap(backend.from_numpy(array), backend)
        if requires_grad:
            t.requires_grad_(True)
        return t

    return make_tensor


def _corrupt(what: str) -> RuntimeError:
    return RuntimeError(f"corrupt minitorch checkpoint: {what}")


def _type_name(obj: Any) -> str:
    kind = type(obj)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
