"""CUDA reduce ops: sum/prod/amax/amin/all/any, mean, var, argmax/argmin, logsumexp,
take_along, prod_of_others, flip, tile.

The methods and their contracts are the CPU table's (_backends/cpu/reduce_ops.py). The
kernels, their geometry and their two shapes (block and serial) are _reduce_kernels.py;
this module collapses an input's axes into that geometry (``_geometry``), picks the shape,
the block size and the number of chunks (``_plan``) and launches.

Accumulation: in the output dtype, as NumPy's ``add.reduce(..., dtype=)`` (float32 sums in
float32, integer sums in int64); float16 inputs are widened to float32 first (numba's
float16 arithmetic is not portable) and the result narrowed at the end.

Float amax/amin run on the arg-reduction kernels, which carry (value, index) pairs: ties
go to the first element in row-major order (the last with ``last_on_ties``), so a zero
result has the sign of that zero, as on the CPU; NaN is the extreme. argmax/argmin use
the same kernels (first occurrence, NaN first).

Other ops: var is two passes (the means, then the squared deviations from them, fused
into the sum); logsumexp_lastdim is a row max then a float64 sum of exp(x - max) with
log(sum) + max as the store step; flip is a copy of a negative-stride view; tile a copy
of an interleaved broadcast view; take_along and prod_of_others are one kernel each.
"""
from __future__ import annotations

import numpy as np

from ._array import CudaArray, contiguous_strides
from ._launch import (MAX_BLOCKS, SIMULATOR, THREADS, broadcast_strides, check_device, collapse,
                      launch, launch_blocks, size_of)
from ._reduce_kernels import (ALL, AMAX, AMIN, ANY, ARGMAX, ARGMIN, EXPSHIFT, IDENT, PLAIN, POST_DIV,
                              POST_LOGADD, POST_NONE, PROD, SQDEV, SUM, k_arg_block_f32, k_arg_block_f64,
                              k_arg_block_i64, k_arg_serial, k_prod_of_others, k_reduce_block_f32,
                              k_reduce_block_f64, k_reduce_block_i64, k_reduce_serial, k_sumx_block_f32,
                              k_sumx_block_f64, k_sumx_serial, k_take_along)

# ----- launch policy -------------------------------------------------------------------
_SERIAL_MAX = 16                         # rows this short: one thread per output
_WARP = min(32, THREADS)                 # the smallest block a row reduction uses
_PER_THREAD = 4                          # elements per thread before rows are split
_TARGET_BLOCKS = MAX_BLOCKS if SIMULATOR else 1024
_SERIAL_CHUNK = 16 if SIMULATOR else 64  # elements per thread in a split column reduction
_COLUMN_MIN = 8 if SIMULATOR else 32     # outputs needed for the column (serial) shape
# Column reductions up to this many elements run in one pass (a second launch costs more
# than the longer per-thread loop at these sizes).
_COLUMN_ONE_PASS = 1 << 10 if SIMULATOR else 1 << 20


class _Dt:
    """A stand-in for a minitorch dtype where only ``.np`` is read."""

    __slots__ = ("np",)

    def __init__(self, np_dtype) -> None:
        self.np = np.dtype(np_dtype)


_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)
_U8 = np.dtype(np.uint8)
_BOOL = np.dtype(np.bool_)

# the block kernel of each accumulator (shared-memory) type
_BLOCK_PLAIN = {_F32: k_reduce_block_f32, _F64: k_reduce_block_f64, _I64: k_reduce_block_i64}
_BLOCK_SUMX = {_F32: k_sumx_block_f32, _F64: k_sumx_block_f64}
_BLOCK_ARG = {_F32: k_arg_block_f32, _F64: k_arg_block_f64, _I64: k_arg_block_i64}


# ----- host-side planning ----------------------------------------------------------------------
def _next_pow2(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def _plan(nout: int, rlen: int, rstr_last: int, ostr_last: int):
    """(shape, chunks, chunk length, threads per block) for nout reductions of rlen elements."""
    if rlen <= _SERIAL_MAX:
        return "serial", 1, max(rlen, 1), 0
    if rstr_last != 1 and ostr_last == 1 and nout >= _COLUMN_MIN:
        # neighbouring outputs are neighbours in memory: one thread each reads coalesced
        if nout * rlen <= _COLUMN_ONE_PASS:
            return "serial", 1, rlen, 0      # small (a Linear's bias gradient): one launch
        chunks = min(-(-rlen // _SERIAL_CHUNK), max(1, (_TARGET_BLOCKS * THREADS) // nout))
        clen = -(-rlen // chunks)
        return "serial", -(-rlen // clen), clen, 0
    tpb = THREADS if rlen >= THREADS else max(_WARP, _next_pow2(rlen))
    chunks = min(-(-rlen // (tpb * _PER_THREAD)), max(1, _TARGET_BLOCKS // nout))
    clen = -(-rlen // max(chunks, 1))
    chunks = -(-rlen // clen)
    if chunks > 1 and clen < tpb:
        tpb = max(_WARP, _next_pow2(clen))
    return "block", chunks, clen, tpb


def _partials_geometry(shape_kind: str, nout: int, chunks: int):
    """(oshape, ostr, rshape, rstr) of the partials a first pass wrote."""
    if shape_kind == "block":        # (nout, chunks)
        return (nout,), (chunks,), (chunks,), (1,)
    return (nout,), (1,), (chunks,), (nout,)   # (chunks, nout)


def _blocks(total: int) -> int:
    return max(1, min(total, MAX_BLOCKS))


def _run_plain(op, init, out, a_buf, ao, oshape, ostr, rshape, rstr, nout, rlen):
    """out (flat buffer, nout values) = op over each output's reduced elements."""
    if nout == 0:
        return
    kind, chunks, clen, tpb = _plan(nout, rlen, rstr[-1], ostr[-1])
    acc = np.dtype(type(init))
    partials = None if chunks == 1 else CudaArray.empty((nout * chunks,), acc)  # held until pass 2 ran
    target = out if partials is None else partials.buf
    args = (op, init, target, a_buf, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen)
    if kind == "serial":
        launch(k_reduce_serial, nout * chunks, *args)
    else:
        launch_blocks(_BLOCK_PLAIN[acc], _blocks(nout * chunks), tpb, *args)
    if chunks > 1:
        po, ps, prs, prst = _partials_geometry(kind, nout, chunks)
        _run_plain(op, init, out, target, 0, po, ps, prs, prst, nout, chunks)


def _run_sumx(leaf, post, init, out, a_buf, ao, oshape, ostr, rshape, rstr, nout, rlen, aux, div):
    """out = post(sum of leaf(x, aux[output])) in init's (float) dtype."""
    if nout == 0:
        return
    kind, chunks, clen, tpb = _plan(nout, rlen, rstr[-1], ostr[-1])
    acc = np.dtype(type(init))
    first_post = post if chunks == 1 else POST_NONE
    partials = None if chunks == 1 else CudaArray.empty((nout * chunks,), acc)  # held until pass 2 ran
    target = out if partials is None else partials.buf
    args = (leaf, first_post, init, target, a_buf, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks,
            clen, aux, div)
    if kind == "serial":
        launch(k_sumx_serial, nout * chunks, *args)
    else:
        launch_blocks(_BLOCK_SUMX[acc], _blocks(nout * chunks), tpb, *args)
    if chunks > 1:
        po, ps, prs, prst = _partials_geometry(kind, nout, chunks)
        _run_sumx(IDENT, post, init, out, target, 0, po, ps, prs, prst, nout, chunks, aux, div)


def _run_arg(op, last, acc, vout, iout, a_buf, ao, oshape, ostr, rshape, rstr, nout, rlen, ia, from_idx):
    """The extreme (value, index) of each output's elements: the values (acc's type) into vout,
    the int64 indices into iout; either may be None."""
    if nout == 0:
        return
    kind, chunks, clen, tpb = _plan(nout, rlen, rstr[-1], ostr[-1])
    if chunks == 1:
        write_v, write_i = vout is not None, iout is not None
        vbuf = vout if write_v else _dummy(acc).buf
        ibuf = iout if write_i else _dummy(_I64).buf
    else:
        # the partial values and indices: the CudaArrays are held until pass 2 ran (a dropped
        # CudaArray returns its memory to the pool, whose next allocation may reuse it)
        pvals = CudaArray.empty((nout * chunks,), acc)
        pidx = CudaArray.empty((nout * chunks,), _I64)
        vbuf, ibuf, write_v, write_i = pvals.buf, pidx.buf, True, True
    args = (op, last, vbuf, ibuf, write_v, write_i, a_buf, ao, oshape, ostr, rshape, rstr, nout, rlen,
            chunks, clen, ia, from_idx)
    if kind == "serial":
        launch(k_arg_serial, nout * chunks, *args)
    else:
        launch_blocks(_BLOCK_ARG[acc], _blocks(nout * chunks), tpb, *args)
    if chunks > 1:
        po, ps, prs, prst = _partials_geometry(kind, nout, chunks)
        _run_arg(op, last, acc, vout, iout, pvals.buf, 0, po, ps, prs, prst, nout, chunks, pidx.buf, True)


_DUMMIES: dict = {}


def _dummy(np_dtype) -> CudaArray:
    """A one-element array standing in for an unused array argument."""
    d = _DUMMIES.get(np_dtype)
    if d is None:
        d = _DUMMIES[np_dtype] = CudaArray.empty((1,), np_dtype)
    return d


def _norm_dims(dims, ndim: int) -> tuple:
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    return tuple(sorted({int(d) % ndim if ndim else int(d) for d in dims}))


def _geometry(a: CudaArray, dims: tuple):
    """Collapsed (kept shape, kept strides, reduced shape, reduced strides, nout, rlen)."""
    kshape = tuple(n for d, n in enumerate(a.shape) if d not in dims)
    kstr = tuple(s for d, s in enumerate(a.estrides) if d not in dims)
    rshape = tuple(a.shape[d] for d in dims)
    rstr = tuple(a.estrides[d] for d in dims)
    nout, rlen = size_of(kshape), size_of(rshape)
    kshape, (kstr,) = collapse(kshape, kstr)
    rshape, (rstr,) = collapse(rshape, rstr)
    return kshape, kstr, rshape, rstr, nout, rlen


def _out_shape(shape, dims, keepdim: bool) -> tuple:
    if keepdim:
        return tuple(1 if d in dims else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in dims)


def _acc_of(np_dtype) -> np.dtype:
    """The accumulator (and shared-memory) type for values of np_dtype."""
    if np_dtype.kind == "f":
        return _F64 if np_dtype == _F64 else _F32
    return _I64


def _default_sum_dtype(np_dtype) -> np.dtype:
    """NumPy's add.reduce result type when no dtype is given."""
    if np_dtype.kind == "b" or (np_dtype.kind == "i" and np_dtype.itemsize < 8):
        return _I64
    if np_dtype.kind == "u" and np_dtype.itemsize < 8:
        return np.dtype(np.uint64)
    return np_dtype


def _as_uint8(a: CudaArray) -> CudaArray:
    """A bool array's bytes read as uint8 (no copy): the kernels then see plain integers."""
    from ._array import buffer_of
    return CudaArray(a.block, buffer_of(a.block, _U8), a.shape, a.estrides, a.offset, _U8, a.writeable)


class ReduceOps:
    """The reduce part of the CUDA op table."""

    # ----- helpers ---------------------------------------------------------------------------
    def _reduce_input(self, a: CudaArray, acc: np.dtype, cast_to: np.dtype) -> CudaArray:
        """a as the kernels read it for an accumulator of type acc: as is when the arithmetic
        promotes it to acc exactly, else cast to cast_to (NumPy casts to dtype= first) and
        float16 widened to float32; bool bytes are read as uint8."""
        src = a
        direct = ((acc.kind == "f" and src.dtype.kind == "f" and src.dtype != _F16
                   and src.dtype.itemsize <= acc.itemsize)
                  or (acc == _I64 and src.dtype.kind in "iub" and src.dtype.itemsize < 8)
                  or (acc == _I64 and src.dtype == _I64))
        if not direct:
            if src.dtype != cast_to:
                src = self.astype(src, _Dt(cast_to))
            if src.dtype == _F16:
                src = self.astype(src, _Dt(_F32))
        if src.dtype.kind == "b":
            src = _as_uint8(src)
        return src

    # ----- reductions ------------------------------------------------------------------------
    def reduce(self, op: str, a, dims: tuple, keepdim: bool, dtype=None, last_on_ties: bool = False):
        """op over the axes dims (a tuple; None for all), keeping them as size 1 when keepdim.

        Float amax/amin run as arg-reductions that keep the value: on ties the first element
        (row-major) wins, the last with last_on_ties, so a zero result has the sign of that
        zero, as the CPU's (PyTorch's) reductions."""
        check_device(a)
        dims = _norm_dims(dims, a.ndim)
        out_shape = _out_shape(a.shape, dims, keepdim)
        code = PLAIN[op]
        if code in (AMAX, AMIN):
            if size_of(a.shape[d] for d in dims) == 0:
                name = "maximum" if code == AMAX else "minimum"
                raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
            res = a.dtype
            acc = _acc_of(res)
            src = self._reduce_input(a, acc, res)
        elif code in (ALL, ANY):
            res = _BOOL
            acc = _I64
            src = self.astype(a, _Dt(_F32)) if a.dtype == _F16 else a
            if src.dtype.kind == "f":            # truth values: x != 0 (NaN is true)
                src = self.compare("ne", src, 0, _Dt(src.dtype))
            src = self._reduce_input(src, acc, src.dtype)
        else:
            res = _default_sum_dtype(a.dtype) if dtype is None else dtype.np
            acc = _acc_of(res)
            src = self._reduce_input(a, acc, res)
        init = acc.type({SUM: 0, PROD: 1, ALL: 1}.get(code, 0))
        store = _F32 if res == _F16 else res
        out = CudaArray.empty(out_shape, store)
        kshape, kstr, rshape, rstr, nout, rlen = _geometry(src, dims)
        if code in (AMAX, AMIN) and acc.kind == "f":
            _run_arg(ARGMAX if code == AMAX else ARGMIN, bool(last_on_ties), acc, out.buf, None, src.buf,
                     src.offset, kshape, kstr, rshape, rstr, nout, rlen, _dummy(_I64).buf, False)
        else:
            _run_plain(code, init, out.buf, src.buf, src.offset, kshape, kstr, rshape, rstr, nout, rlen)
        return out if store == res else self.astype(out, _Dt(res))

    def mean(self, a, dims, keepdim, dtype):
        """sum / count, the sum accumulated in dtype (float32 sums in float32)."""
        check_device(a)
        res = dtype.np
        dims = _norm_dims(dims, a.ndim)
        if res.kind != "f":                      # NumPy's unsafe cast of the float quotient
            return self.astype(self.mean(self.astype(a, _Dt(_F64)), dims, keepdim, _Dt(_F64)), dtype)
        acc = _acc_of(res)
        src = self._reduce_input(a, acc, res)
        kshape, kstr, rshape, rstr, nout, rlen = _geometry(src, dims)
        store = _F32 if res == _F16 else res
        out = CudaArray.empty(_out_shape(a.shape, dims, keepdim), store)
        _run_sumx(IDENT, POST_DIV, acc.type(0), out.buf, src.buf, src.offset, kshape, kstr, rshape, rstr,
                  nout, rlen, _dummy(acc).buf, acc.type(rlen))
        return out if store == res else self.astype(out, _Dt(res))

    def var(self, a, dims, correction, keepdim):
        """Two passes: the means, then sum((x - mean)^2) / max(count - correction, 0)."""
        check_device(a)
        res = a.dtype
        dims = _norm_dims(dims, a.ndim)
        acc = _acc_of(res)
        src = self._reduce_input(a, acc, res)
        kshape, kstr, rshape, rstr, nout, rlen = _geometry(src, dims)
        means = CudaArray.empty((max(nout, 1),), acc)
        _run_sumx(IDENT, POST_DIV, acc.type(0), means.buf, src.buf, src.offset, kshape, kstr, rshape,
                  rstr, nout, rlen, _dummy(acc).buf, acc.type(rlen))
        store = _F32 if res == _F16 else res
        out = CudaArray.empty(_out_shape(a.shape, dims, keepdim), store)
        _run_sumx(SQDEV, POST_DIV, acc.type(0), out.buf, src.buf, src.offset, kshape, kstr, rshape, rstr,
                  nout, rlen, means.buf, acc.type(max(rlen - correction, 0)))
        return out if store == res else self.astype(out, _Dt(res))

    def arg_reduce(self, op: str, a, dim: int, keepdim: bool):
        """argmax/argmin along one axis as int64 (first occurrence, NaN counts as the extreme)."""
        check_device(a)
        if dim is None:
            flat = self.reshape(a, (a.size,))
            out = self.arg_reduce(op, flat, 0, False)
            return self.reshape(out, (1,) * a.ndim) if keepdim else out
        dim = int(dim) % a.ndim
        rlen = a.shape[dim]
        if rlen == 0:
            raise ValueError(f"attempt to get {op} of an empty sequence")
        acc = _acc_of(a.dtype)
        src = self._reduce_input(a, acc, a.dtype)
        out = CudaArray.empty(_out_shape(a.shape, (dim,), keepdim), _I64)
        kshape, kstr, rshape, rstr, nout, _ = _geometry(src, (dim,))
        _run_arg(ARGMAX if op == "argmax" else ARGMIN, False, acc, None, out.buf, src.buf, src.offset,
                 kshape, kstr, rshape, rstr, nout, rlen, _dummy(_I64).buf, False)
        return out

    def logsumexp_lastdim(self, a):
        """log(sum(exp(x - max))) + max over the rows of a 2-D array with at least one column;
        the sum in float64 (as the CPU's kernel); NaN anywhere gives NaN, an infinite max itself."""
        check_device(a)
        res = a.dtype
        src = self.astype(a, _Dt(_F32)) if res == _F16 else a
        rows, cols = src.shape
        out = CudaArray.empty((rows,), _F32 if res == _F16 else res)
        if rows == 0:
            return out if out.dtype == res else self.astype(out, _Dt(res))
        kshape, kstr, rshape, rstr, nout, rlen = _geometry(src, (1,))
        shift = CudaArray.empty((rows,), _F64)       # the row maxima, exactly, as float64
        _run_plain(AMAX, _acc_of(src.dtype).type(0), shift.buf, src.buf, src.offset, kshape, kstr, rshape,
                   rstr, nout, rlen)
        _run_sumx(EXPSHIFT, POST_LOGADD, np.float64(0), out.buf, src.buf, src.offset, kshape, kstr, rshape,
                  rstr, nout, rlen, shift.buf, np.float64(1))
        return out if out.dtype == res else self.astype(out, _Dt(res))

    # ----- gathers and copies ---------------------------------------------------------------
    def take_along(self, a, index, dim: int):
        """np.take_along_axis: out[..., i, ...] = a[..., index[..., i, ...], ...] along dim."""
        check_device(a, index)
        dim = int(dim) % a.ndim
        shape = tuple(index.shape[d] if d == dim else
                      (a.shape[d] if index.shape[d] == 1 else index.shape[d]) for d in range(a.ndim))
        out = CudaArray.empty(shape, a.dtype)
        n = out.size
        if n == 0:
            return out
        ast = tuple(0 if d == dim or a.shape[d] != shape[d] or a.shape[d] == 1 else a.estrides[d]
                    for d in range(a.ndim))
        ist = broadcast_strides(index, shape)
        cs, (ast_, ist_) = collapse(shape, ast, ist)
        launch(k_take_along, n, out.buf, a.buf, a.offset, ast_, a.estrides[dim], a.shape[dim],
               index.buf, index.offset, ist_, cs, n)
        return out

    def prod_of_others(self, a, dim: int):
        """For each element, the product of the others along dim (exclusive cumulative products)."""
        check_device(a)
        res = a.dtype if a.dtype.kind == "f" else _default_sum_dtype(a.dtype)
        if a.ndim == 0:
            return self.full((), 1, _Dt(a.dtype))
        dim = int(dim) % a.ndim
        src = a
        if src.dtype != res:
            src = self.astype(src, _Dt(res))
        if src.dtype == _F16:
            src = self.astype(src, _Dt(_F32))
        out = CudaArray.empty(a.shape, src.dtype)
        n = a.shape[dim]
        keep = [d for d in range(a.ndim) if d != dim]
        kshape = tuple(a.shape[d] for d in keep)
        rows = size_of(kshape)
        if rows and n:
            cs, (ast, ost) = collapse(kshape, tuple(src.estrides[d] for d in keep),
                                      tuple(out.estrides[d] for d in keep))
            launch(k_prod_of_others, rows, out.buf, src.buf, src.offset, ast, ost, cs, n, src.estrides[dim],
                   out.estrides[dim], src.dtype.type(1), rows)
        return out if out.dtype == res else self.astype(out, _Dt(res))

    def flip(self, a, dims):
        """A contiguous copy read through a view with the flipped axes' strides negated."""
        check_device(a)
        dims = _norm_dims(dims, a.ndim)
        strides = list(a.estrides)
        offset = a.offset
        for d in dims:
            if a.shape[d] > 1:
                offset += (a.shape[d] - 1) * strides[d]
                strides[d] = -strides[d]
        return self.copy(a.view_as(a.shape, tuple(strides), offset))

    def tile(self, a, reps):
        """np.tile: a copy of an interleaved broadcast view (reps[k], shape[k], ...)."""
        check_device(a)
        reps = tuple(int(r) for r in reps)
        nd = max(len(reps), a.ndim)
        reps = (1,) * (nd - len(reps)) + reps
        shape = (1,) * (nd - a.ndim) + tuple(a.shape)
        strides = (0,) * (nd - a.ndim) + tuple(a.estrides)
        vshape, vstr = [], []
        for r, n, s in zip(reps, shape, strides):
            vshape += [r, n]
            vstr += [0, s]
        out = CudaArray.empty(tuple(vshape), a.dtype)
        if out.size:
            self.copy_into(out, a.view_as(tuple(vshape), tuple(vstr), a.offset))
        final = tuple(r * n for r, n in zip(reps, shape))
        return out.view_as(final, contiguous_strides(final), 0)
