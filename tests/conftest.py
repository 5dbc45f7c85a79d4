"""Shared fixtures: the tests read real MNIST, or small IDX files they build themselves.

With ``MNIST_COURSE_DATA`` unset, the tests use the offline copy beside the repository
(``../shared/data/mnist-offline``) when it exists, else the normal download.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
OFFLINE = REPO.parent / "shared" / "data" / "mnist-offline"

if not os.environ.get("MNIST_COURSE_DATA") and OFFLINE.is_dir():
    os.environ["MNIST_COURSE_DATA"] = str(OFFLINE)

# Exercise checks record a student's progress in a file in the working directory: the tests (and the
# kernels and JupyterLab servers they start, which inherit this) write to a private temporary file.
os.environ["MNIST_COURSE_PROGRESS"] = str(Path(tempfile.mkdtemp(prefix="mnist_course_progress_")) / "p.json")


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


def _write_idx(path: Path, data: torch.Tensor) -> Path:
    """Write a uint8 tensor as an IDX file (gzip-compressed when the name ends in .gz)."""
    magic = 0x00000803 if data.ndim == 3 else 0x00000801
    raw = struct.pack(">I" + "I" * data.ndim, magic, *data.shape) + data.numpy().tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def _make_idx_folder(folder: Path, seed: int = 0, n_train: int = 60, n_test: int = 20) -> Path:
    """Four small MNIST-shaped IDX files: random 28x28 pixels, labels cycling 0..9."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    for stem, n in (("train", n_train), ("t10k", n_test)):
        images = torch.randint(0, 256, (n, 28, 28), generator=generator, dtype=torch.uint8)
        labels = (torch.arange(n) + seed) % 10
        _write_idx(folder / f"{stem}-images-idx3-ubyte.gz", images)
        _write_idx(folder / f"{stem}-labels-idx1-ubyte.gz", labels.to(torch.uint8))
    return folder


@pytest.fixture
def write_idx():
    """``write_idx(path, uint8_tensor)``: build an IDX file (``.gz`` when the name says so)."""
    return _write_idx


@pytest.fixture
def make_idx_folder():
    """``make_idx_folder(folder, seed=0, n_train=60, n_test=20)``: four small IDX files."""
    return _make_idx_folder


@pytest.fixture
def idx_folder(tmp_path, monkeypatch):
    """Four small IDX files this test owns (60 train, 20 test), with MNIST_COURSE_DATA on them.

    Built by the test itself, so the corrupt-file tests never depend on (or skip without)
    the offline copy of MNIST.
    """
    folder = _make_idx_folder(tmp_path / "mnist")
    monkeypatch.setenv("MNIST_COURSE_DATA", str(folder))
    return folder


# ------------------------------------------------ browser tests (test_browser, test_exercises_browser)


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; skip (or fail when MNIST_COURSE_REQUIRE_BROWSER=1) without it."""
    from browser_helpers import CHROMIUM, skip_or_fail

    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory):
    """A private JupyterLab server on a free port, whose kernels import this checkout."""
    from browser_helpers import JupyterLabServer

    env = {"PYTHONPATH": str(REPO), "MNIST_COURSE_DATA": os.environ.get("MNIST_COURSE_DATA", "")}
    server = JupyterLabServer(tmp_path_factory.mktemp("jupyterlab"), env=env)
    try:
        server.start()
        yield server
    finally:
        server.stop()
    assert server.process.poll() is not None, "the JupyterLab server is still running"


@pytest.fixture(scope="module")
def browser(chromium):
    """A headless Chromium driven by Playwright."""
    from browser_helpers import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, lab):
    """A fresh browser tab; afterwards the tab is closed and the test's kernels shut down."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()
        lab.shut_down_kernels()
