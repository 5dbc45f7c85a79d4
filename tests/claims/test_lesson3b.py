"""Claims of lesson 3b (training with batches), checked on the executed lesson."""

import pytest

from .conftest import run_lesson, solutions_refused


@pytest.fixture(scope="module")
def lesson():
    yield from run_lesson("03b_training_with_batches")


def test_with_dropout_the_training_accuracy_is_lower_than_the_test_accuracy(lesson):
    """"The training accuracy is *lower*" (after the second epoch, 784-128-256-10 with dropout 0.5)."""
    assert lesson.value("train_vs_test") == "lower"


def test_784_250_200_10_reads_more_than_95_percent(lesson):
    """"More than 95 of 100 test digits are right" after 5 epochs of our fit."""
    assert lesson.value("history['test_accuracy'][-1]") > 0.95


def test_the_training_loss_keeps_falling_below_the_test_loss(lesson):
    train_loss, test_loss = lesson.value("history['train_loss']"), lesson.value("history['test_loss']")
    assert all(later < earlier for earlier, later in zip(train_loss, train_loss[1:], strict=False))
    assert train_loss[-1] < test_loss[-1]


def test_sigmoids_best_rate_is_bracketed(lesson):
    """"Sigmoid's best rate lies inside the range we tried"."""
    rates, best = lesson.value("list(learning_rates)"), lesson.value("best_lr")
    assert rates[0] < best["sigmoid"] < rates[-1]


def test_at_the_same_rate_sigmoid_is_far_behind_after_epoch_1(lesson):
    gap = lesson.value("mean_over_seeds('relu', 0.03, 'test_accuracy', 0)"
                       " - mean_over_seeds('sigmoid', 0.03, 'test_accuracy', 0)")
    assert gap > 0.2


def test_each_at_its_best_rate_relu_learns_faster(lesson):
    """"ReLU has the lower training loss after each epoch, and the higher test accuracy after the first"."""
    relu, sigmoid = lesson.value("[[mean_over_seeds(a, best_lr[a], 'train_loss', e) for e in (0, 1)]"
                                 " for a in ('relu', 'sigmoid')]")
    assert all(r < s for r, s in zip(relu, sigmoid, strict=True))
    first_epoch = lesson.value("first_epoch")
    assert first_epoch["relu"] > first_epoch["sigmoid"]


def test_softmax_first_cripples_training_and_log_softmax_does_not(lesson):
    """"The log-softmax network learns exactly like the correct one; the softmax network is far
    behind, and its training loss cannot go below 1.46"."""
    runs = lesson.value("{name: (run['test_accuracy'][-1], min(run['train_loss']))"
                        " for name, run in ending_runs.items()}")
    assert abs(runs["log_softmax"][0] - runs["raw logits"][0]) < 0.01
    assert runs["softmax"][0] < runs["raw logits"][0] - 0.1
    assert runs["softmax"][1] > 1.46


def test_every_solution_is_correct_in_the_lesson(lesson):
    """Each exercise's solution, typed into its cell of this lesson, gets "correct" (issue 18)."""
    assert solutions_refused(lesson) == ""
