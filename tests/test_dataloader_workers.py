"""A DataLoader worker that dies, or a main process that dies, hangs nothing and strands nothing.

Each scenario ("trial", in _dataloader_trials.py) runs in a process of its own, forked
from a driver process that kills it after a hard timeout: a hang fails its test instead
of hanging the suite.  The tests run the driver for minitorch (and for torch where it is
installed, to compare the error messages), side by side, and check its reports:

- a worker SIGKILLed at a random moment (before the first batch, mid-epoch while the
  main process is busy, while it waits, between two epochs of persistent workers;
  prefetch_factor 1, 2 and 4, persistent_workers, a ``timeout``, the spawn and
  forkserver start methods): RuntimeError in PyTorch's words, naming the pid and the
  signal, within a fraction of a second; every batch before it right; no worker left
  alive; the loader iterates again;
- a worker that exits with a code, with 0, or by another signal; ``timeout=``; a batch
  that does not pickle: PyTorch's message for each;
- the main process SIGKILLed while its workers wait for work, sit in ``__getitem__``,
  or are blocked on a full pipe (the iterator started from another thread): the
  workers are gone within seconds.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests._compat import requires_torch, torch

ROOT = Path(__file__).resolve().parents[1]
DRIVER = str(Path(__file__).resolve().parent / "_dataloader_trials.py")

_KILL_VARIANTS = {"default": {}, "prefetch1": {"prefetch_factor": 1}, "prefetch4": {"prefetch_factor": 4},
                  "persistent": {"persistent_workers": True}, "timeout": {"timeout": 10.0}}
_KILL_MODES = ("before_first_batch", "mid_epoch", "while_waiting")
_DEATHS = {
    "exit3": "DataLoader worker (pid {pid}) exited unexpectedly with exit code 3. Details are lost due to "
             "multiprocessing. Rerunning with num_workers=0 may give better error trace.",
    "exit0": "DataLoader worker (pid(s) {pid}) exited unexpectedly",
    "SIGTERM": "DataLoader worker (pid {pid}) is killed by signal: Terminated. ",
    "SIGSEGV": "DataLoader worker (pid {pid}) is killed by signal: Segmentation fault. ",
    "SIGBUS": "DataLoader worker (pid {pid}) is killed by signal: Bus error. It is possible that "
              "dataloader's workers are out of shared memory. Please try to raise your shared memory limit.",
}
_MAIN_KILLED = ("idle", "busy", "thread_idle", "thread_full_pipe")


def _minitorch_trials() -> list[dict]:
    trials = []
    seed = 0
    for repeat in range(2):
        for variant, options in _KILL_VARIANTS.items():
            modes = _KILL_MODES + (("between_epochs",) if options.get("persistent_workers") else ())
            for mode in modes:
                seed += 1
                trials.append({"name": f"kill/{variant}/{mode}/{repeat}", "kind": "kill", "mode": mode,
                               "seed": seed, "again": repeat == 0, **options})
    for context in ("spawn", "forkserver"):
        trials.append({"name": f"kill/{context}/while_waiting/0", "kind": "kill", "mode": "while_waiting",
                       "seed": 99, "multiprocessing_context": context, "again": False})
    trials += [{"name": f"dies/{action}", "kind": "dies", "action": action} for action in _DEATHS]
    trials += [{"name": "timeout", "kind": "timeout"}, {"name": "unpicklable", "kind": "unpicklable"},
               {"name": "forked_then_killed", "kind": "forked_then_killed"}]
    trials += [{"name": f"main_killed/{variant}", "kind": "main_killed", "variant": variant}
               for variant in _MAIN_KILLED]
    return trials


def _torch_trials() -> list[dict]:
    trials = [{"name": f"kill/default/{mode}/0", "kind": "kill", "mode": mode, "seed": 1, "again": False}
              for mode in ("mid_epoch", "while_waiting")]
    trials += [{"name": f"dies/{action}", "kind": "dies", "action": action} for action in _DEATHS]
    return trials + [{"name": "timeout", "kind": "timeout"}]


def _start_driver(lib_name: str, trials: list[dict]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, DRIVER, lib_name, json.dumps(trials)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # one process group: all of it can be ended


def _finish_driver(proc: subprocess.Popen, timeout: float) -> tuple[dict, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n(the driver was killed after {timeout} s)"
    results = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            results[result.pop("name")] = result
    return results, err


@pytest.fixture(scope="module")
def runs():
    """Both drivers' reports by trial name (torch's None without torch), run side by side."""
    mini = _start_driver("minitorch", _minitorch_trials())
    ref = _start_driver("torch", _torch_trials()) if torch is not None else None
    results = {"minitorch": _finish_driver(mini, 240.0)}
    results["torch"] = _finish_driver(ref, 120.0) if ref is not None else None
    return results


def _trials(runs, lib: str, prefix: str) -> dict:
    results, err = runs[lib]
    chosen = {name: result for name, result in results.items() if name.startswith(prefix)}
    assert chosen, f"the {lib} driver reported no {prefix} trial; its stderr:\n{err[-4000:]}"
    for name, result in chosen.items():
        assert result["status"] == "ok", f"{name}: {result}; the driver's stderr:\n{err[-4000:]}"
    return chosen


def test_a_killed_worker_is_a_runtime_error_naming_its_pid_and_signal_at_once(runs):
    trials = _trials(runs, "minitorch", "kill/")
    assert len(trials) == 2 * (len(_KILL_VARIANTS) * len(_KILL_MODES) + 1) + 2
    for name, result in trials.items():
        expected = f"DataLoader worker (pid {result['victim']}) is killed by signal: Killed. "
        assert result["messages"] == [expected], (name, result)
        assert result["detect_s"] < 2.0, (name, result)  # milliseconds when quiet
        assert result["received_ok"], (name, result)  # every batch before it was right


def test_no_worker_outlives_the_error_and_the_loader_works_again(runs):
    for name, result in _trials(runs, "minitorch", "kill/").items():
        assert result["alive_after_error"] == [], (name, result)
        assert result["children_at_end"] == [] and result["alive_after_exit"] == [], (name, result)
        assert result.get("again_ok", True), (name, result)


@pytest.mark.parametrize("action", sorted(_DEATHS))
def test_each_way_a_worker_dies_gets_pytorchs_message(runs, action):
    result = _trials(runs, "minitorch", f"dies/{action}")[f"dies/{action}"]
    assert result["dying"] is not None, result
    assert result["messages"] == [_DEATHS[action].format(pid=result["dying"])], result
    assert result["children_at_end"] == [] and result["alive_after_exit"] == [], result


def test_a_killed_worker_whose_own_child_holds_its_pipes_is_found_by_the_status_check(runs):
    result = _trials(runs, "minitorch", "forked_then_killed")["forked_then_killed"]
    assert result["messages"] == [f"DataLoader worker (pid {result['dying']}) is killed by signal: Killed. "]
    assert result["children_at_end"] == [], result


def test_timeout_raises_pytorchs_message_and_stops_the_workers(runs):
    result = _trials(runs, "minitorch", "timeout")["timeout"]
    assert result["messages"] == ["DataLoader timed out after 0.2 seconds"], result
    assert result["children_at_end"] == [], result


def test_a_batch_that_does_not_pickle_is_the_workers_error_not_a_hang(runs):
    result = _trials(runs, "minitorch", "unpicklable")["unpicklable"]
    assert result["received"] == [0.0, 1.0, 2.0], result
    assert result["error_type"] == "TypeError", result
    (message,) = result["messages"]
    assert message.startswith("Caught TypeError in DataLoader worker process 1.\n"
                              "Original Traceback"), message
    assert "cannot pickle '_thread.lock' object" in message, message
    assert result["children_at_end"] == [], result


@pytest.mark.parametrize("variant", _MAIN_KILLED)
def test_workers_end_soon_after_the_main_process_is_killed(runs, variant):
    if variant == "busy" and not sys.platform.startswith("linux"):
        pytest.skip("only Linux's parent-death signal ends a worker stuck in __getitem__")
    result = _trials(runs, "minitorch", f"main_killed/{variant}")[f"main_killed/{variant}"]
    assert len(result["workers"]) == 2, result
    assert result["alive_after_kill"] == [], result
    # At once by the parent-death signal; within the 1 s getppid check from a thread.
    assert result["gone_s"] < (4.0 if variant.startswith("thread") else 2.0), result


def _normalised(result: dict) -> list[str]:
    pid = result.get("dying") or result.get("victim")
    return [message.replace(str(pid), "<pid>") if pid else message for message in result["messages"]]


@requires_torch
def test_the_messages_are_pytorchs(runs):
    ours = runs["minitorch"][0]
    for name, theirs in _trials(runs, "torch", "").items():
        assert theirs["messages"], (name, theirs)
        # PyTorch may wrap its message in "... exited unexpectedly" (timing): ours is in its chain.
        mine, torchs = _normalised(ours[name])[0], _normalised(theirs)
        if mine in torchs:
            continue
        # ... or its SIGCHLD handler wins the race and says only its generic line (seen on a
        # 2-core CI machine): then ours must be PyTorch's message for the same death.
        assert torchs[0] == "DataLoader worker (pid(s) <pid>) exited unexpectedly", (name, ours[name], theirs)
        assert mine.startswith("DataLoader worker (pid <pid>) "), (name, ours[name], theirs)
        assert name.startswith("dies/"), (name, ours[name], theirs)


# ----- a worker that dies between sending a batch and handing over its shared memory -------

def _hand_over_fails():
    """What unpickling a tensor does when the worker that sent it is gone: its resource
    sharer's connection is refused or reset (tests/test_docs's DataLoader example met it)."""
    raise ConnectionResetError(104, "Connection reset by peer")


class _SentTensor:
    def __reduce__(self):
        return _hand_over_fails, ()


def test_a_batch_whose_sender_died_before_handing_over_its_memory_is_the_workers_death():
    import multiprocessing
    import pickle
    import time

    from minitorch.utils.data._results import _HEADER, ResultReceiver, WorkerDied

    def worker(conn):
        data = pickle.dumps(_SentTensor())
        os.write(conn.fileno(), _HEADER.pack(len(data)) + data)  # the receiver's framing: size, pickle
        time.sleep(0.3)  # the parent reads the message while this process still lives
        os._exit(3)

    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    process = ctx.Process(target=worker, args=(writer,))
    process.start()
    writer.close()
    receiver = ResultReceiver([reader], [process], 5.0)
    try:
        with pytest.raises(WorkerDied) as died:
            receiver.get(timeout=10.0)
        assert died.value.worker_ids == [0] and process.exitcode == 3
    finally:
        receiver.close()
        process.join(5)
