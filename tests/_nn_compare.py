"""Helpers for the attention / transformer / norm tests: the same module in minitorch and torch."""
import numpy as np

import minitorch


def load_from_torch(m_module, t_module):
    """Give the minitorch module the torch module's state_dict (keys must be the same)."""
    m_module.load_state_dict({k: minitorch.tensor(v.detach().numpy()) for k, v in t_module.state_dict().items()})


def np_of(t):
    return np.asarray(t.detach().numpy())


def assert_close(m_value, t_value, rtol=1e-5, atol=1e-5, what=""):
    """Equal values (NaN where torch has NaN) within float32 tolerance."""
    a, b = np_of(m_value), np_of(t_value)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def assert_grads_close(m_module, t_module, rtol=1e-4, atol=1e-5):
    """Every parameter's gradient, by name, against torch's."""
    t_params = dict(t_module.named_parameters())
    m_params = dict(m_module.named_parameters())
    assert list(m_params) == list(t_params)
    for name, p in m_params.items():
        tp = t_params[name]
        if tp.grad is None:
            assert p.grad is None or not np_of(p.grad).any(), name
            continue
        assert p.grad is not None, name
        assert_close(p.grad, tp.grad, rtol, atol, what=name)


def assert_same_state(m_module, t_module):
    """The same keys in the same order and bit-identical values (e.g. after seeded init)."""
    m_state, t_state = m_module.state_dict(), t_module.state_dict()
    assert list(m_state) == list(t_state)
    for k, v in t_state.items():
        np.testing.assert_array_equal(np_of(m_state[k]), v.detach().numpy(), err_msg=k)


def raises_like(m_call, t_call):
    """Both calls raise the same exception type with the same message; returns the message."""
    try:
        t_call()
    except Exception as e:  # noqa: BLE001 - whatever torch raises is the expectation
        t_err = e
    else:
        raise AssertionError("torch did not raise")
    try:
        m_call()
    except Exception as e:  # noqa: BLE001
        m_err = e
    else:
        raise AssertionError(f"minitorch did not raise; torch raised {type(t_err).__name__}: {t_err}")
    assert type(m_err).__name__ == type(t_err).__name__, (m_err, t_err)
    assert str(m_err) == str(t_err)
    return str(m_err)
