"""save/load of whole modules, optimizers and other objects, and torch 2.x's weights_only rules
(the refusal/acceptance matrix is checked against torch 2.13 on the same kinds of files)."""
import argparse
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import minitorch
from minitorch import serialization
from minitorch.serialization import load, save
from tests import _checkpoint_objects as objects
from tests._compat import requires_torch, torch

FORMATS = ("minitorch", "torch")


def saved(obj, fmt="minitorch"):
    buffer = io.BytesIO()
    save(obj, buffer, format=fmt)
    return buffer.getvalue()


def trained_net():
    minitorch.manual_seed(0)
    net = objects.Net()
    net(minitorch.randn(5, 3)).sum().backward()
    net.eval()
    return net


@pytest.fixture(autouse=True)
def no_safe_globals():
    serialization.clear_safe_globals()
    yield
    serialization.clear_safe_globals()


# ----- round trips ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_whole_module_round_trips_with_its_values_types_and_state(fmt):
    net = trained_net()
    loaded = load(io.BytesIO(saved(net, fmt)), weights_only=False)
    assert type(loaded) is objects.Net and repr(loaded) == repr(net)
    assert not loaded.training and loaded.name == "net"
    assert type(loaded.fc) is minitorch.nn.Linear and type(loaded.bn) is minitorch.nn.BatchNorm1d
    assert [type(p) for p in loaded.parameters()] == [minitorch.nn.Parameter] * 5
    assert all(p.requires_grad and p.is_leaf and p.grad is None for p in loaded.parameters())
    assert list(loaded.state_dict()) == list(net.state_dict())
    for name, value in net.state_dict().items():
        assert loaded.state_dict()[name].dtype == value.dtype
        np.testing.assert_array_equal(loaded.state_dict()[name].numpy(), value.numpy())
    x = minitorch.randn(2, 3)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), net(x).detach().numpy())


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_checkpoint_dict_of_model_optimizer_and_arguments_keeps_their_links(fmt):
    net = trained_net()
    optimizer = minitorch.optim.Adam(net.parameters(), lr=0.01)
    optimizer.step()
    checkpoint = {"epoch": 3, "model": net, "optimizer": optimizer, "config": objects.Config(0.1, [4, 2])}
    loaded = load(io.BytesIO(saved(checkpoint, fmt)), weights_only=False)
    assert loaded["epoch"] == 3 and loaded["config"] == objects.Config(0.1, [4, 2])
    model, opt = loaded["model"], loaded["optimizer"]
    assert type(opt) is minitorch.optim.Adam
    # the optimizer still updates the loaded model's own parameters, with its moments
    assert [id(p) for p in opt.param_groups[0]["params"]] == [id(p) for p in model.parameters()]
    state = opt.state_dict()["state"]
    for i, p in enumerate(optimizer.param_groups[0]["params"]):
        np.testing.assert_array_equal(state[i]["exp_avg"].numpy(), optimizer.state[p]["exp_avg"].numpy())
    opt.step()


def test_plain_state_dicts_are_written_as_before_without_any_pickle():
    with zipfile.ZipFile(io.BytesIO(saved(trained_net().state_dict()))) as archive:
        assert "objects.pkl" not in archive.namelist()
        assert b'"version": 1' in archive.read("manifest.json")
    with zipfile.ZipFile(io.BytesIO(saved(trained_net()))) as archive:
        assert "objects.pkl" in archive.namelist() and b'"version": 3' in archive.read("manifest.json")
        assert all(name.endswith(".npy") for name in archive.namelist() if name.startswith("tensors/"))


def test_a_tensor_and_a_parameter_shared_by_two_objects_load_as_one():
    net = trained_net()
    both = {"a": net, "b": net.fc, "w": net.head}
    loaded = load(io.BytesIO(saved(both)), weights_only=False)
    assert loaded["b"] is loaded["a"].fc and loaded["w"] is loaded["a"].head


# ----- weights_only --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_weights_only_is_the_default_and_refuses_a_module_naming_its_class(fmt):
    data = saved(trained_net(), fmt)
    with pytest.raises(pickle.UnpicklingError) as info:
        load(io.BytesIO(data))
    message = str(info.value)
    assert type(info.value) is pickle.UnpicklingError
    assert message.startswith("Weights only load failed. This file can still be loaded")
    assert ("WeightsUnpickler error: Unsupported global: GLOBAL tests._checkpoint_objects.Net was not an "
            "allowed global by default. Please use `minitorch.serialization.add_safe_globals("
            "[tests._checkpoint_objects.Net])` or the `minitorch.serialization.safe_globals("
            "[tests._checkpoint_objects.Net])` context manager") in message


@requires_torch
def test_the_refusal_message_is_torchs_with_minitorchs_names():
    import torch.serialization  # noqa: F401
    buffer = io.BytesIO()
    torch.save({"args": argparse.Namespace(lr=0.1)}, buffer)
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(buffer.getvalue()))
    with pytest.raises(pickle.UnpicklingError) as ours:
        load(io.BytesIO(saved({"args": argparse.Namespace(lr=0.1)})))
    expected = str(theirs.value).replace("torch.serialization", "minitorch.serialization").replace(
        "`torch.load` from `False` to `True`. Re-running `torch.load`",
        "`torch.load` from `False` to `True`. minitorch.load does the same. Re-running `minitorch.load`")
    assert str(ours.value) == expected


def _torch_matrix_case(torch_obj, allow):
    """What torch.load does with a file of torch_obj: 'ok' or the first refused global."""
    buffer = io.BytesIO()
    torch.save(torch_obj, buffer)
    try:
        with torch.serialization.safe_globals(allow):
            torch.load(io.BytesIO(buffer.getvalue()))
        return "ok"
    except pickle.UnpicklingError as e:
        return str(e).split("GLOBAL ")[1].split(" ")[0]


def _our_matrix_case(obj, allow, fmt):
    try:
        with serialization.safe_globals(allow):
            load(io.BytesIO(saved(obj, fmt)))
        return "ok"
    except pickle.UnpicklingError as e:
        return str(e).split("GLOBAL ")[1].split(" ")[0]


def _matrix():
    """(name, minitorch object, torch object, what to allow, torch name -> minitorch name)."""
    m, t = minitorch, torch
    renamed = {"torch.nn.modules.linear.Linear": "minitorch.nn.modules.linear.Linear",
               "torch.nn.modules.batchnorm.BatchNorm1d": "minitorch.nn.modules.batchnorm.BatchNorm1d",
               "tests._checkpoint_objects.TorchNet": "tests._checkpoint_objects.Net",
               "torch.optim.sgd.SGD": "minitorch.optim.sgd.SGD",
               "torch.nn.modules.linear.Identity": "minitorch.nn.modules.linear.Identity"}
    torch_net = objects.torch_net
    return [
        ("state_dict", lambda: m.nn.Linear(2, 2).state_dict(), lambda: t.nn.Linear(2, 2).state_dict(), []),
        ("parameter", lambda: {"p": m.nn.Parameter(m.ones(2))}, lambda: {"p": t.nn.Parameter(t.ones(2))}, []),
        ("containers", lambda: {"a": (1, [2.5, None]), "s": {1, 2}, "c": complex(1, 2), "b": b"x"},
         lambda: {"a": (1, [2.5, None]), "s": {1, 2}, "c": complex(1, 2), "b": b"x"}, []),
        ("frozenset", lambda: {"f": frozenset([1])}, lambda: {"f": frozenset([1])}, []),
        ("namespace", lambda: {"args": argparse.Namespace(lr=0.1)}, lambda: {"args": argparse.Namespace(lr=0.1)}, []),
        ("namespace allowed", lambda: {"args": argparse.Namespace(lr=0.1)},
         lambda: {"args": argparse.Namespace(lr=0.1)}, [argparse.Namespace]),
        ("numpy", lambda: {"x": np.ones(2)}, lambda: {"x": np.ones(2)}, []),
        ("layer", lambda: m.nn.Identity(), lambda: t.nn.Identity(), []),
        ("module", lambda: objects.Net(), torch_net, []),
        ("module, its class allowed", lambda: objects.Net(), torch_net, ["Net"]),
        ("module, all classes allowed", lambda: objects.Net(), torch_net, ["Net", "Linear", "BatchNorm1d"]),
        ("optimizer", lambda: m.optim.SGD(m.nn.Linear(1, 1).parameters(), lr=0.1),
         lambda: t.optim.SGD(t.nn.Linear(1, 1).parameters(), lr=0.1), []),
    ], renamed


def _allow(names, framework):
    if framework == "torch":
        table = {"Net": type(objects.torch_net()), "Linear": torch.nn.Linear, "BatchNorm1d": torch.nn.BatchNorm1d}
    else:
        table = {"Net": objects.Net, "Linear": minitorch.nn.Linear, "BatchNorm1d": minitorch.nn.BatchNorm1d}
    return [table.get(n, n) if isinstance(n, str) else n for n in names]


@requires_torch
@pytest.mark.parametrize("fmt", FORMATS)
def test_weights_only_refuses_and_accepts_the_same_kinds_of_files_as_torch(fmt):
    cases, renamed = _matrix()
    for name, ours, theirs, allow in cases:
        expected = _torch_matrix_case(theirs(), _allow(allow, "torch"))
        got = _our_matrix_case(ours(), _allow(allow, "minitorch"), fmt)
        assert got == renamed.get(expected, expected), name


def test_weights_only_matrix_without_torch():
    # the same expectations, written down, so that they are checked where torch is absent
    assert _our_matrix_case({"s": {1}, "c": complex(0, 1), "b": b"x", "t": minitorch.ones(1)}, [], "minitorch") == "ok"
    assert _our_matrix_case({"f": frozenset([1])}, [], "minitorch") == "frozenset"
    assert _our_matrix_case({"x": np.ones(1)}, [], "minitorch").startswith("numpy")
    assert _our_matrix_case(objects.Net(), [], "minitorch") == "tests._checkpoint_objects.Net"
    assert _our_matrix_case(objects.Net(), [objects.Net], "minitorch") == "minitorch.nn.modules.linear.Linear"
    allowed = [objects.Net, minitorch.nn.Linear, minitorch.nn.BatchNorm1d]
    assert _our_matrix_case(objects.Net(), allowed, "minitorch") == "ok"


@pytest.mark.parametrize("fmt", FORMATS)
def test_allowlisted_module_loads_with_weights_only(fmt):
    net = trained_net()
    with serialization.safe_globals([objects.Net, minitorch.nn.Linear, minitorch.nn.BatchNorm1d]):
        loaded = load(io.BytesIO(saved(net, fmt)))
    assert type(loaded) is objects.Net
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name].numpy(), value.numpy())


def test_safe_globals_api_is_torchs():
    assert serialization.get_safe_globals() == []
    serialization.add_safe_globals([objects.Config, (objects.Net, "old.module.Net")])
    assert serialization.get_safe_globals() == [objects.Config, (objects.Net, "old.module.Net")]
    with serialization.safe_globals([argparse.Namespace]):
        assert argparse.Namespace in serialization.get_safe_globals()
    assert argparse.Namespace not in serialization.get_safe_globals()
    serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    if torch is not None:
        import inspect
        for name in ("add_safe_globals", "get_safe_globals", "clear_safe_globals"):
            ours = inspect.signature(getattr(serialization, name)).parameters
            theirs = inspect.signature(getattr(torch.serialization, name)).parameters
            assert list(ours) == list(theirs)


def test_a_name_allowed_as_a_tuple_loads_a_renamed_class(monkeypatch):
    # a file saved when Config lived in old_place, loaded after it moved
    import sys
    import types
    old = types.ModuleType("old_place")
    old.Config = objects.Config
    monkeypatch.setitem(sys.modules, "old_place", old)
    monkeypatch.setattr(objects.Config, "__module__", "old_place")
    data = saved({"c": objects.Config(1, [])})
    monkeypatch.undo()
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL old_place.Config"):
        load(io.BytesIO(data))
    with serialization.safe_globals([(objects.Config, "old_place.Config")]):
        assert load(io.BytesIO(data)) == {"c": objects.Config(1, [])}


def test_a_hostile_objects_pickle_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    class RunsShell:
        def __reduce__(self):
            return os.system, ("touch pwned",)

    data = saved({"cfg": objects.Config(1, [])})
    hostile = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(hostile, "w") as target:
        for name in source.namelist():
            body = source.read(name)
            target.writestr(name, pickle.dumps(RunsShell(), protocol=2) if name == "objects.pkl" else body)
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {os.system.__module__}.system"):
        load(io.BytesIO(hostile.getvalue()))
    assert not (tmp_path / "pwned").exists()


# ----- PyTorch interop --------------------------------------------------------------------------
@requires_torch
def test_torch_loads_objects_minitorch_saved_in_torch_format_when_it_can_import_their_classes():
    p = minitorch.nn.Parameter(minitorch.arange(3.0))
    data = saved({"cfg": objects.Config(0.5, [1]), "w": minitorch.ones(2, 2), "p": p}, "torch")
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL tests._checkpoint_objects.Config"):
        torch.load(io.BytesIO(data))
    theirs = torch.load(io.BytesIO(data), weights_only=False)
    assert theirs["cfg"] == objects.Config(0.5, [1])
    assert torch.equal(theirs["w"], torch.ones(2, 2))
    assert type(theirs["p"]) is torch.nn.Parameter and theirs["p"].tolist() == [0, 1, 2]


@requires_torch
def test_objects_torch_saved_load_with_weights_only_false_and_torch_modules_are_refused_clearly():
    buffer = io.BytesIO()
    torch.save({"args": argparse.Namespace(lr=0.1), "p": torch.nn.Parameter(torch.ones(2)),
                "state": OrderedDict(w=torch.zeros(1))}, buffer)
    loaded = load(io.BytesIO(buffer.getvalue()), weights_only=False)
    assert loaded["args"] == argparse.Namespace(lr=0.1)
    assert type(loaded["p"]) is minitorch.nn.Parameter and loaded["p"].tolist() == [1, 1]
    with serialization.safe_globals([argparse.Namespace]):
        assert load(io.BytesIO(buffer.getvalue()))["args"] == argparse.Namespace(lr=0.1)
    buffer = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2), buffer)
    with pytest.raises(RuntimeError, match="PyTorch torch.nn.modules.linear.Linear object, which minitorch "
                                           "can't rebuild: save its state_dict()"):
        load(io.BytesIO(buffer.getvalue()), weights_only=False)
