"""The benchmark's printed tables, its targets (PASS/MISS) and ``bench.json``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The issue's targets: (key, description, comparison, goal, unit).
TARGETS = (
    ("fit_vs_seeds_batch64", "fit / seeds at batch 64", ">=", 8.0, "x"),
    ("fit_lesson_defaults_vs_limit", "fit at lesson defaults / FLOP limit", ">=", 0.40, "%"),
    ("dashboard_first_point_s", "dashboard: change -> first curve point", "<", 1.0, "s"),
    ("photo_to_mnist_s", "to_mnist of a 1000x800 photo (best of 3)", "<", 0.5, "s"),
    ("lessons_total_s", "all lessons under strict nbval, total", "<", 180.0, "s"),
    ("lessons_max_peak_rss_gb", "largest lesson kernel peak RSS", "<", 1.0, "GB"),
    ("cuda_epoch_60k_s", "CUDA: one epoch of 60,000 images", "<", 0.5, "s"),
)


def _measured(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def ratio(numerator: float | None, denominator: float | None) -> float:
    """Return ``numerator / denominator``, or NaN when either is missing, infinite or zero."""
    if not (_measured(numerator) and _measured(denominator)) or denominator == 0:
        return float("nan")
    return numerator / denominator


def check_target(value: float | None, comparison: str, goal: float) -> str:
    """Return ``"PASS"`` or ``"MISS"`` for ``value <comparison> goal``, or ``"n/a"`` if unmeasured."""
    if not _measured(value):
        return "n/a"
    passed = {">=": value >= goal, ">": value > goal, "<": value < goal, "<=": value <= goal}[comparison]
    return "PASS" if passed else "MISS"


def format_value(value: float | None, unit: str) -> str:
    """Format a measurement for the tables: ``"5.93x"``, ``"23.4%"``, ``"0.41 s"``, ``"12,345"``."""
    if not _measured(value):
        return "n/a"
    formats = {"x": "{:.2f}x", "s": "{:.2f} s", "GB": "{:.2f} GB", "MB": "{:,.0f} MB"}
    if unit == "%":
        return f"{100 * value:.1f}%"
    return formats.get(unit, "{:,.0f}").format(value)


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
    ran = bool(lessons.get("notebooks")) and not lessons.get("skipped")
    peaks = [n["peak_rss_bytes"] for n in lessons.get("notebooks", []) if n.get("peak_rss_bytes")]
    return {
        "fit_vs_seeds_batch64": ratios.get("fit_batch64 / seeds"),
        "fit_lesson_defaults_vs_limit": ratios.get("fit_lesson_defaults / limit"),
        "dashboard_first_point_s": results.get("dashboard", {}).get("seconds"),
        "photo_to_mnist_s": results.get("photo_seconds"),
        "lessons_total_s": lessons.get("total_seconds") if ran else None,
        "lessons_max_peak_rss_gb": max(peaks) / 1e9 if peaks and ran else None,
        "cuda_epoch_60k_s": results.get("cuda_epoch_60k_s"),
    }


def evaluate_targets(results: dict) -> list[dict]:
    """Return one dict per target: key, name, value, comparison, goal, unit and PASS/MISS/n/a."""
    values = target_values(results)
    return [{"key": key, "name": name, "value": values.get(key), "comparison": comparison, "goal": goal,
             "unit": unit, "status": check_target(values.get(key), comparison, goal)}
            for key, name, comparison, goal, unit in TARGETS]


def ratio_table(results: dict) -> str:
    """Return the throughput table: images/s, x seeds and share of the FLOP limit, all from one run.

    The last three columns divide by this process's CPU time instead of wall time
    ("per CPU-s") and compare with an idle machine's limit (``quiet_gflops``): with one
    torch thread this is what an otherwise idle machine gives, however busy it is now.
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
    threads = "" if limit["threads"] is None else f", {limit['threads']} threads"
    rows.append([f"FLOP limit ({limit['gflops']:.1f} GFLOP/s, {limit['shape']}{threads})",
                 format_value(limit["images_per_second"], ""),
                 format_value(ratio(limit["images_per_second"], seeds), "x"), "100.0%",
                 f"{limit['quiet_gflops']:.0f} GFLOP/s", "", "100.0%"])
    headers = ["pipeline", "images/s", "x seeds", "of limit", "per CPU-s", "x seeds", "of limit"]
    return format_table(headers, rows)


def recipes_table(recipes: dict) -> str:
    """Return the table of times to each test accuracy for the final recipes (MLP and CNN)."""
    targets = list(next(iter(recipes.values()))["targets"])
    rows = []
    for kind, entry in recipes.items():
        cells = [f"{r['seconds']:.1f} s ({r['epochs']} ep)" if r["reached"]
                 else f"not in {entry['epochs_run']} ep" for r in entry["targets"].values()]
        rows.append([f"{kind} recipe ({entry['train_images']:,} images)", *cells])
    return format_table(["final recipe", *[f"to {float(t):.0%}" for t in targets]], rows)


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


def targets_table(targets: Sequence[dict]) -> str:
    """Return the targets table with PASS/MISS."""
    rows = [[t["name"], format_value(t["value"], t["unit"]),
             f"{t['comparison']} {format_value(t['goal'], t['unit'])}", t["status"]] for t in targets]
    return format_table(["target", "measured", "goal", "status"], rows)


def report(results: dict) -> str:
    """Return the printed summary: machine, FLOPs, throughput ratios, latency, lessons and targets."""
    m, flops = results["machine"], results["flops_per_image"]
    lines = [
        f"Machine: {m['cpu']}, CPU quota {m['cpu_quota']} ({m['cpu_count']} CPUs), torch {m['torch']} "
        f"with {m['torch_threads']} threads, device {m['device']}; "
        f"load average {m['load_average_start']} -> {m['load_average_end']}",
        f"Data: {results['data']['train']}",
        f"FLOPs per training image of {results['model']}: {flops['train']:,} ({flops['forward']:,} forward, "
        f"{flops['backward']:,} backward; {flops['how']})",
        "Seeds: torchvision MNIST + ToTensor + Normalize per image, DataLoader(batch_size=64, "
        "shuffle=True), SGD lr 0.01 momentum 0.9, loss.item() every batch",
        f"Each rate is the best epoch of {results['config']['rounds']} interleaved rounds "
        f"(every epoch is in the JSON), {m['torch_threads']} torch threads",
        "",
        ratio_table(results),
        "(per CPU-s: divided by this process's CPU time; its 'of limit' compares with an idle machine's "
        "limit, threads x the best GFLOP per CPU-second. Robust to other programs with --threads 1.)",
        "",
    ]
    acc = results["time_to_95"]
    if acc["reached"]:
        lines.append(f"Time to {acc['target_accuracy']:.0%} test accuracy ({acc['settings']}): "
                     f"{acc['seconds']:.2f} s in fit ({acc['wall_seconds']:.2f} s wall), "
                     f"{acc['epochs']} epochs of {acc['train_images']:,} images")
    else:
        lines.append(f"Time to {acc['target_accuracy']:.0%} test accuracy: not reached within "
                     f"{acc['max_epochs']} epochs of {acc['train_images']:,} images")
    if results.get("recipes"):
        lines += ["", recipes_table(results["recipes"])]
    dashboard = results["dashboard"]
    if dashboard["seconds"] is None:
        lines.append(f"Dashboard change -> first curve point: {dashboard['status']}")
    else:
        lines.append(f"Dashboard change -> first curve point: {format_value(dashboard['seconds'], 's')} "
                     f"(median of {len(dashboard['samples'])}; {dashboard['how']})")
    lessons = results["lessons"]
    lines += ["", lessons_table(lessons) if lessons["notebooks"] else f"Lessons: {lessons['status']}"]
    lines += ["", targets_table(results["targets"])]
    return "\n".join(lines)


def write_json(results: dict, path: Path) -> Path:
    """Write ``results`` as JSON (NaN becomes ``null``) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_safe(results), indent=2) + "\n", encoding="utf-8")
    return path
