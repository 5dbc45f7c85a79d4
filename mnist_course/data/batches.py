"""``TensorBatches``: shuffled mini-batches from a split kept as one tensor (lesson 2, appendix A1)."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from ..env import check_seed
from . import MNIST_MEAN, MNIST_STD, to_float_images


class TensorBatches:
    """Shuffled mini-batches by indexing one normalised tensor on the device (lesson 2).

    Args:
        images: uint8 ``(N, 28, 28)`` from :func:`~mnist_course.data.load_mnist`.
        labels: int64 ``(N,)``.
        batch_size: images per batch.
        shuffle: draw a new random order every epoch.
        drop_last: skip the last batch if it is smaller than ``batch_size``.
        device: where to keep the tensors.
        seed: seed of the shuffling, so that runs repeat exactly.
        subset: use only the first ``subset`` images.
        mean: normalisation mean.
        std: normalisation standard deviation.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 64, shuffle: bool = True,
                 drop_last: bool = True, device: str | torch.device = "cpu", seed: int | None = 0,
                 subset: int | None = None, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if subset is not None:
            if subset < 1:
                raise ValueError(f"subset must be at least 1, not {subset}")
            images, labels = images[:subset], labels[:subset]
        self.images = to_float_images(images.to(device), mean, std)  # (N, 1, 28, 28)
        self.labels = labels.to(device).long()  # (N,)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.generator = torch.Generator()
        if seed is not None:
            self.generator.manual_seed(check_seed(seed))

    def __len__(self) -> int:
        n, b = len(self.labels), self.batch_size
        return n // b if self.drop_last else (n + b - 1) // b

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        order = (torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n))
        order = order.to(self.labels.device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.images[index], self.labels[index]
