"""What minitorch does not support yet is said at the call: every name of
minitorch/_unsupported.py's table raises a NotImplementedError naming it and the advice, while
hasattr() still answers False (the error is an AttributeError too); docs/porting-from-pytorch.md's
"What is not supported yet" section is the same table, both ways; and no entry names something
minitorch now has (an implemented name must leave the table)."""
import pathlib
import re

import pytest

import minitorch
import minitorch.nn.functional  # noqa: F401 - the namespaces the table names
import minitorch.nn.utils  # noqa: F401
import minitorch.utils  # noqa: F401
from minitorch._unsupported import UNSUPPORTED, NotSupportedError
from tests._compat import torch

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "porting-from-pytorch.md"
ROW = re.compile(r"^\| `torch\.([\w.]+)` \| (.+) \|$")


def _doc_table() -> dict:
    text = DOC.read_text()
    section = text.split("## What is not supported yet", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(2) for m in map(ROW.match, section.splitlines()) if m}


def _owner_and_name(key: str):
    """The object a program reads the name from, and the name: Tensor methods on a tensor."""
    path, _, name = key.rpartition(".")
    if path == "Tensor":
        return minitorch.ones(2), name
    owner = minitorch
    for part in filter(None, path.split(".")):
        owner = getattr(owner, part)
    return owner, name


def test_the_doc_section_is_the_table():
    assert _doc_table() == UNSUPPORTED


@pytest.mark.parametrize("key", sorted(UNSUPPORTED))
def test_each_name_raises_a_clear_not_implemented_error(key):
    owner, name = _owner_and_name(key)
    with pytest.raises(NotImplementedError) as info:
        getattr(owner, name)
    assert isinstance(info.value, NotSupportedError)
    assert f"torch.{key} is not supported by minitorch yet" in str(info.value)
    assert UNSUPPORTED[key] in str(info.value)
    assert not hasattr(owner, name)
    assert getattr(owner, name, "absent") == "absent"


@pytest.mark.parametrize("key", sorted(UNSUPPORTED))
def test_each_name_exists_in_torch(key):
    """The table lists PyTorch's real names (a typo would promise advice nobody reaches)."""
    if torch is None:
        pytest.skip("torch is not installed")
    import importlib
    import importlib.util
    for module in ("torch.nn.utils.prune", "torch.nn.utils.parametrize", "torch.nn.utils.parametrizations",
                   "torch.nn.utils.fusion", "torch.nn.utils.stateless", "torch.utils.checkpoint",
                   "torch.utils.benchmark", "torch.utils.cpp_extension", "torch.utils.dlpack"):
        importlib.import_module(module)
    if key == "utils.tensorboard":  # (importable only with the tensorboard package)
        assert importlib.util.find_spec("torch.utils.tensorboard") is not None
        return
    owner = torch.ones(2) if key.startswith("Tensor.") else torch
    parts = key.split(".")[1:] if key.startswith("Tensor.") else key.split(".")
    for part in parts:
        owner = getattr(owner, part)


def test_an_unknown_name_is_a_plain_attribute_error():
    with pytest.raises(AttributeError) as info:
        minitorch.no_such_function
    assert not isinstance(info.value, NotImplementedError)
    assert "has no attribute 'no_such_function'" in str(info.value)
    with pytest.raises(AttributeError):
        minitorch.ones(1).no_such_method
