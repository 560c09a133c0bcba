"""DistributedDataParallel of a module on the GPU (in a world of one): its gradient buckets
travel through host memory, so a replica on any backend gets the same averaged gradients
as the plain module (DDP reads and writes gradients only through the public Tensor API)."""
import pytest

import minitorch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.nn.parallel import DistributedDataParallel as DDP

from .conftest import assert_same, requires_cuda

pytestmark = requires_cuda

mpi4py = pytest.importorskip("mpi4py")


@pytest.fixture
def world():
    dist.init_process_group("mpi")
    yield
    dist.destroy_process_group()


def _model():
    minitorch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))


def test_ddp_of_a_gpu_module_gives_the_plain_modules_gradients(world):
    x, y = minitorch.randn(6, 5), minitorch.randint(0, 3, (6,))
    plain = _model()
    nn.functional.cross_entropy(plain(x), y).backward()
    wrapped = DDP(_model().to("cuda"), device_ids=[0])
    nn.functional.cross_entropy(wrapped(x.cuda()), y.cuda()).backward()
    for p, q in zip(wrapped.module.parameters(), plain.parameters()):
        assert_same(p.grad, q.grad)


def test_a_cpu_module_refuses_device_ids(world):
    with pytest.raises(ValueError, match="device_ids and output_device arguments only work"):
        DDP(_model(), device_ids=[0])
