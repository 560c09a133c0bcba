"""``torch.special``: the special functions minitorch has, under PyTorch's names. Each is the
op of the same meaning at the top level (``special.expit`` is ``minitorch.sigmoid``,
``special.gammaln`` is ``minitorch.lgamma``) or one only torch.special has (``ndtri``,
``i1e``: _ops/special_more.py), with its gradient, or a Bessel function
(_ops/special_bessel.py, without gradient, as PyTorch's); the ones minitorch lacks
raise NotImplementedError saying so (docs/porting-from-pytorch.md lists them)."""
from __future__ import annotations

from . import _ops  # noqa: F401 - the declarations below are read from the package
from ._declare import FUNCTIONS as _FUNCTIONS
from ._ops.special_bessel import BESSEL as _BESSEL
from ._ops.special_more import SPECIAL as _SPECIAL

# torch.special name -> minitorch function of the same values.
_SAME = {
    "digamma": "digamma", "psi": "digamma", "erf": "erf", "erfc": "erfc", "exp2": "exp2", "erfinv": "erfinv", "expit": "sigmoid",
    "expm1": "expm1", "gammaln": "lgamma", "i0": "i0", "log1p": "log1p", "log_softmax": "log_softmax",
    "logit": "logit", "logsumexp": "logsumexp", "polygamma": "polygamma", "round": "round", "sinc": "sinc",
    "softmax": "softmax", "xlogy": "xlogy",
}

for _name, _target in _SAME.items():
    globals()[_name] = _FUNCTIONS[_target]
globals().update(_SPECIAL)  # the functions only torch.special has
globals().update(_BESSEL)  # its Bessel functions (no gradient)

__all__ = sorted([*_SAME, *_SPECIAL, *_BESSEL])


def __getattr__(name: str):
    from ._unsupported import missing
    raise missing("special", name, "module 'minitorch.special'")
