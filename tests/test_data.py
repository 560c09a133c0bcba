"""minitorch.utils.data: datasets, samplers, collation and the DataLoader.

Everything deterministic (sequential batches, collate outputs and dtypes, lengths,
random_split sizes, ConcatDataset indexing, error types and messages) is checked
against torch.utils.data where torch is installed.  Randomness (shuffle order) is
minitorch's own generator, so those tests check properties: every sample exactly once
per epoch, same seed -> same order.  Worker tests use tiny datasets and 2 workers.
"""
import collections
import multiprocessing
import os
import time
import warnings

import numpy as np
import pytest

import minitorch
from minitorch.utils.data import (ChainDataset, ConcatDataset, DataLoader, Dataset,
                                  IterableDataset, RandomSampler, Sampler, StackDataset, Subset,
                                  SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                                  default_collate, default_convert, get_worker_info, random_split)
from tests._compat import requires_torch, torch

if torch is not None:
    import torch.utils.data as tud

Point = collections.namedtuple("Point", ["x", "y"])


def _plain(obj):
    """A comparable form of a batch: tensors as (dtype, shape, values); containers keep their type name."""
    if isinstance(obj, minitorch.Tensor) or (torch is not None and isinstance(obj, torch.Tensor)):
        return ("tensor", str(obj.dtype).replace("torch.", ""), tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return ("dict", {key: _plain(value) for key, value in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_plain(value) for value in obj])
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.tolist())
    return obj


def _outcome(fn):
    """What fn() does: ('ok', plain result) or ('raises', type name, message)."""
    try:
        return ("ok", _plain(fn()))
    except Exception as exc:  # noqa: BLE001 - compared between libraries
        return ("raises", type(exc).__name__, str(exc))


def _data(lib, n=10):
    """A TensorDataset of n samples: float32 features (n, 3), int64 labels (n,)."""
    x = lib.arange(3 * n, dtype=lib.float32).reshape(n, 3)
    return lib.utils.data.TensorDataset(x, lib.arange(n))


# ----- DataLoader against torch -----------------------------------------------------------

@requires_torch
@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (4, True), (10, False),
                                                   (12, False), (12, True)])
def test_sequential_batches_and_len_match_torch(batch_size, drop_last):
    ours = DataLoader(_data(minitorch), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(_data(torch), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


@requires_torch
def test_loader_without_batching_converts_each_sample_as_torch():
    samples = [np.arange(3, dtype=np.int32), (np.float64(1.5), "a"), {"k": np.array([True])}]
    ours = list(DataLoader(samples, batch_size=None))
    theirs = list(tud.DataLoader(samples, batch_size=None))
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


@requires_torch
def test_loader_over_dicts_with_strings_matches_torch():
    samples = [{"image": np.full((2, 2), i, dtype=np.float32), "label": i, "name": f"s{i}"}
               for i in range(5)]
    ours = [_plain(b) for b in DataLoader(samples, batch_size=2)]
    assert ours == [_plain(b) for b in tud.DataLoader(samples, batch_size=2)]


class _Count(IterableDataset):
    """0, 1, ..., n-1; with workers, each worker yields its own stride of the range."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


if torch is not None:
    class _TorchCount(tud.IterableDataset):
        """_Count for torch's DataLoader."""

        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n


@requires_torch
@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (None, False)])
def test_iterable_dataset_batches_and_len_match_torch(batch_size, drop_last):
    ours = DataLoader(_Count(7), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(_TorchCount(7), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]


def _loader_calls(lib):
    """Bad DataLoader arguments: each must fail as in torch."""
    data = list(range(10))
    dl = lib.utils.data.DataLoader
    sampler = lib.utils.data.SequentialSampler(data)
    batches = lib.utils.data.BatchSampler(sampler, 2, False)
    count = _Count(5) if lib is minitorch else _TorchCount(5)
    return {
        "batch_size=0": lambda: dl(data, batch_size=0),
        "batch_size=-1": lambda: dl(data, batch_size=-1),
        "batch_size=2.0": lambda: dl(data, batch_size=2.0),
        "drop_last=None": lambda: dl(data, drop_last=None),
        "sampler+shuffle": lambda: dl(data, sampler=sampler, shuffle=True),
        "batch_sampler+batch_size": lambda: dl(data, batch_sampler=batches, batch_size=2),
        "batch_sampler+drop_last": lambda: dl(data, batch_sampler=batches, drop_last=True),
        "batch_sampler+shuffle": lambda: dl(data, batch_sampler=batches, shuffle=True),
        "batch_size=None+drop_last": lambda: dl(data, batch_size=None, drop_last=True),
        "num_workers=-1": lambda: dl(data, num_workers=-1),
        "timeout=-1": lambda: dl(data, timeout=-1),
        "prefetch without workers": lambda: dl(data, prefetch_factor=2),
        "prefetch=-1": lambda: dl(data, num_workers=1, prefetch_factor=-1),
        "persistent without workers": lambda: dl(data, persistent_workers=True),
        "context without workers": lambda: dl(data, multiprocessing_context="fork"),
        "bad context name": lambda: dl(data, num_workers=1, multiprocessing_context="nope"),
        "bad context type": lambda: dl(data, num_workers=1, multiprocessing_context=3),
        "iterable+shuffle": lambda: dl(count, shuffle=True),
        "iterable+sampler": lambda: dl(count, sampler=[0, 1]),
        "iterable+batch_sampler": lambda: dl(count, batch_sampler=[[0, 1]]),
        "shuffle empty": lambda: dl([], shuffle=True),
        "set batch_size later": lambda: setattr(dl(data), "batch_size", 3),
        "set dataset later": lambda: setattr(dl(data), "dataset", data),
    }


@requires_torch
@pytest.mark.parametrize("case", list(_loader_calls(minitorch)))
def test_dataloader_argument_errors_match_torch(case):
    ours = _outcome(_loader_calls(minitorch)[case])
    theirs = _outcome(_loader_calls(torch)[case])
    assert ours[0] == "raises"
    assert ours == theirs


def test_empty_dataset_gives_an_empty_loader():
    loader = DataLoader([], batch_size=4)
    assert len(loader) == 0
    assert list(loader) == []
    assert len(DataLoader(TensorDataset(minitorch.zeros(0, 3)), batch_size=2, drop_last=True)) == 0


def test_default_collate_is_the_default_and_default_convert_without_batching():
    assert DataLoader([1]).collate_fn is default_collate
    assert DataLoader([1], batch_size=None).collate_fn is default_convert


# ----- collate against torch ----------------------------------------------------------------

def _collate_batches(lib):
    t = lib.tensor
    return {
        "ints": [1, 2, 3],
        "floats": [1.5, 2.0],
        "bools": [True, False],
        "strings": ["a", "b"],
        "bytes": [b"a", b"b"],
        "tensors f32": [t([1.0, 2.0]), t([3.0, 4.0])],
        "tensors i64 0-d": [t(1), t(2)],
        "tensors bool": [t([True]), t([False])],
        "numpy f32 arrays": [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
        "numpy uint8 arrays": [np.arange(3, dtype=np.uint8)] * 2,
        "numpy int32 arrays": [np.arange(3, dtype=np.int32)] * 2,
        "numpy f64 scalars": [np.float64(1.5), np.float64(2.5)],
        "numpy f32 scalars": [np.float32(1.5), np.float32(2.5)],
        "numpy i32 scalars": [np.int32(1), np.int32(2)],
        "numpy bool scalars": [np.bool_(True), np.bool_(False)],
        "tuples (become lists)": [(t([1.0]), 1, "a"), (t([2.0]), 2, "b")],
        "lists": [[1, 2.5], [3, 4.5]],
        "dicts": [{"x": t([1, 2]), "y": 0.5}, {"x": t([3, 4]), "y": 1.5}],
        "namedtuples": [Point(t(1.0), 2), Point(t(3.0), 4)],
        "nested": [{"a": [(1, {"b": np.float32(2)})]}, {"a": [(3, {"b": np.float32(4)})]}],
        "unequal lists": [[1, 2], [3]],
        "unequal tensors": [t([1, 2]), t([1, 2, 3])],
        "object": [object(), object()],
        "numpy strings": [np.array(["a"]), np.array(["b"])],
        "None": [None, None],
    }


@requires_torch
@pytest.mark.parametrize("case", list(_collate_batches(minitorch)))
def test_default_collate_matches_torch(case):
    ours = _outcome(lambda: default_collate(_collate_batches(minitorch)[case]))
    theirs = _outcome(lambda: tud.default_collate(_collate_batches(torch)[case]))
    if ours[0] == "raises" and case == "object":  # the message names the type, same in both
        assert theirs[:2] == ours[:2] and "object" in ours[2]
        return
    assert ours == theirs


def test_default_collate_dtypes_and_errors():
    assert default_collate([1.5, 2.0]).dtype == minitorch.float64
    assert default_collate([1, 2]).dtype == minitorch.int64
    assert default_collate([True, False]).dtype == minitorch.bool
    assert default_collate([np.float32(1)]).dtype == minitorch.float32
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, "
                                        "numbers, dicts or lists; found <class 'NoneType'>"):
        default_collate([None])


def _convert_inputs():
    return {
        "numpy array": np.arange(3, dtype=np.int16),
        "numpy scalar": np.float64(2.5),
        "numpy str array": np.array(["x"]),
        "tuple": (np.int32(1), "s", 2.5),
        "dict": {"a": np.ones(2, np.float32), "b": [np.int64(3)]},
        "namedtuple": Point(np.float32(1), 2),
        "string": "text",
    }


@requires_torch
@pytest.mark.parametrize("case", list(_convert_inputs()))
def test_default_convert_matches_torch(case):
    assert _outcome(lambda: default_convert(_convert_inputs()[case])) == \
        _outcome(lambda: tud.default_convert(_convert_inputs()[case]))


# ----- datasets against torch ---------------------------------------------------------------

@requires_torch
def test_tensor_dataset_size_mismatch_matches_torch():
    ours = _outcome(lambda: TensorDataset(minitorch.zeros(3), minitorch.zeros(4)))
    assert ours == ("raises", "AssertionError", "Size mismatch between tensors")
    assert ours == _outcome(lambda: tud.TensorDataset(torch.zeros(3), torch.zeros(4)))


@requires_torch
def test_concat_dataset_indexing_matches_torch():
    parts = [list(range(3)), list(range(10, 12)), [], list(range(20, 24))]
    ours, theirs = ConcatDataset(parts), tud.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 9
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-10, 10):
        assert _outcome(lambda: ours[i]) == _outcome(lambda: theirs[i])
    assert _outcome(lambda: ConcatDataset([])) == _outcome(lambda: tud.ConcatDataset([]))
    assert _outcome(lambda: ConcatDataset([_Count(2)])) == \
        _outcome(lambda: tud.ConcatDataset([_TorchCount(2)]))
    assert _plain((Dataset.__add__(ConcatDataset(parts), [7]))[9]) == 7


@requires_torch
@pytest.mark.parametrize("n, lengths", [(10, [0.7, 0.3]), (7, [0.33, 0.33, 0.34]), (5, [0.5, 0.5]),
                                        (10, [3, 7]), (3, [0.1, 0.9]), (10, [4, 4]), (10, [1.2, -0.2]),
                                        (0, [0.5, 0.5])])
def test_random_split_lengths_and_errors_match_torch(n, lengths):
    def run(split):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Length of split at index 0 is 0", checked below
            return [len(part) for part in split(list(range(n)), lengths)]
    assert _outcome(lambda: run(random_split)) == _outcome(lambda: run(tud.random_split))


def test_random_split_partitions_the_dataset_reproducibly():
    parts = random_split(range(10), [0.5, 0.3, 0.2], generator=minitorch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [5, 3, 2]
    assert sorted(i for p in parts for i in p) == list(range(10))
    again = random_split(range(10), [0.5, 0.3, 0.2], generator=minitorch.Generator().manual_seed(1))
    assert [list(p) for p in parts] == [list(p) for p in again]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(1), [0.5, 0.5])


@requires_torch
def test_subset_stack_and_chain_datasets_match_torch():
    base = list(range(10, 20))
    assert _plain(Subset(base, [3, 1, -1])[2]) == _plain(tud.Subset(base, [3, 1, -1])[2])
    assert Subset(base, [3, 1]).__getitems__([1, 0]) == tud.Subset(base, [3, 1]).__getitems__([1, 0])
    ours, theirs = StackDataset(a=base, b=base[::-1]), tud.StackDataset(a=base, b=base[::-1])
    assert ours[2] == theirs[2] and len(ours) == len(theirs)
    assert _outcome(lambda: StackDataset(base, [1])) == _outcome(lambda: tud.StackDataset(base, [1]))
    assert _outcome(lambda: StackDataset()) == _outcome(lambda: tud.StackDataset())
    assert list(_Count(2) + _Count(3)) == list(_TorchCount(2) + _TorchCount(3)) == [0, 1, 0, 1, 2]
    assert len(ChainDataset([_Count(2), _Count(3)])) == 5
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]


# ----- samplers -----------------------------------------------------------------------------

def _sampler_calls(lib):
    d = lib.utils.data
    return {
        "RandomSampler replacement": lambda: d.RandomSampler(range(3), replacement=1),
        "RandomSampler num_samples=0": lambda: d.RandomSampler(range(3), num_samples=0),
        "RandomSampler num_samples=2.0": lambda: d.RandomSampler(range(3), num_samples=2.0),
        "BatchSampler batch_size=True": lambda: d.BatchSampler(range(3), True, False),
        "BatchSampler drop_last=1": lambda: d.BatchSampler(range(3), 2, 1),
        "Weighted num_samples=0": lambda: d.WeightedRandomSampler([1.0], 0),
        "Weighted replacement=None": lambda: d.WeightedRandomSampler([1.0], 1, replacement=None),
        "Weighted 2-d": lambda: d.WeightedRandomSampler([[1.0]], 1),
        "Weighted too many": lambda: list(d.WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
        "batches": lambda: list(d.BatchSampler(range(10), 4, False)),
        "batches drop_last": lambda: list(d.BatchSampler(range(10), 4, True)),
        "len batches": lambda: [len(d.BatchSampler(range(10), 4, b)) for b in (False, True)],
        "sequential": lambda: list(d.SequentialSampler(range(4))),
        "len random with num_samples": lambda: len(d.RandomSampler(range(4), True, 9)),
        "base sampler iter": lambda: iter(d.Sampler()),
    }


@requires_torch
@pytest.mark.parametrize("case", list(_sampler_calls(minitorch)))
def test_samplers_match_torch(case):
    assert _outcome(_sampler_calls(minitorch)[case]) == _outcome(_sampler_calls(torch)[case])


def test_random_samplers_cover_their_indices():
    g = minitorch.Generator().manual_seed(0)
    assert sorted(RandomSampler(range(10), generator=g)) == list(range(10))
    drawn = list(RandomSampler(range(10), num_samples=25, generator=g))
    assert len(drawn) == 25 and sorted(drawn[:20]) == sorted(list(range(10)) * 2)
    with_replacement = list(RandomSampler(range(3), replacement=True, num_samples=70, generator=g))
    assert len(with_replacement) == 70 and set(with_replacement) == {0, 1, 2}
    assert sorted(SubsetRandomSampler([5, 7, 9], generator=g)) == [5, 7, 9]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50, generator=g))
    assert set(weighted) == {1, 3}
    assert sorted(WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False, generator=g)) == [0, 1, 2]


# ----- shuffling ---------------------------------------------------------------------------

def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    loader = DataLoader(_data(minitorch, 50), batch_size=8, shuffle=True)
    epochs = [[i for _, y in loader for i in y.tolist()] for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(50))
    assert epochs[0] != epochs[1] != epochs[2]


def test_shuffle_order_is_reproducible_from_the_seed():
    def order(**kwargs):
        return [y.tolist() for _, y in DataLoader(_data(minitorch, 30), batch_size=7, shuffle=True, **kwargs)]
    assert order(generator=minitorch.Generator().manual_seed(3)) == \
        order(generator=minitorch.Generator().manual_seed(3))
    assert order(generator=minitorch.Generator().manual_seed(3)) != \
        order(generator=minitorch.Generator().manual_seed(4))
    minitorch.manual_seed(5)
    first = order()
    minitorch.manual_seed(5)
    assert order() == first


# ----- the TensorDataset fast path -----------------------------------------------------------

def _per_sample(batch):
    """default_collate behind a different function: forces the per-sample path."""
    return default_collate(batch)


def _mixed_tensors(n=23):
    g = minitorch.Generator().manual_seed(0)
    return TensorDataset(minitorch.randn(n, 4, generator=g), minitorch.arange(n),
                         minitorch.randn(n, 2, 3, generator=g).double(), minitorch.arange(n) % 2 == 0)


@pytest.mark.parametrize("kwargs", [dict(batch_size=5), dict(batch_size=5, drop_last=True),
                                    dict(batch_size=1), dict(batch_size=4, shuffle=True)])
def test_tensor_dataset_fast_path_gives_the_per_sample_batches(kwargs):
    data = _mixed_tensors()

    def batches(**extra):
        gen = minitorch.Generator().manual_seed(7)
        return [_plain(b) for b in DataLoader(data, generator=gen, **kwargs, **extra)]
    assert batches() == batches(collate_fn=_per_sample)


def test_fast_path_gathers_without_per_sample_getitem(monkeypatch):
    data = _mixed_tensors()
    expected = [_plain(b) for b in DataLoader(data, batch_size=6, collate_fn=_per_sample)]

    def no_per_sample_calls(self, index):
        raise AssertionError("per-sample __getitem__ called")
    monkeypatch.setattr(TensorDataset, "__getitem__", no_per_sample_calls)
    assert [_plain(b) for b in DataLoader(data, batch_size=6)] == expected
    train, _ = random_split(data, [0.6, 0.4], generator=minitorch.Generator().manual_seed(0))
    assert len([_plain(b) for b in DataLoader(train, batch_size=6)]) == 3


def test_subset_and_odd_indices_take_the_path_that_gives_the_same_batch():
    data = _mixed_tensors()
    subset = Subset(Subset(data, list(range(20, 2, -1))), [0, 5, -1, 3, 7, 2, 11])
    assert [_plain(b) for b in DataLoader(subset, batch_size=3)] == \
        [_plain(b) for b in DataLoader(subset, batch_size=3, collate_fn=_per_sample)]

    class NumpyIndices(Sampler):
        def __iter__(self):
            return iter([np.int64(i) for i in (4, 0, 22)])

        def __len__(self):
            return 3
    assert [_plain(b) for b in DataLoader(data, batch_size=2, sampler=NumpyIndices())] == \
        [_plain(b) for b in DataLoader(data, batch_size=2, sampler=NumpyIndices(), collate_fn=_per_sample)]
    for odd in ([[True, 1]], [[2 ** 70]]):
        assert _outcome(lambda: list(DataLoader(data, batch_sampler=odd))) == \
            _outcome(lambda: list(DataLoader(data, batch_sampler=odd, collate_fn=_per_sample)))
    for collate_fn in (None, _per_sample):
        with pytest.raises(IndexError, match="index 23 is out of bounds for dimension 0 with size 23"):
            list(DataLoader(data, batch_sampler=[[1, 23]], collate_fn=collate_fn))


# ----- worker processes -----------------------------------------------------------------------

class _Squares(Dataset):
    """Sample i: (i, i*i as a float tensor); index `bad` raises ValueError, `missing` a KeyError."""

    def __init__(self, n, bad=None, missing=None):
        self.n, self.bad, self.missing = n, bad, missing

    def __getitem__(self, i):
        if i == self.bad:
            raise ValueError(f"sample {i} is corrupt")
        if i == self.missing:
            return {}["label"]
        return i, minitorch.tensor([float(i * i)])

    def __len__(self):
        return self.n


class _WhoLoads(Dataset):
    """Sample i: (i, worker id, worker seed, what worker_init_fn stored, pid)."""

    def __getitem__(self, i):
        info = get_worker_info()
        return i, info.id, info.seed, _INIT_MARK, os.getpid()

    def __len__(self):
        return 8


_INIT_MARK = -1


def _mark_worker(worker_id):
    global _INIT_MARK
    _INIT_MARK = 100 + worker_id


def _no_workers_left():
    return multiprocessing.active_children() == []


def test_workers_give_the_same_batches_as_the_main_process():
    data = _Squares(11)
    for kwargs in (dict(batch_size=3), dict(batch_size=2, shuffle=True, drop_last=True)):
        def batches(**workers):
            gen = minitorch.Generator().manual_seed(11)
            return [_plain(b) for b in DataLoader(data, generator=gen, **kwargs, **workers)]
        assert batches(num_workers=2) == batches()
        assert _no_workers_left()
    assert [_plain(b) for b in DataLoader(_mixed_tensors(), batch_size=4, num_workers=2)] == \
        [_plain(b) for b in DataLoader(_mixed_tensors(), batch_size=4)]


def test_worker_exception_is_reraised_with_the_worker_traceback():
    with pytest.raises(ValueError) as info:
        for _ in DataLoader(_Squares(8, bad=5), batch_size=2, num_workers=2):
            pass
    message = str(info.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback")
    assert "in __getitem__" in message and "ValueError: sample 5 is corrupt" in message
    assert _no_workers_left()
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 1"):
        list(DataLoader(_Squares(8, missing=3), batch_size=2, num_workers=2))


def test_worker_exception_ends_the_epoch_and_stops_the_workers():
    it = iter(DataLoader(_Squares(8, bad=2), batch_size=1, num_workers=2))
    assert next(it)[0].tolist() == [0] and next(it)[0].tolist() == [1]
    with pytest.raises(ValueError, match="sample 2 is corrupt"):
        next(it)
    assert _no_workers_left()
    with pytest.raises(StopIteration):
        next(it)
    persistent = DataLoader(_Squares(4, bad=3), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):  # the next epoch starts fresh workers
        with pytest.raises(ValueError):
            list(persistent)
    assert _no_workers_left()


def test_worker_init_fn_runs_once_in_each_seeded_worker():
    assert get_worker_info() is None
    gen = minitorch.Generator().manual_seed(0)
    rows = [row for batch in DataLoader(_WhoLoads(), batch_size=2, num_workers=2,
                                        worker_init_fn=_mark_worker, generator=gen)
            for row in zip(*(t.tolist() for t in batch))]
    assert [row[0] for row in rows] == list(range(8))
    by_worker = {worker: (seed, mark) for _, worker, seed, mark, _ in rows}
    assert set(by_worker) == {0, 1}
    assert by_worker[0][1] == 100 and by_worker[1][1] == 101
    assert by_worker[1][0] == by_worker[0][0] + 1  # seed = base_seed + worker_id
    assert len({pid for *_, pid in rows}) == 2 and os.getpid() not in {pid for *_, pid in rows}
    assert _INIT_MARK == -1  # ran in the workers, not here


def test_workers_stop_when_the_iterator_is_dropped_early():
    it = iter(DataLoader(_Squares(40), batch_size=2, num_workers=2))
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    assert _no_workers_left()


def test_persistent_workers_serve_every_epoch():
    loader = DataLoader(_WhoLoads(), batch_size=4, num_workers=2, persistent_workers=True)
    pids = []
    for _ in range(2):
        first = next(iter(loader))  # an unfinished epoch
        pids.append({pid for pid in first[4].tolist()})
        epoch = [i for batch in loader for i in batch[0].tolist()]
        assert epoch == list(range(8))
    assert pids[0] == pids[1]
    assert len(multiprocessing.active_children()) == 2
    del loader, first
    assert _no_workers_left()


def test_iterable_dataset_with_workers_interleaves_their_shares():
    loader = DataLoader(_Count(9), batch_size=2, num_workers=2)
    got = sorted(i for batch in loader for i in batch.tolist())
    assert got == list(range(9))
    assert _no_workers_left()


class _Slow(Dataset):
    def __getitem__(self, i):
        time.sleep(1.0)
        return i

    def __len__(self):
        return 2


def test_timeout_raises_when_a_worker_is_too_slow():
    it = iter(DataLoader(_Slow(), num_workers=1, timeout=0.1))
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.1 seconds"):
        next(it)
    assert _no_workers_left()


@requires_torch
def test_worker_numpy_seed_matches_torch():
    from torch.utils.data._utils.worker import _generate_state
    from minitorch.utils.data._worker import _numpy_seed
    for base_seed, worker_id in [(0, 0), (12345, 1), (2 ** 63 - 5, 3), (987654321987, 7)]:
        assert _numpy_seed(base_seed, worker_id) == _generate_state(base_seed, worker_id)
