"""What a training run records (:class:`History`) and reports while it trains (:class:`Progress`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn


@dataclass
class History:
    """Per-epoch metrics of one ``fit`` run: train numbers averaged while training, test ones after."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    cancelled: bool = False

    def __len__(self) -> int:
        return len(self.epoch)

    def append(self, epoch: int, train_loss: float, train_accuracy: float,
               test_loss: float, test_accuracy: float, seconds: float) -> None:
        """Record the metrics of one finished epoch."""
        self.epoch.append(epoch)
        self.train_loss.append(train_loss)
        self.train_accuracy.append(train_accuracy)
        self.test_loss.append(test_loss)
        self.test_accuracy.append(test_accuracy)
        self.seconds.append(seconds)

    def best_epoch(self, metric: str = "test_accuracy") -> int:
        """The epoch (1-based) with the highest accuracy or lowest loss of ``metric``."""
        values = getattr(self, metric)
        if not values:
            raise ValueError("the history is empty: no epoch finished")
        pick = max if "accuracy" in metric else min
        return self.epoch[values.index(pick(values))]


@dataclass
class Progress:
    """What :func:`fit` tells its ``callback`` during training."""

    epoch: int  # the epoch in progress, 1-based
    batch: int  # batches done in this epoch
    batches_per_epoch: int
    train_loss: float  # average over this epoch's batches so far
    train_accuracy: float
    test_loss: float | None  # only at the end of an epoch
    test_accuracy: float | None
    seconds: float  # since fit started
    samples_per_second: float
    end_of_epoch: bool
    history: History
    model: nn.Module

    @property
    def epochs_done(self) -> float:
        """Fractional epochs done, e.g. 1.5 halfway through the second epoch."""
        return self.epoch - 1 + self.batch / self.batches_per_epoch
