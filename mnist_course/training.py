"""Training: lesson 3's loop, moved here unchanged, and :func:`fit`, the same loop with extension points.

``fit`` is the loop lesson 3 writes, over epochs and batches, plus what the later lessons need, each
named where it happens:

* batches from :class:`~mnist_course.data.batches.TensorBatches` (appendix A1: far faster than a
  ``DataLoader``), prepared by the model's :class:`~mnist_course.recipe.Recipe`;
* an optimizer you build (``torch.optim.Adam(model.parameters(), lr=1e-3)``) or one by name;
* ``augment``: a transform applied to every batch (lesson 4);
* ``callbacks``: called after every step and every epoch (progress bar, stop button, logging,
  saving a checkpoint: see :class:`~mnist_course.history.Callback`); any may stop training;
* random numbers from ``seed`` (:func:`~mnist_course.env.seeded`): a run repeats and leaves yours alone;
* a loss that explodes or becomes NaN raises :class:`DivergedError` instead of training on.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .data.augment import augment_batch, augment_names
from .data.batches import TensorBatches
from .env import check_seed, seeded
from .evaluation import _model_device, eval_logits, evaluate, predict_labels, prepared, test_model
from .history import Callback, History, Progress, ProgressBar, Report, Run, StopWhen, TensorBoardLog
from .recipe import Recipe

__all__ = ["OPTIMIZERS", "DivergedError", "History", "Progress", "Callback", "make_optimizer",
           "train_one_epoch", "test_model", "evaluate", "predict_labels", "eval_logits", "fit",
           "ProgressBar", "StopWhen", "Report", "TensorBoardLog"]

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}  # name -> class
#: A batch loss above this means the weights have blown up (guessing scores log(10) = 2.3).
EXPLODED_LOSS = 1e3
#: Guessing reads 10% of digits; a trained model that reads under this has not learned (check_learned).
CHANCE_ACCURACY = 0.2


class DivergedError(ValueError):
    """The training loss exploded or became NaN (usually: the learning rate is too high)."""


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


def fit(model: nn.Module, train: Sequence[torch.Tensor], test: Sequence[torch.Tensor] | None = None, *,
        epochs: int = 1, optimizer: str | torch.optim.Optimizer = "sgd", lr: float = 0.1,
        momentum: float = 0.0, weight_decay: float = 0.0, batch_size: int = 64,
        device: str | torch.device | None = None, seed: int = 0, subset: int | None = None,
        augment: bool | Sequence[str] = False, callbacks: Sequence = (), progress: bool = True) -> History:
    """Train ``model`` with lesson 3's loop for ``epochs`` epochs; record each epoch's metrics.

    Args:
        model: the network, moved to ``device`` and trained in place.
        train, test: ``(uint8 images (N, 28, 28), int64 labels)``, prepared by the model's recipe;
            ``test`` (or ``None``) is evaluated after every epoch.
        epochs: passes over the training data, at least 1.
        optimizer: one you built on ``model.parameters()``, or a name for :func:`make_optimizer`
            with ``lr``, ``momentum`` and ``weight_decay``.
        batch_size: images per step; the last incomplete batch is dropped.
        seed: seeds the shuffling, dropout and augmentation.
        subset: train on only the first ``subset`` training images.
        augment: ``True``, names from :mod:`~mnist_course.data.augment`, or ``False``.
        callbacks: :class:`Callback` objects, or functions called with a :class:`Progress` after
            every epoch; any that returns ``True`` stops training (``History.cancelled``).
        progress: show a ``tqdm`` progress bar.

    Raises:
        DivergedError: the loss exploded or became NaN.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number, 1 or more, not {epochs!r}")
    seed = check_seed(seed)
    device, recipe = torch.device(device) if device is not None else _model_device(model), Recipe.of(model)
    loader = TensorBatches(recipe.straighten(train[0]), train[1], batch_size=batch_size, device=device,
                           seed=seed, subset=subset, mean=recipe.mean, std=recipe.std)
    if len(loader) == 0:
        raise ValueError(f"batch_size {batch_size} is larger than the {len(loader.labels)} training images")
    optimizer, settings = _optimizer(optimizer, model.to(device), lr, momentum, weight_decay)
    transform = BatchAugment(augment, seed, recipe.background)
    history = History(settings={"model": type(model).__name__, **getattr(model, "config", {}),
                                "epochs": epochs, **settings, "batch_size": batch_size, "subset": subset,
                                "augment": transform.names, "seed": seed, "device": device.type,
                                "train_images": len(loader.labels)})
    test_images = None if test is None else prepared(model, test[0])
    callbacks = [Diverging(), *callbacks, *([ProgressBar(epochs * len(loader))] if progress else [])]
    with seeded(seed, device), Run(history, model, len(loader), batch_size, callbacks) as run:
        for epoch in range(1, epochs + 1):
            model.train()  # dropout on
            for images, labels in loader:
                logits = model(transform(images))  # (B, 10)
                loss = F.cross_entropy(logits, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if run.after_batch(epoch, loss, logits, labels):  # a callback asked to stop
                    return history
            test_numbers = (math.nan, math.nan) if test is None else evaluate(model, test_images, test[1])
            if run.after_epoch(*test_numbers):
                break
    return history


def _optimizer(optimizer, model: nn.Module, lr: float, momentum: float, weight_decay: float):
    """The optimizer (built by :func:`make_optimizer` when named) and its settings for the History."""
    if isinstance(optimizer, torch.optim.Optimizer):
        group = optimizer.param_groups[0]
        lr, momentum, weight_decay = group["lr"], group.get("momentum", 0.0), group.get("weight_decay", 0.0)
        name = type(optimizer).__name__.lower()
    else:
        name, optimizer = str(optimizer).lower(), make_optimizer(optimizer, model.parameters(), lr, momentum,
                                                                 weight_decay)
    return optimizer, {"optimizer": name, "lr": lr, "momentum": momentum, "weight_decay": weight_decay}


class BatchAugment:
    """Augmentation as a transform of each normalised batch (lesson 4), with its own random numbers."""

    def __init__(self, augment: bool | Sequence[str], seed: int, background: float) -> None:
        self.names, self.background = augment_names(augment), background
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return augment_batch(images, self.names, self.generator, self.background) if self.names else images


def check_learned(history: History) -> None:
    """Raise :class:`DivergedError` when a finished run reads digits no better than guessing.

    "No better" means a last test accuracy under :data:`CHANCE_ACCURACY` with a last training
    loss at least guessing's, log(10): the weights blew up or every unit died.
    """
    if len(history) and history.test_accuracy[-1] < CHANCE_ACCURACY \
            and not history.train_loss[-1] < 0.99 * math.log(10):
        raise DivergedError(f"training diverged: after {len(history)} epoch(s) the test accuracy is "
                            f"{history.test_accuracy[-1]:.1%} and the training loss "
                            f"{history.train_loss[-1]:.3g}, no better than guessing. Lower the learning "
                            f"rate (it was {history.settings.get('lr', float('nan')):g}) and train again.")


class Diverging(Callback):
    """Stops training with :class:`DivergedError` when a batch's loss is NaN, infinite or exploded."""

    def on_batch(self, run: Run) -> None:
        if not math.isfinite(run.loss) or run.loss > EXPLODED_LOSS:
            raise DivergedError(f"training diverged: the loss became {run.loss:.3g} in batch {run.batch} of "
                                f"epoch {run.epoch}. Lower the learning rate (it is "
                                f"{run.history.settings['lr']:g}) and train again.")
