"""The course's hard set (``mnist_course/hardset/``): naive vs ``to_mnist`` accuracy, per kind.

"naive" is the source tutorials' pipeline, the one lesson 5 shows:
:func:`mnist_course.handwriting.preprocess.naive_preprocess` (``convert('L')``, ``Resize((28, 28))``,
``ToTensor()``). "to_mnist" is :func:`mnist_course.handwriting.preprocess.to_mnist` with the
checkpoint's own recipe (``predict`` applies it: deskewing when the model was trained so).

``python -m benchmarks`` measures lesson 4's checkpoint (``python -m mnist_course train``
makes it) when it exists; ``python tools/eval_hardset.py CHECKPOINT`` prints the table.
``python -m benchmarks.hardset "augment=affine deskew=1 epochs=40" "augment=none deskew=0" ...``
trains variants of the final recipe and prints validation, MNIST test and hard-set accuracy
(:func:`compare_recipes`: how the recipe was chosen).
"""

from __future__ import annotations

import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from mnist_course.data.evalsets import HARDSET_DIR, load_hardset
from mnist_course.handwriting.predict import predict
from mnist_course.handwriting.preprocess import naive_preprocess, to_mnist
from mnist_course.recipe import Recipe


@lru_cache(maxsize=8)
def prepared(folder: str, how: str) -> tuple[torch.Tensor, tuple[int, ...], tuple[str, ...]]:
    """The set's pictures prepared one way (``"naive"``, ``"to_mnist"`` or ``"to_mnist+deskew"``),
    as float ``(N, 1, 28, 28)`` in 0..1, with their labels and kinds (kept: preparing takes ~20 s)."""
    paths, labels, kinds = load_hardset(folder)
    if how == "naive":
        images = [naive_preprocess(p) for p in paths]
    else:
        images = [to_mnist(p, deskew=how.endswith("deskew")) for p in paths]
    return torch.stack(images), tuple(labels), tuple(kinds)


Table = dict[str, dict[str, tuple[int, int]]]  # {kind: {"naive": (correct, n), "to_mnist": (correct, n)}}


def hardset_table(model: nn.Module, folder: str | Path = HARDSET_DIR) -> Table:
    """Return ``{kind: {"naive": (correct, n), "to_mnist": (correct, n)}}`` with an ``"all"`` row.

    "to_mnist" prepares each picture with the model's recipe (``to_mnist(picture, **preprocess)``).
    """
    deskew = bool(Recipe.of(model).preprocess.get("deskew"))
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"naive": [0, 0], "to_mnist": [0, 0]})
    for method, how in (("naive", "naive"), ("to_mnist", "to_mnist+deskew" if deskew else "to_mnist")):
        images, labels, kinds = prepared(str(folder), how)
        guesses = [g[0][0] for g in predict(model, images, k=1)]
        for guess, label, kind in zip(guesses, labels, kinds, strict=True):
            for row in (kind, "all"):
                table[row][method][0] += int(guess == label)
                table[row][method][1] += 1
    return {kind: {m: (c, n) for m, (c, n) in row.items()} for kind, row in table.items()}


def format_table(table: Table) -> str:
    """The table as markdown: one row per kind, then ``all``."""
    lines = ["| kind | pictures | naive | to_mnist |", "| --- | --- | --- | --- |"]
    for kind in [*sorted(k for k in table if k != "all"), "all"]:
        (nc, n), (tc, _) = table[kind]["naive"], table[kind]["to_mnist"]
        lines.append(f"| {kind} | {n} | {nc / n:.1%} | {tc / n:.1%} |")
    return "\n".join(lines)


def measure_checkpoint(checkpoint: str | Path | None = None) -> dict:
    """Measure a checkpoint (default: lesson 4's, as ``python -m mnist_course train`` saves it).

    Returns:
        ``{"status", "checkpoint", "table", "naive", "to_mnist", "seconds"}`` (accuracies as
        fractions); status ``"skipped (...)"`` without the numbers when there is no checkpoint.
    """
    from mnist_course.checkpoints import load_checkpoint
    from mnist_course.cli.commands import DEFAULT_CHECKPOINT

    path = Path(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
    if not path.is_file():
        return {"status": f"skipped (no {path}: run `python -m mnist_course train`)", "checkpoint": str(path)}
    started = time.perf_counter()
    model, info = load_checkpoint(path, "cpu")
    table = hardset_table(model)
    (nc, n), (tc, _) = table["all"]["naive"], table["all"]["to_mnist"]
    return {"status": "measured", "checkpoint": str(path), "recipe": info["recipe"],
            "metrics": info["metrics"],
            "table": {k: {m: list(v) for m, v in row.items()} for k, row in table.items()},
            "naive": nc / n, "to_mnist": tc / n, "seconds": time.perf_counter() - started}


def photo_seconds(repeat: int = 3) -> float:
    """The best of ``repeat`` timings of ``to_mnist(..., deskew=True)`` on a 1000x800 phone photo
    (the hard set's first photo, enlarged): the time a student waits for one picture (target: under 0.5 s).
    """
    import timeit

    from PIL import Image

    paths, _, kinds = load_hardset()
    photo = Image.open(paths[kinds.index("photo")]).convert("RGB").resize((1000, 800))
    return min(timeit.repeat(lambda: to_mnist(photo, deskew=True), number=1, repeat=repeat))


def _overrides(text: str) -> dict:
    """Read recipe overrides like ``"augment=affine,thickness deskew=0 epochs=40"``."""
    from mnist_course.data.augment import augment_names
    from mnist_course.models import parse_hidden

    readers = {"augment": augment_names, "deskew": lambda v: v.lower() in ("1", "true", "yes"),
               "hidden": parse_hidden, "epochs": int, "seed": int, "batch_size": int,
               "dropout": float, "lr": float, "weight_decay": float, "optimizer": str}
    pairs = [part.split("=", 1) for part in text.split()]
    unknown = [key for key, *_ in pairs if key not in readers]
    if unknown or any(len(pair) != 2 for pair in pairs):
        raise SystemExit(f"write settings as key=value with keys from {list(readers)}, not {text!r}")
    return {key: readers[key](value) for key, value in pairs}


def compare_recipes(variants: list[str], log=print) -> list[dict]:
    """Train each variant of the final recipe twice and measure it (the table in issue 11's note).

    Once on lesson 4's split (9,000 / 1,000 of the offline images: the validation accuracy,
    for choosing), once on all training images like ``python -m mnist_course train`` (MNIST
    test accuracy and the hard set, for reporting). One markdown row per variant.
    """
    from mnist_course.data import load_mnist
    from mnist_course.recipe import train_final_model
    from mnist_course.training import evaluate

    train, test = load_mnist("train"), load_mnist("test")
    order = torch.randperm(len(train.labels), generator=torch.Generator().manual_seed(0))  # as lesson 4
    split = (train.images[order[:-1000]], train.labels[order[:-1000]])
    validation = (train.images[order[-1000:]], train.labels[order[-1000:]])
    log("| variant | validation | MNIST test | hard set | " + " | ".join(HARD_KINDS) + " | train s |")
    log("| --- " * (5 + len(HARD_KINDS)) + "|")
    rows = []
    for text in variants:
        settings = _overrides(text)
        _, chosen = train_final_model(split, validation, device="cpu", progress=False, **settings)
        model, history = train_final_model(train, None, device="cpu", progress=False, **settings)
        table = hardset_table(model)
        row = {"variant": text, "validation": chosen.test_accuracy[-1], "seconds": history.seconds[-1],
               "test": evaluate(model, test.images, test.labels)[1],
               "hard": {k: c / n for k, (c, n) in ((k, v["to_mnist"]) for k, v in table.items())}}
        rows.append(row)
        log(f"| {text} | {row['validation']:.3f} | {row['test']:.4f} | {row['hard']['all']:.3f} | "
            + " | ".join(f"{row['hard'][k]:.2f}" for k in HARD_KINDS) + f" | {row['seconds']:.0f} |")
    return rows


#: The kinds shown in :func:`compare_recipes`' table.
HARD_KINDS = ("photo", "lined", "grid", "tiny", "marker", "thinpen", "slant", "european", "open_closed",
              "mouse", "finger")

if __name__ == "__main__":
    import sys

    compare_recipes(sys.argv[1:] or ["augment=affine deskew=1", "augment=none deskew=0"])
