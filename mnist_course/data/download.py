"""Filling torchvision's MNIST cache (for :mod:`.data`): a download with a timeout, the offline unpack."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import struct
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

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
    """Write ``payload`` to ``target`` through a temporary file, mode 0644.

    Raises:
        MnistDataError: a full disk or an unwritable folder (no temporary file is left).
    """
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as dst:
            _write_chunks(dst, payload)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600: other users of a shared cache could not read it
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            why = "the disk is full"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            why = "the folder is not writable"
        else:
            why = f"{type(exc).__name__}: {exc}"
        raise MnistDataError(f"Could not write {target} ({why}). Free some space, or set MNIST_COURSE_CACHE "
                             "to a writable folder with about 60 MB free.") from exc


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
