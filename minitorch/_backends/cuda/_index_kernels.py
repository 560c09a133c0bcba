"""CUDA index kernels: advanced indexing through a plan (_index_prepare.py), gather and
scatter_add, the min/max of the range checks, and nonzero's flags, prefix sum and writes.

Element ``i = (l * nb + b) * nr + r`` of an advanced-indexing result lives at
``v.offset + off_L(l) + boff[b] + off_R(r)`` (``boff`` summed by ``k_index_offsets``, one
launch per index array): getitem gathers from there, setitem stores there, index_put_add
adds there with ``cuda.atomic.add``.

Range checks of device index arrays: a two-pass min/max reduction (a partial per block,
then one block over the partials) into one array of (min, max) pairs for all of them.

nonzero: flags (a != 0) in row-major order, an inclusive prefix sum on the device
(block scans with a carry inside each block's chunk, a scan of the block sums, and
an add pass), one host copy of the count, then every set flag writes its coordinates
at position ``scan - 1``: row-major order, as NumPy.
"""
from __future__ import annotations

from numba import cuda, int64

from ._kernels import offset_of
from ._launch import THREADS

_T = THREADS                      # threads per block of the scan and min/max kernels
_I64_MAX = 9223372036854775807
_I64_MIN = -9223372036854775807 - 1


@cuda.jit(cache=True)
def k_index_offsets(acc, idx, io, istr, bshape, size, stride, nb):
    """acc[b] += wrap(idx[b]) * stride for the nb positions of the broadcast index shape."""
    b = cuda.grid(1)
    step = cuda.gridsize(1)
    while b < nb:
        v = int(idx[offset_of(b, bshape, istr, io)])
        if v < 0:
            v += size
        acc[b] += v * stride
        b += step


@cuda.jit(cache=True)
def k_index_get(out, src, so, boff, lshape, lstr, nb, rshape, rstr, nr, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        r = i % nr
        t = i // nr
        b = t % nb
        li = t // nb
        out[i] = src[offset_of(li, lshape, lstr, so) + boff[b] + offset_of(r, rshape, rstr, 0)]
        i += step


@cuda.jit(cache=True)
def k_index_set(dst, do, boff, lshape, lstr, nb, rshape, rstr, nr, val, vo, vshape, vstr,
                winner, key, use_winner, n):
    """dst at the plan's positions = val (broadcast); with use_winner only the last writer stores."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        r = i % nr
        t = i // nr
        b = t % nb
        li = t // nb
        if not use_winner or winner[key[b]] == b:
            dst[offset_of(li, lshape, lstr, do) + boff[b] + offset_of(r, rshape, rstr, 0)] = \
                val[offset_of(i, vshape, vstr, vo)]
        i += step


@cuda.jit(cache=True)
def k_index_set_scalar(dst, do, boff, lshape, lstr, nb, rshape, rstr, nr, value, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        r = i % nr
        t = i // nr
        b = t % nb
        li = t // nb
        dst[offset_of(li, lshape, lstr, do) + boff[b] + offset_of(r, rshape, rstr, 0)] = value
        i += step


@cuda.jit(cache=True)
def k_index_add(dst, do, boff, lshape, lstr, nb, rshape, rstr, nr, val, vo, vshape, vstr, n):
    """dst at the plan's positions += val (broadcast), repeated positions accumulating."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        r = i % nr
        t = i // nr
        b = t % nb
        li = t // nb
        cuda.atomic.add(dst, offset_of(li, lshape, lstr, do) + boff[b] + offset_of(r, rshape, rstr, 0),
                        val[offset_of(i, vshape, vstr, vo)])
        i += step


@cuda.jit(cache=True)
def k_winner(winner, key, nb):
    """winner[key[b]] = the largest b with that key (the last write in row-major order)."""
    b = cuda.grid(1)
    step = cuda.gridsize(1)
    while b < nb:
        cuda.atomic.max(winner, key[b], b)
        b += step


@cuda.jit(cache=True)
def k_fill_i64(out, value, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        out[i] = value
        i += step


@cuda.jit(cache=True)
def k_gather(out, a, ao, astr, dstride, size, idx, io, istr, shape, n):
    """out[i] = a[coords(i) with dim replaced by wrap(index[i])] (0 where out of range: the
    autograd layer checks the range first; this only keeps the kernel inside a)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        v = int(idx[offset_of(i, shape, istr, io)])
        if v < 0:
            v += size
        if v >= 0 and v < size:
            out[i] = a[offset_of(i, shape, astr, ao) + v * dstride]
        else:
            out[i] = 0
        i += step


@cuda.jit(cache=True)
def k_scatter_add(out, oo, ostr, dstride, size, idx, io, istr, src, so, sstr, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        v = int(idx[offset_of(i, shape, istr, io)])
        if v < 0:
            v += size
        if v >= 0 and v < size:
            cuda.atomic.add(out, offset_of(i, shape, ostr, oo) + v * dstride, src[offset_of(i, shape, sstr, so)])
        i += step


@cuda.jit(device=True)
def _block_minmax(smin, smax, tid, lo, hi):
    """smin[0], smax[0] = the min of every thread's lo and the max of every thread's hi
    (a tree in the _T-long shared arrays smin and smax)."""
    smin[tid] = lo
    smax[tid] = hi
    cuda.syncthreads()
    s = _T // 2
    while s > 0:
        if tid < s:
            if smin[tid + s] < smin[tid]:
                smin[tid] = smin[tid + s]
            if smax[tid + s] > smax[tid]:
                smax[tid] = smax[tid + s]
        cuda.syncthreads()
        s //= 2


@cuda.jit(cache=True)
def k_minmax_partial(x, xo, xst, xshape, n, pmin, pmax):
    """Per block: the min and max of (its grid-stride share of) a strided integer array."""
    smin = cuda.shared.array(_T, int64)
    smax = cuda.shared.array(_T, int64)
    tid = cuda.threadIdx.x
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    lo = _I64_MAX
    hi = _I64_MIN
    while i < n:
        v = int(x[offset_of(i, xshape, xst, xo)])
        if v < lo:
            lo = v
        if v > hi:
            hi = v
        i += step
    _block_minmax(smin, smax, tid, lo, hi)
    if tid == 0:
        pmin[cuda.blockIdx.x] = smin[0]
        pmax[cuda.blockIdx.x] = smax[0]


@cuda.jit(cache=True)
def k_minmax_final(pmin, pmax, nparts, res, slot):
    """One block: res[2 slot], res[2 slot + 1] = min(pmin), max(pmax)."""
    smin = cuda.shared.array(_T, int64)
    smax = cuda.shared.array(_T, int64)
    tid = cuda.threadIdx.x
    lo = _I64_MAX
    hi = _I64_MIN
    j = tid
    while j < nparts:
        if pmin[j] < lo:
            lo = pmin[j]
        if pmax[j] > hi:
            hi = pmax[j]
        j += _T
    _block_minmax(smin, smax, tid, lo, hi)
    if tid == 0:
        res[2 * slot] = smin[0]
        res[2 * slot + 1] = smax[0]


@cuda.jit(cache=True)
def k_nz_flags(flags, a, ao, ast, shape, n):
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        flags[i] = 1 if a[offset_of(i, shape, ast, ao)] != 0 else 0
        i += step


@cuda.jit(cache=True)
def k_scan_chunks(vals, n, chunk, sums):
    """Inclusive prefix sum of vals within each block's chunk [b chunk, (b+1) chunk), in
    tiles of _T with a running carry; sums[b] = the chunk's total."""
    sh = cuda.shared.array(_T, int64)
    tid = cuda.threadIdx.x
    lo = cuda.blockIdx.x * chunk
    hi = min(lo + chunk, n)
    carry = 0
    start = lo
    while start < hi:
        j = start + tid
        x = 0
        if j < hi:
            x = vals[j]
        sh[tid] = x
        cuda.syncthreads()
        off = 1
        while off < _T:
            t = 0
            if tid >= off:
                t = sh[tid - off]
            cuda.syncthreads()
            sh[tid] += t
            cuda.syncthreads()
            off *= 2
        if j < hi:
            vals[j] = sh[tid] + carry
        carry += sh[_T - 1]
        cuda.syncthreads()
        start += _T
    if tid == 0:
        sums[cuda.blockIdx.x] = carry


@cuda.jit(cache=True)
def k_scan_add(vals, n, chunk, sums):
    """vals[i] += the total of the chunks before i's (sums holds their inclusive scan)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        b = i // chunk
        if b > 0:
            vals[i] += sums[b - 1]
        i += step


@cuda.jit(cache=True)
def k_nz_write(out, count, scan, shape, n):
    """Every set flag (scan steps up at i) writes i's coordinates at row scan[i] - 1."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < n:
        prev = 0
        if i > 0:
            prev = scan[i - 1]
        if scan[i] != prev:
            t = i
            for d in range(len(shape) - 1, -1, -1):
                out[d * count + prev] = t % shape[d]
                t //= shape[d]
        i += step
