"""ParameterList / ParameterDict: registration, state_dict names, repr, list/dict behaviour, as torch's."""
from collections import OrderedDict

import numpy as np
import pytest

import minitorch
from minitorch import nn
from tests._compat import requires_torch, torch


def test_parameter_list_registers_and_wraps_tensors():
    plist = nn.ParameterList([minitorch.ones(2, 3), nn.Parameter(minitorch.zeros(3)), "note"])
    assert len(plist) == 3
    assert isinstance(plist[0], nn.Parameter) and plist[0].requires_grad
    assert plist[2] == "note" and plist[-1] == "note"
    assert [n for n, _ in plist.named_parameters()] == ["0", "1"]
    holder = nn.Module()
    holder.params = plist
    assert list(holder.state_dict().keys()) == ["params.0", "params.1"]
    assert len(list(holder.parameters())) == 2


def test_parameter_list_append_extend_slice_setitem():
    plist = nn.ParameterList()
    plist.append(minitorch.ones(1)).extend([minitorch.zeros(2), minitorch.ones(3)])
    plist += [minitorch.ones(4)]
    assert [p.shape[0] for p in plist] == [1, 2, 3, 4]
    part = plist[1:4:2]
    assert isinstance(part, nn.ParameterList) and [p.shape[0] for p in part] == [2, 4]
    plist[0] = minitorch.full((5,), 2.0)
    assert isinstance(plist[0], nn.Parameter) and plist[0].shape == (5,)
    with pytest.raises(IndexError, match="index 4 is out of range"):
        plist[4]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"):
        plist.extend(minitorch.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        plist()


def test_parameter_list_trains_with_an_optimizer():
    plist = nn.ParameterList([minitorch.ones(3) for _ in range(2)])
    opt = minitorch.optim.SGD(plist.parameters(), lr=0.5)
    (plist[0] * 2 + plist[1]).sum().backward()
    opt.step()
    np.testing.assert_allclose(plist[0].detach().numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(plist[1].detach().numpy(), [0.5, 0.5, 0.5])


def test_parameter_dict_order_update_and_dict_methods():
    pdict = nn.ParameterDict({"b": minitorch.ones(2), "a": minitorch.zeros(1), "c": 3})
    assert list(pdict) == ["a", "b", "c"]  # a plain dict is added in sorted key order
    assert list(pdict.state_dict().keys()) == ["a", "b"]
    pdict.update([("z", minitorch.ones(1)), ("y", minitorch.ones(1))])  # pairs keep their order
    assert list(pdict.keys())[-2:] == ["z", "y"]
    assert "z" in pdict and pdict.get("missing", 7) == 7
    key, value = pdict.popitem()
    assert key == "y" and isinstance(value, nn.Parameter) and "y" not in pdict
    assert pdict.setdefault("w", minitorch.ones(2)).shape == (2,)
    merged = pdict | nn.ParameterDict(OrderedDict(q=minitorch.ones(1)))
    assert list(merged)[-1] == "q" and "q" not in pdict
    del pdict["a"]
    assert "a" not in pdict and "a" not in dict(pdict.named_parameters())
    pdict.clear()
    assert len(pdict) == 0 and list(pdict.parameters()) == []


def test_parameter_dict_errors():
    pdict = nn.ParameterDict()
    with pytest.raises(TypeError, match="not a string \\(type is 'int'\\)"):
        pdict[1] = minitorch.ones(1)
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        pdict.update([("a", 1, 2)])
    with pytest.raises(TypeError, match="ParametersDict.update should be called with an iterable"):
        pdict.update(3)
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pdict(1)


@requires_torch
def test_reprs_match_torch():
    def build(lib):
        lib.manual_seed(0)
        holder = lib.nn.Module()
        holder.plist = lib.nn.ParameterList([lib.randn(2, 3), lib.nn.Parameter(lib.randn(3)), "x"])
        holder.single = lib.nn.ParameterList([lib.ones(2)])
        holder.pdict = lib.nn.ParameterDict({"b": lib.randn(2), "a": lib.randn(2, 3, dtype=lib.float64), "c": 3})
        holder.empty = lib.nn.ParameterDict()
        return holder
    assert repr(build(minitorch)) == repr(build(torch))


@requires_torch
def test_state_dict_loads_into_torch_containers():
    mine = nn.ParameterDict({"w": minitorch.randn(2, 2), "b": minitorch.randn(2)})
    theirs = torch.nn.ParameterDict({"w": torch.zeros(2, 2), "b": torch.zeros(2)})
    theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in mine.state_dict().items()})
    np.testing.assert_array_equal(theirs["w"].detach().numpy(), mine["w"].detach().numpy())
