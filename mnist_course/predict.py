"""Asking a trained model what digit a picture shows, with how sure it is.

Lesson 5 uses :func:`predict` on the student's own digits; the command line
``python -m mnist_course predict IMAGE... --checkpoint PATH`` uses
:func:`predict_files`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch import nn

from .data import MNIST_MEAN, MNIST_STD
from .preprocess import ImageError, ImageLike, to_mnist
from .training import _logits


def _is_prepared(images: object) -> bool:
    """Say whether ``images`` is a float tensor already shaped like MNIST inputs."""
    return (
        isinstance(images, torch.Tensor)
        and images.is_floating_point()
        and images.ndim in (3, 4)
        and tuple(images.shape[-3:]) == (1, 28, 28)
    )


def prepare_images(images: ImageLike | Sequence[ImageLike] | torch.Tensor) -> torch.Tensor:
    """Turn one image, a list of images, or a prepared tensor into a ``(N, 1, 28, 28)`` batch.

    Args:
        images: one image or a list of images of any kind
            :func:`~mnist_course.preprocess.to_mnist` accepts (each is preprocessed),
            or a float tensor ``(1, 28, 28)`` or ``(N, 1, 28, 28)`` in 0..1 that is
            used as it is.

    Returns:
        float32 ``(N, 1, 28, 28)`` in 0..1.

    Raises:
        ValueError: no images, or an image that cannot be used (the message says which).
    """
    if _is_prepared(images):
        batch = images.detach().float().reshape(-1, 1, 28, 28)
        if len(batch) == 0:
            raise ValueError("no images to predict: the tensor is empty.")
        if not torch.isfinite(batch).all():
            raise ValueError("the images contain NaN or infinite values.")
        if batch.min() < 0 or batch.max() > 1:
            raise ValueError(
                f"prepared images must be in 0..1 (as to_mnist returns them); these span "
                f"{batch.min().item():.3g}..{batch.max().item():.3g}. Do not normalise them "
                "yourself: predict() applies the model's mean and std."
            )
        return batch
    if isinstance(images, (list, tuple)):
        if len(images) == 0:
            raise ValueError("no images to predict: the list is empty.")
        prepared = []
        for i, image in enumerate(images):
            try:
                prepared.append(_prepare_one(image))
            except ImageError as exc:
                raise ImageError(f"image {i} ({_describe(image)}): {exc}") from exc
        return torch.cat(prepared)
    return _prepare_one(images)


def _prepare_one(image: ImageLike) -> torch.Tensor:
    if _is_prepared(image):
        return prepare_images(image)
    return to_mnist(image).unsqueeze(0)


def _describe(image: object) -> str:
    if isinstance(image, (str, os.PathLike)):
        return str(image)
    return type(image).__name__


def predict(
    model: nn.Module,
    images: ImageLike | Sequence[ImageLike] | torch.Tensor,
    k: int = 3,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
) -> list[list[tuple[int, float]]]:
    """Return the ``k`` most likely digits for each image, with their probabilities.

    Images are made MNIST-style with :func:`~mnist_course.preprocess.to_mnist`,
    normalised with ``mean`` and ``std`` (use the ones the model was trained with),
    and run through the model in eval mode without tracking gradients, on the model's
    device. The model's train/eval mode is restored afterwards.

    Args:
        model: a trained network returning logits ``(N, 10)``.
        images: one image (PIL image, numpy array, file path, bytes...), a list of
            them, or a float tensor ``(N, 1, 28, 28)`` (or ``(1, 28, 28)``) in 0..1
            already prepared by ``to_mnist``.
        k: how many digits to return per image, 1..10.
        mean: normalisation mean.
        std: normalisation standard deviation.

    Returns:
        One list per image, even for a single image (so ``predict(model, "7.png")[0]``
        is that image's list): ``k`` pairs ``(digit, probability)``, most likely first.
        With ``k=10`` the probabilities sum to 1.

    Raises:
        ValueError: ``k`` is out of range, or an image cannot be used.
    """
    if not 1 <= int(k) <= 10:
        raise ValueError(f"k must be between 1 and 10, not {k}")
    if not std > 0:
        raise ValueError(f"std must be positive, not {std}")
    batch = prepare_images(images)
    device = next(model.parameters()).device
    logits = _logits(model, ((batch - mean) / std).to(device), batch_size=len(batch))
    top = torch.softmax(logits.float(), dim=1).topk(int(k), dim=1)
    return [
        [(int(d), float(p)) for d, p in zip(digits, probs, strict=True)]
        for digits, probs in zip(top.indices.cpu().tolist(), top.values.cpu().tolist(), strict=True)
    ]


def format_guesses(guesses: Sequence[tuple[int, float]]) -> str:
    """Write guesses as text, e.g. ``"7 (93.1%), 1 (4.0%), 9 (1.2%)"``.

    Args:
        guesses: ``(digit, probability)`` pairs from :func:`predict`.

    Returns:
        One line of text.
    """
    return ", ".join(f"{digit} ({100 * p:.1f}%)" for digit, p in guesses)


def format_prediction(name: str, guesses: Sequence[tuple[int, float]]) -> str:
    """Write one image's guesses as a line, e.g. ``"seven.png: 7 (93.1%), 1 (4.0%), 9 (1.2%)"``.

    Args:
        name: what to call the image.
        guesses: ``(digit, probability)`` pairs from :func:`predict`.

    Returns:
        One line of text.
    """
    return f"{name}: {format_guesses(guesses)}"


def predict_files(
    checkpoint: str | os.PathLike,
    paths: Sequence[str | os.PathLike],
    k: int = 3,
    device: str | torch.device = "cpu",
    keep_going: bool = False,
) -> list[str]:
    """Load a checkpoint and return one line of top-``k`` guesses per image file.

    What ``python -m mnist_course predict IMAGE... --checkpoint PATH`` prints. The
    checkpoint is loaded safely (``weights_only``), and its own normalisation is used.

    Args:
        checkpoint: a file written by :func:`~mnist_course.checkpoints.save_checkpoint`.
        paths: image files (PNG, JPEG...).
        k: guesses per image, 1..10.
        device: where to run the model.
        keep_going: on an unreadable image, write ``"<path>: error: <why>"`` and go on
            with the others, instead of raising.

    Returns:
        One line per path, in order, e.g. ``"seven.png: 7 (93.1%), 1 (4.0%), 9 (1.2%)"``.

    Raises:
        CheckpointError: the checkpoint is missing or unreadable (a ``ValueError``).
        ValueError: no paths, a bad ``k``, or (unless ``keep_going``) an unreadable image;
            the message names the file.
    """
    from .checkpoints import load_checkpoint

    if not paths:
        raise ValueError("no image files given: name at least one.")
    if not 1 <= int(k) <= 10:
        raise ValueError(f"k must be between 1 and 10, not {k}")
    model, info = load_checkpoint(checkpoint, device=device)
    norm = info.get("normalization", {})
    mean, std = float(norm.get("mean", MNIST_MEAN)), float(norm.get("std", MNIST_STD))
    lines = []
    for path in paths:
        try:
            guesses = predict(model, to_mnist(path).unsqueeze(0), k=k, mean=mean, std=std)[0]
        except ImageError as exc:
            if not keep_going:
                message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
                raise ImageError(message) from exc
            lines.append(f"{path}: error: {exc}")
            continue
        lines.append(format_prediction(str(path), guesses))
    return lines
