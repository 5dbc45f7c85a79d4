"""The dashboard's plot: the current run bold, up to :data:`MAX_PAST_RUNS` earlier ones faint, as PNG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..learning_curves import PALETTE, plot_history
from ..plots import figure_to_png
from ..training import History, Progress
from . import knobs

MAX_PAST_RUNS = 4  # earlier runs kept on the plot as faint curves
PAST_ALPHA = 0.5  # their opacity


@dataclass(eq=False)
class Record:
    """A run as the plot shows it: settings, colour, curve points, fit's history, outcome."""

    settings: Any
    color: str = ""
    points: History = field(default_factory=History)  # epochs with fractions: several points per epoch
    history: History | None = None  # what fit returned
    outcome: str = "training"  # then "finished" or "stopped"
    last: tuple[int, int, float, float] | None = None  # epoch, batch, loss and correct sums at the last point

    def add_point(self, p: Progress, every: int, test: bool) -> bool:
        """Add the train means since the last point (and the test result at an epoch's end).

        Returns:
            False if the point was skipped: the epoch's last point is about to cover it.
        """
        if not p.end_of_epoch and p.batches_per_epoch - p.batch < every / 2:
            return False
        sums = (p.epoch, p.batch, p.train_loss * p.batch, p.train_accuracy * p.batch)  # the epoch's so far
        same_epoch = self.last is not None and self.last[0] == p.epoch and self.last[1] < p.batch
        last = self.last if same_epoch else (p.epoch, 0, 0.0, 0.0)  # the last point, or the epoch's start
        self.last, batches = sums, p.batch - last[1]
        end = p.end_of_epoch and test
        self.points.append(p.epochs_done, (sums[2] - last[2]) / batches, (sums[3] - last[3]) / batches,
                           p.test_loss if end else math.nan, p.test_accuracy if end else math.nan, p.seconds)
        return True

    @property
    def test_accuracy(self) -> float | None:
        """The latest test accuracy (``None`` before the first epoch ends)."""
        return next((a for a in reversed(self.points.test_accuracy) if not math.isnan(a)), None)


class LivePlot:
    """Loss and accuracy of the current run and the past ones, drawn by ``plot_history`` into its own figure.

    Args:
        lesson: knobs every label names (the lesson's own).
        shown: all knobs with a control; labels add those that differ from the current run.
        test_label: the legend name of the evaluated split, or ``None`` without one.
    """

    def __init__(self, lesson: Sequence[str], shown: Sequence[str], test_label: str | None) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.lesson, self.shown, self.test_label = tuple(lesson), tuple(shown), test_label
        self.past: list[Record] = []
        self._colors = 0
        # fixed margins (no layout engine, whatever rcParams say): a layout engine doubles the time
        self.figure = Figure(figsize=(9.0, 3.8), dpi=80, layout="none")
        FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(1, 2, gridspec_kw={"left": 0.08, "right": 0.98, "top": 0.92,
                                                            "bottom": 0.3, "wspace": 0.22})

    def take(self, record: Record) -> None:
        """Make ``record`` the current run: off the past list, in a colour no past run has."""
        self.past = [r for r in self.past if r.settings != record.settings]
        taken = {r.color for r in self.past}
        if not record.color or record.color in taken:  # the next colour in turn that no past run has
            record.color = next(c for c in PALETTE[self._colors:] + PALETTE[:self._colors] if c not in taken)
            self._colors = PALETTE.index(record.color) + 1

    def keep(self, record: Record) -> None:
        """Keep an ended run (finished or stopped) on the plot, faint, dropping the oldest."""
        if record.points.epoch:
            self.past = [*(r for r in self.past if r is not record), record][-MAX_PAST_RUNS:]

    def label(self, record: Record, now: Any) -> str:
        """``"128-256 drop 0.5 relu: 93.1%"``: the lesson's knobs, and others that differ from ``now``."""
        names = [*self.lesson, *(n for n in self.shown if n not in self.lesson
                                 and getattr(record.settings, n) != getattr(now, n))]
        label = knobs.describe(record.settings, names)
        if self.test_label is not None and record.test_accuracy is not None:
            label += f": {record.test_accuracy:.1%}"
        return label + (" (stopped)" if record.outcome == "stopped" else "")

    def render(self, current: Record | None, now: Any, message: str = "") -> bytes:
        """Draw the past runs faint and ``current`` (or ``None``) bold, ``message`` on an empty plot: PNG."""
        runs = [*(r for r in self.past if r is not current), *([current] if current else [])]
        labels = [("now: " if r is current else "") + self.label(r, now) for r in runs]
        for ax in self.axes:
            ax.clear()
        self.figure.legends.clear()
        plot_history([r.points for r in runs], labels, self.axes, test=self.test_label is not None,
                     alpha=[1.0 if r is current else PAST_ALPHA for r in runs],
                     test_label=self.test_label or "", colors=[r.color for r in runs])
        # the x axis: a run in progress's planned epochs, else what was trained (a stopped run fills it)
        reached = [r.points.epoch[-1] for r in runs if r.points.epoch]
        if current is not None and current.outcome == "training":
            reached.append(current.settings.epochs)
        epochs = max(reached or [now.epochs])
        loss_ax, accuracy_ax = self.axes
        xlim = (0, math.ceil(epochs) * 1.03)  # room for the last epoch's marker
        loss_ax.set(xlim=xlim, ylim=(0, None))
        accuracy_ax.set(xlim=xlim, ylim=(max(0.0, accuracy_ax.get_ylim()[0]) if runs else 0.0, 1.0))
        if message:
            loss_ax.text(0.5, 0.5, message, transform=loss_ax.transAxes, ha="center")
        return figure_to_png(self.figure, fast=True)


def accuracy_text(record: Record, test_label: str | None) -> str:
    """``"Test accuracy: 93.1% after epoch 3 (train 95.0%)"`` (HTML), or the train accuracy so far."""
    p = record.points
    if test_label is not None and record.test_accuracy is not None:
        epoch = int(max(e for e, a in zip(p.epoch, p.test_accuracy, strict=True) if not math.isnan(a)))
        return (f"{test_label.capitalize()} accuracy: <b>{record.test_accuracy:.1%}</b> after epoch {epoch} "
                f"(train {p.train_accuracy[-1]:.1%})")
    return f"Train accuracy so far: <b>{p.train_accuracy[-1]:.1%}</b>"


def progress_text(p: Progress, s: Any) -> str:
    """``"Training: epoch 2/4 · batch 50/156 · 12,000 images/s · cpu · 1.2 s"`` (HTML)."""
    where = "" if p.end_of_epoch else f" &middot; batch {p.batch}/{p.batches_per_epoch}"
    return (f"Training: epoch {p.epoch}/{s.epochs}{where} &middot; {p.samples_per_second:,.0f} images/s "
            f"&middot; {s.device} &middot; {p.seconds:.1f} s")


def summary(record: Record) -> str:
    """``"Finished 4 epochs in 3.1 s on cpu (12,000 images/s)."`` or ``"Stopped after ..."``."""
    s, seconds = record.settings, (record.points.seconds or [0.0])[-1]
    done = record.points.epoch[-1] if record.points.epoch else 0.0
    if record.outcome == "stopped":
        return f"Stopped after {done:.1f} of {s.epochs} epochs ({seconds:.1f} s on {s.device})."
    return (f"Finished {s.epochs} epoch{'s' * (s.epochs != 1)} in {seconds:.1f} s on {s.device} "
            f"({done * s.subset / max(seconds, 1e-9):,.0f} images/s).")
