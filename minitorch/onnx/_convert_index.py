"""Converters of indexing: basic views (ints, slices, None, Ellipsis) as Slice / Squeeze /
Unsqueeze, integer and mask indexing as Gather / GatherND (NonZero for a mask computed in the
graph), assignment into an index as ScatterElements, gather / scatter_add, masked_fill."""
from __future__ import annotations

import numpy as np

from .._ops import gather, index
from ._convert_shape import _named
from ._graph import INT64_MAX
from ._registry import converts
from .errors import UnsupportedOperatorError


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


@converts(gather.GatherBackward0)
def _gather(g, a, dim, idx, *, out, ctx):
    return g.op("GatherElements", g.value(a).name, g.operand(idx, np.int64), axis=int(dim))


@converts(gather.ScatterAddBackward0)
def _scatter_add(g, a, dim, idx, src, *, out, ctx):
    if g.opset < 16:
        raise UnsupportedOperatorError("scatter_add", g.opset, 16)
    return g.op("ScatterElements", g.operand(a, out.dtype), g.operand(idx, np.int64), g.operand(src, out.dtype),
                axis=int(dim), reduction="add")


@converts(gather.MaskedFillBackward0)
def _masked_fill(g, a, mask, value, *, out, ctx):
    from ._convert_elementwise import _operands
    na, nv = _operands(g, out, a, value)
    return g.op("Where", g.operand(mask, np.bool_), nv, na)
