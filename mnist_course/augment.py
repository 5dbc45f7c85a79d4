"""Data augmentation: small random changes to training digits that keep what they show.

Taught in lesson 4, where augmentation fights overfitting; :func:`~mnist_course.training.fit`
applies :func:`random_affine` to every training batch with ``augment=True``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .data import MNIST_MEAN, MNIST_STD


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
