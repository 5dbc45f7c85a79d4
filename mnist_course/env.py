"""Seeding, device choice, CPU threads and figure defaults: the setup cell of every lesson calls these."""

from __future__ import annotations

import contextlib
import operator
import os
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

DEVICE_ENV_VAR = "MNIST_COURSE_DEVICE"
DEVICE_KINDS = ("cpu", "cuda", "mps")
CPU_MAX_FILE = "/sys/fs/cgroup/cpu.max"


def check_seed(seed: int | str, what: str = "the seed") -> int:
    """Return ``seed`` as an ``int`` if PyTorch can seed with it (0 to 2**64 - 1), else raise ValueError.

    Args:
        seed: a whole number, or text such as ``"42"`` (from an environment variable).
        what: the name the message gives it, e.g. ``"MNIST_COURSE_SHUFFLE"``.
    """
    try:
        value = int(seed.strip()) if isinstance(seed, str) else operator.index(seed)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value < 2**64:
        raise ValueError(f"{what} must be a whole number from 0 to 2**64 - 1 ({2**64 - 1}), not {seed!r}")
    return value


def set_seed(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's random number generators (CPU and GPU).

    Raises:
        ValueError: ``seed`` is not a whole number from 0 to 2**64 - 1 (:func:`check_seed`).
    """
    seed = check_seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    np.random.seed(seed % 2**32)


def available_devices() -> list[str]:
    """Return the devices PyTorch can train on here, best first, e.g. ``["cuda", "cpu"]``."""
    present = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available(), "cpu": True}
    return [kind for kind, here in present.items() if here]


def cpu_quota(cpu_max: str | os.PathLike = CPU_MAX_FILE) -> int:
    """How many CPUs this process may really use (affinity and container quota, as on Binder).

    Args:
        cpu_max: the cgroup v2 ``cpu.max`` file (``"<quota> <period>"`` or ``"max <period>"``).
    """
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        count = os.cpu_count() or 1
    try:
        quota, period = Path(cpu_max).read_text().split()[:2]
        if quota != "max":
            count = min(count, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, count)


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Use ``count`` PyTorch CPU threads while the block runs (``None``: unchanged), then restore them."""
    previous = torch.get_num_threads()
    torch.set_num_threads(previous if count is None else count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def limit_cpu_threads() -> int:
    """Cap PyTorch's CPU threads at :func:`cpu_quota` (more make training slower); return the count."""
    if torch.get_num_threads() > cpu_quota():
        torch.set_num_threads(cpu_quota())
    return torch.get_num_threads()


def parse_device(choice: str | torch.device) -> str:
    """Check a device name, e.g. from a lesson, the command line or a dashboard control.

    The one device parser of the package: :func:`get_device`, ``python -m mnist_course train
    --device`` and the dashboard's device knob all use it. It does not check that the device is
    present on this machine (:func:`get_device` does).

    Args:
        choice: ``"cpu"``, ``"cuda"`` or ``"mps"``, with an index if wanted (``"cuda:1"``), or a
            ``torch.device``.

    Returns:
        The device as PyTorch writes it, e.g. ``"cuda:1"``.

    Raises:
        ValueError: not one of :data:`DEVICE_KINDS`; the message lists them and those available here.
    """
    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError, ValueError):
        device = None
    if device is None or device.type not in DEVICE_KINDS:
        raise ValueError(f"{choice!r} is not a device PyTorch can train on here; valid choices: "
                         f"{', '.join(DEVICE_KINDS)} (available on this machine: "
                         f"{', '.join(available_devices())}).")
    return str(device)


def get_device(preferred: str | None = None) -> torch.device:
    """Pick the device to train on: CUDA, then Apple's MPS, then the CPU; it changes nothing else.

    Args:
        preferred: ``"cuda"``, ``"mps"`` or ``"cpu"``; else ``MNIST_COURSE_DEVICE``, else the best.

    Raises:
        ValueError: not a device name (the message lists the valid ones), or not available here.
    """
    if preferred:
        device = torch.device(parse_device(preferred))
    elif os.environ.get(DEVICE_ENV_VAR):
        try:
            device = torch.device(parse_device(os.environ[DEVICE_ENV_VAR]))
        except ValueError as exc:
            hint = f"Set {DEVICE_ENV_VAR} to one of those, or unset it."
            raise ValueError(f"{DEVICE_ENV_VAR}={exc} {hint}") from None
    else:
        device = torch.device(available_devices()[0])
    if device.type not in available_devices():
        raise ValueError(f"Device {str(device)!r} is not available here; available: {available_devices()}. "
                         f"Unset {DEVICE_ENV_VAR} or pick one of those.")
    return device


def describe_device(device: str | torch.device) -> str:
    """One line naming the device, e.g. ``"cuda (NVIDIA H100)"`` or ``"cpu (2 threads)"``."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def setup_figures() -> None:
    """Set readable matplotlib defaults for the lessons (size, font, layout)."""
    import matplotlib as mpl

    mpl.rcParams.update({"figure.figsize": (6.0, 4.0), "figure.dpi": 80, "savefig.dpi": 80,
                         "font.size": 11, "axes.titlesize": 12, "axes.grid": False,
                         "figure.autolayout": False, "figure.constrained_layout.use": True,
                         "image.cmap": "gray"})


def setup(seed: int = 0) -> torch.device:
    """The setup cell of every lesson in one call: seed, figures, CPU threads and device; say what it chose.

    Prints the CPU threads, the device and the data the lesson will use.

    Returns:
        The device to train on (:func:`get_device`).
    """
    from .data import data_source

    set_seed(seed)
    setup_figures()
    device = get_device()
    print("CPU threads:", limit_cpu_threads())  # at most the CPUs this machine lets us use
    print("device:", describe_device(device))
    print("data:", data_source())
    return device


@contextlib.contextmanager
def seeded(seed: int, device: str | torch.device | None = None) -> Iterator[None]:
    """Run the block with PyTorch's random numbers seeded by ``seed``; yours are restored afterwards.

    Args:
        seed: the seed for the CPU generator (and ``device``'s, when it is a GPU).
        device: a GPU whose generator is forked and seeded too; ``None`` or the CPU: the CPU only.
    """
    device = torch.device(device) if device is not None else torch.device("cpu")
    gpus = [device] if device.type != "cpu" else []
    with torch.random.fork_rng(devices=gpus, device_type=device.type if gpus else "cuda"):
        torch.manual_seed(check_seed(seed))
        yield
