"""The machine's float32 matrix-multiply limit, and the training FLOPs of one image.

The FLOP limit is the best sustained ``torch.mm`` rate, timed with
``torch.utils.benchmark.Timer.blocked_autorange``. The FLOPs per image are counted by
``torch.utils.flop_counter.FlopCounterMode`` on one real forward and backward pass of the
model, not by a formula: the first layer needs no gradient with respect to its input
(the images), so training 784-500-256-10 costs about 2.35 MFLOP per image, not the
``6 * sum(in * out)`` = 3.14 MFLOP an earlier version of this benchmark assumed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.utils.benchmark import Timer
from torch.utils.flop_counter import FlopCounterMode

from mnist_course.data import to_float_images

from .config import sync


def training_flops_per_image(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Count the FLOPs of one training step per image with ``FlopCounterMode``.

    Runs ``model`` forward on ``images``, then ``CrossEntropyLoss`` backward, as one
    training step does (the optimizer step is O(parameters), not counted). The model's
    gradients are cleared afterwards; its weights are not changed.

    Args:
        model: the network, on the device of ``images``.
        images: a batch, uint8 ``(N, 28, 28)`` (normalised here as ``fit`` does) or float.
        labels: int64 ``(N,)``.

    Returns:
        ``{"forward", "backward", "train", "batch", "how"}``: FLOPs per image (the batch's
        counts divided by ``N``), the batch size and how they were counted.
    """
    inputs = to_float_images(images) if images.dtype == torch.uint8 else images
    was_training = model.training
    model.train()
    with FlopCounterMode(display=False) as counter:
        loss = nn.functional.cross_entropy(model(inputs), labels)
        forward = counter.get_total_flops()
        loss.backward()
        total = counter.get_total_flops()
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    n = len(labels)
    return {"forward": forward // n, "backward": (total - forward) // n, "train": total // n, "batch": n,
            "how": f"torch.utils.flop_counter.FlopCounterMode on one forward+backward of a batch of {n}"}


def fraction_of_limit(images_per_second: float, flops_per_image: float, limit_gflops: float) -> float:
    """Return the fraction of the FLOP limit that training at ``images_per_second`` uses."""
    if limit_gflops <= 0:
        return float("nan")
    return images_per_second * flops_per_image / (limit_gflops * 1e9)


def _device_timer(device: torch.device) -> Callable[[], float]:
    """A wall clock that first waits for ``device`` (the Timer already does so for CUDA)."""
    if device.type == "mps":
        return lambda: (sync(device), time.perf_counter())[1]
    return time.perf_counter


def matmul_gflops(shape: tuple[int, int, int], device: torch.device, seconds: float = 0.5,
                  threads: int = 1) -> dict:
    """Time float32 ``torch.mm`` of one shape and return its GFLOP/s.

    ``Timer.blocked_autorange`` runs the product in blocks for at least ``seconds``; the
    fastest block is the sustained rate (slower ones were slowed by other programs). A
    second measurement with ``time.process_time`` as the clock gives GFLOP per second of
    this process's CPU time (CPU only).

    Args:
        shape: ``(m, k, n)``: an ``(m x k) @ (k x n)`` product, ``2*m*k*n`` FLOPs.
        device: where to multiply.
        seconds: minimum time to spend timing (each clock).
        threads: PyTorch CPU threads during the measurement (restored after).

    Returns:
        ``{"shape", "gflops", "median_gflops", "blocks", "gflops_per_cpu_second"}``.
    """
    m, k, n = shape
    flops = 2 * m * k * n
    tensors = {"a": torch.randn(m, k, device=device), "b": torch.randn(k, n, device=device),
               "out": torch.empty(m, n, device=device)}
    stmt = "torch.mm(a, b, out=out)"
    wall = Timer(stmt, globals={"torch": torch, **tensors}, timer=_device_timer(device),
                 num_threads=threads).blocked_autorange(min_run_time=seconds)
    entry = {"shape": list(shape), "gflops": flops / min(wall.times) / 1e9,
             "median_gflops": flops / wall.median / 1e9, "blocks": len(wall.times),
             "gflops_per_cpu_second": None}
    if device.type == "cpu":
        cpu = Timer(stmt, globals={"torch": torch, **tensors}, timer=time.process_time,
                    num_threads=threads).blocked_autorange(min_run_time=seconds)
        entry["gflops_per_cpu_second"] = flops / max(min(cpu.times), 1e-12) / 1e9
    return entry


def measure_limit(shapes: Sequence[tuple[int, int, int]], device: torch.device, seconds: float,
                  threads: int, train_flops_per_image: int,
                  log: Callable[[str], None] = print) -> tuple[list[dict], dict]:
    """Time every matmul shape and take the best sustained rate as the FLOP limit.

    Args:
        shapes: the ``(m, k, n)`` products to time.
        device: where to multiply.
        seconds: minimum timing per shape.
        threads: PyTorch CPU threads (the benchmark passes the container's CPU quota).
        train_flops_per_image: from :func:`training_flops_per_image`.
        log: where progress lines go.

    Returns:
        ``(matmul, limit)``: one :func:`matmul_gflops` entry per shape, and ``limit`` with
        ``gflops``, ``shape``, ``threads``, ``images_per_second`` (the training rate the
        limit allows) and ``quiet_gflops``: the best GFLOP per CPU-second times the thread
        count, an estimate of the limit of an otherwise idle machine.
    """
    matmul = []
    for shape in shapes:
        entry = matmul_gflops(shape, device, seconds, threads)
        matmul.append(entry)
        per_cpu = entry["gflops_per_cpu_second"]
        log(f"  ({shape[0]} x {shape[1]}) @ ({shape[1]} x {shape[2]}): {entry['gflops']:.1f} GFLOP/s"
            + ("" if per_cpu is None else f" ({per_cpu:.1f} per CPU-second)"))
    best = max(matmul, key=lambda e: e["gflops"])
    per_cpu = [e["gflops_per_cpu_second"] for e in matmul if e["gflops_per_cpu_second"]]
    threads_used = threads if device.type == "cpu" else None
    limit = {"gflops": best["gflops"], "shape": "x".join(map(str, best["shape"])), "threads": threads_used,
             "images_per_second": best["gflops"] * 1e9 / train_flops_per_image,
             "quiet_gflops": max(per_cpu) * threads if per_cpu else best["gflops"]}
    return matmul, limit
