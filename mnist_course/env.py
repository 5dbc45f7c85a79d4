"""Seeding, device choice and figure defaults: the setup cell of every lesson.

No lesson teaches these; each lesson's first code cell calls them.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

import torch

DEVICE_ENV_VAR = "MNIST_COURSE_DEVICE"


def set_seed(seed: int = 0) -> None:
    """Seed Python's and PyTorch's random number generators (CPU and GPU).

    Args:
        seed: any integer; the same seed gives the same weights and shuffles.
    """
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    try:
        import numpy as np
    except ImportError:  # numpy is optional for the package itself
        return
    np.random.seed(seed % 2**32)


def available_devices() -> list[str]:
    """Return the devices PyTorch can train on here, best first, e.g. ``["cuda", "cpu"]``."""
    devices = []
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    devices.append("cpu")
    return devices


def cpu_quota() -> int:
    """Return how many CPUs this process may really use (affinity and container quota).

    Binder and other containers often allow 1-2 CPUs on a host with many more, and
    PyTorch would otherwise start one thread per host CPU.
    """
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        count = os.cpu_count() or 1
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
        if quota != "max":
            count = min(count, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, count)


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Use ``count`` PyTorch CPU threads while the block runs, then restore the old number.

    Args:
        count: threads to use; ``None`` leaves the setting as it is.
    """
    if count is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def get_device(preferred: str | None = None) -> torch.device:
    """Pick the device to train on: CUDA, then Apple's MPS, then the CPU.

    On the CPU it also caps PyTorch's threads at :func:`cpu_quota`, because more
    threads than usable CPUs makes training many times slower.

    Args:
        preferred: ``"cuda"``, ``"mps"`` or ``"cpu"`` to choose one yourself. Without
            it, the environment variable ``MNIST_COURSE_DEVICE`` decides, else the
            best available device.

    Returns:
        A ``torch.device``.

    Raises:
        ValueError: the device asked for is not available on this machine.
    """
    choice = preferred or os.environ.get(DEVICE_ENV_VAR) or available_devices()[0]
    device = torch.device(choice)
    if device.type not in available_devices():
        raise ValueError(
            f"Device {choice!r} is not available here; available: {available_devices()}. "
            f"Unset {DEVICE_ENV_VAR} or pick one of those."
        )
    if device.type == "cpu" and torch.get_num_threads() > cpu_quota():
        torch.set_num_threads(cpu_quota())
    return device


def describe_device(device: str | torch.device) -> str:
    """Return one line naming the device, for the lessons to print.

    Args:
        device: a device from :func:`get_device`.

    Returns:
        For example ``"cuda (NVIDIA H100)"`` or ``"cpu (2 threads)"``.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def setup_figures() -> None:
    """Set readable matplotlib defaults for the lessons (size, font, layout)."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.figsize": (6.0, 4.0),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.grid": False,
            "figure.autolayout": False,
            "figure.constrained_layout.use": True,
            "image.cmap": "gray",
        }
    )
