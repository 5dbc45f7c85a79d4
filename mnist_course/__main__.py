"""Command line: ``python -m mnist_course data | train | predict``.

``data`` says where MNIST comes from and checks it; ``train`` trains the final model
(``recipe.FINAL_RECIPE``, or ``CNN_RECIPE``; flags change settings) and saves the checkpoint
lesson 5 loads; ``predict IMAGE...`` prints the top-3 digits for each image file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def default_checkpoint() -> Path:
    """Lesson 4's best model, ``work/checkpoints/lesson4_best.pt`` in a checkout (where the student's
    lessons, in ``work/``, save and load it; else under ``~/.cache/mnist_course/checkpoints/``),
    whatever the current folder.
    """
    repository = Path(__file__).resolve().parent.parent
    if (repository / "lessons").is_dir():
        return repository / "work" / "checkpoints" / "lesson4_best.pt"
    return Path.home() / ".cache" / "mnist_course" / "checkpoints" / "lesson4_best.pt"


DEFAULT_CHECKPOINT = default_checkpoint()


def _data(args: argparse.Namespace) -> int:
    import torch

    from .data import load_mnist

    for split in ("train", "test"):
        images, labels, source = load_mnist(split)
        counts = torch.bincount(labels, minlength=10).tolist()
        print(source)
        print(f"  {split}: images {tuple(images.shape)} {images.dtype}, labels {tuple(labels.shape)}, "
              f"per digit {counts}")
    print("checks passed: IDX headers, sizes, 28x28 images, labels 0..9, one label per image")
    return 0


def _hidden_sizes(text: str) -> tuple[int, ...]:
    from .models import parse_hidden

    try:
        return parse_hidden(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _whole_number(minimum: int):
    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number, {minimum} or more, not {text!r}")
        return value

    return read


def _device(text: str) -> str:
    from .env import parse_device

    try:
        return parse_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _seed(text: str) -> int:
    from .env import check_seed

    try:
        return check_seed(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _augment(text: str) -> tuple[str, ...]:
    from .augment import augment_names

    try:
        return augment_names(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _train(args: argparse.Namespace) -> int:
    from .checkpoints import CheckpointError, CheckpointWriteError, check_writable, save_checkpoint
    from .data import load_mnist
    from .env import describe_device, get_device, limit_cpu_threads, set_seed
    from .recipe import RECIPES, recipe_settings, train_final_model
    from .training import check_learned

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
        raise CheckpointError(f"{exc}; {_rescue(model, metrics, args.out.name)}") from exc
    print(f"saved {path}")
    return 0


def _rescue(model, metrics: dict, name: str) -> str:
    """Save a trained model that could not be saved where asked into a new temporary folder.

    Returns:
        Half a sentence saying where the model now is, or that it is lost.
    """
    import tempfile

    from .checkpoints import save_checkpoint

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


def _predict(args: argparse.Namespace) -> int:
    from .handwriting.reading import predict_files

    failed = 0
    for path, line in zip(args.images, predict_files(args.checkpoint, args.images, k=args.k, keep_going=True),
                          strict=True):
        is_error = line.startswith(f"{path}: error:")
        failed += is_error
        print(line, file=sys.stderr if is_error else sys.stdout, flush=True)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m mnist_course``."""
    from .models import ACTIVATIONS
    from .recipe import RECIPES
    from .training import OPTIMIZERS

    checkpoint_help = f"default: {DEFAULT_CHECKPOINT}, lesson 4's best model, whatever the current folder"
    parser = argparse.ArgumentParser(prog="python -m mnist_course", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="say where MNIST comes from and check it")
    data.set_defaults(run=_data)

    train = commands.add_parser("train", help="train the course's final model (lesson 4's) and save it",
                                description="Train the course's final model, mnist_course.recipe."
                                            "FINAL_RECIPE (the one lesson 4 trains and lesson 5 loads); "
                                            "a flag changes one of its settings.")
    train.add_argument("--model", choices=list(RECIPES), default="mlp",
                       help="mlp: lesson 4's final MLP (default); cnn: lesson 6's small CNN (CNN_RECIPE)")
    train.add_argument("--hidden", type=_hidden_sizes, help="hidden layer sizes, e.g. 500,256")
    train.add_argument("--dropout", type=float)
    train.add_argument("--activation", choices=sorted(ACTIVATIONS))
    train.add_argument("--optimizer", choices=list(OPTIMIZERS))
    train.add_argument("--lr", type=float)
    train.add_argument("--momentum", type=float, help="SGD's momentum")
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--batch-size", type=_whole_number(1))
    train.add_argument("--epochs", type=_whole_number(1))
    train.add_argument("--augment", type=_augment,
                       help="augmentations, e.g. affine,thickness,elastic, or none")
    train.add_argument("--deskew", action=argparse.BooleanOptionalAction,
                       help="deskew the training images, and (through the checkpoint) every picture "
                            "predict reads")
    train.add_argument("--seed", type=_seed)
    for action in train._actions[2:]:
        action.help = f"{action.help + '; ' if action.help else ''}default: the recipe's"
    train.add_argument("--subset", type=_whole_number(1), default=None,
                       help="use only this many training images")
    train.add_argument("--device", type=_device, default=None,
                       help="cuda, mps or cpu (default: MNIST_COURSE_DEVICE, else the best one here)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--out", type=Path, default=None,
                       help=f"checkpoint file to write ({checkpoint_help}; for --model cnn lesson6_cnn.pt "
                            "beside it)")
    train.set_defaults(run=_train)

    predict = commands.add_parser("predict", help="read digits from image files")
    predict.add_argument("images", nargs="+", type=Path, help="PNG/JPEG files with one digit each")
    predict.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT,
                         help=f"the model to use ({checkpoint_help})")
    predict.add_argument("-k", type=int, default=3, help="how many guesses to show per image")
    predict.set_defaults(run=_predict)
    commands.add_parser("lab", add_help=False, help="open your own copy of the lessons in JupyterLab "
                        "(mnist_course.workspace; --help for more)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    The package's errors (all ``ValueError`` or ``MnistDataError``) and file-system errors print
    one line, ``error: ...``, with no traceback, and give exit status 1.
    """
    from .data.idx import MnistDataError

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["lab"]:  # its own options, and any JupyterLab option, go to mnist_course.workspace
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


if __name__ == "__main__":
    sys.exit(main())
