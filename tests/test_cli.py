"""Tests of ``python -m mnist_course``."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

from mnist_course.checkpoints import load_checkpoint
from mnist_course.cli.parser import main


def test_data_command_names_the_source(capsys):
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert "10,000 test images" in out and "checks passed" in out


def test_data_command_without_data_or_network_fails_clearly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MNIST_COURSE_DATA"}
    env.update(MNIST_COURSE_CACHE=str(tmp_path), http_proxy="http://127.0.0.1:9",
               https_proxy="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               HTTPS_PROXY="http://127.0.0.1:9")
    result = subprocess.run([sys.executable, "-m", "mnist_course", "data"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "error: Could not download MNIST" in result.stderr
    assert "MNIST_COURSE_DATA" in result.stderr and "Traceback" not in result.stderr


def test_train_command_saves_a_loadable_checkpoint(tmp_path, capsys):
    out = tmp_path / "cli.pt"
    code = main(["train", "--hidden", "32", "--epochs", "1", "--subset", "1000", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "epoch   1" in printed and f"saved {out}" in printed
    model, info = load_checkpoint(out)
    assert info["config"]["hidden"] == [32] and 0 < info["metrics"]["test_accuracy"] <= 1


def test_predict_command_prints_top3_per_file(tmp_path, capsys):
    from mnist_course.data import SAMPLES_DIR

    checkpoint = tmp_path / "m.pt"
    assert main(["train", "--hidden", "64", "--epochs", "1", "--out", str(checkpoint)]) == 0
    capsys.readouterr()
    samples = sorted(SAMPLES_DIR.glob("*_mouse_*.png"))[:2]
    assert main(["predict", *map(str, samples), "--checkpoint", str(checkpoint)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(str(samples[0]))
    assert lines[0].count("%") == 3


def test_predict_command_explains_bad_files(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "none.png"), "--checkpoint", str(tmp_path / "no.pt")]) == 1
    assert "No checkpoint" in capsys.readouterr().err


def test_train_command_refuses_bad_hidden_sizes(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--hidden", "500,big"])
    assert exit_info.value.code == 2
    assert "hidden sizes must be whole numbers" in capsys.readouterr().err


# issue 10, item 6: no raw traceback, a clear message, exit 1 (or 2 for a bad argument)
def tiny_checkpoint(tmp_path):
    from mnist_course.checkpoints import save_checkpoint
    from mnist_course.models import MLP

    return save_checkpoint(tmp_path / "tiny.pt", MLP(hidden=(16,)))


@pytest.mark.parametrize("argument, message", [
    (["--epochs", "0"], "argument --epochs: must be a whole number, 1 or more, not '0'"),
    (["--batch-size", "-5"], "argument --batch-size: must be a whole number, 1 or more"),
    (["--device", "tpu"], "argument --device: 'tpu' is not a device PyTorch can train on here; "
                          "valid choices: cpu, cuda, mps (available on this machine: "),
    (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop' (choose from sgd, adam, adamw)"),
    (["--seed", "99999999999999999999999"], "argument --seed: the seed must be a whole number from 0 to "
                                            "2**64 - 1 (18446744073709551615), not '9999999999999999999"),
])
def test_train_refuses_bad_arguments_before_doing_anything(argument, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *argument])
    assert exit_info.value.code == 2
    assert message.replace("'", "") in capsys.readouterr().err.replace("'", "")


def test_choice_lists_come_from_the_package():
    from mnist_course.cli.parser import build_parser
    from mnist_course.models import ACTIVATIONS
    from mnist_course.recipe import RECIPES
    from mnist_course.training import OPTIMIZERS

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    choices = {a.dest: a.choices for a in train._actions if a.choices}
    assert choices == {"activation": sorted(ACTIVATIONS), "optimizer": list(OPTIMIZERS),
                       "model": list(RECIPES)}


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_train_on_a_device_that_is_not_here_says_so(tmp_path, capsys):
    assert main(["train", "--device", "cuda", "--out", str(tmp_path / "m.pt")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Device 'cuda' is not available here") and "Traceback" not in err


@pytest.mark.parametrize("make_out, message", [
    (lambda tmp: tmp, "is a folder"),
    (lambda tmp: (tmp / "file").write_text("x") and tmp / "file" / "m.pt", "can not write a checkpoint to"),
])
def test_an_unusable_out_is_refused_before_training(tmp_path, capsys, make_out, message):
    out = make_out(tmp_path)
    assert main(["train", "--subset", "200", "--epochs", "1", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and message in captured.err
    assert "epoch" not in captured.out  # refused before training, not after


def test_the_issues_diverging_adam_run_saves_nothing(tmp_path, capsys):
    """Issue 20: `train --lr 1e6 --epochs 1 --subset 2000` ended at loss 1.6e23, printed "saved", exit 0."""
    out = tmp_path / "m.pt"
    args = ["train", "--lr", "1e6", "--epochs", "1", "--subset", "2000", "--quiet", "--out", str(out)]
    assert main(args) == 1
    assert "error: training diverged" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("lr, message", [("1e6", "training diverged: the loss became"),
                                         ("nan", "learning rate must be a finite number")])
def test_diverging_or_nan_learning_rate_stops_with_an_error_and_saves_nothing(tmp_path, capsys, lr, message):
    out = tmp_path / "m.pt"
    code = main(["train", "--optimizer", "sgd", "--lr", lr, "--hidden", "32", "--subset", "2000",
                 "--epochs", "2", "--out", str(out)])
    assert code == 1 and message in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_checkpoint_missing_keys_is_an_error_line(tmp_path, capsys):
    from mnist_course.data import SAMPLES_DIR

    checkpoint = tiny_checkpoint(tmp_path)
    payload = torch.load(checkpoint, weights_only=True)
    del payload["state_dict"]
    torch.save(payload, checkpoint)
    sample = next(SAMPLES_DIR.glob("*.png"))
    assert main(["predict", str(sample), "--checkpoint", str(checkpoint)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "'state_dict' is missing" in err


def test_one_bad_image_among_good_ones_prints_every_line_and_fails(tmp_path, capsys):
    from mnist_course.data import SAMPLES_DIR

    checkpoint = tiny_checkpoint(tmp_path)
    good = sorted(SAMPLES_DIR.glob("*_mouse_*.png"))[:2]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture at all")
    missing = tmp_path / "missing.png"
    paths = [good[0], broken, good[1], missing]
    assert main(["predict", *map(str, paths), "--checkpoint", str(checkpoint)]) == 1
    captured = capsys.readouterr()
    out, err = captured.out.splitlines(), captured.err.splitlines()
    assert [line.split(": ")[0] for line in out] == [str(good[0]), str(good[1])]
    assert all(line.count("%") == 3 for line in out)
    assert [line.split(": error: ")[0] for line in err] == [str(broken), str(missing)]


def test_the_default_checkpoint_does_not_depend_on_the_current_folder(tmp_path, monkeypatch):
    from mnist_course.cli.commands import DEFAULT_CHECKPOINT
    from mnist_course.cli.parser import build_parser

    repo = Path(__file__).resolve().parents[1]
    assert DEFAULT_CHECKPOINT == repo / "work" / "checkpoints" / "lesson4_best.pt"  # the student's lesson 5's
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["predict", "seven.png"])
    assert args.checkpoint == DEFAULT_CHECKPOINT and args.checkpoint.is_absolute()
    result = subprocess.run([sys.executable, "-m", "mnist_course", "train", "--help"], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(repo),
                                                                      "COLUMNS": "200"})
    assert f"default: {DEFAULT_CHECKPOINT}" in result.stdout


def test_main_turns_os_errors_into_one_line(monkeypatch, capsys):
    import mnist_course.data

    def no_space(split):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mnist_course.data, "load_mnist", no_space)
    assert main(["data"]) == 1
    assert capsys.readouterr().err == "error: [Errno 28] No space left on device\n"


def test_train_model_cnn_saves_lesson_6s_cnn_beside_lesson_4s_checkpoint(tmp_path, capsys, monkeypatch):
    import mnist_course.cli.commands as cli
    from mnist_course.data import SAMPLES_DIR

    monkeypatch.setattr(cli, "DEFAULT_CHECKPOINT", tmp_path / "lesson4_best.pt")
    assert main(["train", "--model", "cnn", "--epochs", "1", "--subset", "1000", "--quiet"]) == 0
    assert f"saved {tmp_path / 'lesson6_cnn.pt'}" in capsys.readouterr().out
    assert not (tmp_path / "lesson4_best.pt").exists()  # lesson 4's model is left alone
    model, info = load_checkpoint(tmp_path / "lesson6_cnn.pt")
    assert info["model_class"] == "SmallCNN" and info["recipe"]["preprocess"] == {"deskew": True}
    sample = sorted(SAMPLES_DIR.glob("*.png"))[0]
    assert main(["predict", str(sample), "--checkpoint", str(tmp_path / "lesson6_cnn.pt")]) == 0
    assert capsys.readouterr().out.count("%") == 3


def test_train_model_cnn_refuses_the_mlps_settings(tmp_path, capsys):
    assert main(["train", "--model", "cnn", "--hidden", "32", "--out", str(tmp_path / "c.pt")]) == 1
    assert "the CNN has none of them" in capsys.readouterr().err and not (tmp_path / "c.pt").exists()


def _full_disk(monkeypatch, failures: int) -> None:
    """Make the first ``failures`` calls of ``torch.save`` fail as on a full disk: torch wraps the
    file's ``OSError`` in ``RuntimeError: [enforce fail at inline_container.cc:672]``."""
    real_save, calls = torch.save, []

    def save(obj, file, *args, **kwargs):
        calls.append(1)
        if len(calls) > failures:
            return real_save(obj, file, *args, **kwargs)
        file.write(b"half a checkpoint")
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0")  # noqa: B904

    monkeypatch.setattr(torch, "save", save)


# issue 20, item 5
def test_a_full_disk_at_save_time_keeps_the_trained_model_and_says_where(tmp_path, capsys, monkeypatch):
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    _full_disk(monkeypatch, failures=1)
    out = tmp_path / "out" / "m.pt"
    args = ["train", "--hidden", "32", "--epochs", "1", "--subset", "500", "--quiet", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"could not write the checkpoint {out}: the disk is full" in err
    rescued = list((tmp_path / "temp").rglob("m.pt"))
    assert len(rescued) == 1 and f"saved to {rescued[0]} instead" in err, err
    assert load_checkpoint(rescued[0])[1]["metrics"]["epochs"] == 1
    assert list(out.parent.iterdir()) == []  # no half-written file, no temporary file


def test_a_full_disk_everywhere_says_the_trained_model_is_lost(tmp_path, capsys, monkeypatch):
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    _full_disk(monkeypatch, failures=2)
    out = tmp_path / "m.pt"
    args = ["train", "--hidden", "32", "--epochs", "1", "--subset", "500", "--quiet", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert "the disk is full" in err and "the trained model is lost" in err
    assert not out.exists() and not list((tmp_path / "temp").rglob("*.pt*"))
