"""A DataLoader worker that dies, or a main process that dies, hangs nothing and strands nothing.

Each scenario ("trial") runs in a process of its own, forked from a driver process
(this file run as a script), which kills it after a hard timeout: a hang fails its test
instead of hanging the suite.  The driver imports the library once, so trials cost
milliseconds, not an import each.  The tests below run the driver for minitorch (and
for torch where it is installed, to compare the error messages) and check its reports:

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

import faulthandler
import importlib
import itertools
import json
import multiprocessing
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRIAL_TIMEOUT = 20.0  # seconds a trial may take before the driver calls it hung
N_SAMPLES = 64

# ----- the driver: what runs in the trial processes -------------------------------------------


class _Samples:
    """Sample i: lib.tensor(float(i)) after ``delay`` seconds; at index ``die_at`` the
    worker dies by ``action`` (after writing its pid to ``pid_fd``); from ``slow_from``
    on, samples take a minute; ``big`` samples are 1.5 MB; ``unpicklable_at`` gives a lock."""

    def __init__(self, lib: str, n: int, delay: float = 0.0, die_at=None, action=None, pid_fd=None,
                 slow_from=None, big: bool = False, unpicklable_at=None) -> None:
        self.lib, self.n, self.delay = lib, n, delay
        self.die_at, self.action, self.pid_fd = die_at, action, pid_fd
        self.slow_from, self.big, self.unpicklable_at = slow_from, big, unpicklable_at

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        lib = importlib.import_module(self.lib)
        time.sleep(self.delay)
        if i == self.die_at:
            os.write(self.pid_fd, f"{os.getpid()}\n".encode())
            if self.action.startswith("exit"):
                os._exit(int(self.action[4:]))
            os.kill(os.getpid(), getattr(signal, self.action))
            time.sleep(10)
        if self.slow_from is not None and i >= self.slow_from:
            time.sleep(60)
        if i == self.unpicklable_at:
            return threading.Lock()
        if self.big:
            return lib.full((393216,), float(i))
        if self.lib == "torch":
            # Plain floats: torch sends tensors through shared memory by passing file
            # descriptors, whose own races with a dying worker are not under test here.
            return float(i)
        return lib.tensor(float(i))


def _alive(pid: int) -> bool:
    """Whether pid is a live process (a zombie is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _worker_pids() -> list[int]:
    return sorted(child.pid for child in multiprocessing.active_children())


def _messages(error: BaseException) -> list[str]:
    """str() of an exception and of each one it was raised from, as a traceback shows them."""
    out = []
    while error is not None:
        out.append(str(error))
        error = error.__cause__ if error.__cause__ is not None else (
            None if error.__suppress_context__ else error.__context__)
    return out


def _collate(lib_name: str):
    """default_collate, but lists for torch (see _Samples)."""
    return list if lib_name == "torch" else None


def _consume(batches, received: list) -> None:
    for batch in batches:
        received.extend(batch if isinstance(batch, list) else batch.tolist())


def _kill_trial(spec: dict, report) -> None:
    """Kill one worker at a random moment of an epoch; report what the main process saw."""
    lib = importlib.import_module(spec["lib"])
    rng = random.Random(spec["seed"])
    options = {key: spec[key] for key in ("prefetch_factor", "persistent_workers", "timeout",
                                          "multiprocessing_context") if key in spec}
    loader = lib.utils.data.DataLoader(_Samples(spec["lib"], N_SAMPLES, delay=0.004), batch_size=2,
                                       num_workers=2, collate_fn=_collate(spec["lib"]), **options)
    expected = [float(i) for i in range(N_SAMPLES)]
    killed_at = []

    def kill(pid: int) -> None:
        killed_at.append(time.monotonic())
        os.kill(pid, signal.SIGKILL)

    mode, received, messages, workers, victim, it = spec["mode"], [], None, [], None, None
    try:
        if mode == "between_epochs":  # persistent workers, idle until the next epoch starts
            _consume(loader, received)
            received.clear()
            workers = _worker_pids()
            victim = rng.choice(workers)
            report(workers=workers)
            time.sleep(rng.uniform(0.0, 0.02))
            kill(victim)
            it = iter(loader)
        else:
            it = iter(loader)
            workers = _worker_pids()
            victim = rng.choice(workers)
            report(workers=workers)
            if mode == "before_first_batch":
                kill(victim)
            elif mode == "mid_epoch":  # the main process is not waiting when it happens
                _consume(itertools.islice(it, rng.randrange(1, 6)), received)
                kill(victim)
            else:  # while_waiting: the dataset is slower than the loop, so next() is waiting
                threading.Timer(rng.uniform(0.0, 0.03), kill, (victim,)).start()
        _consume(it, received)
    except RuntimeError as error:
        raised_at = time.monotonic()
        messages = _messages(error)
    result = {"victim": victim, "workers": workers, "messages": messages,
              "received_ok": received == expected[:len(received)]}
    if messages is not None:
        result["detect_s"] = raised_at - killed_at[0]
    result["alive_after_error"] = [pid for pid in workers if _alive(pid)]
    if spec.get("again", True):
        again = []
        _consume(loader, again)
        result["again_ok"] = again == expected
    del loader, it
    result["children_at_end"] = _worker_pids()
    report(**result)


def _dies_trial(spec: dict, report) -> None:
    """A worker dies by spec["action"] (exit<code> or a signal name) while loading sample 5."""
    lib = importlib.import_module(spec["lib"])
    pid_r, pid_w = os.pipe()
    loader = lib.utils.data.DataLoader(
        _Samples(spec["lib"], 16, delay=0.002, die_at=5, action=spec["action"], pid_fd=pid_w),
        batch_size=2, num_workers=2, collate_fn=_collate(spec["lib"]))
    messages = None
    try:
        _consume(loader, [])
    except RuntimeError as error:
        messages = _messages(error)
    ready, _, _ = select.select([pid_r], [], [], 1.0)
    dying = int(os.read(pid_r, 64).split()[0]) if ready else None
    report(messages=messages, dying=dying, children_at_end=_worker_pids())


def _timeout_trial(spec: dict, report) -> None:
    lib = importlib.import_module(spec["lib"])
    loader = lib.utils.data.DataLoader(_Samples(spec["lib"], 8, delay=0.5), batch_size=2,
                                       num_workers=2, timeout=0.2, collate_fn=_collate(spec["lib"]))
    it = iter(loader)
    messages = None
    try:
        next(it)
    except RuntimeError as error:
        messages = _messages(error)
    report(messages=messages, children_at_end=_worker_pids() if spec["lib"] == "minitorch" else None)


def _unpicklable_trial(spec: dict, report) -> None:
    lib = importlib.import_module(spec["lib"])
    loader = lib.utils.data.DataLoader(_Samples(spec["lib"], 8, unpicklable_at=3), batch_size=None,
                                       num_workers=2)
    received, error_type, messages = [], None, None
    try:
        for sample in loader:
            received.append(sample.item())
    except Exception as error:  # noqa: BLE001 - the type is what is checked
        error_type, messages = type(error).__name__, _messages(error)
    report(received=received, error_type=error_type, messages=messages, children_at_end=_worker_pids())


def _main_killed_trial(spec: dict, report) -> None:
    """Start workers, put them in the state spec["variant"] names, then ask to be SIGKILLed."""
    lib = importlib.import_module(spec["lib"])
    variant = spec["variant"]
    dataset = _Samples(spec["lib"], N_SAMPLES, slow_from=4 if variant == "busy" else None,
                       big=variant == "thread_full_pipe")
    loader = lib.utils.data.DataLoader(dataset, batch_size=2, num_workers=2)
    if variant.startswith("thread"):
        # Another thread starts the workers and ends: they must outlive it (a parent-death
        # signal tied to that thread would kill them here), then the main thread reads on.
        box = {}
        thread = threading.Thread(target=lambda: box.update(it=iter(loader)) or next(box["it"]))
        thread.start()
        thread.join()
        it = box["it"]
        next(it)
        next(it)
    else:
        it = iter(loader)
        next(it)
    time.sleep(0.3)  # the workers reach the state: waiting for indices, in __getitem__, or on a full pipe
    report(workers=_worker_pids(), kill_me=True)
    time.sleep(60)


_TRIALS = {"kill": _kill_trial, "dies": _dies_trial, "timeout": _timeout_trial,
           "unpicklable": _unpicklable_trial, "main_killed": _main_killed_trial}


def _read_reports(fd: int, deadline: float, on_report) -> bool:
    """Read JSON lines from fd until EOF (True) or the deadline (False)."""
    pending = b""
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        chunk = os.read(fd, 65536)
        if not chunk:
            return True
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            on_report(json.loads(line))


def _run_trial(spec: dict) -> dict:
    """Fork a trial process, wait for it under TRIAL_TIMEOUT, clean up after it."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the trial process
        os.close(read_fd)
        code = 0
        try:
            faulthandler.dump_traceback_later(TRIAL_TIMEOUT - 2.0, exit=True)  # a hang's stacks
            _TRIALS[spec["kind"]](spec, lambda **fields: os.write(
                write_fd, (json.dumps(fields) + "\n").encode()))
        except BaseException:  # noqa: BLE001 - reported, and the test fails on it
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    result = {"status": "ok"}

    def on_report(fields: dict) -> None:
        result.update(fields)
        if fields.get("kill_me"):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            killed = time.monotonic()
            while any(_alive(worker) for worker in fields["workers"]) and time.monotonic() < killed + 8.0:
                time.sleep(0.02)
            result["gone_s"] = time.monotonic() - killed
            result["alive_after_kill"] = [worker for worker in fields["workers"] if _alive(worker)]

    finished = _read_reports(read_fd, time.monotonic() + TRIAL_TIMEOUT, on_report)
    os.close(read_fd)
    if not finished:
        result["status"] = "hung"
        os.kill(pid, signal.SIGKILL)
    if "gone_s" not in result:
        _, status = os.waitpid(pid, 0)
        if result["status"] == "ok" and status != 0:
            result["status"] = f"crashed ({status})"
    result["alive_after_exit"] = [worker for worker in result.get("workers", []) if _alive(worker)]
    for worker in result["alive_after_exit"]:  # never leave one behind, even when failing
        os.kill(worker, signal.SIGKILL)
    return result


def _drive(lib_name: str, trials: list[dict]) -> None:
    importlib.import_module(lib_name + ".utils.data")  # once, before the forks
    for spec in trials:
        result = _run_trial(dict(spec, lib=lib_name))
        print("RESULT " + json.dumps({"name": spec["name"], **result}), flush=True)


# ----- the tests ------------------------------------------------------------------------------

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
                               "seed": seed, **options})
    for context in ("spawn", "forkserver"):
        trials.append({"name": f"kill/{context}/while_waiting/0", "kind": "kill", "mode": "while_waiting",
                       "seed": 99, "multiprocessing_context": context, "again": False})
    trials += [{"name": f"dies/{action}", "kind": "dies", "action": action} for action in _DEATHS]
    trials += [{"name": "timeout", "kind": "timeout"}, {"name": "unpicklable", "kind": "unpicklable"}]
    trials += [{"name": f"main_killed/{variant}", "kind": "main_killed", "variant": variant}
               for variant in _MAIN_KILLED]
    return trials


def _torch_trials() -> list[dict]:
    trials = [{"name": f"kill/default/{mode}/0", "kind": "kill", "mode": mode, "seed": 1, "again": False}
              for mode in ("mid_epoch", "while_waiting")]
    trials += [{"name": f"dies/{action}", "kind": "dies", "action": action} for action in _DEATHS]
    return trials + [{"name": "timeout", "kind": "timeout"}]


def _start_driver(lib_name: str, trials: list[dict]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, lib_name, json.dumps(trials)], cwd=ROOT,
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


if __name__ not in ("__main__", "__mp_main__"):  # under pytest (a spawned worker imports this file too)
    import pytest

    from tests._compat import torch

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

    def test_timeout_raises_pytorchs_message_and_stops_the_workers(runs):
        result = _trials(runs, "minitorch", "timeout")["timeout"]
        assert result["messages"] == ["DataLoader timed out after 0.2 seconds"], result
        assert result["children_at_end"] == [], result

    def test_a_batch_that_does_not_pickle_is_the_workers_error_not_a_hang(runs):
        result = _trials(runs, "minitorch", "unpicklable")["unpicklable"]
        assert result["received"] == [0.0, 1.0, 2.0], result
        assert result["error_type"] == "TypeError", result
        (message,) = result["messages"]
        assert message.startswith("Caught TypeError in DataLoader worker process 1.\nOriginal Traceback"), message
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

    def test_the_messages_are_pytorchs(runs):
        if runs["torch"] is None:
            pytest.skip("torch is not installed")
        ours = runs["minitorch"][0]
        for name, theirs in _trials(runs, "torch", "").items():
            assert theirs["messages"], (name, theirs)
            # PyTorch may wrap its message in "... exited unexpectedly" (timing): ours is in its chain.
            assert _normalised(ours[name])[0] in _normalised(theirs), (name, ours[name], theirs)


if __name__ == "__main__":
    _drive(sys.argv[1], json.loads(sys.argv[2]))
