"""Data augmentation for training batches: shifts and turns, pen thickness, elastic bends.

Taught in lesson 4 (augmentation fights overfitting); ``fit(augment=...)`` applies it. The
package adds batching: each function transforms a whole normalised ``(N, 1, 28, 28)`` batch on
its device with one random draw on ``generator`` (repeatable draws), so that training stays fast;
``background`` is the value of empty pixels after normalising.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import MNIST_MEAN, MNIST_STD

#: The value of empty background after normalising with MNIST's mean and std.
BACKGROUND = (0.0 - MNIST_MEAN) / MNIST_STD


def _rand(shape: tuple[int, ...], generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    """Uniform 0..1 numbers drawn on the generator's device, then moved to ``like``'s device and dtype."""
    where = generator.device if generator is not None else like.device
    return torch.rand(shape, generator=generator, device=where).to(like.device, like.dtype)


def random_affine_grid(images: torch.Tensor, max_shift: float = 2.0, max_degrees: float = 10.0,
                       scale: tuple[float, float] = (0.9, 1.1),
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """The sampling grid ``(N, H, W, 2)`` of :func:`random_affine` (one random draw per image)."""
    u = _rand((len(images), 4), generator, images)  # per image: angle, zoom, shift x, shift y
    angle = (u[:, 0] * 2 - 1) * (max_degrees * math.pi / 180)
    zoom = scale[0] + u[:, 1] * (scale[1] - scale[0])
    shift = (u[:, 2:] * 2 - 1) * max_shift
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # (N, 2, 2): maps output coordinates to input coordinates
    theta = torch.stack([torch.stack([cos, -sin], dim=1), torch.stack([sin, cos], dim=1)], dim=1)
    theta = torch.cat([theta, (-shift * 2 / images.shape[-1]).unsqueeze(2)], dim=2)
    return F.affine_grid(theta, list(images.shape), align_corners=False)


def resample(images: torch.Tensor, grid: torch.Tensor, background: float = BACKGROUND) -> torch.Tensor:
    """Read every image at its grid's points (``grid_sample``, bilinear); outside is background."""
    moved = F.grid_sample(images - background, grid, align_corners=False, padding_mode="zeros")
    return moved + background


def random_affine(images: torch.Tensor, max_shift: float = 2.0, max_degrees: float = 10.0,
                  scale: tuple[float, float] = (0.9, 1.1), background: float = BACKGROUND,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Shift, rotate and scale every image of a batch by its own small random amount (lesson 4).

    Args:
        images: normalised float ``(N, 1, 28, 28)``.
        max_shift: largest shift in pixels, in x and in y.
        max_degrees: largest rotation in degrees, either way.
        scale: smallest and largest zoom factor.

    Returns:
        A new float tensor ``(N, 1, 28, 28)``.
    """
    return resample(images, random_affine_grid(images, max_shift, max_degrees, scale, generator), background)


def random_thickness(images: torch.Tensor, thinner: float = 0.5, thicker: float = 1.0,
                     background: float = BACKGROUND,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Move every digit a random fraction toward its 3x3 dilation (thicker) or erosion (thinner).

    Args:
        images: normalised float ``(N, 1, H, W)``.
        thinner: the largest fraction of a full erosion, 0..1.
        thicker: the largest fraction of a full dilation, 0..1.

    Returns:
        A new float tensor of the same shape.
    """
    amount = (_rand((len(images), 1), generator, images) * (thinner + thicker) - thinner).view(-1, 1, 1, 1)
    ink = images - background
    dilated = F.max_pool2d(ink, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-ink, 3, stride=1, padding=1)
    target = torch.where(amount > 0, dilated, eroded)
    return ink + amount.abs() * (target - ink) + background


def gaussian_kernel(sigma: float, device: torch.device | None = None) -> torch.Tensor:
    """A normalised 1-D Gaussian of standard deviation ``sigma``, 3 sigma on each side."""
    radius = max(1, int(math.ceil(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def elastic_offsets(images: torch.Tensor, alpha: float = 34.0, sigma: float = 4.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """The displacements ``(N, H, W, 2)`` of :func:`elastic_distort`, in grid units (one draw per image)."""
    n, _, h, w = images.shape
    field = _rand((n, 2, h, w), generator, images) * 2 - 1  # (N, 2, H, W): dx, dy in -1..1
    kernel = gaussian_kernel(sigma, images.device).to(images.dtype)
    k = len(kernel)
    field = F.conv2d(field, kernel.view(1, 1, 1, k).expand(2, 1, 1, k), padding=(0, k // 2), groups=2)
    field = F.conv2d(field, kernel.view(1, 1, k, 1).expand(2, 1, k, 1), padding=(k // 2, 0), groups=2)
    pixel = torch.tensor([2 / w, 2 / h], device=images.device, dtype=images.dtype)  # one pixel, in grid units
    return field.permute(0, 2, 3, 1) * alpha * pixel


def identity_grid(images: torch.Tensor) -> torch.Tensor:
    """The sampling grid ``(N, H, W, 2)`` that leaves every image as it is."""
    identity = torch.eye(2, 3, dtype=images.dtype, device=images.device).expand(len(images), 2, 3)
    return F.affine_grid(identity, list(images.shape), align_corners=False)


def elastic_distort(images: torch.Tensor, alpha: float = 34.0, sigma: float = 4.0,
                    background: float = BACKGROUND, generator: torch.Generator | None = None) -> torch.Tensor:
    """Bend every digit by its own smooth random displacement field (Simard et al. 2003).

    Args:
        images: normalised float ``(N, 1, H, W)``.
        alpha: the strength of the distortion, in pixels (0 leaves the images as they are).
        sigma: the smoothness of the field (a Gaussian's width), in pixels.

    Returns:
        A new float tensor of the same shape.
    """
    grid = identity_grid(images) + elastic_offsets(images, alpha, sigma, generator)
    return resample(images, grid, background)


#: The augmentations ``fit(augment=...)`` knows, in the order they are applied.
AUGMENTATIONS = {"thickness": random_thickness, "elastic": elastic_distort, "affine": random_affine}
#: What ``augment=True`` means.
DEFAULT_AUGMENT = ("affine",)


def augment_names(augment: bool | str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """Read an ``augment`` setting: ``False``/``None``, ``True``, names or text ``"affine,elastic"``.

    Returns:
        The names, in the order of :data:`AUGMENTATIONS`.

    Raises:
        ValueError: an unknown name, or a value of another type.
    """
    if augment is None or augment is False:
        return ()
    if augment is True:
        return DEFAULT_AUGMENT
    if isinstance(augment, str):
        augment = [part for part in augment.replace(",", " ").split() if part != "none"]
    if not isinstance(augment, (tuple, list)) or not all(isinstance(name, str) for name in augment):
        raise ValueError(f"augment must be True, False or names from {list(AUGMENTATIONS)}, not {augment!r}")
    unknown = [name for name in augment if name not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown augmentation(s) {unknown}: choose from {list(AUGMENTATIONS)}")
    return tuple(name for name in AUGMENTATIONS if name in augment)


def augment_batch(images: torch.Tensor, names: tuple[str, ...], generator: torch.Generator | None = None,
                  background: float = BACKGROUND) -> torch.Tensor:
    """Apply the augmentations ``names`` to a normalised batch, resampling the digits only once.

    ``background`` is an empty pixel's value under the model's normalisation (its recipe's).
    """
    names = augment_names(tuple(names))
    if "thickness" in names:
        images = random_thickness(images, background=background, generator=generator)
    if "elastic" not in names and "affine" not in names:
        return images
    grid = random_affine_grid(images, generator=generator) if "affine" in names else identity_grid(images)
    if "elastic" in names:
        grid = grid + elastic_offsets(images, generator=generator)
    return resample(images, grid, background)
