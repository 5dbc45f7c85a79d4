"""Benchmark: the course's training against the seed tutorials' pipeline and the machine's limit.

``python -m mnist_course.bench [--device cpu|cuda|mps] [--quick] [--out artifacts/bench]
[--skip-lessons]`` measures, in one run and on one device:

1. the seeds' pipeline: ``torchvision.datasets.MNIST`` with ``ToTensor`` + ``Normalize``
   applied to every image, ``DataLoader(batch_size=64, shuffle=True)``, a 784-500-256-10
   MLP, SGD (lr 0.01, momentum 0.9) and the tutorials' loop with ``loss.item()`` after
   every batch: images per second over one full epoch;
2. :func:`mnist_course.training.fit` on the same model, batch size and optimizer, and
   at the lessons' default settings (:data:`LESSON_DEFAULTS`): images per second per
   epoch, without the test evaluation (``test=None``);
3. the float32 matrix-multiply rate (the MLP's batch shapes and big squares; the best
   sustained rate is "the FLOP limit") and the MLP's training FLOPs per image, so every
   pipeline is also a fraction of that limit;
4. the time to reach 95% test accuracy with the lesson-4 defaults;
5. the dashboard's latency from a control change to the first curve point;
6. for each lesson notebook under strict ``pytest --nbval``: wall time and the kernel's
   peak resident memory.

The three throughput measurements are interleaved in rounds and the best epoch of each
is kept, so that their ratios come from the same minutes of the same run even when other
programs share the CPU. Every rate is also divided by the process's CPU time: with
``--threads 1`` that is what an idle machine would give, however busy this one is. It
prints the machine, a table of ratios and the issue's targets with PASS/MISS, and writes
``bench.json`` and ``bench.png`` to ``--out``. More options: ``--threads N`` (torch
threads of the pipelines and ``OMP_NUM_THREADS`` of the lesson kernels), ``--rounds N``,
``--skip-dashboard``.

No lesson teaches this module; the README's "Performance" section quotes its output.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path("artifacts") / "bench"
HIDDEN = (500, 256)
LAYER_SIZES = (28 * 28, *HIDDEN, 10)

#: What the seed tutorials did (item 1) and what ``fit`` is compared with at batch 64.
SEEDS_SETTINGS = {"batch_size": 64, "optimizer": "sgd", "lr": 0.01, "momentum": 0.9}
#: The lessons' default training settings (lesson 4): throughput and time to 95%.
LESSON_DEFAULTS = {"batch_size": 128, "optimizer": "adam", "lr": 1e-3, "momentum": 0.0, "dropout": 0.2}
#: Matrix products timed for the FLOP limit: (rows, inner, columns).
MATMUL_SHAPES = ((64, 784, 500), (128, 784, 500), (1024, 1024, 1024), (2048, 2048, 2048))
QUICK_MATMUL_SHAPES = ((64, 784, 500), (128, 784, 500), (512, 512, 512))
TARGET_ACCURACY = 0.95
CUDA_FULL_EPOCH_IMAGES = 60_000
WIDGETS_MISSING = "n/a (widgets not available)"

#: The issue's targets: (key, description, comparison, goal, unit).
TARGETS = (
    ("fit_vs_seeds_batch64", "fit / seeds at batch 64", ">=", 8.0, "x"),
    ("fit_lesson_defaults_vs_limit", "fit at lesson defaults / FLOP limit", ">=", 0.40, "%"),
    ("dashboard_first_point_s", "dashboard: change -> first curve point", "<", 1.0, "s"),
    ("lessons_total_s", "all lessons under strict nbval, total", "<", 180.0, "s"),
    ("lessons_max_peak_rss_gb", "largest lesson kernel peak RSS", "<", 1.0, "GB"),
    ("cuda_epoch_60k_s", "CUDA: one epoch of 60,000 images", "<", 0.5, "s"),
)


@dataclass
class BenchConfig:
    """How much work each part of the benchmark does.

    Attributes:
        device: ``"cpu"``, ``"cuda"`` or ``"mps"``.
        out: folder for ``bench.json`` and ``bench.png``.
        quick: a tiny budget for smoke tests (numbers are not meaningful).
        rounds: interleaved rounds of the three throughput measurements.
        fit_epochs: epochs of each ``fit`` run per round (each epoch is one sample).
        seeds_batches: stop the seeds' epoch after this many batches (``None``: a full epoch).
        subset: train (and, for the time to 95%, test) on the first ``subset`` images only
            (``None``: the whole splits).
        matmul_seconds: time spent on each matrix-multiply shape.
        max_epochs: cap of the time-to-95% run.
        skip_lessons: do not run the lesson notebooks.
        skip_dashboard: do not measure the dashboard.
        lesson_timeout: seconds allowed to each notebook.
        threads: ``torch.set_num_threads`` value for the pipelines, and ``OMP_NUM_THREADS``
            of the lesson kernels (``None``: PyTorch's default). The FLOP limit always uses
            every usable core.
    """

    device: str = "cpu"
    out: Path = DEFAULT_OUT
    quick: bool = False
    rounds: int = 3
    fit_epochs: int = 2
    seeds_batches: int | None = None
    subset: int | None = None
    matmul_seconds: float = 0.6
    max_epochs: int = 15
    skip_lessons: bool = False
    skip_dashboard: bool = False
    lesson_timeout: float = 600.0
    threads: int | None = None

    @classmethod
    def quick_budget(cls, **overrides: Any) -> BenchConfig:
        """Return the ``--quick`` settings: a few seconds in all, for smoke tests."""
        settings: dict[str, Any] = {"quick": True, "rounds": 1, "fit_epochs": 1, "seeds_batches": 12,
                                    "subset": 1536, "matmul_seconds": 0.03, "max_epochs": 1}
        settings.update(overrides)
        return cls(**settings)


# --------------------------------------------------------------------------- pure helpers


def linear_layer_sizes(model: nn.Module) -> list[tuple[int, int]]:
    """Return ``(in_features, out_features)`` of every ``nn.Linear`` in ``model``, in order."""
    return [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]


def mlp_flops_per_image(layer_sizes: Sequence[int] | Sequence[tuple[int, int]]) -> dict[str, int]:
    """Count the floating-point operations of one image through an MLP's matrix products.

    A linear layer with ``n_in`` inputs and ``n_out`` outputs does ``n_in * n_out``
    multiply-adds (2 FLOPs each) forward, and twice that backward (the gradient with
    respect to its input and to its weights). Biases, activations and the loss are
    ignored (they are O(width), not O(width^2)).

    Args:
        layer_sizes: widths such as ``(784, 500, 256, 10)``, or ``(in, out)`` pairs such as
            :func:`linear_layer_sizes` returns.

    Returns:
        ``{"forward": 2 * S, "backward": 4 * S, "train": 6 * S}`` with ``S = sum(in * out)``.
    """
    sizes = list(layer_sizes)
    if sizes and isinstance(sizes[0], (tuple, list)):
        pairs = [(int(a), int(b)) for a, b in sizes]
    else:
        widths = [int(w) for w in sizes]
        pairs = list(zip(widths[:-1], widths[1:], strict=False))
    if not pairs:
        raise ValueError("an MLP needs at least two layer widths (inputs and outputs)")
    multiply_adds = sum(a * b for a, b in pairs)
    return {"forward": 2 * multiply_adds, "backward": 4 * multiply_adds, "train": 6 * multiply_adds}


def fraction_of_limit(images_per_second: float, flops_per_image: float, limit_gflops: float) -> float:
    """Return the fraction of the FLOP limit that training at ``images_per_second`` uses."""
    if limit_gflops <= 0:
        return float("nan")
    return images_per_second * flops_per_image / (limit_gflops * 1e9)


def ratio(numerator: float | None, denominator: float | None) -> float:
    """Return ``numerator / denominator``, or NaN when either is missing or zero."""
    if numerator is None or denominator is None or denominator == 0:
        return float("nan")
    if not (math.isfinite(numerator) and math.isfinite(denominator)):
        return float("nan")
    return numerator / denominator


def check_target(value: float | None, comparison: str, goal: float) -> str:
    """Return ``"PASS"`` or ``"MISS"`` for ``value <comparison> goal``, or ``"n/a"`` if unmeasured."""
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "n/a"
    passed = {">=": value >= goal, ">": value > goal, "<": value < goal, "<=": value <= goal}[comparison]
    return "PASS" if passed else "MISS"


def format_value(value: float | None, unit: str) -> str:
    """Format a measurement for the tables: ``"5.9x"``, ``"23.4%"``, ``"0.41 s"``, ``"12,345"``."""
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "n/a"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "%":
        return f"{100 * value:.1f}%"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "GB":
        return f"{value:.2f} GB"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.0f}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render rows as a plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def json_safe(value: Any) -> Any:
    """Return ``value`` with NaN/inf floats replaced by ``None`` and paths/tuples made plain."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def target_values(results: dict) -> dict[str, float | None]:
    """Pick the numbers the targets are checked against out of the results dict."""
    ratios = results.get("ratios", {})
    lessons = results.get("lessons", {})
    peaks = [n["peak_rss_bytes"] for n in lessons.get("notebooks", []) if n.get("peak_rss_bytes")]
    lessons_ran = bool(lessons.get("notebooks")) and not lessons.get("skipped")
    cuda = results.get("cuda_epoch_60k_s")
    return {
        "fit_vs_seeds_batch64": ratios.get("fit_batch64 / seeds"),
        "fit_lesson_defaults_vs_limit": ratios.get("fit_lesson_defaults / limit"),
        "dashboard_first_point_s": results.get("dashboard", {}).get("seconds"),
        "lessons_total_s": lessons.get("total_seconds") if lessons_ran else None,
        "lessons_max_peak_rss_gb": max(peaks) / 1e9 if peaks and lessons_ran else None,
        "cuda_epoch_60k_s": cuda,
    }


def evaluate_targets(results: dict) -> list[dict]:
    """Return one dict per issue target: name, value, goal, unit and PASS/MISS/n/a."""
    values = target_values(results)
    rows = []
    for key, name, comparison, goal, unit in TARGETS:
        value = values.get(key)
        rows.append({"key": key, "name": name, "value": value, "comparison": comparison,
                     "goal": goal, "unit": unit, "status": check_target(value, comparison, goal)})
    return rows


def ratio_table(results: dict) -> str:
    """Return the throughput table: images/s, x seeds, share of the FLOP limit.

    The last three columns divide by this process's CPU time instead of wall time
    ("per CPU-s"), and compare with the limit of an idle machine (``quiet_gflops``):
    with one torch thread this is what an otherwise idle machine gives, however busy it
    is during the run (with more threads, waiting threads inflate the CPU time).
    """
    pipelines = results["pipelines"]
    seeds = pipelines["seeds"]["images_per_second"]
    seeds_cpu = pipelines["seeds"].get("images_per_cpu_second")
    rows = []
    for entry in pipelines.values():
        rate, cpu_rate = entry["images_per_second"], entry.get("images_per_cpu_second")
        rows.append([entry["label"], format_value(rate, ""), format_value(ratio(rate, seeds), "x"),
                     format_value(entry.get("fraction_of_limit"), "%"), format_value(cpu_rate, ""),
                     format_value(ratio(cpu_rate, seeds_cpu), "x"),
                     format_value(entry.get("fraction_of_limit_cpu_time"), "%")])
    limit = results["limit"]
    rows.append([f"FLOP limit ({limit['gflops']:.1f} GFLOP/s, {limit['shape']}, {limit['threads']} threads)",
                 format_value(limit["images_per_second"], ""),
                 format_value(ratio(limit["images_per_second"], seeds), "x"), "100.0%",
                 f"{limit['quiet_gflops']:.0f} GFLOP/s", "", "100.0%"])
    headers = ["pipeline", "images/s", "x seeds", "of limit", "per CPU-s", "x seeds", "of limit"]
    return format_table(headers, rows)


def targets_table(targets: Sequence[dict]) -> str:
    """Return the targets table with PASS/MISS."""
    rows = []
    for t in targets:
        goal = format_value(t["goal"], t["unit"])
        measured = format_value(t["value"], t["unit"])
        rows.append([t["name"], measured, f"{t['comparison']} {goal}", t["status"]])
    return format_table(["target", "measured", "goal", "status"], rows)


# --------------------------------------------------------------------------- machine


def cpu_model() -> str:
    """Return the CPU's model name from ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info(device: torch.device) -> dict:
    """Describe the machine the numbers were measured on."""
    from .env import describe_device

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    info = {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cores": usable,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": describe_device(device),
        "load_average_start": _load_average(),
    }
    return info


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


# --------------------------------------------------------------------------- 3. FLOP limit


def matmul_gflops(shape: tuple[int, int, int], device: torch.device, seconds: float = 0.5,
                  blocks: int = 3) -> dict:
    """Time float32 ``torch.mm`` of one shape and return its best sustained GFLOP/s.

    Args:
        shape: ``(m, k, n)``: an ``(m x k) @ (k x n)`` product, ``2*m*k*n`` FLOPs.
        device: where to multiply.
        seconds: total time to spend, split into ``blocks`` timed blocks.
        blocks: the best block's rate is reported (others may be slowed by other programs).

    Returns:
        ``{"shape", "gflops", "samples", "gflops_per_cpu_second"}``: the best block's rate,
        every block's rate, and the best rate per second of this process's CPU time.
    """
    m, k, n = shape
    a = torch.randn(m, k, device=device)
    b = torch.randn(k, n, device=device)
    out = torch.empty(m, n, device=device)
    for _ in range(3):
        torch.mm(a, b, out=out)
    _sync(device)
    samples, cpu_samples = [], []
    for _ in range(blocks):
        count = 0
        start, cpu_start = time.perf_counter(), time.process_time()
        while True:
            for _ in range(4):
                torch.mm(a, b, out=out)
            count += 4
            _sync(device)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / blocks:
                break
        samples.append(2 * m * k * n * count / elapsed / 1e9)
        cpu_samples.append(2 * m * k * n * count / max(time.process_time() - cpu_start, 1e-9) / 1e9)
    return {"shape": list(shape), "gflops": max(samples), "samples": samples,
            "gflops_per_cpu_second": max(cpu_samples)}


def measure_limit(shapes: Sequence[tuple[int, int, int]], device: torch.device, seconds: float,
                  cpu_threads: int | None, train_flops_per_image: int,
                  log: Callable[[str], None] = print) -> tuple[list[dict], dict]:
    """Item 3: time every matmul shape and take the best sustained rate as the FLOP limit.

    On the CPU the products run with ``cpu_threads`` threads (all usable cores: the
    machine's limit), whatever the pipelines use; the thread count is restored after.

    Returns:
        ``(matmul, limit)``: one :func:`matmul_gflops` entry per shape, and ``limit`` with
        ``gflops``, ``shape``, ``threads``, ``images_per_second`` (the training rate the
        limit allows) and ``quiet_gflops``: GFLOP per CPU-second of the best shape times
        the thread count, an estimate of the limit of an otherwise idle machine.
    """
    from .env import torch_threads

    threads = cpu_threads if device.type == "cpu" and cpu_threads else torch.get_num_threads()
    matmul = []
    with torch_threads(threads):
        for shape in shapes:
            entry = matmul_gflops(shape, device, seconds)
            matmul.append(entry)
            log(f"  ({shape[0]} x {shape[1]}) @ ({shape[1]} x {shape[2]}): {entry['gflops']:.1f} GFLOP/s "
                f"({entry['gflops_per_cpu_second']:.1f} per CPU-second)")
    best = max(matmul, key=lambda e: e["gflops"])
    limit = {"gflops": best["gflops"], "shape": "x".join(map(str, best["shape"])), "threads": threads,
             "images_per_second": best["gflops"] * 1e9 / train_flops_per_image,
             "quiet_gflops": (max(e["gflops_per_cpu_second"] for e in matmul) * threads
                              if device.type == "cpu" else best["gflops"])}
    return matmul, limit


# --------------------------------------------------------------------------- 1. seeds


def seeds_model() -> nn.Sequential:
    """The tutorials' 784-500-256-10 MLP as a plain ``nn.Sequential``."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def seeds_dataset():
    """The training split as the tutorials load it: torchvision MNIST, ToTensor + Normalize per image."""
    from torchvision.transforms import Compose, Normalize, ToTensor

    from .data import MNIST_MEAN, MNIST_STD, mnist_dataset

    return mnist_dataset("train", transform=Compose([ToTensor(), Normalize((MNIST_MEAN,), (MNIST_STD,))]))


def seeds_epoch(dataset, device: torch.device, max_batches: int | None = None, seed: int = 0) -> dict:
    """Train the tutorials' way for one epoch (or ``max_batches``) and time it.

    ``DataLoader(batch_size=64, shuffle=True)`` over ``dataset``, SGD lr 0.01 momentum
    0.9, ``CrossEntropyLoss``, and ``running_loss += loss.item()`` after every batch.

    Returns:
        ``{"images", "batches", "seconds", "cpu_seconds", "images_per_second", "mean_loss"}``;
        ``cpu_seconds`` is this process's CPU time (all its threads).
    """
    from torch.utils.data import DataLoader

    torch.manual_seed(seed)
    model = seeds_model().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=SEEDS_SETTINGS["lr"],
                                momentum=SEEDS_SETTINGS["momentum"])
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(dataset, batch_size=SEEDS_SETTINGS["batch_size"], shuffle=True)
    model.train()
    running_loss, images_seen, batches = 0.0, 0, 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        output = model(images)
        loss = criterion(output, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        images_seen += len(labels)
        batches += 1
        if max_batches is not None and batches >= max_batches:
            break
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {"images": images_seen, "batches": batches, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "images_per_second": images_seen / seconds, "mean_loss": running_loss / max(batches, 1)}


# --------------------------------------------------------------------------- 2. fit


def fit_epoch_rates(train: Sequence[torch.Tensor], device: torch.device, optimizer: str, lr: float,
                    momentum: float, batch_size: int, dropout: float = 0.0, epochs: int = 1,
                    subset: int | None = None, seed: int = 0) -> list[dict]:
    """Train a fresh 784-500-256-10 MLP with :func:`~mnist_course.training.fit` and time each epoch.

    ``test=None``, so the epoch times hold training only (no evaluation).

    Returns:
        One ``{"images", "seconds", "cpu_seconds", "images_per_second"}`` per epoch.
    """
    from .models import MLP
    from .training import fit

    torch.manual_seed(seed)
    model = MLP(HIDDEN, dropout=dropout).to(device)
    cpu_ends: list[float] = []
    cpu_start = time.process_time()  # also counts fit's one-off data preparation (a few ms)
    history = fit(model, train, None, epochs=epochs, optimizer=optimizer, lr=lr, momentum=momentum,
                  batch_size=batch_size, device=device, seed=seed, subset=subset, progress=False,
                  callback=lambda progress: cpu_ends.append(time.process_time()))
    n = history.settings["train_images"]
    images = (n // batch_size) * batch_size  # fit drops the last incomplete batch
    ends = history.seconds
    durations = [b - a for a, b in zip([0.0, *ends[:-1]], ends, strict=True)]
    cpu = [b - a for a, b in zip([cpu_start, *cpu_ends[:-1]], cpu_ends, strict=True)]
    return [{"images": images, "seconds": s, "cpu_seconds": c, "images_per_second": images / s}
            for s, c in zip(durations, cpu, strict=True)]


def measure_throughput(config: BenchConfig, device: torch.device, train: Sequence[torch.Tensor],
                       log: Callable[[str], None] = print) -> dict:
    """Items 1 and 2: interleave rounds of seeds / fit at batch 64 / fit at lesson defaults.

    Each pipeline's ``images_per_second`` is its best epoch over all rounds; every epoch
    is kept in ``samples``. ``images_per_cpu_second`` divides by this process's CPU time
    instead: with one torch thread it is what a quiet machine would give, however busy
    the machine is now.
    """
    dataset = seeds_dataset()
    if config.subset is not None:
        dataset = torch.utils.data.Subset(dataset, range(min(config.subset, len(dataset))))
    s, d = SEEDS_SETTINGS, LESSON_DEFAULTS
    runs: dict[str, Callable[[], list[dict]]] = {
        "seeds": lambda: [seeds_epoch(dataset, device, config.seeds_batches)],
        "fit_batch64": lambda: fit_epoch_rates(train, device, s["optimizer"], s["lr"], s["momentum"],
                                               s["batch_size"], epochs=config.fit_epochs,
                                               subset=config.subset),
        "fit_lesson_defaults": lambda: fit_epoch_rates(train, device, d["optimizer"], d["lr"], d["momentum"],
                                                       d["batch_size"], dropout=d["dropout"],
                                                       epochs=config.fit_epochs, subset=config.subset),
    }
    samples: dict[str, list[dict]] = {name: [] for name in runs}
    for round_number in range(1, config.rounds + 1):
        for name, run in runs.items():
            epochs = run()
            samples[name] += epochs
            rates = ", ".join(f"{e['images_per_second']:,.0f}" for e in epochs)
            log(f"  round {round_number}/{config.rounds}  {name:<20} images/s: {rates}")
    seeds_what = ("one epoch" if config.seeds_batches is None
                  else f"the first {config.seeds_batches} batches of an epoch")
    labels = {
        "seeds": "seeds: DataLoader, SGD, batch 64",
        "fit_batch64": "fit: SGD, batch 64",
        "fit_lesson_defaults": "fit: lesson defaults (Adam, batch 128)",
    }
    descriptions = {
        "seeds": ("torchvision MNIST + ToTensor + Normalize per image, DataLoader(batch_size=64, "
                  "shuffle=True), nn.Sequential 784-500-256-10, SGD lr 0.01 momentum 0.9, "
                  f"loss.item() every batch; timed over {seeds_what}"),
        "fit_batch64": ("mnist_course.training.fit, MLP 784-500-256-10, SGD lr 0.01 momentum 0.9, "
                        "batch 64, test=None; timed per epoch"),
        "fit_lesson_defaults": ("mnist_course.training.fit at the lesson defaults: MLP 784-500-256-10 "
                                "dropout 0.2, Adam lr 1e-3, batch 128, test=None; timed per epoch"),
    }
    batch_sizes = {"seeds": s["batch_size"], "fit_batch64": s["batch_size"],
                   "fit_lesson_defaults": d["batch_size"]}
    result = {}
    for name, epochs in samples.items():
        rates = [e["images_per_second"] for e in epochs]
        cpu_rates = [e["images"] / e["cpu_seconds"] for e in epochs if e["cpu_seconds"] > 0]
        result[name] = {"label": labels[name], "description": descriptions[name],
                        "batch_size": batch_sizes[name], "images_per_second": max(rates),
                        "median_images_per_second": statistics.median(rates),
                        "images_per_cpu_second": max(cpu_rates) if cpu_rates else None,
                        "images_per_sample": epochs[0]["images"], "samples": rates}
    return result


# --------------------------------------------------------------------------- 4. time to 95%


def time_to_accuracy(train: Sequence[torch.Tensor], test: Sequence[torch.Tensor], device: torch.device,
                     target: float = TARGET_ACCURACY, max_epochs: int = 15, subset: int | None = None,
                     seed: int = 0) -> dict:
    """Train with the lesson-4 defaults until the test accuracy reaches ``target``.

    A ``fit`` callback stops the clock at the end of the first epoch whose test accuracy
    is at least ``target`` and cancels the run. ``seconds`` is ``fit``'s own clock
    (training plus the test evaluation after each epoch); ``wall_seconds`` also counts
    building the model and moving the data to the device.

    Returns:
        A dict with ``reached``, ``seconds``, ``wall_seconds``, ``epochs`` and the
        test accuracy of every epoch.
    """
    from .models import MLP
    from .training import fit

    d = LESSON_DEFAULTS
    cancel = threading.Event()
    reached: dict[str, float] = {}
    wall_start = time.perf_counter()

    def stop_at_target(progress) -> None:
        if progress.end_of_epoch and progress.test_accuracy >= target and not reached:
            reached.update(seconds=progress.seconds, wall_seconds=time.perf_counter() - wall_start,
                           epochs=progress.epoch, test_accuracy=progress.test_accuracy)
            cancel.set()

    torch.manual_seed(seed)
    model = MLP(HIDDEN, dropout=d["dropout"])
    history = fit(model, train, test, epochs=max_epochs, optimizer=d["optimizer"], lr=d["lr"],
                  batch_size=d["batch_size"], device=device, seed=seed, subset=subset, progress=False,
                  callback=stop_at_target, cancel=cancel)
    return {
        "target_accuracy": target,
        "settings": "MLP 784-500-256-10 dropout 0.2, Adam lr 1e-3, batch 128, seed 0 (lesson 4 defaults)",
        "train_images": history.settings["train_images"],
        "test_images": len(test[1]),
        "max_epochs": max_epochs,
        "reached": bool(reached),
        "seconds": reached.get("seconds"),
        "wall_seconds": reached.get("wall_seconds"),
        "epochs": reached.get("epochs"),
        "test_accuracy_per_epoch": list(history.test_accuracy),
        "seconds_per_epoch_end": list(history.seconds),
    }


# --------------------------------------------------------------------------- 5. dashboard


def dashboard_latency(train: Sequence[torch.Tensor], test: Sequence[torch.Tensor] | None,
                      device: torch.device, trials: int = 3, timeout: float = 60.0,
                      control: str = "dropout", values: Sequence[float] = (0.1, 0.3, 0.5)) -> dict:
    """Measure the dashboard's time from a control change to the first curve point.

    Builds ``mnist_course.widgets.TrainingDashboard(train, test, device=...)`` headless
    (no notebook needed), then for each trial empties its result cache, sets the
    ``control`` slider to the next of ``values`` (as a student releasing the slider would)
    and calls ``wait_for_first_point``, which returns the dashboard's own measurement:
    seconds from the change to the first point drawn on the curve (its debounce included).
    The run is stopped before the next trial. The module is imported only here; if it or
    the hooks this needs are missing, the result says ``"n/a (widgets not available)"``.

    Returns:
        ``{"status", "seconds", "samples", "wall_samples", "how"}``; ``seconds`` is the
        median trial; ``wall_samples`` are this function's own clock around each trial.
    """
    try:
        widgets = importlib.import_module(".widgets", __package__)
    except ImportError as exc:
        return {"status": WIDGETS_MISSING, "seconds": None, "error": f"{type(exc).__name__}: {exc}"}
    dashboard_class = getattr(widgets, "TrainingDashboard", None)
    needed = ("wait_for_first_point", "clear_cache", "stop", "wait", "close")
    if dashboard_class is None or not all(hasattr(dashboard_class, name) for name in needed):
        return {"status": WIDGETS_MISSING, "seconds": None,
                "error": f"mnist_course.widgets needs TrainingDashboard with {', '.join(needed)}"}
    how = (f"TrainingDashboard(train, test, device={device.type!r}); set the {control!r} slider; "
           "wait_for_first_point() (change -> first curve point, debounce included)")
    samples: list[float] = []
    wall_samples: list[float] = []
    try:
        dashboard = dashboard_class(train, test, device=device.type)
    except Exception as exc:  # another helper's code: report, do not crash the benchmark
        return {"status": f"error building the dashboard ({type(exc).__name__}: {exc})", "seconds": None,
                "how": how}
    try:
        slider = getattr(dashboard, "controls", {}).get(control)
        if slider is None:
            return {"status": f"{WIDGETS_MISSING[:-1]}: no {control!r} control)", "seconds": None, "how": how}
        for value in list(values)[:trials]:
            dashboard.clear_cache()
            start = time.perf_counter()
            slider.value = value
            latency = dashboard.wait_for_first_point(timeout)
            wall_samples.append(time.perf_counter() - start)
            dashboard.stop()
            dashboard.wait(timeout)
            if latency is None:
                return {"status": f"no curve point within {timeout:.0f} s", "seconds": None,
                        "wall_samples": wall_samples, "how": how}
            samples.append(float(latency))
    except Exception as exc:
        return {"status": f"error ({type(exc).__name__}: {exc})", "seconds": None, "how": how}
    finally:
        try:
            dashboard.close()
        except Exception:
            pass
    return {"status": "measured", "seconds": statistics.median(samples), "samples": samples,
            "wall_samples": wall_samples, "how": how}


# --------------------------------------------------------------------------- 6. lessons


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    """Return the ids of every process below ``pid`` (psutil if installed, else ``/proc``)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return [p.pid for p in psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return []
    if not os.path.isdir("/proc"):
        return []
    children, found, todo = _children_map(), [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        pass
    try:
        import psutil

        return " ".join(psutil.Process(pid).cmdline())
    except Exception:
        return ""


def peak_rss_bytes(pid: int) -> int | None:
    """Return the process's peak resident memory (``VmHWM``), or its current RSS without ``/proc``."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except Exception:
        return None


def run_notebook_under_nbval(notebook: Path, cwd: Path = REPO_ROOT, timeout: float = 600.0,
                             poll: float = 0.1, env: dict[str, str] | None = None) -> dict:
    """Run ``pytest --nbval NOTEBOOK`` in a subprocess and watch its kernel's memory.

    The kernel is the ``ipykernel`` process below pytest; its ``VmHWM`` (peak RSS) is
    read every ``poll`` seconds until it exits. ``env`` replaces the environment of pytest
    and its kernel (default: this process's).

    Returns:
        ``{"notebook", "seconds", "passed", "returncode", "peak_rss_bytes", "summary"}``.
    """
    command = [sys.executable, "-m", "pytest", "--nbval", str(notebook), "-q", "-p", "no:cacheprovider"]
    peaks: dict[int, int] = {}
    with tempfile.TemporaryFile(mode="w+") as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, text=True,
                                   env=env)
        timed_out = False
        while process.poll() is None:
            for pid in descendants(process.pid):
                if "ipykernel" in _cmdline(pid):
                    peak = peak_rss_bytes(pid)
                    if peak is not None:
                        peaks[pid] = max(peaks.get(pid, 0), peak)
            if time.perf_counter() - start > timeout:
                timed_out = True
                for pid in [*descendants(process.pid), process.pid]:
                    try:
                        os.kill(pid, 9)
                    except OSError:
                        pass
                break
            time.sleep(poll)
        process.wait()
        seconds = time.perf_counter() - start
        output.seek(0)
        lines = [line.strip() for line in output.read().splitlines() if line.strip()]
    return {"notebook": notebook.name, "seconds": seconds, "passed": process.returncode == 0,
            "returncode": process.returncode, "timed_out": timed_out,
            "peak_rss_bytes": max(peaks.values()) if peaks else None,
            "summary": lines[-1] if lines else ""}


def lesson_runs(lessons_dir: Path = REPO_ROOT / "lessons", timeout: float = 600.0,
                log: Callable[[str], None] = print, threads: int | None = None) -> dict:
    """Item 6: every ``lessons/*.ipynb`` under strict nbval, one pytest process each.

    ``threads`` sets ``OMP_NUM_THREADS`` for pytest and the kernels (``None``: unchanged),
    which is the thread count PyTorch starts with there.
    """
    env = None if threads is None else {**os.environ, "OMP_NUM_THREADS": str(threads)}
    notebooks = sorted(lessons_dir.glob("*.ipynb")) if lessons_dir.is_dir() else []
    if not notebooks:
        return {"skipped": False, "status": f"no notebooks in {lessons_dir}", "notebooks": [],
                "total_seconds": None}
    results = []
    for notebook in notebooks:
        result = run_notebook_under_nbval(notebook, cwd=lessons_dir.parent, timeout=timeout, env=env)
        peak = result["peak_rss_bytes"]
        log(f"  {result['notebook']:<40} {result['seconds']:6.1f} s  peak RSS "
            f"{'n/a' if peak is None else f'{peak / 1e6:,.0f} MB'}  {result['summary']}")
        results.append(result)
    return {"skipped": False, "status": "measured", "notebooks": results,
            "total_seconds": sum(r["seconds"] for r in results),
            "all_passed": all(r["passed"] for r in results),
            "omp_num_threads": threads if threads is not None else os.environ.get("OMP_NUM_THREADS"),
            "how": "one `python -m pytest --nbval NOTEBOOK` process per notebook (includes pytest "
                   "and kernel start-up); peak RSS = VmHWM of the ipykernel process"}


def lessons_table(lessons: dict) -> str:
    """Return the per-lesson table: seconds, kernel peak RSS, nbval result."""
    rows = []
    for n in lessons.get("notebooks", []):
        peak = n["peak_rss_bytes"]
        rows.append([n["notebook"], format_value(n["seconds"], "s"),
                     "n/a" if peak is None else format_value(peak / 1e6, "MB"),
                     "passed" if n["passed"] else "FAILED"])
    if rows:
        rows.append(["total", format_value(lessons["total_seconds"], "s"), "", ""])
    return format_table(["lesson", "nbval wall", "kernel peak RSS", "nbval"], rows)


# --------------------------------------------------------------------------- plot


def plot_results(results: dict, path: Path) -> Path:
    """Draw images/s of each pipeline as bars, with the FLOP limit as a line; save to ``path``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    pipelines = results["pipelines"]
    names = [entry["label"].replace(": ", ":\n", 1) for entry in pipelines.values()]
    rates = [entry["images_per_second"] for entry in pipelines.values()]
    limit = results["limit"]
    fig = Figure(figsize=(7.5, 5.5), constrained_layout=True)
    ax = fig.subplots()
    bars = ax.bar(names, rates, color=["#999999", "#4c72b0", "#55a868"])
    for bar, rate in zip(bars, rates, strict=True):
        fraction = fraction_of_limit(rate, results["flops_per_image"]["train"], limit["gflops"])
        ax.annotate(f"{rate:,.0f}\n({100 * fraction:.0f}% of limit)",
                    (bar.get_x() + bar.get_width() / 2, rate), ha="center", va="bottom", fontsize=9)
    per_image = results["flops_per_image"]["train"]
    lines = [(limit["images_per_second"], "#c44e52", "--",
              f"FLOP limit: {limit['images_per_second']:,.0f} images/s ({limit['gflops']:.0f} GFLOP/s, "
              f"{limit['shape']}, {limit['threads']} threads)")]
    if limit.get("quiet_gflops") and abs(limit["quiet_gflops"] - limit["gflops"]) > 1e-6:
        quiet = limit["quiet_gflops"] * 1e9 / per_image
        lines.append((quiet, "#8172b3", "-.",
                      f"idle-machine limit (estimate from CPU time): {quiet:,.0f} images/s"))
    for entry in results["matmul"]:
        if entry["shape"][1:] == [784, 500]:
            lines.append((entry["gflops"] * 1e9 / per_image, "#dd8452", ":",
                          f"matmul at batch {entry['shape'][0]}: {entry['gflops'] * 1e9 / per_image:,.0f} "
                          "images/s"))
    for value, color, style, label in lines:
        ax.axhline(value, color=color, linestyle=style, linewidth=1.2, label=label)
    shown = rates + [value for value, *_ in lines]
    ax.set_yscale("log")
    ax.set_ylabel("training images per second (log scale)")
    ax.set_ylim(min(shown) / 2, max(shown) * 4)
    machine = results["machine"]
    ax.set_title(f"MLP 784-500-256-10 on {machine['device']}\n{machine['cpu']}", fontsize=10)
    fig.legend(fontsize=8, loc="outside lower center")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


# --------------------------------------------------------------------------- main


def run_benchmark(config: BenchConfig, log: Callable[[str], None] = print) -> dict:
    """Run every part of the benchmark and return the results dict (see :func:`main`)."""
    from .data import data_source, load_mnist
    from .env import get_device

    if config.threads is not None:
        torch.set_num_threads(config.threads)
    device = get_device(config.device)
    started = time.perf_counter()

    def section(title: str) -> None:
        log(f"[{time.perf_counter() - started:6.1f} s] {title}")

    machine = machine_info(device)
    log("machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
    train, test = load_mnist("train"), load_mnist("test")
    log(f"data: {train.source}; {test.source}")
    flops = mlp_flops_per_image(LAYER_SIZES)
    log(f"MLP 784-500-256-10: {flops['forward']:,} FLOPs forward, {flops['train']:,} forward+backward "
        "per image (6 * sum(in*out))")

    section("1-2. throughput (interleaved rounds; best epoch of each pipeline is kept)")
    pipelines = measure_throughput(config, device, (train.images, train.labels), log)

    section(f"3. float32 matrix multiply ({machine['usable_cores']} threads on the CPU: all usable cores)")
    shapes = QUICK_MATMUL_SHAPES if config.quick else MATMUL_SHAPES
    matmul, limit = measure_limit(shapes, device, config.matmul_seconds, machine["usable_cores"],
                                  flops["train"], log)
    for entry in pipelines.values():
        entry["fraction_of_limit"] = fraction_of_limit(entry["images_per_second"], flops["train"],
                                                       limit["gflops"])
        entry["fraction_of_limit_cpu_time"] = (
            fraction_of_limit(entry["images_per_cpu_second"], flops["train"], limit["quiet_gflops"])
            if entry.get("images_per_cpu_second") else None)

    section("4. time to 95% test accuracy (lesson 4 defaults)")
    test_pair = (test.images[: config.subset], test.labels[: config.subset]) if config.subset else test[:2]
    accuracy = time_to_accuracy((train.images, train.labels), test_pair, device,
                                max_epochs=config.max_epochs, subset=config.subset)
    log(f"  reached: {accuracy['reached']}, after {accuracy['epochs']} epochs, {accuracy['seconds']} s; "
        f"test accuracy per epoch {[round(a, 4) for a in accuracy['test_accuracy_per_epoch']]}")

    section("5. dashboard latency")
    dashboard = ({"status": "skipped", "seconds": None} if config.skip_dashboard
                 else dashboard_latency((train.images, train.labels), (test.images, test.labels), device,
                                        trials=1 if config.quick else 3))
    log(f"  {dashboard['status']}: {dashboard['seconds']}")

    section("6. lessons under strict nbval")
    lessons = ({"skipped": True, "status": "skipped (--skip-lessons)", "notebooks": [], "total_seconds": None}
               if config.skip_lessons else lesson_runs(timeout=config.lesson_timeout, log=log,
                                                               threads=config.threads))

    seeds_rate = pipelines["seeds"]["images_per_second"]
    ratios = {}
    for name in ("fit_batch64", "fit_lesson_defaults"):
        ratios[f"{name} / seeds"] = ratio(pipelines[name]["images_per_second"], seeds_rate)
    for name, entry in pipelines.items():
        ratios[f"{name} / limit"] = entry["fraction_of_limit"]
    cuda_epoch = (CUDA_FULL_EPOCH_IMAGES / pipelines["fit_lesson_defaults"]["images_per_second"]
                  if device.type == "cuda" else None)
    machine["load_average_end"] = _load_average()
    results = {
        "machine": machine,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
        "data": {"train": train.source, "test": test.source, "source": data_source()},
        "model": "MLP 784-500-256-10",
        "seeds_settings": SEEDS_SETTINGS,
        "lesson_defaults": LESSON_DEFAULTS,
        "flops_per_image": flops,
        "matmul": matmul,
        "limit": limit,
        "pipelines": pipelines,
        "ratios": ratios,
        "time_to_95": accuracy,
        "dashboard": dashboard,
        "lessons": lessons,
        "cuda_epoch_60k_s": cuda_epoch,
        "cuda_epoch_note": ("60,000 / best images/s of fit at lesson defaults (test=None)"
                            if cuda_epoch is not None else "n/a: not a CUDA device"),
        "seconds_total": time.perf_counter() - started,
    }
    results["targets"] = evaluate_targets(results)
    return results


def report(results: dict) -> str:
    """Return the printed summary: machine, throughput ratios, lessons and targets."""
    m = results["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['usable_cores']} usable cores ({m['cpu_count']} CPUs), "
        f"torch {m['torch']} with {m['torch_threads']} threads, device {m['device']}; "
        f"load average {m['load_average_start']} -> {m['load_average_end']}",
        f"Data: {results['data']['train']}",
        "Seeds: torchvision MNIST + ToTensor + Normalize per image, DataLoader(batch_size=64, "
        "shuffle=True), SGD lr 0.01 momentum 0.9, loss.item() every batch",
        "Lesson defaults: MLP 784-500-256-10 dropout 0.2, Adam lr 1e-3, batch 128",
        f"Pipelines ran with {m['torch_threads']} torch threads; each rate is its best epoch of "
        f"{results['config']['rounds']} interleaved rounds (all epochs are in the JSON)",
        "",
        ratio_table(results),
        "(per CPU-s: divided by this process's CPU time; the right-hand 'of limit' compares with an idle "
        "machine's limit, estimated as threads x the best GFLOP per CPU-second. Robust to other programs "
        "with --threads 1.)",
        "",
    ]
    accuracy = results["time_to_95"]
    if accuracy["reached"]:
        lines.append(f"Time to {accuracy['target_accuracy']:.0%} test accuracy ({accuracy['settings']}): "
                     f"{accuracy['seconds']:.2f} s in fit ({accuracy['wall_seconds']:.2f} s wall), "
                     f"{accuracy['epochs']} epochs of {accuracy['train_images']:,} images")
    else:
        lines.append(f"Time to {accuracy['target_accuracy']:.0%} test accuracy: not reached within "
                     f"{accuracy['max_epochs']} epochs of {accuracy['train_images']:,} images")
    dashboard = results["dashboard"]
    if dashboard["seconds"] is None:
        lines.append(f"Dashboard change -> first curve point: {dashboard['status']}")
    else:
        lines.append(f"Dashboard change -> first curve point: {format_value(dashboard['seconds'], 's')} "
                     f"(median of {len(dashboard.get('samples', []))}, {dashboard.get('how', '')})")
    lines.append("")
    lessons = results["lessons"]
    lines.append(lessons_table(lessons) if lessons["notebooks"] else f"Lessons: {lessons['status']}")
    lines += ["", targets_table(results["targets"])]
    return "\n".join(lines)


def write_results(results: dict, out: Path) -> tuple[Path, Path]:
    """Write ``bench.json`` and ``bench.png`` into ``out`` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "bench.json"
    json_path.write_text(json.dumps(json_safe(results), indent=2) + "\n", encoding="utf-8")
    return json_path, plot_results(results, out / "bench.png")


def parse_args(argv: Sequence[str] | None = None) -> BenchConfig:
    """Turn command-line arguments into a :class:`BenchConfig`."""
    parser = argparse.ArgumentParser(prog="python -m mnist_course.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda", "mps"], default=None,
                        help="default: mnist_course.env.get_device()")
    parser.add_argument("--quick", action="store_true",
                        help="tiny budget (smoke test; numbers not meaningful)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for bench.json and bench.png")
    parser.add_argument("--skip-lessons", action="store_true", help="do not run the lesson notebooks")
    parser.add_argument("--skip-dashboard", action="store_true", help="do not measure the dashboard")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved throughput rounds (default 3)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for the pipelines and OMP_NUM_THREADS for the lesson kernels "
                             "(default: PyTorch's); the FLOP limit always uses every usable core")
    args = parser.parse_args(argv)
    from .env import get_device

    try:
        device = get_device(args.device)
    except ValueError as exc:
        parser.error(str(exc))
    options: dict[str, Any] = {"device": device.type, "out": args.out,
                               "skip_lessons": args.skip_lessons, "skip_dashboard": args.skip_dashboard,
                               "threads": args.threads}
    if args.rounds is not None:
        if args.rounds < 1:
            parser.error("--rounds must be at least 1")
        options["rounds"] = args.rounds
    return BenchConfig.quick_budget(**options) if args.quick else BenchConfig(**options)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; print the tables, write JSON and the plot."""
    config = parse_args(argv)
    results = run_benchmark(config, log=lambda text: print(text, flush=True))
    json_path, png_path = write_results(results, config.out)
    print()
    print(report(results))
    print(f"\nwrote {json_path} and {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
