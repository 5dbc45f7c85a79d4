"""Claims of appendix A1 (fast batches and CPU threads), checked on the executed appendix.

Every number in A1 is a timing; the prose says what to expect in words, and these tests check
those words on this machine's run (CI runs them on an otherwise idle machine).
"""

import pytest

from .conftest import run_lesson


@pytest.fixture(scope="module")
def lesson():
    yield from run_lesson("A1_fast_batches_and_threads")


def test_too_many_threads_train_more_slowly(lesson):
    """"Eight threads per CPU train more slowly than the better of the other two choices"."""
    one, per_cpu, too_many = lesson.value("[steps[1], steps[cpu_quota()], steps[8 * cpu_quota()]]")
    assert too_many < max(one, per_cpu)


def test_limit_cpu_threads_brings_them_down(lesson):
    before, after = lesson.value("[8, limit_cpu_threads() // cpu_quota()]")
    assert after == 1 < before


def test_both_routes_hold_the_same_images(lesson):
    """"The first training image as the Dataset gives it equals the first row of TensorBatches"."""
    difference, same_label = lesson.value(
        "[(first_image - tensor_batches.images[0]).abs().max().item(), "
        "first_label == tensor_batches.labels[0].item()]")
    assert difference < 1e-6 and same_label


def test_tensor_batches_deliver_more_than_ten_times_faster(lesson):
    assert lesson.value("delivery_gain") > 10


def test_training_gains_more_than_one_and_a_half_but_less_than_delivery(lesson):
    training_gain, delivery_gain = lesson.value("[training_gain, delivery_gain]")
    assert 1.5 < training_gain < delivery_gain


def test_the_smaller_network_trains_faster(lesson):
    small, big = lesson.value("[small_steps, big_steps]")
    assert small > big
