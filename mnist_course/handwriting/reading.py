"""Reading many pictures at once: lesson 5's uploads and drawings, and the command line.

Each picture is checked by the guard and predicted with the model's recipe; what cannot be read
is reported, never raised (whatever the error), so one bad file does not lose the others' answers.
The command line's ``predict`` is :func:`mnist_course.cli.commands.predict_files`.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from ..recipe import Recipe
from .guard import check_digit
from .images import ImageError, ImageLike
from .predict import format_guesses, predict


def read_pictures(model: nn.Module, pictures: Sequence[tuple[str, ImageLike]], k: int = 3) -> list[dict]:
    """Read each named picture, check that it looks like one digit, and predict it.

    Args:
        model: a trained network (with its recipe).
        pictures: ``(name, picture)`` pairs; a picture that is an ``ImageError`` is reported.
        k: guesses per picture.

    Returns:
        One dict per picture: ``"name"``, and either ``"error"``, or ``"image"`` (``(1, 28, 28)``),
        ``"guesses"`` and ``"problems"`` (empty when it looks like one digit).
    """
    preprocess = Recipe.of(model).preprocess
    results = []
    for name, picture in pictures:
        try:
            if isinstance(picture, ImageError):
                raise picture
            image, problems = check_digit(picture, **preprocess)
            guesses = predict(model, image, k)[0]
            results.append({"name": name, "image": image, "problems": problems, "guesses": guesses})
        except Exception as exc:  # noqa: BLE001  one picture's failure, whatever it is, is its own line
            why = str(exc) if isinstance(exc, ImageError) else f"cannot be read ({type(exc).__name__}: {exc})"
            results.append({"name": name, "error": why})
    return results


def result_text(result: dict) -> str:
    """One :func:`read_pictures` result's guesses, or why there are none (the error, the problems)."""
    if "error" in result:
        return result["error"]
    if result["problems"]:
        return f"this does not look like a single digit ({'; '.join(result['problems'])})"
    return format_guesses(result["guesses"])


def format_result(result: dict) -> str:
    """One :func:`read_pictures` result as a line: its name, ``error:`` if so, and :func:`result_text`."""
    return f"{result['name']}: {'error: ' if 'error' in result else ''}{result_text(result)}"


def predict_uploads(model: nn.Module, files: Sequence[dict], k: int = 3) -> list[dict]:
    """:func:`read_pictures` for the files of a ``FileUpload`` value (dicts with ``"name"``, ``"content"``).
    """
    pictures = []
    for i, file in enumerate(files):
        name = str(file.get("name") or f"upload {i + 1}") if isinstance(file, dict) else f"upload {i + 1}"
        content = file.get("content") if isinstance(file, dict) else None
        pictures.append((name, content if content is not None else ImageError(
            "this upload entry has no 'content' (the file's bytes); pass the FileUpload's value, "
            "dicts with 'name' and 'content'.")))
    return read_pictures(model, pictures, k)

