"""minitorch.vision.models: torchvision's architectures, state_dict keys, parameter counts and
initialisation.

torchvision is not installed here, so the checks are: the state_dict keys torchvision's
module names give (spelled out below from torchvision's source), the parameter counts
torchvision publishes for each model, the init distributions, and - where torch is
installed - the very same model definition run by torch (the source file executed with
torch's nn in place of minitorch's): from the same seed both must hold the same weights,
and compute the same outputs and gradients."""
import math
import pathlib
import warnings

import numpy as np
import pytest

import minitorch
from minitorch.vision import models
from minitorch.vision.models import vgg as vgg_module
from tests._compat import requires_torch, torch

# torchvision's published num_params (its Weights metadata)
RESNET_PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
                 "resnet101": 44_549_160, "resnet152": 60_192_808}
VGG_PARAMS = {"vgg11": 132_863_336, "vgg11_bn": 132_868_840, "vgg13": 133_047_848, "vgg13_bn": 133_053_736,
              "vgg16": 138_357_544, "vgg16_bn": 138_365_992, "vgg19": 143_667_240, "vgg19_bn": 143_678_248}
ALEXNET_PARAMS = 61_100_840


def resnet_keys(blocks, bottleneck):
    """torchvision's ResNet state_dict keys, in order."""
    def bn(prefix):
        return [f"{prefix}.{k}" for k in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")]
    keys = ["conv1.weight"] + bn("bn1")
    convs = 3 if bottleneck else 2
    for stage, n in enumerate(blocks, start=1):
        for b in range(n):
            prefix = f"layer{stage}.{b}"
            for c in range(1, convs + 1):
                keys += [f"{prefix}.conv{c}.weight"] + bn(f"{prefix}.bn{c}")
            if b == 0 and (stage > 1 or bottleneck):
                keys += [f"{prefix}.downsample.0.weight"] + bn(f"{prefix}.downsample.1")
    return keys + ["fc.weight", "fc.bias"]


# conv positions in VGG's features Sequential, and the classifier's Linear positions
VGG16_CONVS = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
VGG11_BN_CONVS = [0, 4, 8, 11, 15, 18, 22, 25]
ALEXNET_KEYS = [f"features.{i}.{p}" for i in (0, 3, 6, 8, 10) for p in ("weight", "bias")] + \
               [f"classifier.{i}.{p}" for i in (1, 4, 6) for p in ("weight", "bias")]


def vgg_keys(convs, batch_norm):
    keys = []
    for i in convs:
        keys += [f"features.{i}.weight", f"features.{i}.bias"]
        if batch_norm:
            keys += [f"features.{i + 1}.{k}" for k in ("weight", "bias", "running_mean", "running_var",
                                                       "num_batches_tracked")]
    return keys + [f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")]


def n_params(model):
    return sum(p.numel() for p in model.parameters())


# ----- architecture: keys and parameter counts ---------------------------------------------------

@pytest.mark.parametrize("name, blocks, bottleneck", [("resnet18", [2, 2, 2, 2], False), ("resnet34", [3, 4, 6, 3], False),
                                                      ("resnet50", [3, 4, 6, 3], True)])
def test_resnet_keys_and_parameter_counts_are_torchvisions(name, blocks, bottleneck):
    model = getattr(models, name)()
    assert list(model.state_dict()) == resnet_keys(blocks, bottleneck)
    assert n_params(model) == RESNET_PARAMS[name]
    assert len(model.state_dict()) == {"resnet18": 122, "resnet34": 218, "resnet50": 320}[name]


@pytest.mark.parametrize("name", ["resnet101", "resnet152"])
def test_deeper_resnets_have_torchvisions_parameter_counts(name):
    assert n_params(getattr(models, name)(num_classes=1000)) == RESNET_PARAMS[name]


@pytest.fixture(scope="module")
def vgg11_bn():
    minitorch.manual_seed(0)
    return models.vgg11_bn()


def test_vgg_keys_and_classifier_are_torchvisions(vgg11_bn):
    assert list(vgg11_bn.state_dict()) == vgg_keys(VGG11_BN_CONVS, True)
    assert n_params(vgg11_bn) == VGG_PARAMS["vgg11_bn"]
    assert repr(vgg11_bn.avgpool) == "AdaptiveAvgPool2d(output_size=(7, 7))"


@pytest.mark.parametrize("name", sorted(VGG_PARAMS))
def test_every_vgg_builder_gives_torchvisions_parameter_count(vgg11_bn, monkeypatch, name):
    # The builders differ only in their features; the classifier (built once above) is shared.
    monkeypatch.setattr(vgg_module, "VGG", lambda features, **kwargs: features)
    features = getattr(models, name)()
    classifier = n_params(vgg11_bn.classifier)
    assert n_params(features) + classifier == VGG_PARAMS[name]
    if name == "vgg16":
        keys = [k for k in vgg_keys(VGG16_CONVS, False) if k.startswith("features.")]
        assert list(f"features.{k}" for k in features.state_dict()) == keys


def test_alexnet_keys_and_parameter_count_are_torchvisions():
    model = models.alexnet()
    assert list(model.state_dict()) == ALEXNET_KEYS and n_params(model) == ALEXNET_PARAMS


@pytest.mark.parametrize("builder, size, classes", [("resnet18", 32, 10), ("resnet50", 32, 7)])
def test_output_shapes_and_every_parameter_gets_a_gradient(builder, size, classes):
    model = getattr(models, builder)(num_classes=classes)
    out = model(minitorch.randn(2, 3, size, size))
    assert tuple(out.shape) == (2, classes)
    out.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum().item() > 0 for p in model.parameters())


def test_vgg_pools_a_small_input_up_to_7x7(vgg11_bn):
    vgg11_bn.eval()
    assert tuple(vgg11_bn(minitorch.randn(1, 3, 32, 32)).shape) == (1, 1000)


# ----- initialisation -----------------------------------------------------------------------------

def test_resnet_initialisation_follows_torchvision():
    minitorch.manual_seed(0)
    model = models.resnet50()
    for name, module in model.named_modules():
        if isinstance(module, minitorch.nn.Conv2d):
            w = module.weight.detach().numpy()
            fan_out = w.shape[0] * w.shape[2] * w.shape[3]
            if w.size > 20000:  # enough draws to pin the std to 2%
                assert abs(w.std() / math.sqrt(2 / fan_out) - 1) < 0.02, name
                assert abs(w.mean()) < 0.05 * w.std(), name
        elif isinstance(module, minitorch.nn.BatchNorm2d):
            assert (module.weight.detach().numpy() == 1).all() and (module.bias.detach().numpy() == 0).all()
    bound = 1 / math.sqrt(2048)  # fc keeps Linear's default U(-1/sqrt(in), 1/sqrt(in))
    fc = model.fc.weight.detach().numpy()
    assert np.abs(fc).max() <= bound and abs(fc.std() / (bound / math.sqrt(3)) - 1) < 0.01
    zeroed = models.resnet18(zero_init_residual=True)
    assert all((block.bn2.weight.detach().numpy() == 0).all() for layer in (zeroed.layer1, zeroed.layer4)
               for block in layer)


def test_vgg_initialisation_follows_torchvision(vgg11_bn):
    for module in vgg11_bn.modules():
        if isinstance(module, minitorch.nn.Linear):
            w = module.weight.detach().numpy()
            assert abs(w.std() / 0.01 - 1) < 0.01 and (module.bias.detach().numpy() == 0).all()
        elif isinstance(module, minitorch.nn.Conv2d):
            assert (module.bias.detach().numpy() == 0).all()


# ----- the same definition run by torch ------------------------------------------------------------

def torch_definition(module: str) -> dict:
    """The namespace of minitorch/vision/models/<module>.py executed with torch's nn and flatten."""
    path = pathlib.Path(models.__file__).parent / f"{module}.py"
    source = path.read_text()
    for old, new in [("from ... import flatten\n", "from torch import flatten\n"),
                     ("from ... import nn\n", "from torch import nn\n"),
                     ("from ._api import WeightsEnum, builder_weights, imagenet_weights, load_weights\n",
                      "from enum import Enum as WeightsEnum\n"
                      "def imagenet_weights(*args):\n    return args\n"
                      "def builder_weights(enum, weights, kwargs):\n    return None\n"
                      "def load_weights(model, weights, progress):\n    return model\n")]:
        assert old in source
        source = source.replace(old, new)
    namespace = {"__name__": f"torch_{module}"}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


def _same_weights(mt_model, torch_model):
    mt_state, torch_state = mt_model.state_dict(), torch_model.state_dict()
    assert list(mt_state) == list(torch_state)
    for key in mt_state:
        np.testing.assert_array_equal(mt_state[key].numpy(), torch_state[key].numpy(), err_msg=key)


def _assert_close(got, expected, rtol, name=""):
    got, expected = got.detach().numpy(), expected.detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max(), err_msg=name)


@requires_torch
@pytest.mark.parametrize("module, builder, kwargs, size", [
    ("resnet", "resnet18", {"num_classes": 10}, 32),
    ("resnet", "resnet50", {"num_classes": 10}, 32),
    ("alexnet", "alexnet", {"num_classes": 10}, 64),
])
def test_the_same_seed_gives_torchs_weights_and_outputs(module, builder, kwargs, size):
    torch.manual_seed(0)
    expected = torch_definition(module)[builder](**kwargs)
    minitorch.manual_seed(0)
    got = getattr(models, builder)(**kwargs)
    _same_weights(got, expected)
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    expected.eval()
    got.eval()
    with torch.no_grad():
        reference = expected(torch.tensor(x))
    _assert_close(got(minitorch.tensor(x)), reference, 1e-4)


@requires_torch
@pytest.mark.parametrize("block, layers", [("BasicBlock", [1, 1, 1, 1]), ("Bottleneck", [1, 1, 1, 1])])
def test_a_training_step_matches_torch(block, layers):
    # float64: batch norm over the few values of a small input's last stages amplifies float32
    # rounding (torch's own float32 gradients differ from its float64 ones by up to 30% there)
    namespace = torch_definition("resnet")
    torch.manual_seed(0)
    expected = namespace["ResNet"](namespace[block], layers, num_classes=10).double()
    minitorch.manual_seed(0)
    got = models.ResNet(getattr(models, block), layers, num_classes=10).double()
    x = np.random.default_rng(0).standard_normal((4, 3, 32, 32))
    out_t, out_m = expected(torch.tensor(x)), got(minitorch.tensor(x))
    _assert_close(out_m, out_t, 1e-9)
    out_t.square().mean().backward()
    out_m.square().mean().backward()
    for (name, p_m), (_, p_t) in zip(got.named_parameters(), expected.named_parameters()):
        _assert_close(p_m.grad, p_t.grad, 1e-7, name)
    _assert_close(got.layer4[0].bn2.running_var, expected.layer4[0].bn2.running_var, 1e-9)


@requires_torch
def test_alexnet_training_draws_torchs_dropout_masks():
    torch.manual_seed(0)
    expected = torch_definition("alexnet")["alexnet"](num_classes=10)
    minitorch.manual_seed(0)
    got = models.alexnet(num_classes=10)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    torch.manual_seed(1)
    minitorch.manual_seed(1)
    out_t, out_m = expected(torch.tensor(x)), got(minitorch.tensor(x))
    _assert_close(out_m, out_t, 1e-4)
    out_t.square().mean().backward()
    out_m.square().mean().backward()
    for (name, p_m), (_, p_t) in zip(got.named_parameters(), expected.named_parameters()):
        _assert_close(p_m.grad, p_t.grad, 1e-4, name)


@requires_torch
def test_vgg_from_the_same_seed_has_torchs_weights_and_outputs(vgg11_bn):
    torch.manual_seed(0)
    expected = torch_definition("vgg")["vgg11_bn"]()
    _same_weights(vgg11_bn, expected)
    x = np.random.default_rng(1).standard_normal((1, 3, 32, 32)).astype(np.float32)
    expected.eval()
    vgg11_bn.eval()
    with torch.no_grad():
        reference = expected(torch.tensor(x)).numpy()
    np.testing.assert_allclose(vgg11_bn(minitorch.tensor(x)).detach().numpy(), reference, rtol=1e-4,
                               atol=1e-4 * np.abs(reference).max())


@requires_torch
def test_a_minitorch_state_dict_loads_into_the_torch_model():
    minitorch.manual_seed(3)
    got = models.resnet18(num_classes=4)
    expected = torch_definition("resnet")["resnet18"](num_classes=4)
    expected.load_state_dict({k: torch.tensor(v.numpy()) for k, v in got.state_dict().items()})
    _same_weights(got, expected)


# ----- weights --------------------------------------------------------------------------------------

def test_weight_enums_have_torchvisions_api():
    assert repr(models.VGG19_Weights.DEFAULT) == "VGG19_Weights.IMAGENET1K_V1"
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.ResNet18_Weights.verify("DEFAULT") is models.ResNet18_Weights.IMAGENET1K_V1
    assert models.ResNet18_Weights.verify("ResNet18_Weights.IMAGENET1K_V1") is models.ResNet18_Weights.IMAGENET1K_V1
    assert models.VGG16_Weights.IMAGENET1K_V1.url == "https://download.pytorch.org/models/vgg16-397923af.pth"
    assert models.AlexNet_Weights.DEFAULT.meta["num_params"] == 61100840
    with pytest.raises(TypeError, match="Invalid Weight class provided; expected ResNet18_Weights but received "
                                        "VGG16_Weights."):
        models.resnet18(weights=models.VGG16_Weights.DEFAULT)
    with pytest.raises(KeyError):
        models.resnet18(weights="IMAGENET1K_V9")
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000 but got 10 instead."):
        models.resnet18(weights="DEFAULT", num_classes=10)


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    from minitorch import hub
    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path))
    return tmp_path / "checkpoints"


def test_weights_offline_name_the_missing_checkpoint_and_its_url(hub_dir, monkeypatch):
    import urllib.error
    from minitorch import hub

    def offline(url, dst, hash_prefix=None, progress=True):
        raise urllib.error.URLError("no network")
    monkeypatch.setattr(hub, "download_url_to_file", offline)
    with pytest.raises(urllib.error.URLError) as info:
        models.vgg19(weights=models.VGG19_Weights.DEFAULT)
    assert "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth" in str(info.value)
    assert str(hub_dir / "vgg19-dcbb9e9d.pth") in str(info.value)


def test_weights_load_from_the_hub_cache(hub_dir):
    minitorch.manual_seed(0)
    trained = models.resnet18()
    hub_dir.mkdir()
    minitorch.save(trained.state_dict(), str(hub_dir / "resnet18-f37072fd.pth"))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        legacy = models.resnet18(pretrained=True)
    assert str(record[1].message).endswith("equivalent to passing `weights=ResNet18_Weights.IMAGENET1K_V1`. You can "
                                           "also use `weights=ResNet18_Weights.DEFAULT` to get the most up-to-date "
                                           "weights.")
    for model in (models.resnet18(weights="DEFAULT"), legacy):
        for (name, got), want in zip(model.state_dict().items(), trained.state_dict().values()):
            assert minitorch.equal(got, want), name


def test_the_legacy_pretrained_false_warns_as_torchvision_and_builds():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = models.resnet18(pretrained=False, num_classes=3)
    assert [str(w.message) for w in record] == [
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, please use 'weights' "
        "instead.",
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be removed in "
        "the future. The current behavior is equivalent to passing `weights=None`."]
    assert model.fc.out_features == 3


def test_builders_take_keyword_arguments_only():
    with pytest.raises(TypeError):
        models.resnet18(True)
