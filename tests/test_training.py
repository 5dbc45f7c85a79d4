"""Tests of mnist_course.training on real MNIST slices."""

from __future__ import annotations

import threading

import pytest
import torch

from mnist_course.models import MLP, SoftmaxRegression
from mnist_course.training import (
    History,
    evaluate,
    fit,
    make_optimizer,
    predict_labels,
    random_affine,
)


def small(split, n):
    return split.images[:n], split.labels[:n]


def test_one_epoch_on_4000_images_learns_real_digits(train_split, test_split):
    torch.manual_seed(0)
    model = MLP(hidden=(128,))
    history = fit(model, small(train_split, 4000), small(test_split, 2000), epochs=1,
                  optimizer="sgd", lr=0.1, batch_size=32, progress=False)
    assert history.epoch == [1] and len(history.seconds) == 1
    assert history.test_accuracy[0] > 0.85
    assert history.settings["train_images"] == 4000 and not history.cancelled


def test_untrained_model_is_at_chance(test_split):
    torch.manual_seed(0)
    loss, accuracy = evaluate(SoftmaxRegression(), *small(test_split, 2000))
    assert 0.0 <= accuracy < 0.3 and loss > 1.5


def test_evaluate_restores_training_mode_and_predicts(test_split):
    model = MLP(hidden=(32,), dropout=0.5)
    model.train()
    evaluate(model, *small(test_split, 100))
    assert model.training
    predictions = predict_labels(model, test_split.images[:50])
    assert predictions.shape == (50,) and predictions.dtype == torch.int64


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw"])
def test_every_optimizer_lowers_the_loss(name, train_split):
    torch.manual_seed(0)
    model = SoftmaxRegression()
    before, _ = evaluate(model, *small(train_split, 1000))
    lr = 0.1 if name == "sgd" else 1e-2
    fit(model, small(train_split, 1000), epochs=2, optimizer=name, lr=lr, batch_size=50, progress=False)
    after, _ = evaluate(model, *small(train_split, 1000))
    assert after < before * 0.7


def test_same_seed_same_result(train_split):
    def run():
        torch.manual_seed(1)
        model = MLP(hidden=(32,), dropout=0.2)
        fit(model, small(train_split, 500), epochs=1, seed=5, augment=True, progress=False)
        return model.layers[1].weight.detach().clone()

    assert torch.equal(run(), run())


def test_cancel_flag_stops_training(train_split):
    cancel = threading.Event()
    batches_seen = []

    def on_progress(progress):
        batches_seen.append(progress.batch)
        cancel.set()

    history = fit(MLP(hidden=(16,)), small(train_split, 2000), epochs=3, batch_size=50, progress=False,
                  callback=on_progress, callback_every=5, cancel=cancel)
    assert history.cancelled and len(history) == 0 and batches_seen == [5]


def test_callback_reports_progress_within_and_after_epochs(train_split, test_split):
    events = []
    fit(SoftmaxRegression(), small(train_split, 1000), small(test_split, 500), epochs=2,
        batch_size=100, progress=False, callback=events.append, callback_every=4)
    ends = [e for e in events if e.end_of_epoch]
    assert [e.epoch for e in ends] == [1, 2] and all(e.test_accuracy is not None for e in ends)
    middle = [e for e in events if not e.end_of_epoch]
    assert [e.epochs_done for e in middle] == [0.4, 0.8, 1.4, 1.8]
    assert all(e.test_accuracy is None and e.samples_per_second > 0 for e in middle)


def test_random_affine_keeps_shape_background_and_moves_pixels(test_split):
    from mnist_course.data import to_float_images

    images = to_float_images(test_split.images[:16])
    moved = random_affine(images, generator=torch.Generator().manual_seed(0))
    assert moved.shape == images.shape
    background = images.min()
    assert torch.allclose(moved[:, :, 0, 0], background.expand(16, 1), atol=1e-5)
    assert not torch.allclose(moved, images)
    still = random_affine(images, max_shift=0, max_degrees=0, scale=(1, 1))
    assert torch.allclose(still, images, atol=1e-4)


def test_history_best_epoch_and_bad_arguments():
    history = History(epoch=[1, 2, 3], test_accuracy=[0.9, 0.95, 0.93], test_loss=[0.3, 0.2, 0.25])
    assert history.best_epoch() == 2 and history.best_epoch("test_loss") == 2
    with pytest.raises(ValueError, match="empty"):
        History().best_epoch()
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("rmsprop", SoftmaxRegression().parameters(), 0.1)
    with pytest.raises(ValueError, match="learning rate"):
        make_optimizer("sgd", SoftmaxRegression().parameters(), -1.0)


def test_tensorboard_logging_writes_event_files(train_split, tmp_path):
    pytest.importorskip("tensorboard")
    fit(SoftmaxRegression(), small(train_split, 200), small(train_split, 100), epochs=1,
        batch_size=50, progress=False, log_dir=tmp_path / "run")
    assert list((tmp_path / "run").rglob("events.out.tfevents.*"))
