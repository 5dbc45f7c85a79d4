"""A student's progress: what each exercise's check said, kept in a small JSON file in their folder.

Every :func:`~mnist_course.exercises.check` records its verdict; ``progress()`` in a cell lists the
exercises of every lesson as "not answered", "not yet" or "correct", also after a kernel restart.

What a student expects, and so what is kept:

* **Correct stays correct.** Once a check has said correct, the exercise is done: a later "not
  yet" (trying a variation, a typo) is shown beside it ("your last run said not yet") but does not
  undo it.
* **A blank run changes nothing.** Running an untouched cell (Run All on a fresh copy, a reset
  cell) says "not answered yet" and is not recorded, so running the shipped lessons (and CI's
  notebook tests) never writes a file.

The file is ``.mnist_course_progress.json`` in the current working directory (a notebook's
kernel runs in the notebook's folder), or the path in the environment variable
``MNIST_COURSE_PROGRESS``. It is replaced atomically; a missing, unreadable or corrupt file
reads as empty, and a file that cannot be written is skipped: a check never fails because of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..data.atomic import atomic_write

FILE_NAME = ".mnist_course_progress.json"
ENV_VAR = "MNIST_COURSE_PROGRESS"
RANK = {"blank": 0, "wrong": 1, "correct": 2}
STATE = {"blank": "not answered", "wrong": "not yet", "correct": "correct"}


def progress_path() -> Path:
    """Where progress is kept: ``$MNIST_COURSE_PROGRESS``, else ``.mnist_course_progress.json`` here."""
    return Path(os.environ.get(ENV_VAR) or Path.cwd() / FILE_NAME)


def read_progress(path: Path | None = None) -> dict[str, dict]:
    """The recorded verdicts, ``{key: {"best": status, "last": status}}``; ``{}`` for a missing or bad file.

    Entries that are not of that form are dropped, so a hand-edited file cannot break :func:`progress`.
    """
    try:
        data = json.loads((path or progress_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: entry for key, entry in data.items()
            if isinstance(entry, dict) and entry.get("best") in RANK and entry.get("last") in RANK}


def record(key: str, status: str, path: Path | None = None) -> None:
    """Remember that exercise ``key``'s check said ``status``; a correct one is never downgraded.

    Args:
        key: the exercise, e.g. "2.1".
        status: the verdict's status: "blank" (not recorded), "wrong" or "correct".
        path: the progress file; default :func:`progress_path`.
    """
    if status == "blank":
        return
    try:
        path = path or progress_path()
        answers = read_progress(path)
        best = answers.get(key, {}).get("best", "blank")
        answers[key] = {"best": status if RANK[status] >= RANK[best] else best, "last": status}
        text = json.dumps(answers, indent=1, sort_keys=True) + "\n"
        atomic_write(path, lambda file: file.write(text.encode("utf-8")))
    except OSError:
        pass  # a read-only or vanished folder: the check's answer matters more than the bookkeeping


def progress_lines(answers: dict[str, dict], exercises: dict) -> list[str]:
    """The text :func:`progress` prints: one heading per lesson, one line per exercise."""
    lines = []
    for lesson in sorted({item.lesson for item in exercises.values()}):
        keys = [key for key in sorted(exercises) if exercises[key].lesson == lesson]
        done = sum(answers.get(key, {}).get("best") == "correct" for key in keys)
        lines.append(f"Lesson {lesson}: {done} of {len(keys)} correct")
        for key in keys:
            entry = answers.get(key, {"best": "blank", "last": "blank"})
            note = f" (your last run said {STATE[entry['last']]})" if entry["last"] != entry["best"] else ""
            lines.append(f"  {key} {exercises[key].title}: {STATE[entry['best']]}{note}")
    return lines


class ExerciseProgress(dict):
    """``{key: state}`` for every exercise; a notebook shows it as the list :func:`progress_lines` writes."""

    def __init__(self, states: dict[str, str], lines: list[str]) -> None:
        super().__init__(states)
        self.lines = lines

    def __repr__(self) -> str:
        return "\n".join(self.lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython shows the list, not the dict
        printer.text(repr(self))


def progress(path: Path | None = None) -> ExerciseProgress:
    """Every lesson's exercises with their state, from what you ran: shown as a list in a notebook.

    Args:
        path: the progress file; default :func:`progress_path`.

    Returns:
        ``{"1.1": "correct", "1.2": "not yet", "1.3": "not answered", ...}`` for every exercise,
        which a notebook (or ``print``) shows as one heading per lesson and one line per exercise.
    """
    from . import EXERCISES

    answers = read_progress(path)
    states = {key: STATE[answers.get(key, {}).get("best", "blank")] for key in sorted(EXERCISES)}
    return ExerciseProgress(states, progress_lines(answers, EXERCISES))
