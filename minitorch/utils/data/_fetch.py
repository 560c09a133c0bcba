"""Fetchers: turn what the sampler yields into a batch (shared by the main process and
the worker processes).

A map-style fetcher looks every index up and collates the samples.  One case is
special-cased for speed: a ``TensorDataset`` (possibly behind ``Subset``s, as
``random_split`` makes) with ``default_collate``.  There the per-sample path would
build ``batch_size`` tuples of views and stack them; the fast path gathers each
tensor with one indexed copy, ``t[index_tensor]``, which gives the same batch.
"""
from __future__ import annotations

import numpy as np

from ..._creation import from_numpy
from ...tensor import Tensor
from ._collate import default_collate
from .dataset import Subset, TensorDataset


class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        if kind == _DatasetKind.Map:
            return _MapDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
        return _IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)


class _IterableDatasetFetcher:
    """Takes the next sample (or the next ``len(batch_index)`` samples) from the dataset's
    iterator; raises StopIteration when it is exhausted."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


class _MapDatasetFetcher:
    """``collate_fn([dataset[i] for i in batch_index])``, or one batch call through the
    dataset's ``__getitems__`` when it has one."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self._gather = None
        if auto_collation and collate_fn is default_collate:
            # A dataset may offer its own whole-batch path (MNIST with a batchable
            # transform does): `_gather_batch(indices)` returns the default-collated
            # batch, or None to take the per-sample path.
            self._gather = _TensorGather.of(dataset) or getattr(dataset, "_gather_batch", None)

    def fetch(self, possibly_batched_index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        if self._gather is not None:
            batch = self._gather(possibly_batched_index)
            if batch is not None:
                return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems:
            data = getitems(possibly_batched_index)
        else:
            data = [self.dataset[idx] for idx in possibly_batched_index]
        return self.collate_fn(data)


class _TensorGather:
    """The fast path: a batch of a TensorDataset, behind zero or more Subsets, gathered
    with one ``t[index_tensor]`` per tensor.  Same result as default_collate of the samples."""

    def __init__(self, subset_chain: list[Subset], tensors: tuple[Tensor, ...]) -> None:
        self.subset_chain = subset_chain  # outermost first
        self.tensors = tensors

    @staticmethod
    def of(dataset) -> "_TensorGather | None":
        """A gatherer for ``dataset``, or None when it is not a plain TensorDataset (subclasses
        that change how samples are fetched take the per-sample path)."""
        chain = []
        while (isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__
               and type(dataset).__getitems__ is Subset.__getitems__):
            chain.append(dataset)
            dataset = dataset.dataset
        if not (isinstance(dataset, TensorDataset)
                and type(dataset).__getitem__ is TensorDataset.__getitem__
                and getattr(dataset, "__getitems__", None) is None):
            return None
        tensors = dataset.tensors
        if not tensors or not all(isinstance(t, Tensor) and t.dim() > 0 for t in tensors):
            return None
        return _TensorGather(chain, tensors)

    def __call__(self, indices) -> list[Tensor] | None:
        """The batch as default_collate would give it (a list, one tensor per dataset
        tensor), or None when the indices are not a non-empty list of integers (the
        per-sample path then decides what they mean, or how to fail)."""
        for subset in self.subset_chain:
            indices = [subset.indices[i] for i in indices]
        if len(indices) == 0 or set(map(type, indices)) != {int}:  # bools are not ints here
            return None
        try:
            index = from_numpy(np.array(indices, dtype=np.int64))
        except OverflowError:
            return None
        return [t[index] for t in self.tensors]
