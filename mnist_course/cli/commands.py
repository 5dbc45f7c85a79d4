"""What ``python -m mnist_course data | train | predict`` do (the arguments: :mod:`.parser`).

``data`` says where MNIST comes from and checks it; ``train`` trains the final model
(``recipe.FINAL_RECIPE``, or ``CNN_RECIPE``; flags change settings) and saves the checkpoint
lesson 5 loads; ``predict IMAGE...`` prints the top-3 digits for each image file.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def default_checkpoint() -> Path:
    """Lesson 4's best model, ``work/checkpoints/lesson4_best.pt`` in a checkout (where the student's
    lessons, in ``work/``, save and load it; else under ``~/.cache/mnist_course/checkpoints/``),
    whatever the current folder.
    """
    repository = Path(__file__).resolve().parents[2]
    if (repository / "lessons").is_dir():
        return repository / "work" / "checkpoints" / "lesson4_best.pt"
    return Path.home() / ".cache" / "mnist_course" / "checkpoints" / "lesson4_best.pt"


DEFAULT_CHECKPOINT = default_checkpoint()


def run_data(args: argparse.Namespace) -> int:
    """``data``: say where MNIST comes from, load both splits (which checks them) and count the digits."""
    import torch

    from ..data import load_mnist

    for split in ("train", "test"):
        images, labels, source = load_mnist(split)
        counts = torch.bincount(labels, minlength=10).tolist()
        print(source)
        print(f"  {split}: images {tuple(images.shape)} {images.dtype}, labels {tuple(labels.shape)}, "
              f"per digit {counts}")
    print("checks passed: IDX headers, sizes, 28x28 images, labels 0..9, one label per image")
    return 0


def run_train(args: argparse.Namespace) -> int:
    """``train``: train the recipe (with the flags' changes) on all of MNIST and save the checkpoint."""
    from ..checkpoints import CheckpointError, CheckpointWriteError, check_writable, save_checkpoint
    from ..data import load_mnist
    from ..env import describe_device, get_device, limit_cpu_threads, set_seed
    from ..recipe import RECIPES, recipe_settings, train_final_model
    from ..training import check_learned

    if args.model == "cnn" and (args.hidden or args.activation):
        raise ValueError("--hidden and --activation are the MLP's settings; the CNN has none of them")
    args.out = args.out or DEFAULT_CHECKPOINT.with_name("lesson6_cnn.pt" if args.model == "cnn" else
                                                        DEFAULT_CHECKPOINT.name)
    check_writable(args.out)  # before training, not after it
    given = {name: getattr(args, name, None) for name in RECIPES[args.model]}  # None: the recipe's
    settings = recipe_settings(args.model, **given)
    set_seed(settings["seed"])
    device = get_device(args.device)
    train, test = load_mnist("train"), load_mnist("test")
    print(train.source)
    print(f"CPU threads: {limit_cpu_threads()}, device: {describe_device(device)}")
    print("recipe:", ", ".join(f"{k}={','.join(map(str, v)) or 'none' if isinstance(v, tuple) else v}"
                               for k, v in settings.items()))

    def report(progress):
        if progress.end_of_epoch:
            print(f"epoch {progress.epoch:3d}  train loss {progress.train_loss:.4f} "
                  f"acc {progress.train_accuracy:.4f}  test loss {progress.test_loss:.4f} "
                  f"acc {progress.test_accuracy:.4f}  ({progress.seconds:.1f} s)", flush=True)

    model, history = train_final_model(train, test, device=device, progress=not args.quiet,
                                       callbacks=[report], subset=args.subset, model=args.model, **settings)
    check_learned(history)  # a model that reads digits no better than guessing is not saved
    metrics = {"test_accuracy": history.test_accuracy[-1], "test_loss": history.test_loss[-1],
               "epochs": len(history), "seconds": history.seconds[-1],
               "train_images": history.settings["train_images"]}
    try:
        path = save_checkpoint(args.out, model, metrics)
    except CheckpointWriteError as exc:
        raise CheckpointError(f"{exc}; {rescue(model, metrics, args.out.name)}") from exc
    print(f"saved {path}")
    return 0


def rescue(model, metrics: dict, name: str) -> str:
    """Save a trained model that could not be saved where asked into a new temporary folder.

    Returns:
        Half a sentence saying where the model now is, or that it is lost.
    """
    import tempfile

    from ..checkpoints import save_checkpoint

    try:
        folder = Path(tempfile.mkdtemp(prefix="mnist_course-"))
    except OSError:
        return f"the trained model is lost: {tempfile.gettempdir()} is not writable either"
    try:
        path = save_checkpoint(folder / name, model, metrics)
    except OSError:
        folder.rmdir()
        return f"the trained model is lost: it could not be saved in {folder.parent} either"
    return f"the trained model was saved to {path} instead: move it where it should be"


def run_predict(args: argparse.Namespace) -> int:
    """``predict``: one line per image, its guesses on stdout or its error on stderr; 1 if any failed."""
    failed = 0
    for path, line in zip(args.images, predict_files(args.checkpoint, args.images, k=args.k, keep_going=True),
                          strict=True):
        is_error = line.startswith(f"{path}: error:")
        failed += is_error
        print(line, file=sys.stderr if is_error else sys.stdout, flush=True)
    return 1 if failed else 0


def predict_files(checkpoint: str | os.PathLike, paths: Sequence[str | os.PathLike], k: int = 3,
                  device: str | torch.device = "cpu", keep_going: bool = False) -> list[str]:
    """Load a checkpoint and return one line per image file: what ``python -m mnist_course predict`` prints.

    Args:
        checkpoint: a file written by :func:`~mnist_course.checkpoints.save_checkpoint`.
        paths: image files (PNG, JPEG...).
        k: guesses per image, 1..10.
        device: where to run the model.
        keep_going: on an unreadable image, write ``"<path>: error: <why>"`` and go on.

    Returns:
        One line per path, e.g. ``"seven.png: 7 (93.1%), 1 (4.0%), 9 (1.2%)"``.

    Raises:
        CheckpointError: the checkpoint is missing or unreadable.
        ValueError: no paths, a bad ``k``, or (unless ``keep_going``) an unreadable image.
    """
    from ..checkpoints import load_checkpoint
    from ..handwriting.images import ImageError
    from ..handwriting.reading import format_result, read_pictures

    if not paths:
        raise ValueError("no image files given: name at least one.")
    if not 1 <= int(k) <= 10:
        raise ValueError(f"k must be between 1 and 10, not {k}")
    model, _ = load_checkpoint(checkpoint, device=device)  # it sets model.recipe
    results = read_pictures(model, [(str(path), path) for path in paths], k)
    for result in results:
        if "error" in result and not keep_going:
            error = result["error"]
            raise ImageError(error if result["name"] in error else f"{result['name']}: {error}")
    return [format_result(result) for result in results]
