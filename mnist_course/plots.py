"""Plots the lessons use: digit grids, class counts, training curves, confusion
matrices, misclassified digits and learned weights.

Each function draws into the ``ax`` (or ``fig``) it is given, or makes a new one,
and returns what it drew; none calls ``plt.show()``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .training import History


def figure_to_png(fig: Figure, dpi: float | None = None, fast: bool = False) -> bytes:
    """Return ``fig`` as PNG bytes on an opaque white background (readable in dark themes too).

    Args:
        fig: the figure to render.
        dpi: dots per inch (default: the figure's own).
        fast: compress less, for images sent many times a second (the dashboard).

    Returns:
        The PNG file's bytes.
    """
    buffer = io.BytesIO()
    options = {"compress_level": 1} if fast else {}
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, facecolor="white", pil_kwargs=options)
    return buffer.getvalue()


def _as_pixels(image: torch.Tensor):
    """Return a 2-D numpy array for imshow from ``(28, 28)``, ``(1, 28, 28)`` or ``(784,)``."""
    image = image.detach().cpu().float()
    if image.numel() == 28 * 28:
        return image.reshape(28, 28).numpy()
    return image.squeeze().numpy()


def _grid(fig: Figure | None, n: int, ncols: int, size: float = 1.6) -> tuple[Figure, list[Axes]]:
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    if fig is None:
        fig = plt.figure(figsize=(size * ncols, size * nrows + 0.3))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.axis("off")
    return fig, axes[:n]


def show_digits(
    images: torch.Tensor,
    labels: Sequence[int] | torch.Tensor | None = None,
    predictions: Sequence[int] | torch.Tensor | None = None,
    ncols: int = 3,
    title: str | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Show digits in a grid, titled with their label (and prediction, if given).

    Args:
        images: ``(N, 28, 28)`` or ``(N, 1, 28, 28)``, uint8 or float.
        labels: the true digit of each image.
        predictions: the predicted digit of each image.
        ncols: images per row.
        title: a title for the whole figure.
        fig: a figure to draw into (default: a new one).

    Returns:
        The figure.
    """
    fig, axes = _grid(fig, len(images), ncols)
    for i, ax in enumerate(axes):
        ax.imshow(_as_pixels(images[i]), cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        parts = []
        if labels is not None:
            parts.append(f"label {int(labels[i])}")
        if predictions is not None:
            parts.append(f"predicted {int(predictions[i])}")
        ax.set_title(", ".join(parts), fontsize=10)
    if title:
        fig.suptitle(title)
    return fig


def plot_class_counts(labels: torch.Tensor, ax: Axes | None = None, title: str = "Images per digit") -> Axes:
    """Draw a bar chart of how many images each digit 0..9 has.

    Args:
        labels: int64 ``(N,)``.
        ax: axes to draw into (default: new figure).
        title: the axes title.

    Returns:
        The axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    counts = torch.bincount(labels.cpu(), minlength=10)
    ax.bar(range(10), counts.tolist(), color="tab:blue")
    ax.set_xticks(range(10))
    ax.set_xlabel("digit")
    ax.set_ylabel("number of images")
    ax.set_title(title)
    return ax


#: Run colours of :func:`plot_history`: distinct, dark enough when faint, and never grey
#: (grey and black are the legend's style keys).
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e66100", "#8c564b", "#e377c2", "#17becf")


def plot_history(
    histories: History | Sequence[History],
    names: Sequence[str] | None = None,
    axes: Sequence[Axes] | None = None,
    test: bool = True,
    alpha: float | Sequence[float] = 1.0,
    test_label: str = "test",
    colors: Sequence[str] | None = None,
) -> Sequence[Axes]:
    """Draw loss and accuracy per epoch for one or several training runs.

    Solid lines are training, dashed ones the ``test`` split; markers sit at the end of each
    epoch, and epochs without a test result (NaN) are skipped, so a history whose ``epoch``
    has fractions (the dashboard's points during an epoch) draws too. The legend sits below
    the axes, never over the curves: one key per line style, one entry per named run.

    Args:
        histories: one :class:`~mnist_course.training.History` or a list of them.
        names: a legend name per history.
        axes: two axes (loss, accuracy) to draw into (default: a new figure).
        test: also draw the test curves (dashed).
        alpha: line opacity, one for all or one per history (the dashboard draws old runs faintly).
        test_label: the legend name of the dashed curves, e.g. ``"validation"`` when
            ``fit`` was given a validation split as ``test`` (lesson 4).
        colors: a colour per history (default: :data:`PALETTE` in order).

    Returns:
        The two axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    if isinstance(histories, History):
        histories = [histories]
    alphas = [alpha] * len(histories) if isinstance(alpha, (int, float)) else list(alpha)
    colors = list(colors) if colors is not None else [PALETTE[i % 8] for i in range(len(histories))]
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    loss_ax, acc_ax = axes
    for history, name, color, opacity in zip(histories, names or [""] * len(histories), colors, alphas,
                                             strict=True):
        style = {"color": color, "alpha": opacity, "lw": 2.0 if opacity >= 1 else 1.5, "ms": 4}
        prefix = f"{name} " if name else ""
        ends = [i for i, x in enumerate(history.epoch) if float(x).is_integer()]
        for ax, values in ((loss_ax, history.train_loss), (acc_ax, history.train_accuracy)):
            ax.plot(history.epoch, values, "-o", markevery=ends, label=f"{prefix}train", **style)
        if test:
            kept = [i for i, v in enumerate(history.test_loss) if v == v]  # NaN: not evaluated
            for ax, values in ((loss_ax, history.test_loss), (acc_ax, history.test_accuracy)):
                ax.plot([history.epoch[i] for i in kept], [values[i] for i in kept], "--s",
                        label=prefix + test_label, **style)
    for ax, what in ((loss_ax, "loss (cross-entropy)"), (acc_ax, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(what)
        ax.set_title(f"{what.split()[0].capitalize()} per epoch")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    acc_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    keys = [Line2D([], [], color="black", ls="-", marker="o", ms=4, label="train")]
    if test:
        keys.append(Line2D([], [], color="black", ls="--", marker="s", ms=4, label=test_label))
    runs = [Line2D([], [], color=c, alpha=a, lw=3, label=n)
            for n, c, a in zip(names or [], colors, alphas, strict=False) if n]
    loss_ax.figure.legend(handles=keys + runs, loc="outside lower center", ncol=min(3, len(keys + runs)),
                          fontsize=8, frameon=False)
    return axes


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor) -> torch.Tensor:
    """Count how often each true digit (row) was predicted as each digit (column).

    Args:
        labels: true digits ``(N,)``.
        predictions: predicted digits ``(N,)``.

    Returns:
        An int64 ``(10, 10)`` tensor; the diagonal holds the correct predictions.
    """
    index = labels.cpu().long() * 10 + predictions.cpu().long()
    return torch.bincount(index, minlength=100).reshape(10, 10)


def plot_confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, ax: Axes | None = None) -> Axes:
    """Draw the confusion matrix with its counts written in the cells.

    Args:
        labels: true digits ``(N,)``.
        predictions: predicted digits ``(N,)``.
        ax: axes to draw into (default: a new figure).

    Returns:
        The axes.
    """
    matrix = confusion_matrix(labels, predictions)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(matrix.float().log1p().numpy(), cmap="Blues")
    threshold = matrix.float().log1p().max().item() / 2
    for true in range(10):
        for pred in range(10):
            count = int(matrix[true, pred])
            if count:
                color = "white" if matrix[true, pred].float().log1p() > threshold else "black"
                ax.text(pred, true, str(count), ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title("Confusion matrix (test set)")
    return ax


def show_misclassified(
    images: torch.Tensor,
    labels: torch.Tensor,
    predictions: torch.Tensor,
    n: int = 12,
    ncols: int = 6,
    fig: Figure | None = None,
) -> Figure:
    """Show the first ``n`` images whose prediction is wrong, titled true vs predicted.

    Args:
        images: ``(N, 28, 28)`` or ``(N, 1, 28, 28)``.
        labels: true digits ``(N,)``.
        predictions: predicted digits ``(N,)``.
        n: how many mistakes to show.
        ncols: images per row.
        fig: a figure to draw into (default: a new one).

    Returns:
        The figure.
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
    """Show the 10 weight vectors of a single-layer model as 28x28 images.

    Red pixels push towards the digit, blue ones away from it (lesson 2).

    Args:
        weights: ``(10, 784)`` as in ``nn.Linear.weight``, or ``(784, 10)`` as in
            lesson 2's hand-made ``weights``.
        fig: a figure to draw into (default: a new one).

    Returns:
        The figure.
    """
    weights = weights.detach().cpu()
    if weights.shape == (28 * 28, 10):
        weights = weights.T
    fig, axes = _grid(fig, 10, 5, size=1.8)
    limit = weights.abs().max().item()
    for digit, ax in enumerate(axes):
        ax.imshow(weights[digit].reshape(28, 28).numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"digit {digit}")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Learned weights per digit (red: evidence for, blue: against)")
    return fig
