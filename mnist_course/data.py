"""Loading MNIST: the full set online, or an offline copy of the IDX files.

Lesson 1 shows what is inside MNIST; this module does the fetching, caching and checking
that no lesson teaches.

Where the data comes from, in this order:

1. ``MNIST_COURSE_DATA`` is set: read the four IDX files (``.gz`` or not) from that
   folder. This is how CI and offline machines work.
2. Otherwise: ``torchvision.datasets.MNIST(download=True)`` downloads the full
   60,000/10,000 set once into a cache folder (``data/`` at the repository root, or
   ``MNIST_COURSE_CACHE``) and reads it from there afterwards.

Every split read is verified (IDX magic numbers, sizes, 28x28 images, labels 0..9,
as many labels as images); a problem raises :class:`MnistDataError` with a message that
says what is wrong and how to fix it.
"""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import torch

DATA_ENV_VAR = "MNIST_COURSE_DATA"
CACHE_ENV_VAR = "MNIST_COURSE_CACHE"

#: Mean and standard deviation of the pixels of the full 60,000-image training set
#: (after ``ToTensor`` scales them to 0..1). Lesson 1 recomputes them.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

FULL_SIZES = {"train": 60_000, "test": 10_000}
_FILE_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_MAGIC = {0x00000803: 3, 0x00000801: 1}  # unsigned bytes: images (3-D), labels (1-D)
_REPO_ROOT = Path(__file__).resolve().parent.parent

_HOW_TO_FIX = (
    "How to fix it:\n"
    "  * online: connect to the internet, leave {env} unset and run again; torchvision "
    "downloads the full MNIST set (about 12 MB) once into {cache}\n"
    "  * offline: copy the four MNIST IDX files (train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
    "into a folder and set {env}=/path/to/that/folder"
)


class MnistDataError(RuntimeError):
    """MNIST could not be found or read; the message says why and how to fix it."""


class MnistSplit(NamedTuple):
    """One split of MNIST: ``images, labels, source = load_mnist("train")``."""

    images: torch.Tensor  # (N, 28, 28) uint8, 0 = black background, 255 = ink
    labels: torch.Tensor  # (N,) int64, digits 0..9
    source: str  # where the data came from and how many images, for people to read


def _how_to_fix() -> str:
    return _HOW_TO_FIX.format(env=DATA_ENV_VAR, cache=default_cache_dir())


def default_cache_dir() -> Path:
    """Return the folder where downloaded MNIST is cached.

    Returns:
        ``MNIST_COURSE_CACHE`` if set, else ``data/`` at the repository root when the
        package runs from a checkout, else ``~/.cache/mnist_course``.
    """
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR]).expanduser()
    if (_REPO_ROOT / "lessons").is_dir():
        return _REPO_ROOT / "data"
    return Path.home() / ".cache" / "mnist_course"


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """Read one IDX file (plain or ``.gz``) of unsigned bytes into a uint8 tensor.

    Args:
        path: the file, e.g. ``t10k-labels-idx1-ubyte.gz``.

    Returns:
        A uint8 tensor with the shape the file's header declares.

    Raises:
        MnistDataError: the file is missing, not IDX, not gzip despite its name,
            or shorter/longer than its header says (truncated or corrupted).
    """
    path = Path(path)
    if not path.is_file():
        raise MnistDataError(f"MNIST file {path} does not exist.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise MnistDataError(
            f"MNIST file {path} is corrupted or truncated ({exc}). "
            "Download or copy it again."
        ) from exc
    if len(raw) < 4:
        raise MnistDataError(f"MNIST file {path} is empty or truncated ({len(raw)} bytes).")
    magic = struct.unpack(">I", raw[:4])[0]
    if magic not in _IDX_MAGIC:
        raise MnistDataError(
            f"MNIST file {path} is not an IDX file of unsigned bytes "
            f"(magic number {magic:#010x}, expected 0x00000803 or 0x00000801)."
        )
    ndim = _IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MnistDataError(f"MNIST file {path} is truncated inside its header.")
    shape = struct.unpack(">" + "I" * ndim, raw[4:header])
    expected = header + int(torch.Size(shape).numel())
    if len(raw) != expected:
        raise MnistDataError(
            f"MNIST file {path} is truncated or corrupted: its header promises "
            f"{expected:,} bytes for shape {tuple(shape)}, but it holds {len(raw):,}. "
            "Download or copy it again."
        )
    data = torch.frombuffer(bytearray(raw[header:]), dtype=torch.uint8)
    return data.reshape(shape)


def check_split(images: torch.Tensor, labels: torch.Tensor, where: str) -> None:
    """Check that images and labels form a valid MNIST split.

    Args:
        images: expected uint8 ``(N, 28, 28)``.
        labels: expected ``(N,)`` with values 0..9.
        where: a description of the files, used in the error message.

    Raises:
        MnistDataError: saying which check failed.
    """
    if images.ndim != 3 or tuple(images.shape[1:]) != (28, 28):
        raise MnistDataError(f"{where}: images have shape {tuple(images.shape)}, expected (N, 28, 28).")
    if labels.ndim != 1:
        raise MnistDataError(f"{where}: labels have shape {tuple(labels.shape)}, expected (N,).")
    if len(images) != len(labels):
        raise MnistDataError(
            f"{where}: {len(images):,} images but {len(labels):,} labels; "
            "the image and label files do not belong together."
        )
    if len(labels) == 0:
        raise MnistDataError(f"{where}: the split is empty.")
    if int(labels.min()) < 0 or int(labels.max()) > 9:
        raise MnistDataError(f"{where}: labels must be digits 0..9, found {int(labels.max())}.")


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise MnistDataError(
        f"{DATA_ENV_VAR}={folder} has no {stem}.gz (or {stem}).\n"
        f"Found there: {sorted(p.name for p in folder.iterdir())[:8]}\n" + _how_to_fix()
    )


def _offline_files(split: str) -> tuple[Path, Path]:
    folder = Path(os.environ[DATA_ENV_VAR]).expanduser()
    if not folder.is_dir():
        raise MnistDataError(f"{DATA_ENV_VAR}={folder} is not a folder.\n" + _how_to_fix())
    images_stem, labels_stem = _FILE_STEMS[split]
    return _find_idx(folder, images_stem), _find_idx(folder, labels_stem)


def _describe(split: str, n: int, where: str, offline: bool) -> str:
    kind = "offline copy of MNIST" if offline else "full MNIST (torchvision download)"
    text = f"{kind}: {n:,} {split} images from {where}"
    if n < FULL_SIZES[split]:
        text += f" (a subset of the {FULL_SIZES[split]:,} in the full {split} set)"
    return text


def _load_offline(split: str) -> MnistSplit:
    images_path, labels_path = _offline_files(split)
    images = read_idx(images_path)
    labels = read_idx(labels_path).long()
    check_split(images, labels, f"{images_path.name} + {labels_path.name}")
    where = f"{images_path.parent} ({DATA_ENV_VAR})"
    return MnistSplit(images, labels, _describe(split, len(labels), where, offline=True))


def _torchvision_mnist(root: Path, train: bool, transform=None):
    """Return ``torchvision.datasets.MNIST``, downloading it if needed, with a clear error."""
    from torchvision.datasets import MNIST

    try:
        return MNIST(root, train=train, transform=transform, download=True)
    except Exception as exc:  # no network, a half-written cache, a server error...
        raise MnistDataError(
            f"Could not download MNIST into {root} and found no usable local copy "
            f"({type(exc).__name__}: {exc}).\n" + _how_to_fix()
        ) from exc


def _load_online(split: str, root: Path) -> MnistSplit:
    dataset = _torchvision_mnist(root, train=(split == "train"))
    images, labels = dataset.data, dataset.targets.long()
    check_split(images, labels, f"MNIST {split} split in {root}")
    return MnistSplit(images, labels, _describe(split, len(labels), str(root), offline=False))


def load_mnist(split: str, root: str | os.PathLike | None = None) -> MnistSplit:
    """Load one MNIST split as tensors, saying where it came from.

    Lesson 1 uses this to look inside the dataset.

    Args:
        split: ``"train"`` or ``"test"``.
        root: cache folder for the online download (default: :func:`default_cache_dir`).
            Ignored when ``MNIST_COURSE_DATA`` names an offline copy.

    Returns:
        ``MnistSplit(images, labels, source)``: uint8 images ``(N, 28, 28)``, int64
        labels ``(N,)`` and a sentence naming the data source and the image count.

    Raises:
        ValueError: ``split`` is not ``"train"`` or ``"test"``.
        MnistDataError: the data is missing or broken; the message says how to fix it.
    """
    if split not in _FILE_STEMS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    if os.environ.get(DATA_ENV_VAR):
        return _load_offline(split)
    return _load_online(split, Path(root) if root is not None else default_cache_dir())


def data_source() -> str:
    """Return one line saying which MNIST the course is using right now (no loading)."""
    if os.environ.get(DATA_ENV_VAR):
        return f"offline copy of MNIST from {os.environ[DATA_ENV_VAR]} ({DATA_ENV_VAR})"
    return f"full MNIST, downloaded by torchvision into {default_cache_dir()}"


def mnist_dataset(split: str, transform=None, root: str | os.PathLike | None = None):
    """Return the split as a ``torchvision.datasets.MNIST`` for the Dataset + DataLoader route.

    Lessons 1 and 3 teach this route (one PIL image at a time through ``transform``).
    With ``MNIST_COURSE_DATA`` set, the offline files are verified and unpacked once
    into the cache folder in torchvision's layout, so the real torchvision class reads them.

    Args:
        split: ``"train"`` or ``"test"``.
        transform: applied to each PIL image, e.g. ``transforms.ToTensor()``.
        root: cache folder (default: :func:`default_cache_dir`).

    Returns:
        A ``torchvision.datasets.MNIST`` dataset.
    """
    from torchvision.datasets import MNIST

    if split not in _FILE_STEMS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    root = Path(root) if root is not None else default_cache_dir()
    train = split == "train"
    if not os.environ.get(DATA_ENV_VAR):
        return _torchvision_mnist(root, train, transform)
    offline_root = root / "offline"
    raw = offline_root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in ("train", "test"):
        for path in _offline_files(name):
            target = raw / path.name.removesuffix(".gz")
            if not target.exists() or target.stat().st_mtime < path.stat().st_mtime:
                read_idx(path)  # refuse to unpack a broken file
                opener = gzip.open if path.suffix == ".gz" else open
                with opener(path, "rb") as src, tempfile.NamedTemporaryFile(dir=raw, delete=False) as dst:
                    shutil.copyfileobj(src, dst)
                Path(dst.name).replace(target)  # atomic: two kernels never see half a file
    return MNIST(offline_root, train=train, transform=transform)


def mean_and_std(images: torch.Tensor) -> tuple[float, float]:
    """Compute the pixel mean and standard deviation after scaling to 0..1.

    Lesson 1 explains why ``Normalize`` uses these two numbers.

    Args:
        images: uint8 images ``(N, 28, 28)`` (or any shape).

    Returns:
        ``(mean, std)`` as Python floats.
    """
    pixels = images.float().div_(255)
    return pixels.mean().item(), pixels.std().item()


def to_float_images(
    images: torch.Tensor, mean: float = MNIST_MEAN, std: float = MNIST_STD
) -> torch.Tensor:
    """Scale uint8 images to 0..1, normalise them and add the channel axis.

    Args:
        images: uint8 ``(N, 28, 28)`` or ``(N, 1, 28, 28)``.
        mean: subtracted after scaling to 0..1.
        std: divided by after subtracting the mean.

    Returns:
        float32 ``(N, 1, 28, 28)``, the same numbers ``ToTensor`` + ``Normalize`` give.
    """
    if images.ndim == 3:
        images = images.unsqueeze(1)
    return images.float().div_(255).sub_(mean).div_(std)


class TensorBatches:
    """Shuffled mini-batches from a whole split kept as one tensor on the device.

    The fast alternative to ``DataLoader`` that lesson 3 compares it with: the images
    are converted to normalised floats once, and every batch is one indexing operation,
    with no per-image Python work.

    Args:
        images: uint8 ``(N, 28, 28)`` from :func:`load_mnist`.
        labels: int64 ``(N,)``.
        batch_size: images per batch.
        shuffle: draw a new random order every epoch.
        drop_last: skip the last batch if it is smaller than ``batch_size``.
        device: where to keep the tensors (``"cpu"``, ``"cuda"``...).
        seed: seed of the shuffling, so that runs repeat exactly.
        subset: use only the first ``subset`` images (quick runs).
        mean: normalisation mean (see :data:`MNIST_MEAN`).
        std: normalisation standard deviation.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int = 64,
        shuffle: bool = True,
        drop_last: bool = True,
        device: str | torch.device = "cpu",
        seed: int | None = 0,
        subset: int | None = None,
        mean: float = MNIST_MEAN,
        std: float = MNIST_STD,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if subset is not None:
            if subset < 1:
                raise ValueError(f"subset must be at least 1, not {subset}")
            images, labels = images[:subset], labels[:subset]
        self.images = to_float_images(images.to(device), mean, std)  # (N, 1, 28, 28)
        self.labels = labels.to(device).long()  # (N,)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = torch.Generator()
        if seed is not None:
            self.generator.manual_seed(seed)

    def __len__(self) -> int:
        n, b = len(self.labels), self.batch_size
        return n // b if self.drop_last else (n + b - 1) // b

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.labels.device)
        else:
            order = torch.arange(n, device=self.labels.device)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.images[index], self.labels[index]
