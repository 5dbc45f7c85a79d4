"""The dashboard's latency: from a change of a knob to the first point on the curve.

Measured only through the dashboard's public API: ``TrainingDashboard(train, test,
device=...)``, ``set_values(...)``, ``wait_for_first_point(timeout)`` (the dashboard's
own clock: seconds from the last change to the first curve point, debounce included),
``stop()``, ``wait(timeout)`` and ``close()``. Each trial sets a value not used before, so
no result comes from the dashboard's cache.
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Sequence

import torch

DASHBOARD_MODULES = ("mnist_course.widgets.dashboard",)
MISSING = "n/a (dashboard not available)"


def dashboard_class():
    """Return ``TrainingDashboard`` from the package, or ``None`` if it can not be imported."""
    for name in DASHBOARD_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "TrainingDashboard"):
            return module.TrainingDashboard
    return None


def measure_first_point(dashboard, changes: Sequence[dict], timeout: float = 60.0) -> dict:
    """Apply each change with ``set_values`` and wait for its first curve point.

    If the first change starts no run (a dashboard whose ``set_values`` only sets the
    knobs), every change is followed by ``start()``, as a student pressing Start.

    Args:
        dashboard: a ``TrainingDashboard``.
        changes: knob values per trial, e.g. ``[{"dropout": 0.1}, {"dropout": 0.3}]``.
        timeout: seconds to wait for each first point.

    Returns:
        ``{"status", "seconds", "samples", "wall_samples", "how"}``; ``seconds`` is the
        median trial; ``wall_samples`` are this function's own clock around each trial.
    """
    samples: list[float] = []
    wall_samples: list[float] = []
    press_start = False
    for change in changes:
        begin = time.perf_counter()
        dashboard.set_values(**change)
        if press_start:
            dashboard.start()
        latency = dashboard.wait_for_first_point(timeout)
        if latency is None and not samples and not press_start:
            press_start = True  # set_values started nothing: press Start
            begin = time.perf_counter()
            dashboard.start()
            latency = dashboard.wait_for_first_point(timeout)
        wall_samples.append(time.perf_counter() - begin)
        dashboard.stop()
        dashboard.wait(timeout)
        if latency is None:
            return {"status": f"no curve point within {timeout:.0f} s", "seconds": None,
                    "samples": samples, "wall_samples": wall_samples}
        samples.append(float(latency))
    how = "set_values(" + ("...) + start()" if press_start else "...)") + " -> wait_for_first_point()"
    return {"status": "measured", "seconds": statistics.median(samples), "samples": samples,
            "wall_samples": wall_samples, "how": how}


def dashboard_latency(train: Sequence[torch.Tensor], test: Sequence[torch.Tensor] | None,
                      device: torch.device, trials: int = 3, timeout: float = 60.0,
                      values: Sequence[float] = (0.1, 0.3, 0.4)) -> dict:
    """Build a headless dashboard and measure change -> first point, changing the dropout.

    Args:
        train: ``(images, labels)`` for the dashboard.
        test: its test split, or ``None``.
        device: the dashboard's device.
        trials: how many changes (at most ``len(values)``).
        timeout: seconds to wait for each first point.
        values: the dropout of each trial (all different, so none is cached).

    Returns:
        As :func:`measure_first_point`; ``status`` says why when nothing was measured.
    """
    cls = dashboard_class()
    if cls is None:
        return {"status": MISSING, "seconds": None}
    try:
        dashboard = cls(train, test, device=device.type)
    except Exception as exc:  # another helper's code: report it, do not crash the benchmark
        return {"status": f"error building the dashboard ({type(exc).__name__}: {exc})", "seconds": None}
    try:
        result = measure_first_point(dashboard, [{"dropout": v} for v in list(values)[:trials]], timeout)
    except Exception as exc:
        result = {"status": f"error ({type(exc).__name__}: {exc})", "seconds": None}
    finally:
        dashboard.close()
    result["how"] = f"{cls.__module__}.TrainingDashboard(device={device.type!r}): " + result.get("how", "")
    return result
