"""Measuring a trained model: loss, accuracy and predicted digits, with dropout off.

Lesson 3's ``test_model`` lives here unchanged; :func:`evaluate` adds running it on whole tensors
(uint8 images prepared by the model's :class:`~mnist_course.recipe.Recipe`) and restoring the model's mode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .recipe import Recipe


def test_model(model, loader, loss_fn, device):
    model.eval()  # dropout off
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            total_loss += loss_fn(logits, labels).item() * len(labels)
            correct += (logits.argmax(dim=1) == labels).sum().item()
            count += len(labels)
    return total_loss / count, correct / count


def _model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def prepared(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """``images`` as ``model``'s input on its device: uint8 ones prepared by its :class:`Recipe`.

    Float images are taken as already normalised, and refused when they are still in 0..1.
    """
    images = images.to(_model_device(model))
    if images.dtype == torch.uint8:
        return Recipe.of(model).prepare(images)
    if images.numel() and images.min() >= 0:  # normalised MNIST has a negative background
        raise ValueError(
            "these float images are in 0..1, not normalised: the model would see a grey "
            "background and give wrong numbers. Pass the uint8 images (normalised here), or "
            "normalise them first: (images - mean) / std.")
    return images.float()


@torch.inference_mode()
def eval_logits(model: nn.Module, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Run ``model`` in eval mode without gradients, batch by batch; restore its mode."""
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])
    finally:
        model.train(was_training)


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
             batch_size: int = 2000) -> tuple[float, float]:
    """Lesson 3's ``test_model`` for whole tensors: average cross-entropy loss and accuracy.

    Args:
        model: the network; the data is moved to its device.
        images: uint8 ``(N, 28, 28)`` (prepared by ``model.recipe``) or normalised float ``(N, 1, 28, 28)``.
        labels: int64 ``(N,)``.
        batch_size: images per forward pass (only affects memory use).

    Returns:
        ``(loss, accuracy)`` as floats; accuracy is between 0 and 1.
    """
    images, labels = prepared(model, images), labels.to(_model_device(model))
    batches = [(images[i : i + batch_size], labels[i : i + batch_size])
               for i in range(0, len(labels), batch_size)]
    was_training = model.training
    try:
        return test_model(model, batches, F.cross_entropy, labels.device)
    finally:
        model.train(was_training)


def predict_labels(model: nn.Module, images: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Return the model's predicted digit for each image (uint8 or normalised float) as int64 ``(N,)``."""
    return eval_logits(model, prepared(model, images), batch_size).argmax(dim=1).cpu()
