"""minitorch.multiprocessing and shared-memory tensors, against torch.multiprocessing's behaviour.

Children are started with "spawn" (a fresh interpreter: what crosses is what was pickled)
or "fork" (nothing is pickled: only memory that is really shared is seen by both).
"""
import gc
import os
import pathlib
import pickle
import re
import subprocess
import sys
import textwrap
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import minitorch
import minitorch.multiprocessing as mp
from minitorch import _shared_memory
from hypothesis import given
from hypothesis import strategies as st

from tests import _mp_workers as workers
from tests._compat import requires_torch, torch
from tests.strategies import hsettings, tensors

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPAWN = mp.get_context("spawn")
FORK = mp.get_context("fork")


def ours_in_dev_shm(pid=None):
    prefix = f"minitorch_{os.getpid() if pid is None else pid}_"
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(prefix))


def open_fds():
    return len(os.listdir("/proc/self/fd"))


# ----- share_memory_ / is_shared in one process ----------------------------------------------
def test_share_memory_moves_the_values_in_place_and_is_idempotent():
    t = minitorch.arange(12.0).view(3, 4)
    values = t.tolist()
    assert not t.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared() and t.tolist() == values
    address = t.data_ptr()
    t.share_memory_()
    assert t.data_ptr() == address  # already shared: nothing moves


@pytest.mark.parametrize("which", ["base", "view"])
def test_share_memory_moves_the_whole_storage_with_every_view(which):
    base = minitorch.arange(10.0)
    views = [base[2:7], base.view(2, 5).t(), base[::3], base.view(2, 5)[1]]
    (base if which == "base" else views[0]).share_memory_()
    assert base.is_shared() and all(v.is_shared() for v in views)
    views[0][0] = 100.0   # base[2]
    views[1][4, 1] = 200.0  # base[9]
    assert base.tolist() == [0, 1, 100, 3, 4, 5, 6, 7, 8, 200]
    assert views[2].tolist() == [0, 3, 6, 200] and views[3].tolist() == [5, 6, 7, 8, 200]
    later = base[1:3]
    assert later.is_shared() and later.tolist() == [1, 100]


@requires_torch
def test_is_shared_matches_torch_for_views_and_dtypes():
    for dtype in ("float32", "float64", "int64", "bool"):
        a, b = minitorch.zeros(6, dtype=getattr(minitorch, dtype)), torch.zeros(6, dtype=getattr(torch, dtype))
        va, vb = a[1::2], b[1::2]
        va.share_memory_(), vb.share_memory_()
        assert (a.is_shared(), va.is_shared()) == (b.is_shared(), vb.is_shared()) == (True, True)
        assert va.stride() == vb.stride() and va.element_size() == vb.element_size()
    p = minitorch.nn.Parameter(minitorch.ones(3))
    assert p.share_memory_() is p and p.is_shared() and p.requires_grad
    assert repr(p) == repr(torch.nn.Parameter(torch.ones(3)).share_memory_())


@hsettings(max_examples=25)
@given(drawn=tensors(dtype=st.sampled_from(["float32", "float64", "int64", "bool", "float16"]),
                     layouts=("contiguous", "strided", "permuted", "expanded")))
def test_share_memory_keeps_values_shape_and_strides_of_any_layout(drawn):
    arr, t = drawn
    strides = t.stride()
    assert t.share_memory_() is t
    assert t.is_shared() and t.shape == arr.shape and t.stride() == strides
    np.testing.assert_array_equal(t.numpy(), arr)
    address = t.data_ptr()
    t.share_memory_()
    assert t.data_ptr() == address


def test_share_memory_keeps_read_only_expanded_views_read_only():
    t = minitorch.tensor([1.0, 2.0]).expand(3, 2)
    t.share_memory_()
    assert t.is_shared() and t.stride() == (0, 1) and t.tolist() == [[1, 2]] * 3


def test_share_memory_of_a_view_of_a_foreign_buffer_moves_the_whole_buffer():
    raw = np.frombuffer(bytearray(np.arange(8, dtype=np.float32).tobytes()), np.float32)
    t = minitorch.from_numpy(raw[::2])
    t.share_memory_()
    assert t.is_shared() and t.tolist() == [0, 2, 4, 6] and t.stride() == (2,)


def test_share_memory_of_a_strided_foreign_array_copies_just_that_tensor():
    # an array with gaps directly over a foreign buffer: no contiguous block holds it
    raw = np.ndarray((4,), np.float32, buffer=np.arange(8, dtype=np.float32).tobytes(), strides=(8,))
    t = minitorch.from_numpy(raw)
    t.share_memory_()
    assert t.is_shared() and t.tolist() == [0, 2, 4, 6] and t.is_contiguous()


def test_empty_and_zero_dim_tensors_can_be_shared():
    for t in (minitorch.zeros(0), minitorch.tensor(3.5), minitorch.zeros(2, 0, 3)):
        shape, values = t.shape, t.tolist()
        t.share_memory_()
        assert t.is_shared() and t.shape == shape and t.tolist() == values


def test_a_pickle_outside_multiprocessing_still_copies():
    t = minitorch.arange(3.0).share_memory_()
    u = pickle.loads(pickle.dumps(t))
    u.add_(1)
    assert t.tolist() == [0, 1, 2] and not u.is_shared()


def test_non_leaf_tensors_that_require_grad_are_refused_as_torch_refuses_them():
    x = minitorch.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor") as ours:
        ForkingPickler.dumps(x)
    if torch is not None:
        import torch.multiprocessing as _  # noqa: F401 - registers torch's reductions
        with pytest.raises(RuntimeError) as theirs:
            ForkingPickler.dumps(torch.ones(3, requires_grad=True) * 2)
        assert str(ours.value) == str(theirs.value)
    ForkingPickler.dumps(x.detach())  # what the message suggests works


def test_sharing_strategies_are_torchs():
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    with pytest.raises(AssertionError, match="invalid sharing strategy 'shm'"):
        mp.set_sharing_strategy("shm")
    if torch is not None:
        import torch.multiprocessing as tmp
        assert mp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()


def test_the_standard_multiprocessing_api_is_there():
    import multiprocessing
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "Event", "get_context", "set_start_method",
                 "cpu_count", "Manager", "Pipe", "Lock"):
        assert hasattr(mp, name) and name in mp.__all__
    assert mp.cpu_count() == multiprocessing.cpu_count()
    if torch is not None:
        import torch.multiprocessing as tmp
        assert set(tmp.__all__) <= set(mp.__all__)


# ----- across processes ------------------------------------------------------------------------
def test_a_spawned_child_writes_into_a_shared_tensor_the_parent_holds():
    t = minitorch.zeros(5)
    t.share_memory_()
    child = SPAWN.Process(target=workers.add_one, args=(t,))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    assert t.tolist() == [1.0] * 5


def test_a_tensor_sent_to_a_process_is_moved_to_shared_memory_as_torch_does():
    t = minitorch.zeros(4)
    child = SPAWN.Process(target=workers.add_one, args=(t,))
    child.start()
    child.join(120)
    assert child.exitcode == 0 and t.is_shared() and t.tolist() == [1.0] * 4


def test_views_travel_through_a_queue_as_views_of_the_same_memory():
    inbox, outbox, done = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
    base = minitorch.zeros(3, 4, dtype=minitorch.float64)
    view = base[:, 1::2]
    child = SPAWN.Process(target=workers.fill_received, args=(inbox, outbox, done))
    child.start()
    try:
        for item in (base, view):
            inbox.put(item)
        report = outbox.get(timeout=120)
        back = outbox.get(timeout=120)
    finally:
        done.set()
        child.join(120)
    assert child.exitcode == 0
    assert report == {"shared": (True, True), "stride": view.stride(), "offset": 8, "shape": (3, 2),
                      "dtype": str(minitorch.float64), "requires_grad": False}
    assert base.is_shared() and view.is_shared()
    assert base.tolist() == [[7, -1, 7, -1]] * 3
    # back home, the view maps to the same memory at the same address
    assert back.data_ptr() == view.data_ptr() and back.stride() == view.stride()


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float16"])
def test_round_trip_keeps_dtype_shape_requires_grad_and_parameters(dtype):
    inbox, outbox, done = FORK.Queue(), FORK.Queue(), FORK.Event()
    child = FORK.Process(target=workers.echo, args=(inbox, outbox, done))
    child.start()
    try:
        t = (minitorch.arange(6) % 2).to(getattr(minitorch, dtype)).view(2, 3)
        leaf = minitorch.randn(2, 2, requires_grad=True)
        param = minitorch.nn.Parameter(minitorch.randn(3))
        scalar = minitorch.tensor(2.5)
        for item in (t, leaf, param, scalar, None):
            inbox.put(item)
        got = [outbox.get(timeout=120) for _ in range(4)]
    finally:
        done.set()
        child.join(120)
    assert child.exitcode == 0
    for sent, received in zip((t, leaf, param, scalar), got):
        assert type(received) is type(sent) and received.dtype == sent.dtype
        assert received.shape == sent.shape and received.tolist() == sent.tolist()
        assert received.requires_grad == sent.requires_grad and received.is_shared()
        assert received.data_ptr() == sent.data_ptr()


def test_a_pool_shares_arguments_and_results():
    with SPAWN.Pool(1) as pool:
        t = minitorch.arange(4.0)
        result = pool.apply(workers.double, (t,))
        assert pool.apply(workers.mp_identity) == "file_descriptor"
    assert t.is_shared() and result.tolist() == [0, 2, 4, 6]


def test_file_system_strategy_shares_by_name_and_unlinks_when_the_last_user_dies():
    mp.set_sharing_strategy("file_system")
    try:
        t = minitorch.zeros(6)
        view = t[3:]
        view.share_memory_()
        names = ours_in_dev_shm()
        assert len(names) == 1  # the check below can fail
        child = SPAWN.Process(target=workers.add_one, args=(view,))
        child.start()
        child.join(120)
        assert child.exitcode == 0 and t.tolist() == [0, 0, 0, 1, 1, 1]
        del t
        assert ours_in_dev_shm() == names  # the view still uses it
        del view
        gc.collect()
        assert ours_in_dev_shm() == []
    finally:
        mp.set_sharing_strategy("file_descriptor")


def test_file_descriptor_strategy_leaves_nothing_in_dev_shm_and_closes_its_descriptors():
    gc.collect()
    before = open_fds()
    tensors = [minitorch.randn(100).share_memory_() for _ in range(5)]
    assert open_fds() > before and ours_in_dev_shm() == []  # a descriptor per segment
    child = SPAWN.Process(target=workers.add_one, args=(tensors[0],))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    del tensors, child
    gc.collect()
    assert open_fds() == before and ours_in_dev_shm() == []


def test_no_segment_outlives_a_process_that_exits_without_freeing_them(tmp_path):
    # file_system names left alive at exit are unlinked by the creator's exit handlers
    script = textwrap.dedent("""
        import os, minitorch, minitorch.multiprocessing as mp
        from tests import _mp_workers as workers
        mp.set_sharing_strategy("file_system")
        kept = [minitorch.ones(1000).share_memory_() for _ in range(3)]
        p = mp.get_context("spawn").Process(target=workers.add_one, args=(kept[0],))
        p.start(); p.join()
        assert kept[0].tolist() == [2.0] * 1000
        print(os.getpid(), len([n for n in os.listdir("/dev/shm") if n.startswith(f"minitorch_{os.getpid()}_")]))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    pid, alive = map(int, out.stdout.split())
    assert alive == 3 and ours_in_dev_shm(pid) == []


# ----- Module.share_memory (the Hogwild bug) ------------------------------------------------------
def test_module_share_memory_shares_parameters_buffers_and_gradients_in_place():
    model = minitorch.nn.Sequential(minitorch.nn.Linear(4, 3), minitorch.nn.BatchNorm1d(3))
    model(minitorch.randn(5, 4)).sum().backward()
    params = list(model.parameters())
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assert model.share_memory() is model
    assert [p for p in model.parameters()] == params  # the same Parameter objects
    for name, t in model.state_dict().items():
        assert t.is_shared(), name
        assert t.tolist() == state[name].tolist()
    assert all(p.grad.is_shared() for p in params)


def test_a_forked_childs_training_steps_reach_the_parents_model():
    # Hogwild: with the "fork" start method nothing is pickled, so only memory that
    # share_memory() really shared is seen by both processes.
    minitorch.manual_seed(0)
    model = minitorch.nn.Linear(4, 2)
    model.share_memory()
    before = [p.detach().clone() for p in model.parameters()]
    child = FORK.Process(target=workers.train_steps, args=(model, 5, 1))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    # the same steps, run here on a copy, give what the child wrote into the shared weights
    expected = minitorch.nn.Linear(4, 2)
    expected.load_state_dict({k: v.clone() for k, v in
                              zip(("weight", "bias"), before)})
    workers.train_steps(expected, 5, 1)
    for ours, want, old in zip(model.parameters(), expected.parameters(), before):
        assert not np.array_equal(ours.detach().numpy(), old.numpy())
        np.testing.assert_array_equal(ours.detach().numpy(), want.detach().numpy())


def _run_program(path):
    # one thread per process: two training processes already keep this machine's cores busy
    # (with a thread pool each, torch's run took minutes here instead of seconds)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=900,
                         env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    moved = float(re.search(r"parent weights moved: (\S+)", out.stdout).group(1))
    correct, total = map(int, re.search(r"Accuracy: (\d+)/(\d+)", out.stdout).groups())
    assert "exit codes: [0, 0]" in out.stdout
    return moved, correct / total


def test_mnist_hogwild_trains_the_parents_model_as_torch_does(tmp_path):
    program = ROOT / "tests" / "programs" / "mnist_hogwild.py"
    moved, accuracy = _run_program(program)
    # untrained, the parent scores chance (about 10%) and its weights don't move
    assert moved > 0.1 and accuracy > 0.4
    if torch is None:
        return
    source = program.read_text()
    torch_source = re.sub(r"^import minitorch as torch$", "import torch", source, flags=re.M)
    torch_source = re.sub(r"^import minitorch\.", "import torch.", torch_source, flags=re.M)
    changed = [a for a, b in zip(source.splitlines(), torch_source.splitlines()) if a != b]
    assert changed and all(line.startswith("import minitorch") for line in changed)
    (tmp_path / "mnist_hogwild.py").write_text(torch_source)
    torch_moved, torch_accuracy = _run_program(tmp_path / "mnist_hogwild.py")
    # Hogwild's racing updates make every run differ a little (66-81% in repeated runs of both)
    assert abs(accuracy - torch_accuracy) < 0.25
    assert 0.5 < moved / torch_moved < 2


# ----- spawn / start_processes ----------------------------------------------------------------------
def test_spawn_runs_fn_with_each_index_and_returns_none():
    out = minitorch.zeros(3).share_memory_()
    assert mp.spawn(workers.fn_ok, args=(out,), nprocs=3) is None
    assert out.tolist() == [1, 2, 3]


def test_spawn_without_join_returns_the_process_context():
    context = mp.spawn(workers.fn_sleeps, args=(0.1,), nprocs=2, join=False)
    assert isinstance(context, mp.ProcessContext) and len(context.pids()) == 2
    while not context.join(timeout=60):
        pass
    assert context.join() is True


def test_a_child_exception_is_raised_in_the_parent_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(workers.fn_raises, nprocs=2)
    message = str(info.value)
    assert message.startswith("\n\n-- Process 1 terminated with the following error:\nTraceback")
    assert message.rstrip().endswith("ValueError: bad value in process 1")
    assert info.value.error_index == 1 and isinstance(info.value.error_pid, int)
    again = pickle.loads(pickle.dumps(info.value))
    assert (again.msg, again.error_index) == (info.value.msg, 1)


def test_an_exit_code_or_a_signal_is_raised_as_torch_words_them():
    with pytest.raises(mp.ProcessExitedException, match=r"^process 0 terminated with exit code 3$") as info:
        mp.start_processes(workers.fn_exits, args=(3,), nprocs=1, start_method="fork")
    assert info.value.exit_code == 3 and info.value.signal_name is None
    with pytest.raises(mp.ProcessExitedException, match=r"^process 0 terminated with signal SIGKILL$") as info:
        mp.start_processes(workers.fn_killed, nprocs=2, start_method="fork")
    assert info.value.exit_code == -9 and info.value.signal_name == "SIGKILL"


def test_spawn_warns_that_other_start_methods_belong_to_start_processes():
    with pytest.warns(FutureWarning, match="only supports start_method=spawn"):
        mp.spawn(workers.fn_sleeps, args=(0,), nprocs=1, start_method="fork")


@requires_torch
def test_the_exception_classes_are_shaped_as_torchs():
    import importlib
    import torch.multiprocessing as tmp
    for name in ("ProcessRaisedException", "ProcessExitedException"):
        assert [c.__name__ for c in getattr(mp, name).__mro__] == [c.__name__ for c in getattr(tmp, name).__mro__]
        assert hasattr(mp, name) == hasattr(tmp, name)
    assert hasattr(mp, "ProcessException") == hasattr(tmp, "ProcessException")
    ours, theirs = importlib.import_module("minitorch.multiprocessing.spawn"), importlib.import_module("torch.multiprocessing.spawn")
    assert set(theirs.__all__) == set(ours.__all__)
    import inspect
    for name in ("spawn", "start_processes"):
        ours, theirs = inspect.signature(getattr(mp, name)), inspect.signature(getattr(tmp, name))
        assert [(p.name, p.default) for p in ours.parameters.values()] == \
            [(p.name, p.default) for p in theirs.parameters.values()]
