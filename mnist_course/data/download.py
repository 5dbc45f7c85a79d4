"""Filling torchvision's MNIST cache (for :mod:`.data`): a download with a timeout, the offline unpack."""

from __future__ import annotations

import hashlib
import os
import socket
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .atomic import atomic_write, why_not_written
from .idx import MnistDataError, read_idx

#: Seconds a download may wait for the server before it gives up.
DOWNLOAD_TIMEOUT_S = 30.0
_CHUNK = 1 << 20


def torchvision_mnist(root: Path, train: bool, transform=None, advice: str = ""):
    """``torchvision.datasets.MNIST(root, download=True)`` with a network timeout.

    Args:
        root: the cache folder.
        train: the training split, else the test split.
        transform: passed to torchvision.
        advice: how to fix a failure, appended to the error message.

    Raises:
        MnistDataError: the download failed or timed out, and no local copy exists.
    """
    from torchvision.datasets import MNIST

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # every socket torchvision opens meanwhile
    try:
        return MNIST(root, train=train, transform=transform, download=True)
    except Exception as exc:  # no network, a stalled server, a half-written cache...
        stalled = ""
        if isinstance(exc, TimeoutError):
            stalled = f" (the server did not answer within {DOWNLOAD_TIMEOUT_S:g} s)"
        raise MnistDataError(f"Could not download MNIST into {root} and found no usable local copy{stalled} "
                             f"({type(exc).__name__}: {exc}).\n" + advice) from exc
    finally:
        socket.setdefaulttimeout(previous)


def content_key(path: str | os.PathLike) -> str:
    """``"<size> <sha256>"`` of a file: it changes whenever the content does."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return f"{os.path.getsize(path)} {digest.hexdigest()}"


def _write_chunks(dst: BinaryIO, payload: bytes | bytearray) -> None:
    dst.write(payload)  # a separate function so that a test can make it fail halfway


def write_atomic(target: Path, payload: bytes | bytearray) -> None:
    """Write ``payload`` to ``target`` with :func:`.atomic.atomic_write`, mode 0644 (a shared cache).

    Raises:
        MnistDataError: a full disk or an unwritable folder (no temporary file is left).
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, lambda file: _write_chunks(file, payload), mode=0o644)
    except OSError as exc:
        raise MnistDataError(f"Could not write {target}: {why_not_written(exc)}. Free some space, or set "
                             "MNIST_COURSE_CACHE to a writable folder with about 60 MB free.") from exc


def unpack_offline(sources: Iterable[Path], root: Path) -> Path:
    """Verify IDX files and unpack them into ``root/MNIST/raw``, again whenever their content changes.

    Args:
        sources: the IDX files (plain or ``.gz``).
        root: the folder to give ``torchvision.datasets.MNIST``.

    Returns:
        ``root``.
    """
    raw = root / "MNIST" / "raw"
    for path in sources:
        target = raw / path.name.removesuffix(".gz")
        stamp = target.with_name(target.name + ".source")
        key = content_key(path)
        if target.is_file() and stamp.is_file() and stamp.read_text() == key:
            continue
        data = read_idx(path)  # refuses a broken file before anything is written
        magic = 0x00000803 if data.ndim == 3 else 0x00000801
        header = struct.pack(">I" + "I" * data.ndim, magic, *data.shape)
        write_atomic(target, header + data.numpy().tobytes())
        write_atomic(stamp, key.encode())
    return root
