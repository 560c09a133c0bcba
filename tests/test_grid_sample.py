"""F.grid_sample and F.affine_grid: values and gradients (input and grid) against PyTorch over
modes, padding modes, align_corners, 4-D and 5-D inputs and non-contiguous layouts; central
differences and NumPy references without it; the backend's composed default against the CPU
kernels; the Spatial Transformer tutorial's network; errors and warnings as PyTorch's."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitorch
from minitorch._backends.defaults_nn import NnDefaults
from minitorch.autograd.gradcheck import gradcheck
from minitorch.nn import functional as F
from tests._compat import requires_torch, torch
from tests._nn_compare import raises_like
from tests.strategies import hsettings, layout_of

MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")


def _grid_values(rng, sizes, out, align_corners, n=1):
    """A grid (n, *out, d) whose points lie away from pixel centres, cell edges and half-pixels
    (where nearest rounding, floors and so the grid's gradient jump), some of them outside the
    input: pixel coordinates k + f with f in [0.15, 0.35] or [0.65, 0.85]."""
    d = len(sizes)
    columns = []
    for axis in range(d):  # grid component axis indexes the spatial dim d - 1 - axis
        size = sizes[d - 1 - axis]
        whole = rng.integers(-2, size + 1, size=(n,) + out)
        frac = rng.uniform(0.15, 0.35, size=(n,) + out) + rng.integers(0, 2, size=(n,) + out) * 0.5
        pixel = whole + frac
        if align_corners:
            columns.append(pixel / (size - 1) * 2 - 1 if size > 1 else rng.uniform(-1.5, 1.5, (n,) + out))
        else:
            columns.append((2 * pixel + 1) / size - 1)
    return np.stack(columns, -1)


@st.composite
def grid_cases(draw):
    five = draw(st.booleans())
    mode = draw(st.sampled_from(("bilinear", "nearest") if five else MODES))
    d = 3 if five else 2
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    sizes = tuple(draw(st.integers(1, 4 if five else 5)) for _ in range(d))
    out = tuple(draw(st.integers(1, 3 if five else 4)) for _ in range(d))
    kwargs = dict(mode=mode, padding_mode=draw(st.sampled_from(PADDINGS)), align_corners=draw(st.booleans()))
    seed = draw(st.integers(0, 2 ** 16))
    return (n, c) + sizes, out, kwargs, seed


def _tolerance(dtype):
    # float32 inputs against torch's float64 on the same values: a few float32 roundings of
    # sums of up to 16 weighted taps (the grid's gradient sums those over the channels too)
    return dict(rtol=1e-4, atol=2e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-11)


@requires_torch
@hsettings(max_examples=40)
@given(case=grid_cases(), dtype=st.sampled_from(["float32", "float64"]), data=st.data())
def test_grid_sample_matches_torch_values_and_both_gradients(case, dtype, data):
    shape, out, kwargs, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    g = _grid_values(rng, shape[2:], out, kwargs["align_corners"], shape[0]).astype(dtype)
    xm = data.draw(layout_of(x)).requires_grad_()
    gm = data.draw(layout_of(g)).requires_grad_()
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    gt = torch.tensor(g.astype(np.float64), requires_grad=True)
    om, ot = F.grid_sample(xm, gm, **kwargs), torch.nn.functional.grid_sample(xt, gt, **kwargs)
    assert om.dtype == minitorch.float32 if dtype == "float32" else minitorch.float64
    assert om.grad_fn.name() == ot.grad_fn.name()
    tol = _tolerance(dtype)
    np.testing.assert_allclose(om.detach().numpy(), ot.detach().numpy(), **tol)
    upstream = rng.standard_normal(ot.shape).astype(dtype)
    om.backward(minitorch.tensor(upstream))
    ot.backward(torch.tensor(upstream.astype(np.float64)))
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), **tol)
    np.testing.assert_allclose(gm.grad.numpy(), gt.grad.numpy(), **tol)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_gradchecks_against_central_differences(mode, padding_mode, align_corners):
    rng = np.random.default_rng(3)
    x = minitorch.tensor(rng.standard_normal((2, 2, 4, 5)), requires_grad=True)
    g = minitorch.tensor(_grid_values(rng, (4, 5), (3, 2), align_corners, 2), requires_grad=True)
    assert gradcheck(lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners), (x, g))


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_grid_sample_5d_gradchecks(padding_mode):
    rng = np.random.default_rng(4)
    x = minitorch.tensor(rng.standard_normal((1, 2, 3, 4, 3)), requires_grad=True)
    g = minitorch.tensor(_grid_values(rng, (3, 4, 3), (2, 2, 1), False), requires_grad=True)
    assert gradcheck(lambda a, b: F.grid_sample(a, b, "bilinear", padding_mode, False), (x, g))


def test_identity_grid_with_align_corners_reproduces_the_input():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 6))
    theta = minitorch.tensor([[[1.0, 0, 0], [0, 1, 0]]] * 2, dtype=minitorch.float64)
    grid = F.affine_grid(theta, (2, 3, 4, 6), align_corners=True)
    for mode in MODES:
        out = F.grid_sample(minitorch.tensor(x), grid, mode=mode, align_corners=True)
        np.testing.assert_allclose(out.numpy(), x, atol=1e-12)


def test_bilinear_halfway_point_is_the_mean_of_its_four_neighbours_numpy():
    x = np.random.default_rng(1).standard_normal((1, 1, 3, 4))
    # pixel (row 0.5, column 1.5) with align_corners=True: normalised x = 1.5 / 3 * 2 - 1, y = 0.5 / 2 * 2 - 1
    grid = minitorch.tensor([[[[1.5 / 3 * 2 - 1, 0.5 - 1]]]], dtype=minitorch.float64)
    out = F.grid_sample(minitorch.tensor(x), grid, align_corners=True).item()
    assert out == pytest.approx(x[0, 0, 0:2, 1:3].mean(), abs=1e-14)


def test_zeros_padding_reads_zero_outside_and_border_the_edge():
    x = minitorch.arange(12.0).reshape(1, 1, 3, 4)
    far = minitorch.tensor([[[[3.0, 0.0], [-3.0, 0.0]]]])
    assert F.grid_sample(x, far, align_corners=False).flatten().tolist() == [0.0, 0.0]
    assert F.grid_sample(x, far, padding_mode="border", align_corners=True).flatten().tolist() == [7.0, 4.0]


def test_composed_default_equals_the_cpu_kernels():
    rng = np.random.default_rng(5)
    be = minitorch.tensor([1.0])._backend
    x = rng.standard_normal((2, 3, 20))
    index = rng.integers(0, 20, (2, 4, 7))
    weight = rng.standard_normal((2, 4, 7))
    grad = rng.standard_normal((2, 3, 7))
    np.testing.assert_allclose(be.grid_sample_gather(x, index, weight),
                               NnDefaults.grid_sample_gather(be, x, index, weight), rtol=1e-13)
    np.testing.assert_allclose(be.grid_sample_scatter(grad, index, weight, 20),
                               NnDefaults.grid_sample_scatter(be, grad, index, weight, 20), rtol=1e-13)
    np.testing.assert_allclose(be.grid_sample_weight_grad(grad, x, index),
                               NnDefaults.grid_sample_weight_grad(be, grad, x, index), rtol=1e-13)
    reference = np.einsum("ntp,nctp->ncp", weight, x[np.arange(2)[:, None, None, None],
                                                     np.arange(3)[None, :, None, None], index[:, None]])
    np.testing.assert_allclose(be.grid_sample_gather(x, index, weight), reference, rtol=1e-13)


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("align_corners", [False, True])
def test_cpu_tap_plan_kernel_equals_the_host_default(mode, padding, align_corners):
    be = minitorch.tensor([1.0])._backend
    rng = np.random.default_rng(mode * 6 + padding * 2 + align_corners)
    for d, sizes in ((2, (3, 5)), (2, (1, 4)), (3, (2, 3, 4))):
        if d == 3 and mode == 2:
            continue
        grid = rng.uniform(-1.6, 1.6, (2, 7, d))
        grid[0, :3] = np.array([-1.0, 0.0, 1.0])[:, None]  # the edges and the centre
        grid[1, :3] = np.array([np.nan, np.inf, -np.inf])[:, None]  # and non-finite values
        got = be.grid_sample_plan(grid, sizes, mode, padding, align_corners)
        want = NnDefaults.grid_sample_plan(be, grid, sizes, mode, padding, align_corners)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-15, atol=1e-15, equal_nan=True)
        index, weight, deriv = be.grid_sample_plan(grid, sizes, mode, padding, align_corners, False)
        assert deriv is None
        np.testing.assert_array_equal(index, want[0])
        np.testing.assert_array_equal(weight, want[1])


# ----- affine_grid --------------------------------------------------------------------------

@requires_torch
@hsettings(max_examples=25)
@given(five=st.booleans(), sizes=st.lists(st.integers(1, 5), min_size=3, max_size=3),
       n=st.integers(1, 3), align_corners=st.booleans(), dtype=st.sampled_from(["float32", "float64"]),
       data=st.data())
def test_affine_grid_matches_torch_values_and_gradient(five, sizes, n, align_corners, dtype, data):
    d = 3 if five else 2
    size = (n, 2) + tuple(sizes[:d])
    theta = np.random.default_rng(sum(sizes)).standard_normal((n, d, d + 1)).astype(dtype)
    tm = data.draw(layout_of(theta)).requires_grad_()
    tt = torch.tensor(theta.astype(np.float64), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (unit sizes with align_corners warn; checked below)
        gm = F.affine_grid(tm, size, align_corners=align_corners)
        gt = torch.nn.functional.affine_grid(tt, size, align_corners=align_corners)
    assert gm.grad_fn.name() == gt.grad_fn.name() == "AffineGridGeneratorBackward0"
    tol = _tolerance(dtype)
    np.testing.assert_allclose(gm.detach().numpy(), gt.detach().numpy(), **tol)
    upstream = np.random.default_rng(1).standard_normal(gt.shape).astype(dtype)
    gm.backward(minitorch.tensor(upstream))
    gt.backward(torch.tensor(upstream.astype(np.float64)))
    np.testing.assert_allclose(tm.grad.numpy(), tt.grad.numpy(), **tol)


@requires_torch
@pytest.mark.parametrize("steps", [1, 2, 5, 7, 28])
def test_affine_grid_base_coordinates_are_torchs_float32_linspace_bit_for_bit(steps):
    theta = np.array([[[1, 0, 0], [0, 1, 0]]], np.float32)
    for align_corners in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = F.affine_grid(minitorch.tensor(theta), (1, 1, steps, 3), align_corners=align_corners)
            want = torch.nn.functional.affine_grid(torch.tensor(theta), (1, 1, steps, 3),
                                                   align_corners=align_corners)
        np.testing.assert_array_equal(got.numpy()[..., 1], want.numpy()[..., 1])


def test_affine_grid_is_theta_applied_to_normalised_pixel_centres_numpy():
    theta = np.random.default_rng(2).standard_normal((2, 2, 3))
    grid = F.affine_grid(minitorch.tensor(theta), (2, 1, 3, 4), align_corners=False).numpy()
    xs, ys = (2 * np.arange(4) + 1) / 4 - 1, (2 * np.arange(3) + 1) / 3 - 1
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], 1.0), -1)
    np.testing.assert_allclose(grid, np.einsum("hwk,njk->nhwj", base, theta), atol=1e-12)


def test_affine_grid_gradchecks():
    theta = minitorch.tensor(np.random.default_rng(3).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.affine_grid(t, (2, 1, 2, 3, 4), align_corners=False), (theta,))


# ----- the Spatial Transformer Networks tutorial --------------------------------------------

def _stn_net(lib):
    F_ = lib.nn.functional

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = lib.nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = lib.nn.Dropout2d()
            self.fc1 = lib.nn.Linear(320, 50)
            self.fc2 = lib.nn.Linear(50, 10)
            self.localization = lib.nn.Sequential(
                lib.nn.Conv2d(1, 8, kernel_size=7), lib.nn.MaxPool2d(2, stride=2), lib.nn.ReLU(True),
                lib.nn.Conv2d(8, 10, kernel_size=5), lib.nn.MaxPool2d(2, stride=2), lib.nn.ReLU(True))
            self.fc_loc = lib.nn.Sequential(lib.nn.Linear(10 * 3 * 3, 32), lib.nn.ReLU(True), lib.nn.Linear(32, 3 * 2))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(lib.tensor([1, 0, 0, 0, 1, 0], dtype=lib.float))

        def stn(self, x):
            xs = self.localization(x).view(-1, 10 * 3 * 3)
            theta = self.fc_loc(xs).view(-1, 2, 3)
            grid = F_.affine_grid(theta, x.size(), align_corners=False)
            return F_.grid_sample(x, grid, align_corners=False)

        def forward(self, x):
            x = self.stn(x)
            x = F_.relu(F_.max_pool2d(self.conv1(x), 2))
            x = F_.relu(F_.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F_.dropout(F_.relu(self.fc1(x)), training=self.training)
            return F_.log_softmax(self.fc2(x), dim=1)

    return Net()


@requires_torch
def test_spatial_transformer_tutorial_forward_and_backward_equal_torchs():
    minitorch.manual_seed(0)
    torch.manual_seed(0)
    m, t = _stn_net(minitorch), _stn_net(torch)
    for p, q in zip(m.parameters(), t.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    # a non-identity transformer: the same small weights in both
    w = np.random.default_rng(0).standard_normal((6, 32)).astype(np.float32) * 0.05
    m.fc_loc[2].weight.data.copy_(minitorch.tensor(w))
    t.fc_loc[2].weight.data.copy_(torch.tensor(w))
    m.eval()
    t.eval()
    x = np.random.default_rng(1).random((4, 1, 28, 28)).astype(np.float32)
    target = np.array([3, 1, 4, 1])
    lm = F.nll_loss(m(minitorch.tensor(x)), minitorch.tensor(target))
    lt = torch.nn.functional.nll_loss(t(torch.tensor(x)), torch.tensor(target))
    assert lm.item() == pytest.approx(lt.item(), rel=1e-5)
    lm.backward()
    lt.backward()
    for (name, p), q in zip(m.named_parameters(), t.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=2e-3, atol=2e-5, err_msg=name)


# ----- errors and warnings ------------------------------------------------------------------

X4, G4 = np.zeros((2, 3, 4, 5), np.float32), np.zeros((2, 6, 7, 2), np.float32)
GRID_ERRORS = [
    (X4, G4, dict(mode="foo")),
    (X4, G4, dict(mode=1)),
    (X4, G4, dict(padding_mode="wrap")),
    (X4, G4.astype(np.float64), {}),
    (X4, G4[:1], {}),
    (X4, np.zeros((2, 6, 7, 3), np.float32), {}),
    (X4, np.zeros((2, 6, 7, 1, 2), np.float32), {}),
    (X4[:, :, :0], G4, {}),
    (X4[0], G4[0], {}),
    (np.zeros((2, 3, 4), np.float32), np.zeros((2, 6, 1), np.float32), {}),
    (np.zeros((2, 3, 4, 5, 6), np.float32), np.zeros((2, 6, 1, 1, 3), np.float32), dict(mode="bicubic")),
    (X4.astype(np.int64), G4, {}),
    (np.zeros((2, 3, 4, 5, 6), np.int64), np.zeros((2, 6, 1, 1, 3), np.float32), {}),
    (X4, G4.astype(np.int64), {}),
    (X4, G4, dict(align_corners=3)),
]


@requires_torch
@pytest.mark.parametrize("x, g, kwargs", GRID_ERRORS)
def test_grid_sample_errors_match_torch(x, g, kwargs):
    kwargs = {"align_corners": False, **kwargs}
    raises_like(lambda: F.grid_sample(minitorch.tensor(x), minitorch.tensor(g), **kwargs),
                lambda: torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(g), **kwargs))


AFFINE_ERRORS = [
    (np.zeros((2, 2, 3), np.int64), (2, 3, 4, 5)),
    (np.zeros((2, 3, 3)), (2, 3, 4, 5)),
    (np.zeros((2, 2, 3)), (3, 3, 4, 5)),
    (np.zeros((2, 3, 4)), [2, 3, 4, 5]),
    (np.zeros((2, 2, 3)), (2, 3, 4, 5, 6)),
    (np.zeros((2, 2, 3)), (2, 3, 4)),
    (np.zeros((2, 2, 3)), (2, 3, 0, 5)),
]


@requires_torch
@pytest.mark.parametrize("theta, size", AFFINE_ERRORS)
def test_affine_grid_errors_match_torch(theta, size):
    raises_like(lambda: F.affine_grid(minitorch.tensor(theta), size, align_corners=False),
                lambda: torch.nn.functional.affine_grid(torch.tensor(theta), size, align_corners=False))


def test_type_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"grid_sampler\(\): argument 'input' \(position 1\) must be Tensor, not int"):
        F.grid_sample(3, minitorch.zeros(1, 1, 1, 2), align_corners=False)
    with pytest.raises(TypeError, match=r"argument 'grid' \(position 2\) must be Tensor, not list"):
        F.grid_sample(minitorch.zeros(1, 1, 1, 2), [1.0], align_corners=False)


def test_align_corners_none_warns_as_torch_does():
    x, g = minitorch.zeros(1, 1, 2, 2), minitorch.zeros(1, 1, 1, 2)
    theta = minitorch.tensor([[[1.0, 0, 0], [0, 1, 0]]])
    for call in (lambda: F.grid_sample(x, g), lambda: F.affine_grid(theta, (1, 1, 2, 2))):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed to "
                                             "align_corners=False since 1.3.0"):
            call()
    with pytest.warns(UserWarning, match="affine_grid behavior has changed for unit-size grids"):
        F.affine_grid(theta, (1, 1, 1, 2), align_corners=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(x, g, align_corners=True)


def test_empty_batch_channels_and_grids_give_empty_outputs():
    assert F.grid_sample(minitorch.zeros(0, 3, 4, 5), minitorch.zeros(0, 6, 1, 2), align_corners=False).shape == (0, 3, 6, 1)
    assert F.grid_sample(minitorch.zeros(2, 0, 4, 5), minitorch.zeros(2, 6, 1, 2), align_corners=False).shape == (2, 0, 6, 1)
    assert F.grid_sample(minitorch.zeros(2, 3, 4, 5), minitorch.zeros(2, 0, 1, 2), align_corners=False).shape == (2, 3, 0, 1)


@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_runs_on_a_backend_made_of_the_core_alone(mode):
    from tests._core_backend import CORE  # noqa: F401 - registers the "core" device
    rng = np.random.default_rng(6)
    x = minitorch.tensor(rng.standard_normal((2, 3, 4, 5)))
    g = minitorch.tensor(_grid_values(rng, (4, 5), (3, 2), False, 2))
    a, b = x.clone().requires_grad_(), x.to("core").requires_grad_()
    ga, gb = g.clone().requires_grad_(), g.to("core").requires_grad_()
    ya = F.grid_sample(a, ga, mode, "reflection", False)
    yb = F.grid_sample(b, gb, mode, "reflection", False)
    np.testing.assert_allclose(yb.detach().cpu().numpy(), ya.detach().numpy(), rtol=1e-13, atol=1e-14)
    ya.sum().backward()
    yb.sum().backward()
    np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(gb.grad.cpu().numpy(), ga.grad.numpy(), rtol=1e-13, atol=1e-14)


def test_double_backward_with_a_fixed_grid_gradchecks_and_matches_torch():
    rng = np.random.default_rng(7)
    x = minitorch.tensor(rng.standard_normal((2, 3, 4, 5)), requires_grad=True)
    grid = minitorch.tensor(_grid_values(rng, (4, 5), (3, 2), False, 2))
    upstream = minitorch.tensor(rng.standard_normal((2, 3, 3, 2)), requires_grad=True)

    def input_grad(w):
        with minitorch.enable_grad():  # (gradcheck's finite differences run without grad)
            out = F.grid_sample(x, grid, "bicubic", "reflection", False)
            return minitorch.autograd.grad((out * w).sum(), x, create_graph=True)[0]

    assert gradcheck(input_grad, (upstream,))
    if torch is not None:
        xt, wt = torch.tensor(x.detach().numpy(), requires_grad=True), torch.tensor(upstream.detach().numpy(),
                                                                                  requires_grad=True)
        out = torch.nn.functional.grid_sample(xt, torch.tensor(grid.numpy()), "bicubic", "reflection", False)
        (torch.autograd.grad((out * wt).sum(), xt, create_graph=True)[0] ** 2).sum().backward()
        (input_grad(upstream) ** 2).sum().backward()
        np.testing.assert_allclose(upstream.grad.numpy(), wt.grad.numpy(), rtol=1e-12, atol=1e-13)


def test_second_derivative_through_the_grid_says_it_is_not_implemented():
    x = minitorch.zeros(1, 1, 2, 2, requires_grad=True)
    grid = minitorch.zeros(1, 1, 1, 2, requires_grad=True)
    out = F.grid_sample(x, grid, align_corners=False)
    with pytest.raises(NotImplementedError, match="second derivative through the grid"):
        minitorch.autograd.grad(out.sum(), grid, create_graph=True)


@requires_torch
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_non_finite_grid_values_give_torchs_outputs(mode, padding_mode, align_corners):
    # NaN and +-inf (a diverged transformer): NaN where torch gives NaN, its clamped samples elsewhere
    x = np.arange(24.0).reshape(1, 2, 3, 4)
    g = np.array([[[[np.nan, 0.0], [0.0, np.inf], [-np.inf, 0.3], [0.2, -0.3]]]])
    got = F.grid_sample(minitorch.tensor(x), minitorch.tensor(g), mode, padding_mode, align_corners)
    want = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(g), mode, padding_mode, align_corners)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, equal_nan=True)
    if mode != "bicubic":
        x3, g3 = np.arange(48.0).reshape(1, 2, 2, 3, 4), np.array([[[[[np.nan, 0, 0], [0, np.inf, 0.2],
                                                                       [-np.inf, 0.1, np.nan]]]]])
        got = F.grid_sample(minitorch.tensor(x3), minitorch.tensor(g3), mode, padding_mode, align_corners)
        want = torch.nn.functional.grid_sample(torch.tensor(x3), torch.tensor(g3), mode, padding_mode, align_corners)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, equal_nan=True)
