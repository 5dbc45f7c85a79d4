"""What tools/make_samples.py and tools/make_hardset.py share: the check that their fonts are installed."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path


def require_fonts(fonts: Iterable[tuple[str, str]]) -> None:
    """Stop with the apt-get command to run if a font file is missing.

    Args:
        fonts: ``(Debian package, font file)`` pairs.
    """
    missing = sorted({package for package, path in fonts if not Path(path).is_file()})
    if missing:
        sys.exit("Missing fonts; install them with:\n  apt-get install " + " ".join(missing))
