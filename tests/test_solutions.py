"""Every exercise's solution, typed into its cell of the real lesson, gets "correct" (issue 18, item 5).

Each lesson notebook is copied with the blank of every cell tagged ``exercise`` replaced by that
exercise's registered solution (the ``check(...)`` line kept), then executed like a student's Run
All: in ``lessons/``, on the lesson's own variables, models and data. A check that refuses its own
solution there (exercise 4.4 did: the lesson's model deskews, the check did not) fails here, while
the unit tests in ``test_exercises.py`` build their own small inputs.

Slow (the whole lessons run; lesson 6 trains its CNN for minutes), so marked ``solutions``:
``make solutions``, part of ``make test``, runs them (``python -m pytest -m solutions
tests/test_solutions.py``). Run the lessons in order, as this does: lessons 5 and 6 load lesson
4's checkpoint (``lessons/checkpoints/``) and without it train the final model for 20 epochs.
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import nbformat
import pytest

from mnist_course.exercises import EXERCISES

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("0*.ipynb"))
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


def test_solved_keeps_the_check_and_the_lines_around_the_blank():
    cell = 'new_model = MLP()\nanswer = ...  # your code here\ncheck("4.2", answer, new_model=new_model)'
    want = 'new_model = MLP()\nanswer = 1\ncheck("4.2", answer, new_model=new_model)'
    assert solved(cell, "answer = 1\n") == want
    cell = 'def f(x):\n    ...  # your code here\n\n\ncheck("2.1", f)'
    assert solved(cell, "def f(x):\n    return x\n") == 'def f(x):\n    return x\n\n\ncheck("2.1", f)'
    cell = 'a = ...  # your code here\nb = ...  # your code here\ncheck("2.4", a, b=b)'
    assert solved(cell, "a, b = 1, 2") == 'a, b = 1, 2\ncheck("2.4", a, b=b)'


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


@pytest.mark.solutions
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_solution_is_correct_in_its_lesson(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("MNIST_COURSE_PROGRESS", str(tmp_path / "progress.json"))  # the kernel inherits it
    notebook, keys = with_solutions(path)
    assert keys, f"{path.name} has no exercise cells"
    copy = tmp_path / path.name
    nbformat.write(notebook, copy)  # the copy, for a look after a failure
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(LESSONS)}}).execute()
    nbformat.write(notebook, copy)
    print(f"{path.name}: {time.perf_counter() - start:.0f} s with {len(keys)} solutions")
    errors = {i: printed(cell) for i, cell in enumerate(notebook.cells)
              if any(out.output_type == "error" for out in cell.get("outputs", []))}
    verdicts = {key: printed(notebook.cells[i]).strip().splitlines() for i, key in keys.items()}
    refused = {key: lines[:1] for key, lines in verdicts.items()
               if not lines or not lines[0].startswith("correct")}
    assert not refused and not errors, f"refused: {refused}; cells that raised: {errors}; see {copy}"
