"""save/load: round trips in both formats, atomic writes, refusal of code and of broken files,
and PyTorch interop (files written by torch.save load; files written with format="torch"
load in torch.load(weights_only=True))."""
import io
import os
import pathlib
import pickle
import signal
import stat
import subprocess
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitorch
from minitorch.serialization import load, save
from tests._compat import requires_torch, torch

FORMATS = ("minitorch", "torch")
DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
ROOT = pathlib.Path(__file__).resolve().parents[1]


def round_trip(obj, fmt, **load_kwargs):
    buffer = io.BytesIO()
    save(obj, buffer, format=fmt)
    buffer.seek(0)
    return load(buffer, **load_kwargs)


def assert_same(actual, expected, where="obj"):
    """Same structure (exact container types, key order), same tensors bit for bit."""
    if isinstance(expected, minitorch.Tensor) or (torch is not None and isinstance(expected, torch.Tensor)):
        assert type(actual) in (minitorch.Tensor, torch.Tensor if torch else None), where
        assert str(actual.dtype) == str(expected.dtype), where
        assert tuple(actual.shape) == tuple(expected.shape), where
        assert actual.requires_grad == expected.requires_grad, where
        a, e = actual.detach().numpy(), expected.detach().numpy()
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(e).tobytes(), where
        return
    assert type(actual) is type(expected), f"{where}: {type(actual)} != {type(expected)}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), where
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{i}]")
    elif isinstance(expected, float) and np.isnan(expected):
        assert np.isnan(actual), where
    else:
        assert actual == expected, where


def optimizer_like_state():
    """The shape of an Adam state_dict: int keys, tensors, a tuple, None, a list of ints."""
    return {
        "state": {0: {"step": minitorch.tensor(3.0), "exp_avg": minitorch.ones(2, 3),
                      "exp_avg_sq": minitorch.zeros(3)}},
        "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
                          "amsgrad": False, "foreach": None, "params": [0, 1]}],
    }


# ----- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_keeps_nested_structure_container_types_and_key_order(fmt):
    x = minitorch.arange(12.0).reshape(3, 4)
    obj = OrderedDict([
        ("z_first", x), ("a_second", [1, -7, 2**70, 2.5, float("nan"), float("inf"), float("-inf")]),
        ("scalars", (None, True, False, "héllo \u2603", "")),
        ("ints", {3: "three", -1: "minus one", 0: {}}),
        ("empty", ([], (), {}, OrderedDict())),
        ("optim", optimizer_like_state()),
    ])
    assert_same(round_trip(obj, fmt), obj)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("value", [minitorch.tensor(2.5), minitorch.tensor(7), minitorch.zeros(0),
                                   minitorch.zeros(3, 0, 2, dtype=minitorch.int16), 42, "text", None])
def test_round_trip_of_a_bare_tensor_0d_empty_or_scalar(fmt, value):
    assert_same(round_trip(value, fmt), value)


@st.composite
def tensors_with_layout(draw):
    """(values as a contiguous array, a tensor holding them: contiguous, permuted or strided)."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    values = draw(hnp.arrays(dtype, shape))
    layout = draw(st.sampled_from(["contiguous", "permuted", "strided"]))
    if layout == "permuted" and values.ndim > 1:
        order = tuple(reversed(range(values.ndim)))
        t = minitorch.from_numpy(np.ascontiguousarray(values.transpose(order))).permute(*order)
    elif layout == "strided":
        big = np.zeros(tuple(2 * n + 1 for n in shape), dtype)
        window = tuple(slice(1, None, 2) for _ in shape)
        big[window] = values
        t = minitorch.from_numpy(big)[window] if shape else minitorch.from_numpy(big)
    else:
        t = minitorch.from_numpy(values.copy())
    return values, t


@settings(max_examples=60, deadline=None)
@given(tensors_with_layout(), st.sampled_from(FORMATS))
def test_round_trip_any_dtype_shape_and_layout_is_bit_exact(sample, fmt):
    values, t = sample
    loaded = round_trip({"t": t}, fmt)["t"]
    assert loaded.dtype is t.dtype and loaded.shape == t.shape
    assert loaded.numpy().tobytes() == values.tobytes()
    if torch is not None and fmt == "torch":
        buffer = io.BytesIO()
        save({"t": t}, buffer, format="torch")
        buffer.seek(0)
        theirs = torch.load(buffer, weights_only=True)["t"]
        assert str(theirs.dtype) == str(t.dtype) and tuple(theirs.shape) == tuple(t.shape)
        assert theirs.numpy().tobytes() == values.tobytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_tensor_saved_twice_loads_as_one_tensor(fmt):
    w = minitorch.randn(4, 4)
    loaded = round_trip({"encoder": w, "decoder": w}, fmt)
    assert loaded["encoder"] is loaded["decoder"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_parameter_loads_as_plain_tensor_keeping_requires_grad(fmt):
    p = minitorch.nn.Parameter(minitorch.ones(2, 2))
    loaded = round_trip({"p": p, "frozen": minitorch.ones(1)}, fmt)
    assert type(loaded["p"]) is minitorch.Tensor and loaded["p"].requires_grad
    assert loaded["p"].is_leaf and not loaded["frozen"].requires_grad


@pytest.mark.parametrize("fmt", FORMATS)
def test_paths_pathlike_and_open_files(tmp_path, fmt):
    obj = {"w": minitorch.arange(5)}
    save(obj, str(tmp_path / "a.pt"), format=fmt)
    save(obj, tmp_path / "b.pt", format=fmt)
    with open(tmp_path / "c.pt", "wb") as f:
        save(obj, f, format=fmt)
    for name in ("a.pt", "b.pt", "c.pt"):
        assert_same(load(tmp_path / name), obj)
        with open(tmp_path / name, "rb") as f:
            assert_same(load(f), obj)
    pipe = _Pipe()  # a stream that can't seek or tell, written and then read
    save(obj, pipe, format=fmt)
    assert_same(load(pipe), obj)
    assert sorted(os.listdir(tmp_path)) == ["a.pt", "b.pt", "c.pt"]


class _Pipe(io.RawIOBase):
    def __init__(self):
        self._data = io.BytesIO()
        self._read_from = 0

    def readable(self):
        return True

    def writable(self):
        return True

    def write(self, data):
        return self._data.write(data)

    def readinto(self, buffer):
        chunk = self._data.getbuffer()[self._read_from:self._read_from + len(buffer)]
        buffer[:len(chunk)] = chunk
        self._read_from += len(chunk)
        return len(chunk)


def test_public_names_are_wired_into_minitorch_when_present():
    assert getattr(minitorch, "save", save) is save
    assert getattr(minitorch, "load", load) is load


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("obj, refused", [
    ({"state": {0: {"step": np.float64(1.0)}}}, "numpy"),
    ([1, (2, {3, 4})], None),                 # set: allowed, as in torch
    ({"data": np.zeros(2)}, "numpy"),
    ({"f": print}, "GLOBAL print was not"),
    (b"raw", None),                           # bytes: allowed
    ({"a": {1.5: 0}}, None),                  # any key
])
def test_other_objects_are_pickled_and_weights_only_refuses_what_torch_refuses(fmt, obj, refused):
    buffer = io.BytesIO()
    save(obj, buffer, format=fmt)
    if refused is None:
        assert load(io.BytesIO(buffer.getvalue())) == obj
    else:
        with pytest.raises(pickle.UnpicklingError, match=refused):
            load(io.BytesIO(buffer.getvalue()))
    loaded = load(io.BytesIO(buffer.getvalue()), weights_only=False)
    assert pickle.dumps(loaded) == pickle.dumps(obj)


def test_reference_cycles_are_pickled_and_a_bad_format_is_reported():
    loop = {"a": []}
    loop["a"].append(loop)
    buffer = io.BytesIO()
    save(loop, buffer)
    loaded = load(io.BytesIO(buffer.getvalue()))
    assert loaded["a"][0] is loaded
    with pytest.raises(ValueError, match="format must be 'minitorch' or 'torch'"):
        save({}, io.BytesIO(), format="pickle")


# ----- atomic saves -----------------------------------------------------------------------
def test_write_failure_mid_save_keeps_previous_file_and_removes_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save({"version": 1, "w": minitorch.zeros(3)}, path)

    def fail_halfway(fileobj, array, **kwargs):
        fileobj.write(b"\x93NUMPY partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", fail_halfway)
    with pytest.raises(OSError, match="No space left"):
        save({"version": 2, "w": minitorch.ones(3)}, path)
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert load(path)["version"] == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_fsync_keeps_previous_file_and_removes_temp_file(tmp_path, monkeypatch, fmt):
    path = tmp_path / "ckpt.pt"
    save({"version": 1}, path, format=fmt)

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        save({"version": 2, "w": minitorch.ones(3)}, path, format=fmt)
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert load(path) == {"version": 1}


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_overwriting_keeps_the_file_mode(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({}, path)
    os.chmod(path, 0o640)
    save({"a": 1}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


_KILLED_SAVER = """
import sys, time
import numpy as np
import minitorch
from minitorch.serialization import save

path = sys.argv[1]
save({"version": 1, "w": minitorch.zeros(4)}, path)

def stall_halfway(fileobj, array, **kwargs):
    fileobj.write(array.reshape(-1)[: array.size // 2].tobytes())
    print("halfway", flush=True)
    time.sleep(60)

np.lib.format.write_array = stall_halfway
save({"version": 2, "w": minitorch.ones(2**24)}, path)  # 64 MiB
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_process_killed_during_large_save_leaves_previous_checkpoint_loadable(tmp_path):
    path = tmp_path / "ckpt.pt"
    child = subprocess.Popen([sys.executable, "-c", _KILLED_SAVER, str(path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "halfway"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    partial = [name for name in os.listdir(tmp_path) if name != "ckpt.pt"]
    assert len(partial) == 1 and os.path.getsize(tmp_path / partial[0]) > 2**24  # the killed write
    loaded = load(path)
    assert loaded["version"] == 1 and loaded["w"].tolist() == [0.0] * 4


# ----- refusing code and broken files ----------------------------------------------------
class _RunsShell:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def torch_archive(data_pkl, records=None):
    """A torch-layout zip around a given data.pkl."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        for name, data in (records or {}).items():
            archive.writestr("archive/" + name, data)
        archive.writestr("archive/version", "3\n")
    buffer.seek(0)
    return buffer


def test_pickle_that_calls_os_system_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    archive = torch_archive(pickle.dumps({"w": _RunsShell()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=rf"GLOBAL {os.system.__module__}\.system was not an allowed"):
        load(archive)  # weights_only=True, the default
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("payload, refused", [
    (pickle.dumps(eval, protocol=4), "GLOBAL eval was not"),            # STACK_GLOBAL
    (b"\x80\x02cbuiltins\ngetattr\nq\x00.", "GLOBAL getattr was not"),
    (b"\x80\x02csubprocess\nPopen\n.", "GLOBAL subprocess.Popen"),
    (b"\x80\x02}}X\x01\x00\x00\x00xK\x01sb.", "opcode BUILD on a dict"),
    (b"\x80\x02ccollections\nOrderedDict\n)\x81.", "opcode NEWOBJ"),
    (b"\x80\x02\x82\x01.", "opcode EXT1"),
    (b"(X\x02\x00\x00\x00lsios\nsystem\n.", "opcode INST"),
])
def test_pickles_that_build_arbitrary_objects_are_refused(payload, refused):
    with pytest.raises(pickle.UnpicklingError, match=refused):
        load(torch_archive(payload))


def _tensor_pickle(numel, size, stride, offset=0):
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
            b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpu" + bytes([0x4b, numel]) + b"tQ"
            + bytes([0x4b, offset]) + b"(" + b"".join(bytes([0x4b, n]) for n in size) + b"t("
            + b"".join(bytes([0x4b, s]) for s in stride) + b"t\x89ccollections\nOrderedDict\n)RtR.")


def test_tensor_reading_outside_its_storage_is_refused():
    storage = {"data/0": np.arange(4, dtype=np.float32).tobytes()}
    assert load(torch_archive(_tensor_pickle(4, (2, 2), (2, 1)), storage)).tolist() == [[0, 1], [2, 3]]
    with pytest.raises(RuntimeError, match="overruns its storage of 4 elements"):
        load(torch_archive(_tensor_pickle(4, (3, 2), (2, 1)), storage))
    with pytest.raises(RuntimeError, match="overruns"):
        load(torch_archive(_tensor_pickle(4, (2,), (1,), offset=3), storage))
    with pytest.raises(RuntimeError, match="has 16 bytes, 5 float32 elements need 20"):
        load(torch_archive(_tensor_pickle(5, (5,), (1,)), storage))


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"definitely not a checkpoint", "not a minitorch or PyTorch checkpoint"),
    (pickle.dumps({"a": 1}), "not a minitorch or PyTorch checkpoint"),
    (b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.", "legacy format"),
])
def test_file_that_is_no_checkpoint_is_reported(tmp_path, content, message):
    (tmp_path / "x.pt").write_bytes(content)
    with pytest.raises(RuntimeError, match=message):
        load(tmp_path / "x.pt")


def test_zip_archive_of_neither_format_is_reported():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    buffer.seek(0)
    with pytest.raises(RuntimeError, match="neither a minitorch nor a PyTorch checkpoint"):
        load(buffer)


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_file_is_reported(fmt):
    buffer = io.BytesIO()
    save({"w": minitorch.randn(100), "b": [1, 2]}, buffer, format=fmt)
    data = buffer.getvalue()
    for cut in (4, 100, len(data) // 2, len(data) - 30, len(data) - 1):
        with pytest.raises(RuntimeError, match="truncated or corrupt"):
            load(io.BytesIO(data[:cut]))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("record", ["tensor data", "structure"])
def test_flipped_byte_fails_the_zip_crc_check(fmt, record):
    buffer = io.BytesIO()
    save({"w": minitorch.zeros(64)}, buffer, format=fmt)
    data = bytearray(buffer.getvalue())
    names = {("minitorch", "tensor data"): "tensors/0.npy", ("minitorch", "structure"): "manifest.json",
             ("torch", "tensor data"): "archive/data/0", ("torch", "structure"): "archive/data.pkl"}
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(names[fmt, record])
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.file_size - 3] ^= 0x01
    with pytest.raises(RuntimeError, match="Bad CRC-32"):
        load(io.BytesIO(bytes(data)))


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["tensors"][0].update(dtype="float64"), "manifest says float64"),
    (lambda m: m["tensors"][0].update(file="tensors/7.npy"), "tensors/7.npy. is missing from the archive"),
    (lambda m: m.update(root={"tensor": 5}), "unexpected entry"),
    (lambda m: m.update(root={"set": [1]}), "unexpected entry"),
    (lambda m: m.update(version=99), "format version 99"),
])
def test_manifest_that_disagrees_with_the_archive_is_reported(edit, message):
    import json
    buffer = io.BytesIO()
    save({"w": minitorch.zeros(2)}, buffer)
    source = zipfile.ZipFile(buffer)
    manifest = json.loads(source.read("manifest.json"))
    edit(manifest)
    edited = io.BytesIO()
    with zipfile.ZipFile(edited, "w") as archive:
        archive.writestr("tensors/0.npy", source.read("tensors/0.npy"))
        archive.writestr("manifest.json", json.dumps(manifest))
    edited.seek(0)
    with pytest.raises(RuntimeError, match=message):
        load(edited)


def test_npy_holding_pickled_objects_is_refused():
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([_RunsShell()], dtype=object), allow_pickle=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("tensors/0.npy", buffer.getvalue())
        z.writestr("manifest.json", '{"format": "minitorch", "version": 1, "root": {"tensor": 0}, '
                                    '"tensors": [{"file": "tensors/0.npy", "dtype": "float32", '
                                    '"shape": [1], "requires_grad": false, "device": "cpu"}]}')
    archive.seek(0)
    with pytest.raises(RuntimeError, match="holds Python objects .a pickle., which minitorch never loads"):
        load(archive)


@pytest.mark.parametrize("fmt", FORMATS)
def test_map_location_options(fmt, no_cuda):
    obj = {"w": minitorch.ones(2)}
    for where in ("cpu", minitorch.device("cpu"), {"cpu": "cpu"}, lambda storage, location: storage):
        assert round_trip(obj, fmt, map_location=where)["w"].device == minitorch.device("cpu")
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        round_trip(obj, fmt, map_location="cuda:0")


# ----- PyTorch interop --------------------------------------------------------------------
def _torch_state():
    base = torch.arange(20, dtype=torch.float32)
    linear = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(linear.parameters())
    linear(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    return OrderedDict([
        ("zeta", torch.randn(2, 3)), ("alpha", torch.randn(4, dtype=torch.float64)),
        ("counts", torch.tensor([-(2**40), 0, 7])), ("mask", torch.tensor([True, False, True])),
        ("pixels", torch.tensor([[0, 255], [17, 128]], dtype=torch.uint8)),
        ("small", torch.tensor([-3, 4], dtype=torch.int8)), ("mid", torch.tensor([300], dtype=torch.int16)),
        ("i32", torch.tensor(5, dtype=torch.int32)), ("half", torch.tensor([0.5, -2.0], dtype=torch.float16)),
        ("strided", base[3:15:3]), ("window", base[5:17].view(3, 4).t()), ("empty", torch.zeros(0, 3)),
        ("param", torch.nn.Parameter(torch.ones(2))),
        ("model", linear.state_dict()), ("optim", optimizer.state_dict()),
    ])


@requires_torch
def test_loads_a_state_dict_written_by_torch_save(tmp_path):
    state = _torch_state()
    torch.save(state, tmp_path / "torch.pt")
    loaded = load(tmp_path / "torch.pt")
    assert_same(loaded, state)
    assert loaded["optim"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert loaded["model"]._metadata == state["model"]._metadata  # module versions, set by BUILD


@requires_torch
def test_views_of_one_torch_storage_still_share_memory_after_load(tmp_path):
    base = torch.arange(10.0)
    torch.save({"a": base[2:8:2], "b": base[1:]}, tmp_path / "views.pt")
    loaded = load(tmp_path / "views.pt")
    assert loaded["a"].tolist() == [2.0, 4.0, 6.0] and loaded["b"].tolist() == list(range(1, 10))
    assert np.shares_memory(loaded["a"].numpy(), loaded["b"].numpy())


@requires_torch
def test_loads_torch_file_with_big_endian_storages():
    buffer = io.BytesIO()
    torch.save({"w": torch.tensor([1.5, -2.0]), "n": torch.tensor([1, 2**40])}, buffer)
    source = zipfile.ZipFile(buffer)
    swapped = io.BytesIO()
    with zipfile.ZipFile(swapped, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith("byteorder"):
                data = b"big"
            elif "/data/" in name:
                dtype = np.float32 if data == np.array([1.5, -2.0], np.float32).tobytes() else np.int64
                data = np.frombuffer(data, dtype).astype(np.dtype(dtype).newbyteorder(">")).tobytes()
            archive.writestr(name, data)
    swapped.seek(0)
    loaded = load(swapped)
    assert loaded["w"].tolist() == [1.5, -2.0] and loaded["n"].tolist() == [1, 2**40]


@requires_torch
def test_torch_file_saved_on_cuda_needs_map_location(no_cuda):
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buffer)
    source = zipfile.ZipFile(buffer)
    moved = io.BytesIO()
    with zipfile.ZipFile(moved, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            archive.writestr(name, data)
    with pytest.raises(RuntimeError, match="saved on cuda:0.*map_location='cpu'"):
        load(io.BytesIO(moved.getvalue()))
    assert load(io.BytesIO(moved.getvalue()), map_location="cpu")["w"].tolist() == [1.0, 1.0]
    assert load(io.BytesIO(moved.getvalue()), map_location={"cuda:0": "cpu"})["w"].device.type == "cpu"


@requires_torch
def test_torch_format_written_by_minitorch_loads_in_torch_weights_only(tmp_path):
    state = _torch_state()
    ours = load(_saved_by_torch(state))  # the same values as minitorch tensors
    save(ours, tmp_path / "ours.pt", format="torch")
    theirs = torch.load(tmp_path / "ours.pt", weights_only=True)
    assert_same(theirs, state)
    mapped = torch.load(tmp_path / "ours.pt", weights_only=True, mmap=True)  # records are 64-byte aligned
    assert torch.equal(mapped["window"], state["window"])


@requires_torch
def test_torch_keeps_a_tensor_saved_twice_as_one_tensor():
    w = minitorch.randn(3)
    buffer = io.BytesIO()
    save({"a": w, "b": [w]}, buffer, format="torch")
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    assert loaded["a"] is loaded["b"][0]


def _saved_by_torch(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer
