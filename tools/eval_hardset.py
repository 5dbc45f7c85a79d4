"""Measure a checkpoint on the shipped hard set: naive vs MNIST-style preprocessing, per kind.

"naive" is the source tutorials' pipeline plus the one fix everyone makes first:
``convert('L')`` (transparent pixels over white), ``resize((28, 28))``, invert when the
background is light. "to_mnist" is ``mnist_course.preprocess.to_mnist`` (through
``predict``, so a checkpoint's own preprocessing recipe applies when it has one).

Run from the repository root:

    python tools/eval_hardset.py CHECKPOINT [--folder mnist_course/hardset]
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mnist_course.checkpoints import load_checkpoint  # noqa: E402
from mnist_course.evalsets import HARDSET_DIR, load_hardset  # noqa: E402
from mnist_course.images import load_image  # noqa: E402
from mnist_course.predict import predict  # noqa: E402


def naive(path: Path) -> torch.Tensor:
    """convert('L') + resize 28x28 + invert if the background is light: float (1, 28, 28) in 0..1."""
    image = load_image(path)
    if image.mode in ("LA", "RGBA"):  # what a browser shows: transparent over white
        back = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(back, image.convert("RGBA"))
    gray = np.asarray(image.convert("L").resize((28, 28), Image.Resampling.BILINEAR), np.float32) / 255
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:
        gray = 1 - gray
    return torch.from_numpy(gray).unsqueeze(0)


def _predict_kwargs(info: dict) -> dict:
    """mean/std for a predict() that still takes them (older API); none for one that reads model.recipe."""
    if "mean" not in inspect.signature(predict).parameters:
        return {}
    norm = info.get("normalization") or info.get("recipe") or {}
    return {k: float(norm[k]) for k in ("mean", "std") if k in norm}


def top1(model, images, kwargs: dict) -> list[int]:
    """The most likely digit for each image (paths or a prepared (N, 1, 28, 28) tensor)."""
    return [guesses[0][0] for guesses in predict(model, images, k=1, **kwargs)]


def evaluate(checkpoint: str, folder: Path = HARDSET_DIR) -> dict[str, dict[str, tuple[int, int]]]:
    """Return {kind: {"naive": (correct, n), "to_mnist": (correct, n)}}, with an "all" row."""
    model, info = load_checkpoint(checkpoint, "cpu")
    kwargs = _predict_kwargs(info)
    paths, labels, kinds = load_hardset(folder)
    guesses = {
        "naive": top1(model, torch.stack([naive(p) for p in paths]), kwargs),
        "to_mnist": top1(model, [str(p) for p in paths], kwargs),
    }
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: {m: [0, 0] for m in guesses})
    for i, (label, kind) in enumerate(zip(labels, kinds, strict=True)):
        for method, guessed in guesses.items():
            for row in (kind, "all"):
                table[row][method][0] += int(guessed[i] == label)
                table[row][method][1] += 1
    return {kind: {m: tuple(v) for m, v in row.items()} for kind, row in table.items()}


def main() -> None:
    """Command line: print the accuracy table (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--folder", type=Path, default=HARDSET_DIR)
    args = parser.parse_args()
    table = evaluate(args.checkpoint, args.folder)
    print("| kind | pictures | naive | to_mnist |\n| --- | --- | --- | --- |")
    for kind in [*sorted(k for k in table if k != "all"), "all"]:
        (nc, n), (tc, _) = table[kind]["naive"], table[kind]["to_mnist"]
        print(f"| {kind} | {n} | {nc / n:.1%} | {tc / n:.1%} |")


if __name__ == "__main__":
    main()
