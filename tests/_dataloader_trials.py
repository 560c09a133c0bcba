"""The trials of test_dataloader_workers.py, and the driver that runs them.

``python tests/_dataloader_trials.py LIB TRIALS_JSON`` imports LIB (minitorch or torch)
once, then runs each trial in a process forked from it, under a hard timeout
(``TRIAL_TIMEOUT``), and prints one ``RESULT {json}`` line per trial.  A trial reports
what its main process saw (the error messages, how long after the kill they came, which
worker processes were still alive); the driver adds whether the trial finished, hung or
crashed, and kills any worker a trial left behind.  Forking from a driver that has
already imported the library makes a trial cost milliseconds instead of an import.
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
import sys
import threading
import time
import traceback

TRIAL_TIMEOUT = 20.0  # seconds a trial may take before the driver calls it hung
N_SAMPLES = 64


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
            if self.action == "fork_then_SIGKILL":  # a process of its own keeps its fds open
                child = os.fork()
                if child == 0:
                    time.sleep(30)
                    os._exit(0)
                os.write(self.pid_fd, f"{os.getpid()} {child}\n".encode())
                os.kill(os.getpid(), signal.SIGKILL)
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
        it = iter(loader)
        report(workers=_worker_pids())  # for the driver to clean up after a hang
        _consume(it, [])
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
    report(workers=_worker_pids())
    messages = None
    try:
        next(it)
    except RuntimeError as error:
        messages = _messages(error)
    report(messages=messages, children_at_end=_worker_pids() if spec["lib"] == "minitorch" else None)


def _forked_then_killed_trial(spec: dict, report) -> None:
    """A worker forks a process (which inherits, and holds open, the worker's end of its
    sentinel and result pipe), then is killed: only the status check on an idle wait sees
    it, every MP_STATUS_CHECK_INTERVAL (shortened here to 0.5 s)."""
    lib = importlib.import_module(spec["lib"])
    iterators = importlib.import_module(spec["lib"] + ".utils.data._iterators")
    iterators.MP_STATUS_CHECK_INTERVAL = 0.5
    pid_r, pid_w = os.pipe()
    loader = lib.utils.data.DataLoader(
        _Samples(spec["lib"], 16, delay=0.002, die_at=5, action="fork_then_SIGKILL", pid_fd=pid_w),
        batch_size=2, num_workers=2)
    messages = None
    try:
        it = iter(loader)
        report(workers=_worker_pids())  # for the driver to clean up after a hang
        _consume(it, [])
    except RuntimeError as error:
        messages = _messages(error)
    ready, _, _ = select.select([pid_r], [], [], 1.0)
    dying, grandchild = (int(pid) for pid in os.read(pid_r, 64).split()) if ready else (None, None)
    if grandchild is not None:
        os.kill(grandchild, signal.SIGKILL)
    report(messages=messages, dying=dying, children_at_end=_worker_pids())


def _unpicklable_trial(spec: dict, report) -> None:
    lib = importlib.import_module(spec["lib"])
    loader = lib.utils.data.DataLoader(_Samples(spec["lib"], 8, unpicklable_at=3), batch_size=None,
                                       num_workers=2)
    received, error_type, messages = [], None, None
    it = iter(loader)
    report(workers=_worker_pids())
    try:
        for sample in it:
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


_TRIALS = {"kill": _kill_trial, "dies": _dies_trial, "forked_then_killed": _forked_then_killed_trial,
           "timeout": _timeout_trial,
           "unpicklable": _unpicklable_trial, "main_killed": _main_killed_trial}


def _read_reports(fd: int, deadline: float, on_report) -> bool:
    """Read JSON lines from fd until one says "done" (True), EOF or the deadline (False).

    Not EOF alone: the trial's workers inherit the pipe's write end."""
    pending = b""
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            fields = json.loads(line)
            on_report(fields)
            if fields.get("done"):
                return True


def _run_trial(spec: dict) -> dict:
    """Fork a trial process, wait for it under TRIAL_TIMEOUT, clean up after it."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the trial process
        os.close(read_fd)
        def report(**fields) -> None:
            os.write(write_fd, (json.dumps(fields) + "\n").encode())

        try:
            faulthandler.dump_traceback_later(TRIAL_TIMEOUT - 2.0, exit=True)  # a hang's stacks
            _TRIALS[spec["kind"]](spec, report)
            report(done=True)
        except BaseException:  # noqa: BLE001 - reported, and the test fails on it
            traceback.print_exc()
            report(done=True, status="crashed")
        finally:
            os._exit(0)
    os.close(write_fd)
    result = {"status": "ok"}

    def on_report(fields: dict) -> None:
        result.update(fields)
        if fields.get("kill_me"):
            fields["done"] = True
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            killed = time.monotonic()
            while any(_alive(worker) for worker in fields["workers"]) and time.monotonic() < killed + 8.0:
                time.sleep(0.02)
            result["gone_s"] = time.monotonic() - killed
            result["alive_after_kill"] = [worker for worker in fields["workers"] if _alive(worker)]

    finished = _read_reports(read_fd, time.monotonic() + TRIAL_TIMEOUT, on_report)
    os.close(read_fd)
    if "gone_s" not in result:
        if not finished:
            result["status"] = "hung"
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    result["alive_after_exit"] = [worker for worker in result.get("workers", []) if _alive(worker)]
    for worker in result["alive_after_exit"]:  # never leave one behind, even when failing
        os.kill(worker, signal.SIGKILL)
    return result


def _drive(lib_name: str, trials: list[dict]) -> None:
    importlib.import_module(lib_name + ".utils.data")  # once, before the forks
    for spec in trials:
        start = time.monotonic()
        result = _run_trial(dict(spec, lib=lib_name))
        if result["status"] != "ok" and lib_name == "torch":
            # torch raises from its SIGCHLD handler wherever the main thread is, which can
            # break the queue it was in (a hang, now and then): its races are not under test.
            result = _run_trial(dict(spec, lib=lib_name))
        result["trial_s"] = round(time.monotonic() - start, 3)
        print("RESULT " + json.dumps({"name": spec["name"], **result}), flush=True)


if __name__ == "__main__":
    _drive(sys.argv[1], json.loads(sys.argv[2]))
