"""Claims tests: what a lesson's prose says about its numbers, checked against the executed lesson.

Each ``test_lessonN.py`` executes its lesson once (module scope) in a fresh kernel with testbook,
in the lessons folder as a student would, with every exercise's solution typed into its cell
(``tests/lesson_solutions.py``), and then asks that kernel for the numbers the prose describes in
words ("about 97%", "clearly better"); its ``test_every_solution_is_correct_in_the_lesson`` checks
that each exercise's check said "correct" there. The student's cells hold no ``assert``.

CI runs these under another order of the training images (``MNIST_COURSE_SHUFFLE``, set here when
unset), so a claim must hold on any copy of MNIST, not only on the stored outputs' run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lesson_solutions import LESSONS, refusals, with_solutions
from testbook import testbook

REPO = Path(__file__).resolve().parents[2]
#: The training order the claims are checked under when the caller does not choose one.
CLAIMS_SHUFFLE = "2"


def pytest_collection_modifyitems(items):
    """Mark the tests of this folder ``claims`` (pytest calls this hook with every collected test)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.claims)


@pytest.fixture(scope="session", autouse=True)
def claims_environment():
    """Another training order than the stored outputs', and the package of this checkout."""
    os.environ.setdefault("MNIST_COURSE_SHUFFLE", CLAIMS_SHUFFLE)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))


def run_lesson(name: str, timeout: int = 900):
    """Execute ``lessons/<name>.ipynb`` top to bottom, every exercise solved; yield testbook's client.

    Use it in a module-scoped fixture: ``lesson = pytest.fixture(scope="module")(...)``.
    ``lesson.value("expr")`` returns a JSON-able value; ``lesson.ref("name")`` a reference;
    :func:`solutions_refused` says whether every exercise's check said "correct".
    """
    notebook, keys = with_solutions(LESSONS / f"{name}.ipynb")
    resources = {"metadata": {"path": str(LESSONS)}}  # run in lessons/, as a student's kernel does
    with testbook(notebook, execute=True, timeout=timeout, resources=resources) as client:
        client.solution_keys = keys
        yield client


def solutions_refused(lesson) -> str:
    """Which exercise of the executed ``lesson`` did not say "correct" to its solution ("" if none)."""
    assert lesson.solution_keys, "this lesson has no exercise cells"
    return refusals(lesson.nb, lesson.solution_keys)
