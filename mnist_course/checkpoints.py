"""Saving and loading trained models safely.

Lesson 4 saves a checkpoint every epoch and keeps the best; lesson 5 loads it. A
checkpoint holds only tensors and plain data (the ``state_dict``, the model's class
name and settings, metrics, normalisation), so it loads with
``torch.load(..., weights_only=True)``: loading never runs code from the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from .data import MNIST_MEAN, MNIST_STD
from .models import MODEL_CLASSES, build_model

FORMAT = "mnist_course.checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint file is missing, damaged or was not written by :func:`save_checkpoint`."""


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    metrics: dict | None = None,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
) -> Path:
    """Save ``model``'s weights and settings to ``path``.

    The file is written beside its destination first and then renamed, so an
    interrupted save never leaves a half-written checkpoint behind.

    Args:
        path: file to write, e.g. ``checkpoints/best.pt`` (folders are created).
        model: an :class:`~mnist_course.models.MLP` or
            :class:`~mnist_course.models.SoftmaxRegression`.
        metrics: plain numbers to keep with it, e.g. ``{"test_accuracy": 0.97}``.
        mean: the normalisation mean the model was trained with.
        std: the normalisation standard deviation.

    Returns:
        The path written.
    """
    name = type(model).__name__
    if name not in MODEL_CLASSES:
        raise TypeError(f"only {sorted(MODEL_CLASSES)} models can be saved, not {name}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "model_class": name,
        "config": dict(model.config),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metrics": dict(metrics or {}),
        "normalization": {"mean": float(mean), "std": float(std)},
    }
    partial = path.with_name(path.name + ".part")
    torch.save(payload, partial)
    partial.replace(path)
    return path


def load_checkpoint(
    path: str | os.PathLike, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict]:
    """Load a checkpoint written by :func:`save_checkpoint`, without unpickling code.

    Args:
        path: the checkpoint file.
        device: where to put the model.

    Returns:
        ``(model, info)``: the model in eval mode, and a dict with ``model_class``,
        ``config``, ``metrics`` and ``normalization``.

    Raises:
        CheckpointError: the file is missing, truncated, not a checkpoint, or holds
            weights that do not fit the model it names.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"No checkpoint at {path}. Train and save one first (lesson 4, or "
            "`python -m mnist_course train`)."
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, random bytes, a pickled whole model...
        raise CheckpointError(
            f"{path} is not a readable mnist_course checkpoint ({type(exc).__name__}). "
            "It may be truncated, or a file saved some other way (for example a whole "
            "pickled model, which is refused because loading it could run code)."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} was not written by mnist_course.save_checkpoint "
            f"(expected format {FORMAT!r})."
        )
    try:
        model = build_model(payload["model_class"], payload["config"])
        model.load_state_dict(payload["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path} holds weights that do not fit its model: {exc}") from exc
    model.to(device).eval()
    info = {k: payload[k] for k in ("model_class", "config", "metrics", "normalization")}
    return model, info
