"""Training: lesson 3's loop, moved here unchanged, and :func:`fit`, which runs it for the later lessons.

What ``fit`` adds to lesson 3's loop, and why:

* batches from :class:`~.data.batches.TensorBatches` (appendix A1: far faster than a ``DataLoader``);
* the optimizer by name (:func:`make_optimizer`), augmentation and deskewing (lesson 4);
* a progress bar, a ``callback`` and a ``cancel`` event, so the dashboard draws curves live and stops at once;
* random numbers from ``seed`` inside ``torch.random.fork_rng``: a run repeats and leaves yours alone;
* a NaN or infinite loss raises :class:`DivergedError` instead of training on.
"""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .augment import augment_batch, augment_names
from .data import MNIST_MEAN, MNIST_STD
from .data.batches import TensorBatches
from .evaluation import _model_device, _prepared, eval_logits, evaluate, predict_labels, test_model
from .history import History, Progress

__all__ = ["OPTIMIZERS", "DivergedError", "History", "Progress", "make_optimizer", "train_one_epoch",
           "test_model", "evaluate", "predict_labels", "eval_logits", "fit"]

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}  # name -> class


class DivergedError(ValueError):
    """The training loss became NaN or infinite (usually: the learning rate is too high)."""


def make_optimizer(name: str, parameters, lr: float, momentum: float = 0.0,
                   weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """Create the optimizer named ``name`` (lessons 3 and 4); the one place its settings are checked.

    Args:
        name: ``"sgd"``, ``"adam"`` or ``"adamw"``.
        parameters: ``model.parameters()``.
        lr: learning rate, a positive finite number.
        momentum: SGD momentum in [0, 1) (ignored by Adam and AdamW).
        weight_decay: L2 penalty for SGD and Adam, decoupled decay for AdamW; 0 or more.

    Returns:
        The optimizer, using PyTorch's fastest implementation for these parameters.
    """
    name = str(name).lower()
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {name!r}")
    checks = (("learning rate", lr, "a finite number above 0", lambda v: v > 0),
              ("momentum", momentum, "a finite number in [0, 1)", lambda v: 0 <= v < 1),
              ("weight decay", weight_decay, "a finite number, 0 or more", lambda v: v >= 0))
    for what, value, wanted, ok in checks:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
                or not ok(value):
            raise ValueError(f"{what} must be {wanted}, not {value!r}")
    options = {"lr": lr, "weight_decay": weight_decay, **({"momentum": momentum} if name == "sgd" else {})}
    cls, parameters = OPTIMIZERS[name], list(parameters)
    try:  # fused kernels update all parameters at once; not every build has them
        return cls(parameters, fused=True, **options)
    except (RuntimeError, TypeError, ValueError):
        return cls(parameters, foreach=True, **options)


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()  # dropout on
    total_loss, correct, count = 0.0, 0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)  # (64, 1, 28, 28), (64,)
        logits = model(images)  # (64, 10)
        loss = loss_fn(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(labels)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        count += len(labels)
    return total_loss / count, correct / count  # average loss, accuracy


class _Steps:
    """What fit adds around lesson 3's loop: as ``loss_fn`` it sums the epoch's loss and right answers;
    ``epoch()`` yields the (augmented) batches and, between them, checks the loss, updates the bar,
    calls the callback and honours ``cancel``.
    """

    def __init__(self, batches, augment, bar, callback, every, cancel, history, model, seed):
        self.batches, self.augment, self.bar, self.callback = batches, augment, bar, callback
        self.every, self.cancel, self.history, self.model = every, cancel, history, model
        self.generator, self.cancelled = torch.Generator().manual_seed(seed), False
        self.start, self.seen = time.perf_counter(), 0

    def __call__(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self.loss = F.cross_entropy(logits, labels)
        self.loss_sum += self.loss.detach() * len(labels)
        self.correct += (logits.argmax(dim=1) == labels).sum()
        return self.loss

    def progress(self, epoch: int, batch: int, test: tuple | None = None) -> Progress:
        elapsed = time.perf_counter() - self.start
        count = batch * self.batches.batch_size
        return Progress(epoch, batch, len(self.batches), self.loss_sum.item() / count,
                        self.correct.item() / count, *(test or (None, None)), elapsed,
                        self.seen / elapsed, test is not None, self.history, self.model)

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.loss_sum = torch.zeros((), device=self.batches.labels.device)
        self.correct = torch.zeros((), dtype=torch.long, device=self.batches.labels.device)
        for batch, (images, labels) in enumerate(self.batches, start=1):
            yield (augment_batch(images, self.augment, self.generator) if self.augment else images), labels
            if not math.isfinite(self.loss.item()):
                raise DivergedError(f"training diverged: the loss became {self.loss.item()} in batch {batch} "
                                    f"of epoch {epoch}. Lower the learning rate (it is "
                                    f"{self.history.settings['lr']:g}) and train again.")
            self.seen += len(labels)
            self.bar.update()
            if self.callback and self.every and batch % self.every == 0 and batch < len(self.batches):
                self.callback(self.progress(epoch, batch))
            if self.cancel is not None and self.cancel.is_set():
                self.cancelled = True
                return


def fit(model: nn.Module, train: Sequence[torch.Tensor], test: Sequence[torch.Tensor] | None = None, *,
        epochs: int = 1, optimizer: str | torch.optim.Optimizer = "sgd", lr: float = 0.1,
        momentum: float = 0.0, weight_decay: float = 0.0, batch_size: int = 64,
        device: str | torch.device | None = None,
        seed: int = 0, subset: int | None = None, augment: bool | Sequence[str] = False,
        progress: bool = True, callback: Callable[[Progress], None] | None = None,
        callback_every: int | None = None, cancel: threading.Event | None = None,
        log_dir: str | None = None) -> History:
    """Train ``model`` with lesson 3's loop for ``epochs`` epochs; record each epoch's metrics.

    Args:
        model: the network, moved to ``device`` and trained in place; uint8 images are normalised
            (and deskewed) as ``model.recipe`` says.
        train, test: ``(uint8 images (N, 28, 28), int64 labels)``; ``test`` (or ``None``) is
            evaluated after every epoch.
        epochs: passes over the training data, at least 1.
        optimizer: an optimizer you built on ``model.parameters()`` (``torch.optim.Adam(...)``), or a
            name for :func:`make_optimizer` with ``lr``, ``momentum`` and ``weight_decay``.
        batch_size: images per step; the last incomplete batch is dropped.
        device: where to train; default: the model's current device.
        seed: seeds the shuffling, dropout and augmentation (your own RNG is left as it was).
        subset: train on only the first ``subset`` training images.
        augment: ``True``, names from :mod:`~mnist_course.augment`, or ``False``.
        progress: show a ``tqdm`` progress bar.
        callback: called with a :class:`Progress` after every epoch (and every ``callback_every`` batches).
        cancel: once set, training stops after the current batch (``History.cancelled``).
        log_dir: write TensorBoard scalars there (needs ``tensorboard``).

    Returns:
        A :class:`History` with one entry per finished epoch.

    Raises:
        DivergedError: the loss became NaN or infinite.
    """
    from tqdm.auto import tqdm

    from .evaluation import recipe_images  # deskews uint8 images when the model's recipe says so

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number, 1 or more, not {epochs!r}")
    device = torch.device(device) if device is not None else _model_device(model)
    recipe, augment = getattr(model, "recipe", None) or {}, augment_names(augment)
    batches = TensorBatches(recipe_images(model, train[0]), train[1], batch_size=batch_size, device=device,
                            seed=seed, subset=subset, mean=recipe.get("mean", MNIST_MEAN),
                            std=recipe.get("std", MNIST_STD))
    if len(batches) == 0:
        raise ValueError(f"batch_size {batch_size} is larger than the {len(batches.labels)} training images")
    model.to(device)
    if isinstance(optimizer, torch.optim.Optimizer):
        opt = optimizer
        group = opt.param_groups[0]
        optimizer, lr = type(opt).__name__.lower(), group["lr"]
        momentum, weight_decay = group.get("momentum", 0.0), group.get("weight_decay", 0.0)
    else:
        opt = make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
    history = History(settings={
        "model": type(model).__name__, **getattr(model, "config", {}), "epochs": epochs,
        "optimizer": optimizer, "lr": lr, "momentum": momentum, "weight_decay": weight_decay,
        "batch_size": batch_size, "subset": subset, "augment": augment, "seed": seed,
        "device": device.type, "train_images": len(batches.labels)})
    writer = _tensorboard_writer(log_dir)
    bar = tqdm(total=epochs * len(batches), disable=not progress, unit="batch", leave=False)
    steps = _Steps(batches, augment, bar, callback, callback_every, cancel, history, model, seed)
    test_images = None if test is None else _prepared(model, test[0], None, None)
    forked = [device] if device.type != "cpu" else []
    try:
        with torch.random.fork_rng(devices=forked, device_type=device.type if forked else "cuda"):
            torch.manual_seed(seed)  # dropout; the shuffling and augmentation have their own generators
            for epoch in range(1, epochs + 1):
                if cancel is not None and cancel.is_set():
                    history.cancelled = True
                    break
                train_loss, train_accuracy = train_one_epoch(model, steps.epoch(epoch), steps, opt, device)
                if steps.cancelled:
                    history.cancelled = True
                    break
                test_numbers = (math.nan, math.nan) if test is None else evaluate(model, test_images, test[1])
                seconds = time.perf_counter() - steps.start
                history.append(epoch, train_loss, train_accuracy, *test_numbers, seconds)
                if writer is not None:
                    writer.add_scalars("loss", {"train": train_loss, "test": test_numbers[0]}, epoch)
                    writer.add_scalars("accuracy", {"train": train_accuracy, "test": test_numbers[1]}, epoch)
                if callback is not None:
                    callback(steps.progress(epoch, len(batches), test_numbers))
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    return history


def _tensorboard_writer(log_dir):
    if log_dir is None:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        raise ImportError("TensorBoard logging needs tensorboard: pip install tensorboard") from exc
    return SummaryWriter(str(log_dir))
