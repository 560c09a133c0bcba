"""What the model builders share: torchvision's weight enums (``VGG19_Weights.IMAGENET1K_V1``,
``.DEFAULT``), the ``weights`` / legacy ``pretrained`` arguments, and loading the weights.

minitorch ships no weight files: a builder given weights loads torchvision's published
checkpoint from the hub cache (``~/.cache/torch/hub/checkpoints``, shared with PyTorch),
downloading it there when the machine is online; offline, the error names the missing file and
its URL. ``weights=None`` builds the randomly initialised model, as torchvision does.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Dict, Optional


def _no_preset_transforms(*args, **kwargs):
    raise NotImplementedError("the weights' preset transforms (torchvision's ImageClassification: resize, center "
                              "crop, normalize) are not supported by minitorch yet: compose them from "
                              "minitorch.vision.transforms")


@dataclass(eq=False)
class Weights:
    """A checkpoint's URL, its preset transforms and its metadata."""

    url: str
    transforms: Callable = _no_preset_transforms
    meta: Dict[str, Any] = field(default_factory=dict)


class WeightsEnum(Enum):
    """The published weights of one architecture (``IMAGENET1K_V1``, ``DEFAULT``, ...)."""

    @classmethod
    def verify(cls, obj):
        """obj as a member of this enum (a name such as "DEFAULT" is looked up); None stays None."""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                                f"{obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any):
        """The checkpoint's state dict, from the hub cache (downloaded there first when missing)."""
        from ...hub import load_state_dict_from_url
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> Dict[str, Any]:
        return self.value.meta


def imagenet_weights(file: str, num_params: int, min_size: tuple) -> Weights:
    """torchvision's ImageNet-1K checkpoint ``file`` (1000 classes)."""
    return Weights(url=f"https://download.pytorch.org/models/{file}",
                   meta={"num_params": num_params, "min_size": min_size, "num_classes": 1000})


def _overwrite_named_param(kwargs: dict, param: str, new_value) -> None:
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def builder_weights(enum: type, weights, kwargs: dict) -> Optional[WeightsEnum]:
    """The builder's weights as an enum member (or None), after torchvision's handling of the
    legacy ``pretrained`` argument (removed from kwargs); a model that will receive weights
    gets their class count (and VGG skips its random initialisation, as torchvision)."""
    if "pretrained" in kwargs:
        pretrained = kwargs.pop("pretrained")
        default = enum.IMAGENET1K_V1 if pretrained else None
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                      "please use 'weights' instead.", stacklevel=3)
        shown = f"`weights={default!r}`. You can also use `weights={enum.__name__}.DEFAULT` to get the most " \
                "up-to-date weights." if pretrained else "`weights=None`."
        warnings.warn("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may "
                      f"be removed in the future. The current behavior is equivalent to passing {shown}",
                      stacklevel=3)
        weights = default
    weights = enum.verify(weights)
    if weights is not None:
        if enum.__name__.startswith("VGG"):
            _overwrite_named_param(kwargs, "init_weights", False)
        _overwrite_named_param(kwargs, "num_classes", weights.meta["num_classes"])
    return weights


def load_weights(model, weights: Optional[WeightsEnum], progress: bool):
    """model with weights' checkpoint loaded (model itself when weights is None)."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
