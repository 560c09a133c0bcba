"""nn.LeakyReLU(inplace=True) after BatchNorm2d, as in DCGAN's discriminator: the in-place form
must give the gradients of the out-of-place one and PyTorch's (it once saved its input for
backward and then overwrote it, which made every gradient below it wrong)."""
import numpy as np
import pytest

import minitorch
from minitorch.nn import functional as F
from tests._compat import requires_torch, torch


def _discriminator(lib, inplace: bool):
    """DCGAN's discriminator for 16x16 images (pytorch/examples dcgan, ndf=4)."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 4, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=inplace),
        nn.Conv2d(4, 8, 4, 2, 1, bias=False), nn.BatchNorm2d(8), nn.LeakyReLU(0.2, inplace=inplace),
        nn.Conv2d(8, 1, 4, 1, 0, bias=False), nn.Sigmoid())


def _arr(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _grads(lib, net, x, label):
    out = net(lib.tensor(x)).view(-1)
    loss = lib.nn.BCELoss()(out, lib.full((x.shape[0],), label))
    loss.backward()
    return float(loss.item()), [p.grad.numpy().copy() for p in net.parameters()]


def _copy_weights(dst, src):
    dst.load_state_dict({k: minitorch.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


def test_inplace_leaky_relu_gives_the_out_of_place_gradients_in_the_discriminator():
    minitorch.manual_seed(0)
    inplace, plain = _discriminator(minitorch, True), _discriminator(minitorch, False)
    plain.load_state_dict(inplace.state_dict())
    x = _arr((4, 3, 16, 16), 1)
    loss_a, grads_a = _grads(minitorch, inplace, x, 1.0)
    loss_b, grads_b = _grads(minitorch, plain, x, 1.0)
    assert loss_a == loss_b
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_array_equal(a, b)


@requires_torch
def test_dcgan_discriminator_with_inplace_leaky_relu_has_torchs_gradients():
    torch.manual_seed(0)
    t_net = _discriminator(torch, True)
    m_net = _discriminator(minitorch, True)
    _copy_weights(m_net, t_net)
    for step, label in enumerate((1.0, 0.0)):  # a real and a fake batch, as DCGAN's D step
        x = _arr((4, 3, 16, 16), step)
        loss_m, grads_m = _grads(minitorch, m_net, x, label)
        loss_t, grads_t = _grads(torch, t_net, x, label)
        assert loss_m == pytest.approx(loss_t, rel=1e-5)
        for (name, _), gm, gt in zip(t_net.named_parameters(), grads_m, grads_t):
            np.testing.assert_allclose(gm, gt, rtol=1e-4, atol=1e-5, err_msg=name)


@requires_torch
def test_inplace_leaky_relu_node_is_torchs_and_refuses_a_negative_slope_in_backward():
    x = minitorch.tensor(_arr((5,), 2), requires_grad=True)
    y = F.leaky_relu(x * 1, 0.2, inplace=True)
    xt = torch.tensor(_arr((5,), 2), requires_grad=True)
    yt = torch.nn.functional.leaky_relu(xt * 1, 0.2, inplace=True)
    assert type(y.grad_fn).__name__ == type(yt.grad_fn).__name__ == "LeakyReluBackward1"
    z = F.leaky_relu(x * 1, -0.5, inplace=True)
    zt = torch.nn.functional.leaky_relu(xt * 1, -0.5, inplace=True)
    with pytest.raises(RuntimeError) as want:
        zt.sum().backward()
    with pytest.raises(RuntimeError) as got:
        z.sum().backward()
    assert str(got.value) == str(want.value)


def test_inplace_leaky_relu_gradchecks_first_and_second_order():
    from minitorch.autograd.gradcheck import gradcheck
    x = minitorch.tensor(np.random.default_rng(3).standard_normal((4, 5)), requires_grad=True)
    assert gradcheck(lambda x: F.leaky_relu(x * 1, 0.2, inplace=True), (x,))

    def second(x):
        with minitorch.enable_grad():
            y = F.leaky_relu(x * 1, 0.2, inplace=True)
            (g,) = minitorch.autograd.grad((y * y * y).sum(), (x,), create_graph=True)
        return (g * g).sum()
    assert gradcheck(second, (x,))
