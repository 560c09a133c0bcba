"""Process targets for tests/test_multiprocessing.py (spawned children import them from here)."""
import os

import minitorch
import minitorch.multiprocessing as mp


def add_one(t):
    """Process target: add 1 to t in place."""
    t.add_(1)


def fill_received(inbox, outbox, done):
    """Take a tensor and a view of it from inbox, write through both, describe them in outbox,
    then send the view back and wait to be told that the parent has it."""
    base, view = inbox.get(timeout=120), inbox.get(timeout=120)
    base.fill_(7)
    view.fill_(-1)
    outbox.put({"shared": (base.is_shared(), view.is_shared()), "stride": view.stride(),
                "offset": view.data_ptr() - base.data_ptr(), "shape": tuple(view.shape),
                "dtype": str(view.dtype), "requires_grad": base.requires_grad})
    outbox.put(view)
    done.wait(120)


def echo(inbox, outbox, done):
    """Send back every tensor received until None, then wait for the parent to have them."""
    while True:
        item = inbox.get(timeout=120)
        if item is None:
            break
        outbox.put(item)
    done.wait(120)


def train_steps(model, steps, seed):
    """A few SGD steps of model (shared with the parent) on fixed random data."""
    minitorch.manual_seed(seed)
    optimizer = minitorch.optim.SGD(model.parameters(), lr=0.1)
    x, y = minitorch.randn(32, 4), minitorch.randn(32, 2)
    for _ in range(steps):
        optimizer.zero_grad()
        minitorch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()


def fn_ok(i, out):
    """spawn target: record i in the shared tensor out."""
    out[i] = i + 1


def fn_raises(i):
    """spawn target: process 1 raises."""
    if i == 1:
        raise ValueError("bad value in process 1")


def fn_exits(i, code):
    """spawn target: process 0 exits with code."""
    if i == 0:
        os._exit(code)


def fn_killed(i):
    """spawn target: process 0 is killed by SIGKILL."""
    if i == 0:
        import signal
        os.kill(os.getpid(), signal.SIGKILL)


def fn_sleeps(i, seconds):
    import time
    time.sleep(seconds)


def mp_identity():
    """A check that the child's minitorch.multiprocessing is the package (for Pool)."""
    return mp.get_sharing_strategy()


def double(t):
    """Pool target: 2 * t, sent back through shared memory."""
    return t * 2
