"""Tests of mnist_course.checkpoints: safe, checked, atomic saving and loading."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_course.checkpoints import (
    DEFAULT_RECIPE,
    CheckpointError,
    check_writable,
    load_checkpoint,
    save_checkpoint,
)
from mnist_course.models import MLP, SmallCNN, SoftmaxRegression

REPO = Path(__file__).resolve().parents[1]


def rewrite(path, change):
    """Load a saved checkpoint's raw payload, let ``change`` edit it, write it back."""
    payload = torch.load(path, weights_only=True)
    change(payload)
    torch.save(payload, path)
    return path


def test_round_trip_keeps_weights_settings_metrics_and_recipe(tmp_path, test_split):
    model = MLP(hidden=(40, 20), dropout=0.3, activation="sigmoid")
    model.recipe = {"mean": 0.2, "std": 0.4, "preprocess": {"deskew": True}}
    path = save_checkpoint(tmp_path / "sub" / "model.pt", model, {"test_accuracy": 0.5})
    loaded, info = load_checkpoint(path)
    assert info["config"] == model.config and info["metrics"] == {"test_accuracy": 0.5}
    assert info["recipe"] == loaded.recipe == model.recipe
    assert info["normalization"] == {"mean": 0.2, "std": 0.4}
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    model.eval()
    x = test_split.images[:8].float()
    assert torch.equal(loaded(x), model(x)) and not loaded.training
    assert not list(tmp_path.rglob("*.part"))


def test_a_model_without_recipe_is_saved_with_the_default(tmp_path):
    model, info = load_checkpoint(save_checkpoint(tmp_path / "m.pt", SoftmaxRegression()))
    assert model.recipe == info["recipe"] == DEFAULT_RECIPE


def test_saved_file_gets_the_normal_file_mode_not_0600(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", SoftmaxRegression())
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_missing_truncated_and_foreign_files_are_explained(tmp_path):
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_checkpoint(tmp_path / "none.pt")
    good = save_checkpoint(tmp_path / "good.pt", SoftmaxRegression())
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(cut)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not written by mnist_course"):
        load_checkpoint(foreign)


def test_a_pickled_whole_model_is_refused(tmp_path):
    path = tmp_path / "whole.pt"
    torch.save(MLP(hidden=(8,)), path)  # the unsafe way some tutorials save
    with pytest.raises(CheckpointError, match="could run code"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_are_explained(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", MLP(hidden=(8,)))
    rewrite(path, lambda p: p["config"].update(hidden=[9]))
    with pytest.raises(CheckpointError, match=r"do not fit .*layers.1.weight: expected \(9, 784\)"):
        load_checkpoint(path)
    rewrite(path, lambda p: p["config"].update(hidden=[8]) or p["state_dict"].update(
        {k: v.double() for k, v in p["state_dict"].items()}))
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path)  # float64 weights would fail later, on every float32 input


# item 5: metrics are plain Python values, so that every saved file loads
def test_numpy_and_tensor_metrics_are_saved_as_plain_numbers(tmp_path):
    metrics = {"accuracy": np.float64(0.97), "loss": np.float32(0.25), "epoch": np.int64(3),
               "t": torch.tensor(0.5), "best": np.bool_(True), "name": "run", "none": None}
    _, info = load_checkpoint(save_checkpoint(tmp_path / "m.pt", SoftmaxRegression(), metrics))
    assert info["metrics"] == {"accuracy": 0.97, "loss": 0.25, "epoch": 3, "t": 0.5, "best": True,
                               "name": "run", "none": None}
    assert [type(v) for v in info["metrics"].values()] == [float, float, int, float, bool, str, type(None)]


@pytest.mark.parametrize("value", [np.array([0.9, 0.8]), torch.ones(2), [0.9], {"a": 1}, 1 + 2j])
def test_a_metric_that_is_not_a_plain_value_is_refused_at_save_time(tmp_path, value):
    with pytest.raises(TypeError, match="'bad' must be a plain number"):
        save_checkpoint(tmp_path / "m.pt", SoftmaxRegression(), {"bad": value})
    assert list(tmp_path.iterdir()) == []


# item 5: missing keys give defaults or a CheckpointError, never a raw KeyError
def test_missing_metrics_and_recipe_load_with_defaults(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", SoftmaxRegression(), {"a": 1.0})
    rewrite(path, lambda p: [p.pop("metrics"), p.pop("recipe")])
    model, info = load_checkpoint(path)
    assert info["metrics"] == {} and info["recipe"] == model.recipe == DEFAULT_RECIPE


@pytest.mark.parametrize("key", ["state_dict", "config", "model_class"])
def test_missing_essential_keys_are_a_checkpoint_error(tmp_path, key):
    path = rewrite(save_checkpoint(tmp_path / "m.pt", SoftmaxRegression()), lambda p: p.pop(key))
    with pytest.raises(CheckpointError, match=f"damaged: '{key}' is missing"):
        load_checkpoint(path)


def test_format_1_files_still_load_with_their_normalisation(tmp_path):
    model = MLP(hidden=(8,))
    path = tmp_path / "old.pt"
    torch.save({"format": "mnist_course.checkpoint/1", "model_class": "MLP", "config": model.config,
                "state_dict": model.state_dict(), "metrics": {"test_accuracy": 0.9},
                "normalization": {"mean": 0.5, "std": 0.25}}, path)
    loaded, info = load_checkpoint(path)
    assert loaded.recipe == info["recipe"] == {"mean": 0.5, "std": 0.25, "preprocess": {}}
    assert info["normalization"] == {"mean": 0.5, "std": 0.25} and info["metrics"] == {"test_accuracy": 0.9}
    rewrite(path, lambda p: p.pop("normalization"))
    assert load_checkpoint(path)[1]["recipe"] == DEFAULT_RECIPE


# item 5: NaN and infinity are refused
@pytest.mark.parametrize("recipe", [{"mean": float("nan"), "std": 0.3}, {"mean": 0.1, "std": float("inf")},
                                    {"mean": 0.1, "std": 0.0}, {"mean": "0.1", "std": 0.3}, [0.1, 0.3]])
def test_a_bad_normalisation_in_the_file_is_a_checkpoint_error(tmp_path, recipe):
    path = rewrite(save_checkpoint(tmp_path / "m.pt", SoftmaxRegression()), lambda p: p.update(recipe=recipe))
    with pytest.raises(CheckpointError, match="recipe|normalisation"):
        load_checkpoint(path)


def test_nan_weights_are_refused_when_saving_and_when_loading(tmp_path):
    model = SoftmaxRegression()
    with torch.no_grad():
        model.linear.weight[0, 0] = float("nan")
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        save_checkpoint(tmp_path / "nan.pt", model)
    assert list(tmp_path.iterdir()) == []
    path = save_checkpoint(tmp_path / "m.pt", SoftmaxRegression())
    rewrite(path, lambda p: p["state_dict"]["linear.bias"].fill_(float("inf")))
    with pytest.raises(CheckpointError, match="'linear.bias' contain NaN or infinite"):
        load_checkpoint(path)


# item 14: the settings are checked against the stored tensors before the model is built
def test_huge_layer_sizes_in_a_small_file_are_refused(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", MLP(hidden=(8,)))
    rewrite(path, lambda p: p["config"].update(hidden=[20000, 20000]))
    with pytest.raises(CheckpointError, match="between 1 and 4096"):
        load_checkpoint(path)
    rewrite(path, lambda p: p["config"].update(hidden=[8] * 100_000))
    with pytest.raises(CheckpointError, match="at most 8 hidden layers, not 100000"):
        load_checkpoint(path)
    rewrite(path, lambda p: p["config"].update(hidden=[8] * 4))  # within the limits: 4 layers, 4 tensors
    with pytest.raises(CheckpointError, match="4 hidden layers, but only 4 tensors"):
        load_checkpoint(path)


def test_a_mismatched_config_does_not_allocate_the_model_it_names(tmp_path):
    """hidden=[2048, 2048] is 23 MB of float32 weights (allowed sizes); the small file must not cost that."""
    path = save_checkpoint(tmp_path / "m.pt", MLP(hidden=(8, 8)))
    rewrite(path, lambda p: p["config"].update(hidden=[2048, 2048]))
    script = textwrap.dedent(f"""
        import resource, sys
        import torch
        from mnist_course.checkpoints import CheckpointError, load_checkpoint
        from mnist_course.models import MLP
        MLP(hidden=(8,))  # warm up the allocator and the modules
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            load_checkpoint({str(path)!r})
        except CheckpointError as exc:
            assert "do not fit" in str(exc), exc
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(grown // 1024)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 10, f"loading grew the peak memory by {result.stdout.strip()} MB"


# item 5 and 16: atomic saves with unique temporary names
def test_a_failed_save_leaves_no_temporary_file_and_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "m.pt", SoftmaxRegression(), {"run": 1})

    def broken_save(payload, file):
        file.write(b"half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(path, SoftmaxRegression(), {"run": 2})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]
    assert load_checkpoint(path)[1]["metrics"] == {"run": 1}


def test_a_full_disk_inside_torch_save_is_one_clear_error(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "m.pt", SoftmaxRegression(), {"run": 1})

    def full_disk(payload, file):  # torch wraps the file's OSError in a RuntimeError
        file.write(b"half a checkpoint")
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")  # noqa: B904

    monkeypatch.setattr(torch, "save", full_disk)
    message = re.escape(f"could not write the checkpoint {path}: the disk is full")
    with pytest.raises(CheckpointError, match=message) as caught:
        save_checkpoint(path, SoftmaxRegression(), {"run": 2})
    assert isinstance(caught.value, OSError) and "enforce fail" not in str(caught.value)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]
    assert load_checkpoint(path)[1]["metrics"] == {"run": 1}


def test_a_symlink_named_like_the_temporary_file_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    trap = tmp_path / "m.pt.part"  # the fixed temporary name older versions wrote to
    trap.symlink_to(victim)
    path = save_checkpoint(tmp_path / "m.pt", SoftmaxRegression())
    assert victim.read_text() == "precious"
    assert trap.is_symlink() and trap.resolve() == victim
    assert load_checkpoint(path)[0].recipe == DEFAULT_RECIPE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt", "m.pt.part", "victim.txt"]


def test_two_processes_saving_to_one_path_never_fail(tmp_path):
    path = tmp_path / "shared.pt"
    script = textwrap.dedent(f"""
        import sys
        from mnist_course.checkpoints import save_checkpoint
        from mnist_course.models import SoftmaxRegression
        model, writer = SoftmaxRegression(), int(sys.argv[1])
        print("ready", flush=True)
        sys.stdin.readline()  # both start saving when the test says go
        for i in range(150):
            save_checkpoint({str(path)!r}, model, {{"writer": writer, "i": i}})
        print("done", flush=True)
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    writers = [subprocess.Popen([sys.executable, "-c", script, str(n)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for n in (0, 1)]
    try:
        assert [w.stdout.readline() for w in writers] == ["ready\n", "ready\n"]
        for w in writers:
            w.stdin.write("go\n")
            w.stdin.flush()
        results = [w.communicate(timeout=60) for w in writers]
    finally:
        for w in writers:
            w.kill()
    assert [w.returncode for w in writers] == [0, 0], [err for _, err in results]
    assert [out for out, _ in results] == ["done\n", "done\n"]
    metrics = load_checkpoint(path)[1]["metrics"]
    assert metrics["writer"] in (0, 1) and metrics["i"] == 149
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.pt"]


def test_check_writable_refuses_folders_and_unwritable_places(tmp_path):
    assert check_writable(tmp_path / "new" / "m.pt") == tmp_path / "new" / "m.pt"
    assert (tmp_path / "new").is_dir() and list((tmp_path / "new").iterdir()) == []
    with pytest.raises(CheckpointError, match="is a folder"):
        check_writable(tmp_path)
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(CheckpointError, match="can not write a checkpoint to"):
        check_writable(tmp_path / "file" / "m.pt")
    with pytest.raises(CheckpointError, match="is a folder"):
        save_checkpoint(tmp_path, SoftmaxRegression())


def test_a_small_cnn_round_trips_with_its_recipe(tmp_path, test_split):
    from mnist_course.recipe import build_final_model

    torch.manual_seed(0)
    model = build_final_model(model="cnn").eval()
    path = save_checkpoint(tmp_path / "cnn.pt", model, {"test_accuracy": 0.99})
    loaded, info = load_checkpoint(path)
    assert info["model_class"] == "SmallCNN" and info["config"] == model.config
    assert loaded.recipe == model.recipe and loaded.recipe["preprocess"] == {"deskew": True}
    x = (test_split.images[:8].float() / 255 - 0.1307) / 0.3081
    assert torch.equal(loaded(x), model(x))


def test_a_small_cnn_with_settings_that_do_not_fit_its_weights_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "cnn.pt", SmallCNN(channels=(4, 8)))
    rewrite(path, lambda p: p["config"].update(channels=[256, 256]))  # allowed sizes, other shapes
    with pytest.raises(CheckpointError, match=r"do not fit .*features.0.weight: expected \(256, 1, 5, 5\)"):
        load_checkpoint(path)
    rewrite(path, lambda p: p["config"].update(channels=[4, 100_000]))
    with pytest.raises(CheckpointError, match="settings are invalid: channels must be"):
        load_checkpoint(path)


@pytest.mark.parametrize("recipe, message", [
    ({"mean": 0.1307, "std": 0.3081, "preprocess": {"deskew": True, "evil": 1}}, "preprocess.evil"),
    ({"mean": 0.1307, "std": 0.3081, "preprocess": {"deskew": "yes"}}, "True or False"),
    ({"mean": 0.1307, "std": 0.3081, "preprocess": {}, "extra": 2}, "extra"),
])
def test_a_checkpoint_whose_recipe_has_unknown_settings_is_refused_on_load(tmp_path, recipe, message):
    """Issue 20: {"deskew": true, "evil": 1} loaded, then predict failed with a TypeError traceback."""
    path = save_checkpoint(tmp_path / "model.pt", MLP(hidden=(8,)))
    payload = torch.load(path, weights_only=True)
    payload["recipe"] = recipe
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)
