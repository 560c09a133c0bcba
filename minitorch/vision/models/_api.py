"""What the model builders share: torchvision's ``weights`` / legacy ``pretrained`` arguments.

minitorch ships no pretrained weights, so ``weights`` must be None; torchvision's older
``pretrained=False`` is accepted with torchvision's deprecation warnings.
"""
from __future__ import annotations

import warnings


def no_weights(builder: str, weights, kwargs: dict) -> None:
    """Check the weights arguments of builder (removing a legacy ``pretrained`` from kwargs);
    ValueError for anything that asks for pretrained weights."""
    if "pretrained" in kwargs:
        pretrained = kwargs.pop("pretrained")
        if not pretrained:
            warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, "
                          "please use 'weights' instead.", stacklevel=3)
            warnings.warn("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and "
                          "may be removed in the future. The current behavior is equivalent to passing "
                          "`weights=None`.", stacklevel=3)
        else:
            weights = f"pretrained={pretrained!r}"
    if weights is not None:
        shown = weights if isinstance(weights, str) and weights.startswith("pretrained=") else f"weights={weights!r}"
        raise ValueError(f"{builder}({shown}): pretrained weights are not shipped with minitorch. Build the model "
                         f"with weights=None (its layers are initialised as torchvision initialises them) and "
                         "train it, or load weights you have with model.load_state_dict(state_dict).")
