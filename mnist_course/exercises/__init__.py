"""Exercises that students write, checked at once, with hints and solutions on request.

A student cell, tagged ``exercise``, holds a blank (``answer = ...`` or a function whose body is
``...  # your code here``) and ends with ``check("2.1", answer)``, which prints one line (``not
answered yet: ...``, ``correct: ...`` or ``not yet: <the mistake>; hint: ...``) and shows Hint
and Solution buttons. Solutions live here as source strings, never in a notebook cell, so Run All
never replaces an answer and no stored output shows them. Each lesson's module (``lesson1``,
``lesson3a`` ...) registers its exercises with :func:`exercise`; the tests run every solution through
its own check. Each verdict is also recorded in the student's folder: :func:`progress` lists
what is done (see :mod:`~mnist_course.exercises.tracking`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
from IPython.display import Code, display

PREFIX = {"blank": "not answered yet", "correct": "correct", "wrong": "not yet"}


@dataclass(frozen=True)
class Verdict:
    """What a check says: ``status`` is "blank", "correct" or "wrong"."""

    status: str
    message: str

    def __str__(self) -> str:
        return f"{PREFIX[self.status]}: {self.message}"


def correct(why: str) -> Verdict:
    """The answer is right; ``why`` says in one line why it matters."""
    return Verdict("correct", why)


def not_answered(what: str = "replace the ... with your answer, then run the cell again") -> Verdict:
    """The blank is still there."""
    return Verdict("blank", what)


def mistake(which: str, hint: str) -> Verdict:
    """The answer is not right yet: ``which`` names the mistake, ``hint`` points the way."""
    return Verdict("wrong", f"{which}; hint: {hint}")


class Stop(Exception):
    """Raised inside a check to end it with ``verdict`` (see :func:`call` and :func:`need`)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(str(verdict))
        self.verdict = verdict


def is_blank(answer: Any) -> bool:
    """True for the untouched blank: ``...`` (or ``None``)."""
    return answer is Ellipsis or answer is None


def call(function: Callable, *args: Any, name: str = "your function") -> Any:
    """Call the student's function and return its result; stop the check if it is blank or raises
    (a function that returns ``...`` or ``None`` is still "not answered yet").
    """
    if not callable(function):
        raise Stop(mistake(f"{name} should be a function, not a {type(function).__name__}",
                           "keep the `def` line and write the body under it"))
    try:
        result = function(*args)
    except Exception as error:  # the student's code: say what it raised, kindly
        raise Stop(mistake(f"{name} raised {type(error).__name__}: {str(error).splitlines()[0][:150]}",
                           "read the last line of the error, and the shapes of the inputs")) from error
    if is_blank(result):
        raise Stop(not_answered(f"{name} returns nothing yet: write its body, ending with `return ...`"))
    return result


def need(condition: bool, which: str, hint: str) -> None:
    """Stop the check with :func:`mistake` unless ``condition`` holds."""
    if not condition:
        raise Stop(mistake(which, hint))


def as_float(answer: Any, what: str = "your answer") -> float:
    """``answer`` as a Python float (a number or a one-element tensor), or stop the check."""
    if hasattr(answer, "numel") and answer.numel() == 1:
        answer = answer.item()
    need(isinstance(answer, (int, float)) and not isinstance(answer, bool),
         f"{what} should be one number, not a {type(answer).__name__}",
         "use `.item()` to get a Python number")
    return float(answer)


@functools.lru_cache(maxsize=2)
def mnist(split: str):
    """The real MNIST split the lessons use (read once, then kept)."""
    from ..data import load_mnist

    return load_mnist(split)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its check, hints and solution, and what CI needs to run the solution.

    Attributes:
        key: "lesson.number", e.g. "2.1", as the lesson's ``check("2.1", ...)`` names it.
        checker: ``checker(answer, **inputs) -> Verdict``.
        hints: revealed one at a time; none gives the answer away.
        solution: the solution's source; it defines ``answer_name``, the student cell's variable or function.
        namespace: builds the lesson variables the solution and the check use (for CI).
        inputs: names from that namespace that the lesson passes to ``check`` as keywords.
        kind: "value" or "function".
        lesson: the lesson it belongs to ("3a"), from the module that registers it (``lesson3a``).
    """

    key: str
    title: str
    checker: Callable[..., Verdict]
    hints: tuple[str, ...]
    solution: str
    answer_name: str
    namespace: Callable[[], dict]
    inputs: tuple[str, ...] = ()
    kind: str = "value"
    lesson: str = ""


EXERCISES: dict[str, Exercise] = {}


def exercise(key: str, title: str, *, hints: tuple[str, ...], solution: str, answer: str,
             namespace: Callable[[], dict], inputs: tuple[str, ...] = (), kind: str = "value") -> Callable:
    """Decorator that registers a checker as exercise ``key``."""

    def register(checker: Callable[..., Verdict]) -> Callable[..., Verdict]:
        lesson = checker.__module__.rsplit(".", 1)[-1].removeprefix("lesson")
        EXERCISES[key] = Exercise(key, title, checker, tuple(hints), solution.strip() + "\n", answer,
                                  namespace, tuple(inputs), kind, lesson)
        return checker

    return register


def feedback(key: str, answer: Any, **inputs: Any) -> Verdict:
    """Run exercise ``key``'s check on ``answer`` and return its :class:`Verdict` (no display)."""
    if key not in EXERCISES:
        raise ValueError(f"there is no exercise {key!r}; the exercises are {', '.join(sorted(EXERCISES))}")
    if is_blank(answer):
        return not_answered()
    try:
        return EXERCISES[key].checker(answer, **inputs)
    except Stop as stop:
        return stop.verdict


class HelpBar(widgets.VBox):
    """The Hint and Solution buttons of one exercise; nothing is revealed before a click."""

    def __init__(self, item: Exercise) -> None:
        self.item, self.shown = item, 0
        self.hint_button = widgets.Button(description="Hint", icon="lightbulb-o",
                                          tooltip="show the next hint")
        self.solution_button = widgets.Button(description="Solution", icon="eye",
                                              tooltip="show the solution (try the hints first)")
        self.hints, self.solution = widgets.Output(), widgets.Output()
        self.hint_button.on_click(self.next_hint)
        self.solution_button.on_click(self.reveal_solution)
        super().__init__([widgets.HBox([self.hint_button, self.solution_button]), self.hints, self.solution])
        self.add_class("mnist-exercise-help")

    def next_hint(self, _button: Any = None) -> None:
        """Reveal the next hint; the button says when there are none left."""
        if self.shown < len(self.item.hints):
            self.shown += 1
            text = f"Hint {self.shown} of {len(self.item.hints)}: {self.item.hints[self.shown - 1]}"
            self.hints.append_stdout(text + "\n")
        if self.shown == len(self.item.hints):
            self.hint_button.description, self.hint_button.disabled = "No more hints", True

    def reveal_solution(self, _button: Any = None) -> None:
        """Show the solution's code (once)."""
        self.solution_button.disabled = True
        self.solution.append_display_data(Code(self.item.solution, language="python"))

    def __repr__(self) -> str:
        return f"[Hint] [Solution] buttons for exercise {self.item.key} (they work when the notebook runs)"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = repr(self)  # stable, and free of the solution
        return bundle


def check(key: str, answer: Any, **inputs: Any) -> None:
    """Check the student's ``answer`` to exercise ``key``: print one line, record it, show the help bar."""
    verdict = feedback(key, answer, **inputs)
    print(verdict)
    record(key, verdict.status)
    display(HelpBar(EXERCISES[key]))


from . import lesson1, lesson2, lesson3a, lesson3b, lesson4, lesson5, lesson6  # noqa: E402,F401  (registers the exercises)
from .guesses import compare_guess, guess_feedback  # noqa: E402,F401  (predict-first cells)
from .tracking import progress, record  # noqa: E402,F401  (the student's progress)
