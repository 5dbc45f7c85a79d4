"""Tests of ``python -m mnist_course``."""

from __future__ import annotations

import os
import subprocess
import sys

from mnist_course.__main__ import main
from mnist_course.checkpoints import load_checkpoint


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
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--hidden", "500,big"])
    assert exit_info.value.code == 2
    assert "hidden sizes must be whole numbers" in capsys.readouterr().err
