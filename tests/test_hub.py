"""minitorch.hub: the checkpoint cache where PyTorch keeps it, downloads all or nothing and
checked, a clear error offline, and the names PyTorch programs import from it."""
import hashlib
import os
import pathlib
import urllib.error

import numpy as np
import pytest

import minitorch
from minitorch import hub

from ._compat import requires_torch, torch


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    hub.set_dir(str(tmp_path / "hub"))
    return tmp_path / "hub"


def _checkpoint(tmp_path, name_stem="tiny"):
    """A saved state dict published under a name carrying its SHA-256 prefix, as a file:// URL."""
    source = tmp_path / "source.pth"
    minitorch.save({"w": minitorch.arange(6.0).reshape(2, 3)}, str(source))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    published = tmp_path / f"{name_stem}-{digest[:8]}.pth"
    source.rename(published)
    return published.as_uri(), digest


def test_get_dir_follows_torch_home(monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("TORCH_HOME", "/some/where")
    assert hub.get_dir() == os.path.join("/some/where", "hub")
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", "/cache")
    assert hub.get_dir() == os.path.join("/cache", "torch", "hub")
    hub.set_dir("~/x")
    assert hub.get_dir() == os.path.expanduser("~/x")


def test_load_state_dict_from_url_downloads_once_checks_the_hash_and_caches(hub_dir, tmp_path):
    url, _ = _checkpoint(tmp_path)
    state = hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    np.testing.assert_array_equal(state["w"].numpy(), np.arange(6.0, dtype=np.float32).reshape(2, 3))
    cached = hub_dir / "checkpoints" / pathlib.Path(url).name
    assert cached.exists() and os.listdir(hub_dir / "checkpoints") == [cached.name]
    pathlib.Path(url[len("file://"):]).unlink()  # the second call reads the cache only
    assert minitorch.equal(hub.load_state_dict_from_url(url)["w"], state["w"])


def test_a_download_with_the_wrong_hash_leaves_nothing(hub_dir, tmp_path):
    url, digest = _checkpoint(tmp_path)
    wrong = url.replace(digest[:8], "00000000")
    pathlib.Path(url[len("file://"):]).rename(wrong[len("file://"):])
    with pytest.raises(RuntimeError, match='invalid hash value \\(expected "00000000", got "' + digest):
        hub.load_state_dict_from_url(wrong, check_hash=True, progress=False)
    assert os.listdir(hub_dir / "checkpoints") == []


def test_offline_the_error_names_the_missing_file_and_its_source(hub_dir, tmp_path):
    url = (tmp_path / "nowhere" / "resnet18-f37072fd.pth").as_uri()
    with pytest.raises(urllib.error.URLError) as info:
        hub.load_state_dict_from_url(url, progress=False)
    message = str(info.value)
    assert url in message and str(hub_dir / "checkpoints" / "resnet18-f37072fd.pth") in message
    assert os.listdir(hub_dir / "checkpoints") == []


def test_github_model_loading_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="torch.hub.load is not supported by minitorch"):
        hub.load("pytorch/vision", "resnet18")


def test_hub_reexports_tqdm():
    from minitorch.hub import tqdm
    assert sum(tqdm(range(4), disable=True)) == 6


@requires_torch
def test_a_checkpoint_torch_cached_is_read_from_the_same_place(hub_dir, tmp_path):
    (hub_dir / "checkpoints").mkdir(parents=True)
    torch.save({"b": torch.tensor([1.5, -2.0])}, str(hub_dir / "checkpoints" / "net-0123abcd.pth"))
    state = hub.load_state_dict_from_url("https://example.invalid/models/net-0123abcd.pth")
    np.testing.assert_array_equal(state["b"].numpy(), [1.5, -2.0])
    torch.hub.set_dir(str(hub_dir))
    assert torch.hub.get_dir() == hub.get_dir()
