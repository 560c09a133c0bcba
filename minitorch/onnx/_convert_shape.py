"""Converters of the shape ops: views and reshapes, permutes, expand, cat / stack, repeat, flip,
tril / triu, conversions and in-place fills (indexing: _convert_index.py).

The ops take their sizes as numbers. With dynamic axes, ``reshape_parts`` and ``expand``
turn a number back into a runtime size where it stands for one: a dim of the input with
that (dynamic) size, or a named axis of that example size; one remaining dynamic factor
becomes Reshape's -1.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._ops import device, inplace, shape, triangular
from ._graph import INT64_MAX, product, static_dims
from ._registry import converts
from .errors import OnnxExporterWarning


# ----- sizes -----------------------------------------------------------------------------------
def _named(g, size: int, pool) -> str | None:
    """A named dynamic axis of this example size among the symbols in pool (size > 1)."""
    if size <= 1:
        return None
    for s in pool:
        example, source, _ = g.symbols[s]
        if source is not None and example == size:
            return s
    return None


def reshape_parts(g, x, target) -> tuple:
    """Reshape's shape input for x -> target (ints) and the output's dims."""
    target = [int(t) for t in target]
    if not x.dynamic:
        named = [s for s, (_, source, _) in g.symbols.items() if source is not None]
        if not any(_named(g, t, named) for t in target):
            return g.ints(target), static_dims(target)
    remaining = list(product(x.dims)[1])
    parts, dims, used = [], [], set()
    for i, t in enumerate(target):
        found = None
        for k, d in enumerate(x.dims):
            if k not in used and d[1] and x.shape[k] == t and _contains(remaining, d[1]):
                found = k
                break
        if found is not None:
            used.add(found)
            for s in x.dims[found][1]:
                remaining.remove(s)
            parts.append(0 if found == i else g.dim_of(x.name, found))
            dims.append(x.dims[found])
            continue
        s = _named(g, t, remaining if x.dynamic else g.symbols)
        if s is not None:
            if s in remaining:
                remaining.remove(s)
            parts.append(g.symbol_size(s))
            dims.append((1, (s,)))
            continue
        parts.append(t)
        dims.append((t, ()))
    if remaining:
        rest = g.example((1, tuple(remaining)))
        for i, p in enumerate(parts):
            if isinstance(p, int) and p > 0 and p % rest == 0:
                parts[i] = -1
                dims[i] = (p // rest, tuple(sorted(remaining)))
                break
        else:
            warnings.warn(f"reshape of a tensor of shape {list(x.shape)} to {target}: the sizes of its dynamic "
                          "axes cannot be followed; the exported graph keeps the example sizes",
                          OnnxExporterWarning, stacklevel=2)
    return g.shape_vector(parts), tuple(dims)


def _contains(pool, syms) -> bool:
    pool = list(pool)
    for s in syms:
        if s not in pool:
            return False
        pool.remove(s)
    return True


def _ones_changed(have, want):
    """(removed axes, inserted axes) when want is have with size-1 dims removed or inserted
    (only one of the two), else None."""
    removed, inserted, i, j = [], [], 0, 0
    while i < len(have) or j < len(want):
        if i < len(have) and j < len(want) and have[i] == want[j]:
            i, j = i + 1, j + 1
        elif i < len(have) and have[i] == 1:
            removed.append(i)
            i += 1
        elif j < len(want) and want[j] == 1:
            inserted.append(j)
            j += 1
        else:
            return None
    if removed and inserted:
        return None
    return removed, inserted


def reshape(g, x, target):
    """x (a Value) reshaped to target: Squeeze / Unsqueeze when only size-1 dims change."""
    target = tuple(int(t) for t in target)
    if target == x.shape:
        return x
    change = _ones_changed(x.shape, target)
    if change is not None:
        removed, inserted = change
        if removed and not any(x.dims[k][1] for k in removed):
            dims = tuple(d for k, d in enumerate(x.dims) if k not in removed)
            return g.squeeze(x.name, removed), dims
        if inserted:
            dims = list(x.dims)
            for j in inserted:
                dims.insert(j, (1, ()))
            return g.unsqueeze(x.name, inserted), tuple(dims)
    if len(target) == 2 and len(x.shape) > 2:
        for k in range(1, len(x.shape)):  # flatten(x, k) as ONNX's Flatten, whatever the sizes at runtime
            if int(np.prod(x.shape[:k])) == target[0] and int(np.prod(x.shape[k:])) == target[1]:
                return g.op("Flatten", x.name, axis=k), (product(x.dims[:k]), product(x.dims[k:]))
    parts, dims = reshape_parts(g, x, target)
    return g.op("Reshape", x.name, parts), dims


@converts(shape.ViewBackward0, shape.UnsafeViewBackward0, shape._Reshaping)
def _view(g, a, target, *, out, ctx):
    return reshape(g, g.value(a), target)


# ----- reordering ---------------------------------------------------------------------------
def transpose(g, x, perm):
    perm = [int(p) for p in perm]
    if perm == list(range(len(perm))):
        return x
    return g.op("Transpose", x.name, perm=perm), tuple(x.dims[p] for p in perm)


@converts(shape.PermuteBackward0)
def _permute(g, a, dims, *, out, ctx):
    return transpose(g, g.value(a), dims)


@converts(shape.TransposeBackward0)
def _transpose(g, a, dim0, dim1, *, out, ctx):
    perm = list(range(a.dim()))
    perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    return transpose(g, g.value(a), perm)


@converts(shape.TBackward0)
def _t(g, a, *, out, ctx):
    return transpose(g, g.value(a), list(reversed(range(a.dim()))))


@converts(shape.ExpandBackward0)
def _expand(g, a, target, *, out, ctx):
    x = g.value(a)
    lead = len(target) - len(x.shape)
    parts, dims = [], []
    for i, t in enumerate(target):
        k = i - lead
        if k >= 0 and x.shape[k] == t:
            parts.append(1)
            dims.append(x.dims[k])
            continue
        s = _named(g, int(t), g.symbols)
        parts.append(int(t) if s is None else g.symbol_size(s))
        dims.append((int(t), ()) if s is None else (1, (s,)))
    if all(p == 1 for p in parts) and lead == 0:
        return x
    return g.op("Expand", x.name, g.shape_vector(parts)), tuple(dims)


@converts(shape.CloneBackward0)
def _clone(g, a, order=None, *, out, ctx):  # (a memory format's order changes no value)
    return g.value(a)


@converts(shape.ToCopyBackward0, device.ToCopyBackward0)
def _to(g, a, target, *, out, ctx):
    x = g.value(a)
    if x.dtype == out.dtype:
        return x  # a device move: the graph has no devices
    return g.cast(x.name, x.dtype, out.dtype), x.dims


# ----- joining and tiling -----------------------------------------------------------------------
@converts(shape.CatBackward0)
def _cat(g, *args, out, ctx):
    tensors, dim = args[:-2], args[-2]
    values = [g.value(t) for t in tensors]
    names = [g.operand(t, out.dtype) for t in tensors]
    dims = list(values[0].dims)
    if any(v.dims[dim][1] for v in values):
        dims[dim] = g.opaque(out.shape[dim])
    else:
        dims[dim] = (int(out.shape[dim]), ())
    if len(names) == 1:
        return names[0], tuple(dims)
    return g.op("Concat", *names, axis=int(dim)), tuple(dims)


@converts(shape.StackBackward0)
def _stack(g, *args, out, ctx):
    tensors, dim = args[:-2], args[-2]
    names = [g.unsqueeze(g.operand(t, out.dtype), [dim]) for t in tensors]
    dims = list(g.value(tensors[0]).dims)
    dims.insert(dim, (len(tensors), ()))
    if len(names) == 1:
        return names[0], tuple(dims)
    return g.op("Concat", *names, axis=int(dim)), tuple(dims)


@converts(shape.RepeatBackward0)
def _repeat(g, a, reps, *, out, ctx):
    x = g.value(a)
    lead = len(reps) - len(x.shape)
    name = g.unsqueeze(x.name, list(range(lead))) if lead else x.name
    return g.op("Tile", name, g.ints(reps))


@converts(shape.FlipBackward0)
def _flip(g, a, dims, *, out, ctx):
    x = g.value(a)
    n = len(dims)
    return g.op("Slice", x.name, g.ints([-1] * n), g.ints([-INT64_MAX] * n), g.ints(dims), g.ints([-1] * n)), x.dims


@converts(triangular.TrilBackward0)
def _tril(g, input, diagonal, *, out, ctx):
    return g.op("Trilu", g.value(input).name, _k(g, diagonal), upper=0)


@converts(triangular.TriuBackward0)
def _triu(g, input, diagonal, *, out, ctx):
    return g.op("Trilu", g.value(input).name, _k(g, diagonal), upper=1)


def _k(g, diagonal) -> str:
    return g.const(np.array(int(diagonal), dtype=np.int64))


# ----- in-place fills ---------------------------------------------------------------------------
@converts(inplace.ZeroBackward0)
def _fill(g, a, value, *, out, ctx):
    x = g.value(a)
    return g.op("Expand", g.scalar(value, out.dtype), g.op("Shape", x.name)), x.dims


@converts(inplace.CopyBackwards)
def _copy(g, a, src, *, out, ctx):
    x = g.value(a)
    return g.op("Expand", g.operand(src, out.dtype), g.op("Shape", x.name)), x.dims
