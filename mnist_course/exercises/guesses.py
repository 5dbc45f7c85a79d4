"""Predict first: compare the guess a student wrote in ``my_guess`` with an experiment's result.

Lessons 3, 4 and 5 ask for a guess before their key experiments (dropout in train mode,
ReLU against sigmoid, Adam's learning rate, the naive pipeline) and compare it afterwards.
"""

from __future__ import annotations

import math
from typing import Any

from . import is_blank


def guess_feedback(guess: Any, actual: Any, *, tolerance: float = 0.0, choices: tuple = ()) -> str:
    """Compare a guess with a result; the line :func:`compare_guess` prints."""
    if is_blank(guess):
        return ("you did not guess: next time write your guess in `my_guess` before the experiment "
                "runs, then run this cell again")
    if choices and (guess.strip().lower() if isinstance(guess, str) else guess) not in choices:
        return f"your guess {guess!r} is not one of {', '.join(repr(c) for c in choices)}: write one of them"
    if isinstance(actual, bool) or isinstance(actual, str):
        if isinstance(guess, str) and isinstance(actual, str):
            right = guess.strip().lower() == actual.lower()
        else:
            right = guess == actual
        if right:
            return f"your guess was right: you said {guess!r}, and the result is {actual!r}"
        return f"not this time: you said {guess!r}, the result is {actual!r}. Worth a moment: why?"
    if not isinstance(guess, (int, float)) or isinstance(guess, bool) or math.isnan(guess):
        return f"your guess should be a number like {actual:.2f}, not {guess!r}"
    if abs(guess - actual) <= tolerance:
        return f"close: you guessed {guess:g}, the result is {actual:.2f}"
    direction = "higher" if actual > guess else "lower"
    return f"you guessed {guess:g}, the result is {actual:.2f}: {direction} than you thought"


def compare_guess(guess: Any, actual: Any, *, tolerance: float = 0.0, choices: tuple = ()) -> None:
    """Print how the student's guess (``my_guess``) compares with what the experiment gave.

    Args:
        guess: the student's ``my_guess``; ``...`` when they did not guess.
        actual: the experiment's result: a bool, a string (one of ``choices``) or a number.
        tolerance: for numbers, how far off still counts as close.
        choices: for strings, the answers that make sense (lower case).
    """
    print(guess_feedback(guess, actual, tolerance=tolerance, choices=choices))
