"""``python -m benchmarks``: the course's training against the seed tutorials and the machine's limit.

``python -m benchmarks [--device cpu|cuda|mps] [--threads N] [--rounds N] [--quick]
[--skip-lessons] [--skip-dashboard] [--out artifacts/bench]`` measures, in one run on one
device: the seeds' pipeline and ``fit`` (images/s, interleaved rounds), the float32 FLOP
limit and the FLOPs per training image, the time to 95% test accuracy, the dashboard's
latency, the hard set's accuracy (naive vs ``to_mnist``, :mod:`benchmarks.hardset`), and every
lesson under strict nbval with its kernel's peak memory. It prints a
table of ratios and the targets with PASS/MISS, and writes ``bench.json`` and ``bench.png``.
Threads default to the CPUs this process may use (:func:`mnist_course.env.cpu_quota`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mnist_course import env
from mnist_course.data import data_source, load_mnist
from mnist_course.models import MLP

from . import config as cfg
from .hardset import format_table, measure_checkpoint, photo_seconds
from .latency import dashboard_latency
from .limit import fraction_of_limit, measure_limit, training_flops_per_image
from .notebooks import lesson_runs
from .plot import plot_results
from .report import evaluate_targets, ratio, report, write_json
from .throughput import RECIPE_TARGETS, measure_throughput, recipe_times, time_to_accuracy

CUDA_FULL_EPOCH_IMAGES = 60_000


def run_benchmark(config: cfg.BenchConfig, log: Callable[[str], None] = print) -> dict:
    """Run every part of the benchmark with ``config.thread_count`` threads; return the results dict."""
    device = env.get_device(config.device)
    threads = config.thread_count
    started = time.perf_counter()

    def section(title: str) -> None:
        log(f"[{time.perf_counter() - started:6.1f} s] {title}")

    with env.torch_threads(threads):
        machine = cfg.machine_info(device)
        log("machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
        train, test = load_mnist("train"), load_mnist("test")
        log(f"data: {train.source}; {test.source}")
        flops = training_flops_per_image(MLP(cfg.HIDDEN).to(device), train.images[:64].to(device),
                                         train.labels[:64].to(device))
        log(f"{cfg.MODEL_NAME}: {flops['train']:,} FLOPs per training image ({flops['how']})")

        section("throughput (interleaved rounds; the best epoch of each pipeline is kept)")
        pipelines = measure_throughput(config, device, (train.images, train.labels), log)

        section(f"float32 matrix multiply ({threads} threads)")
        shapes = cfg.QUICK_MATMUL_SHAPES if config.quick else cfg.MATMUL_SHAPES
        matmul, limit = measure_limit(shapes, device, config.matmul_seconds, threads, flops["train"], log)
        for entry in pipelines.values():
            entry["fraction_of_limit"] = fraction_of_limit(entry["images_per_second"], flops["train"],
                                                           limit["gflops"])
            cpu_rate = entry.get("images_per_cpu_second")
            entry["fraction_of_limit_cpu_time"] = (
                fraction_of_limit(cpu_rate, flops["train"], limit["quiet_gflops"]) if cpu_rate else None)

        section(f"time to {cfg.TARGET_ACCURACY:.0%} test accuracy (lesson 4 defaults)")
        test_pair = (test.images[: config.subset], test.labels[: config.subset])
        accuracy = time_to_accuracy((train.images, train.labels), test_pair, device,
                                    max_epochs=config.max_epochs, subset=config.subset)
        log(f"  reached: {accuracy['reached']} after {accuracy['epochs']} epochs, {accuracy['seconds']} s")

        section("time to " + ", ".join(f"{t:.0%}" for t in RECIPE_TARGETS) + " test accuracy: final recipes")
        recipes = {}
        for kind in ("mlp", "cnn"):
            recipes[kind] = recipe_times((train.images, train.labels), test_pair, device, model=kind,
                                         max_epochs=config.max_epochs if config.quick else None,
                                         subset=config.subset)
            log("  " + kind + ": " + ", ".join(f"{t}: {r['seconds']} s ({r['epochs']} epochs)"
                                               for t, r in recipes[kind]["targets"].items()))

        section("dashboard latency")
        dashboard = ({"status": "skipped (--skip-dashboard)", "seconds": None} if config.skip_dashboard
                     else dashboard_latency((train.images, train.labels), (test.images, test.labels), device,
                                            trials=1 if config.quick else 3))
        log(f"  {dashboard['status']}: {dashboard['seconds']}")

        section("the course's hard set (lesson 4's checkpoint): naive vs to_mnist")
        hardset = measure_checkpoint()
        log(f"  {hardset['status']}")
        if "table" in hardset:
            log(f"  naive {hardset['naive']:.1%}, to_mnist {hardset['to_mnist']:.1%}")
            log(format_table(hardset["table"]))
        photo = photo_seconds()
        log(f"  to_mnist of a 1000x800 photo: {photo:.2f} s (best of 3)")

        section("lessons under strict nbval")
        lessons = ({"skipped": True, "status": "skipped (--skip-lessons)", "notebooks": [],
                    "total_seconds": None} if config.skip_lessons
                   else lesson_runs(timeout=config.lesson_timeout, log=log, threads=threads))
        machine["load_average_end"] = cfg.load_average()

    seeds_rate = pipelines["seeds"]["images_per_second"]
    ratios = {f"{name} / seeds": ratio(pipelines[name]["images_per_second"], seeds_rate)
              for name in ("fit_batch64", "fit_lesson_defaults")}
    ratios.update({f"{name} / limit": entry["fraction_of_limit"] for name, entry in pipelines.items()})
    cuda_epoch = (CUDA_FULL_EPOCH_IMAGES / pipelines["fit_lesson_defaults"]["images_per_second"]
                  if device.type == "cuda" else None)
    results = {
        "machine": machine, "config": {**asdict(config), "out": str(config.out), "threads": threads},
        "data": {"train": train.source, "test": test.source, "source": data_source()},
        "model": cfg.MODEL_NAME, "seeds_settings": cfg.SEEDS_SETTINGS, "lesson_defaults": cfg.LESSON_DEFAULTS,
        "flops_per_image": flops, "matmul": matmul, "limit": limit, "pipelines": pipelines, "ratios": ratios,
        "time_to_95": accuracy, "recipes": recipes, "hardset": hardset, "dashboard": dashboard,
        "photo_seconds": photo, "lessons": lessons,
        "cuda_epoch_60k_s": cuda_epoch,
        "seconds_total": time.perf_counter() - started,
    }
    results["targets"] = evaluate_targets(results)
    return results


def parse_args(argv: Sequence[str] | None = None) -> cfg.BenchConfig:
    """Turn command-line arguments into a :class:`~benchmarks.config.BenchConfig`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda", "mps"], default=None,
                        help="default: mnist_course.env.get_device()")
    parser.add_argument("--quick", action="store_true",
                        help="tiny budget (smoke test; numbers not meaningful)")
    parser.add_argument("--out", type=Path, default=cfg.DEFAULT_OUT,
                        help="folder for bench.json and bench.png")
    parser.add_argument("--skip-lessons", action="store_true", help="do not run the lesson notebooks")
    parser.add_argument("--skip-dashboard", action="store_true", help="do not measure the dashboard")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved throughput rounds (default 3)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads of the pipelines and the FLOP limit, OMP_NUM_THREADS of the "
                             "lesson kernels (default: the CPUs this process may use, env.cpu_quota())")
    args = parser.parse_args(argv)
    try:
        device = env.get_device(args.device)
    except ValueError as exc:
        parser.error(str(exc))
    for name in ("rounds", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    options: dict[str, Any] = {"device": device.type, "out": args.out, "skip_lessons": args.skip_lessons,
                               "skip_dashboard": args.skip_dashboard,
                               "threads": args.threads if args.threads is not None else cfg.default_threads()}
    if args.rounds is not None:
        options["rounds"] = args.rounds
    return cfg.BenchConfig.quick_budget(**options) if args.quick else cfg.BenchConfig(**options)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; print the tables, write JSON and the plot."""
    config = parse_args(argv)
    results = run_benchmark(config, log=lambda text: print(text, flush=True))
    json_path = write_json(results, config.out / "bench.json")
    png_path = plot_results(results, config.out / "bench.png")
    print()
    print(report(results))
    print(f"\nwrote {json_path} and {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
