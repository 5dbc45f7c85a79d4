"""Filling torchvision's MNIST cache (for :mod:`.data`): a download with deadlines, the offline unpack."""

from __future__ import annotations

import hashlib
import os
import struct
import time
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .atomic import atomic_write, why_not_written
from .idx import MnistDataError, read_idx

#: Seconds a download may wait for the server before it gives up.
DOWNLOAD_TIMEOUT_S = 30.0
#: Seconds the whole download (four files, about 12 MB) may take, however steadily bytes come.
DOWNLOAD_DEADLINE_S = 300.0
_CHUNK = 1 << 20
_LARGEST = 20 << 20  # bytes; MNIST's largest file has 9.9 MB


def torchvision_mnist(root: Path, train: bool, transform=None, advice: str = ""):
    """``torchvision.datasets.MNIST(root)``, downloaded first (:func:`download_mnist`) if not there yet.

    Args:
        root: the cache folder.
        train: the training split, else the test split.
        transform: passed to torchvision.
        advice: how to fix a failure, appended to the error message.

    Raises:
        MnistDataError: the download failed or timed out, and no local copy exists.
    """
    from torchvision.datasets import MNIST

    try:
        raw = root / "MNIST" / "raw"
        if not all((raw / name.removesuffix(".gz")).is_file() for name, _ in MNIST.resources):
            download_mnist(root)
        return MNIST(root, train=train, transform=transform)
    except MnistDataError:
        raise
    except Exception as exc:  # no network, a stalled or slow server, a half-written cache...
        raise MnistDataError(f"Could not download MNIST into {root} and found no usable local copy "
                             f"({type(exc).__name__}: {exc}).\n" + advice) from exc


def download_mnist(root: Path) -> Path:
    """Download MNIST's four files from torchvision's mirrors into ``root/MNIST/raw`` and unpack them.

    Each read waits at most :data:`DOWNLOAD_TIMEOUT_S`; the whole download stops after
    :data:`DOWNLOAD_DEADLINE_S` (plus at most one read's wait). Files are checked (MD5) before they
    are written, and written whole or not at all.

    Returns:
        ``root``, ready for ``torchvision.datasets.MNIST(root)``.

    Raises:
        TimeoutError: a server stopped answering, or the whole download took too long.
        ConnectionError: no mirror gave one of the files.
    """
    from torchvision.datasets import MNIST
    from torchvision.datasets.utils import check_integrity

    deadline, files = time.monotonic() + DOWNLOAD_DEADLINE_S, []
    for name, md5 in MNIST.resources:
        target = root / "MNIST" / "raw" / name
        if not check_integrity(target, md5):  # missing, or not the file torchvision lists
            write_atomic(target, _from_a_mirror(MNIST.mirrors, name, md5, deadline))
        files.append(target)
    return unpack_offline(files, root)


def _from_a_mirror(mirrors: list[str], name: str, md5: str, deadline: float) -> bytes:
    """The file ``name`` from the first mirror that sends it with the right MD5."""
    failures = []
    for url in (mirror + name for mirror in mirrors):
        print(f"Downloading {url}", flush=True)
        try:
            body = _fetch(url, deadline)
        except (OSError, ValueError) as exc:
            if isinstance(exc, TimeoutError):
                raise
            failures.append(f"{url}: {exc}")
            continue
        if hashlib.md5(body, usedforsecurity=False).hexdigest() == md5:
            return body
        failures.append(f"{url}: the file is damaged (wrong MD5 checksum)")
    raise ConnectionError("no mirror gave " + name + ": " + "; ".join(failures))


def _fetch(url: str, deadline: float) -> bytes:
    """The body at ``url``: each read waits at most DOWNLOAD_TIMEOUT_S, all of them end at ``deadline``."""
    import urllib.error
    import urllib.request

    body = bytearray()
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            while time.monotonic() < deadline and len(body) <= _LARGEST:
                if not (chunk := response.read1(_CHUNK)):  # one read, however little came
                    return bytes(body)
                body += chunk
    except (TimeoutError, urllib.error.URLError) as exc:
        if isinstance(exc, TimeoutError) or isinstance(exc.reason, TimeoutError):
            raise TimeoutError(f"the server did not answer within {DOWNLOAD_TIMEOUT_S:g} s") from exc
        raise
    if len(body) > _LARGEST:
        raise ValueError(f"the server sent more than {_LARGEST >> 20} MB, more than any MNIST file")
    raise TimeoutError(f"the whole download took more than {DOWNLOAD_DEADLINE_S:g} s; the connection "
                       "or the server is too slow")


def content_key(path: str | os.PathLike) -> str:
    """``"<size> <sha256>"`` of a file: it changes whenever the content does."""
    data = Path(path).read_bytes()  # at most MNIST's largest file, 47 MB unpacked
    return f"{len(data)} {hashlib.sha256(data).hexdigest()}"


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
