"""Tests of mnist_course.plots and learning_curves (the checkpoint tests are in test_checkpoints.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from mnist_course import learning_curves, plots
from mnist_course.training import History


def test_confusion_matrix_counts():
    labels = torch.tensor([0, 0, 1, 2, 2, 2])
    predictions = torch.tensor([0, 1, 1, 2, 2, 0])
    matrix = plots.confusion_matrix(labels, predictions)
    assert matrix.sum() == 6 and matrix.trace() == 4
    assert matrix[0, 1] == 1 and matrix[2, 0] == 1


def test_plot_helpers_draw_into_given_axes(test_split):
    import matplotlib.pyplot as plt

    images, labels = test_split.images[:9], test_split.labels[:9]
    fig = plots.show_digits(images, labels, ncols=3, title="nine")
    assert len(fig.axes) == 9 and fig.axes[0].get_title() == "label 7"
    _, ax = plt.subplots()
    assert plots.plot_class_counts(test_split.labels, ax=ax) is ax
    assert [p.get_height() for p in ax.patches][:2] == [980, 1135]
    history = History(epoch=[1, 2], train_loss=[1, 0.5], train_accuracy=[0.5, 0.8],
                      test_loss=[1.1, 0.6], test_accuracy=[0.4, 0.7])
    axes = learning_curves.plot_history([history, history], names=["a", "b"])
    assert len(axes[0].lines) == 4 and axes[1].get_ylabel() == "accuracy"
    axes = learning_curves.plot_history(history, test_label="validation")
    assert [line.get_label() for line in axes[0].lines] == ["train", "validation"]
    wrong = labels.clone()
    wrong[[1, 4]] = 9
    fig = plots.show_misclassified(images, labels, wrong, n=5)
    assert [a.get_title() for a in fig.axes if a.get_title()] == ["true 2, said 9", "true 4, said 9"]
    assert plots.plot_confusion_matrix(labels, wrong).get_xlabel() == "predicted digit"
    fig = plots.show_weights(torch.randn(784, 10))
    assert len([a for a in fig.axes if a.images]) == 10
    with pytest.raises(ValueError, match="no misclassified"):
        plots.show_misclassified(images, labels, labels)
    plt.close("all")


@pytest.mark.parametrize("accuracies", [[0.81, 0.9, 0.97], [0.975, 0.978, 0.984], [0.1, 0.6, 0.99]])
def test_accuracy_tick_labels_say_their_own_value(accuracies):
    """Lesson 3b's ticks were 2.5% apart and labelled with no decimals: 82.5% read "82%"."""
    import matplotlib.pyplot as plt

    history = History(epoch=[1, 2, 3], train_loss=[1, 0.5, 0.4], train_accuracy=accuracies,
                      test_loss=[1.1, 0.6, 0.5], test_accuracy=accuracies)
    accuracy_axes = learning_curves.plot_history(history)[1]
    accuracy_axes.figure.canvas.draw()
    for tick in accuracy_axes.get_yticklabels():
        if tick.get_text():
            shown = float(tick.get_text().replace("\N{MINUS SIGN}", "-").rstrip("%")) / 100
            assert shown == pytest.approx(tick.get_position()[1], abs=1e-9), tick.get_text()
    plt.close("all")


def test_show_digits_shows_what_the_model_sees_on_one_scale():
    """A nearly black picture stays nearly black (no per-image contrast stretch)."""
    import torch

    from mnist_course.plots import show_digits

    faint = torch.zeros(2, 1, 28, 28)
    faint[:, 0, 10:18, 12:16] = 0.15  # what convert('L') makes of a transparent picture
    fig = show_digits(faint, ncols=2)
    assert all(ax.images[0].get_clim() == (0, 1) for ax in fig.axes)
    fig = show_digits((faint * 255).to(torch.uint8), ncols=2)
    assert all(ax.images[0].get_clim() == (0, 255) for ax in fig.axes)
    normalised = (faint - 0.1307) / 0.3081
    assert show_digits(normalised, ncols=2).axes[0].images[0].get_clim() != (0, 1)
