"""Tests of mnist_course.env and mnist_course.models."""

from __future__ import annotations

import pytest
import torch

from mnist_course.env import available_devices, describe_device, get_device, set_seed
from mnist_course.models import MLP, SoftmaxRegression, build_model, count_parameters


def test_set_seed_repeats_random_numbers():
    set_seed(3)
    first = torch.rand(5)
    set_seed(3)
    assert torch.equal(first, torch.rand(5))


def test_get_device_prefers_the_best_available(monkeypatch):
    monkeypatch.delenv("MNIST_COURSE_DEVICE", raising=False)
    assert get_device().type == available_devices()[0]
    assert available_devices()[-1] == "cpu"


def test_get_device_follows_argument_then_environment(monkeypatch):
    monkeypatch.setenv("MNIST_COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("cpu") == torch.device("cpu")


def test_get_device_cuda_when_present(monkeypatch):
    monkeypatch.delenv("MNIST_COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device().type == "cuda"


def test_unavailable_device_is_explained(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("MNIST_COURSE_DEVICE", "cuda")
    with pytest.raises(ValueError, match="not available here"):
        get_device()


def test_describe_device_names_the_kind():
    assert describe_device("cpu").startswith("cpu (")


@pytest.mark.parametrize(
    "hidden, parameters",
    [((128, 256), 784 * 128 + 128 + 128 * 256 + 256 + 256 * 10 + 10),
     ((250, 200), 784 * 250 + 250 + 250 * 200 + 200 + 200 * 10 + 10),
     ((500, 256), 784 * 500 + 500 + 500 * 256 + 256 + 256 * 10 + 10)],
)
def test_mlp_sizes_of_the_lessons(hidden, parameters):
    model = MLP(hidden=hidden, dropout=0.5)
    assert count_parameters(model) == parameters
    images = torch.randn(4, 1, 28, 28)
    assert model(images).shape == (4, 10)
    assert model(images.reshape(4, 784)).shape == (4, 10)


def test_dropout_is_active_only_in_train_mode():
    model = MLP(hidden=(64,), dropout=0.5)
    x = torch.randn(8, 784)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


def test_sigmoid_and_bad_settings():
    assert isinstance(MLP(activation="sigmoid").layers[2], torch.nn.Sigmoid)
    with pytest.raises(ValueError, match="activation"):
        MLP(activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        MLP(dropout=1.0)
    with pytest.raises(ValueError, match="positive"):
        MLP(hidden=(0,))


def test_softmax_regression_and_rebuild_from_config():
    model = SoftmaxRegression()
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert count_parameters(model) == 7850
    rebuilt = build_model("MLP", MLP(hidden=(32, 16), dropout=0.1).config)
    assert rebuilt.config == {"hidden": [32, 16], "dropout": 0.1, "activation": "relu"}
    with pytest.raises(ValueError, match="unknown model"):
        build_model("ResNet", {})


def test_cpu_threads_are_capped_at_the_quota(monkeypatch):
    from mnist_course import env

    monkeypatch.setenv("MNIST_COURSE_DEVICE", "cpu")
    monkeypatch.setattr(env, "cpu_quota", lambda: 1)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        get_device()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert env.cpu_quota() >= 1
