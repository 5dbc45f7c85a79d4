"""Tests of mnist_course.data.batches on the real MNIST test split."""

from __future__ import annotations

import pytest
import torch

from mnist_course.data.batches import TensorBatches


def test_tensor_batches_shapes_subset_and_drop_last(test_split):
    batches = TensorBatches(test_split.images, test_split.labels, batch_size=64, subset=1000)
    assert len(batches) == 1000 // 64
    shapes = {(tuple(x.shape), tuple(y.shape), x.dtype) for x, y in batches}
    assert shapes == {((64, 1, 28, 28), (64,), torch.float32)}
    keep_last = TensorBatches(test_split.images, test_split.labels, batch_size=64, subset=1000,
                              drop_last=False)
    assert [len(y) for _, y in keep_last][-1] == 1000 % 64


def test_tensor_batches_shuffle_is_seeded_and_covers_everything(test_split):
    def first_labels(seed):
        batches = TensorBatches(test_split.images, test_split.labels, batch_size=100, subset=500, seed=seed)
        return torch.cat([y for _, y in batches])

    assert torch.equal(first_labels(1), first_labels(1))
    assert not torch.equal(first_labels(1), first_labels(2))
    assert sorted(first_labels(1).tolist()) == sorted(test_split.labels[:500].tolist())


def test_tensor_batches_reject_bad_sizes(test_split):
    with pytest.raises(ValueError, match="batch_size"):
        TensorBatches(test_split.images, test_split.labels, batch_size=0)
    with pytest.raises(ValueError, match="subset"):
        TensorBatches(test_split.images, test_split.labels, subset=0)
