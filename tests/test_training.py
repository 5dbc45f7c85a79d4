"""Tests of mnist_course.training on real MNIST slices."""

from __future__ import annotations

import threading

import pytest
import torch

from mnist_course.data.augment import random_affine
from mnist_course.models import MLP, SoftmaxRegression
from mnist_course.training import (
    DivergedError,
    History,
    Report,
    StopWhen,
    TensorBoardLog,
    evaluate,
    fit,
    make_optimizer,
    predict_labels,
    train_one_epoch,
)
from mnist_course.training import test_model as lesson3_test_model  # pytest would collect test_model


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
                  callbacks=[Report(on_progress, every=5), StopWhen(cancel)])
    assert history.cancelled and len(history) == 0 and batches_seen == [5]


def test_callback_reports_progress_within_and_after_epochs(train_split, test_split):
    events = []
    fit(SoftmaxRegression(), small(train_split, 1000), small(test_split, 500), epochs=2,
        batch_size=100, progress=False, callbacks=[Report(events.append, every=4)])
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


@pytest.mark.parametrize("settings", [
    {"lr": float("nan")}, {"lr": float("inf")}, {"lr": 0.0}, {"lr": "0.1"}, {"momentum": 1.0},
    {"momentum": float("nan")}, {"weight_decay": -1e-4}, {"weight_decay": float("nan")},
])
def test_make_optimizer_refuses_nan_and_out_of_range_settings(settings):
    arguments = {"lr": 0.1, "momentum": 0.0, "weight_decay": 0.0, **settings}
    with pytest.raises(ValueError, match="must be a finite number"):
        make_optimizer("sgd", SoftmaxRegression().parameters(), **arguments)


def test_lesson_3_loop_is_the_one_fit_runs(train_split, test_split):
    """train_one_epoch/test_model are lesson 3's functions, usable with any loader."""
    from mnist_course.data.batches import TensorBatches

    torch.manual_seed(0)
    model = SoftmaxRegression()
    loader = TensorBatches(*small(train_split, 1000), batch_size=50)
    optimizer = make_optimizer("sgd", model.parameters(), 0.1)
    train_loss, train_accuracy = train_one_epoch(model, loader, torch.nn.CrossEntropyLoss(), optimizer, "cpu")
    assert 0 < train_loss < 2.3 and 0.3 < train_accuracy <= 1
    test_loader = TensorBatches(*small(test_split, 500), batch_size=100, shuffle=False, drop_last=False)
    loss, accuracy = lesson3_test_model(model, test_loader, torch.nn.CrossEntropyLoss(), "cpu")
    assert (loss, accuracy) == pytest.approx(evaluate(model, *small(test_split, 500)), rel=1e-5)


def test_fit_leaves_the_callers_random_numbers_alone(train_split):
    model = MLP(hidden=(16,), dropout=0.5)  # built first: its initialisation draws random numbers
    torch.manual_seed(123)
    expected = torch.rand(5)
    torch.manual_seed(123)
    fit(model, small(train_split, 500), epochs=1, batch_size=50, augment=True, seed=7, progress=False)
    assert torch.equal(torch.rand(5), expected)


def test_fit_refuses_zero_epochs(train_split):
    with pytest.raises(ValueError, match="epochs must be a whole number, 1 or more"):
        fit(SoftmaxRegression(), small(train_split, 100), epochs=0, progress=False)


def test_a_diverging_loss_stops_fit_with_a_clear_error(train_split):
    model = MLP(hidden=(32,))
    with pytest.raises(DivergedError, match="Lower the learning rate") as error:
        fit(model, small(train_split, 2000), epochs=3, optimizer="sgd", lr=1e6, momentum=0.9,
            batch_size=50, progress=False)
    assert isinstance(error.value, ValueError) and "epoch 1" in str(error.value)


def test_cancel_before_the_first_batch_returns_an_empty_history(train_split):
    cancel = threading.Event()
    cancel.set()
    history = fit(SoftmaxRegression(), small(train_split, 500), epochs=2, progress=False,
                  callbacks=[StopWhen(cancel)])
    assert history.cancelled and len(history) == 0


def test_fit_uses_the_models_recipe_for_normalisation(train_split, test_split):
    """A model whose recipe says other numbers is trained and evaluated with them."""
    torch.manual_seed(0)
    model = SoftmaxRegression()
    model.recipe = {"mean": 0.5, "std": 0.5, "preprocess": {}}
    history = fit(model, small(train_split, 1000), small(test_split, 500), epochs=1, lr=0.1,
                  batch_size=50, progress=False)
    from mnist_course.data import to_float_images

    own = evaluate(model, to_float_images(test_split.images[:500], 0.5, 0.5), test_split.labels[:500])
    assert history.test_loss[0] == pytest.approx(own[0], rel=1e-5)
    assert evaluate(model, *small(test_split, 500)) == pytest.approx(own, rel=1e-5)


def test_tensorboard_logging_writes_event_files(train_split, tmp_path):
    pytest.importorskip("tensorboard")
    fit(SoftmaxRegression(), small(train_split, 200), small(train_split, 100), epochs=1,
        batch_size=50, progress=False, callbacks=[TensorBoardLog(tmp_path / "run")])
    assert list((tmp_path / "run").rglob("events.out.tfevents.*"))


def test_evaluate_refuses_float_images_that_were_not_normalised(test_split):
    """Issue 12: a float batch in 0..1 silently gave wrong numbers."""
    from mnist_course.data import to_float_images
    from mnist_course.evaluation import evaluate, predict_labels
    from mnist_course.models import MLP

    model = MLP(hidden=(16,))
    images, labels = test_split.images[:200], test_split.labels[:200]
    with pytest.raises(ValueError, match="not normalised"):
        evaluate(model, images.float().div(255).unsqueeze(1), labels)
    with pytest.raises(ValueError, match="not normalised"):
        predict_labels(model, images.float().div(255).unsqueeze(1))
    assert evaluate(model, to_float_images(images), labels) == evaluate(model, images, labels)


def test_fit_takes_an_optimizer_the_student_built(train_split):
    """Lesson 4 builds torch.optim.Adam itself and hands it to fit; fit uses it, not a new one."""
    torch.manual_seed(0)
    model = MLP(hidden=(32,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    before = [p.detach().clone() for p in model.parameters()]
    history = fit(model, train_split, epochs=1, optimizer=optimizer, subset=1024, progress=False)
    assert optimizer.state, "the student's optimizer took the steps"
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert history.settings["optimizer"] == "adam" and history.settings["lr"] == 1e-3
    assert history.settings["weight_decay"] == 1e-5


def test_a_plain_function_callback_runs_after_every_epoch_and_can_stop_training(train_split):
    """Lesson 4's checkpoint saver is a plain function; returning True stops fit."""
    seen = []

    def save_and_stop_after_two(progress):
        seen.append(progress.epoch)
        return progress.epoch == 2

    history = fit(SoftmaxRegression(), small(train_split, 500), epochs=5, batch_size=50, progress=False,
                  callbacks=[save_and_stop_after_two])
    assert seen == [1, 2] and len(history) == 2 and history.cancelled


def test_an_exploding_loss_is_divergence_even_when_it_stays_finite(train_split):
    """Issue 20: `train --lr 1e6` ended with loss 1.6e23 and was saved as a success."""
    with pytest.raises(DivergedError, match="training diverged"):
        fit(MLP(hidden=(32,)), small(train_split, 2000), epochs=1, optimizer="adam", lr=1e6,
            batch_size=50, progress=False)


def test_augmentation_fills_with_the_recipes_background(train_split):
    """Augmentation shifts digits in; the new border is an empty pixel under the model's own recipe."""
    from mnist_course.training import BatchAugment

    images = torch.full((4, 1, 28, 28), -1.0)  # an empty picture under mean 0.5, std 0.5
    moved = BatchAugment(["affine"], seed=0, background=-1.0)(images)
    assert torch.allclose(moved, images, atol=1e-5)


def test_a_run_that_reads_no_better_than_guessing_has_not_learned():
    """Issue 20: a diverged model (13.5% test accuracy, loss far above guessing's) was saved."""
    from mnist_course.training import check_learned

    diverged = History(settings={"lr": 1e6})
    diverged.append(1, 1.6e3, 0.11, 1.6e3, 0.135, 1.0)
    with pytest.raises(DivergedError, match="no better than guessing"):
        check_learned(diverged)
    dead = History(settings={"lr": 5.0})
    dead.append(1, 2.3026, 0.11, 2.3026, 0.1135, 1.0)  # every unit dead: it guesses the commonest digit
    with pytest.raises(DivergedError):
        check_learned(dead)
    slow = History(settings={"lr": 1e-4})
    slow.append(1, 2.1, 0.15, 2.05, 0.18, 1.0)  # still near chance, but learning: the loss went down
    check_learned(slow)
    good = History(settings={"lr": 1e-3})
    good.append(1, 0.3, 0.9, 0.2, 0.95, 1.0)
    check_learned(good)


def test_fit_refuses_a_seed_out_of_range(train_split):
    with pytest.raises(ValueError, match="from 0 to 2"):
        fit(SoftmaxRegression(), small(train_split, 100), seed=2**70, progress=False)
