"""Figures of lessons 1-4: digit grids, class counts, confusion matrices, mistakes, learned weights.

Also :func:`figure_to_png`, used for every PNG. Each function draws into the ``ax`` (or ``fig``)
it is given, or a new one, and returns it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def figure_to_png(fig: Figure, dpi: float | None = None, fast: bool = False) -> bytes:
    """``fig`` as PNG bytes on an opaque white background (readable in dark themes too).

    Args:
        fig: the figure to render.
        dpi: dots per inch (default: the figure's own).
        fast: compress less, for images sent many times a second (the dashboard).
    """
    buffer = io.BytesIO()
    options = {"compress_level": 1} if fast else {}
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, facecolor="white", pil_kwargs=options)
    return buffer.getvalue()


def _as_pixels(image: torch.Tensor):
    """A 2-D numpy array for imshow from ``(28, 28)``, ``(1, 28, 28)`` or ``(784,)``."""
    image = image.detach().cpu().float()
    if image.numel() == 28 * 28:
        return image.reshape(28, 28).numpy()
    return image.squeeze().numpy()


def _grid(fig: Figure | None, n: int, ncols: int, cell: tuple[float, float] = (1.6, 1.6),
          pad: float = 0.3) -> tuple[Figure, list[Axes]]:
    """``fig`` (default: a new one, ``cell`` inches per picture) and ``n`` axes without ticks."""
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    if fig is None:
        fig = plt.figure(figsize=(cell[0] * ncols, cell[1] * nrows + pad))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.axis("off")
    for ax in axes[:n]:
        ax.set(xticks=[], yticks=[])
    return fig, axes[:n]


def show_digits(images: torch.Tensor, labels: Sequence[int] | torch.Tensor | None = None,
                predictions: Sequence[int] | torch.Tensor | None = None, ncols: int = 3,
                title: str | None = None, fig: Figure | None = None) -> Figure:
    """Show digits in a grid, titled with their label (and prediction, if given); return the figure.

    uint8 images are shown on 0..255, floats in 0..1 on 0..1, other floats scaled to fit.

    Args:
        images: ``(N, 28, 28)`` or ``(N, 1, 28, 28)``, uint8 or float.
        labels: the true digit of each image.
        predictions: the predicted digit of each image.
        ncols: images per row.
        title: a title for the whole figure.
        fig: a figure to draw into (default: a new one).
    """
    fig, axes = _grid(fig, len(images), ncols)
    top = 255 if images.dtype == torch.uint8 else 1 if 0 <= images.min() and images.max() <= 1 else None
    scale = {"vmin": 0, "vmax": top} if top else {}  # other floats: scaled to fit
    for i, ax in enumerate(axes):
        ax.imshow(_as_pixels(images[i]), cmap="gray", **scale)
        parts = [f"label {int(labels[i])}"] if labels is not None else []
        parts += [f"predicted {int(predictions[i])}"] if predictions is not None else []
        ax.set_title(", ".join(parts), fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


def plot_class_counts(labels: torch.Tensor, ax: Axes | None = None, title: str = "Images per digit") -> Axes:
    """Draw a bar chart of how many images each digit 0..9 has; return the axes."""
    ax = ax or plt.subplots(figsize=(6, 3))[1]
    counts = torch.bincount(labels.cpu(), minlength=10)
    ax.bar(range(10), counts.tolist(), color="tab:blue")
    ax.set(xticks=range(10), xlabel="digit", ylabel="number of images", title=title)
    return ax


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor) -> torch.Tensor:
    """Count how often each true digit (row) was predicted as each digit (column): int64 ``(10, 10)``."""
    index = labels.cpu().long() * 10 + predictions.cpu().long()
    return torch.bincount(index, minlength=100).reshape(10, 10)


def plot_confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, ax: Axes | None = None) -> Axes:
    """Draw the confusion matrix (log shading) with its counts in the cells; return the axes."""
    matrix = confusion_matrix(labels, predictions)
    ax = ax or plt.subplots(figsize=(6, 5.5))[1]
    shade = matrix.float().log1p()  # log scale: the few mistakes stay visible beside the diagonal
    ax.imshow(shade.numpy(), cmap="Blues")
    for true in range(10):
        for pred in range(10):
            count = int(matrix[true, pred])
            if count:
                color = "white" if shade[true, pred] > shade.max() / 2 else "black"
                ax.text(pred, true, str(count), ha="center", va="center", fontsize=8, color=color)
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
           title="Confusion matrix (test set)")
    return ax


def show_misclassified(images: torch.Tensor, labels: torch.Tensor, predictions: torch.Tensor, n: int = 12,
                       ncols: int = 6, fig: Figure | None = None) -> Figure:
    """Show the first ``n`` images whose prediction is wrong, titled true vs predicted; return the figure.

    Raises:
        ValueError: no prediction is wrong.
    """
    wrong = (labels.cpu() != predictions.cpu()).nonzero().flatten()[:n]
    if len(wrong) == 0:
        raise ValueError("no misclassified images to show")
    fig = show_digits(images[wrong], ncols=ncols, fig=fig)
    for ax, i in zip(fig.axes, wrong.tolist(), strict=False):
        ax.set_title(f"true {int(labels[i])}, said {int(predictions[i])}", fontsize=9, color="tab:red")
    fig.suptitle(f"{len(wrong)} misclassified test digits")
    return fig


def show_weights(weights: torch.Tensor, fig: Figure | None = None) -> Figure:
    """Show the 10 weight vectors of a single-layer model as 28x28 images (lesson 2); return the figure.

    Args:
        weights: ``(10, 784)`` as in ``nn.Linear.weight``, or ``(784, 10)`` as lesson 2's ``weights``.
        fig: a figure to draw into (default: a new one).
    """
    weights = weights.detach().cpu()
    if weights.shape == (28 * 28, 10):
        weights = weights.T
    fig, axes = _grid(fig, 10, 5, cell=(1.8, 1.8))
    limit = weights.abs().max().item()
    for digit, ax in enumerate(axes):
        ax.imshow(weights[digit].reshape(28, 28).numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"digit {digit}")
    fig.suptitle("Learned weights per digit (red: evidence for, blue: against)")
    return fig


def show_pictures(pictures: list, titles: list[str] | None = None, ncols: int = 8, fig: Figure | None = None):
    """Show pictures of any size and kind in a grid; return the figure.

    Args:
        pictures: anything :func:`~mnist_course.handwriting.images.load_image` accepts.
        titles: one title per picture.
        ncols: pictures per row.
        fig: a figure to draw into (default: a new one).
    """
    from .handwriting.images import load_image

    fig, axes = _grid(fig, len(pictures), ncols, cell=(1.5, 1.7), pad=0)
    for i, ax in enumerate(axes):
        picture = load_image(pictures[i])  # a file, bytes, an array: any picture lesson 5 reads
        if picture.mode == "LA":
            picture = picture.convert("RGBA")  # matplotlib cannot show gray + alpha
        ax.imshow(np.asarray(picture), cmap="gray", vmin=0, vmax=255)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return fig


def show_steps(steps: dict[str, np.ndarray], fig: Figure | None = None):
    """Draw the images of :func:`~.handwriting.preprocess.preprocess_steps` in rows of 7 (lesson 5),
    so that the titles stay readable at a notebook's width.
    """
    from PIL import Image

    fig, axes = _grid(fig, len(steps), min(len(steps), 7), cell=(1.7, 2.2), pad=0)
    for ax, (name, pixels) in zip(axes, steps.items(), strict=True):
        if pixels.ndim == 3 and pixels.shape[-1] == 2:  # gray + alpha: show as RGBA
            pixels = np.asarray(Image.fromarray(pixels).convert("RGBA"))
        vmax = 255 if pixels.dtype == np.uint8 else 1
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{name.replace(' ', chr(10), 1) if len(name) > 10 else name}\n"
                     f"{pixels.shape[1]}x{pixels.shape[0]}", fontsize=9)
    return fig
