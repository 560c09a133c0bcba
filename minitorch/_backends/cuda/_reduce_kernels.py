"""CUDA reduce kernels: block (row) and serial (column) reductions of the plain ops, the
float sum family and the (value, index) arg-reductions; take_along and prod_of_others.

The host side (the dtypes, which kernel, how many chunks) is _reduce.py.

Geometry. A reduction over ``dims`` splits the input's axes, in the host-side metadata
only, into the kept axes (the output's, row-major) and the reduced axes; each group is
collapsed (size-1 axes dropped, neighbours that walk memory contiguously merged). Output
element ``i`` starts at ``offset_of(i, kept_shape, kept_strides, offset)`` and its
``j``-th reduced element lies ``offset_of(j, red_shape, red_strides, 0)`` further on, so
any strided input (transposed, sliced, expanded) is read in place, never copied.

Two kernel shapes, chosen from the geometry (_reduce.py's ``_plan``):

* block (row) reductions: one block per output (grid-stride over outputs); its threads
  walk the reduced elements in a block-stride loop, then combine their partial results
  in a shared-memory tree. Short rows get a warp-sized block instead of ``THREADS``.
* serial (column) reductions: one thread per output walks its reduced elements alone.
  Used for short rows (<= ``_SERIAL_MAX``) and when the reduced axis is strided but the
  outputs are adjacent in memory (``x.sum(0)`` of a wide matrix): neighbouring threads
  then read neighbouring addresses.

Either shape splits a long reduction into ``chunks`` when there are too few outputs to
fill the device: the first launch writes one partial per (output, chunk), a second
launch (the same machinery, over the contiguous partials) reduces them.

Shared memory is typed, so each block kernel exists once per accumulator type (float32,
float64, int64); the bodies are shared device functions. Op codes are runtime arguments
(uniform branches). The sum family (mean, var's squared deviations, logsumexp's shifted
exponentials) has its own float-only kernels, so that the transforms' types never leak
into the integer kernels' accumulators.

The arg-reduction kernels carry (value, index) pairs: ties go to the first element in
row-major order (the last with ``last``), NaN is the extreme (its first occurrence). A
split arg-reduction's partials are (value, index) pairs, the second pass reading the
indices beside the values.
"""
from __future__ import annotations

import numba
from numba import cuda

from . import _math as m
from ._kernels import offset_of
from ._launch import THREADS

# ----- op codes ------------------------------------------------------------------------
SUM, PROD, AMAX, AMIN, ALL, ANY = range(6)
PLAIN = {"sum": SUM, "prod": PROD, "amax": AMAX, "amin": AMIN, "all": ALL, "any": ANY}
IDENT, SQDEV, EXPSHIFT = range(3)      # the sum family's leaf transforms
POST_NONE, POST_DIV, POST_LOGADD = range(3)
ARGMAX, ARGMIN = range(2)

_INF = float("inf")
_BIG = 4611686018427387904              # 2**62: an index past any real one


# ----- device helpers ------------------------------------------------------------------
@cuda.jit(device=True)
def _roff(j, rshape, rstr):
    """The offset of the j-th reduced element; one reduced axis (the common case, decided when
    the kernel is compiled: a tuple's length is a type) needs no division."""
    if len(rshape) == 1:
        return j * rstr[0]
    return offset_of(j, rshape, rstr, 0)


@cuda.jit(device=True)
def _combine(op, acc, x):
    """acc (op) x; NaN wins in amax/amin, all/any read truth values (NaN is true)."""
    if op == SUM:
        return acc + x
    if op == PROD:
        return acc * x
    if op == AMAX:
        if acc != acc:
            return acc
        if x != x or x > acc:
            return x
        return acc
    if op == AMIN:
        if acc != acc:
            return acc
        if x != x or x < acc:
            return x
        return acc
    if op == ALL:
        if x == 0:
            return acc - acc
        return acc
    # ANY
    if acc == 0 and x != 0:
        return acc - acc + 1
    return acc


@cuda.jit(device=True)
def _block_tree(op, sm, acc, tid, nt):
    """sm[0] = every thread's acc combined with op (a tree in the block's shared memory sm)."""
    sm[tid] = acc
    cuda.syncthreads()
    s = nt // 2
    while s > 0:
        if tid < s:
            sm[tid] = _combine(op, sm[tid], sm[tid + s])
        cuda.syncthreads()
        s //= 2


@cuda.jit(device=True)
def _block_plain(op, init, sm, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen):
    """Block b reduces chunk b % chunks of output b // chunks into out[b]."""
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    total = nout * chunks
    b = cuda.blockIdx.x
    while b < total:
        i = b // chunks
        start = (b - i * chunks) * clen
        stop = start + clen
        if stop > rlen:
            stop = rlen
        base = offset_of(i, oshape, ostr, ao)
        acc = init
        if op == AMAX or op == AMIN:         # the chunk's first element: neutral for max/min
            acc = a[base + _roff(start, rshape, rstr)]
        j = start + tid
        while j < stop:
            acc = _combine(op, acc, a[base + _roff(j, rshape, rstr)])
            j += nt
        _block_tree(op, sm, acc, tid, nt)
        if tid == 0:
            out[b] = sm[0]
        cuda.syncthreads()
        b += cuda.gridDim.x


@cuda.jit(device=True)
def _sumx_leaf(leaf, x, mu):
    if leaf == SQDEV:
        d = x - mu
        return d * d
    if leaf == EXPSHIFT:
        return m.exp(x - mu)
    return x


@cuda.jit(device=True)
def _sumx_store(post, out, b, r, mu, div):
    if post == POST_DIV:
        out[b] = r / div
    elif post == POST_LOGADD:
        if mu == mu and mu < _INF and mu > -_INF:
            out[b] = m.log(r) + mu
        else:                                # a NaN anywhere, +inf, or a row of -inf
            out[b] = mu
    else:
        out[b] = r


@cuda.jit(device=True)
def _block_sumx(leaf, post, init, sm, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks,
                clen, aux, div):
    """Float sums of leaf(x, aux[output]) with a final post step (divide, log + shift)."""
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    total = nout * chunks
    use_aux = leaf != IDENT or post == POST_LOGADD
    b = cuda.blockIdx.x
    while b < total:
        i = b // chunks
        start = (b - i * chunks) * clen
        stop = start + clen
        if stop > rlen:
            stop = rlen
        base = offset_of(i, oshape, ostr, ao)
        mu = aux[i] if use_aux else aux[0]
        acc = init
        j = start + tid
        while j < stop:
            acc = acc + _sumx_leaf(leaf, a[base + _roff(j, rshape, rstr)], mu)
            j += nt
        _block_tree(SUM, sm, acc, tid, nt)
        if tid == 0:
            _sumx_store(post, out, b, sm[0], mu, div)
        cuda.syncthreads()
        b += cuda.gridDim.x


@cuda.jit(device=True)
def _arg_better(op, last, v, i, w, j):
    """Whether (w, j) beats (v, i): NaN is the extreme (its first occurrence), ties go to the
    smaller index, or to the larger one with last."""
    if v != v:
        return w != w and j < i
    if w != w:
        return True
    if op == ARGMAX:
        if w > v:
            return True
    elif w < v:
        return True
    if last:
        return w == v and j > i
    return w == v and j < i


@cuda.jit(device=True)
def _block_arg(op, last, smv, smi, vout, iout, write_v, write_i, a, ao, oshape, ostr, rshape, rstr,
               nout, rlen, chunks, clen, ia, from_idx):
    """The extreme (value, index) of chunk b % chunks of output b // chunks; the indices are
    read from ia (at the values' offsets) when from_idx, else they are the reduced positions."""
    tid = cuda.threadIdx.x
    nt = cuda.blockDim.x
    total = nout * chunks
    b = cuda.blockIdx.x
    while b < total:
        i = b // chunks
        start = (b - i * chunks) * clen
        stop = start + clen
        if stop > rlen:
            stop = rlen
        base = offset_of(i, oshape, ostr, ao)
        bv = a[base + _roff(start, rshape, rstr)]   # with an index every real one beats
        bi = -1 if last else _BIG
        j = start + tid
        while j < stop:
            off = base + _roff(j, rshape, rstr)
            w = a[off]
            wj = ia[off] if from_idx else j
            if _arg_better(op, last, bv, bi, w, wj):
                bv = w
                bi = wj
            j += nt
        smv[tid] = bv
        smi[tid] = bi
        cuda.syncthreads()
        s = nt // 2
        while s > 0:
            if tid < s:
                if _arg_better(op, last, smv[tid], smi[tid], smv[tid + s], smi[tid + s]):
                    smv[tid] = smv[tid + s]
                    smi[tid] = smi[tid + s]
            cuda.syncthreads()
            s //= 2
        if tid == 0:
            if write_i:
                iout[b] = smi[0]
            if write_v:
                vout[b] = smv[0]
        cuda.syncthreads()
        b += cuda.gridDim.x


# ----- block kernels: one per shared-memory type ------------------------------------------
@cuda.jit(cache=True)
def k_reduce_block_f32(op, init, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen):
    sm = cuda.shared.array(THREADS, numba.float32)
    _block_plain(op, init, sm, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen)


@cuda.jit(cache=True)
def k_reduce_block_f64(op, init, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen):
    sm = cuda.shared.array(THREADS, numba.float64)
    _block_plain(op, init, sm, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen)


@cuda.jit(cache=True)
def k_reduce_block_i64(op, init, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen):
    sm = cuda.shared.array(THREADS, numba.int64)
    _block_plain(op, init, sm, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen)


@cuda.jit(cache=True)
def k_sumx_block_f32(leaf, post, init, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks,
                     clen, aux, div):
    sm = cuda.shared.array(THREADS, numba.float32)
    _block_sumx(leaf, post, init, sm, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks,
                clen, aux, div)


@cuda.jit(cache=True)
def k_sumx_block_f64(leaf, post, init, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks,
                     clen, aux, div):
    sm = cuda.shared.array(THREADS, numba.float64)
    _block_sumx(leaf, post, init, sm, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks,
                clen, aux, div)


@cuda.jit(cache=True)
def k_arg_block_f32(op, last, vout, iout, write_v, write_i, a, ao, oshape, ostr, rshape, rstr, nout, rlen,
                    chunks, clen, ia, from_idx):
    smv = cuda.shared.array(THREADS, numba.float32)
    smi = cuda.shared.array(THREADS, numba.int64)
    _block_arg(op, last, smv, smi, vout, iout, write_v, write_i, a, ao, oshape, ostr, rshape, rstr, nout,
               rlen, chunks, clen, ia, from_idx)


@cuda.jit(cache=True)
def k_arg_block_f64(op, last, vout, iout, write_v, write_i, a, ao, oshape, ostr, rshape, rstr, nout, rlen,
                    chunks, clen, ia, from_idx):
    smv = cuda.shared.array(THREADS, numba.float64)
    smi = cuda.shared.array(THREADS, numba.int64)
    _block_arg(op, last, smv, smi, vout, iout, write_v, write_i, a, ao, oshape, ostr, rshape, rstr, nout,
               rlen, chunks, clen, ia, from_idx)


@cuda.jit(cache=True)
def k_arg_block_i64(op, last, vout, iout, write_v, write_i, a, ao, oshape, ostr, rshape, rstr, nout, rlen,
                    chunks, clen, ia, from_idx):
    smv = cuda.shared.array(THREADS, numba.int64)
    smi = cuda.shared.array(THREADS, numba.int64)
    _block_arg(op, last, smv, smi, vout, iout, write_v, write_i, a, ao, oshape, ostr, rshape, rstr, nout,
               rlen, chunks, clen, ia, from_idx)


# ----- serial (thread per output) kernels; partials laid out (chunks, nout) ----------------
@cuda.jit(cache=True)
def k_reduce_serial(op, init, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen):
    t = cuda.grid(1)
    step = cuda.gridsize(1)
    total = nout * chunks
    while t < total:
        c = t // nout
        i = t - c * nout
        start = c * clen
        stop = start + clen
        if stop > rlen:
            stop = rlen
        base = offset_of(i, oshape, ostr, ao)
        acc = init
        if op == AMAX or op == AMIN:
            acc = a[base + _roff(start, rshape, rstr)]
        for j in range(start, stop):
            acc = _combine(op, acc, a[base + _roff(j, rshape, rstr)])
        out[t] = acc
        t += step


@cuda.jit(cache=True)
def k_sumx_serial(leaf, post, init, out, a, ao, oshape, ostr, rshape, rstr, nout, rlen, chunks, clen,
                  aux, div):
    t = cuda.grid(1)
    step = cuda.gridsize(1)
    total = nout * chunks
    use_aux = leaf != IDENT or post == POST_LOGADD
    while t < total:
        c = t // nout
        i = t - c * nout
        start = c * clen
        stop = start + clen
        if stop > rlen:
            stop = rlen
        base = offset_of(i, oshape, ostr, ao)
        mu = aux[i] if use_aux else aux[0]
        acc = init
        for j in range(start, stop):
            acc = acc + _sumx_leaf(leaf, a[base + _roff(j, rshape, rstr)], mu)
        _sumx_store(post, out, t, acc, mu, div)
        t += step


@cuda.jit(cache=True)
def k_arg_serial(op, last, vout, iout, write_v, write_i, a, ao, oshape, ostr, rshape, rstr, nout, rlen,
                 chunks, clen, ia, from_idx):
    t = cuda.grid(1)
    step = cuda.gridsize(1)
    total = nout * chunks
    while t < total:
        c = t // nout
        i = t - c * nout
        start = c * clen
        stop = start + clen
        if stop > rlen:
            stop = rlen
        base = offset_of(i, oshape, ostr, ao)
        bv = a[base + _roff(start, rshape, rstr)]
        bi = -1 if last else _BIG
        for j in range(start, stop):
            off = base + _roff(j, rshape, rstr)
            w = a[off]
            wj = ia[off] if from_idx else j
            if _arg_better(op, last, bv, bi, w, wj):
                bv = w
                bi = wj
        if write_i:
            iout[t] = bi
        if write_v:
            vout[t] = bv
        t += step


# ----- gather-like kernels ------------------------------------------------------------------
@cuda.jit(cache=True)
def k_take_along(out, a, ao, ast, dstride, size, idx, io, ist, shape, n):
    """out[i] = a[..., index[i], ...] along one axis (negative indices count from the end)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        k = idx[offset_of(i, shape, ist, io)]
        if k < 0:
            k += size
        out[i] = a[offset_of(i, shape, ast, ao) + k * dstride]
        i += step


@cuda.jit(cache=True)
def k_prod_of_others(out, a, ao, ast, ost, shape, n, dstride, ostride, one, rows):
    """One thread per line along the axis: exclusive products from the left, then times those
    from the right (the CPU's order of multiplication)."""
    r = cuda.grid(1)
    step = cuda.gridsize(1)
    while r < rows:
        base = offset_of(r, shape, ast, ao)
        obase = offset_of(r, shape, ost, 0)
        acc = one
        for k in range(n):
            out[obase + k * ostride] = acc
            acc = acc * a[base + k * dstride]
        acc = one
        for k in range(n - 1, -1, -1):
            o = obase + k * ostride
            out[o] = out[o] * acc
            acc = acc * a[base + k * dstride]
        r += step
