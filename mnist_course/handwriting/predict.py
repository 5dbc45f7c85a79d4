"""Asking a trained model what digit a picture shows, with how sure it is (lesson 5).

:func:`predict` prepares pictures by the model's :class:`~mnist_course.recipe.Recipe` (its
``model.recipe``, kept in its checkpoint; MNIST's normalisation when absent). A stack
``(N, 28, 28)`` or ``(N, 1, 28, 28)`` is N prepared MNIST-style images (uint8, or floats in 0..1);
anything else (PIL image, path, bytes, ``(H, W[, C])`` array) is one picture for ``to_mnist``;
a list holds one picture per entry.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ..evaluation import eval_logits
from ..recipe import Recipe
from .images import FLOAT_TOLERANCE, ImageError, ImageLike
from .preprocess import to_mnist


def _is_stack(images: object) -> bool:
    is_array = isinstance(images, (torch.Tensor, np.ndarray))
    return is_array and tuple(images.shape[1:]) in ((28, 28), (1, 28, 28))  # (N, 28, 28) or (N, 1, 28, 28)


def _from_stack(images: torch.Tensor | np.ndarray, preprocess: dict | None = None) -> torch.Tensor:
    """A stack of MNIST-style images as float ``(N, 1, 28, 28)`` in 0..1; uint8 ones deskewed if asked."""
    batch = torch.as_tensor(images).detach().cpu().reshape(-1, 1, 28, 28)
    if len(batch) == 0:
        raise ValueError("no images to predict: the tensor is empty.")
    if batch.dtype == torch.uint8:
        return Recipe(preprocess=preprocess or {}).straighten(batch).float() / 255
    if not batch.is_floating_point():
        raise ImageError(f"a stack of MNIST images must be uint8 (0..255) or float (0..1), not {batch.dtype}")
    low, high = batch.min().item(), batch.max().item()
    if not -FLOAT_TOLERANCE <= low <= high <= 1 + FLOAT_TOLERANCE:  # also false for NaN
        raise ValueError(f"prepared images must be numbers in 0..1, no NaN or infinite values (as to_mnist "
                         f"returns them); these span {low:.3g}..{high:.3g}. Do not normalise them yourself: "
                         "predict() applies the model's mean and std.")
    return batch.float().clamp(0, 1)


def prepare_images(images: ImageLike | Sequence[ImageLike], preprocess: dict | None = None) -> torch.Tensor:
    """One picture, a list of pictures, or a stack of images as a float32 ``(N, 1, 28, 28)`` batch in 0..1.

    Args:
        images: see the module docstring for what is one picture and what a batch.
        preprocess: keyword arguments for ``to_mnist`` (a recipe's ``"preprocess"``).

    Raises:
        ValueError: no images, or an image that cannot be used.
    """
    if _is_stack(images):
        return _from_stack(images, preprocess)
    if isinstance(images, (list, tuple)):
        if len(images) == 0:
            raise ValueError("no images to predict: the list is empty.")
        prepared = []
        for i, image in enumerate(images):
            try:
                prepared.append(prepare_images(image, preprocess) if _is_stack(image) and len(image) == 1
                                else to_mnist(image, **(preprocess or {})).unsqueeze(0))
            except ImageError as exc:
                what = str(image) if isinstance(image, (str, os.PathLike)) else type(image).__name__
                raise ImageError(f"image {i} ({what}): {exc}") from exc
        return torch.cat(prepared)
    return to_mnist(images, **(preprocess or {})).unsqueeze(0)


def predict(model: nn.Module, images: ImageLike | Sequence[ImageLike],
            k: int = 3) -> list[list[tuple[int, float]]]:
    """The ``k`` most likely digits for each image, with their probabilities.

    Args:
        model: a trained network returning logits ``(N, 10)``; its recipe prepares the pictures.
        images: one picture, a list of them, or a stack of MNIST-style images (module docstring).
        k: how many digits to return per image, 1..10.

    Returns:
        One list per image: ``k`` pairs ``(digit, probability)``, most likely first.

    Raises:
        ValueError: ``k`` is out of range, or an image cannot be used.
    """
    if not 1 <= int(k) <= 10:
        raise ValueError(f"k must be between 1 and 10, not {k}")
    recipe = Recipe.of(model)
    batch = prepare_images(images, recipe.preprocess).to(next(model.parameters()).device)
    logits = eval_logits(model, recipe.normalize(batch), batch_size=len(batch))
    probs, digits = torch.softmax(logits.float(), dim=1).topk(int(k), dim=1)
    return [list(zip(d, p, strict=True)) for d, p in zip(digits.tolist(), probs.tolist(), strict=True)]


def all_probabilities(model: nn.Module, image: torch.Tensor) -> list[float]:
    """The model's probability for each digit 0..9 for one image (lesson 5's bar charts)."""
    return [p for _, p in sorted(predict(model, image, k=10)[0])]


def format_probability(probability: float) -> str:
    """Write a probability as a percentage with one decimal, never rounded to a certainty (lesson 5).

    Every display of a probability uses it (the canvas, the upload box, ``python -m mnist_course
    predict``): ``0.931`` is ``"93.1%"``, but ``0.99996`` is ``">99.9%"`` and ``0.00004`` is
    ``"<0.1%"``, not ``"100.0%"`` and ``"0.0%"``, which would say the model is certain.

    Args:
        probability: a value in 0..1.

    Returns:
        The text, e.g. ``"93.1%"``, ``">99.9%"`` or ``"<0.1%"``.
    """
    text = f"{probability:.1%}"
    return {"100.0%": ">99.9%", "0.0%": "<0.1%"}.get(text, text)


def format_guesses(guesses: Sequence[tuple[int, float]]) -> str:
    """Write guesses as text, e.g. ``"7 (93.1%), 1 (4.0%), 9 (1.2%)"`` or ``"1 (>99.9%), 7 (<0.1%)"``."""
    return ", ".join(f"{digit} ({format_probability(p)})" for digit, p in guesses)

