"""Tests of mnist_course.bench: its pure functions, and the JSON of a tiny --quick run.

No timing is asserted anywhere: the numbers depend on the machine and on what else runs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
import torch

from mnist_course import bench
from mnist_course.models import MLP

MLP_784_500_256_10 = 784 * 500 + 500 * 256 + 256 * 10  # multiply-adds per image, forward


def test_flops_of_the_784_500_256_10_mlp():
    flops = bench.mlp_flops_per_image((784, 500, 256, 10))
    assert flops == {"forward": 2 * MLP_784_500_256_10, "backward": 4 * MLP_784_500_256_10,
                     "train": 6 * MLP_784_500_256_10}
    assert flops["train"] == 3_135_360


def test_flops_from_the_layers_of_real_models():
    pairs = [(784, 500), (500, 256), (256, 10)]
    assert bench.linear_layer_sizes(MLP((500, 256), dropout=0.2)) == pairs
    assert bench.linear_layer_sizes(bench.seeds_model()) == pairs
    assert bench.mlp_flops_per_image(pairs) == bench.mlp_flops_per_image(bench.LAYER_SIZES)
    assert bench.mlp_flops_per_image((784, 10))["train"] == 6 * 7840
    with pytest.raises(ValueError):
        bench.mlp_flops_per_image((784,))


def test_fraction_of_limit_and_ratio():
    # 10,000 images/s * 3,135,360 FLOPs = 31.35 GFLOP/s, half of a 62.7 GFLOP/s limit
    assert bench.fraction_of_limit(10_000, 3_135_360, 62.7072) == pytest.approx(0.5)
    assert math.isnan(bench.fraction_of_limit(10_000, 3_135_360, 0.0))
    assert bench.ratio(16_000, 2_000) == 8.0
    for bad in [(1.0, 0.0), (None, 1.0), (1.0, None), (float("nan"), 1.0)]:
        assert math.isnan(bench.ratio(*bad))


@pytest.mark.parametrize(("value", "comparison", "goal", "status"), [
    (8.0, ">=", 8.0, "PASS"), (7.9, ">=", 8.0, "MISS"), (0.4, "<", 1.0, "PASS"),
    (1.0, "<", 1.0, "MISS"), (None, "<", 1.0, "n/a"), (float("nan"), ">=", 1.0, "n/a"),
])
def test_check_target(value, comparison, goal, status):
    assert bench.check_target(value, comparison, goal) == status


def test_format_value():
    assert bench.format_value(5.9312, "x") == "5.93x"
    assert bench.format_value(0.2345, "%") == "23.4%"
    assert bench.format_value(0.41, "s") == "0.41 s"
    assert bench.format_value(12345.6, "") == "12,346"
    assert bench.format_value(812.4, "MB") == "812 MB"
    assert bench.format_value(None, "x") == "n/a"
    assert bench.format_value(float("inf"), "s") == "n/a"


def test_format_table_aligns_columns():
    table = bench.format_table(["name", "value"], [["a", "1"], ["longer name", "12,345"]])
    lines = table.splitlines()
    assert lines[0].startswith("name") and set(lines[1]) == {"-", " "}
    assert len({len(line) for line in lines}) == 1  # right-aligned last column: same width
    assert lines[3].startswith("longer name") and lines[3].endswith("12,345")


def test_json_safe_replaces_nan_and_paths(tmp_path):
    data = bench.json_safe({"a": float("nan"), "b": [1.5, float("inf")], "c": tmp_path, 1: (2, 3)})
    assert data == {"a": None, "b": [1.5, None], "c": str(tmp_path), "1": [2, 3]}
    json.dumps(data, allow_nan=False)


def test_targets_from_a_results_dict():
    results = {
        "ratios": {"fit_batch64 / seeds": 9.0, "fit_lesson_defaults / limit": 0.3},
        "dashboard": {"seconds": 0.5},
        "lessons": {"skipped": False, "total_seconds": 200.0,
                    "notebooks": [{"peak_rss_bytes": 600e6}, {"peak_rss_bytes": 1.2e9}]},
        "cuda_epoch_60k_s": None,
    }
    status = {t["key"]: t["status"] for t in bench.evaluate_targets(results)}
    assert status == {"fit_vs_seeds_batch64": "PASS", "fit_lesson_defaults_vs_limit": "MISS",
                      "dashboard_first_point_s": "PASS", "lessons_total_s": "MISS",
                      "lessons_max_peak_rss_gb": "MISS", "cuda_epoch_60k_s": "n/a"}
    assert "MISS" in bench.targets_table(bench.evaluate_targets(results))


def test_lessons_in_an_empty_folder(tmp_path):
    result = bench.lesson_runs(tmp_path, log=lambda text: None)
    assert result["notebooks"] == [] and result["total_seconds"] is None
    assert bench.lessons_table(result).startswith("lesson")


def test_process_helpers_find_a_child_and_read_memory():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in bench.descendants(os.getpid())
        assert "time.sleep" in bench._cmdline(child.pid)
    finally:
        child.kill()
        child.wait()
    assert bench.peak_rss_bytes(os.getpid()) > 10_000_000


def test_dashboard_reports_na_without_widgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist_course.widgets", None)  # makes the import fail
    images = torch.zeros(4, 28, 28, dtype=torch.uint8)
    labels = torch.zeros(4, dtype=torch.long)
    result = bench.dashboard_latency((images, labels), None, torch.device("cpu"))
    assert result["status"] == bench.WIDGETS_MISSING and result["seconds"] is None


def test_matmul_rate_is_positive():
    entry = bench.matmul_gflops((8, 16, 4), torch.device("cpu"), seconds=0.003)
    assert entry["shape"] == [8, 16, 4] and entry["gflops"] > 0 and len(entry["samples"]) == 3


def test_quick_run_writes_json_and_plot(tmp_path, monkeypatch, capsys):
    if not os.environ.get("MNIST_COURSE_DATA"):
        pytest.skip("needs the offline MNIST copy (MNIST_COURSE_DATA)")
    monkeypatch.setenv("MNIST_COURSE_CACHE", str(tmp_path / "cache"))  # torchvision's unpacked copy
    out = tmp_path / "bench"
    threads = torch.get_num_threads()
    try:
        assert bench.main(["--quick", "--device", "cpu", "--skip-lessons", "--skip-dashboard",
                           "--out", str(out)]) == 0
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    assert "x seeds" in printed and "FLOP limit" in printed and "status" in printed
    results = json.loads((out / "bench.json").read_text())
    assert (out / "bench.png").stat().st_size > 1000
    assert set(results) >= {"machine", "config", "flops_per_image", "matmul", "limit", "pipelines",
                            "ratios", "time_to_95", "dashboard", "lessons", "targets"}
    assert results["config"]["quick"] is True
    assert results["flops_per_image"]["train"] == 3_135_360
    assert set(results["pipelines"]) == {"seeds", "fit_batch64", "fit_lesson_defaults"}
    for entry in results["pipelines"].values():
        assert entry["images_per_second"] > 0 and 0 < entry["fraction_of_limit"]
    assert results["limit"]["gflops"] == max(m["gflops"] for m in results["matmul"])
    assert set(results["ratios"]) >= {"fit_batch64 / seeds", "fit_lesson_defaults / limit"}
    assert results["dashboard"]["status"] == "skipped"
    assert results["lessons"]["skipped"] is True
    assert [t["key"] for t in results["targets"]] == [t[0] for t in bench.TARGETS]
    assert all(t["status"] in ("PASS", "MISS", "n/a") for t in results["targets"])
    assert {"test_accuracy_per_epoch", "reached", "seconds"} <= set(results["time_to_95"])
    assert results["machine"]["cpu"] and results["machine"]["torch"] == torch.__version__


def test_command_line_options():
    config = bench.parse_args(["--quick", "--device", "cpu", "--skip-lessons", "--rounds", "2",
                               "--threads", "1"])
    assert config.quick and config.skip_lessons and config.rounds == 2 and config.threads == 1
    assert config.device == "cpu" and str(config.out) == str(bench.DEFAULT_OUT)
    assert bench.parse_args(["--device", "cpu"]).rounds == bench.BenchConfig().rounds
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):
            bench.parse_args(["--device", "cuda"])
