"""A function a lesson writes and the package then provides stays identical in both (issue 17).

Lesson 3b writes ``train_one_epoch`` and ``test_model``; ``mnist_course/training.py`` and
``mnist_course/evaluation.py`` hold copies that the later lessons import (as d2l's ``#@save``).
This test parses every lesson script and every package module, and for each top-level function
defined in both under the same name compares their syntax trees without docstrings (comments and
line numbers are not part of the tree): editing either copy alone fails here.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((REPO / "lessons" / "scripts").glob("*.py"))
PACKAGE = sorted((REPO / "mnist_course").rglob("*.py"))
#: Names a lesson and the package both define on purpose with different bodies, and why.
NOT_COPIES = {
    "fit": "lesson 3b's fit is the plain loop; mnist_course.training.fit is that loop plus extension points",
}
#: What lesson 3b writes and the package must keep as it is written there.
MUST_BE_COPIES = {"train_one_epoch", "test_model"}


def functions(source: str) -> dict[str, ast.FunctionDef]:
    """The top-level functions of a module's source, by name (the last definition wins, as in Python)."""
    return {node.name: node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


def without_docstring(function: ast.FunctionDef) -> str:
    """``ast.dump`` of the function with its docstring (if any) removed."""
    function = copy.deepcopy(function)
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(getattr(first.value, "value", None), str):
        function.body = function.body[1:]
    return ast.dump(function)


def copies(lessons: dict[str, str], package: dict[str, str]) -> list[tuple[str, str, str, bool]]:
    """Every function defined in a lesson and in the package: (name, lesson, module, identical?).

    Args:
        lessons: lesson script name -> source.
        package: package module path -> source.
    """
    in_package = {path: functions(source) for path, source in package.items()}
    found = []
    for lesson, source in lessons.items():
        for name, function in functions(source).items():
            if name in NOT_COPIES:
                continue
            for path, defined in in_package.items():
                if name in defined:
                    same = without_docstring(function) == without_docstring(defined[name])
                    found.append((name, lesson, path, same))
    return found


def _sources(paths: list[Path]) -> dict[str, str]:
    return {path.relative_to(REPO).as_posix(): path.read_text() for path in paths}


def test_lesson_functions_and_their_package_copies_are_identical():
    found = copies(_sources(SCRIPTS), _sources(PACKAGE))
    assert MUST_BE_COPIES <= {name for name, *_ in found}, f"not found in both: {found}"
    different = [f"{name}: {lesson} and {module}" for name, lesson, module, same in found if not same]
    assert not different, ("these lesson functions differ from their package copies; change both "
                           f"together: {different}")


def test_a_change_to_either_copy_is_caught():
    lessons, package = _sources(SCRIPTS), _sources(PACKAGE)
    lesson = next(name for name, source in lessons.items() if "def train_one_epoch(" in source)
    module = next(name for name, source in package.items() if "def train_one_epoch(" in source)
    edited = package[module].replace("model.train()  # dropout on", "model.eval()")
    changed_package = {**package, module: edited}
    edited = lessons[lesson].replace("loss.item() * len(labels)", "loss.item() * 64", 1)
    changed_lesson = {**lessons, lesson: edited}
    for lessons_now, package_now in ((lessons, changed_package), (changed_lesson, package)):
        verdicts = {name: same for name, _, _, same in copies(lessons_now, package_now)}
        assert verdicts["train_one_epoch"] is False


def test_docstrings_and_comments_do_not_count():
    plain = "def f(x):\n    return x + 1  # one more\n"
    documented = 'def f(x):\n    """Add one."""\n    return x + 1\n'
    assert without_docstring(functions(plain)["f"]) == without_docstring(functions(documented)["f"])
    other = "def f(x):\n    return x\n"
    assert without_docstring(functions(plain)["f"]) != without_docstring(functions(other)["f"])
