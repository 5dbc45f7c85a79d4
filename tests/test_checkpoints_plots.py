"""Tests of mnist_course.checkpoints and mnist_course.plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from mnist_course import plots
from mnist_course.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from mnist_course.models import MLP, SoftmaxRegression
from mnist_course.training import History


def test_round_trip_keeps_weights_settings_and_metrics(tmp_path, test_split):
    model = MLP(hidden=(40, 20), dropout=0.3, activation="sigmoid")
    path = save_checkpoint(tmp_path / "sub" / "model.pt", model, {"test_accuracy": 0.5}, mean=0.2, std=0.4)
    loaded, info = load_checkpoint(path)
    assert info["config"] == model.config and info["metrics"] == {"test_accuracy": 0.5}
    assert info["normalization"] == {"mean": 0.2, "std": 0.4}
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    model.eval()
    x = test_split.images[:8].float()
    assert torch.equal(loaded(x), model(x)) and not loaded.training
    assert not list(tmp_path.rglob("*.part"))


def test_missing_truncated_and_foreign_files_are_explained(tmp_path):
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_checkpoint(tmp_path / "none.pt")
    good = save_checkpoint(tmp_path / "good.pt", SoftmaxRegression())
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(cut)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not written by mnist_course"):
        load_checkpoint(foreign)


def test_a_pickled_whole_model_is_refused(tmp_path):
    path = tmp_path / "whole.pt"
    torch.save(MLP(hidden=(8,)), path)  # the unsafe way some tutorials save
    with pytest.raises(CheckpointError, match="could run code"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_are_explained(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", MLP(hidden=(8,)))
    payload = torch.load(path, weights_only=True)
    payload["config"]["hidden"] = [9]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path)


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
    axes = plots.plot_history([history, history], names=["a", "b"])
    assert len(axes[0].lines) == 4 and axes[1].get_ylabel() == "accuracy"
    axes = plots.plot_history(history, test_label="validation")
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
