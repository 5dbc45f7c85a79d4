"""Tests of mnist_course.data.idx on IDX files the tests build themselves."""

from __future__ import annotations

import gzip
import os
import struct
import time
import tracemalloc
import zlib

import pytest
import torch

from mnist_course.data import idx, load_mnist
from mnist_course.data.idx import MnistDataError, read_idx


def test_plain_and_gzip_idx_read_the_same(tmp_path, write_idx):
    labels = torch.arange(100, dtype=torch.uint8) % 10
    gz = write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    plain = write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    assert torch.equal(read_idx(gz), labels) and torch.equal(read_idx(plain), labels)
    images = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    assert torch.equal(read_idx(write_idx(tmp_path / "images.gz", images)), images)


def test_truncated_file_is_named(idx_folder):
    target = idx_folder / "t10k-images-idx3-ubyte.gz"
    raw = gzip.decompress(target.read_bytes())
    target.write_bytes(gzip.compress(raw[:-500]))  # valid gzip, too few bytes inside
    with pytest.raises(MnistDataError, match=r"t10k-images-idx3-ubyte\.gz is truncated or corrupted"):
        load_mnist("test")


def test_cut_gzip_stream_is_named(idx_folder):
    target = idx_folder / "train-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(MnistDataError, match=r"train-images-idx3-ubyte\.gz is corrupted or truncated"):
        load_mnist("train")


def test_wrong_magic_number_is_refused(tmp_path):
    bad = tmp_path / "t10k-labels-idx1-ubyte"
    bad.write_bytes(struct.pack(">II", 0x00000802, 3) + bytes(3))
    with pytest.raises(MnistDataError, match="not an IDX file"):
        read_idx(bad)


def test_header_with_no_images_is_a_clear_error(tmp_path):
    empty = tmp_path / "t10k-images-idx3-ubyte"
    empty.write_bytes(struct.pack(">IIII", 0x00000803, 0, 28, 28))
    with pytest.raises(MnistDataError, match=r"declares shape \(0, 28, 28\): no images"):
        read_idx(empty)


def test_header_promising_more_than_mnist_is_refused_before_reading(tmp_path):
    huge = tmp_path / "train-labels-idx1-ubyte.gz"
    huge.write_bytes(gzip.compress(struct.pack(">II", 0x00000801, 2**31) + bytes(10)))
    with pytest.raises(MnistDataError, match="more than MNIST holds"):
        read_idx(huge)
    wide = tmp_path / "train-images-idx3-ubyte"
    wide.write_bytes(struct.pack(">IIII", 0x00000803, 1, 10_000, 10_000))
    with pytest.raises(MnistDataError, match="more than MNIST holds"):
        read_idx(wide)


def _gzip_member(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


@pytest.mark.parametrize("magic, shape", [(0x00000801, (10_000,)), (0x00000803, (10_000, 28, 28))])
def test_gzip_bomb_is_refused_fast_and_small(tmp_path, magic, shape):
    # A gzip file may hold many members, read back to back: one header member, then the
    # same 1 MiB-of-zeros member 1024 times, a file of about 1 MB that expands to 1 GiB.
    bomb = tmp_path / "bomb-idx-ubyte.gz"
    zeros = _gzip_member(bytes(1 << 20))
    with open(bomb, "wb") as f:
        f.write(_gzip_member(struct.pack(">I" + "I" * len(shape), magic, *shape)))
        for _ in range(1024):
            f.write(zeros)
    assert bomb.stat().st_size < 1.5e6
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(MnistDataError, match="holds more"):
            read_idx(bomb)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0, f"took {elapsed:.1f} s"
    assert peak < 300e6, f"peak {peak / 1e6:.0f} MB"


def test_unreadable_file_is_a_permission_problem_not_corruption(tmp_path, write_idx, monkeypatch):
    path = write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", torch.zeros(5, dtype=torch.uint8))
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads everything: let opening the file fail as it does for other users
        def denied(file, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(file))

        monkeypatch.setattr(idx, "open", denied, raising=False)
    with pytest.raises(MnistDataError, match="permission denied") as error:
        read_idx(path)
    assert "chmod" in str(error.value) and "corrupted" not in str(error.value)


def test_trailing_garbage_after_the_gzip_stream_is_corruption(tmp_path, write_idx):
    path = write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", torch.zeros(5, dtype=torch.uint8))
    with open(path, "ab") as f:
        f.write(zlib.compress(b"x"))
    with pytest.raises(MnistDataError, match="corrupted"):
        read_idx(path)


def test_images_and_labels_must_agree(idx_folder, write_idx):
    write_idx(idx_folder / "t10k-labels-idx1-ubyte.gz", torch.zeros(19, dtype=torch.uint8))
    with pytest.raises(MnistDataError, match="20 images but 19 labels"):
        load_mnist("test")


def test_labels_outside_0_to_9_are_refused(idx_folder, write_idx):
    write_idx(idx_folder / "t10k-labels-idx1-ubyte.gz", torch.full((20,), 12, dtype=torch.uint8))
    with pytest.raises(MnistDataError, match="digits 0..9"):
        load_mnist("test")
