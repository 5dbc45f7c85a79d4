"""Training and evaluation loops.

Lesson 2 writes the training loop by hand and lesson 3 writes it once more with
``model.train()``, ``model.eval()`` and ``torch.no_grad()``; from then on the lessons
call :func:`fit` and :func:`evaluate` from here. Lesson 4 teaches the optimizers,
weight decay and data augmentation that :func:`fit` offers.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .batches import TensorBatches
from .data import MNIST_MEAN, MNIST_STD, to_float_images

OPTIMIZERS = ("sgd", "adam", "adamw")


@dataclass
class History:
    """Per-epoch metrics of one :func:`fit` run.

    The train loss and accuracy of an epoch are averages over its batches, measured
    while training (so with dropout on); the test numbers come from :func:`evaluate`
    after the epoch.
    """

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
        """Return the epoch (1-based) with the highest accuracy or lowest loss."""
        values = getattr(self, metric)
        if not values:
            raise ValueError("the history is empty: no epoch finished")
        pick = max if "accuracy" in metric else min
        return self.epoch[values.index(pick(values))]

    def as_dict(self) -> dict:
        """Return the history as plain Python data (for JSON)."""
        return asdict(self)


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


def make_optimizer(
    name: str,
    parameters,
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """Create the optimizer named ``name`` (taught in lessons 3 and 4).

    Args:
        name: ``"sgd"``, ``"adam"`` or ``"adamw"``.
        parameters: ``model.parameters()``.
        lr: learning rate.
        momentum: SGD momentum (ignored by Adam and AdamW).
        weight_decay: L2 penalty for SGD and Adam, decoupled decay for AdamW.

    Returns:
        The optimizer, using PyTorch's fastest implementation for these parameters.
    """
    name = name.lower()
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {name!r}")
    if lr <= 0 or not math.isfinite(lr):
        raise ValueError(f"learning rate must be positive, not {lr}")
    parameters = list(parameters)
    options: dict = {"lr": lr, "weight_decay": weight_decay}
    if name == "sgd":
        options["momentum"] = momentum
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name]
    try:  # fused kernels update all parameters at once; not every build has them
        return cls(parameters, fused=True, **options)
    except (RuntimeError, TypeError, ValueError):
        return cls(parameters, foreach=True, **options)


def _as_float_images(images: torch.Tensor, device, mean: float, std: float) -> torch.Tensor:
    images = images.to(device)
    if images.dtype == torch.uint8:
        return to_float_images(images, mean, std)
    return images.float()


@torch.inference_mode()
def _logits(model: nn.Module, images: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Run ``model`` in eval mode without gradients, batch by batch; restore its mode."""
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])
    finally:
        model.train(was_training)


def _model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = 2000,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
) -> tuple[float, float]:
    """Measure the model's average cross-entropy loss and accuracy on a split.

    Runs in eval mode (dropout off) without tracking gradients, then restores the
    model's mode. Taught in lesson 3.

    Args:
        model: the network; the data is moved to its device.
        images: uint8 ``(N, 28, 28)`` (normalised here) or float ``(N, 1, 28, 28)``
            already normalised.
        labels: int64 ``(N,)``.
        batch_size: images per forward pass (only affects memory use).
        mean: normalisation mean for uint8 images.
        std: normalisation standard deviation for uint8 images.

    Returns:
        ``(loss, accuracy)`` as floats; accuracy is between 0 and 1.
    """
    device = _model_device(model)
    images = _as_float_images(images, device, mean, std)
    labels = labels.to(device)
    logits = _logits(model, images, batch_size)
    loss = F.cross_entropy(logits, labels).item()
    accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
    return loss, accuracy


def predict_labels(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = 2000,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
) -> torch.Tensor:
    """Return the model's predicted digit for each image, as an int64 CPU tensor ``(N,)``.

    Args:
        model: the network.
        images: uint8 ``(N, 28, 28)`` or normalised float ``(N, 1, 28, 28)``.
        batch_size: images per forward pass.
        mean: normalisation mean for uint8 images.
        std: normalisation standard deviation for uint8 images.
    """
    images = _as_float_images(images, _model_device(model), mean, std)
    return _logits(model, images, batch_size).argmax(dim=1).cpu()


def random_affine(
    images: torch.Tensor,
    max_shift: float = 2.0,
    max_degrees: float = 10.0,
    scale: tuple[float, float] = (0.9, 1.1),
    background: float = (0.0 - MNIST_MEAN) / MNIST_STD,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Shift, rotate and scale every image of a batch by its own small random amount.

    Data augmentation (lesson 4): the whole batch is transformed at once on its
    device with ``affine_grid`` + ``grid_sample``, with no per-image Python work.

    Args:
        images: float ``(N, 1, 28, 28)``.
        max_shift: largest shift in pixels, in x and in y.
        max_degrees: largest rotation in degrees, either way.
        scale: smallest and largest zoom factor.
        background: the pixel value of empty background (black after normalising).
        generator: a CPU generator for repeatable draws.

    Returns:
        A new float tensor ``(N, 1, 28, 28)``.
    """
    n = len(images)

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator).mul_(high - low).add_(low)

    angle = uniform(-max_degrees, max_degrees) * (math.pi / 180)
    zoom = uniform(*scale)
    shift = torch.stack([uniform(-max_shift, max_shift), uniform(-max_shift, max_shift)], dim=1)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack(
        [torch.stack([cos, -sin], dim=1), torch.stack([sin, cos], dim=1)], dim=1
    )  # (N, 2, 2): maps output coordinates to input coordinates
    theta = torch.cat([theta, (-shift * 2 / images.shape[-1]).unsqueeze(2)], dim=2)
    theta = theta.to(images.device, images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    moved = F.grid_sample(images - background, grid, align_corners=False, padding_mode="zeros")
    return moved + background


def _tensorboard_writer(log_dir):
    if log_dir is None:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        raise ImportError(
            "TensorBoard logging needs the tensorboard package: pip install tensorboard"
        ) from exc
    return SummaryWriter(str(log_dir))


def fit(
    model: nn.Module,
    train: Sequence[torch.Tensor],
    test: Sequence[torch.Tensor] | None = None,
    epochs: int = 1,
    optimizer: str = "sgd",
    lr: float = 0.1,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    batch_size: int = 64,
    device: str | torch.device | None = None,
    seed: int = 0,
    subset: int | None = None,
    augment: bool = False,
    progress: bool = True,
    callback: Callable[[Progress], None] | None = None,
    callback_every: int | None = None,
    cancel: threading.Event | None = None,
    log_dir: str | None = None,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
) -> History:
    """Train ``model`` with mini-batches and record the loss and accuracy of each epoch.

    The loop that lesson 3 writes by hand, with the optimizers of lesson 4. The whole
    training split lives on ``device`` as one tensor (:class:`~mnist_course.batches.TensorBatches`),
    and losses are summed on the device, so there is no per-image Python work and no
    waiting for the device inside an epoch.

    Args:
        model: the network to train (moved to ``device``, trained in place).
        train: ``(images, labels)`` of the training split, e.g. ``load_mnist("train")``.
        test: ``(images, labels)`` evaluated after every epoch, or ``None``.
        epochs: passes over the training data.
        optimizer: ``"sgd"``, ``"adam"`` or ``"adamw"`` (see :func:`make_optimizer`).
        lr: learning rate.
        momentum: SGD momentum.
        weight_decay: L2 penalty (SGD, Adam) or decoupled weight decay (AdamW).
        batch_size: images per step; the last incomplete batch is dropped.
        device: where to train; default: the model's current device.
        seed: seeds the shuffling, dropout and augmentation.
        subset: train on only the first ``subset`` training images.
        augment: apply :func:`random_affine` to every training batch.
        progress: show a ``tqdm`` progress bar.
        callback: called with a :class:`Progress` after every epoch, and every
            ``callback_every`` batches if that is set.
        callback_every: batches between extra callback calls inside an epoch.
        cancel: a ``threading.Event``; once it is set, training stops after the current
            batch and the history so far is returned with ``cancelled=True``.
        log_dir: write TensorBoard scalars there (needs ``tensorboard``).
        mean: normalisation mean.
        std: normalisation standard deviation.

    Returns:
        A :class:`History` with one entry per finished epoch.
    """
    from tqdm.auto import tqdm

    if epochs < 0:
        raise ValueError(f"epochs must be 0 or more, not {epochs}")
    device = torch.device(device) if device is not None else _model_device(model)
    torch.manual_seed(seed)
    model.to(device)
    batches = TensorBatches(*train[:2], batch_size=batch_size, device=device, seed=seed,
                            subset=subset, mean=mean, std=std)
    if len(batches) == 0:
        raise ValueError(f"batch_size {batch_size} is larger than the {len(batches.labels)} training images")
    if test is not None:
        test_images = _as_float_images(test[0], device, mean, std)
        test_labels = test[1].to(device)
    opt = make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
    generator = torch.Generator().manual_seed(seed)
    history = History(settings={
        "model": type(model).__name__, **getattr(model, "config", {}), "epochs": epochs,
        "optimizer": optimizer, "lr": lr, "momentum": momentum, "weight_decay": weight_decay,
        "batch_size": batch_size, "subset": subset, "augment": augment, "seed": seed,
        "device": device.type, "train_images": len(batches.labels),
    })
    writer = _tensorboard_writer(log_dir)
    bar = tqdm(total=epochs * len(batches), disable=not progress, unit="batch", leave=False)
    start = time.perf_counter()
    seen = 0
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device, dtype=torch.long)
            count = 0
            for batch, (images, labels) in enumerate(batches, start=1):
                if cancel is not None and cancel.is_set():
                    history.cancelled = True
                    return history
                if augment:
                    images = random_affine(images, generator=generator)
                logits = model(images)
                loss = F.cross_entropy(logits, labels)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += loss.detach() * len(labels)
                correct += (logits.argmax(dim=1) == labels).sum()
                count += len(labels)
                seen += len(labels)
                bar.update()
                last = batch == len(batches)
                if callback is not None and callback_every and batch % callback_every == 0 and not last:
                    elapsed = time.perf_counter() - start
                    callback(Progress(epoch, batch, len(batches), loss_sum.item() / count,
                                      correct.item() / count, None, None, elapsed,
                                      seen / elapsed, False, history, model))
            train_loss, train_accuracy = loss_sum.item() / count, correct.item() / count
            if test is not None:
                test_loss, test_accuracy = evaluate(model, test_images, test_labels)
            else:
                test_loss, test_accuracy = float("nan"), float("nan")
            elapsed = time.perf_counter() - start
            history.append(epoch, train_loss, train_accuracy, test_loss, test_accuracy, elapsed)
            if writer is not None:
                writer.add_scalars("loss", {"train": train_loss, "test": test_loss}, epoch)
                writer.add_scalars("accuracy", {"train": train_accuracy, "test": test_accuracy}, epoch)
            if callback is not None:
                callback(Progress(epoch, len(batches), len(batches), train_loss, train_accuracy,
                                  test_loss, test_accuracy, elapsed, seen / elapsed, True,
                                  history, model))
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    return history
