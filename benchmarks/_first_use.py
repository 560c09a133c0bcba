"""First use of a library in a fresh process: the script bench_startup.py times.

    python benchmarks/_first_use.py minitorch            # import + MLP step + every core op
    python benchmarks/_first_use.py torch --mlp-only     # import + MLP step only

Written once against the PyTorch API, so the same code runs on minitorch and torch.
It imports the library, runs one training-sized forward/backward (784-128-10 MLP,
batch 64, float32, plus a manual SGD update) and then, unless --mlp-only, calls every
core op once (creation, arithmetic, unary math, reductions, matmul, shape and
indexing ops, in-place ops, dtype casts, and backward through a graph touching the
ops with hand-written gradients).  With minitorch, this is what compiles (or loads
from the numba cache) every kernel a typical program needs.

The last stdout line is JSON: phase times in seconds (measured inside the process, so
they exclude interpreter start-up) and the ops that raised, if any.  An op that raises
is recorded and skipped, never worked around.
"""
import json
import sys
import time

T0 = time.perf_counter()
LIB = sys.argv[1]
MLP_ONLY = "--mlp-only" in sys.argv

if LIB == "minitorch":
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import minitorch as torch
elif LIB == "torch":
    import torch
else:
    raise SystemExit(f"unknown library {LIB!r}")
T_IMPORT = time.perf_counter()


FAILED = []


def mlp_step():
    torch.manual_seed(0)
    x = torch.randn(64, 784)
    y = torch.randint(0, 10, (64,))
    w1 = (torch.randn(784, 128) * 0.05).requires_grad_()
    b1 = torch.zeros(128, requires_grad=True)
    w2 = (torch.randn(128, 10) * 0.1).requires_grad_()
    b2 = torch.zeros(10, requires_grad=True)
    z = (x @ w1 + b1).relu() @ w2 + b2
    loss = z.logsumexp(1).mean() - z[torch.arange(64), y].mean()
    loss.backward()
    with torch.no_grad():
        for p in (w1, b1, w2, b2):
            p -= 0.01 * p.grad
            p.grad = None
    return loss.item()


def op(name, fn):
    try:
        fn()
    except Exception as exc:  # report: the benchmark prints these
        FAILED.append(f"{name}: {type(exc).__name__}: {exc}")


def core_ops():
    a = torch.randn(8, 16)
    b = torch.rand(8, 16) + 0.5
    i = torch.randint(0, 8, (8,))
    mask = a > 0
    # creation
    op("tensor", lambda: torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    op("zeros/ones/full", lambda: (torch.zeros(3, 4), torch.ones(3, 4), torch.full((3, 4), 2.0)))
    op("arange/linspace/eye", lambda: (torch.arange(10), torch.linspace(0, 1, 5), torch.eye(3)))
    op("*_like", lambda: (torch.zeros_like(a), torch.ones_like(a), torch.randn_like(a)))
    # arithmetic, tensor-tensor and tensor-scalar, with broadcasting
    op("add/sub/mul/div", lambda: (a + b, a - b, a * b, a / b, a + 1, 2 * a, a / 3, 1 - a))
    op("broadcast add", lambda: a + b[0])
    op("pow", lambda: (b ** 2, b ** b, 2 ** a))
    op("floordiv/remainder", lambda: (a // b, a % b))
    op("neg/abs", lambda: (-a, a.abs()))
    op("compare", lambda: (a == b, a != b, a < b, a <= b, a > b, a >= b))
    op("where/masked_fill", lambda: (torch.where(mask, a, b), a.masked_fill(mask, 0.0)))
    op("maximum/minimum/clamp", lambda: (torch.maximum(a, b), torch.minimum(a, b), a.clamp(-1, 1)))
    # unary math
    op("exp/log/sqrt/rsqrt", lambda: (a.exp(), b.log(), b.sqrt(), b.rsqrt()))
    op("sin/cos/tanh/sigmoid/relu", lambda: (a.sin(), a.cos(), a.tanh(), a.sigmoid(), a.relu()))
    op("floor/ceil/round", lambda: (a.floor(), a.ceil(), a.round()))
    # reductions
    op("sum/mean", lambda: (a.sum(), a.sum(1), a.sum(0, keepdim=True), a.mean(), a.mean(1)))
    op("max/min/argmax", lambda: (a.max(), a.max(1), a.min(0), a.argmax(1), a.argmin()))
    op("prod/var/std", lambda: (b.prod(1), a.var(), a.std(1)))
    op("logsumexp", lambda: a.logsumexp(1))
    op("all/any", lambda: (mask.all(), mask.any(1)))
    # matmul family
    op("matmul 2-D", lambda: a @ b.t())
    op("matmul batched", lambda: torch.randn(2, 8, 16) @ torch.randn(2, 16, 4))
    op("mv/dot", lambda: (a.mv(b[0]), a[0].dot(b[0])))
    # shape ops
    op("view/reshape/flatten", lambda: (a.view(16, 8), a.reshape(-1), a.flatten()))
    op("transpose/permute/t", lambda: (a.transpose(0, 1), a.permute(1, 0), a.t()))
    op("unsqueeze/squeeze", lambda: (a.unsqueeze(0).squeeze(0), a[:1].squeeze()))
    op("expand/repeat", lambda: (a[:1].expand(4, 16), a.repeat(2, 1)))
    op("cat/stack", lambda: (torch.cat([a, b]), torch.cat([a, b], 1), torch.stack([a, b])))
    op("split/chunk", lambda: (a.split(4), a.chunk(2, 1)))
    op("flip", lambda: a.flip(0))
    op("narrow", lambda: a.narrow(1, 2, 4))
    # indexing
    op("basic index", lambda: (a[0], a[1:3], a[:, 2], a[..., -1]))
    op("int index", lambda: (a[i], a[torch.arange(8), i]))
    op("bool index", lambda: a[mask])
    op("gather/scatter_add", lambda: (a.gather(1, i[:, None]),
                                      torch.zeros(8, 16).scatter_add(1, i[:, None], a[:, :1])))

    def setitem():
        c = a.clone()
        c[0] = 1.0
        c[mask] = 0.0
        c[i] = b
    op("setitem", setitem)

    # in-place
    def inplace():
        c = a.clone()
        c.add_(b).mul_(2).sub_(1).div_(3).clamp_(-1, 1).zero_().fill_(1.0).copy_(b)
    op("in-place", inplace)
    # dtypes
    op("casts", lambda: (a.double(), a.long(), a.to(torch.float64), i.float(), mask.int()))
    op("float64 math", lambda: (a.double() @ b.double().t(), a.double().exp().sum(1)))
    op("int64 math", lambda: (i + i, i * 2, i.sum(), i.max()))

    # backward through the ops with their own gradients (float32)
    def backward():
        x = torch.randn(8, 16, requires_grad=True)
        w = torch.randn(16, 16, requires_grad=True)
        h = x @ w
        parts = [h.relu(), h.tanh(), h.sigmoid(), h.exp().log(), (h * h).sqrt(), h.abs(),
                 h.clamp(-1, 1), torch.where(h > 0, h, h * 0.1), h.max(1, keepdim=True)[0] + h]
        y = torch.cat(parts, 1) + torch.stack(parts).mean(0).repeat(1, len(parts))
        loss = (y.logsumexp(1).sum() + y[torch.arange(8), i].sum() + y.var() + y.std(1).sum()
                + y.gather(1, i[:, None]).sum() + y[mask.repeat(1, len(parts))].sum()
                + y.t().reshape(-1).pow(2).mean() + y.transpose(0, 1)[2:5].prod(0).sum())
        loss.backward()
    op("backward", backward)

    # large enough for minitorch's parallel kernels
    def big_backward():
        x = torch.randn(512, 1024, requires_grad=True)
        x.relu().sum().backward()
    op("backward, 512x1024", big_backward)


LOSS = None
op("MLP step", lambda: globals().__setitem__("LOSS", mlp_step()))
T_MLP = time.perf_counter()
if not MLP_ONLY:
    core_ops()
T_OPS = time.perf_counter()
print(json.dumps({"import_s": T_IMPORT - T0, "mlp_s": T_MLP - T_IMPORT, "ops_s": T_OPS - T_MLP,
                  "loss": LOSS, "failed": FAILED}))
