"""What the benchmark trains, how much work it does, and the machine it runs on."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mnist_course import env

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path("artifacts") / "bench"
HIDDEN = (500, 256)
MODEL_NAME = "MLP 784-500-256-10"

#: What the seed tutorials did, and what ``fit`` is compared with at batch 64.
SEEDS_SETTINGS = {"batch_size": 64, "optimizer": "sgd", "lr": 0.01, "momentum": 0.9}
#: The lessons' default training settings (lesson 4): throughput and time to 95%.
LESSON_DEFAULTS = {"batch_size": 128, "optimizer": "adam", "lr": 1e-3, "momentum": 0.0, "dropout": 0.2}
#: Matrix products timed for the FLOP limit: (rows, inner, columns).
MATMUL_SHAPES = ((64, 784, 500), (128, 784, 500), (1024, 1024, 1024), (2048, 2048, 2048))
QUICK_MATMUL_SHAPES = ((64, 784, 500), (128, 784, 500), (512, 512, 512))
TARGET_ACCURACY = 0.95


def default_threads() -> int:
    """Return the thread count the benchmark uses unless told: the CPUs this process may use.

    The same count as :func:`mnist_course.env.cpu_quota` (affinity and the container's
    CPU quota): more PyTorch threads than usable CPUs makes training many times slower.
    """
    return env.cpu_quota()


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
        subset: train (and, for the time to 95%, test) on the first ``subset`` images only.
        matmul_seconds: minimum time spent timing each matrix-multiply shape.
        max_epochs: cap of the time-to-95% run.
        skip_lessons: do not run the lesson notebooks.
        skip_dashboard: do not measure the dashboard.
        lesson_timeout: seconds allowed to each notebook.
        threads: PyTorch threads of the pipelines and of the FLOP limit, and
            ``OMP_NUM_THREADS`` of the lesson kernels (``None``: :func:`default_threads`).
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
                                    "subset": 1536, "matmul_seconds": 0.05, "max_epochs": 1}
        settings.update(overrides)
        return cls(**settings)

    @property
    def thread_count(self) -> int:
        """The threads actually used: ``threads``, else :func:`default_threads`."""
        return self.threads if self.threads is not None else default_threads()


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


def load_average() -> list[float] | None:
    """Return the 1, 5 and 15 minute load averages (``None`` where the system has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_info(device: torch.device) -> dict:
    """Describe the machine the numbers were measured on."""
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_quota": env.cpu_quota(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": env.describe_device(device),
        "load_average_start": load_average(),
    }


def sync(device: torch.device) -> None:
    """Wait until ``device`` has finished its queued work (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
