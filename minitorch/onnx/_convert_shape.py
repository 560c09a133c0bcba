"""Converters of the shape ops: views and reshapes, permutes, expand, cat / stack, repeat, flip,
tril / triu, indexing (basic views, integer and mask indexing, assignment), gather / scatter,
conversions and in-place fills.

The ops take their sizes as numbers. With dynamic axes, ``reshape_parts`` and ``expand``
turn a number back into a runtime size where it stands for one: a dim of the input with
that (dynamic) size, or a named axis of that example size; one remaining dynamic factor
becomes Reshape's -1.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._ops import device, index, inplace, shape, triangular
from ._graph import INT64_MAX, product, static_dims
from ._registry import converts
from .errors import OnnxExporterWarning, UnsupportedOperatorError


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
def _clone(g, a, *, out, ctx):
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


# ----- indexing ----------------------------------------------------------------------------
def _expand_ellipsis(items, ndim: int) -> list:
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    out = []
    for item in items:
        if item is Ellipsis:
            out.extend([slice(None)] * (ndim - consumed))
            consumed = ndim  # only the first Ellipsis expands
        else:
            out.append(item)
    while sum(1 for i in out if i is not None) < ndim:
        out.append(slice(None))
    return out


def basic_index(g, x, items):
    """x[items] with ints, slices, None and Ellipsis: Slice, then Squeeze and Unsqueeze."""
    items = _expand_ellipsis(list(items), len(x.shape))
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dims, d, pos = [], 0, 0
    for item in items:
        if item is None:
            unsqueeze.append(pos)
            dims.append((1, ()))
            pos += 1
            continue
        size, dim = x.shape[d], x.dims[d]
        if isinstance(item, slice):
            start, stop, step = item.start, item.stop, item.step or 1
            full = start in (None, 0) and (stop is None or (stop >= size and not dim[1])) and step == 1
            if not full:
                s = 0 if start is None else int(start)
                if stop is None or (dim[1] and int(stop) >= size):
                    e = INT64_MAX
                else:
                    e = int(stop)
                    sym = _named(g, e, g.symbols) if not dim[1] else None
                    if sym is not None:
                        e = g.symbol_size(sym)
                starts.append(s)
                ends.append(e)
                axes.append(d)
                steps.append(step)
            n = len(range(*item.indices(size)))
            if full:
                dims.append(dim)
            elif isinstance(ends[-1], str) and starts[-1] == 0 and step == 1:
                dims.append((1, (sym,)))
            else:
                dims.append((n, ()))
            pos += 1
        else:
            i = int(item)
            starts.append(i)
            ends.append(i + 1 if i != -1 else INT64_MAX)
            axes.append(d)
            steps.append(1)
            squeeze.append(d)
        d += 1
    name = x.name
    if axes:
        ends_name = g.shape_vector(ends)
        name = g.op("Slice", name, g.ints(starts), ends_name, g.ints(axes), g.ints(steps))
    if squeeze:
        name = g.squeeze(name, squeeze)
    if unsqueeze:
        name = g.unsqueeze(name, unsqueeze)
    return name, tuple(dims)


@converts(index._BasicIndexBase)
def _basic_index(g, a, items, *, out, ctx):
    x = g.value(a)
    if not items or all(isinstance(i, slice) and i == slice(None) for i in items):
        return x
    return basic_index(g, x, items)


def _index_arrays(g, arrays_at, x):
    """Integer index arrays (graph names, int64) and their axes; bool masks become the
    positions of their True elements (NonZero when the mask is computed in the graph)."""
    out = []
    for axis, arr in arrays_at:
        v = g.values.get(id(arr))
        if arr.dtype.kind == "b":
            if v is None or v.is_const:
                for k, positions in enumerate(np.nonzero(np.asarray(arr))):
                    out.append((axis + k, g.const(positions.astype(np.int64)), positions.shape))
            else:
                nz = g.op("NonZero", v.name)
                count = int(np.count_nonzero(np.asarray(arr)))
                for k in range(arr.ndim):
                    row = g.op("Gather", nz, g.const(np.array(k, dtype=np.int64)), axis=0)
                    out.append((axis + k, row, (count,)))
            continue
        if v is None or v.is_const:
            out.append((axis, g.const(np.asarray(arr).astype(np.int64)), arr.shape))
        else:
            out.append((axis, g.cast(v.name, v.dtype, np.int64), arr.shape))
    return out


@converts(index.IndexBackward0)
def _advanced_index(g, a, items, *, out, ctx):
    """x[arrays]: one integer array is a Gather; several are broadcast, moved to the front and
    gathered by GatherND, with NumPy's rule for where the result's dims go."""
    x = g.value(a)
    if any(isinstance(i, bool) for i in items):
        raise UnsupportedOperatorError("index", g.opset, detail="indexing with a Python bool")
    items = _expand_ellipsis([i for i in items], len(x.shape))
    arrays_at, d = [], 0
    for item in items:
        if isinstance(item, slice):
            d += 1
        else:
            arrays_at.append((d, item))
            d += item.ndim if item.dtype.kind == "b" else 1
    idx = _index_arrays(g, arrays_at, x)
    if len(idx) == 1:
        axis, name, _ = idx[0]
        return g.op("Gather", x.name, name, axis=axis)
    axes = [axis for axis, _, _ in idx]
    common = tuple(np.broadcast_shapes(*[s for _, _, s in idx]))
    stacked = [g.unsqueeze(g.op("Expand", name, g.ints(common)) if tuple(s) != common else name, [-1])
               for _, name, s in idx]
    rest = [k for k in range(len(x.shape)) if k not in axes]
    moved = g.op("Transpose", x.name, perm=axes + rest) if axes + rest != list(range(len(x.shape))) else x.name
    result = g.op("GatherND", moved, g.op("Concat", *stacked, axis=-1))
    adjacent = axes == list(range(axes[0], axes[0] + len(axes)))
    if adjacent and axes[0] > 0:
        nb, first = len(common), axes[0]
        perm = list(range(nb, nb + first)) + list(range(nb)) + list(range(nb + first, nb + len(rest)))
        result = g.op("Transpose", result, perm=perm)
    return result


@converts(index.CopySlices)
def _setitem(g, a, value, items, *, out, ctx):
    """a[index] = value: the written positions (known at export) scattered into a flat copy."""
    x = g.value(a)
    if x.dynamic:
        raise UnsupportedOperatorError("index_put", g.opset, detail="assignment into a tensor with dynamic axes")
    basic, advanced = items
    positions = np.arange(int(np.prod(x.shape)), dtype=np.int64).reshape(x.shape)
    target = positions[basic] if basic else positions
    if advanced is not None:
        for arr in advanced:
            if isinstance(arr, np.ndarray) and id(arr) in g.values and not g.values[id(arr)].is_const:
                raise UnsupportedOperatorError("index_put", g.opset, detail="assignment at indices computed by the model")
        target = target[advanced]
    flat_positions = np.ascontiguousarray(target).reshape(-1)
    src = g.op("Expand", g.operand(value, x.dtype), g.ints(target.shape))
    flat = g.op("Reshape", x.name, g.ints([-1]))
    scattered = g.op("ScatterElements", flat, g.const(flat_positions), g.op("Reshape", src, g.ints([-1])), axis=0)
    return g.op("Reshape", scattered, g.ints(x.shape))


@converts(index.GatherBackward0)
def _gather(g, a, dim, idx, *, out, ctx):
    return g.op("GatherElements", g.value(a).name, g.operand(idx, np.int64), axis=int(dim))


@converts(index.ScatterAddBackward0)
def _scatter_add(g, a, dim, idx, src, *, out, ctx):
    if g.opset < 16:
        raise UnsupportedOperatorError("scatter_add", g.opset, 16)
    return g.op("ScatterElements", g.operand(a, out.dtype), g.operand(idx, np.int64), g.operand(src, out.dtype),
                axis=int(dim), reduction="add")


@converts(index.MaskedFillBackward0)
def _masked_fill(g, a, mask, value, *, out, ctx):
    from ._convert_elementwise import _operands
    na, nv = _operands(g, out, a, value)
    return g.op("Where", g.operand(mask, np.bool_), nv, na)


# ----- in-place fills ---------------------------------------------------------------------------
@converts(inplace.ZeroBackward0)
def _fill(g, a, value, *, out, ctx):
    x = g.value(a)
    return g.op("Expand", g.scalar(value, out.dtype), g.op("Shape", x.name)), x.dims


@converts(inplace.CopyBackwards)
def _copy(g, a, src, *, out, ctx):
    x = g.value(a)
    return g.op("Expand", g.operand(src, out.dtype), g.op("Shape", x.name)), x.dims
