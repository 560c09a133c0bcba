"""gradcheck: compare backward's gradients with central finite differences."""
from __future__ import annotations

import numpy as np

from .engine import grad as _grad
from .grad_mode import enable_grad, no_grad


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
            warnings.warn(f"Input #{next(j for j, x in enumerate(inputs) if x is t)} requires gradient and is not a double precision "
                          "floating point. gradcheck may fail due to precision", stacklevel=2)
    outputs = _as_tuple(func(*inputs))
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor) or not out.requires_grad:
            continue
        n_out = out.numel()
        # Analytical Jacobian: one backward per output element.
        analytical = [np.zeros((t.numel(), n_out)) for t in diff]
        for j in range(n_out):
            g_out = out.new_zeros(n_out)
            g_out[j] = 1.0
            grads = _grad(out, diff, g_out.view(out.shape), retain_graph=True, allow_unused=True)
            for a, g in zip(analytical, grads):
                if g is not None:
                    a[:, j] = _host(g)
        # Numerical Jacobian: perturb each input element in place (on its device, through a
        # detached alias, and without counting as a modification of the input).
        for i, t in enumerate(diff):
            numerical = np.zeros((t.numel(), n_out))
            alias, version = t.detach(), t._vbox[0]
            for e in range(t.numel()):
                where = np.unravel_index(e, tuple(t.shape))
                orig = alias[where].item()
                with no_grad():
                    alias[where] = orig + eps
                    plus = _host(_as_tuple(func(*inputs))[k])
                    alias[where] = orig - eps
                    minus = _host(_as_tuple(func(*inputs))[k])
                    alias[where] = orig
                numerical[e] = (plus - minus) / (2 * eps)
            t._vbox[0] = version
            if not np.allclose(analytical[i], numerical, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input "
                        f"{next(j for j, x in enumerate(inputs) if x is t)},\n"
                        f"numerical:{numerical}\nanalytical:{analytical[i]}\n")
                return False
    return True


def _host(t) -> np.ndarray:
    """t's values as a flat float64 NumPy array, wherever t lives and whether or not it needs grad."""
    return t.detach().cpu().numpy().astype(np.float64).reshape(-1)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, **_ignored) -> bool:
    """gradcheck of the backward itself: the gradients of func's outputs with respect to the
    inputs, as a function of (inputs, grad_outputs), against central differences. Without
    grad_outputs, random ones (float64 normal) are drawn."""
    from ..tensor import Tensor
    inputs = _as_tuple(inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if grad_outputs is None:
        outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
        grad_outputs = tuple(o.new_empty(o.shape).normal_().detach().requires_grad_(True)
                             for o in outputs)
        if gen_non_contig_grad_outputs:
            grad_outputs = tuple(g.detach().t().contiguous().t().requires_grad_(True) if g.dim() == 2 else g
                                 for g in grad_outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_derivatives(*args):
        ins, gouts = args[:n], args[n:]
        with enable_grad():  # gradcheck perturbs under no_grad; this must still differentiate
            outs = [o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o.requires_grad]
            wrt = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
            grads = _grad(outs, wrt, gouts, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if not diff:
        raise ValueError("gradgradcheck expects at least one input tensor to require gradient")
    return gradcheck(first_derivatives, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
