"""Figures of pictures (lesson 5): any-size picture grids, the preprocessing steps, the widgets' PNGs.

The digit grids of lessons 1-4 are in :mod:`mnist_course.plots`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image

from .images import load_image
from .plots import _grid, figure_to_png


def show_pictures(pictures: list, titles: list[str] | None = None, ncols: int = 8, fig: Figure | None = None):
    """Show pictures of any size and kind (paths, PIL images, arrays) in a grid.

    Transparent pixels show the white figure behind them.

    Args:
        pictures: anything :func:`~mnist_course.images.load_image` accepts.
        titles: one title per picture.
        ncols: pictures per row.
        fig: a matplotlib figure to draw into (default: a new one).

    Returns:
        The figure.
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
    """Draw the images of :func:`~mnist_course.preprocess.preprocess_steps` side by side, titled by step.

    Args:
        steps: the dict returned by ``preprocess_steps``.
        fig: a matplotlib figure to draw into (default: a new one).

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    fig = fig or plt.figure(figsize=(1.7 * len(steps), 2.2))
    for ax, (name, pixels) in zip(fig.subplots(1, len(steps), squeeze=False)[0], steps.items(), strict=True):
        if pixels.ndim == 3 and pixels.shape[-1] == 2:  # gray + alpha: show as RGBA
            pixels = np.asarray(Image.fromarray(pixels).convert("RGBA"))
        vmax = 255 if pixels.dtype == np.uint8 else 1
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{name.replace(' ', chr(10), 1) if len(name) > 10 else name}\n"
                     f"{pixels.shape[1]}x{pixels.shape[0]}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def digit_png(image: torch.Tensor, scale: int = 5) -> bytes:
    """Enlarge a ``(1, 28, 28)`` image in 0..1 (sharp pixels) and encode it as PNG bytes.

    Args:
        image: the model's input, e.g. from ``to_mnist``.
        scale: pixels per MNIST pixel.

    Returns:
        The PNG file's bytes, for an ``ipywidgets.Image`` or an HTML ``<img>``.
    """
    from torchvision.transforms.functional import to_pil_image

    side = 28 * scale
    pixels = to_pil_image(image.detach().cpu().float().reshape(1, 28, 28).clamp(0, 1))
    pixels = np.asarray(pixels.resize((side, side), Image.Resampling.NEAREST))
    fig = Figure(figsize=(side / 100, side / 100), dpi=100)
    fig.figimage(pixels, cmap="gray", vmin=0, vmax=255)
    return figure_to_png(fig, fast=True)


def probability_chart_png(probabilities: Sequence[float], width: float = 3.2, height: float = 1.8) -> bytes:
    """Draw a bar chart of the ten probabilities (the best in orange) and encode it as PNG bytes.

    A standalone ``Figure`` (no pyplot): nothing appears in the notebook by itself.

    Args:
        probabilities: ten numbers for digits 0..9.
        width: figure width in inches.
        height: figure height in inches.

    Returns:
        The PNG file's bytes.
    """
    fig = Figure(figsize=(width, height), dpi=80, layout="constrained")
    ax = fig.subplots()
    best = int(np.argmax(probabilities))
    ax.bar(range(10), probabilities, color=["tab:orange" if d == best else "tab:blue" for d in range(10)])
    ax.set_xticks(range(10))
    ax.set_ylim(0, 1)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    return figure_to_png(fig)
