"""Tests of mnist_course.env and mnist_course.models."""

from __future__ import annotations

import re

import pytest
import torch

from mnist_course import env
from mnist_course.env import available_devices, describe_device, get_device, limit_cpu_threads, set_seed
from mnist_course.models import MLP, SmallCNN, SoftmaxRegression, build_model, count_parameters, parse_hidden


def test_set_seed_repeats_random_numbers():
    set_seed(3)
    first = torch.rand(5)
    set_seed(3)
    assert torch.equal(first, torch.rand(5))


# issue 20, item 8: one check of seeds, with the valid range in its message
@pytest.mark.parametrize("seed", [2**64, 99999999999999999999999, -1, 1.5])
def test_set_seed_refuses_seeds_pytorch_can_not_take_and_names_the_range(seed):
    with pytest.raises(ValueError, match=r"the seed must be a whole number from 0 to 2\*\*64 - 1 "
                                         r"\(18446744073709551615\), not "):
        set_seed(seed)


def test_the_largest_seed_is_accepted():
    set_seed(2**64 - 1)
    first = torch.rand(3)
    set_seed(2**64 - 1)
    assert torch.equal(first, torch.rand(3))


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
    with pytest.raises(ValueError, match="whole numbers"):
        MLP(hidden=(1.5,))


def test_softmax_regression_and_rebuild_from_config():
    model = SoftmaxRegression()
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert count_parameters(model) == 7850
    rebuilt = build_model("MLP", MLP(hidden=(32, 16), dropout=0.1).config)
    assert rebuilt.config == {"hidden": [32, 16], "dropout": 0.1, "activation": "relu"}
    with pytest.raises(ValueError, match="unknown model"):
        build_model("ResNet", {})


@pytest.fixture
def four_cpus(monkeypatch):
    monkeypatch.setattr(env.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)


@pytest.mark.parametrize(
    "cpu_max, expected",
    [("200000 100000\n", 2), ("150000 100000", 1), ("50000 100000", 1), ("max 100000\n", 4),
     ("800000 100000", 4), ("garbage", 4), (None, 4)],
)
def test_cpu_quota_reads_the_cgroup_file(tmp_path, four_cpus, cpu_max, expected):
    path = tmp_path / "cpu.max"
    if cpu_max is not None:
        path.write_text(cpu_max)
    assert env.cpu_quota(path) == expected


def test_limit_cpu_threads_caps_at_the_quota_and_says_so(monkeypatch):
    monkeypatch.setattr(env, "cpu_quota", lambda: 1)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert get_device("cpu") == torch.device("cpu")
        assert torch.get_num_threads() == 2  # choosing the device changes nothing else
        assert limit_cpu_threads() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert env.cpu_quota() >= 1


@pytest.mark.parametrize("typo", ["gpu", "tpu", "meta", "cuda:x"])
def test_a_device_typo_in_the_environment_names_the_choices(monkeypatch, typo):
    monkeypatch.setenv("MNIST_COURSE_DEVICE", typo)
    with pytest.raises(ValueError) as error:
        get_device()
    message = str(error.value)
    assert f"MNIST_COURSE_DEVICE={typo!r}" in message and "cpu, cuda, mps" in message
    with pytest.raises(ValueError, match="valid choices: cpu, cuda, mps"):
        get_device(typo)


def test_too_big_networks_are_refused_before_allocating(monkeypatch):
    built = []
    monkeypatch.setattr(torch.nn.Linear, "__init__", lambda self, *args, **kwargs: built.append(args))
    with pytest.raises(ValueError, match=r"36,\d{3},\d{3} parameters, more than the 20,000,000"):
        MLP(hidden=(4096, 4096, 4096))
    with pytest.raises(ValueError, match="at most 8 hidden layers"):
        MLP(hidden=(16,) * 9)
    with pytest.raises(ValueError, match="between 1 and 4096"):
        MLP(hidden=(5000,))
    assert built == []  # refused before a single layer was made
    with pytest.raises(ValueError, match="parameters"):
        parse_hidden("4096,4096,4096")
    with pytest.raises(ValueError, match="at most 8"):
        parse_hidden("8 " * 9)


def test_the_largest_allowed_networks_still_build():
    assert parse_hidden("4096, 2048, 1024") == (4096, 2048, 1024)
    assert count_parameters(MLP(hidden=(4096, 2048, 1024))) < 20_000_000
    assert len(MLP(hidden=(8,) * 8).config["hidden"]) == 8


def test_small_cnn_reads_every_input_shape_and_counts_its_parameters():
    torch.manual_seed(0)
    model = SmallCNN().eval()
    images = torch.randn(3, 1, 28, 28)
    logits = model(images)
    assert logits.shape == (3, 10)
    assert torch.equal(model(images.reshape(3, 28, 28)), logits)
    assert torch.equal(model(images.reshape(3, 784)), logits)
    assert count_parameters(model) == (32 * 25 + 32) + (64 * 32 * 25 + 64) + (1024 * 10 + 10)
    assert count_parameters(SmallCNN(channels=(8, 16), kernel_size=3)) == \
        (8 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 5 * 5 * 10 + 10)  # 28 -> 26 -> 13 -> 11 -> 5


def test_small_cnn_rebuilds_from_its_config_and_refuses_bad_settings():
    model = SmallCNN(channels=(4, 8), kernel_size=3, dropout=0.1)
    assert model.config == {"channels": [4, 8], "kernel_size": 3, "dropout": 0.1}
    rebuilt = build_model("SmallCNN", model.config)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
        {k: v.shape for k, v in model.state_dict().items()}
    for bad, message in (({"channels": (16,)}, "two whole numbers"), ({"channels": (16, 10_000)}, "1 to 256"),
                         ({"channels": (True, 2)}, "two whole numbers"), ({"kernel_size": 4}, "3, 5 or 7"),
                         ({"dropout": 1.0}, "dropout")):
        with pytest.raises(ValueError, match=message):
            SmallCNN(**bad)


def test_setup_seeds_and_says_what_it_chose(capsys):
    device = env.setup(seed=3)
    first = torch.rand(3)
    env.setup(seed=3)
    assert torch.equal(first, torch.rand(3))
    printed = capsys.readouterr().out
    assert device.type in env.DEVICE_KINDS
    for what in ("CPU threads:", "device:", "data:"):
        assert what in printed


def test_seeded_repeats_and_leaves_the_callers_random_numbers_alone():
    torch.manual_seed(1)
    expected_after = torch.rand(2)
    torch.manual_seed(1)
    with env.seeded(5):
        inside = torch.rand(4)
    with env.seeded(5):
        assert torch.equal(inside, torch.rand(4))
    assert torch.equal(torch.rand(2), expected_after)


def test_one_device_parser_for_lessons_command_line_and_dashboard(capsys):
    """Issue 17: three device parsers (env, the CLI, the dashboard's knob) said three things."""
    from mnist_course.cli.parser import main
    from mnist_course.env import parse_device
    from mnist_course.widgets import knobs

    assert parse_device("cuda:1") == "cuda:1" and parse_device(torch.device("cpu")) == "cpu"
    with pytest.raises(ValueError) as error:
        parse_device("gpu")
    message = str(error.value)
    assert message.startswith("'gpu' is not a device") and "valid choices: cpu, cuda, mps" in message
    with pytest.raises(ValueError, match=re.escape(message)):
        get_device("gpu")
    with pytest.raises(ValueError, match=re.escape(message)):
        knobs.make_settings({"device": "gpu"}, knobs.Context(100, ("cpu",)))
    assert knobs.make_settings({"device": "cpu:0"}, knobs.Context(100, ("cpu",))).device == "cpu"
    with pytest.raises(SystemExit):
        main(["train", "--device", "gpu"])
    assert message in capsys.readouterr().err
