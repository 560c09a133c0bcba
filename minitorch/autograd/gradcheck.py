"""gradcheck: compare backward's gradients with central finite differences."""
from __future__ import annotations

import numpy as np

from .engine import grad as _grad
from .grad_mode import no_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_ignored) -> bool:
    """True when func's backward matches central differences (f(x+eps)-f(x-eps))/2eps for every
    input that requires grad; inputs should be float64 for the default tolerances. O(numel^2)."""
    from ..tensor import Tensor
    inputs = _as_tuple(inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for t in diff:
        if t.dtype.name != "float64":
            import warnings
            warnings.warn(f"Input #{inputs.index(t)} requires gradient and is not a double precision "
                          "floating point. gradcheck may fail due to precision", stacklevel=2)
    outputs = _as_tuple(func(*inputs))
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor) or not out.requires_grad:
            continue
        n_out = out.numel()
        # Analytical Jacobian: one backward per output element.
        analytical = [np.zeros((t.numel(), n_out)) for t in diff]
        for j in range(n_out):
            seed = np.zeros(n_out)
            seed[j] = 1.0
            g_out = Tensor._wrap(seed.reshape(out.shape).astype(out.dtype.np))
            grads = _grad(out, diff, g_out, retain_graph=True, allow_unused=True)
            for a, g in zip(analytical, grads):
                if g is not None:
                    a[:, j] = g.numpy().reshape(-1)
        # Numerical Jacobian: perturb each input element in place.
        for i, t in enumerate(diff):
            numerical = np.zeros((t.numel(), n_out))
            flat = t.detach().numpy().reshape(-1) if t.is_contiguous() else None
            if flat is None:
                raise ValueError("gradcheck needs contiguous inputs")
            for e in range(t.numel()):
                orig = flat[e]
                with no_grad():
                    flat[e] = orig + eps
                    plus = _as_tuple(func(*inputs))[k].numpy().astype(np.float64).reshape(-1)
                    flat[e] = orig - eps
                    minus = _as_tuple(func(*inputs))[k].numpy().astype(np.float64).reshape(-1)
                    flat[e] = orig
                numerical[e] = (plus - minus) / (2 * eps)
            if not np.allclose(analytical[i], numerical, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {inputs.index(t)},\n"
                        f"numerical:{numerical}\nanalytical:{analytical[i]}\n")
                return False
    return True
