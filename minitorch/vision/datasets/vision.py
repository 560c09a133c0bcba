"""``VisionDataset``: the root folder, transforms and printed form shared by vision datasets."""
from __future__ import annotations

import os
from typing import Callable, Optional

from ...utils.data import Dataset


class StandardTransform:
    """Applies ``transform`` to the input and ``target_transform`` to the target."""

    def __init__(self, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self) -> str:
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += _indented(repr(self.transform), "Transform: ")
        if self.target_transform is not None:
            body += _indented(repr(self.target_transform), "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """A dataset under ``root`` whose samples pass through ``transform`` / ``target_transform``.

    Subclasses implement ``__getitem__`` and ``__len__``, and may add lines to the
    printed form with ``extra_repr``.
    """

    _repr_indent = 4

    def __init__(self, root, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None) -> None:
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        self.transform = transform
        self.target_transform = target_transform
        has_transforms = transform is not None or target_transform is not None
        self.transforms = StandardTransform(transform, target_transform) if has_transforms else None

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += repr(self.transforms).splitlines()
        indent = " " * self._repr_indent
        return "\n".join([f"Dataset {self.__class__.__name__}"] + [indent + line for line in body])

    def extra_repr(self) -> str:
        return ""


def _indented(text: str, head: str) -> list:
    lines = text.splitlines()
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]
