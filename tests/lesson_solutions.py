"""Every exercise's solution, typed into its cell of the real lesson (issue 18, item 5).

:func:`with_solutions` copies a lesson notebook with the blank of every cell tagged ``exercise``
replaced by that exercise's registered solution (the ``check(...)`` line kept). The claims tests
(``tests/claims/``) execute each lesson that way, like a student's Run All in ``lessons/`` on the
lesson's own variables, models and data, and :func:`refusals` then says which check did not say
"correct" there (exercise 4.4's did once: the lesson's model deskews, the check did not), while the
unit tests in ``test_exercises.py`` build their own small inputs. One execution per lesson serves
both the claims and the solutions.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from mnist_course.exercises import EXERCISES

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
CHECK_CALL = re.compile(r'check\("(\d\.\d)"')
BLANK = "# your code here"


def solved(source: str, solution: str) -> str:
    """An exercise cell's ``source`` with its blank statements (those marked ``# your code here``)
    replaced by ``solution``; every other line, the ``check(...)`` call included, is kept.
    """
    lines = source.splitlines()
    blanks = [node for node in ast.parse(source).body
              if BLANK in "\n".join(lines[node.lineno - 1 : node.end_lineno])]
    assert blanks, f"no blank marked {BLANK!r} in:\n{source}"
    dropped = {i for node in blanks for i in range(node.lineno - 1, node.end_lineno)}
    first = blanks[0].lineno - 1
    before = [line for i, line in enumerate(lines[:first]) if i not in dropped]
    after = [line for i, line in enumerate(lines[first:], first) if i not in dropped]
    return "\n".join([*before, solution.rstrip("\n"), *after])


def with_solutions(path: Path) -> tuple[nbformat.NotebookNode, dict[int, str]]:
    """The lesson at ``path`` with every exercise solved; also {cell index: exercise key}."""
    notebook = nbformat.read(path, as_version=4)
    keys = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and "exercise" in cell.metadata.get("tags", []):
            (key,) = CHECK_CALL.findall(cell.source)
            cell.source, keys[index] = solved(cell.source, EXERCISES[key].solution), key
    return notebook, keys


def printed(cell: nbformat.NotebookNode) -> str:
    """What a cell printed (its stdout) and any error it raised."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}\n")
    return "".join(parts)


def refusals(notebook: nbformat.NotebookNode, keys: dict[int, str]) -> str:
    """What went wrong in an executed :func:`with_solutions` notebook: "" when every check said correct.

    Names each exercise whose check did not say "correct" (with its first line) and each cell that
    raised.
    """
    errors = {i: printed(cell) for i, cell in enumerate(notebook.cells)
              if any(out.output_type == "error" for out in cell.get("outputs", []))}
    verdicts = {key: printed(notebook.cells[i]).strip().splitlines() for i, key in keys.items()}
    refused = {key: lines[:1] for key, lines in verdicts.items()
               if not lines or not lines[0].startswith("correct")}
    return f"refused: {refused}; cells that raised: {errors}" if refused or errors else ""
