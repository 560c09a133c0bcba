"""minitorch.distributed, DistributedDataParallel and DistributedSampler.

Single-process tests use a real process group: a plain pytest process is an MPI world of
one. The multi-process tests start ``mpiexec -n 2 python -m mpi4py <script>`` and check
that two ranks with batch B end with the parameters one process gets with batch 2B, that
the ranks end bitwise identical, and that a rank that raises takes the whole job down
quickly with its traceback. DistributedSampler's index lists are compared with torch's.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import minitorch
import minitorch.distributed as dist
from minitorch import nn
from minitorch.nn.parallel import DistributedDataParallel as DDP
from minitorch.utils.data.distributed import DistributedSampler
from tests._compat import requires_torch, torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAS_MPI4PY = importlib.util.find_spec("mpi4py") is not None
MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
requires_mpi = pytest.mark.skipif(not HAS_MPI4PY, reason="mpi4py is not installed (pip install mpi4py mpich)")
requires_mpiexec = pytest.mark.skipif(not (HAS_MPI4PY and MPIEXEC), reason="mpi4py or mpiexec is not installed")
NOT_INITIALIZED = ("Default process group has not been initialized, "
                   "please make sure to call init_process_group.")


@pytest.fixture
def world():
    """The default process group of this single process (world size 1)."""
    dist.init_process_group("mpi")
    yield
    dist.destroy_process_group()


def _mlp(seed: int = 0) -> nn.Module:
    minitorch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))


# ----- the process group ----------------------------------------------------------------
@pytest.mark.parametrize("call", [lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.barrier(),
                                  lambda: dist.all_reduce(minitorch.ones(2)),
                                  lambda: dist.broadcast(minitorch.ones(2), src=0)])
def test_collectives_before_init_raise_torchs_message(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="^" + NOT_INITIALIZED + "$"):
        call()


@requires_torch
def test_the_not_initialized_message_is_torchs():
    with pytest.raises(ValueError) as expected:
        torch.distributed.all_reduce(torch.ones(2))
    assert str(expected.value) == NOT_INITIALIZED


@pytest.mark.parametrize("backend", ["gloo", "nccl"])
def test_backends_other_than_mpi_are_refused_by_name(backend):
    with pytest.raises(RuntimeError, match=f"only the 'mpi' backend, got backend='{backend}'"):
        dist.init_process_group(backend)
    assert not dist.is_initialized()


@requires_mpi
def test_a_plain_process_is_a_world_of_one(world):
    assert dist.is_available() and dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
    dist.barrier()


@requires_mpi
def test_initializing_twice_is_torchs_error(world):
    with pytest.raises(ValueError, match="^trying to initialize the default process group twice!$"):
        dist.init_process_group("mpi")


@requires_mpi
def test_an_explicit_world_size_must_agree_with_the_launcher():
    with pytest.raises(ValueError, match="disagrees with the MPI launcher, which started this process as rank 0 of 1"):
        dist.init_process_group("mpi", world_size=2, rank=1)
    assert not dist.is_initialized()


@requires_mpi
def test_destroy_process_group_returns_to_uninitialized():
    dist.init_process_group(backend="mpi", world_size=1, rank=0)
    dist.destroy_process_group()
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.get_rank()


# ----- collectives in a world of one: in place, version bumped, errors ------------------
@requires_mpi
@pytest.mark.parametrize("op", list(dist.ReduceOp))
def test_all_reduce_of_one_rank_keeps_the_values_in_place_and_bumps_the_version(world, op):
    t = minitorch.tensor([1.5, -2.0, 3.0])
    data, version = t._data, t._version
    assert dist.all_reduce(t, op=op) is None
    assert t._data is data and t._version == version + 1
    assert t.tolist() == [1.5, -2.0, 3.0]


@requires_mpi
def test_a_non_contiguous_tensor_is_reduced_through_a_copy_written_back(world):
    base = minitorch.arange(6.0).reshape(2, 3)
    t = base.t()
    assert not t.is_contiguous()
    dist.all_reduce(t)
    assert t.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert base._version == 1   # a view shares the version counter of its base


@requires_mpi
def test_async_op_returns_a_completed_work_handle(world):
    work = dist.all_reduce(minitorch.ones(3), async_op=True)
    assert work.wait() and work.is_completed()


@requires_mpi
def test_broadcast_reduce_and_all_gather_on_one_rank(world):
    t = minitorch.tensor([1, 2, 3])
    dist.broadcast(t, src=0)
    dist.reduce(t, dst=0, op=dist.ReduceOp.MAX)
    out = [minitorch.zeros(3, dtype=minitorch.int64)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1, 2, 3] and out[0]._version == 1


@requires_mpi
def test_collective_errors_name_the_bad_argument(world):
    with pytest.raises(ValueError, match=r"src=1 is not a rank of the default group \(world size 1\)"):
        dist.broadcast(minitorch.ones(2), src=1)
    with pytest.raises(ValueError, match=r"tensor_list must hold world_size \(1\) tensors, got 2"):
        dist.all_gather([minitorch.ones(2), minitorch.ones(2)], minitorch.ones(2))
    with pytest.raises(RuntimeError, match=r"tensor_list\[0\] has shape \[3\]"):
        dist.all_gather([minitorch.ones(3)], minitorch.ones(2))
    with pytest.raises(TypeError, match="tensor must be a minitorch Tensor, got ndarray"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(RuntimeError, match="ReduceOp.AVG needs a floating point tensor"):
        dist.all_reduce(minitorch.tensor([1, 2]), op=dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match="op must be a minitorch.distributed.ReduceOp"):
        dist.all_reduce(minitorch.ones(2), op="sum")


# ----- DistributedDataParallel in a world of one ----------------------------------------
def test_ddp_needs_a_process_group():
    with pytest.raises(ValueError, match=NOT_INITIALIZED):
        DDP(_mlp())


@requires_mpi
def test_ddp_gradients_in_a_world_of_one_equal_the_plain_models_in_every_bucket_layout(world):
    x, y = minitorch.randn(8, 6), minitorch.randint(0, 3, (8,))
    plain = _mlp()
    nn.functional.cross_entropy(plain(x), y).backward()
    for cap in (25, 1e-6):   # one bucket; one bucket per parameter
        model = _mlp()
        ddp = DDP(model, bucket_cap_mb=cap)
        assert len(ddp._buckets) == (1 if cap == 25 else 4)
        for _ in range(2):   # the second backward accumulates into the grads of the first
            nn.functional.cross_entropy(ddp(x), y).backward()
        for p, q in zip(model.parameters(), plain.parameters()):
            np.testing.assert_allclose(p.grad._data, 2 * q.grad._data, rtol=1e-6, atol=1e-7)


@requires_mpi
def test_ddp_no_sync_accumulates_like_the_plain_model(world):
    x = minitorch.randn(4, 6)
    model = _mlp()
    ddp = DDP(model)
    with ddp.no_sync():
        assert not ddp.require_backward_grad_sync
        ddp(x).sum().backward()
    assert ddp.require_backward_grad_sync
    ddp(x).sum().backward()
    plain = _mlp()
    (2 * plain(x).sum()).backward()
    for p, q in zip(model.parameters(), plain.parameters()):
        np.testing.assert_allclose(p.grad._data, q.grad._data, rtol=1e-6)


@requires_mpi
def test_ddp_state_dict_prefixes_module_like_torch_and_module_is_the_wrapped_model(world):
    model = _mlp()
    ddp = DDP(model)
    assert ddp.module is model
    assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
    ddp.load_state_dict(ddp.state_dict())


class _TwoBranches(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(3, 2), nn.Linear(3, 2)

    def forward(self, x):
        return self.used(x)


@requires_mpi
def test_an_unused_parameter_fails_at_the_next_forward_unless_find_unused_parameters(world):
    x = minitorch.randn(2, 3)
    ddp = DDP(_TwoBranches(), bucket_cap_mb=25)
    ddp(x).sum().backward()
    with pytest.raises(RuntimeError, match="Expected to have finished reduction in the prior iteration"):
        ddp(x)
    model = _TwoBranches()
    ddp = DDP(model, find_unused_parameters=True)
    for _ in range(2):
        model.zero_grad()
        ddp(x).sum().backward()
    assert model.used.weight.grad is not None and model.unused.weight.grad is None


@requires_mpi
def test_ddp_refuses_device_ids_for_a_cpu_model_and_a_model_without_trainable_parameters(world):
    with pytest.raises(ValueError, match="device_ids and output_device arguments only work with"):
        DDP(_mlp(), device_ids=[0])
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        DDP(_mlp().requires_grad_(False))


# ----- DistributedSampler against torch ---------------------------------------------------
@requires_torch
@pytest.mark.parametrize("n,replicas", [(10, 3), (12, 4), (7, 2), (3, 5), (1, 4)])
@pytest.mark.parametrize("shuffle,drop_last", [(True, False), (False, False), (True, True), (False, True)])
def test_distributed_sampler_index_lists_equal_torchs(n, replicas, shuffle, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=7, drop_last=drop_last)
        theirs = TorchSampler(data, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=7, drop_last=drop_last)
        for epoch in (0, 3):
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_distributed_sampler_ranks_partition_the_padded_permutation():
    samplers = [DistributedSampler(range(10), num_replicas=4, rank=r, seed=1) for r in range(4)]
    shares = [list(s) for s in samplers]
    assert [len(s) for s in shares] == [3, 3, 3, 3]
    everything = sorted(i for s in shares for i in s)
    assert set(everything) == set(range(10)) and len(everything) == 12   # 2 repeated to pad


@pytest.mark.parametrize("rank", [-1, 3])
def test_distributed_sampler_rejects_a_rank_outside_the_world_with_torchs_message(rank):
    with pytest.raises(ValueError, match=r"^Invalid rank %d, rank should be in the interval \[0, 2\]$" % rank):
        DistributedSampler(range(5), num_replicas=3, rank=rank)


@requires_mpi
def test_distributed_sampler_defaults_to_the_process_group(world):
    assert list(DistributedSampler(range(4), shuffle=False)) == [0, 1, 2, 3]


# ----- two real ranks under mpiexec -------------------------------------------------------
TWO_RANKS = r'''
import numpy as np
import minitorch
import minitorch.distributed as dist
from minitorch import nn, optim
from minitorch.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
assert world == 2

# collectives, in place
t = minitorch.tensor([1.0, 2.0]) * (rank + 1)
dist.all_reduce(t)
assert t.tolist() == [3.0, 6.0], t
t = minitorch.tensor([float(rank)] * 2)
dist.all_reduce(t, op=dist.ReduceOp.AVG)
assert t.tolist() == [0.5, 0.5]
t = minitorch.tensor([rank, -rank])
dist.all_reduce(t, op=dist.ReduceOp.MAX)
assert t.tolist() == [1, 0]
t = (minitorch.arange(6.0).reshape(2, 3) + rank).t()   # non-contiguous: copied and written back
dist.all_reduce(t)
assert t.tolist() == [[1.0, 7.0], [3.0, 9.0], [5.0, 11.0]], t
t = minitorch.full((3,), float(rank + 10))
dist.broadcast(t, src=1)
assert t.tolist() == [11.0] * 3
t = minitorch.tensor([rank + 2.0])
dist.reduce(t, dst=0, op=dist.ReduceOp.PRODUCT)
assert t.tolist() == ([6.0] if rank == 0 else [3.0])   # only dst receives the result
out = [minitorch.zeros(2), minitorch.zeros(2)]
dist.all_gather(out, minitorch.tensor([rank, rank + 0.5]))
assert [o.tolist() for o in out] == [[0.0, 0.5], [1.0, 1.5]]

# mismatched shapes: the same clear error on every rank, and the group still works after
try:
    dist.all_reduce(minitorch.ones(3 + rank))
    raise AssertionError("no error for mismatched shapes")
except RuntimeError as e:
    assert "the ranks passed different tensors" in str(e), e
dist.barrier()

# training: 2 ranks x batch B == 1 process x batch 2B, and the ranks stay bitwise equal
B, K = 8, 5
rng = np.random.default_rng(0)
X = minitorch.tensor(rng.standard_normal((K, 2 * B, 6)).astype(np.float32))
Y = minitorch.tensor(rng.integers(0, 3, (K, 2 * B)))

def make(seed):
    minitorch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))

for opt_name, cap, accumulate in [("SGD", 25, False), ("Adam", 25, False), ("Adam", 1e-4, False), ("SGD", 1e-4, True)]:
    make_opt = (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9)) if opt_name == "SGD" else (lambda ps: optim.Adam(ps, lr=0.01))
    reference = make(0)
    ref_opt = make_opt(reference.parameters())
    model = make(0 if rank == 0 else 99)   # other weights on rank 1: DDP broadcasts rank 0's
    ddp = DDP(model, bucket_cap_mb=cap)
    opt = make_opt(ddp.parameters())
    assert all(np.array_equal(p._data, q._data) for p, q in zip(model.parameters(), reference.parameters()))
    for k in range(K):
        ref_opt.zero_grad()
        nn.functional.cross_entropy(reference(X[k]), Y[k]).backward()
        ref_opt.step()
        opt.zero_grad()
        x, y = X[k][rank * B:(rank + 1) * B], Y[k][rank * B:(rank + 1) * B]
        if accumulate:              # two micro-batches, the first without communication
            with ddp.no_sync():
                (nn.functional.cross_entropy(ddp(x[:B // 2]), y[:B // 2]) / 2).backward()
            (nn.functional.cross_entropy(ddp(x[B // 2:]), y[B // 2:]) / 2).backward()
        else:
            nn.functional.cross_entropy(ddp(x), y).backward()
        opt.step()
    worst = max(float(np.abs(p._data - q._data).max()) for p, q in zip(model.parameters(), reference.parameters()))
    assert worst < 1e-6, (opt_name, cap, accumulate, worst)
    flat = minitorch.tensor(np.concatenate([p._data.ravel() for p in model.parameters()]))
    gathered = [minitorch.zeros_like(flat), minitorch.zeros_like(flat)]
    dist.all_gather(gathered, flat)
    assert np.array_equal(gathered[0]._data, gathered[1]._data), (opt_name, cap, "ranks differ")
    if rank == 0:
        print(f"{opt_name} cap={cap} accumulate={accumulate}: max |ddp - single| = {worst:.1e}, ranks bitwise equal")

# find_unused_parameters: a branch only rank 1 uses still gets rank 1's gradient / 2 on both ranks
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 1), nn.Linear(2, 1)
    def forward(self, x, use_b):
        return self.a(x) + self.b(x) if use_b else self.a(x)
minitorch.manual_seed(0)
branchy = Branchy()
ddp = DDP(branchy, find_unused_parameters=True, bucket_cap_mb=1e-6)
ddp(minitorch.ones(1, 2), use_b=rank == 1).sum().backward()
assert branchy.b.weight.grad.tolist() == [[0.5, 0.5]], branchy.b.weight.grad
assert branchy.a.weight.grad.tolist() == [[1.0, 1.0]]

dist.destroy_process_group()
print(f"rank {rank} OK")
'''

FAILING_RANK = r'''
import minitorch
import minitorch.distributed as dist
dist.init_process_group("mpi")
if dist.get_rank() == 1:
    raise ValueError("rank 1 fails on purpose")
dist.barrier()   # rank 0 would wait here forever without -m mpi4py's abort
'''


def _mpiexec(tmp_path, source: str, timeout: float):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "NUMBA_NUM_THREADS": "1"}
    start = time.perf_counter()
    out = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-m", "mpi4py", str(script)],
                         capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    return out, time.perf_counter() - start


@requires_mpiexec
def test_two_ranks_with_batch_b_train_like_one_process_with_batch_2b_and_stay_identical(tmp_path):
    out, _ = _mpiexec(tmp_path, TWO_RANKS, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "rank 0 OK" in out.stdout and "rank 1 OK" in out.stdout
    assert out.stdout.count("ranks bitwise equal") == 4


@requires_mpiexec
def test_a_rank_that_raises_aborts_the_whole_job_quickly_showing_its_traceback(tmp_path):
    out, seconds = _mpiexec(tmp_path, FAILING_RANK, timeout=30)
    assert out.returncode != 0
    assert seconds < 15
    assert "ValueError: rank 1 fails on purpose" in out.stdout + out.stderr
