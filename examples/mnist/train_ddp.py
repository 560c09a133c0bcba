"""train.py on N processes: DistributedDataParallel over MPI, each rank on its share of MNIST.

    mpiexec -n 2 python -m mpi4py examples/mnist/train_ddp.py --epochs 1
    mpiexec -f hostfile -n 4 python -m mpi4py examples/mnist/train_ddp.py    # several machines (MPICH)
    python examples/mnist/train_ddp.py --epochs 1                           # also runs as one rank

``--batch-size`` is per rank: N ranks step once per N x batch-size images, with gradients
averaged across ranks. Only rank 0 prints, evaluates and saves. ``-m mpi4py`` makes an
exception on any rank abort the whole job instead of leaving the others waiting.
"""
from __future__ import annotations

import os

# One thread per rank: N ranks already keep N cores busy. Set before NumPy/numba load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys
import time

from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minitorch as torch
import minitorch.distributed as dist
from minitorch import nn, optim
from minitorch.nn.parallel import DistributedDataParallel as DDP
from minitorch.utils.data import DataLoader
from minitorch.utils.data.distributed import DistributedSampler
from minitorch.vision import datasets, transforms
from train import cnn, evaluate, mlp, parse_args


def train_epoch(model, loader, loss_fn, optimizer, epoch: int, epochs: int, rank: int) -> tuple[float, int]:
    """One pass over this rank's share; returns (sum of losses x batch sizes, images seen) on this rank."""
    model.train()
    total_loss, seen = 0.0, 0
    start = time.perf_counter()
    bar = tqdm(loader, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False, disable=rank != 0)
    for images, labels in bar:
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()          # DDP averages the gradients across ranks here
        optimizer.step()
        total_loss += loss.item() * len(labels)
        seen += len(labels)
        bar.set_postfix(refresh=False, loss=f"{total_loss / seen:.4f}",
                        rank0_samples_per_s=f"{seen / (time.perf_counter() - start):,.0f}")
    return total_loss, seen


def main(argv=None) -> float | None:
    args = parse_args(argv)
    if args.device != "cpu":
        sys.exit("error: the mpi backend trains on CPU only (--device cpu)")
    dist.init_process_group("mpi")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)   # the same everywhere; DDP broadcasts rank 0's weights anyway

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    if rank == 0:                  # one process fetches/unpacks the files, the others wait for it
        datasets.MNIST(args.data, train=True, download=True)
        datasets.MNIST(args.data, train=False, download=True)
    dist.barrier()
    train_set = datasets.MNIST(args.data, train=True, transform=transform)
    test_set = datasets.MNIST(args.data, train=False, transform=transform)
    if args.limit:
        train_set = torch.utils.data.Subset(train_set, range(args.limit))
    sampler = DistributedSampler(train_set, shuffle=True, seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    test_loader = DataLoader(test_set, batch_size=1000)

    model = DDP(mlp() if args.model == "mlp" else cnn())
    loss_fn = nn.NLLLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    if rank == 0:
        print(model)

    accuracy = None
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)   # a new shuffle each epoch, the same on every rank
        epoch_start = time.perf_counter()
        local_loss, local_seen = train_epoch(model, train_loader, loss_fn, optimizer, epoch, args.epochs, rank)
        totals = torch.tensor([local_loss, float(local_seen)], dtype=torch.float64)
        dist.all_reduce(totals)
        train_time = time.perf_counter() - epoch_start
        if rank == 0:
            train_loss, seen = totals[0].item() / totals[1].item(), int(totals[1].item())
            test_loss, accuracy = evaluate(model.module, test_loader, loss_fn, "cpu")
            print(f"epoch {epoch}: train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
                  f"test accuracy {accuracy:.2%}  ({world_size} ranks, {seen / train_time:,.0f} "
                  f"train images/s, {time.perf_counter() - epoch_start:.1f} s)")

    if rank == 0:
        print(f"done: {args.model}, {args.epochs} epochs on {world_size} ranks in "
              f"{time.perf_counter() - start:.1f} s, test accuracy {accuracy:.2%}")
        if args.save:
            torch.save(model.module.state_dict(), args.save)   # plain keys: loads into mlp()/cnn()
            print(f"saved the state dict to {args.save}")
    dist.destroy_process_group()
    return accuracy


if __name__ == "__main__":
    main()
