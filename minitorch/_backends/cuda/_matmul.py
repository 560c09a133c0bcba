"""CUDA matmul: one strided, batched GEMM kernel behind matmul (and conv2d's products).

``strided_gemm`` computes, for every batch index z of a (collapsed) batch shape,

    out[z][i, j] = sum_k a[z][i, k] * b[z][k, j]  (+ bias[z][i])

where every operand is addressed as ``buf[offset + batch_offset(z) + row * s_row + col * s_col]``:
transposed operands (``x.t()``, Linear's ``weight.t()``) and broadcast batch dims (batch
stride 0) are read in place, never copied, and the output may be any strided view (conv2d
writes its (N, O, oh, ow) result straight from the product). One launch covers the whole
batch: a 3-D grid (tiles of N, tiles of M, batch), each dimension grid-strided so that any
size fits the grid limits.

The float kernels are shared-memory tiled GEMMs with register blocking: a block of
``NT = (BM / TM) * (BN / TN)`` threads computes a BM x BN tile of the output, each thread a
TM x TN sub-tile held in registers, stepping over K by BK: the A (BM x BK) and B (BK x BN)
tiles are staged in shared memory, loaded along whichever of each operand's strides is 1
(coalesced for row-major and transposed operands alike; the shared tiles are padded by one
column so that the transposed stores do not hit one bank). Thread (ty, tx) owns rows
ty + r*TY and columns tx + c*TX, so neighbouring threads store neighbouring columns
(coalesced stores) and read neighbouring shared words. On the GPU the tile is 64 x 64
(BK 16, 4 x 4 per thread, 256 threads); the simulator runs every CUDA thread as a Python
thread, so there the same code runs with an 8 x 8 tile (2 x 2 per thread, 16 threads).
Sums accumulate in the operand dtype (float32 in float32, as BLAS's sgemm does).

Other dtypes (integers, bool) take a simple kernel, one thread per output element (exact
integer sums, wrapping on overflow as NumPy does); float16 is computed in float32.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import cuda

from ._array import CudaArray, contiguous_strides
from ._kernels import offset_of
from ._launch import SIMULATOR, check_device, collapse, launch, launch_blocks, size_of

# ----- tile configuration (module constants: shared/local array shapes must be compile-time) --
if SIMULATOR:
    BM, BN, BK, TM, TN = 8, 8, 8, 2, 2
else:
    BM, BN, BK, TM, TN = 64, 64, 16, 4, 4
TX = BN // TN                 # threads along a tile's columns
TY = BM // TM                 # threads along a tile's rows
NT = TX * TY                  # threads per block
A_LOADS = BM * BK // NT       # A-tile elements each thread loads per K step
B_LOADS = BK * BN // NT
SA_SHAPE = (BK, BM + 1)       # +1: transposed stores spread over the banks
SB_SHAPE = (BK, BN + 1)
ACC_SHAPE = (TM, TN)
MAX_GRID_YZ = 65535

# the bias epilogue: none, one value per output row (conv2d), one per column (Linear's addmm)
NO_BIAS, BIAS_ROWS, BIAS_COLS = 0, 1, 2

assert BM % TM == 0 and BN % TN == 0 and (BM * BK) % NT == 0 and (BK * BN) % NT == 0


# ----- kernels ----------------------------------------------------------------------------
@cuda.jit(device=True)
def _gemm_tiles(out, oo, obs, som, son, a, ao, abs_, sam, sak, b, bo, bbs, sbk, sbn,
                bias, bso, bsbs, sbias, has_bias, bshape, nb, m, n, k, a_kfast, b_nfast,
                sa, sb, acc, ra, rb):
    """The tiled GEMM for one block; sa/sb (shared) and acc/ra/rb (registers) come typed
    from the per-dtype kernel."""
    tid = cuda.threadIdx.x
    tx = tid % TX
    ty = tid // TX
    col0 = cuda.blockIdx.x * BN
    z = cuda.blockIdx.z
    while z < nb:
        a_base = offset_of(z, bshape, abs_, ao)
        b_base = offset_of(z, bshape, bbs, bo)
        o_base = offset_of(z, bshape, obs, oo)
        bias_base = offset_of(z, bshape, bsbs, bso)
        row0 = cuda.blockIdx.y * BM
        while row0 < m:
            for r in range(TM):
                for c in range(TN):
                    acc[r, c] = 0
            k0 = 0
            while k0 < k:
                # Stage A[row0:row0+BM, k0:k0+BK] as sa[kk, ii], walking A's unit stride.
                for q in range(A_LOADS):
                    idx = tid + q * NT
                    if a_kfast:
                        kk = idx % BK
                        ii = idx // BK
                    else:
                        ii = idx % BM
                        kk = idx // BM
                    gi = row0 + ii
                    gk = k0 + kk
                    if gi < m and gk < k:
                        sa[kk, ii] = a[a_base + gi * sam + gk * sak]
                    else:
                        sa[kk, ii] = 0
                # Stage B[k0:k0+BK, col0:col0+BN] as sb[kk, jj].
                for q in range(B_LOADS):
                    idx = tid + q * NT
                    if b_nfast:
                        jj = idx % BN
                        kk = idx // BN
                    else:
                        kk = idx % BK
                        jj = idx // BK
                    gk = k0 + kk
                    gj = col0 + jj
                    if gk < k and gj < n:
                        sb[kk, jj] = b[b_base + gk * sbk + gj * sbn]
                    else:
                        sb[kk, jj] = 0
                cuda.syncthreads()
                for kk in range(BK):
                    for r in range(TM):
                        ra[r] = sa[kk, ty + r * TY]
                    for c in range(TN):
                        rb[c] = sb[kk, tx + c * TX]
                    for r in range(TM):
                        for c in range(TN):
                            acc[r, c] += ra[r] * rb[c]
                cuda.syncthreads()
                k0 += BK
            for r in range(TM):
                gi = row0 + ty + r * TY
                if gi < m:
                    for c in range(TN):
                        gj = col0 + tx + c * TX
                        if gj < n:
                            v = acc[r, c]
                            if has_bias == BIAS_ROWS:
                                v += bias[bias_base + gi * sbias]
                            elif has_bias == BIAS_COLS:
                                v += bias[bias_base + gj * sbias]
                            out[o_base + gi * som + gj * son] = v
            row0 += cuda.gridDim.y * BM
        z += cuda.gridDim.z


@cuda.jit(cache=True)
def k_gemm_f32(out, oo, obs, som, son, a, ao, abs_, sam, sak, b, bo, bbs, sbk, sbn,
               bias, bso, bsbs, sbias, has_bias, bshape, nb, m, n, k, a_kfast, b_nfast):
    sa = cuda.shared.array(SA_SHAPE, numba.float32)
    sb = cuda.shared.array(SB_SHAPE, numba.float32)
    acc = cuda.local.array(ACC_SHAPE, numba.float32)
    ra = cuda.local.array(TM, numba.float32)
    rb = cuda.local.array(TN, numba.float32)
    _gemm_tiles(out, oo, obs, som, son, a, ao, abs_, sam, sak, b, bo, bbs, sbk, sbn,
                bias, bso, bsbs, sbias, has_bias, bshape, nb, m, n, k, a_kfast, b_nfast,
                sa, sb, acc, ra, rb)


@cuda.jit(cache=True)
def k_gemm_f64(out, oo, obs, som, son, a, ao, abs_, sam, sak, b, bo, bbs, sbk, sbn,
               bias, bso, bsbs, sbias, has_bias, bshape, nb, m, n, k, a_kfast, b_nfast):
    sa = cuda.shared.array(SA_SHAPE, numba.float64)
    sb = cuda.shared.array(SB_SHAPE, numba.float64)
    acc = cuda.local.array(ACC_SHAPE, numba.float64)
    ra = cuda.local.array(TM, numba.float64)
    rb = cuda.local.array(TN, numba.float64)
    _gemm_tiles(out, oo, obs, som, son, a, ao, abs_, sam, sak, b, bo, bbs, sbk, sbn,
                bias, bso, bsbs, sbias, has_bias, bshape, nb, m, n, k, a_kfast, b_nfast,
                sa, sb, acc, ra, rb)


@cuda.jit(cache=True)
def k_gemm_simple(out, oo, obs, som, son, a, ao, abs_, sam, sak, b, bo, bbs, sbk, sbn,
                  bias, bso, bsbs, sbias, has_bias, bshape, nb, m, n, k, total):
    """One thread per output element (integer/bool products; k >= 1)."""
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < total:
        j = i % n
        t = i // n
        row = t % m
        z = t // m
        pa = offset_of(z, bshape, abs_, ao) + row * sam
        pb = offset_of(z, bshape, bbs, bo) + j * sbn
        s = a[pa] * b[pb]
        for kk in range(1, k):
            s += a[pa + kk * sak] * b[pb + kk * sbk]
        if has_bias == BIAS_ROWS:
            s += bias[offset_of(z, bshape, bsbs, bso) + row * sbias]
        elif has_bias == BIAS_COLS:
            s += bias[offset_of(z, bshape, bsbs, bso) + j * sbias]
        out[offset_of(z, bshape, obs, oo) + row * som + j * son] = s
        i += step


# ----- the host side ----------------------------------------------------------------------
def strided_gemm(out, o_off, o_bs, som, son, a, a_off, a_bs, sam, sak, b, b_off, b_bs, sbk, sbn,
                 batch, m, n, k, bias=None, bias_cols=False) -> None:
    """out[z][i, j] = sum_k a[z][i, k] b[z][k, j] (+ bias[z][i], or bias[z][j] when bias_cols)
    for every z in batch, the bias added in the kernel's epilogue (no second launch).

    out/a/b are CudaArrays whose buffers are addressed directly: ``*_off`` element offsets,
    ``*_bs`` batch strides (one per dim of ``batch``, 0 to broadcast), ``s**`` row/column
    strides. bias is None or (CudaArray, offset, batch strides, row stride). out's rows must
    not alias a or b. For float dtypes k == 0 writes zeros (plus bias): the tiled kernel's
    loop over K does not run.
    """
    batch = tuple(batch)
    if bias is None:
        bias_buf, bias_off, bias_bs, sbias, has_bias = out.buf, 0, (0,) * len(batch), 0, NO_BIAS
    else:
        bias_arr, bias_off, bias_bs, sbias = bias
        bias_buf, has_bias = bias_arr.buf, BIAS_COLS if bias_cols else BIAS_ROWS
    bshape, (a_bs, b_bs, o_bs, bias_bs) = collapse(batch, tuple(a_bs), tuple(b_bs), tuple(o_bs),
                                                   tuple(bias_bs))
    nb = size_of(bshape)
    if nb * m * n == 0:
        return
    dtype = out.dtype
    args = (out.buf, o_off, o_bs, som, son, a.buf, a_off, a_bs, sam, sak, b.buf, b_off, b_bs, sbk, sbn,
            bias_buf, bias_off, bias_bs, sbias, has_bias, bshape, nb, m, n, k)
    if dtype == np.float32 or dtype == np.float64:
        kernel = k_gemm_f32 if dtype == np.float32 else k_gemm_f64
        a_kfast = sak == 1 or sam != 1
        b_nfast = sbn == 1 or sbk != 1
        grid = ((n + BN - 1) // BN, min((m + BM - 1) // BM, MAX_GRID_YZ), min(nb, MAX_GRID_YZ))
        launch_blocks(kernel, grid, NT, *args, a_kfast, b_nfast)
        return
    if k == 0:  # the simple kernel needs one term; the caller fills empty sums
        raise ValueError("strided_gemm: k == 0 needs a float dtype")
    launch(k_gemm_simple, nb * m * n, *args, nb * m * n)


def _batch_strides(a: CudaArray, batch: tuple) -> tuple:
    """a's strides over its batch dims (all but the last two) broadcast to batch (0 = broadcast)."""
    lead = len(batch) - (a.ndim - 2)
    strides = [0] * lead
    for size, s, target in zip(a.shape[:-2], a.estrides[:-2], batch[lead:]):
        strides.append(s if size == target and size != 1 else 0)
    return tuple(strides)


class MatmulOps:
    """The matmul part of the CUDA op table."""

    def addmm(self, bias, a, b):
        """bias + a @ b for 2-D float a (m, k), b (k, n) and a bias broadcast to (m, n) along
        its rows ((n,) or (1, n): Linear's), the bias added in the GEMM's epilogue: one launch
        and the rounding of matmul followed by an in-place add. Other shapes and dtypes: matmul,
        then the add."""
        check_device(bias, a, b)
        if (a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype == bias.dtype
                and a.dtype in (np.float32, np.float64) and a.shape[1] == b.shape[0]
                and bias.shape in ((b.shape[1],), (1, b.shape[1]))):
            m, k = a.shape
            n = b.shape[1]
            out = CudaArray.empty((m, n), a.dtype)
            if out.size:
                strided_gemm(out, 0, (), n, 1, a, a.offset, (), a.estrides[0], a.estrides[1],
                             b, b.offset, (), b.estrides[0], b.estrides[1], (), m, n, k,
                             bias=(bias, bias.offset, (), bias.estrides[-1]), bias_cols=True)
            return out
        out = self.matmul(a, b)
        self.inplace("add", out, bias)
        return out

    def matmul(self, a, b):
        """NumPy's matmul: 1-D operands promoted and their dim removed again (a 0-d result for
        vector @ vector), batch dims broadcast; result in the operands' dtype."""
        check_device(a, b)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: Input operand does not have enough dimensions")
        if a.dtype != b.dtype:
            from ._table import _Dt
            dt = np.result_type(a.dtype, b.dtype)
            a, b = self.astype(a, _Dt(dt)), self.astype(b, _Dt(dt))
        if a.dtype == np.float16:
            from ._table import _Dt
            f32, f16 = _Dt(np.float32), _Dt(np.float16)
            return self.astype(self.matmul(self.astype(a, f32), self.astype(b, f32)), f16)
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        if a_vec:
            a = a.view_as((1, a.shape[0]), (0, a.estrides[0]), a.offset)
        if b_vec:
            b = b.view_as((b.shape[0], 1), (b.estrides[0], 0), b.offset)
        m, k = a.shape[-2:]
        k2, n = b.shape[-2:]
        if k != k2:
            raise ValueError(
                f"matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                f"signature (n?,k),(k,m?)->(n?,m?) (size {k2} is different from {k})")
        try:
            batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        except ValueError:
            raise ValueError(f"operands could not be broadcast together with remapped shapes "
                             f"[original->remapped]: {a.shape}->{a.shape} {b.shape}->{b.shape}") from None
        out = CudaArray.empty(batch + (m, n), a.dtype)
        if out.size:
            if k == 0 and a.dtype not in (np.float32, np.float64):
                self.fill(out, 0)
            else:
                strided_gemm(out, 0, out.estrides[:-2], n, 1,
                             a, a.offset, _batch_strides(a, batch), a.estrides[-2], a.estrides[-1],
                             b, b.offset, _batch_strides(b, batch), b.estrides[-2], b.estrides[-1],
                             batch, m, n, k)
        shape = batch + (() if a_vec else (m,)) + (() if b_vec else (n,))
        if shape != out.shape:
            out = out.view_as(shape, contiguous_strides(shape), 0)
        return out

