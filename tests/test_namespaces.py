"""The torch 2.x namespaces and questions programs ask before they compute: accelerator,
backends, the tensor predicates, finfo/iinfo, the top-level is_* helpers, the process-wide
switches, the default device and the memory formats. Literal expectations (what torch 2.13
answers) so the tests run without torch; where torch is installed, also compared with it."""
import threading
import warnings

import numpy as np
import pytest

import minitorch
from tests._compat import requires_torch, torch


# ----- accelerator ------------------------------------------------------------------------------
def test_accelerator_is_cuda_when_cuda_is_available_else_none(no_cuda):
    assert minitorch.accelerator.is_available() is False
    assert minitorch.accelerator.current_accelerator() is None
    assert minitorch.accelerator.current_accelerator(check_available=True) is None
    assert minitorch.accelerator.device_count() == 0
    # the line pytorch/examples' mnist runs
    device = minitorch.accelerator.current_accelerator().type if minitorch.accelerator.is_available() else "cpu"
    assert device == "cpu"


@pytest.mark.parametrize("call", ["current_device_index()", "set_device_index(0)", "synchronize()",
                                  "memory_allocated()", "empty_cache()"])
def test_accelerator_without_one_raises_torchs_error(no_cuda, call):
    with pytest.raises(RuntimeError, match="^Cannot access accelerator device when none is available.$"):
        eval("minitorch.accelerator." + call)


def test_accelerator_device_arguments_follow_torchs_rules(no_cuda):
    with pytest.raises(RuntimeError, match="^Accelerator expected$"):
        minitorch.accelerator.set_device_index("cuda:0")
    with pytest.raises(ValueError, match="Expected a torch.device with a specified index or an integer, but got:None"):
        minitorch.accelerator.set_device_index(None)
    with minitorch.accelerator.device_index(None):
        pass


def test_accelerator_with_the_simulated_gpu():
    if not minitorch.cuda.is_available():
        pytest.skip("no CUDA device or simulator")
    acc = minitorch.accelerator.current_accelerator()
    assert acc == minitorch.device("cuda") and acc.index is None
    assert repr(acc) == "device(type='cuda')"
    assert minitorch.accelerator.device_count() >= 1
    assert minitorch.accelerator.current_device_index() == 0
    minitorch.accelerator.set_device_index(0)
    minitorch.accelerator.synchronize()
    with pytest.raises(ValueError, match="cpu doesn't match the current accelerator cuda"):
        minitorch.accelerator.synchronize("cpu")
    with pytest.warns(FutureWarning, match="Use `current_device_index` instead."):
        assert minitorch.accelerator.current_device_idx() == 0
    x = minitorch.ones(2, device=minitorch.accelerator.current_accelerator())
    assert x.is_cuda and not x.is_cpu and x.get_device() == 0


@requires_torch
def test_accelerator_matches_torch_on_a_machine_without_one(no_cuda):
    assert minitorch.accelerator.is_available() == torch.accelerator.is_available()
    assert minitorch.accelerator.device_count() == torch.accelerator.device_count()
    assert set(minitorch.accelerator.__all__) <= set(torch.accelerator.__all__)


# ----- backends ---------------------------------------------------------------------------------
def test_backends_answer_for_minitorch():
    b = minitorch.backends
    assert b.cudnn.is_available() is False and b.cudnn.version() is None
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert b.cuda.is_built() is True
    assert b.mkldnn.is_available() is False
    assert isinstance(b.openmp.is_available(), bool)
    assert b.cpu.get_cpu_capability() in ("DEFAULT", "NO AVX", "AVX2", "AVX512")


def test_cudnn_flags_are_settable_readable_and_validated():
    cudnn = minitorch.backends.cudnn
    before = (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32)
    assert before == (True, False, False, True)
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        assert minitorch.backends.cudnn.benchmark is True and minitorch.backends.cudnn.deterministic is True
        with pytest.raises(RuntimeError, match="^set_benchmark_cudnn expects a bool, but got int$"):
            cudnn.benchmark = 3
        with pytest.raises(RuntimeError, match="^set_enabled_cudnn expects a bool, but got numpy.bool$"):
            cudnn.enabled = np.bool_(True)
        with cudnn.flags(enabled=False, benchmark=True):
            assert cudnn.enabled is False and cudnn.benchmark is True
        assert cudnn.enabled is True and cudnn.deterministic is True
    finally:
        cudnn.benchmark, cudnn.deterministic = False, False


def test_matmul_allow_tf32_is_tied_to_float32_matmul_precision():
    matmul = minitorch.backends.cuda.matmul
    assert matmul.allow_tf32 is False and minitorch.get_float32_matmul_precision() == "highest"
    try:
        matmul.allow_tf32 = True
        assert minitorch.get_float32_matmul_precision() == "high"
        minitorch.set_float32_matmul_precision("highest")
        assert matmul.allow_tf32 is False
        minitorch.set_float32_matmul_precision("medium")
        assert matmul.allow_tf32 is True
        with pytest.raises(AttributeError, match="^Unknown attribute foo$"):
            matmul.foo = 1
        with pytest.raises(RuntimeError, match="^set_allow_tf32_cublas expects a bool, but got int$"):
            matmul.allow_tf32 = 1
        with pytest.warns(UserWarning, match="x is not one of 'highest', 'high', or 'medium'"):
            minitorch.set_float32_matmul_precision("x")
        assert minitorch.get_float32_matmul_precision() == "medium"
    finally:
        minitorch.set_float32_matmul_precision("highest")


@requires_torch
def test_backends_flags_match_torch_defaults():
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(minitorch.backends.cudnn, name) == getattr(torch.backends.cudnn, name)
    assert minitorch.backends.mps.is_available() == torch.backends.mps.is_available()
    assert minitorch.backends.cudnn.version() == torch.backends.cudnn.version()  # CPU torch: None
    assert minitorch.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32


def test_deterministic_switches():
    try:
        assert minitorch.are_deterministic_algorithms_enabled() is False
        minitorch.use_deterministic_algorithms(True, warn_only=True)
        assert minitorch.are_deterministic_algorithms_enabled() and minitorch.is_deterministic_algorithms_warn_only_enabled()
        assert minitorch.get_deterministic_debug_mode() == 1
        minitorch.set_deterministic_debug_mode("error")
        assert minitorch.get_deterministic_debug_mode() == 2 and not minitorch.is_deterministic_algorithms_warn_only_enabled()
        with pytest.raises(RuntimeError, match="expected 0, 1, or 2, but got 5"):
            minitorch.set_deterministic_debug_mode(5)
        with pytest.raises(TypeError, match="must be bool, not str"):
            minitorch.use_deterministic_algorithms("x")
    finally:
        minitorch.use_deterministic_algorithms(False)
    assert minitorch.get_deterministic_debug_mode() == 0


# ----- tensor predicates -------------------------------------------------------------------------
PREDICATES = ["is_cpu", "is_cuda", "is_mps", "is_xpu", "is_meta", "is_quantized", "is_sparse", "is_nested",
              "is_mkldnn", "is_sparse_csr"]
METHODS = ["is_complex", "is_signed", "is_conj", "is_neg", "is_inference", "is_floating_point", "get_device"]


@pytest.mark.parametrize("dtype", ["float32", "int64", "uint8", "bool"])
def test_tensor_predicates(dtype):
    x = minitorch.zeros(2, dtype=getattr(minitorch, dtype))
    assert [getattr(x, p) for p in PREDICATES] == [True] + [False] * (len(PREDICATES) - 1)
    assert x.is_signed() is (dtype in ("float32", "int64"))
    assert (x.is_complex(), x.is_conj(), x.is_neg(), x.is_inference(), x.get_device()) == (False, False, False,
                                                                                             False, -1)
    assert minitorch.is_signed(x) is x.is_signed() and minitorch.is_complex(x) is False
    assert x.layout is minitorch.strided and repr(x.layout) == "torch.strided"
    if torch is not None:
        t = torch.zeros(2, dtype=getattr(torch, dtype))
        assert [getattr(x, p) for p in PREDICATES] == [getattr(t, p) for p in PREDICATES]
        assert [getattr(x, m)() for m in METHODS] == [getattr(t, m)() for m in METHODS]


def test_top_level_helpers():
    x = minitorch.tensor([1.5])
    assert minitorch.is_nonzero(x) and not minitorch.is_nonzero(minitorch.tensor(0))
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with more than one value is ambiguous$"):
        minitorch.is_nonzero(minitorch.ones(2))
    with pytest.raises(RuntimeError, match="^Boolean value of Tensor with no values is ambiguous$"):
        minitorch.is_nonzero(minitorch.ones(0))
    assert minitorch.is_same_size(x, minitorch.zeros(1)) and not minitorch.is_same_size(x, minitorch.zeros(2))
    with pytest.raises(TypeError, match=r"^is_same_size\(\): argument 'other' \(position 2\) must be Tensor, not int$"):
        minitorch.is_same_size(x, 3)
    with pytest.raises(TypeError, match=r"^is_complex\(\): argument 'input' \(position 1\) must be Tensor, not int$"):
        minitorch.is_complex(3)
    assert minitorch.typename(x) == "torch.FloatTensor"
    assert minitorch.typename(3) == "int"
    assert minitorch.typename(minitorch.nn.Linear(1, 1)) == "minitorch.nn.modules.linear.Linear"
    assert minitorch.is_storage(x) is False


def test_apply_and_map_run_python_per_element():
    x = minitorch.tensor([1, 2, 3])
    assert x.apply_(lambda v: v * 2 + 0.7) is x and x.tolist() == [2, 4, 6]  # converted as torch: truncated
    y = minitorch.tensor([1.0, 2.0])
    y.map_(minitorch.tensor([10.0]), lambda a, b: a + b)
    assert y.tolist() == [11.0, 12.0]
    with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires grad"):
        minitorch.ones(1, requires_grad=True).apply_(lambda v: v)


# ----- finfo / iinfo -------------------------------------------------------------------------------
def test_finfo_values_and_repr():
    f = minitorch.finfo(minitorch.float32)
    assert (f.bits, f.eps, f.max, f.min, f.tiny, f.resolution, f.dtype) == (
        32, 2.0 ** -23, float(np.finfo(np.float32).max), -float(np.finfo(np.float32).max), 2.0 ** -126, 1e-06,
        "float32")
    assert repr(f) == ("finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, "
                       "smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)")
    assert minitorch.finfo() == f  # the default dtype
    assert repr(minitorch.iinfo(minitorch.int64)) == "iinfo(min=-9.22337e+18, max=9.22337e+18, dtype=int64)"
    assert minitorch.iinfo(minitorch.uint8).max == 255 and minitorch.iinfo(minitorch.int8).min == -128
    with pytest.raises(TypeError, match=r"^torch.finfo\(\) requires a floating point input type"):
        minitorch.finfo(minitorch.int32)
    with pytest.raises(TypeError, match="^torch.bool is not supported by torch.iinfo$"):
        minitorch.iinfo(minitorch.bool)
    with pytest.raises(TypeError, match=r"^finfo\(\): argument 'type' \(position 1\) must be torch.dtype, not str$"):
        minitorch.finfo("float32")


@requires_torch
@pytest.mark.parametrize("name", ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64"])
def test_finfo_iinfo_match_torch(name):
    kind = "finfo" if "float" in name else "iinfo"
    mine, theirs = getattr(minitorch, kind)(getattr(minitorch, name)), getattr(torch, kind)(getattr(torch, name))
    assert repr(mine) == repr(theirs) and str(mine) == str(theirs)
    attrs = ["bits", "max", "min", "dtype"] + (["eps", "tiny", "smallest_normal", "resolution"] if kind == "finfo" else [])
    assert [getattr(mine, a) for a in attrs] == [getattr(theirs, a) for a in attrs]


# ----- default device ------------------------------------------------------------------------------
@pytest.fixture
def cuda_default():
    if not minitorch.cuda.is_available():
        pytest.skip("no CUDA device or simulator")
    minitorch.set_default_device("cuda")
    yield
    minitorch.set_default_device(None)


FACTORIES = ["zeros(2)", "ones(2)", "empty(2)", "full((2,), 1.0)", "tensor([1.0])", "as_tensor([1.0])", "arange(3)",
             "linspace(0, 1, 3)", "eye(2)", "rand(2)", "randn(2)", "randint(3, (2,))", "randperm(3)"]
NOT_FACTORIES = ["from_numpy(np.zeros(2))", "zeros_like(minitorch.zeros(2, device='cpu'))", "Tensor(2)",
                 "normal(0.0, 1.0, (2,))", "get_rng_state()"]


def test_default_device_is_cpu():
    assert minitorch.get_default_device() == minitorch.device("cpu")
    assert repr(minitorch.get_default_device()) == "device(type='cpu')"


@pytest.mark.parametrize("call", FACTORIES)
def test_factories_use_the_default_device(cuda_default, call):
    assert eval("minitorch." + call).device == minitorch.device("cuda", 0)
    assert repr(minitorch.get_default_device()) == "device(type='cuda', index=0)"


@pytest.mark.parametrize("call", NOT_FACTORIES)
def test_other_creators_ignore_the_default_device_as_torch(cuda_default, call):
    assert eval("minitorch." + call).device.type == "cpu"


def test_modules_are_built_on_the_default_device(cuda_default):
    layer = minitorch.nn.Linear(3, 2)
    assert layer.weight.is_cuda and layer.bias.is_cuda
    opt = minitorch.optim.Adam(layer.parameters())
    layer(minitorch.randn(4, 3)).sum().backward()
    opt.step()


def test_device_context_manager_sets_the_default_for_its_block():
    if not minitorch.cuda.is_available():
        pytest.skip("no CUDA device or simulator")
    with minitorch.device("cuda"):
        assert minitorch.zeros(1).is_cuda
        assert minitorch.get_default_device() == minitorch.device("cuda", 0)
        with minitorch.device("cpu"):
            assert minitorch.zeros(1).is_cpu
        assert minitorch.zeros(1).is_cuda
    assert minitorch.zeros(1).is_cpu


def test_default_device_is_per_thread_as_in_torch():
    seen = []
    with minitorch.device("cpu"):
        thread = threading.Thread(target=lambda: seen.append(minitorch.get_default_device()))
        thread.start()
        thread.join()
    assert seen == [minitorch.device("cpu")]


def test_default_dtype_and_device_together(cuda_default):
    minitorch.set_default_dtype(minitorch.float64)
    try:
        for t in (minitorch.zeros(2), minitorch.tensor([1.5]), minitorch.randn(2), minitorch.arange(0.0, 1.0, 0.5)):
            assert t.dtype is minitorch.float64 and t.is_cuda
        assert minitorch.tensor([1]).dtype is minitorch.int64
        assert minitorch.nn.Linear(2, 2).weight.dtype is minitorch.float64
    finally:
        minitorch.set_default_dtype(minitorch.float32)


@requires_torch
def test_default_device_matches_torch_on_the_cpu():
    assert repr(minitorch.get_default_device()) == repr(torch.get_default_device())
    minitorch.set_default_device("cpu")
    torch.set_default_device("cpu")
    try:
        assert repr(minitorch.get_default_device()) == repr(torch.get_default_device())
    finally:
        minitorch.set_default_device(None)
        torch.set_default_device(None)


# ----- memory formats ------------------------------------------------------------------------------
@pytest.mark.parametrize("make, fmt, strides", [
    ("x", "channels_last", (60, 1, 15, 3)),
    ("x", "contiguous_format", (60, 20, 5, 1)),
    ("x", "preserve_format", (60, 20, 5, 1)),
    ("x.permute(0, 2, 3, 1)", None, (60, 5, 1, 20)),
    ("x.permute(0, 2, 3, 1)", "contiguous_format", (60, 15, 3, 1)),
    ("x[:, :, ::2]", None, (30, 10, 5, 1)),
    ("x[0, 0].expand(2, 4, 5)", None, (20, 5, 1)),
])
def test_clone_memory_format_strides_as_torch(make, fmt, strides):
    x = minitorch.randn(2, 3, 4, 5)
    src = eval(make)
    out = src.clone() if fmt is None else src.clone(memory_format=getattr(minitorch, fmt))
    assert out.stride() == strides
    np.testing.assert_array_equal(out.numpy(), src.numpy())
    if torch is not None:
        t = eval(make, {"x": torch.from_numpy(x.numpy())})
        t_out = t.clone() if fmt is None else t.clone(memory_format=getattr(torch, fmt))
        assert t_out.stride() == strides


def test_memory_format_errors_and_other_forms():
    x = minitorch.randn(2, 3, 4, 5)
    assert x.contiguous(memory_format=minitorch.channels_last).stride() == (60, 1, 15, 3)
    assert x.to(memory_format=minitorch.channels_last).stride() == (60, 1, 15, 3)
    with pytest.raises(RuntimeError, match="^required rank 4 tensor to use channels_last format$"):
        minitorch.randn(3).clone(memory_format=minitorch.channels_last)
    with pytest.raises(TypeError, match=r"^clone\(\): argument 'memory_format' must be torch.memory_format, not str$"):
        x.clone(memory_format="x")
    assert repr(minitorch.channels_last) == "torch.channels_last"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert minitorch.randn(3, 4).t().clone().stride() == (1, 4)


@requires_torch
def test_is_contiguous_answers_for_the_memory_format_asked_as_torch():
    def layouts(lib):
        x = lib.arange(120.0).reshape(2, 3, 4, 5)
        return [x, x.contiguous(memory_format=lib.channels_last), x.permute(0, 2, 3, 1),
                x[:, :1], lib.zeros(2, 3), lib.zeros(1, 2, 3, 4, 5).contiguous(memory_format=lib.channels_last_3d)]
    for fmt in ("contiguous_format", "channels_last", "channels_last_3d"):
        got = [t.is_contiguous(memory_format=getattr(minitorch, fmt)) for t in layouts(minitorch)]
        want = [t.is_contiguous(memory_format=getattr(torch, fmt)) for t in layouts(torch)]
        assert got == want, fmt
