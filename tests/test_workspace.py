"""Issue 19: the student's work lives in the student's copy (``work/``), the course stays pristine.

``mnist_course.cli.workspace.prepare`` copies each shipped lesson once, never overwrites a lesson the
student changed, and puts a newer course version beside it; the student's JupyterLab runs on that
folder with the course's settings. ``test_workspace_browser.py`` checks the same in Chromium.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_course.cli import workspace
from mnist_course.cli.workspace import (
    CONFIG_DIR,
    WIDGET_VIEW,
    keep_widget_text,
    lab_command,
    lab_environment,
    prepare,
)

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = Path(sys.prefix) / "share" / "jupyter"


@pytest.fixture
def course(tmp_path) -> Path:
    """A course folder of two small "notebooks" (their bytes are all prepare looks at)."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01_first.ipynb").write_text('{"v": 1}')
    (folder / "02_second.ipynb").write_text('{"v": 1}')
    (folder / "scripts").mkdir()
    (folder / "scripts" / "01_first.py").write_text("# the instructor's script")
    return folder


def test_first_use_copies_every_lesson_and_only_the_lessons(course, tmp_path):
    student = tmp_path / "work"
    assert prepare(course, student) == ["copied 01_first.ipynb", "copied 02_second.ipynb"]
    assert sorted(p.name for p in student.iterdir() if not p.name.startswith(".")) == \
        ["01_first.ipynb", "02_second.ipynb"]
    assert prepare(course, student) == []  # nothing new: nothing to say


def test_a_students_answers_are_never_overwritten(course, tmp_path):
    student = tmp_path / "work"
    prepare(course, student)
    (student / "01_first.ipynb").write_text('{"v": 1, "answer": "mine"}')
    (course / "01_first.ipynb").write_text('{"v": 2}')  # the course ships a corrected lesson
    messages = prepare(course, student)
    assert (student / "01_first.ipynb").read_text() == '{"v": 1, "answer": "mine"}'
    assert (student / "01_first (new version).ipynb").read_text() == '{"v": 2}'
    assert len(messages) == 1 and "01_first (new version).ipynb" in messages[0] and "kept" in messages[0]
    assert prepare(course, student) == []  # offered once, not at every start


def test_a_deleted_copy_comes_back_as_the_courses_version(course, tmp_path):
    student = tmp_path / "work"
    prepare(course, student)
    (student / "02_second.ipynb").write_text('{"v": 1, "answer": "mine"}')
    (course / "02_second.ipynb").write_text('{"v": 2}')
    prepare(course, student)
    (student / "02_second.ipynb").unlink()  # the README's way to start a lesson afresh
    assert prepare(course, student) == ["copied 02_second.ipynb"]
    assert (student / "02_second.ipynb").read_text() == '{"v": 2}'


def test_an_untouched_copy_follows_the_course_and_a_renamed_new_version_is_adopted(course, tmp_path):
    student = tmp_path / "work"
    prepare(course, student)
    (course / "02_second.ipynb").write_text('{"v": 2}')
    assert prepare(course, student) == ["updated 02_second.ipynb (you had not changed it)"]
    assert (student / "02_second.ipynb").read_text() == '{"v": 2}'
    (student / "01_first.ipynb").write_text('{"v": 1, "answer": "mine"}')
    (course / "01_first.ipynb").write_text('{"v": 3}')
    prepare(course, student)
    (student / "01_first (new version).ipynb").replace(student / "01_first.ipynb")  # the student switches
    assert prepare(course, student) == []
    (student / "01_first.ipynb").write_text('{"v": 3, "answer": "mine again"}')
    assert prepare(course, student) == []  # their work in the new version is theirs too


def test_a_new_version_the_student_already_worked_in_is_kept(course, tmp_path):
    student = tmp_path / "work"
    prepare(course, student)
    (student / "01_first.ipynb").write_text('{"answer": "old"}')
    (course / "01_first.ipynb").write_text('{"v": 2}')
    prepare(course, student)
    offer = student / "01_first (new version).ipynb"
    offer.write_text('{"v": 2, "answer": "new"}')
    (course / "01_first.ipynb").write_text('{"v": 3}')
    messages = prepare(course, student)
    assert offer.read_text() == '{"v": 2, "answer": "new"}'
    assert "kept" in messages[0] and "rename it" in messages[0]


def test_a_damaged_manifest_costs_no_work(course, tmp_path):
    student = tmp_path / "work"
    prepare(course, student)
    (student / "01_first.ipynb").write_text('{"answer": "mine"}')
    (student / workspace.MANIFEST).write_text("{not json")
    prepare(course, student)
    assert (student / "01_first.ipynb").read_text() == '{"answer": "mine"}'


def test_saved_widgets_keep_their_text_only():
    fallback = "[Hint] [Solution] buttons for exercise 2.1"
    widget = {"output_type": "display_data", "metadata": {},
              "data": {"text/plain": fallback, WIDGET_VIEW: {"model_id": "ab"}}}
    text = {"output_type": "stream", "name": "stdout", "text": "correct: ..."}
    model = {"type": "notebook", "content": {"cells": [{"cell_type": "code", "outputs": [widget, text]},
                                                       {"cell_type": "markdown", "source": "hi"}]}}
    keep_widget_text(model=model, path="02.ipynb", contents_manager=None)
    assert widget["data"] == {"text/plain": fallback}
    assert text == {"output_type": "stream", "name": "stdout", "text": "correct: ..."}
    keep_widget_text(model={"type": "file", "content": "x"}, path="a.txt")  # other files: untouched


def test_the_students_jupyterlab_opens_the_student_folder_with_the_course_settings():
    command = lab_command()
    assert command[1:3] == ["-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={workspace.STUDENT_DIR}" in command
    assert command[-1] == str(workspace.STUDENT_DIR / "01_inspect_the_dataset.ipynb")
    env = lab_environment({"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [str(CONFIG_DIR), "/elsewhere"]
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"


def test_the_course_settings_name_real_settings_of_this_jupyterlab():
    """A misspelt plugin or setting would be ignored without a word: check them against the schemas."""
    overrides = json.loads((CONFIG_DIR / "labconfig" / "default_setting_overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    for plugin, settings in overrides.items():
        package, name = plugin.split(":")
        schemas = list(SCHEMAS.glob(f"lab/schemas/{package}/{name}.json")) + \
            list(SCHEMAS.glob(f"labextensions/{package}/schemas/{package}/{name}.json"))
        assert schemas, f"no schema for {plugin}"
        properties = json.loads(schemas[0].read_text())["properties"]
        assert set(settings) <= set(properties), plugin


def test_the_students_folder_is_ignored_by_git():
    result = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "work/02_lesson.ipynb"])
    assert result.returncode == 0, "work/ must be git-ignored: a student's save would show in git status"


def test_make_binder_and_conda_open_the_student_folder():
    makefile = (REPO / "Makefile").read_text()
    lab_recipe = makefile.split("\nlab:")[1].split("\n\n")[0]
    assert "mnist_course lab" in lab_recipe
    assert "python -m mnist_course lab --prepare-only" in (REPO / "binder" / "postBuild").read_text()
    assert "JUPYTER_CONFIG_PATH" in (REPO / "binder" / "start").read_text()
    readme = (REPO / "README.md").read_text()
    assert "urlpath=lab/tree/work/01_inspect_the_dataset.ipynb" in readme
    assert "python -m mnist_course lab" in readme


def test_the_cli_passes_lab_options_to_jupyterlab(monkeypatch, capsys):
    from mnist_course.cli.parser import main

    seen = {}
    monkeypatch.setattr(workspace, "prepare", lambda: ["copied 01_first.ipynb"])
    monkeypatch.setattr(workspace.os, "execve", lambda path, command, env: seen.update(command=command))
    monkeypatch.setattr(workspace.subprocess, "call", lambda command, env: seen.update(command=command) or 0)
    assert main(["lab", "--prepare-only"]) == 0 and not seen
    assert "copied 01_first.ipynb" in capsys.readouterr().out
    main(["lab", "--no-browser", "--port=9999"])
    assert seen["command"][-2:] == ["--no-browser", "--port=9999"]


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=course", "-c", "user.email=course@example.org",
                    *args], check=True, capture_output=True)


def test_git_pull_of_a_changed_lesson_never_conflicts_with_a_students_answers(tmp_path):
    """The issue's "done when": the student's clone stays clean, the pull succeeds, the answer stays."""
    upstream = tmp_path / "course"
    (upstream / "lessons").mkdir(parents=True)
    (upstream / ".gitignore").write_text((REPO / ".gitignore").read_text())
    (upstream / "lessons" / "01_first.ipynb").write_text('{"v": 1}')
    _git(upstream, "init", "-q")
    _git(upstream, "add", ".")
    _git(upstream, "commit", "-q", "-m", "lesson 1")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(upstream), str(clone))
    prepare(clone / "lessons", clone / "work")
    (clone / "work" / "01_first.ipynb").write_text('{"v": 1, "answer": "MY_STUDENT_ANSWER"}')
    status = subprocess.run(["git", "-C", str(clone), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert status == ""
    (upstream / "lessons" / "01_first.ipynb").write_text('{"v": 2}')
    _git(upstream, "commit", "-q", "-am", "lesson 1 corrected")
    _git(clone, "pull", "-q", "--ff-only")
    prepare(clone / "lessons", clone / "work")
    assert (clone / "work" / "01_first.ipynb").read_text() == '{"v": 1, "answer": "MY_STUDENT_ANSWER"}'
    assert (clone / "work" / "01_first (new version).ipynb").read_text() == '{"v": 2}'
