"""``bench.png``: images/s of each pipeline as bars, with the FLOP limit as lines."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from mnist_course.plots import figure_to_png

from .limit import fraction_of_limit


def plot_results(results: dict, path: Path) -> Path:
    """Draw the pipelines' images/s (log scale) with the limits, save a PNG at ``path``, return it."""
    pipelines = results["pipelines"]
    names = [entry["label"].replace(": ", ":\n", 1) for entry in pipelines.values()]
    rates = [entry["images_per_second"] for entry in pipelines.values()]
    limit, per_image = results["limit"], results["flops_per_image"]["train"]
    fig = Figure(figsize=(7.5, 5.5), constrained_layout=True)
    ax = fig.subplots()
    bars = ax.bar(names, rates, color=["#999999", "#4c72b0", "#55a868"])
    for bar, rate in zip(bars, rates, strict=True):
        fraction = fraction_of_limit(rate, per_image, limit["gflops"])
        ax.annotate(f"{rate:,.0f}\n({100 * fraction:.0f}% of limit)",
                    (bar.get_x() + bar.get_width() / 2, rate), ha="center", va="bottom", fontsize=9)
    threads = "" if limit["threads"] is None else f", {limit['threads']} threads"
    lines = [(limit["images_per_second"], "#c44e52", "--",
              f"FLOP limit: {limit['images_per_second']:,.0f} images/s ({limit['gflops']:.0f} GFLOP/s, "
              f"{limit['shape']}{threads})")]
    if abs(limit["quiet_gflops"] - limit["gflops"]) > 1e-6:
        quiet = limit["quiet_gflops"] * 1e9 / per_image
        lines.append((quiet, "#8172b3", "-.",
                      f"idle-machine limit (estimate from CPU time): {quiet:,.0f} images/s"))
    for entry in results["matmul"]:
        if entry["shape"][1:] == [784, 500]:
            rate = entry["gflops"] * 1e9 / per_image
            lines.append((rate, "#dd8452", ":", f"matmul at batch {entry['shape'][0]}: {rate:,.0f} images/s"))
    for value, color, style, label in lines:
        ax.axhline(value, color=color, linestyle=style, linewidth=1.2, label=label)
    shown = rates + [value for value, *_ in lines]
    ax.set_yscale("log")
    ax.set_ylabel("training images per second (log scale)")
    ax.set_ylim(min(shown) / 2, max(shown) * 4)
    machine = results["machine"]
    ax.set_title(f"{results['model']} on {machine['device']}\n{machine['cpu']}", fontsize=10)
    fig.legend(fontsize=8, loc="outside lower center")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_to_png(fig, dpi=100))
    return path
