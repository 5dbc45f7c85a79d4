"""Shared fixtures: the tests read real MNIST, never synthetic stand-ins.

With ``MNIST_COURSE_DATA`` unset, the tests use the offline copy beside the repository
(``../shared/data/mnist-offline``) when it exists, else the normal download.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OFFLINE = REPO.parent / "shared" / "data" / "mnist-offline"

if not os.environ.get("MNIST_COURSE_DATA") and OFFLINE.is_dir():
    os.environ["MNIST_COURSE_DATA"] = str(OFFLINE)


@pytest.fixture(scope="session")
def train_split():
    """The real MNIST training split (offline copy in CI)."""
    from mnist_course.data import load_mnist

    return load_mnist("train")


@pytest.fixture(scope="session")
def test_split():
    """The real MNIST test split."""
    from mnist_course.data import load_mnist

    return load_mnist("test")


@pytest.fixture
def offline_copy(tmp_path, monkeypatch):
    """A writable copy of the four IDX files, with MNIST_COURSE_DATA pointing at it."""
    import shutil

    source = Path(os.environ.get("MNIST_COURSE_DATA", OFFLINE))
    if not (source / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip("needs an offline copy of the MNIST IDX files")
    for path in source.glob("*-ubyte*"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv("MNIST_COURSE_DATA", str(tmp_path))
    return tmp_path
