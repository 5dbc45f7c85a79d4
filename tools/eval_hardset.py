"""Measure checkpoints on the shipped hard set: naive vs MNIST-style preprocessing, per kind.

The measurement is :mod:`benchmarks.hardset` (``python -m benchmarks`` runs it on lesson 4's
checkpoint); this prints its table, with the checkpoint's recipe and MNIST test accuracy.

Run from the repository root, e.g. after ``python -m mnist_course train --out /tmp/m.pt``:

    python tools/eval_hardset.py /tmp/m.pt [MORE.pt ...] [--folder mnist_course/hardset]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.hardset import format_table, hardset_table  # noqa: E402
from mnist_course.checkpoints import load_checkpoint  # noqa: E402
from mnist_course.data import load_mnist  # noqa: E402
from mnist_course.data.evalsets import HARDSET_DIR  # noqa: E402
from mnist_course.training import evaluate  # noqa: E402


def main() -> None:
    """Command line: print one table (markdown) per checkpoint."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--folder", type=Path, default=HARDSET_DIR)
    args = parser.parse_args()
    test = load_mnist("test")
    for checkpoint in args.checkpoints:
        model, info = load_checkpoint(checkpoint, "cpu")
        _, accuracy = evaluate(model, test.images, test.labels)  # deskewed too if the recipe says so
        print(f"\n{checkpoint}: {info['model_class']} {info['config']}, recipe {info['recipe']}, "
              f"MNIST test accuracy {accuracy:.4f}")
        print(format_table(hardset_table(model, args.folder)))


if __name__ == "__main__":
    main()
