"""Learning curves: :func:`plot_history` draws loss and accuracy per epoch (lessons 3 and 4, the dashboard).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from .training import History

#: Run colours of :func:`plot_history`: distinct, dark enough when faint, and never grey
#: (grey and black are the legend's style keys).
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e66100", "#8c564b", "#e377c2", "#17becf")


def plot_history(histories: History | Sequence[History], names: Sequence[str] | None = None,
                 axes: Sequence[Axes] | None = None, test: bool = True, alpha: float | Sequence[float] = 1.0,
                 test_label: str = "test", colors: Sequence[str] | None = None) -> Sequence[Axes]:
    """Draw loss and accuracy per epoch for one or several runs, the legend below the axes.

    Solid lines are training, dashed ones the ``test`` split; test points that are NaN are skipped.

    Args:
        histories: one :class:`~mnist_course.training.History` or a list of them.
        names: a legend name per history.
        axes: two axes (loss, accuracy) to draw into (default: a new figure).
        test: also draw the test curves.
        alpha: line opacity, one for all or one per history.
        test_label: the legend name of the dashed curves, e.g. ``"validation"`` (lesson 4).
        colors: a colour per history (default: :data:`PALETTE` in order).

    Returns:
        The two axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    histories = [histories] if isinstance(histories, History) else list(histories)
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
        ax.set(xlabel="epoch", ylabel=what, title=f"{what.split()[0].capitalize()} per epoch")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    # whole or round percentages, each label its tick's own value (82.5% was once shown as "82%")
    acc_ax.yaxis.set(major_locator=MaxNLocator(6, steps=[1, 2, 5, 10]), major_formatter=PercentFormatter(1.0))
    keys = [Line2D([], [], color="black", ls=ls, marker=marker, ms=4, label=label)
            for ls, marker, label in (("-", "o", "train"), ("--", "s", test_label))[: 2 if test else 1]]
    runs = [Line2D([], [], color=c, alpha=a, lw=3, label=n)
            for n, c, a in zip(names or [], colors, alphas, strict=False) if n]
    loss_ax.figure.legend(handles=keys + runs, loc="outside lower center", ncol=min(3, len(keys + runs)),
                          fontsize=8, frameon=False)
    return axes
