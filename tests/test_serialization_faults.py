"""save/load under faults: damaged files give one documented error, declared sizes are checked
before anything is allocated, expanded tensors stay views, killed writers' temporary files
are cleaned up."""
import io
import os
import pickle
import random
import re
import select
import signal
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import pytest

import minitorch
from minitorch import _checkpoint_files, _torch_writer
from minitorch.serialization import load, save
from tests._compat import requires_torch, torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORRUPT = r"corrupt|not a minitorch or PyTorch checkpoint"
FORMATS = ("minitorch", "torch")


def checkpoint():
    """A realistic checkpoint: a model's and an optimizer's state, views, an expanded tensor."""
    minitorch.manual_seed(0)
    model = minitorch.nn.Sequential(minitorch.nn.Linear(3, 4), minitorch.nn.ReLU(), minitorch.nn.Linear(4, 2))
    optimizer = minitorch.optim.Adam(model.parameters())
    model(minitorch.randn(2, 3)).sum().backward()
    optimizer.step()
    base = minitorch.arange(12.0)
    return {"model": model.state_dict(), "optim": optimizer.state_dict(), "epoch": 3,
            "views": [base[2:8:2], base.view(3, 4).t()], "mask": minitorch.ones(2).expand(3, 2),
            "counts": minitorch.tensor([1, 2**40]), "flags": minitorch.tensor([True, False])}


def saved(obj, fmt):
    buffer = io.BytesIO()
    save(obj, buffer, format=fmt)
    return buffer.getvalue()


def contents(obj):
    """Everything load gives back, tensors as (dtype, shape, stride, bytes): comparable with ==."""
    if isinstance(obj, minitorch.Tensor):
        return (str(obj.dtype), tuple(obj.shape), obj.stride(), obj.requires_grad,
                np.ascontiguousarray(obj.detach().numpy()).tobytes())
    if isinstance(obj, dict):
        return (type(obj), [(k, contents(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj), [contents(v) for v in obj])
    return obj


def mutate(data: bytes, rng: random.Random) -> bytes:
    """data with one to five bit flips, overwritten bytes or words, deletions or insertions."""
    d = bytearray(data)
    for _ in range(rng.choice([1, 1, 1, 2, 5])):
        p, mode = rng.randrange(len(d) - 8), rng.random()
        if mode < 0.4:
            d[p] ^= 1 << rng.randrange(8)
        elif mode < 0.6:
            d[p] = rng.randrange(256)
        elif mode < 0.8:
            d[p:p + 4] = rng.choice([0, 2**31 - 1, 2**32 - 1, rng.randrange(2**32)]).to_bytes(4, "little")
        elif mode < 0.9:
            d[p:p + 8] = rng.choice([0, 2**63 - 1, 2**64 - 1, rng.randrange(2**64)]).to_bytes(8, "little")
        elif mode < 0.95:
            del d[p:p + rng.randrange(1, 20)]
        else:
            d[p:p] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
    return bytes(d)


def assert_corrupt_or_intact(data: bytes, expected) -> str:
    """load(data) gives the saved contents back or the documented RuntimeError, nothing else."""
    try:
        loaded = load(io.BytesIO(data))
    except RuntimeError as e:
        # RuntimeError itself or one of serialization's documented kinds (a file that is no zip
        # archive is also pickle's UnpicklingError, as in PyTorch); never a NotImplementedError
        # or another RuntimeError subclass from inside zipfile or NumPy
        assert type(e) in (RuntimeError, minitorch.serialization.NotACheckpointError), f"{type(e).__name__}: {e}"
        assert re.search(CORRUPT, str(e)), str(e)
        return "corrupt"
    assert contents(loaded) == expected, "a damaged file loaded with different contents"
    return "intact"


# ----- damaged files ----------------------------------------------------------------------
def _torch_saved_checkpoint():
    buffer = io.BytesIO()
    torch.manual_seed(0)
    torch.save({"m": torch.nn.Linear(3, 4).state_dict(), "e": torch.zeros(1).expand(5, 5),
                "h": torch.ones(3, dtype=torch.float16)}, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("source", ["minitorch", "torch", pytest.param("torch.save", marks=requires_torch)])
def test_random_damage_gives_the_corrupt_checkpoint_error_or_the_saved_contents(source):
    data = _torch_saved_checkpoint() if source == "torch.save" else saved(checkpoint(), source)
    expected = contents(load(io.BytesIO(data)))
    rng = random.Random(17)
    outcomes = [assert_corrupt_or_intact(mutate(data, rng), expected) for _ in range(400)]
    assert outcomes.count("corrupt") > 200  # the damage is real


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_single_bit_flip_in_the_zip_directory_is_caught_or_harmless(fmt):
    data = saved({"w": minitorch.arange(4.0), "n": [1, 2]}, fmt)
    expected = contents(load(io.BytesIO(data)))
    directory = data.rindex(b"PK\x01\x02")  # the last entry of the central directory, and the end record
    for position in range(directory, len(data)):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[position] ^= 1 << bit
            assert_corrupt_or_intact(bytes(damaged), expected)


def _central_header(data: bytes, name: str) -> int:
    """The offset of name's entry in the central directory."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    offset = archive.start_dir
    for info in archive.infolist():
        if info.filename == name:
            return offset
        offset += 46 + len(info.filename.encode()) + len(info.extra) + len(info.comment)
    raise KeyError(name)


def _patched(data: bytes, name: str, field_offset: int, fmt: str, value: int) -> bytes:
    d = bytearray(data)
    at = _central_header(data, name) + field_offset
    struct.pack_into(fmt, d, at, value)
    return bytes(d)


RECORDS = {"minitorch": "tensors/0.npy", "torch": "archive/data/0"}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("field, offset, pack, value, message", [
    ("an unknown compression method", 10, "<H", 99, "compression method 99"),
    ("bzip2, which it never was", 10, "<H", zipfile.ZIP_BZIP2, "compression method 12"),
    ("encryption", 8, "<H", 0x1, "encrypted"),
    ("a size past the end of the file", 20, "<I", 2**32 - 2, "past the end"),
    ("a size that disagrees with the data", 24, "<I", 2**31, "declares 2147483648 bytes but holds"),
])
def test_zip_headers_claiming_impossible_records_are_reported(fmt, field, offset, pack, value, message):
    data = _patched(saved({"w": minitorch.ones(64)}, fmt), RECORDS[fmt], offset, pack, value)
    with pytest.raises(RuntimeError, match=message) as info:
        load(io.BytesIO(data))
    assert type(info.value) is RuntimeError and "corrupt" in str(info.value)


@pytest.mark.parametrize("fmt, cause, message", [
    ("torch", zlib.error, r"\(error: Error -3 while decompressing data"),  # the campaign's zlib.error
    ("minitorch", zipfile.BadZipFile, r"\(BadZipFile: Bad CRC-32"),        # this one inflates to garbage
])
def test_stored_record_relabelled_as_deflated_is_reported_as_corrupt_and_chained(fmt, cause, message):
    data = _patched(saved({"w": minitorch.ones(64)}, fmt), RECORDS[fmt], 10, "<H", zipfile.ZIP_DEFLATED)
    with pytest.raises(RuntimeError, match="truncated or corrupt " + message) as info:
        load(io.BytesIO(data))
    assert type(info.value) is RuntimeError and type(info.value.__cause__) is cause


def test_pickle_that_is_malformed_but_harmless_is_reported_as_corrupt():
    payloads = (b"\x80\x02(",                            # ends mid-pickle
                b"\x80\x02t.",                           # TUPLE without a MARK
                b"\x80\x02h\x05.",                       # a memo slot never written
                b"\x80\x09N.",                           # protocol 9
                b"\x80\x02X\x05\x00\x00\x00\xff\xfe.")  # a string that is not UTF-8, cut short
    for payload in payloads:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("archive/data.pkl", payload)
        with pytest.raises(RuntimeError, match="truncated or corrupt") as info:
            load(io.BytesIO(archive.getvalue()))
        assert type(info.value) is RuntimeError and info.value.__cause__ is not None


def test_error_in_the_users_map_location_reaches_the_caller_unchanged():
    def refuse(storage, location):
        raise ValueError("no room on that device")

    with pytest.raises(ValueError, match="no room on that device"):
        load(io.BytesIO(saved({"w": minitorch.ones(2)}, "minitorch")), map_location=refuse)


# ----- declared sizes are checked before anything is allocated ---------------------------
def _npy_header(shape, dtype="<f4"):
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {tuple(shape)}, }}".encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def _minitorch_archive(shape, npy: bytes, expanded_from=None):
    entry = {"file": "tensors/0.npy", "dtype": "float32", "shape": list(shape),
             "requires_grad": False, "device": "cpu"}
    if expanded_from is not None:
        entry["expanded_from"] = list(expanded_from)
    import json
    manifest = {"format": "minitorch", "version": 2, "root": {"tensor": 0}, "tensors": [entry]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("tensors/0.npy", npy)
        z.writestr("manifest.json", json.dumps(manifest))
    return buffer.getvalue()


def _tensor_opcodes(numel, size, stride, offset=0):
    """The pickle opcodes torch.save writes for one float32 tensor on storage "0" of numel elements."""
    def i32(n):
        return b"J" + struct.pack("<i", n)

    return (b"ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
            b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpu" + (b"\x8a\x08" + struct.pack("<q", numel)) + b"tQ"
            + i32(offset) + b"(" + b"".join(i32(n) for n in size) + b"t(" + b"".join(i32(s) for s in stride)
            + b"t\x89ccollections\nOrderedDict\n)RtR")


def _torch_archive(numel, size, stride, offset=0, storage=b"", opcodes=None):
    """A torch.save layout built by hand (no torch, no minitorch writer): one float32 tensor,
    or the object the given opcodes build, on one storage of numel elements."""
    pkl = b"\x80\x02" + (opcodes or _tensor_opcodes(numel, size, stride, offset)) + b"."
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/data/0", storage)
        z.writestr("archive/version", "3\n")
    return buffer.getvalue()


TERA = 10**6  # a side: TERA x TERA float32 values would take 3.64 TiB


@pytest.mark.parametrize("case, data, message", [
    ("npy header and manifest agree on 10**12 values", lambda: _minitorch_archive(
        (TERA, TERA), _npy_header((TERA, TERA)) + bytes(16)), "declares 4000000000000 bytes of values but holds 16"),
    ("npy header of 2**28 values (1 GiB, allocatable)", lambda: _minitorch_archive(
        (2**28,), _npy_header((2**28,)) + bytes(16)), "declares 1073741824 bytes of values but holds 16"),
    ("torch storage of 10**12 elements", lambda: _torch_archive(
        TERA * TERA, (TERA, TERA), (TERA, 1), storage=bytes(16)), "has 16 bytes, 1000000000000 float32"),
    ("torch storage of 2**28 elements", lambda: _torch_archive(
        2**28, (2**28,), (1,), storage=bytes(16)), "has 16 bytes, 268435456 float32"),
    ("torch tensor of 10**12 elements on a 4-element storage", lambda: _torch_archive(
        4, (TERA, TERA), (TERA, 1), storage=bytes(16)), "overruns its storage of 4 elements"),
    ("torch tensor whose size overflows", lambda: _torch_archive(
        4, (2**31 - 1,) * 3, (0, 0, 0), storage=bytes(16)), "larger than any tensor can be"),
])
def test_header_declaring_huge_sizes_is_refused_before_allocating(case, data, message):
    data = data()
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match=message) as info:
            load(io.BytesIO(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert type(info.value) is RuntimeError and "corrupt" in str(info.value)
    assert not isinstance(info.value.__cause__, MemoryError)
    assert peak < 16 * 2**20, f"{case}: {peak} bytes allocated"


def test_npy_header_that_disagrees_with_the_manifest_is_reported():
    data = _minitorch_archive((2,), _npy_header((3,)) + bytes(12))
    with pytest.raises(RuntimeError, match=r"holds float32\[3\], the manifest says float32\[2\]"):
        load(io.BytesIO(data))
    data = _minitorch_archive((2, 3), _npy_header((3, 3)) + bytes(36), expanded_from=(3, 3))
    with pytest.raises(RuntimeError, match="malformed tensor entry"):
        load(io.BytesIO(data))


# ----- expanded tensors and shared storages ----------------------------------------------
def test_hand_built_torch_file_with_an_expanded_tensor_loads_as_a_stride_0_view():
    data = _torch_archive(3, (TERA, TERA, 3), (0, 0, 1), storage=np.float32([1.5, -2, 7]).tobytes())
    tracemalloc.start()
    try:
        t = load(io.BytesIO(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20
    assert tuple(t.shape) == (TERA, TERA, 3) and t.stride() == (0, 0, 1)
    assert t[0, 0].tolist() == [1.5, -2.0, 7.0] and t[TERA - 1, 12345].tolist() == [1.5, -2.0, 7.0]
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        t.add_(1)


@requires_torch
def test_torch_saved_expanded_tensor_loads_with_torchs_values_and_strides():
    small = torch.tensor([[1.0], [2.0], [3.0]])
    state = {"huge": torch.zeros(1).expand(TERA, TERA), "rows": small.expand(3, 4),
             "base": small, "tail": small[1:].expand(2, 5)}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    loaded = load(io.BytesIO(buffer.getvalue()))
    for key, expected in state.items():
        assert loaded[key].stride() == expected.stride(), key
        assert tuple(loaded[key].shape) == tuple(expected.shape), key
    for key in ("rows", "base", "tail"):
        assert loaded[key].tolist() == state[key].tolist(), key
    assert loaded["huge"][TERA - 1, TERA - 1].item() == 0.0
    # one storage in the file, one array after loading: the views share memory, as in torch
    assert np.shares_memory(loaded["rows"].numpy(), loaded["base"].numpy())
    assert np.shares_memory(loaded["tail"].numpy(), loaded["base"].numpy())


def test_hand_built_torch_file_with_views_of_one_storage_shares_memory():
    views = [(6, (2, 3), (3, 1), 0), (6, (2,), (3,), 1)]  # a matrix and its middle column
    opcodes = b"](" + b"".join(_tensor_opcodes(*view) for view in views) + b"e"  # a list of both
    matrix, column = load(io.BytesIO(_torch_archive(6, None, None, storage=np.arange(6, dtype=np.float32).tobytes(),
                                                    opcodes=opcodes)))
    assert matrix.tolist() == [[0, 1, 2], [3, 4, 5]] and column.tolist() == [1, 4] and column.stride() == (3,)
    assert np.shares_memory(matrix.numpy(), column.numpy())
    matrix[1, 1] = 40.0  # one storage, as torch.load gives: a write shows through the other view
    assert column.tolist() == [1, 40]


@pytest.mark.parametrize("fmt", FORMATS)
def test_saving_an_expanded_tensor_writes_what_it_repeats_not_its_size(fmt):
    values = minitorch.tensor([[1.0, 2.0, 3.0]])
    huge = values.reshape(1, 1, 3).expand(TERA, TERA, 3)
    data = saved({"huge": huge, "rows": values.expand(4, 3)}, fmt)
    assert len(data) < 4096
    loaded = load(io.BytesIO(data))
    assert loaded["huge"].stride() == (0, 0, 1) and tuple(loaded["huge"].shape) == (TERA, TERA, 3)
    assert loaded["huge"][TERA - 1, 7].tolist() == [1.0, 2.0, 3.0]
    assert loaded["rows"].tolist() == [[1.0, 2.0, 3.0]] * 4 and loaded["rows"].stride() == (0, 1)
    if torch is not None and fmt == "torch":
        theirs = torch.load(io.BytesIO(data), weights_only=True)
        assert theirs["huge"].stride() == (0, 0, 1) and theirs["huge"][TERA - 1, 7].tolist() == [1.0, 2.0, 3.0]
        assert theirs["rows"].stride() == (0, 1) and theirs["rows"].tolist() == [[1.0, 2.0, 3.0]] * 4


def _cuda_available():
    from minitorch._backends.cuda import _runtime
    return _runtime.is_available()


@pytest.mark.skipif(not _cuda_available(), reason="no CUDA device (or simulator)")
@pytest.mark.parametrize("fmt", FORMATS)
def test_expanded_tensor_stays_expanded_on_its_way_to_and_from_cuda(fmt):
    on_gpu = load(io.BytesIO(saved({"e": minitorch.arange(3.0).expand(TERA, TERA, 3)}, fmt)),
                  map_location="cuda")["e"]
    assert on_gpu.device.type == "cuda" and on_gpu.stride() == (0, 0, 1)
    assert on_gpu[TERA - 1, 5].tolist() == [0.0, 1.0, 2.0]
    data = saved({"e": minitorch.arange(3.0).cuda().expand(TERA, TERA, 3)}, fmt)
    assert len(data) < 4096
    back = load(io.BytesIO(data), map_location="cpu")["e"]
    assert back.stride() == (0, 0, 1) and back[7, TERA - 1].tolist() == [0.0, 1.0, 2.0]


def test_minitorch_format_marks_files_with_expanded_tensors_as_version_2():
    import json

    def version(obj):
        return json.loads(zipfile.ZipFile(io.BytesIO(saved(obj, "minitorch"))).read("manifest.json"))["version"]

    assert version({"w": minitorch.ones(2, 3)}) == 1  # older minitorch reads these
    assert version({"w": minitorch.ones(1, 3).expand(2, 3)}) == 2


@requires_torch
def test_torch_format_keeps_strides_offsets_and_shared_storage_as_torch_save_does():
    base = minitorch.arange(20.0)
    state = OrderedDict([("strided", base[3:15:3]), ("window", base[5:17].view(3, 4).t()),
                         ("whole", base), ("other", minitorch.ones(2))])
    theirs = torch.load(io.BytesIO(saved(state, "torch")), weights_only=True)
    reference = torch.arange(20.0)
    expected = {"strided": reference[3:15:3], "window": reference[5:17].view(3, 4).t(), "whole": reference}
    for key, t in expected.items():
        assert torch.equal(theirs[key], t) and theirs[key].stride() == t.stride(), key
        assert theirs[key].storage_offset() == t.storage_offset(), key
    pointers = {theirs[key].untyped_storage().data_ptr() for key in expected}
    assert len(pointers) == 1 and theirs["other"].untyped_storage().data_ptr() not in pointers


def test_torch_format_copies_what_torch_cannot_reference():
    # torch has no negative strides: such an array is written as a copy of its values
    reversed_rows = np.arange(6, dtype=np.float32).reshape(2, 3)[::-1]
    expanded_reversed = np.broadcast_to(np.arange(3, dtype=np.float32)[::-1], (4, 3))
    buffer = io.BytesIO()
    root = {"dict": [["r", {"tensor": 0}], ["e", {"tensor": 1}]]}
    _torch_writer.write(buffer, root, [(reversed_rows, False, "cpu"), (expanded_reversed, False, "cpu")])
    loaded = load(io.BytesIO(buffer.getvalue()))
    assert loaded["r"].tolist() == reversed_rows.tolist() and loaded["r"].stride() == (3, 1)
    assert loaded["e"].tolist() == expanded_reversed.tolist() and loaded["e"].stride() == (0, 1)
    if torch is not None:
        theirs = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
        assert theirs["r"].tolist() == reversed_rows.tolist() and theirs["e"].stride() == (0, 1)


# ----- temporary files of interrupted saves ----------------------------------------------
def test_temporary_file_names_its_writer_process(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    save({"w": minitorch.ones(2)}, tmp_path / "ckpt.pt")
    assert re.fullmatch(rf"\.ckpt\.pt\.{os.getpid()}-\d+-[0-9a-f]{{8}}-[0-9a-f]{{8}}\.tmp", seen[0]), seen


def test_save_removes_only_temporaries_whose_writer_is_gone(tmp_path):
    target = tmp_path / "ckpt.pt"
    host = _checkpoint_files._HOST
    other_host = "0" * 8 if host != "0" * 8 else "1" * 8
    ours = _checkpoint_files.temporary_name("ckpt.pt")
    pid, start = (int(n) for n in ours.split(".")[-2].split("-")[:2])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    names = {
        f".ckpt.pt.{dead}-0-{host}-0123abcd.tmp": False,                  # its writer exited
        f".ckpt.pt.{pid}-{start + 1}-{host}-0123abcd.tmp": start == 0,    # an earlier process with our pid
        f".ckpt.pt.{pid}-{start}-{host}-0123abcd.tmp": True,              # ours: a save in another thread
        f".ckpt.pt.{dead}-0-{other_host}-0123abcd.tmp": True,            # another machine's
        ".ckpt.pt.0123abcd.tmp": True,                                     # an older minitorch's: owner unknown
        f".other.pt.{dead}-0-{host}-0123abcd.tmp": True,                   # another target's
        "notes.txt": True,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
    save({"w": minitorch.ones(2)}, target)
    kept = {name for name in names if (tmp_path / name).exists()}
    assert kept == {name for name, keep in names.items() if keep}
    assert load(target)["w"].tolist() == [1.0, 1.0]


_STALLED_SAVER = """
import sys, time
import numpy as np
import minitorch
from minitorch.serialization import save

path, version = sys.argv[1], int(sys.argv[2])

def stall_halfway(fileobj, array, **kwargs):
    fileobj.write(array.reshape(-1)[: array.size // 2].tobytes())
    print("halfway", flush=True)
    time.sleep(120)

np.lib.format.write_array = stall_halfway
save({"version": version, "w": minitorch.ones(2**20)}, path)
"""


def _start_stalled_saver(path, version):
    child = subprocess.Popen([sys.executable, "-c", _STALLED_SAVER, str(path), str(version)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([child.stdout], [], [], 120)
    if not ready or child.stdout.readline().strip() != "halfway":
        child.kill()
        child.wait(timeout=30)
        pytest.fail("the saving subprocess did not reach the middle of its save")
    return child


def _kill(child):
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()


def _temporaries(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL") or sys.platform == "win32", reason="needs SIGKILL")
def test_writer_killed_mid_save_leaves_the_old_file_and_the_next_save_removes_its_temporary(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"version": 1, "w": minitorch.zeros(4)}, path)
    killed = _start_stalled_saver(path, 2)
    live = _start_stalled_saver(path, 3)
    try:
        _kill(killed)
        assert killed.returncode == -signal.SIGKILL
        assert len(_temporaries(tmp_path)) == 2
        assert load(path)["version"] == 1  # no damage
        live_temp = [name for name in _temporaries(tmp_path) if f".{live.pid}-" in name]

        save({"version": 4, "w": minitorch.ones(4)}, path)  # removes the dead writer's file only
        assert _temporaries(tmp_path) == live_temp
        assert load(path)["version"] == 4
    finally:
        _kill(live)
    save({"version": 5}, path)
    assert _temporaries(tmp_path) == [] and sorted(os.listdir(tmp_path)) == ["ckpt.pt"]
    assert load(path) == {"version": 5}


@pytest.mark.parametrize("error", [KeyboardInterrupt, MemoryError])
def test_save_interrupted_by_an_exception_removes_its_temporary_at_once(tmp_path, monkeypatch, error):
    path = tmp_path / "ckpt.pt"
    save({"version": 1}, path)

    def interrupted(fileobj, array, **kwargs):
        fileobj.write(b"\x93NUMPY partial")
        raise error()

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(error):
        save({"version": 2, "w": minitorch.ones(3)}, path)
    assert os.listdir(tmp_path) == ["ckpt.pt"] and load(path) == {"version": 1}


def test_pickle_refusals_stay_unpickling_errors():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02cposix\nsystem\n.")
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL posix.system was not an allowed global") as info:
        load(io.BytesIO(archive.getvalue()))
    assert type(info.value) is pickle.UnpicklingError
