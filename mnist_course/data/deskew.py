"""Straightening slanted digits by their image moments (lesson 5's ``to_mnist(deskew=True)``).

The classic MNIST deskewing: shear each digit by ``-mu11 / mu02`` about its centre of mass, so
that its main axis is vertical; batched so that training images can get it too.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

#: Shears larger than this (columns per row) are clipped: a digit is never slanted more.
MAX_SHEAR = 1.0


def deskew_batch(images: torch.Tensor) -> torch.Tensor:
    """Deskew every image of a ``(N, [1,] H, W)`` uint8 or float batch, keeping its dtype and shape."""
    shape, dtype = images.shape, images.dtype
    pixels = images.reshape(-1, 1, *shape[-2:]).float()
    n, _, h, w = pixels.shape
    rows = torch.arange(h, dtype=torch.float32, device=pixels.device).view(1, h, 1)
    cols = torch.arange(w, dtype=torch.float32, device=pixels.device).view(1, 1, w)
    mass = pixels[:, 0].sum(dim=(1, 2)).clamp_min(1e-6)
    row = (pixels[:, 0] * rows).sum(dim=(1, 2)) / mass
    col = (pixels[:, 0] * cols).sum(dim=(1, 2)) / mass
    dr, dc = rows - row.view(n, 1, 1), cols - col.view(n, 1, 1)
    mu11 = (pixels[:, 0] * dr * dc).sum(dim=(1, 2)) / mass
    mu02 = (pixels[:, 0] * dr * dr).sum(dim=(1, 2)) / mass
    shear = (mu11 / mu02.clamp_min(1e-6)).clamp(-MAX_SHEAR, MAX_SHEAR)  # columns per row
    # Output pixel (r, c) reads the input at (r, c + shear * (r - row)): in grid units
    # (-1..1 across the image) x_in = x + shear * (h / w) * (y - y0).
    y0 = 2 * row / (h - 1) - 1
    theta = torch.zeros(n, 2, 3, device=pixels.device)
    theta[:, 0, 0] = 1
    theta[:, 0, 1] = shear * (h - 1) / (w - 1)
    theta[:, 0, 2] = -shear * (h - 1) / (w - 1) * y0
    theta[:, 1, 1] = 1
    grid = F.affine_grid(theta, list(pixels.shape), align_corners=True)
    result = F.grid_sample(pixels, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    if dtype == torch.uint8:
        return result.round().clamp(0, 255).to(torch.uint8).reshape(shape)
    return result.to(dtype).reshape(shape)


def deskew(image: np.ndarray) -> np.ndarray:
    """Deskew one float ``(H, W)`` image in 0..1; returns float32 ``(H, W)`` in 0..1."""
    batch = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None]
    return deskew_batch(batch)[0].clamp(0, 1).numpy()
