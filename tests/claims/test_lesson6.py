"""Claims of lesson 6 (a small convolutional network), checked on the executed lesson.

Every comparison of the MLP with the CNN in the prose has its test here, with a margin: the
claims must hold on any copy of MNIST and any training order, and after the helpers that clean
the pictures (``mnist_course.handwriting``) change.
"""

import pytest

from .conftest import run_lesson, solutions_refused


@pytest.fixture(scope="module")
def lesson():
    yield from run_lesson("06_a_small_convolutional_network", timeout=1800)  # 15 CNN epochs on a busy CPU


def test_mlp_reads_about_98_percent_where_the_digits_are(lesson):
    """The predict-first prompt: "the MLP reads about 98% of the test digits where they are"."""
    assert 0.97 <= lesson.value("mlp_shifted[0]") <= 0.995


def test_small_moves_cost_the_mlp_little_large_ones_much(lesson):
    """1 or 2 pixels cost hardly anything; 4 pixels many points; at 6 pixels it reads fewer than half."""
    shifted = lesson.value("mlp_shifted")
    assert shifted[1] > shifted[0] - 0.02 and shifted[2] > shifted[0] - 0.02
    assert shifted[4] < shifted[0] - 0.10
    assert shifted[6] < 0.5


def test_by_hand_sum_equals_conv2d(lesson):
    """"Each output pixel is only a sum of products": the hand-made sum is F.conv2d's value."""
    assert lesson.value("torch.isclose(by_hand, feature_maps[0, 0, row, col], atol=1e-5).item()")


def test_cnn_has_far_fewer_weights_but_more_arithmetic(lesson):
    """"8 times fewer weights but about 7 times the arithmetic"."""
    mlp_parameters, cnn_parameters, mlp_mult, cnn_mult = lesson.value(
        "[mlp_parameters, cnn_parameters, mlp_multiplications, cnn_multiplications]")
    assert round(mlp_parameters / cnn_parameters) == 8
    assert 6.5 < cnn_mult / mlp_mult < 7.5


def test_training_accuracy_stays_below_validation(lesson):
    """Augmentation and dropout make training the harder test: train below validation at the end."""
    train, validation = lesson.value("[history.train_accuracy[-1], history.test_accuracy[-1]]")
    assert train < validation


def test_cnn_is_slower_per_epoch_on_a_cpu(lesson):
    """"On a CPU the CNN takes longer per epoch"."""
    device, cnn_epoch, mlp_epoch = lesson.value("[device.type, cnn_epoch, mlp_epoch]")
    if device != "cpu":
        pytest.skip("the claim is about a CPU")
    assert cnn_epoch > 1.2 * mlp_epoch


def test_cnn_makes_fewer_test_mistakes(lesson):
    """"The CNN makes fewer mistakes on the test set": at least 10 fewer of the 10,000."""
    mlp_test, cnn_test = lesson.value("[mlp_test, cnn_test]")
    assert cnn_test >= mlp_test + 0.001


def test_small_moves_close_large_moves_cnn_ahead(lesson):
    """Up to 3 pixels both read more than nine in ten and stay close; from 4 on the CNN is clearly ahead."""
    mlp, cnn = lesson.value("[mlp_shifted, cnn_shifted]")
    assert min(mlp[3], cnn[3]) > 0.9
    assert all(abs(c - m) < 0.05 for c, m in zip(cnn[:4], mlp[:4], strict=True))
    assert all(c > m + 0.05 for c, m in zip(cnn[4:], mlp[4:], strict=True))


def test_cnn_is_not_immune_to_large_moves(lesson):
    """"Moved far enough, its accuracy falls too": the CNN loses many points at 6 pixels."""
    cnn = lesson.value("cnn_shifted")
    assert cnn[6] < cnn[0] - 0.2


def test_both_read_nearly_all_own_digits_with_little_to_gain(lesson):
    """Both read nearly all of the course's own pictures; they differ by at most 2 pictures."""
    mlp, cnn, count = lesson.value("[mlp_samples, cnn_samples, len(labels)]")
    assert min(mlp, cnn) >= 0.85
    assert round(abs(mlp - cnn) * count) <= 2


def test_the_cnn_reads_more_of_the_hard_set_and_both_stay_below_mnist(lesson):
    """"The CNN reads more pictures than the MLP, though both read fewer of them than of MNIST's test
    digits"."""
    mlp, cnn, mlp_test, cnn_test = lesson.value(
        '[mlp_kind["all"], cnn_kind["all"], mlp_test, cnn_test]')
    assert cnn > mlp
    assert mlp < mlp_test and cnn < cnn_test


def test_tiny_digits_are_the_hardest_kind_for_both(lesson):
    """"Tiny digits in a big photo are the hardest kind for both"."""
    hardest = lesson.value("[min(sorted(set(hard_kinds)), key=k.get) for k in (mlp_kind, cnn_kind)]")
    assert hardest == ["tiny", "tiny"]


def test_of_the_pictures_only_one_model_reads_the_cnn_reads_most(lesson):
    """"Of the pictures that only one model reads, the CNN reads most. Some are wrong for both"."""
    only_cnn, only_mlp, both = lesson.value("[len(only_cnn_right), len(only_mlp_right), len(both_wrong)]")
    assert only_cnn > only_mlp and both > 0


def test_kind_by_kind_differences_are_a_few_pictures_mostly_the_cnns_way(lesson):
    """"Kind by kind the differences are a few pictures, and most go the CNN's way" (in pictures)."""
    differences = lesson.value(
        "[round((cnn_kind[k] - mlp_kind[k]) * hard_kinds.count(k)) for k in sorted(set(hard_kinds))]")
    assert all(abs(d) <= 4 for d in differences)
    assert sum(d > 0 for d in differences) > sum(d < 0 for d in differences)


def test_every_solution_is_correct_in_the_lesson(lesson):
    """Each exercise's solution, typed into its cell of this lesson, gets "correct" (issue 18)."""
    assert solutions_refused(lesson) == ""
