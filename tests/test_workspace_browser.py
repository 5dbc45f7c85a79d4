"""Issue 19 in a real browser: a student's own copy of the lessons, in the course's own JupyterLab.

The tests make a student's clone in a temporary folder (the tracked ``lessons/`` and
``.gitignore``, committed in git), make its student folder with ``mnist_course.cli.workspace.prepare``
and start JupyterLab on it the way ``make lab`` does (``work/`` as the root, the course's settings
in ``jupyter-config/``; only autosave is off, so that the test decides when to save). Then, in
Chromium: the file browser lists the lessons and nothing else, and no news prompt shows; a
student types an answer into lesson 1, runs it, saves, and reopens the lesson with a new kernel:
the answer is there, no widget error shows, the console has no error, and ``git status`` of the
clone is clean; and after exercise 1.1 answered right and 1.3 wrong and a kernel restart,
``progress()`` lists both from the student folder. Screenshots go to ``artifacts/browser/workspace_*.png``.

Without ``/usr/bin/chromium`` they are skipped, unless ``MNIST_COURSE_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from browser_helpers import ARTIFACTS, REPO, JupyterLabServer, open_notebook, run_all_cells

from mnist_course.cli.workspace import WIDGET_VIEW, lab_environment, prepare

pytestmark = pytest.mark.browser

LESSON = "01_inspect_the_dataset.ipynb"  # the quickest lesson to run; lesson 2 behaves the same
EXERCISE = 'check("1.1", sevens)'
ANSWER = f"sevens = train.images[train.labels == 7]  # MY_STUDENT_ANSWER\n{EXERCISE}\n"
NEWS = "official Jupyter news"
WIDGET_ERROR = "Error displaying widget"


class CourseLab(JupyterLabServer):
    """JupyterLab with the course's settings deciding: the test helpers' news setting is removed, and
    progress is kept where a student's is, in the student folder (not in the tests' temporary file).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.pop("MNIST_COURSE_PROGRESS", None)

    def _private_dirs(self) -> dict[str, str]:
        dirs = super()._private_dirs()
        settings = Path(dirs["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
        (settings / "notification.jupyterlab-settings").unlink()
        return dirs


def git(clone: Path, *args: str) -> str:
    """Run git in ``clone`` and return its output."""
    return subprocess.run(["git", "-C", str(clone), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A student's clone: the course's tracked lessons and .gitignore committed, and work/ made."""
    root = tmp_path_factory.mktemp("clone")
    for name in git(REPO, "ls-files", "lessons", ".gitignore").splitlines():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, root / name)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "-c", "user.name=student", "-c", "user.email=student@example.org", "commit", "-q",
        "-m", "the course")
    prepare(root / "lessons", root / "work")
    return root


@pytest.fixture(scope="module")
def lab(chromium, clone, tmp_path_factory):
    """The student's JupyterLab on the clone's work/, with the course's settings (replaces conftest's)."""
    data = os.environ.get("MNIST_COURSE_DATA", "")
    env = lab_environment({"PYTHONPATH": str(REPO), "MNIST_COURSE_DATA": data})
    server = CourseLab(tmp_path_factory.mktemp("courselab"), root=clone / "work", env=env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def listing(page) -> list[str]:
    """The names the file browser shows."""
    page.locator(".jp-DirListing-item").first.wait_for()
    return sorted(page.locator(".jp-DirListing-item .jp-DirListing-itemText").all_inner_texts())


def test_the_file_browser_shows_the_lessons_and_no_news_prompt(lab, page, clone):
    work = clone / "work"
    (work / "checkpoints").mkdir(exist_ok=True)  # what lesson 4 leaves beside the lessons
    (work / "checkpoints" / "lesson4_best.pt").write_bytes(b"")
    (work / "runs" / "lesson4_final").mkdir(parents=True, exist_ok=True)
    page.goto(f"{lab.base_url}/lab?token={lab.token}&reset")  # the file browser alone: no kernel
    page.wait_for_function("() => window.jupyterapp")
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")
    shipped = sorted(path.name for path in (clone / "lessons").glob("*.ipynb"))
    assert listing(page) == shipped
    page.wait_for_timeout(2000)  # JupyterLab asks about news as soon as it has restored
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workspace_file_browser.png"))
    assert page.get_by_text(NEWS).count() == 0
    settings = page.evaluate("url => fetch(url).then(r => r.json())",
                             f"{lab.base_url}/lab/api/settings/@jupyterlab/apputils-extension:notification"
                             f"?token={lab.token}")
    assert settings["schema"]["properties"]["fetchNews"]["default"] == "false", settings  # the course's


def save(page) -> None:
    """Save the open notebook (File > Save) and wait until it is saved."""
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")


def type_and_run(page, cell, text: str, wait_for: str) -> None:
    """Replace ``cell``'s code with ``text`` the way a student types it, run it, wait for ``wait_for``."""
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".jp-InputArea-editor .cm-content").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)
    editor.click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function("([el, text]) => el.innerText.includes(text)",
                           arg=[cell.element_handle(), wait_for])


def answer_exercise_1_1(page) -> None:
    """Type a right answer into exercise 1.1 the way a student does, run it, wait for "correct"."""
    type_and_run(page, page.locator(".jp-CodeCell", has_text=EXERCISE).first, ANSWER, "correct:")


def test_a_saved_lesson_reopens_cleanly_and_the_course_stays_pristine(lab, page, browser, clone):
    open_notebook(page, lab, LESSON)
    run_all_cells(page)
    answer_exercise_1_1(page)
    save(page)
    page.context.close()
    lab.shut_down_kernels()  # the student comes back another day: a new kernel, nothing run yet

    saved = json.loads((clone / "work" / LESSON).read_text())
    outputs = [output for cell in saved["cells"] for output in cell.get("outputs", [])]
    assert any("MY_STUDENT_ANSWER" in "".join(cell["source"]) for cell in saved["cells"])
    assert outputs and not [output for output in outputs if WIDGET_VIEW in output.get("data", {})]
    assert git(clone, "status", "--porcelain", "--untracked-files=all") == ""
    assert not list((clone / "work").rglob("*.py")), "a save paired the lesson with a script"

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    reopened = context.new_page()
    errors: list[str] = []
    reopened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    reopened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        open_notebook(reopened, lab, LESSON)
        exercise = reopened.locator(".jp-CodeCell", has_text="MY_STUDENT_ANSWER").first
        exercise.scroll_into_view_if_needed()
        reopened.wait_for_function("el => el.innerText.includes('[Hint] [Solution]')",
                                   arg=exercise.element_handle())
        reopened.wait_for_timeout(1000)  # a widget that fails to render says so at once
        exercise.screenshot(path=str(ARTIFACTS / "workspace_reopened_exercise.png"))
        reopened.screenshot(path=str(ARTIFACTS / "workspace_reopened.png"))
        assert "correct:" in exercise.inner_text()
        assert reopened.get_by_text(WIDGET_ERROR).count() == 0
        assert errors == []
    finally:
        context.close()


def test_progress_lists_two_exercises_after_a_kernel_restart(lab, page, browser, clone):
    """Exercise 1.1 right and 1.3 wrong; a new kernel's ``progress()`` lists both, from work/'s file."""
    progress_file = clone / "work" / ".mnist_course_progress.json"
    progress_file.unlink(missing_ok=True)  # the other tests' answers do not count here
    open_notebook(page, lab, LESSON)
    run_all_cells(page)
    answer_exercise_1_1(page)
    type_and_run(page, page.locator(".jp-CodeCell", has_text='check("1.3", background)').first,
                 'background = 0.5  # MY_WRONG_ANSWER\ncheck("1.3", background)\n', "not yet:")
    page.context.close()
    lab.shut_down_kernels()  # progress is kept across kernel restarts: it lives in the student's folder
    assert set(json.loads(progress_file.read_text())) == {"1.1", "1.3"}

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    student = context.new_page()
    try:
        open_notebook(student, lab, LESSON)
        shown = student.evaluate("""async () => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            notebook.activeCellIndex = notebook.widgets.length - 1;
            await window.jupyterapp.commands.execute('notebook:insert-cell-below');
            notebook.activeCell.model.sharedModel.setSource('from mnist_course import progress\\nprogress()');
            await window.jupyterapp.commands.execute('notebook:run-cell');
            const text = () => notebook.activeCell.model.outputs.toJSON()
                .map(output => [].concat(output.text || (output.data || {})['text/plain'] || []).join(''))
                .join('');
            for (let i = 0; i < 240 && !text().includes('Lesson 6:'); i++) {
                await new Promise(resolve => setTimeout(resolve, 250));
            }
            return text();
        }""")
        student.locator(".jp-Notebook .jp-Cell.jp-mod-active").screenshot(
            path=str(ARTIFACTS / "workspace_progress.png"))
        assert "Lesson 1: 1 of 4 correct" in shown and "Lesson 2: 0 of 4 correct" in shown
        assert "1.1 select the training images of the digit 7: correct" in shown
        assert "not yet" in next(line for line in shown.splitlines() if "1.3 " in line)
        assert "not answered" in next(line for line in shown.splitlines() if "1.2 " in line)
    finally:
        context.close()
