"""save and load: checkpoints that run no code when read, unless asked to (weights_only=False).

``minitorch.save(obj, f)`` writes (nested) dicts, OrderedDicts, lists and tuples of
tensors and Python scalars (int, float, bool, str, None) -- a ``state_dict()`` of a
module or an optimizer -- without any pickle. Any other picklable object (a whole
``nn.Module``, an optimizer, a dict holding them, a set, a NumPy array) is pickled, as
torch.save does (``_checkpoint_pickle.py``): in minitorch's format as ``objects.pkl``
beside the tensors' .npy records (``"version": 3``, ``"root": {"pickle": "objects.pkl"}``).
``f`` is a path (str or PathLike) or a binary file object.

Two formats, both zip archives; ``load`` tells them apart by their contents:

* ``format="minitorch"`` (the default): ``manifest.json`` describes the structure,
  ``tensors/<i>.npy`` hold the values, one NumPy ``.npy`` file per tensor::

      {"format": "minitorch", "version": 1,
       "root": {"OrderedDict": [["weight", {"tensor": 0}], ["bias", {"tensor": 1}]]},
       "tensors": [{"file": "tensors/0.npy", "dtype": "float32", "shape": [2, 3],
                    "requires_grad": false, "device": "cpu"}, ...]}

  A value in the manifest is a JSON scalar or one of ``{"list": [...]}``,
  ``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}``, ``{"OrderedDict": ...}``,
  ``{"tensor": i}``, ``{"float": "nan" | "inf" | "-inf"}``. An expanded tensor (a dim
  of stride 0, as ``expand`` makes) is stored as the values it repeats: its entry has
  ``"expanded_from": [1, 3]`` (the .npy's shape) and the file says ``"version": 2``
  (version 1 otherwise, so that older minitorch still reads every other file). Reading
  it is JSON and ``numpy.load(allow_pickle=False)``'s header parser: no pickle at all.
* ``format="torch"``: the layout of ``torch.save`` (see ``_torch_format.py``), so that
  ``torch.load(path, weights_only=True)`` reads the file. Use it for files PyTorch
  must read; the default stays minitorch's format, which needs no pickle machine. As
  torch.save does, it writes storages, not values: tensors sharing memory share a
  storage, an expanded tensor costs the memory it uses, strides are kept.

``load`` reads both, and files written by ``torch.save``. With ``weights_only=True``
(the default, as in PyTorch 2.6+) a pickle is read with an allowlist (tensors,
Parameters, containers, scalars, set, complex, bytes, dtypes, Size, device, plus what
``add_safe_globals`` allowed), so a file can't run code: anything else is refused with
PyTorch's "Weights only load failed" ``pickle.UnpicklingError``. ``weights_only=False``
unpickles whatever the file names -- it can run arbitrary code, so use it only for
files you trust, as PyTorch warns for torch.load.
A torch tensor loads as a view of its storage, as in torch: views that shared a
storage share memory again, and an expanded tensor is a read-only stride-0 view.

Any other damage to a file (truncation, flipped bits, a header declaring sizes the
file doesn't hold, an unknown compression method) raises ``RuntimeError`` saying the
checkpoint is corrupt, chained from the error that found it. Declared sizes (records,
.npy headers, storages, a tensor's offset and strides) are checked against the bytes
the file really holds before anything is allocated, so a corrupt header can't ask
for terabytes.

Saving to a path is atomic (see ``_checkpoint_files.py``): the file is written next to
the target under a temporary name holding the writer's process id, flushed to disk and
renamed over the target, so a crash leaves the previous file (or none), never a
partial one. A failed save removes its temporary file; one left by a killed process
is removed by the next save of the same target, once its writer is gone. A file
object is written in place.

In a container checkpoint (no pickle, or a torch file read with weights_only=True),
tensors come back as plain tensors (a saved ``Parameter`` loads as a ``Tensor`` with
its ``requires_grad``); in a pickled one, Parameters stay Parameters (a module's
parameters must). A tensor that appears twice in ``obj`` is stored once and comes back
as one tensor; in minitorch's format, views are saved by value. A pickled object loads
only where its class can be imported; a whole PyTorch module or optimizer can't be
rebuilt in minitorch (load its state_dict instead), and a minitorch module saved with
format="torch" can't be rebuilt in PyTorch (it would be a minitorch object).
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import pickle
import zipfile
from collections import OrderedDict
from typing import IO, Any, Callable

import numpy as np

from . import _backends as backends, _checkpoint_pickle, _torch_format, _torch_writer, dtypes
from ._checkpoint_pickle import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals  # noqa: F401
from ._checkpoint_files import write_atomic
from ._checkpoint_zip import Archive, CheckpointError, Refused, read_exactly
from .device import as_device, device
from .tensor import Tensor

__all__ = ["save", "load", "add_safe_globals", "clear_safe_globals", "get_safe_globals", "safe_globals"]

_MANIFEST = "manifest.json"
_FORMAT_VERSIONS = (1, 2, 3)  # 2: a tensor may be "expanded_from" a smaller shape; 3: objects.pkl
_OBJECTS = "objects.pkl"
_SCALARS = (type(None), bool, int, float, str)
_ZIP_MAGIC = b"PK\x03\x04"
_ANONYMOUS = "the checkpoint"  # how messages name a file object without a name
# torch.save before 1.6 pickled the magic number 0x1950a86a20f9469cfc6c first.
_LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


# PyTorch's checkpoints are pickles, so torch.save/load report a file or an object they can't
# handle with pickle's exceptions (and EOFError for an empty file). minitorch's messages say
# more; its exceptions are of both kinds, so that `except RuntimeError` and the
# `except pickle.UnpicklingError` of a script ported from PyTorch both catch them.
class NotACheckpointError(RuntimeError, pickle.UnpicklingError):
    """The file is no zip archive: not a checkpoint of minitorch or of PyTorch >= 1.6."""


class EmptyCheckpointError(RuntimeError, EOFError):
    """The file is empty."""


class UnsupportedObjectError(TypeError, pickle.PicklingError):
    """save was given an object a checkpoint can't hold (a function, a module, ...)."""


class _NotAFile(TypeError, AttributeError):
    """load was given something that is neither a path nor a file object (PyTorch's
    AttributeError, from calling its missing seek)."""


def save(obj: Any, f: str | os.PathLike | IO[bytes],
         format: str = "minitorch",  # noqa: A002 - the natural name
         _use_new_zipfile_serialization: bool = True) -> None:
    """Write obj (a state_dict, a whole module, any picklable object) to a path or binary file object."""
    if format not in ("minitorch", "torch"):
        raise ValueError(f"save() format must be 'minitorch' or 'torch', got {format!r}")
    if not _use_new_zipfile_serialization:
        raise ValueError("minitorch.save only writes zip archives, not the legacy torch format")
    tensors: list[Tensor] = []
    try:
        root = _encode(obj, "obj", tensors, {}, set())
    except (TypeError, ValueError):  # not just tensors, containers and scalars: pickle it
        root = None

    def write(fileobj: IO[bytes]) -> None:
        if root is None:
            _write_objects(fileobj, obj, format)
            return
        arrays = [(_host_array(t), t.requires_grad, str(t.device)) for t in tensors]
        (_write_minitorch if format == "minitorch" else _torch_writer.write)(fileobj, root, arrays)

    if isinstance(f, (str, os.PathLike)):
        parent = os.path.dirname(os.fspath(f))
        if parent and not os.path.isdir(parent):
            raise RuntimeError(f"Parent directory {parent} does not exist.")
        write_atomic(os.fspath(f), write)
    elif hasattr(f, "write"):
        write(f)
    else:
        raise _NotAFile(f"expected 'f' to be string, path, or a file-like object with a 'write' attribute, "
                        f"not {_type_name(f)}")


def load(f: str | os.PathLike | IO[bytes], map_location=None, weights_only: bool = True) -> Any:
    """Read a checkpoint written by minitorch.save or torch.save.

    weights_only=True (the default): only tensors, containers, scalars and the globals
    allowed by add_safe_globals load, and no code from the file runs; anything else is
    refused with pickle.UnpicklingError. weights_only=False unpickles whatever the file
    holds (whole modules, optimizers): it can run arbitrary code -- only for trusted files.

    map_location: None (tensors go back to the device they were saved from), a device
    or device string (all tensors go there), a dict {saved: target} of device strings,
    or a callable(tensor_on_cpu, saved_location) returning a tensor on the target device
    or None.
    """
    make_tensor = _TensorMaker(map_location)
    with _open_for_reading(f) as (fileobj, name):
        head = fileobj.read(16)
        fileobj.seek(-len(head), io.SEEK_CUR)
        if not head.startswith(_ZIP_MAGIC):
            raise (NotACheckpointError if head else EmptyCheckpointError)(_not_a_checkpoint(name, head))
        try:
            return _read_archive(fileobj, make_tensor, weights_only)
        except CheckpointError as e:
            message = str(e) if name == _ANONYMOUS else f"{name}: {e}"
            raise _plain(RuntimeError, message, e) from e.__cause__
        except Refused as e:
            raise _plain(pickle.UnpicklingError, _checkpoint_pickle.weights_only_failure(str(e)), e) from None
        except _DeviceError as e:  # from map_location or the device: not the file's fault
            raise e.error.with_traceback(e.error.__traceback__) from None
        except MemoryError as e:
            raise RuntimeError(f"not enough memory to load {name} (its sizes are consistent with "
                               f"the file; {e})") from e
        except Exception as e:  # noqa: BLE001 - what damage makes zipfile, zlib, json, numpy, pickle raise
            raise RuntimeError(f"{name} is truncated or corrupt ({type(e).__name__}: {e})") from e


def _read_archive(fileobj: IO[bytes], make_tensor: Callable, weights_only: bool) -> Any:
    with Archive(fileobj) as archive:
        if _MANIFEST in archive:
            return _read_minitorch(archive, make_tensor, weights_only)
        prefix = _torch_format.prefix(archive)
        if prefix is not None:
            return _torch_format.read(archive, prefix, make_tensor, weights_only)
        raise CheckpointError(f"a zip archive with no {_MANIFEST} and no data.pkl is neither a minitorch "
                              "nor a PyTorch checkpoint (or it is corrupt)")


def _plain(kind: type, message: str, error: BaseException) -> BaseException:
    """error, as a plain exception of the type load documents (its traceback kept)."""
    return kind(message).with_traceback(error.__traceback__)


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
        raise UnsupportedObjectError(
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
def _write_objects(fileobj: IO[bytes], obj: Any, format: str) -> None:  # noqa: A002
    """obj pickled: minitorch's format keeps each plain tensor as a .npy record, torch's is torch.save's."""
    if format == "torch":
        _torch_writer.write_objects(fileobj, obj, _host_array)
        return
    data, tensors = _checkpoint_pickle.dump(obj, lambda value: type(value) is Tensor)
    arrays = [(_host_array(t), t.requires_grad, str(t.device)) for t in tensors]
    _write_minitorch(fileobj, {"pickle": _OBJECTS}, arrays, objects=data)


def _write_minitorch(fileobj: IO[bytes], root: Any, arrays: list, objects: bytes | None = None) -> None:
    """The zip archive: manifest.json, then tensors/<i>.npy.

    An expanded tensor (a dim of stride 0) is stored as the values it was expanded from
    (``"expanded_from"``: that shape), so it costs what it holds in memory, not its size.
    """
    entries = []
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as archive:
        for i, (array, requires_grad, location) in enumerate(arrays):
            entries.append({"file": f"tensors/{i}.npy", "dtype": dtypes.FROM_NP[array.dtype].name,
                            "shape": list(array.shape), "requires_grad": requires_grad,
                            "device": location})
            broadcast = tuple(n > 1 and s == 0 for n, s in zip(array.shape, array.strides))
            if any(broadcast):
                array = array[tuple(slice(0, 1) if b else slice(None) for b in broadcast)]
                entries[-1]["expanded_from"] = list(array.shape)
            # Over 2 GiB needs zip64 headers, which must be chosen before writing starts.
            zip64 = array.nbytes + 4096 > zipfile.ZIP64_LIMIT
            with archive.open(entries[-1]["file"], "w", force_zip64=zip64) as out:
                np.lib.format.write_array(out, array, allow_pickle=False)
        version = 2 if any("expanded_from" in entry for entry in entries) else 1
        if objects is not None:
            archive.writestr(_OBJECTS, objects)
            version = 3
        manifest = {"format": "minitorch", "version": version, "root": root, "tensors": entries}
        archive.writestr(_MANIFEST, json.dumps(manifest, allow_nan=False))


def _read_minitorch(archive: Archive, make_tensor: Callable, weights_only: bool = True) -> Any:
    manifest = json.loads(archive.read(_MANIFEST))
    if not isinstance(manifest, dict) or manifest.get("format") != "minitorch":
        raise _corrupt(f"{_MANIFEST} does not describe a minitorch checkpoint")
    if manifest.get("version") not in _FORMAT_VERSIONS:
        raise CheckpointError(f"the checkpoint has format version {manifest.get('version')!r:.20}; this "
                              f"minitorch reads versions {', '.join(map(str, _FORMAT_VERSIONS))}")
    entries = manifest.get("tensors", [])
    if not isinstance(entries, list):
        raise _corrupt("the manifest's tensor list is not a list")
    tensors = [make_tensor(*_read_entry(archive, entry)) for entry in entries]
    root = manifest.get("root")
    if manifest["version"] == 3 and root == {"pickle": _OBJECTS}:
        return _checkpoint_pickle.load(archive.read(_OBJECTS), tensors, weights_only)
    return _decode(root, tensors)


def _read_entry(archive: Archive, entry: Any) -> tuple[np.ndarray, bool, str]:
    """One tensor's (values, requires_grad, device), checked against what the manifest says."""
    try:
        name, dtype, shape = entry["file"], dtypes._NAMES[entry["dtype"]], entry["shape"]
        requires_grad, location = entry["requires_grad"], entry["device"]
        stored = entry.get("expanded_from", shape)
    except (KeyError, TypeError, AttributeError):
        raise _corrupt(f"malformed tensor entry {entry!r:.80} in the manifest") from None
    if not (type(name) is str and type(requires_grad) is bool and type(location) is str
            and _is_shape(shape) and _is_shape(stored) and len(stored) == len(shape)
            and all(m in (n, 1) for m, n in zip(stored, shape))):
        raise _corrupt(f"malformed tensor entry {entry!r:.80} in the manifest")
    values = _read_npy(archive, name, dtype, tuple(stored))
    return (values if stored == shape else np.broadcast_to(values, tuple(shape))), requires_grad, location


def _read_npy(archive: Archive, name: str, dtype: dtypes.dtype, shape: tuple) -> np.ndarray:
    """The values in a .npy record, its header checked against the manifest and the record's
    size before anything is allocated."""
    size = archive.info(name).file_size
    with archive.open(name) as blob:
        version = np.lib.format.read_magic(blob)
        if version not in ((1, 0), (2, 0)):
            raise _corrupt(f"{name} is a .npy file of version {version}, which minitorch does not write")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        file_shape, fortran_order, file_dtype = read_header(blob)
        if file_dtype.hasobject:
            raise _corrupt(f"{name} holds Python objects (a pickle), which minitorch never loads")
        if file_dtype.newbyteorder("=") != dtype.np or file_shape != shape:
            raise _corrupt(f"{name} holds {file_dtype}{list(file_shape)}, the manifest says "
                           f"{dtype.name}{list(shape)}")
        nbytes = math.prod(shape) * file_dtype.itemsize
        if blob.tell() + nbytes != size:
            raise _corrupt(f"{name} declares {nbytes} bytes of values but holds {size - blob.tell()}")
        raw = read_exactly(blob, nbytes, name)
    array = raw.view(file_dtype).reshape(shape, order="F" if fortran_order else "C")
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def _is_shape(shape: Any) -> bool:
    return (type(shape) is list and len(shape) <= 64
            and all(type(n) is int and 0 <= n < 2**63 for n in shape) and math.prod(shape) < 2**63)


# ----- files ---------------------------------------------------------------------------
@contextlib.contextmanager
def _open_for_reading(f: str | os.PathLike | IO[bytes]):
    """(a seekable binary file, a name for messages), opening a path."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fileobj:
            yield fileobj, repr(os.fspath(f))
        return
    if not hasattr(f, "read"):
        raise _NotAFile(f"load() expected a path or a binary file object, got {_type_name(f)}")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    name = getattr(f, "name", None)
    yield f, repr(name) if isinstance(name, str) else _ANONYMOUS


def _not_a_checkpoint(name: str, head: bytes) -> str:
    if not head:
        return f"{name} is empty: it is not a checkpoint"
    if head.startswith(_LEGACY_TORCH_MAGIC[:4]):
        return (f"{name} is in the legacy format of torch.save before PyTorch 1.6, which minitorch "
                "does not read; load it in PyTorch and save it again")
    return f"{name} is not a minitorch or PyTorch checkpoint (a zip archive); it starts with {head!r}"


# ----- devices -------------------------------------------------------------------------
def _host_array(t: Tensor) -> np.ndarray:
    """t's values as a NumPy array without materialising an expanded tensor: a CPU tensor's
    own array; for another device, a host copy of the values its stride-0 dims repeat,
    expanded again on the host."""
    if t.device.type == "cpu":
        return t.detach().numpy()
    shape = tuple(t.shape)
    broadcast = tuple(n > 1 and s == 0 for n, s in zip(shape, t.stride()))
    if not any(broadcast):
        return t.detach().cpu().numpy()
    compact = t.detach()[tuple(slice(0, 1) if b else slice(None) for b in broadcast)]
    return np.broadcast_to(compact.cpu().numpy(), shape)


class _DeviceError(Exception):
    """An error of map_location or of moving a tensor to its device, passed through load as it is."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _TensorMaker:
    """make_tensor(array, requires_grad, saved_location): a tensor where map_location puts it."""

    def __init__(self, map_location) -> None:
        if not (map_location is None or callable(map_location) or isinstance(map_location, (str, device, dict))):
            raise TypeError(f"map_location must be None, a device, a str, a dict or a callable, "
                            f"got {_type_name(map_location)}")
        self.map_location = map_location

    def __call__(self, array: np.ndarray, requires_grad: bool, location: str) -> Tensor:
        if requires_grad and not dtypes.FROM_NP[array.dtype.newbyteorder("=")].is_floating_point:
            raise _corrupt(f"a {array.dtype} tensor requires grad, which only floating point tensors can")
        cpu = Tensor._wrap(array, backends.cpu)
        map_location = self.map_location
        try:
            if callable(map_location):
                moved = map_location(cpu, location)
                target = location if moved is None else moved.device
            elif isinstance(map_location, dict):
                target = map_location.get(location, location)
            else:
                target = location if map_location is None else map_location
        except Exception as e:
            raise _DeviceError(e) from e
        try:
            backend = backends.get(as_device(target))
        except RuntimeError as e:
            raise CheckpointError(f"the checkpoint holds a tensor saved on {location:.40}: {e}; pass "
                                  "map_location='cpu' to load it on the CPU") from None
        try:
            t = cpu if backend is backends.cpu else Tensor._wrap(_to_device(backend, array), backend)
        except Exception as e:
            raise _DeviceError(e) from e
        if requires_grad:
            t.requires_grad_(True)
        return t


def _to_device(backend, array: np.ndarray):
    """A device copy of array; an expanded array (stride 0) is copied compact and expanded there."""
    broadcast = tuple(n > 1 and s == 0 for n, s in zip(array.shape, array.strides))
    if not any(broadcast):
        return backend.from_numpy(array)
    compact = array[tuple(slice(0, 1) if b else slice(None) for b in broadcast)]
    return backend.expand(backend.from_numpy(compact), array.shape)


def _corrupt(what: str) -> CheckpointError:
    return CheckpointError(f"corrupt minitorch checkpoint: {what}")


def _type_name(obj: Any) -> str:
    kind = type(obj)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
