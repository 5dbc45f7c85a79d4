"""Claims of lesson 1 (inspect the dataset), checked on the executed lesson."""

import pytest

from .conftest import run_lesson


@pytest.fixture(scope="module")
def lesson():
    yield from run_lesson("01_inspect_the_dataset")


def test_classes_are_balanced(lesson):
    """"Every digit has about a tenth of the images": between 8% and 12% each."""
    shares = lesson.value("[float(s) for s in shares]")
    assert len(shares) == 10
    assert all(0.08 < s < 0.12 for s in shares)
