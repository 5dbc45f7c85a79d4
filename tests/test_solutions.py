"""The tool that types each exercise's solution into its lesson (``lesson_solutions``) keeps the rest.

The lessons themselves run with every solution in ``tests/claims/`` (``make claims``).
"""

from __future__ import annotations

import nbformat
from lesson_solutions import LESSONS, refusals, solved, with_solutions

from mnist_course.exercises import EXERCISES


def test_solved_keeps_the_check_and_the_lines_around_the_blank():
    cell = 'new_model = MLP()\nanswer = ...  # your code here\ncheck("4.2", answer, new_model=new_model)'
    want = 'new_model = MLP()\nanswer = 1\ncheck("4.2", answer, new_model=new_model)'
    assert solved(cell, "answer = 1\n") == want
    cell = 'def f(x):\n    ...  # your code here\n\n\ncheck("2.1", f)'
    assert solved(cell, "def f(x):\n    return x\n") == 'def f(x):\n    return x\n\n\ncheck("2.1", f)'
    cell = 'a = ...  # your code here\nb = ...  # your code here\ncheck("2.3", a, b=b)'
    assert solved(cell, "a, b = 1, 2") == 'a, b = 1, 2\ncheck("2.3", a, b=b)'


def test_with_solutions_solves_every_exercise_cell_once():
    solved_keys = []
    for path in sorted(LESSONS.glob("0*.ipynb")):
        notebook, keys = with_solutions(path)
        for index, key in keys.items():
            assert EXERCISES[key].solution.strip().splitlines()[0] in notebook.cells[index].source
            assert "# your code here" not in notebook.cells[index].source
        solved_keys += keys.values()
    assert sorted(solved_keys) == sorted(EXERCISES)


def test_refusals_names_a_refused_check_and_a_cell_that_raised():
    new = nbformat.v4
    notebook = new.new_notebook(cells=[new.new_code_cell("a"), new.new_code_cell("b")])
    notebook.cells[0].outputs = [new.new_output("stream", name="stdout", text="correct: yes\n")]
    assert refusals(notebook, {0: "1.1"}) == ""
    notebook.cells[0].outputs = [new.new_output("stream", name="stdout", text="not yet: no\n")]
    notebook.cells[1].outputs = [new.new_output("error", ename="TypeError", evalue="bad", traceback=[])]
    message = refusals(notebook, {0: "1.1"})
    assert "'1.1': ['not yet: no']" in message and "TypeError: bad" in message
