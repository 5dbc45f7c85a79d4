"""Writing a file whole or not at all: the MNIST cache (:mod:`.download`) and checkpoints (lesson 4)."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object],
                 mode: int | None = None) -> Path:
    """Write ``path`` through a new temporary file beside it, flushed to disk and then renamed over it.

    An interrupted or failed write never leaves half a file: the old ``path`` stays as it was and
    the temporary file is removed. Its name is new and unique (``mkstemp``), so a file or symlink
    already there is never followed, and two programs writing one path both succeed.

    Args:
        path: the file to write; its folder must exist.
        write: called once with the open binary file, e.g. ``lambda file: file.write(payload)``.
        mode: the file's permissions, e.g. ``0o644``; ``None``: what ``open()`` gives (0o666 less the umask).

    Returns:
        ``path``.

    Raises:
        OSError: a full disk or an unwritable folder; or whatever ``write`` raises.
    """
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if mode is None:
            umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)  # mkstemp makes 0600
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def why_not_written(error: OSError) -> str:
    """Why a file could not be written, for people, e.g. ``"the disk is full (No space left on device)"``."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full ({error.strerror})"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"the folder is not writable ({error.strerror})"
    return error.strerror or f"{type(error).__name__}: {error}"
