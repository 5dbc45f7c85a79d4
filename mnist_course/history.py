"""What a training run records (:class:`History`) and reports (:class:`Progress`), and fit's callbacks.

:class:`Callback` names the moments ``fit`` offers (after a step, after an epoch, at the end);
:class:`Run` is what it tells them. The course's own callbacks: :class:`ProgressBar`,
:class:`StopWhen` (a Stop button), :class:`Report` (live curves) and :class:`TensorBoardLog`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields

import torch
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
        values = (epoch, train_loss, train_accuracy, test_loss, test_accuracy, seconds)
        for column, value in zip(fields(self)[:6], values, strict=True):  # epoch ... seconds
            getattr(self, column.name).append(value)

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


class Callback:
    """A named extension point of :func:`~mnist_course.training.fit` (lesson 4 writes one).

    ``fit`` calls :meth:`on_batch` after every training step and :meth:`on_epoch` after every
    epoch (with the test numbers); either may return ``True`` to stop training. A plain function
    given to ``fit(callbacks=[...])`` is called like :meth:`on_epoch`.
    """

    def on_batch(self, run: Run) -> bool | None:
        """After one step: ``run.loss`` is the batch's loss."""

    def on_epoch(self, run: Run) -> bool | None:
        """After one epoch: ``run.progress()`` has its train and test numbers."""

    def on_end(self, run: Run) -> None:
        """When training ends, however it ends (close files and bars here)."""


class Run:
    """What ``fit`` tells its callbacks: where training is, the batch's loss, the epoch's tallies."""

    def __init__(self, history: History, model: nn.Module, batches_per_epoch: int, batch_size: int,
                 callbacks: list) -> None:
        self.history, self.model, self.batches_per_epoch = history, model, batches_per_epoch
        self.batch_size, self.callbacks, self.start = batch_size, callbacks, time.perf_counter()
        self.epoch = self.batch = self.seen = 0
        self.loss, self.test = math.nan, None

    def after_batch(self, epoch: int, loss: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> bool:
        """Tally one step and ask the callbacks; True when one asks to stop."""
        if epoch != self.epoch:
            self.epoch, self.batch, self.test = epoch, 0, None
            self.loss_sum, self.correct = torch.zeros(2, device=loss.device).unbind()
        self.batch, self.seen, self.loss = self.batch + 1, self.seen + len(labels), loss.item()
        self.loss_sum += loss.detach() * len(labels)
        self.correct += (logits.argmax(dim=1) == labels).sum()
        return self._ask("on_batch")

    def after_epoch(self, test_loss: float, test_accuracy: float) -> bool:
        """Record the finished epoch in the history and ask the callbacks; True when one asks to stop."""
        self.test = (test_loss, test_accuracy)
        p = self.progress()
        self.history.append(self.epoch, p.train_loss, p.train_accuracy, test_loss, test_accuracy, p.seconds)
        return self._ask("on_epoch")

    def progress(self) -> Progress:
        """The numbers so far, as a :class:`Progress`."""
        elapsed, count = time.perf_counter() - self.start, self.batch * self.batch_size
        return Progress(self.epoch, self.batch, self.batches_per_epoch, self.loss_sum.item() / count,
                        self.correct.item() / count, *(self.test or (None, None)), elapsed,
                        self.seen / elapsed, self.test is not None, self.history, self.model)

    def _ask(self, moment: str) -> bool:
        stop = False
        for callback in self.callbacks:
            if isinstance(callback, Callback):
                stop = bool(getattr(callback, moment)(self)) or stop
            elif moment == "on_epoch":
                stop = bool(callback(self.progress())) or stop
        self.history.cancelled = self.history.cancelled or stop
        return stop

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        for callback in self.callbacks:
            if isinstance(callback, Callback):
                callback.on_end(self)


class ProgressBar(Callback):
    """A ``tqdm`` progress bar over all the batches of a run."""

    def __init__(self, total: int) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, unit="batch", leave=False)

    def on_batch(self, run: Run) -> None:
        self.bar.update()

    def on_end(self, run: Run) -> None:
        self.bar.close()


class StopWhen(Callback):
    """Stops training after the current batch once ``event`` is set (the dashboard's Stop button)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_batch(self, run: Run) -> bool:
        return self.event.is_set()

    on_epoch = on_batch


class Report(Callback):
    """Calls ``function`` with a :class:`Progress` every ``every`` batches and after every epoch."""

    def __init__(self, function: Callable[[Progress], object], every: int | None = None) -> None:
        self.function, self.every = function, every

    def on_batch(self, run: Run) -> None:
        if self.every and run.batch % self.every == 0 and run.batch < run.batches_per_epoch:
            self.function(run.progress())

    def on_epoch(self, run: Run) -> None:
        self.function(run.progress())


class TensorBoardLog(Callback):
    """Writes each epoch's loss and accuracy for TensorBoard into ``log_dir`` (needs ``tensorboard``)."""

    def __init__(self, log_dir: str) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise ImportError("TensorBoard logging needs tensorboard: pip install tensorboard") from exc
        self.writer = SummaryWriter(str(log_dir))

    def on_epoch(self, run: Run) -> None:
        p = run.progress()
        self.writer.add_scalars("loss", {"train": p.train_loss, "test": p.test_loss}, run.epoch)
        self.writer.add_scalars("accuracy", {"train": p.train_accuracy, "test": p.test_accuracy}, run.epoch)

    def on_end(self, run: Run) -> None:
        self.writer.close()
