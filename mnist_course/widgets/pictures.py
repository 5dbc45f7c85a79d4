"""Figures of pictures (lesson 5): any-size picture grids, the preprocessing steps, the widgets' PNGs."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from ..handwriting.images import load_image
from ..plots import _grid, figure_to_png


def show_pictures(pictures: list, titles: list[str] | None = None, ncols: int = 8, fig: Figure | None = None):
    """Show pictures of any size and kind in a grid; return the figure.

    Args:
        pictures: anything :func:`~mnist_course.handwriting.images.load_image` accepts.
        titles: one title per picture.
        ncols: pictures per row.
        fig: a figure to draw into (default: a new one).
    """
    fig, axes = _grid(fig, len(pictures), ncols, cell=(1.5, 1.7), pad=0)
    for i, ax in enumerate(axes):
        picture = load_image(pictures[i])
        if picture.mode == "LA":
            picture = picture.convert("RGBA")  # matplotlib cannot show gray + alpha
        ax.imshow(np.asarray(picture), cmap="gray", vmin=0, vmax=255)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return fig


def show_steps(steps: dict[str, np.ndarray], fig: Figure | None = None):
    """Draw the images of :func:`~..handwriting.preprocess.preprocess_steps` side by side; return the figure.
    """
    fig, axes = _grid(fig, len(steps), len(steps), cell=(1.7, 2.2), pad=0)
    for ax, (name, pixels) in zip(axes, steps.items(), strict=True):
        if pixels.ndim == 3 and pixels.shape[-1] == 2:  # gray + alpha: show as RGBA
            pixels = np.asarray(Image.fromarray(pixels).convert("RGBA"))
        vmax = 255 if pixels.dtype == np.uint8 else 1
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{name.replace(' ', chr(10), 1) if len(name) > 10 else name}\n"
                     f"{pixels.shape[1]}x{pixels.shape[0]}", fontsize=9)
    return fig


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
