"""Claims of lesson 1 (inspect the dataset), checked on the executed lesson."""

import pytest

from .conftest import run_lesson, solutions_refused


@pytest.fixture(scope="module")
def lesson():
    yield from run_lesson("01_inspect_the_dataset")


def test_classes_are_balanced(lesson):
    """"Every digit has about a tenth of the images": between 8% and 12% each."""
    shares = lesson.value("[float(s) for s in shares]")
    assert len(shares) == 10
    assert all(0.08 < s < 0.12 for s in shares)


def test_to_tensor_scales_pixels_to_0_1(lesson):
    """"0..255 in the file become 0.0..1.0": the image's pixels lie in 0..1, ink reaching 1."""
    smallest, largest = lesson.value("[image.min().item(), image.max().item()]")
    assert smallest == 0.0
    assert 0.9 < largest <= 1.0


def test_offline_copy_has_less_training_data(lesson):
    """Full MNIST has 60,000 training and 10,000 test images; the offline copy 10,000 of the training ones."""
    sizes = lesson.value("[len(train_dataset), len(test_dataset), len(train.images), len(test.images)]")
    assert sizes[1] == sizes[3] == 10_000
    assert sizes[0] == sizes[2] in (10_000, 60_000)


def test_mean_and_std_are_close_to_the_classic_values(lesson):
    """"The offline 10,000-image subset gives nearly the same values" as 0.1307 and 0.3081."""
    mean, std = lesson.value("[mean, std]")
    assert abs(mean - 0.1307) < 0.005
    assert abs(std - 0.3081) < 0.005


def test_normalize_centres_on_0_with_spread_1(lesson):
    """"The mean becomes about 0 and the std about 1" after Normalize (first 1,000 images)."""
    mean, std = lesson.value("[after.mean().item(), after.std().item()]")
    assert abs(mean) < 0.1
    assert abs(std - 1) < 0.1


def test_normalize_half_is_not_centred(lesson):
    """The bug: Normalize((0.5,), (0.5,)) gives mean about -0.74 and std about 0.62, not 0 and 1."""
    mean, std = lesson.value("[half.mean().item(), half.std().item()]")
    assert -0.8 < mean < -0.68
    assert 0.55 < std < 0.7


def test_last_batch_is_smaller(lesson):
    """"The last batch is smaller": one pass covers every image, the last batch has fewer than 64."""
    batches, last, images = lesson.value("[len(train_loader), last_batch, len(train_dataset)]")
    assert batches == (images + 63) // 64
    assert 0 < last < 64


def test_every_solution_is_correct_in_the_lesson(lesson):
    """Each exercise's solution, typed into its cell of this lesson, gets "correct" (issue 18)."""
    assert solutions_refused(lesson) == ""
