"""Lesson 2's softmax exercise in a real browser: JupyterLab driven by Chromium through Playwright.

The test builds the notebook from the lesson's script (the source of truth) into
``artifacts/browser/``, runs it all, then does what a student does: types a wrong softmax
into the exercise cell and runs it (the feedback names the mistake), types a right one (it
says correct), clicks **Hint** twice (one hint at a time) and **Solution** (the code
appears only then). Screenshots go to ``artifacts/browser/exercise_*.png``.

Without ``/usr/bin/chromium`` it is skipped, unless ``MNIST_COURSE_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import contextlib

import jupytext
import pytest
from browser_helpers import (
    ARTIFACTS,
    REPO,
    open_notebook,
    run_all_cells,
)

pytestmark = pytest.mark.browser

LESSON_2 = REPO / "lessons" / "scripts" / "02_single_layer_model.py"
WRONG = "def softmax(logits):\n    return logits.exp() / logits.exp().sum()\n\n\ncheck(\"2.1\", softmax)\n"
RIGHT = ("def softmax(logits):\n    shifted = logits - logits.max(dim=1, keepdim=True).values\n"
         "    return shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)\n\n\ncheck(\"2.1\", softmax)\n")


def lesson_2_notebook() -> str:
    """Write lesson 2, built from its script, to artifacts/browser/; return its path from the repo."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "02_exercises.ipynb"
    notebook = jupytext.read(LESSON_2)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    jupytext.write(notebook, path)
    return path.relative_to(REPO).as_posix()


def type_and_run(page, cell, code: str) -> None:
    """Replace the cell's code the way a student does (click, select all, type), then Shift+Enter."""
    editor = cell.locator(".jp-InputArea-editor .cm-content").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)
    editor.click()
    page.keyboard.press("Shift+Enter")


def feedback_line(cell) -> str:
    return cell.locator(".jp-OutputArea-output").first.inner_text().strip()


def test_softmax_exercise_gives_feedback_hints_and_solution_in_jupyterlab(lab, page):
    notebook = lesson_2_notebook()
    try:
        open_notebook(page, lab, notebook)
        run_all_cells(page)
        cell = page.locator(".jp-CodeCell", has_text="def softmax(logits):").first
        cell.scroll_into_view_if_needed()
        assert feedback_line(cell).startswith("not answered yet:")

        type_and_run(page, cell, WRONG)
        page.wait_for_function("el => el.innerText.includes('not yet:')", arg=cell.element_handle())
        wrong = feedback_line(cell)
        assert "all the probabilities of the batch together sum to 1" in wrong, wrong
        assert "hint:" in wrong and "keepdim" not in wrong.split("hint:")[0]
        cell.screenshot(path=str(ARTIFACTS / "exercise_wrong.png"))

        type_and_run(page, cell, RIGHT)
        page.wait_for_function("el => el.innerText.includes('correct:')", arg=cell.element_handle())
        assert feedback_line(cell).startswith("correct: every row sums to 1")
        outputs = cell.locator(".jp-OutputArea").first
        assert "return shifted.exp()" not in outputs.inner_text()  # no solution before the click

        hint = cell.locator("button", has_text="Hint").first
        hint.click()
        cell.get_by_text("Hint 1 of 3:").wait_for()
        assert cell.get_by_text("Hint 2 of 3:").count() == 0
        hint.click()
        cell.get_by_text("Hint 2 of 3:").wait_for()
        assert "return shifted.exp()" not in outputs.inner_text()
        cell.locator("button", has_text="Solution").first.click()
        cell.locator(".jp-OutputArea", has_text="return shifted.exp()").first.wait_for()
        cell.screenshot(path=str(ARTIFACTS / "exercise_hint_and_solution.png"))
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / "exercise_failure.png"), full_page=True)
        raise
