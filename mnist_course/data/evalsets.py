"""The course's own hard evaluation set (``mnist_course/hardset/``, made by ``tools/make_hardset.py``).

Synthetic pictures made to look like students' photos, scans and drawings (handwriting fonts and
generated strokes on simulated paper, not real handwriting); lesson 5 measures preprocessing on it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

#: The shipped hard set.
HARDSET_DIR = Path(__file__).resolve().parent.parent / "hardset"
#: The columns of ``labels.csv``.
COLUMNS = ("file", "label", "kind", "source", "style")


class EvalSetError(ValueError):
    """An evaluation set's folder or label file is missing or inconsistent; the message says how."""


def _read_rows(labels_file: Path) -> list[dict[str, str]]:
    """Read ``labels.csv`` and check its header."""
    if not labels_file.is_file():
        raise EvalSetError(f"no label file at {labels_file}. Reinstall the course, or regenerate the set "
                           "with `python tools/make_hardset.py`.")
    with open(labels_file, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise EvalSetError(f"{labels_file} has columns {reader.fieldnames}; expected {list(COLUMNS)}.")
        return list(reader)


def _check_row(row: dict[str, str], line: int, folder: Path, seen: set[str]) -> int:
    """Check one row (a digit 0..9, a kind, an existing file named once); return its label."""
    where = f"labels.csv line {line}"
    name = row["file"] or ""
    if not name or Path(name).name != name:
        raise EvalSetError(f"{where}: {name!r} is not a plain file name inside {folder}.")
    if name in seen:
        raise EvalSetError(f"{where}: {name} is listed twice.")
    seen.add(name)
    if not (folder / name).is_file():
        raise EvalSetError(f"{where}: {name} is listed but missing from {folder}.")
    if (row["label"] or "").strip() not in {str(d) for d in range(10)}:
        raise EvalSetError(f"{where}: the label of {name} is {row['label']!r}, not a digit 0-9.")
    if not (row["kind"] or "").strip():
        raise EvalSetError(f"{where}: {name} has no kind.")
    return int(row["label"])


def load_hardset(folder: str | os.PathLike = HARDSET_DIR,
                 kinds: str | list[str] | None = None) -> tuple[list[Path], list[int], list[str]]:
    """List the hard set's pictures with their true digits and kinds, checked against the folder (lesson 5).

    Args:
        folder: pictures with a ``labels.csv`` (:data:`COLUMNS`); default: the shipped hard set.
        kinds: keep only pictures of this kind (or these kinds), e.g. ``"photo"``.

    Returns:
        ``(paths, labels, kinds)`` in the label file's order.

    Raises:
        EvalSetError: the folder or label file is missing or does not match.
    """
    folder = Path(folder)
    rows = _read_rows(folder / "labels.csv")
    seen: set[str] = set()
    labels = [_check_row(row, line, folder, seen) for line, row in enumerate(rows, start=2)]
    unlisted = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    unlisted = [name for name in unlisted if name not in seen]
    if unlisted:
        raise EvalSetError(f"{len(unlisted)} pictures in {folder} have no row in labels.csv: {unlisted[:5]}")
    wanted = [kinds] if isinstance(kinds, str) else kinds
    known = sorted({row["kind"] for row in rows})
    if wanted is not None and not set(wanted) <= set(known):
        raise EvalSetError(f"unknown kind(s) {sorted(set(wanted) - set(known))}; the kinds are {known}.")
    keep = [i for i, row in enumerate(rows) if wanted is None or row["kind"] in wanted]
    paths = [folder / rows[i]["file"] for i in keep]
    return paths, [labels[i] for i in keep], [rows[i]["kind"] for i in keep]
