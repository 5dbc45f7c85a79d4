"""The arguments of ``python -m mnist_course`` and :func:`main`, which runs the chosen command.

Each argument type turns the package's ``ValueError`` into argparse's one-line usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from . import commands


def _checked(read: Callable[[str], object]) -> Callable[[str], object]:
    """Return ``read`` as an argument type: its ``ValueError`` becomes argparse's usage error."""
    def argument_type(text: str) -> object:
        try:
            return read(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    return argument_type


def _whole_number(minimum: int) -> Callable[[str], int]:
    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number, {minimum} or more, not {text!r}")
        return value

    return read


def _add_train(commands_: argparse._SubParsersAction, checkpoint_help: str) -> None:
    """Add the ``train`` command: one flag per recipe setting, then where and how to train."""
    from ..data.augment import augment_names
    from ..env import check_seed, parse_device
    from ..models import ACTIVATIONS, parse_hidden
    from ..recipe import RECIPES
    from ..training import OPTIMIZERS

    train = commands_.add_parser("train", help="train the course's final model (lesson 4's) and save it",
                                 description="Train the course's final model, mnist_course.recipe."
                                             "FINAL_RECIPE (the one lesson 4 trains and lesson 5 loads); "
                                             "a flag changes one of its settings.")
    train.add_argument("--model", choices=list(RECIPES), default="mlp",
                       help="mlp: lesson 4's final MLP (default); cnn: lesson 6's small CNN (CNN_RECIPE)")
    train.add_argument("--hidden", type=_checked(parse_hidden), help="hidden layer sizes, e.g. 500,256")
    train.add_argument("--dropout", type=float)
    train.add_argument("--activation", choices=sorted(ACTIVATIONS))
    train.add_argument("--optimizer", choices=list(OPTIMIZERS))
    train.add_argument("--lr", type=float)
    train.add_argument("--momentum", type=float, help="SGD's momentum")
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--batch-size", type=_whole_number(1))
    train.add_argument("--epochs", type=_whole_number(1))
    train.add_argument("--augment", type=_checked(augment_names),
                       help="augmentations, e.g. affine,thickness,elastic, or none")
    train.add_argument("--deskew", action=argparse.BooleanOptionalAction,
                       help="deskew the training images, and (through the checkpoint) every picture "
                            "predict reads")
    train.add_argument("--seed", type=_checked(check_seed))
    for action in train._actions[2:]:
        action.help = f"{action.help + '; ' if action.help else ''}default: the recipe's"
    train.add_argument("--subset", type=_whole_number(1), default=None,
                       help="use only this many training images")
    train.add_argument("--device", type=_checked(parse_device), default=None,
                       help="cuda, mps or cpu (default: MNIST_COURSE_DEVICE, else the best one here)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--out", type=Path, default=None,
                       help=f"checkpoint file to write ({checkpoint_help}; for --model cnn lesson6_cnn.pt "
                            "beside it)")
    train.set_defaults(run=commands.run_train)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m mnist_course``."""
    checkpoint = commands.DEFAULT_CHECKPOINT
    checkpoint_help = f"default: {checkpoint}, lesson 4's best model, whatever the current folder"
    description = "Command line: ``python -m mnist_course data | train | predict``."
    parser = argparse.ArgumentParser(prog="python -m mnist_course", description=description)
    commands_ = parser.add_subparsers(dest="command", required=True)
    data = commands_.add_parser("data", help="say where MNIST comes from and check it")
    data.set_defaults(run=commands.run_data)
    _add_train(commands_, checkpoint_help)
    predict = commands_.add_parser("predict", help="read digits from image files")
    predict.add_argument("images", nargs="+", type=Path, help="PNG/JPEG files with one digit each")
    predict.add_argument("--checkpoint", type=Path, default=checkpoint,
                         help=f"the model to use ({checkpoint_help})")
    predict.add_argument("-k", type=int, default=3, help="how many guesses to show per image")
    predict.set_defaults(run=commands.run_predict)
    commands_.add_parser("lab", add_help=False, help="open your own copy of the lessons in JupyterLab "
                         "(mnist_course.cli.workspace; --help for more)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    The package's errors (all ``ValueError`` or ``MnistDataError``) and file-system errors print
    one line, ``error: ...``, with no traceback, and give exit status 1.
    """
    from ..data.idx import MnistDataError

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["lab"]:  # its own options, and any JupyterLab option, go to the workspace's parser
        from .workspace import main as lab

        return lab(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (MnistDataError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
