"""Tests of the benchmark (``benchmarks/``): each piece, and the output of a tiny ``--quick`` run.

No timing is asserted anywhere: the numbers depend on the machine and on what else runs.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import nbformat
import psutil
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from benchmarks import __main__ as cli
from benchmarks import config, latency, limit, notebooks, report, throughput
from mnist_course import env
from mnist_course.data import to_float_images
from mnist_course.models import MLP

SUM_IN_OUT = 784 * 500 + 500 * 256 + 256 * 10  # multiply-adds of one image through 784-500-256-10
OLD_FORMULA = 6 * SUM_IN_OUT  # 3,135,360: what the old bench counted per training image


def flop_counter_mode_count(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> int:
    """FlopCounterMode's own count of one forward+backward, written out here, per image."""
    with FlopCounterMode(display=False) as counter:
        nn.functional.cross_entropy(model(to_float_images(images)), labels).backward()
    return counter.get_total_flops() // len(labels)


def test_flops_per_image_are_flop_counter_modes_count(train_split):
    images, labels = train_split.images[:64], train_split.labels[:64]
    for model in (MLP((500, 256), dropout=0.2), throughput.seeds_model()):
        flops = limit.training_flops_per_image(model, images, labels)
        assert all(p.grad is None for p in model.parameters())  # the count leaves no gradients behind
        assert flops["train"] == flop_counter_mode_count(model, images, labels)
        assert flops["train"] == pytest.approx(2.35e6, rel=0.01) and flops["train"] != OLD_FORMULA
        assert flops["forward"] == 2 * SUM_IN_OUT and flops["backward"] == flops["train"] - flops["forward"]
        assert flops["batch"] == 64 and "FlopCounterMode" in flops["how"]
    # the first layer needs no gradient with respect to the images: 2 * 784 * 500 FLOPs fewer than 6 * S
    assert flops["train"] == OLD_FORMULA - 2 * 784 * 500
    assert OLD_FORMULA / flops["train"] == pytest.approx(1.333, abs=0.001)


def test_fraction_of_limit_and_ratio():
    # 10,000 images/s * 2,351,360 FLOPs = 23.5 GFLOP/s, half of a 47.03 GFLOP/s limit
    assert limit.fraction_of_limit(10_000, 2_351_360, 47.0272) == pytest.approx(0.5)
    assert math.isnan(limit.fraction_of_limit(10_000, 2_351_360, 0.0))
    assert report.ratio(16_000, 2_000) == 8.0
    for bad in [(1.0, 0.0), (None, 1.0), (1.0, None), (float("nan"), 1.0)]:
        assert math.isnan(report.ratio(*bad))


@pytest.mark.parametrize(("value", "comparison", "goal", "status"), [
    (8.0, ">=", 8.0, "PASS"), (7.9, ">=", 8.0, "MISS"), (0.4, "<", 1.0, "PASS"),
    (1.0, "<", 1.0, "MISS"), (None, "<", 1.0, "n/a"), (float("nan"), ">=", 1.0, "n/a"),
])
def test_check_target(value, comparison, goal, status):
    assert report.check_target(value, comparison, goal) == status


def test_format_value():
    assert report.format_value(5.9312, "x") == "5.93x"
    assert report.format_value(0.2345, "%") == "23.4%"
    assert report.format_value(0.41, "s") == "0.41 s"
    assert report.format_value(12345.6, "") == "12,346"
    assert report.format_value(812.4, "MB") == "812 MB"
    assert report.format_value(1.234, "GB") == "1.23 GB"
    assert report.format_value(None, "x") == "n/a"
    assert report.format_value(float("inf"), "s") == "n/a"


def test_format_table_aligns_columns():
    table = report.format_table(["name", "value"], [["a", "1"], ["longer name", "12,345"]])
    lines = table.splitlines()
    assert lines[0].startswith("name") and set(lines[1]) == {"-", " "}
    assert len({len(line) for line in lines}) == 1  # right-aligned last column: same width
    assert lines[3].startswith("longer name") and lines[3].endswith("12,345")


def test_json_safe_replaces_nan_and_paths(tmp_path):
    data = report.json_safe({"a": float("nan"), "b": [1.5, float("inf")], "c": tmp_path, 1: (2, 3)})
    assert data == {"a": None, "b": [1.5, None], "c": str(tmp_path), "1": [2, 3]}
    json.dumps(data, allow_nan=False)


def test_targets_from_a_results_dict():
    results = {
        "ratios": {"fit_batch64 / seeds": 9.0, "fit_lesson_defaults / limit": 0.3},
        "dashboard": {"seconds": 0.5},
        "photo_seconds": 0.7,
        "lessons": {"skipped": False, "total_seconds": 200.0,
                    "notebooks": [{"peak_rss_bytes": 600e6}, {"peak_rss_bytes": 1.2e9}]},
        "cuda_epoch_60k_s": None,
    }
    targets = report.evaluate_targets(results)
    assert {t["key"]: t["status"] for t in targets} == {
        "fit_vs_seeds_batch64": "PASS", "fit_lesson_defaults_vs_limit": "MISS",
        "dashboard_first_point_s": "PASS", "photo_to_mnist_s": "MISS", "lessons_total_s": "MISS",
        "lessons_max_peak_rss_gb": "MISS", "cuda_epoch_60k_s": "n/a"}
    table = report.targets_table(targets)
    assert "1.20 GB" in table and "< 1.00 GB" in table and "MISS" in table


def test_threads_default_to_the_cpu_quota(monkeypatch):
    monkeypatch.setattr(env, "cpu_quota", lambda: 3)
    assert config.default_threads() == 3
    assert config.BenchConfig().thread_count == 3
    assert cli.parse_args(["--device", "cpu"]).threads == 3
    assert cli.parse_args(["--device", "cpu", "--threads", "1"]).threads == 1  # asked for: used
    with pytest.raises(SystemExit):
        cli.parse_args(["--device", "cpu", "--threads", "0"])


def test_the_limit_uses_the_threads_it_is_given_and_restores_them():
    before = torch.get_num_threads()
    matmul, result = limit.measure_limit([(8, 16, 4), (16, 16, 16)], torch.device("cpu"), 0.01, 1,
                                         2_351_360, log=lambda text: None)
    assert torch.get_num_threads() == before
    assert [m["shape"] for m in matmul] == [[8, 16, 4], [16, 16, 16]]
    assert all(m["gflops"] >= m["median_gflops"] > 0 and m["gflops_per_cpu_second"] > 0 for m in matmul)
    assert result["threads"] == 1 and result["gflops"] == max(m["gflops"] for m in matmul)
    assert result["images_per_second"] == pytest.approx(result["gflops"] * 1e9 / 2_351_360)


def test_throughput_on_a_512_image_subset(train_split):
    budget = config.BenchConfig(rounds=1, fit_epochs=2, subset=512)
    train = (train_split.images, train_split.labels)
    result = throughput.measure_throughput(budget, torch.device("cpu"), train, log=lambda text: None)
    assert set(result) == {"seeds", "fit_batch64", "fit_lesson_defaults"}
    assert result["seeds"]["images_per_sample"] == 512 and len(result["seeds"]["samples"]) == 1
    assert result["fit_batch64"]["images_per_sample"] == 512  # 8 full batches of 64
    assert result["fit_lesson_defaults"]["images_per_sample"] == 512  # 4 full batches of 128
    for name, entry in result.items():
        assert entry["label"] == throughput.LABELS[name]
        assert entry["images_per_second"] == max(entry["samples"]) > 0
    assert len(result["fit_batch64"]["samples"]) == 2  # one sample per epoch


def test_time_to_accuracy_reports_a_target_it_can_not_reach(train_split, test_split):
    result = throughput.time_to_accuracy((train_split.images, train_split.labels),
                                         (test_split.images[:256], test_split.labels[:256]),
                                         torch.device("cpu"), target=1.01, max_epochs=1, subset=256)
    assert result["reached"] is False and result["seconds"] is None
    assert result["train_images"] == 256 and len(result["test_accuracy_per_epoch"]) == 1


class ContractDashboard:
    """Only the dashboard's public API (PLAN.md contract 4); ``live``: set_values starts a run."""

    def __init__(self, live: bool) -> None:
        self.live, self.calls, self.latencies, self.requested = live, [], iter([0.3, 0.1, 0.2]), False

    def set_values(self, **values):
        self.calls.append(("set_values", values))
        self.requested = self.live

    def start(self):
        self.calls.append(("start",))
        self.requested = True

    def wait_for_first_point(self, timeout=None):
        self.calls.append(("wait_for_first_point",))
        answer = next(self.latencies) if self.requested else None  # idle: nothing to wait for
        self.requested = False
        return answer

    def stop(self):
        self.calls.append(("stop",))

    def wait(self, timeout=None):
        return True


@pytest.mark.parametrize("live", [True, False])
def test_latency_through_the_public_api(live):
    dashboard = ContractDashboard(live)
    changes = [{"dropout": 0.1}, {"dropout": 0.3}, {"dropout": 0.4}]
    result = latency.measure_first_point(dashboard, changes, timeout=5)
    assert result["status"] == "measured" and result["samples"] == [0.3, 0.1, 0.2]
    assert result["seconds"] == 0.2 and len(result["wall_samples"]) == 3  # the median
    assert [c[1] for c in dashboard.calls if c[0] == "set_values"] == changes
    assert dashboard.calls.count(("start",)) == (0 if live else 3)
    assert ("start()" in result["how"]) is not live


def test_latency_without_a_dashboard(monkeypatch):
    for name in latency.DASHBOARD_MODULES:
        monkeypatch.setitem(sys.modules, name, None)  # makes the import fail
    result = latency.dashboard_latency((torch.zeros(4, 28, 28, dtype=torch.uint8), torch.zeros(4).long()),
                                       None, torch.device("cpu"))
    assert result == {"status": latency.MISSING, "seconds": None}


def test_tree_memory_counts_the_children():
    code = "import sys; block = bytearray(150_000_000); print('ready', flush=True); sys.stdin.read()"
    child = subprocess.Popen([sys.executable, "-c", code, "ipykernel-stand-in"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"  # the block is allocated and touched
        me = psutil.Process()
        assert notebooks.tree_rss_bytes(me) >= me.memory_info().rss + 150_000_000
        assert [p.pid for p in notebooks.kernels_below(me)] == [child.pid]
    finally:
        child.kill()
        child.wait()


def test_a_notebook_under_nbval_and_its_kernel_memory(tmp_path):
    # The memory is sampled every 50 ms, so the kernel holds its 300 MB for a second (a peak
    # shorter than the poll can be missed; the lessons hold their data for many seconds).
    source = "import time\nblock = bytearray(300_000_000)\ntime.sleep(1.0)\nprint(len(block))"
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="300000000\n")]
    path = tmp_path / "memory.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    result = notebooks.run_notebook_under_nbval(path, cwd=tmp_path, timeout=120)
    assert result["passed"] and result["notebook"] == "memory.ipynb" and not result["timed_out"], result
    assert result["peak_rss_bytes"] >= 300_000_000, result
    assert notebooks.lesson_runs(tmp_path / "none", log=lambda text: None)["notebooks"] == []


def test_the_lesson_runs_include_the_appendix():
    names = [path.stem for path in notebooks.lesson_notebooks()]
    assert names[:6] == ["01_inspect_the_dataset", "02_single_layer_model", "03a_hidden_layers_and_dropout",
                         "03b_training_with_batches", "04_adam_with_l2", "05_predict_your_own_digits"]
    assert "A1_fast_batches_and_threads" in names[6:]


def test_quick_run_prints_the_corrected_flops_and_writes_json_and_plot(tmp_path, capsys):
    out = tmp_path / "bench"
    threads = torch.get_num_threads()
    assert cli.main(["--quick", "--device", "cpu", "--threads", "1", "--skip-lessons", "--skip-dashboard",
                     "--out", str(out)]) == 0
    assert torch.get_num_threads() == threads
    printed = capsys.readouterr().out
    assert "2,351,360 FLOPs per training image" in printed and "3,135,360" not in printed
    assert "x seeds" in printed and "FLOP limit" in printed and "status" in printed
    results = json.loads((out / "bench.json").read_text())
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert results["flops_per_image"]["train"] == 2_351_360
    assert results["config"]["threads"] == 1 and results["limit"]["threads"] == 1
    for entry in results["pipelines"].values():
        expected = entry["images_per_second"] * 2_351_360 / (results["limit"]["gflops"] * 1e9)
        assert entry["fraction_of_limit"] == pytest.approx(expected)
    assert results["dashboard"]["seconds"] is None and results["lessons"]["skipped"] is True
    assert [t["key"] for t in results["targets"]] == [t[0] for t in report.TARGETS]


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_recipe_times_note_each_target_and_stop_at_the_highest(kind, train_split, test_split):
    """make bench reports the time to 95%, 97% and 98% for both final recipes (issue 20)."""
    result = throughput.recipe_times((train_split.images, train_split.labels),
                                     (test_split.images[:256], test_split.labels[:256]), torch.device("cpu"),
                                     model=kind, targets=(0.0, 1.01), max_epochs=2, subset=256)
    assert result["model"] == kind and result["train_images"] == 256
    assert result["targets"]["0.00"]["reached"] and result["targets"]["0.00"]["epochs"] == 1
    assert result["targets"]["0.00"]["seconds"] > 0
    assert result["targets"]["1.01"] == {"reached": False, "seconds": None, "epochs": None}
    assert result["epochs_run"] == 2 == len(result["test_accuracy_per_epoch"])  # 1.01 never stops it
    table = report.recipes_table({kind: result})
    assert "to 0%" in table and "not in 2 ep" in table


def test_the_photo_timing_prepares_a_real_photo_at_1000x800(monkeypatch):
    from benchmarks import hardset

    sizes = []
    monkeypatch.setattr(hardset, "to_mnist", lambda image, deskew: sizes.append((image.size, deskew)))
    seconds = hardset.photo_seconds(repeat=2)
    assert sizes == [((1000, 800), True)] * 2 and 0 <= seconds < 1  # each call timed, the best kept
