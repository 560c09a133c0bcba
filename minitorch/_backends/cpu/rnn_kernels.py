"""Numba kernels of the recurrent layers' backward: one step's gate derivatives of an LSTM or
GRU in one pass over (batch, hidden) arrays, instead of about twenty elementwise ops."""
from numba import njit


@njit(cache=True)
def lstm_gates_backward(dh, dc, i, f, g, o, tc, c_prev, dgates, dc_prev):
    """One LSTM step's backward, per element (O(batch * hidden)): the gradient of the gate
    pre-activations [i | f | g | o] and of the previous cell state, from the gradients of
    h = o * tanh(c) and c = f * c_prev + i * g (i, f, g, o after their activations)."""
    one = dh.dtype.type(1)
    hidden = dh.shape[1]
    for b in range(dh.shape[0]):
        for j in range(hidden):
            dh_, tc_, o_, i_, f_, g_ = dh[b, j], tc[b, j], o[b, j], i[b, j], f[b, j], g[b, j]
            dc_ = dc[b, j] + dh_ * o_ * (one - tc_ * tc_)
            dgates[b, j] = dc_ * g_ * i_ * (one - i_)
            dgates[b, hidden + j] = dc_ * c_prev[b, j] * f_ * (one - f_)
            dgates[b, 2 * hidden + j] = dc_ * i_ * (one - g_ * g_)
            dgates[b, 3 * hidden + j] = dh_ * tc_ * o_ * (one - o_)
            dc_prev[b, j] = dc_ * f_


@njit(cache=True)
def gru_gates_backward(dh, h_prev, r, z, n, gh_n, dgx, dgh, dh_direct):
    """One GRU step's backward, per element (O(batch * hidden)): for h' = (h - n) z + n with
    n = tanh(x_n + r * gh_n), the gradients of the input-side pre-activations [r | z | n],
    of the hidden-side ones [r | z | gh_n], and h's direct share dh' * z."""
    one = dh.dtype.type(1)
    hidden = dh.shape[1]
    for b in range(dh.shape[0]):
        for j in range(hidden):
            dh_, r_, z_, n_ = dh[b, j], r[b, j], z[b, j], n[b, j]
            dn = dh_ * (one - z_) * (one - n_ * n_)
            dr = dn * gh_n[b, j] * r_ * (one - r_)
            dz = dh_ * (h_prev[b, j] - n_) * z_ * (one - z_)
            dgx[b, j] = dr
            dgx[b, hidden + j] = dz
            dgx[b, 2 * hidden + j] = dn
            dgh[b, j] = dr
            dgh[b, hidden + j] = dz
            dgh[b, 2 * hidden + j] = dn * r_
            dh_direct[b, j] = dh_ * z_
