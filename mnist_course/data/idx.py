"""Reading and checking IDX files, the format MNIST is published in (lesson 1 looks at what they hold).

A header promising more than MNIST holds is refused before reading; a file holding more or fewer
bytes than its header promises is refused too.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import torch

_IDX_MAGIC = {0x00000803: 3, 0x00000801: 1}  # unsigned bytes: images (3-D), labels (1-D)
#: The most items a header may declare (MNIST has 70,000 digits in all).
MAX_ITEMS = 70_000
#: The most bytes one item may have (a 28x28 image).
MAX_ITEM_BYTES = 28 * 28


class MnistDataError(RuntimeError):
    """MNIST could not be found or read; the message says why and how to fix it."""


def _read_shape(f: BinaryIO, path: Path) -> tuple[int, tuple[int, ...]]:
    """Read and check the header; return ``(magic, shape)``."""
    head = f.read(4)
    if len(head) < 4:
        raise MnistDataError(f"MNIST file {path} is empty or truncated ({len(head)} bytes).")
    magic = struct.unpack(">I", head)[0]
    if magic not in _IDX_MAGIC:
        raise MnistDataError(f"MNIST file {path} is not an IDX file of unsigned bytes "
                             f"(magic number {magic:#010x}, expected 0x00000803 or 0x00000801).")
    ndim = _IDX_MAGIC[magic]
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise MnistDataError(f"MNIST file {path} is truncated inside its header.")
    shape = struct.unpack(">" + "I" * ndim, sizes)
    kind = "images" if ndim == 3 else "labels"
    item_bytes = int(torch.Size(shape[1:]).numel())
    if shape[0] == 0 or item_bytes == 0:
        raise MnistDataError(f"MNIST file {path} declares shape {tuple(shape)}: no {kind}. "
                             "It is empty or corrupted; download or copy it again.")
    if shape[0] > MAX_ITEMS or item_bytes > MAX_ITEM_BYTES:
        raise MnistDataError(f"MNIST file {path} declares shape {tuple(shape)}, more than MNIST holds "
                             f"(at most {MAX_ITEMS:,} {kind} of {MAX_ITEM_BYTES} bytes). It is not MNIST "
                             "or is corrupted; download or copy it again.")
    return magic, shape


def _read_exactly(f: BinaryIO, path: Path, shape: tuple[int, ...], header: int) -> bytearray:
    """Read the bytes the header promises, refusing a file that holds fewer or more."""
    expected = int(torch.Size(shape).numel())
    buffer = bytearray(expected)
    got = f.readinto(buffer)  # buffered files read until the buffer is full or the file ends
    extra = len(f.read(1)) if got == expected else 0  # stop at the first byte too many
    if got != expected or extra:
        holds = f"{header + got:,}" if not extra else "more"
        raise MnistDataError(f"MNIST file {path} is truncated or corrupted: its header promises "
                             f"{header + expected:,} bytes for shape {tuple(shape)}, but it holds {holds}. "
                             "Download or copy it again.")
    return buffer


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """Read one IDX file (plain or ``.gz``) of unsigned bytes into a uint8 tensor of its header's shape.

    Raises:
        MnistDataError: the file is missing, unreadable, not IDX, too large, or not the size its
            header says.
    """
    path = Path(path)
    if not path.is_file():
        raise MnistDataError(f"MNIST file {path} does not exist.")
    try:
        with open(path, "rb") as raw:
            f = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
            with f:
                magic, shape = _read_shape(f, path)
                data = _read_exactly(f, path, shape, header=4 + 4 * len(shape))
    except PermissionError as exc:
        raise MnistDataError(f"MNIST file {path} cannot be read: permission denied ({exc.strerror}). "
                             "Give your user read access to it (chmod a+r) or copy it somewhere you "
                             "can read.") from exc
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise MnistDataError(f"MNIST file {path} is corrupted or truncated ({exc}). "
                             "Download or copy it again.") from exc
    return torch.frombuffer(data, dtype=torch.uint8).reshape(shape)


def check_split(images: torch.Tensor, labels: torch.Tensor, where: str) -> None:
    """Check that uint8 images ``(N, 28, 28)`` and labels ``(N,)`` in 0..9 form a valid split.

    Args:
        images: the images.
        labels: the labels.
        where: a description of the files, for the error message.

    Raises:
        MnistDataError: saying which check failed.
    """
    if images.ndim != 3 or tuple(images.shape[1:]) != (28, 28):
        raise MnistDataError(f"{where}: images have shape {tuple(images.shape)}, expected (N, 28, 28).")
    if labels.ndim != 1:
        raise MnistDataError(f"{where}: labels have shape {tuple(labels.shape)}, expected (N,).")
    if len(images) != len(labels):
        raise MnistDataError(f"{where}: {len(images):,} images but {len(labels):,} labels; "
                             "the image and label files do not belong together.")
    if len(labels) == 0:
        raise MnistDataError(f"{where}: the split is empty.")
    if int(labels.min()) < 0 or int(labels.max()) > 9:
        raise MnistDataError(f"{where}: labels must be digits 0..9, found {int(labels.max())}.")
