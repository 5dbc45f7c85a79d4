"""Claims of lesson 2 (a single-layer model), checked on the executed lesson."""

import pytest

from .conftest import run_lesson, solutions_refused


@pytest.fixture(scope="module")
def lesson():
    yield from run_lesson("02_single_layer_model")


def test_untrained_model_guesses(lesson):
    """"Guessing evenly gives about 10% right and a loss of 2.30, near what we get" (random weights)."""
    loss, accuracy = lesson.value(
        "[F.cross_entropy(logits, train_labels[:64]).item(), accuracy(logits, train_labels[:64])]")
    assert 1.5 < loss < 4
    assert accuracy < 0.35


def test_unscaled_weights_give_a_much_larger_first_loss(lesson):
    """The bug: unscaled torch.randn weights give a first loss several times larger than 2.3."""
    unscaled, scaled = lesson.value("[unscaled_loss, F.cross_entropy(logits, train_labels[:64]).item()]")
    assert unscaled > 5 * scaled
    assert unscaled > 3 * 2.3


def test_one_batch_is_learned_but_not_the_digits(lesson):
    """The loss on one batch falls to a small fraction; the test images do much worse than the batch."""
    first, last, batch, unseen = lesson.value("[losses[0], losses[-1], batch_accuracy, unseen_accuracy]")
    assert last < first / 4
    assert batch >= 0.9
    assert unseen < batch - 0.2


def test_whole_set_reads_about_nine_digits_in_ten(lesson):
    """"About 9 test digits out of 10 are right" after 3 epochs by hand."""
    accuracies = lesson.value("test_accuracies")
    assert len(accuracies) == 3
    assert 0.85 <= accuracies[-1] <= 0.95


def test_border_weights_move_together_like_a_bias(lesson):
    """Always-background pixels: a digit's weights all move by the same amount, -0.42 times its bias."""
    lesson.inject("""
set_seed(0)
_start = torch.randn(784, 10, device=device) / 784**0.5  # section 5's starting weights
_always_background = (train.images == 0).all(dim=0).flatten().to(device)
_moved = (weights - _start).detach()[_always_background]
""")
    together, like_bias, moved, count = lesson.value(
        "[torch.allclose(_moved, _moved[0].expand_as(_moved), atol=1e-6),"
        " torch.allclose(_moved[0], train_images.min() * bias.detach(), rtol=1e-3, atol=1e-6),"
        " bool((_moved[0].abs() > 1e-4).all()), len(_moved)]")
    assert count > 10
    assert together and like_bias and moved


def test_too_large_a_learning_rate_jumps_up_and_stays_high(lesson):
    """lr = 5: the loss jumps to many times its start, then stays high but does not keep growing."""
    start, peak, late_big, late_small, small_start = lesson.value(
        "[big_losses[0], max(big_losses[:20]), late_big, late_small, small_losses[0]]")
    assert peak > 3 * start
    assert late_big > 2.3
    assert late_big > 5 * late_small
    assert late_big < peak
    assert late_small < small_start / 4


def test_too_large_a_learning_rate_still_reads_most_digits(lesson):
    """"lr = 5 still reads most test digits right, only fewer than lr = 0.05"."""
    big, small = lesson.value("[big_accuracy, small_accuracy]")
    assert 0.5 < big < small


def test_nn_linear_reads_about_nine_digits_in_ten(lesson):
    """The nn.Linear model: about 9 digits out of 10, like the hand-made model."""
    nn_accuracy, hand_accuracy = lesson.value("[test_accuracy, test_accuracies[-1]]")
    assert 0.85 <= nn_accuracy <= 0.95
    assert abs(nn_accuracy - hand_accuracy) < 0.03


def test_every_solution_is_correct_in_the_lesson(lesson):
    """Each exercise's solution, typed into its cell of this lesson, gets "correct" (issue 18)."""
    assert solutions_refused(lesson) == ""
