"""SummaryWriter given CUDA tensors (the simulator in CI) writes what it writes for the same
values on the CPU: the values are copied to the host once, at the call."""
import numpy as np

import minitorch
from minitorch.utils.tensorboard import SummaryWriter
from tests import _tb_reader as tb

from .conftest import cuda, rand, requires_cuda

pytestmark = requires_cuda


def _log(log_dir, move):
    weights, image = rand(40, seed=1), (rand(3, 4, 5, seed=2).abs() / 3)
    with SummaryWriter(log_dir) as writer:
        writer.add_scalar("loss", move(minitorch.tensor(0.25)), 1, walltime=5.0)
        writer.add_histogram("w", move(weights), 1, walltime=5.0)
        writer.add_image("img", move(image), 1, walltime=5.0)
        writer.add_tensor("t", move(weights[:3]), 1, walltime=5.0)
        writer.add_pr_curve("pr", move(minitorch.tensor([0, 1, 1, 0])), move(minitorch.tensor([0.1, 0.8, 0.6, 0.3])),
                            1, num_thresholds=5, walltime=5.0)


def test_cuda_tensors_are_logged_as_their_cpu_values(tmp_path):
    _log(str(tmp_path / "cpu"), lambda t: t)
    _log(str(tmp_path / "cuda"), cuda)
    on_cpu, on_gpu = (tb.read_events(str(tmp_path / name))[1:] for name in ("cpu", "cuda"))
    assert len(on_cpu) == len(on_gpu) == 5
    assert [e.raw for e in on_gpu] == [e.raw for e in on_cpu]
    assert np.float32(0.25) == on_gpu[0].values[0].simple_value
