"""Tests of mnist_course.data on the real MNIST files."""

from __future__ import annotations

import gzip
import struct

import pytest
import torch

from mnist_course import data
from mnist_course.data import MnistDataError, TensorBatches, load_mnist, read_idx


def test_test_split_is_the_official_one(test_split):
    images, labels, source = test_split
    assert images.shape == (10_000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (10_000,) and labels.dtype == torch.int64
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the first official test labels
    assert torch.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert "10,000 test images" in source


def test_train_split_is_real_mnist_and_says_where_it_is_from(train_split):
    images, labels, source = train_split
    assert images.shape[1:] == (28, 28)
    assert len(images) == len(labels) >= 10_000
    assert int(images.max()) == 255 and int(images.min()) == 0
    assert set(labels.unique().tolist()) == set(range(10))
    if len(labels) < 60_000:
        assert "offline copy" in source and "subset of the 60,000" in source
    mean, std = data.mean_and_std(images)
    assert abs(mean - data.MNIST_MEAN) < 0.01 and abs(std - data.MNIST_STD) < 0.01


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")


def test_plain_and_gzip_idx_read_the_same(offline_copy):
    gz = offline_copy / "t10k-labels-idx1-ubyte.gz"
    plain = offline_copy / "t10k-labels-idx1-ubyte"
    plain.write_bytes(gzip.decompress(gz.read_bytes()))
    assert torch.equal(read_idx(gz), read_idx(plain))


def test_truncated_file_is_named(offline_copy):
    target = offline_copy / "t10k-images-idx3-ubyte.gz"
    raw = gzip.decompress(target.read_bytes())
    target.write_bytes(gzip.compress(raw[:-5000]))  # valid gzip, too few bytes inside
    with pytest.raises(MnistDataError, match=r"t10k-images-idx3-ubyte\.gz is truncated or corrupted"):
        load_mnist("test")


def test_cut_gzip_stream_is_named(offline_copy):
    target = offline_copy / "train-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(MnistDataError, match=r"train-labels-idx1-ubyte\.gz is corrupted or truncated"):
        load_mnist("train")


def test_wrong_magic_number_is_refused(tmp_path):
    bad = tmp_path / "t10k-labels-idx1-ubyte"
    bad.write_bytes(struct.pack(">II", 0x00000802, 3) + bytes(3))
    with pytest.raises(MnistDataError, match="not an IDX file"):
        read_idx(bad)


def test_images_and_labels_must_agree(offline_copy):
    labels = gzip.decompress((offline_copy / "t10k-labels-idx1-ubyte.gz").read_bytes())
    shorter = struct.pack(">II", 0x00000801, 9_999) + labels[8:-1]
    (offline_copy / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(shorter))
    with pytest.raises(MnistDataError, match="10,000 images but 9,999 labels"):
        load_mnist("test")


def test_labels_outside_0_to_9_are_refused(offline_copy):
    header = struct.pack(">II", 0x00000801, 10_000)
    (offline_copy / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(header + bytes([12]) * 10_000))
    with pytest.raises(MnistDataError, match="digits 0..9"):
        load_mnist("test")


def test_missing_file_and_wrong_folder_explain_both_fixes(offline_copy, monkeypatch, tmp_path):
    (offline_copy / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(MnistDataError) as error:
        load_mnist("train")
    assert "train-images-idx3-ubyte.gz" in str(error.value)
    assert "online:" in str(error.value) and "offline:" in str(error.value)
    monkeypatch.setenv("MNIST_COURSE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(MnistDataError, match="is not a folder"):
        load_mnist("test")


def test_no_network_and_no_copy_names_both_fixes(monkeypatch, tmp_path):
    import torchvision.datasets

    def no_network(*args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz: no network")

    monkeypatch.delenv("MNIST_COURSE_DATA", raising=False)
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    with pytest.raises(MnistDataError) as error:
        load_mnist("train", root=tmp_path)
    message = str(error.value)
    assert "Could not download MNIST" in message and str(tmp_path) in message
    assert "MNIST_COURSE_DATA=/path/to/that/folder" in message and "connect to the internet" in message
    with pytest.raises(MnistDataError, match="Could not download MNIST"):
        data.mnist_dataset("test", root=tmp_path)


def test_torchvision_dataset_route_reads_the_same_images(test_split, tmp_path):
    from torchvision import transforms

    dataset = data.mnist_dataset("test", transform=transforms.ToTensor(), root=tmp_path)
    image, label = dataset[0]
    assert image.shape == (1, 28, 28) and 0.0 <= image.min() and image.max() <= 1.0
    assert label == 7 and len(dataset) == len(test_split.labels)
    assert torch.allclose(image[0], test_split.images[0].float() / 255)


def test_to_float_images_matches_torchvision_normalize(test_split):
    from torchvision import transforms

    normalize = transforms.Normalize((data.MNIST_MEAN,), (data.MNIST_STD,))
    expected = normalize(test_split.images[:4].unsqueeze(1).float() / 255)
    assert torch.allclose(data.to_float_images(test_split.images[:4]), expected, atol=1e-6)


def test_tensor_batches_shapes_subset_and_drop_last(test_split):
    batches = TensorBatches(test_split.images, test_split.labels, batch_size=64, subset=1000)
    assert len(batches) == 1000 // 64
    shapes = {(tuple(x.shape), tuple(y.shape), x.dtype) for x, y in batches}
    assert shapes == {((64, 1, 28, 28), (64,), torch.float32)}
    keep_last = TensorBatches(test_split.images, test_split.labels, batch_size=64, subset=1000,
                              drop_last=False)
    assert [len(y) for _, y in keep_last][-1] == 1000 % 64


def test_tensor_batches_shuffle_is_seeded_and_covers_everything(test_split):
    def first_labels(seed):
        batches = TensorBatches(test_split.images, test_split.labels, batch_size=100, subset=500, seed=seed)
        return torch.cat([y for _, y in batches])

    assert torch.equal(first_labels(1), first_labels(1))
    assert not torch.equal(first_labels(1), first_labels(2))
    assert sorted(first_labels(1).tolist()) == sorted(test_split.labels[:500].tolist())


def test_tensor_batches_reject_bad_sizes(test_split):
    with pytest.raises(ValueError, match="batch_size"):
        TensorBatches(test_split.images, test_split.labels, batch_size=0)
    with pytest.raises(ValueError, match="subset"):
        TensorBatches(test_split.images, test_split.labels, subset=0)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_COURSE_CACHE", str(tmp_path))
    assert data.default_cache_dir() == tmp_path
    monkeypatch.delenv("MNIST_COURSE_CACHE")
    assert data.default_cache_dir().name == "data"
