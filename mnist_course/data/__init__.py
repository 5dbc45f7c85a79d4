"""Loading MNIST (lesson 1 looks inside it): the full set online, or an offline copy of the IDX files.

``MNIST_COURSE_DATA`` names a folder with the four IDX files; ``MNIST_COURSE_CACHE`` the download
folder; ``MNIST_COURSE_SHUFFLE=<seed>`` puts the training split in another fixed order.

The rest of this subpackage: :mod:`.idx` (reading and checking IDX files), :mod:`.download`
(fetching and caching), :mod:`.atomic` (the package's one atomic file write, also for checkpoints),
:mod:`.batches` (fast batches, appendix A1), :mod:`.evalsets` (the course's own hard set of
pictures, lesson 5), and the ways of preparing training images: :mod:`.augment` (shifts and turns,
pen thickness, elastic bends; lesson 4) and :mod:`.deskew` (straightening slanted digits; lessons
4-5).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

import torch

from ..env import check_seed
from . import idx
from .download import torchvision_mnist, unpack_offline

DATA_ENV_VAR = "MNIST_COURSE_DATA"
CACHE_ENV_VAR = "MNIST_COURSE_CACHE"
SHUFFLE_ENV_VAR = "MNIST_COURSE_SHUFFLE"

#: Pixel mean and standard deviation of the full training set, scaled to 0..1 (lesson 1 recomputes them).
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
#: What a model needs at prediction time when it does not say otherwise (``model.recipe``,
#: saved in its checkpoint): MNIST's normalisation and no extra preprocessing.
DEFAULT_RECIPE = {"mean": MNIST_MEAN, "std": MNIST_STD, "preprocess": {}}

#: Own-digit pictures (``tools/make_samples.py``).
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
FULL_SIZES = {"train": 60_000, "test": 10_000}
_FILE_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_REPO_ROOT = Path(__file__).resolve().parents[2]


class MnistSplit(NamedTuple):
    """One split of MNIST: ``images, labels, source = load_mnist("train")``."""

    images: torch.Tensor  # (N, 28, 28) uint8, 0 = background, 255 = ink
    labels: torch.Tensor  # (N,) int64, digits 0..9
    source: str  # where the data came from and how many images, for people to read


def _how_to_fix() -> str:
    files = ", ".join(f"{stem}.gz" for stems in _FILE_STEMS.values() for stem in stems)
    return (f"How to fix it:\n  * online: connect to the internet, leave {DATA_ENV_VAR} unset and run "
            f"again; torchvision downloads the full MNIST set (about 12 MB) once into {default_cache_dir()}\n"
            f"  * offline: copy the four MNIST IDX files ({files}) into a folder and set "
            f"{DATA_ENV_VAR}=/path/to/that/folder")


def default_cache_dir() -> Path:
    """``MNIST_COURSE_CACHE`` if set, else ``data/`` in a checkout, else ``~/.cache/mnist_course``."""
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR]).expanduser()
    if (_REPO_ROOT / "lessons").is_dir():
        return _REPO_ROOT / "data"
    return Path.home() / ".cache" / "mnist_course"


def _offline_files(split: str) -> tuple[Path, Path]:
    folder = Path(os.environ[DATA_ENV_VAR]).expanduser()
    if not folder.is_dir():
        raise idx.MnistDataError(f"{DATA_ENV_VAR}={folder} is not a folder.\n" + _how_to_fix())
    found = []
    for stem in _FILE_STEMS[split]:
        paths = [folder / name for name in (stem + ".gz", stem) if (folder / name).is_file()]
        if not paths:
            listing = sorted(p.name for p in folder.iterdir())[:8]
            raise idx.MnistDataError(f"{DATA_ENV_VAR}={folder} has no {stem}.gz (or {stem}).\n"
                                     f"Found there: {listing}\n" + _how_to_fix())
        found.append(paths[0])
    return found[0], found[1]


def _shuffle_seed() -> int | None:
    value = os.environ.get(SHUFFLE_ENV_VAR, "").strip()
    return check_seed(value, SHUFFLE_ENV_VAR) if value else None


def load_mnist(split: str, root: str | os.PathLike | None = None) -> MnistSplit:
    """Load one MNIST split as tensors, saying where it came from (lesson 1).

    Args:
        split: ``"train"`` or ``"test"``.
        root: cache folder for the online download (ignored with ``MNIST_COURSE_DATA``).

    Returns:
        ``MnistSplit(images, labels, source)``: uint8 ``(N, 28, 28)``, int64 ``(N,)``, a sentence.

    Raises:
        ValueError: an unknown ``split``, or a shuffle seed that is not a number from 0 to 2**64 - 1.
        MnistDataError: the data is missing or broken; the message says how to fix it.
    """
    if split not in _FILE_STEMS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    seed = _shuffle_seed() if split == "train" else None
    if os.environ.get(DATA_ENV_VAR):
        images_path, labels_path = _offline_files(split)
        images, labels = idx.read_idx(images_path), idx.read_idx(labels_path).long()
        idx.check_split(images, labels, f"{images_path.name} + {labels_path.name}")
        kind, where = "offline copy of MNIST", f"{images_path.parent} ({DATA_ENV_VAR})"
    else:
        root = Path(root) if root is not None else default_cache_dir()
        dataset = torchvision_mnist(root, split == "train", advice=_how_to_fix())
        images, labels = dataset.data, dataset.targets.long()
        idx.check_split(images, labels, f"MNIST {split} split in {root}")
        kind, where = "full MNIST (torchvision download)", root
    source = f"{kind}: {len(labels):,} {split} images from {where}"
    if len(labels) < FULL_SIZES[split]:
        source += f" (a subset of the {FULL_SIZES[split]:,} in the full {split} set)"
    if seed is not None:
        images, labels = _shuffled(images, labels, seed)
        source += f", shuffled with seed {seed} ({SHUFFLE_ENV_VAR})"
    return MnistSplit(images, labels, source)


def _shuffled(images: torch.Tensor, labels: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    return images[order], labels[order]


def data_source() -> str:
    """Return one line saying which MNIST the course is using right now (no loading)."""
    if os.environ.get(DATA_ENV_VAR):
        text = f"offline copy of MNIST from {os.environ[DATA_ENV_VAR]} ({DATA_ENV_VAR})"
    else:
        text = f"full MNIST, downloaded by torchvision into {default_cache_dir()}"
    if (seed := _shuffle_seed()) is not None:
        text += f", training images shuffled with seed {seed} ({SHUFFLE_ENV_VAR})"
    return text


def mnist_dataset(split: str, transform=None, root: str | os.PathLike | None = None):
    """The split as a ``torchvision.datasets.MNIST``, for the Dataset + DataLoader route (lessons 1, 3).

    Args:
        split: ``"train"`` or ``"test"``.
        transform: applied to each PIL image, e.g. ``transforms.ToTensor()``.
        root: cache folder (default: :func:`default_cache_dir`).

    Returns:
        The dataset, its training images in :func:`load_mnist`'s order.
    """
    from torchvision.datasets import MNIST

    if split not in _FILE_STEMS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    root = Path(root) if root is not None else default_cache_dir()
    if not os.environ.get(DATA_ENV_VAR):
        dataset = torchvision_mnist(root, split == "train", transform, advice=_how_to_fix())
    else:
        folder = unpack_offline([p for name in _FILE_STEMS for p in _offline_files(name)], root / "offline")
        dataset = MNIST(folder, train=split == "train", transform=transform)
    if split == "train" and (seed := _shuffle_seed()) is not None:
        dataset.data, dataset.targets = _shuffled(dataset.data, dataset.targets, seed)  # load_mnist's order
    return dataset


def mean_and_std(images: torch.Tensor) -> tuple[float, float]:
    """The pixel mean and standard deviation of uint8 images, scaled to 0..1 (lesson 1's ``Normalize``)."""
    pixels = images.float().div_(255)
    return pixels.mean().item(), pixels.std().item()


def to_float_images(images: torch.Tensor, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> torch.Tensor:
    """Scale uint8 ``(N, [1,] 28, 28)`` to 0..1, normalise, add the channel axis (lesson 1's ``Normalize``).

    Returns:
        float32 ``(N, 1, 28, 28)``, the numbers ``ToTensor`` + ``Normalize`` give.
    """
    return images.reshape(-1, 1, *images.shape[-2:]).float().div_(255).sub_(mean).div_(std)


def load_samples(folder: str | os.PathLike = SAMPLES_DIR) -> tuple[list[Path], torch.Tensor]:
    """The shipped own-digit pictures (lesson 5): ``(paths sorted by name, int64 labels)``.

    Args:
        folder: a folder with PNG files and a ``labels.json`` mapping file name to digit.
    """
    folder = Path(folder)
    labels = json.loads((folder / "labels.json").read_text())
    names = sorted(labels)
    return [folder / name for name in names], torch.tensor([int(labels[name]) for name in names])
