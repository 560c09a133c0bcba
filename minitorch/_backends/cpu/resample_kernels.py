"""Numba kernel of the scatter-add along one axis (``index_add``): the backward of
reflection/replication padding and of interpolation, which gather along each axis.

NumPy's ``np.add.at`` does this generically at ~30 ns an element; the loop below runs at
memory speed. It has a ``_parallel`` twin (over the leading block) for arrays above
``kernels.PARALLEL_THRESHOLD`` elements: each thread adds into its own slabs of out.
"""
from numba import njit, prange


@njit(cache=True)
def _index_add_block(out, index, src, p):
    for j in range(src.shape[1]):
        i = index[j]
        for q in range(src.shape[2]):
            out[p, i, q] += src[p, j, q]


@njit(cache=True)
def index_add_axis(out, index, src):
    """out[p, index[j], q] += src[p, j, q] for out (P, L_in, Q), src (P, L_out, Q), index
    (L_out,) int64 in [0, L_in); repeated indices accumulate in j order. O(P L_out Q)."""
    for p in range(src.shape[0]):
        _index_add_block(out, index, src, p)


@njit(cache=True, parallel=True)
def index_add_axis_parallel(out, index, src):
    """index_add_axis with the leading dim split over threads."""
    for p in prange(src.shape[0]):
        _index_add_block(out, index, src, p)
