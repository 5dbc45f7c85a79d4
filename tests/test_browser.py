"""The widgets in a real browser: JupyterLab driven by Debian's Chromium through Playwright.

A headless notebook run cannot show that a widget renders and reacts in JupyterLab; these
tests can. They start a private JupyterLab on localhost (see ``browser_helpers``), open a
notebook, run all its cells, and then use the widgets with the mouse the way a student
does. Screenshots go to ``artifacts/browser/``.

Without ``/usr/bin/chromium`` they are skipped, unless ``MNIST_COURSE_REQUIRE_BROWSER=1``
(CI), where a missing browser fails them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator

import pytest
from browser_helpers import (
    ARTIFACTS,
    REPO,
    REQUIRE_BROWSER_ENV,
    drag_slider,
    draw_stroke,
    open_notebook,
    run_all_cells,
    skip_or_fail,
    wait_until,
    write_notebook,
)

pytestmark = pytest.mark.browser

#: The notebook whose dashboard the test uses, relative to the repository root: lesson 3b,
#: run top to bottom in the browser as a student would. ``None`` (or setting
#: MNIST_COURSE_DASHBOARD_NOTEBOOK) uses a small notebook the test writes (DEMO_NOTEBOOK).
DASHBOARD_NOTEBOOK: str | None = "lessons/03b_training_with_batches.ipynb"
DEMO_NOTEBOOK = ARTIFACTS / "dashboard_demo.ipynb"
LESSON_5 = "lessons/05_predict_your_own_digits.ipynb"
CURVES = ".mnist-dashboard img.mnist-dashboard-curves"

DEMO_CELLS = [
    ("markdown", "# Dashboard demo\nWritten by `tests/test_browser.py`; safe to delete."),
    ("code", "from mnist_course.data import load_mnist\n"
             "from mnist_course.widgets.dashboard import TrainingDashboard\n\n"
             "train, test = load_mnist('train'), load_mnist('test')"),
    ("code", "dashboard = TrainingDashboard(\n"
             "    train, test, controls=('hidden', 'dropout', 'activation'),\n"
             "    defaults={'subset': 2000, 'epochs': 2}, device='cpu',\n)\n"
             "dashboard"),
    ("code", "history = dashboard.run_sync(epochs=1)\n"
             "print('epochs finished:', len(history))"),
]


@contextlib.contextmanager
def screenshot_on_failure(page, name: str) -> Iterator[None]:
    """Save ``artifacts/browser/<name>_failure.png`` if the block fails."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}_failure.png"), full_page=True)
        raise


def scratch_copy(notebook: str) -> str:
    """Copy a repository notebook to ``artifacts/browser/`` and return the copy's path.

    The browser opens and runs the copy, never the tracked file: JupyterLab writes
    checkpoints next to what it opens, and other people may be rewriting the lessons
    while the test runs. Relative paths inside the notebook then resolve from
    ``artifacts/browser/`` (lesson 5 trains a quick model when it finds no checkpoint).
    """
    source = REPO / notebook
    if not source.exists():
        pytest.fail(f"{notebook} does not exist")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    copy = ARTIFACTS / source.name
    shutil.copyfile(source, copy)
    return copy.relative_to(REPO).as_posix()


# ---------------------------------------------------------------------- tests


def dashboard_notebook() -> str:
    """The notebook to open, relative to the repository: a copy of lesson 3b, or the demo."""
    chosen = os.environ.get("MNIST_COURSE_DASHBOARD_NOTEBOOK") or DASHBOARD_NOTEBOOK
    if chosen:
        return scratch_copy(chosen)
    write_notebook(DEMO_NOTEBOOK, DEMO_CELLS)
    return DEMO_NOTEBOOK.relative_to(REPO).as_posix()


def image_source(page) -> str:
    return page.locator(CURVES).first.get_attribute("src") or ""


def record_latency(seconds: float) -> None:
    """Save the browser's "slider released -> new curve image" time (measured, never asserted)."""
    path = ARTIFACTS / "dashboard_latency.json"
    path.write_text(json.dumps({"slider_release_to_new_curve_image_s": round(seconds, 3)}) + "\n")
    print(f"browser: slider released -> new curve image in {seconds:.2f} s")


def accuracy_text(page) -> str:
    return page.locator(".mnist-dashboard .mnist-dashboard-accuracy").first.inner_text()


def status_text(page) -> str:
    return page.locator(".mnist-dashboard .mnist-dashboard-status").first.inner_text()


def test_dashboard_trains_live_in_jupyterlab(lab, page):
    notebook = dashboard_notebook()
    with screenshot_on_failure(page, "dashboard"):
        use_dashboard(page, lab, notebook)


def use_dashboard(page, lab, notebook: str) -> None:
    """Run the notebook, move the dropout slider, press Start, watch the curves change."""
    open_notebook(page, lab, notebook)
    run_all_cells(page)
    dashboard = page.locator(".mnist-dashboard").first
    dashboard.scroll_into_view_if_needed()
    dashboard.wait_for(state="visible")
    page.wait_for_function("() => { const img = document.querySelector('.mnist-dashboard img');"
                           " return img && img.complete && img.naturalWidth > 100; }")
    before_image, before_accuracy = image_source(page), accuracy_text(page)
    dashboard.screenshot(path=str(ARTIFACTS / "dashboard_before.png"))

    drag_slider(page, dashboard.locator(".mnist-control-dropout"), 0.3)
    released = time.perf_counter()
    page.wait_for_function(f"src => document.querySelector('{CURVES}').src !== src",
                           arg=before_image, polling=20, timeout=60_000)
    record_latency(time.perf_counter() - released)
    page.locator(".mnist-dashboard button.mnist-dashboard-start").first.click()
    wait_until(lambda: image_source(page) != before_image and accuracy_text(page) != before_accuracy,
               120, page, "the curves and the accuracy to change")
    dashboard.screenshot(path=str(ARTIFACTS / "dashboard_training.png"))
    wait_until(lambda: re.match(r"(Finished|Same settings)", status_text(page)) is not None,
               120, page, f"the run to finish (status: {status_text(page)!r})")
    assert re.search(r"Test accuracy: \d+\.\d%", accuracy_text(page))
    readout = dashboard.locator(".mnist-control-dropout .widget-readout").first.inner_text()
    assert float(readout) > 0.0, "the dropout slider did not move"
    dashboard.screenshot(path=str(ARTIFACTS / "dashboard_after.png"))
    page.screenshot(path=str(ARTIFACTS / "dashboard_page.png"), full_page=True)


#: Lesson 4's dashboard in small: the lesson's knobs, runs of 3 epochs, and a run_sync cell
#: that trains other settings for 1 epoch (as the lesson's trains 2 for CI).
LESSON4_DEMO = ARTIFACTS / "dashboard_after_run_all.ipynb"
LESSON4_DEMO_CELLS = [
    ("markdown", "# Dashboard after Run All\nWritten by `tests/test_browser.py`; safe to delete."),
    DEMO_CELLS[1],
    ("code", "dashboard = TrainingDashboard(\n"
             "    train, test, controls=('optimizer', 'lr', 'weight_decay'),\n"
             "    defaults={'optimizer': 'adam', 'lr': 1e-3, 'subset': 1000, 'epochs': 3}, device='cpu',\n"
             "    test_label='validation',\n)\n"
             "dashboard"),
    ("code", "history = dashboard.run_sync(optimizer='adamw', weight_decay=1e-4, epochs=1)\n"
             "print('epochs:', len(history))"),
]


def test_dashboard_shows_the_lessons_epochs_after_run_all(lab, page):
    """Issue 19: after Run All, lesson 4's dashboard showed run_sync's 2 epochs, not the 5 its text
    describes, and Start trained 2."""
    write_notebook(LESSON4_DEMO, LESSON4_DEMO_CELLS)
    with screenshot_on_failure(page, "dashboard_after_run_all"):
        open_notebook(page, lab, LESSON4_DEMO.relative_to(REPO).as_posix())
        run_all_cells(page)
        dashboard = page.locator(".mnist-dashboard").first
        dashboard.scroll_into_view_if_needed()
        wait_until(lambda: status_text(page).startswith("Finished 1 epoch"), 60, page,
                   f"run_sync's run to show (status: {status_text(page)!r})")
        epochs = dashboard.locator(".mnist-control-epochs .widget-readout").first
        optimizer = dashboard.locator(".mnist-control-optimizer select").first
        assert epochs.inner_text() == "3" and optimizer.input_value() == "Adam"
        page.locator(".mnist-dashboard button.mnist-dashboard-start").first.click()
        wait_until(lambda: status_text(page).startswith("Finished 3 epochs"), 120, page,
                   f"Start to train the 3 epochs shown (status: {status_text(page)!r})")
        dashboard.screenshot(path=str(ARTIFACTS / "dashboard_after_run_all.png"))

def test_lesson5_canvas_predicts_a_drawn_digit(lab, page):
    if not (REPO / LESSON_5).exists():
        skip_or_fail(f"{LESSON_5} does not exist")
    notebook = scratch_copy(LESSON_5)
    with screenshot_on_failure(page, "lesson5"):
        draw_and_predict(page, lab, notebook)


def draw_and_predict(page, lab, notebook: str) -> None:
    """Run lesson 5, draw a "1" on its canvas, press Predict, wait for the top guesses."""
    open_notebook(page, lab, notebook)
    run_all_cells(page, timeout=400)
    predict_button = page.locator("button", has_text="Predict")
    panel = page.locator(".jp-OutputArea-output", has=predict_button).first  # the canvas widget
    predict = panel.locator("button", has_text="Predict").first
    predict.scroll_into_view_if_needed()
    canvas = panel.locator("canvas").first
    assert not re.search(r"Top \d+:", panel.inner_text())
    draw_stroke(page, canvas, [(0.45, 0.15), (0.52, 0.1), (0.5, 0.5), (0.48, 0.9)])  # a "1"
    page.wait_for_timeout(500)  # let the kernel receive the stroke's mouse events
    predict.click()
    wait_until(lambda: re.search(r"Top \d+: .*\d", panel.inner_text()) is not None,
               60, page, "a prediction to appear")
    panel.screenshot(path=str(ARTIFACTS / "lesson5_prediction.png"))


def test_in_ci_a_missing_lesson_fails_instead_of_skipping(monkeypatch):
    """Issue 10 item 11: in CI, a missing lesson skipped a browser test (needs no browser)."""
    monkeypatch.setenv(REQUIRE_BROWSER_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="requires every browser test"):
        skip_or_fail("lessons/05_predict_your_own_digits.ipynb does not exist")
    monkeypatch.delenv(REQUIRE_BROWSER_ENV)
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("lessons/05_predict_your_own_digits.ipynb does not exist")
