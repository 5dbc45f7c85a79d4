"""Figures of pictures (lesson 5): any-size picture grids, the preprocessing steps, the widgets' PNGs."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from ..plots import figure_to_png


def digit_png(image: torch.Tensor, scale: int = 5) -> bytes:
    """A ``(1, 28, 28)`` image in 0..1 as PNG bytes, ``scale`` screen pixels per pixel, sharp."""
    from torchvision.transforms.functional import to_pil_image

    pixels = to_pil_image(image.detach().cpu().float().reshape(1, 28, 28).clamp(0, 1))
    buffer = io.BytesIO()
    pixels.resize((28 * scale, 28 * scale), Image.Resampling.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def probability_chart_png(probabilities: Sequence[float], width: float = 3.2, height: float = 1.8) -> bytes:
    """A bar chart of the ten probabilities (the best in orange) as PNG bytes, ``width`` x ``height`` inches.
    """
    fig = Figure(figsize=(width, height), dpi=80, layout="constrained")
    ax = fig.subplots()
    best = int(np.argmax(probabilities))
    ax.bar(range(10), probabilities, color=["tab:orange" if d == best else "tab:blue" for d in range(10)])
    ax.set(xticks=range(10), ylim=(0, 1), xlabel="digit", ylabel="probability")
    return figure_to_png(fig)
