"""A student's progress: every check's verdict is kept in a small JSON file, and progress() lists it.

Every test points ``MNIST_COURSE_PROGRESS`` at its own temporary file (conftest.py points it at a
session-wide one), so no test writes a progress file into the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import IPython.lib.pretty
import pytest

from mnist_course.exercises import EXERCISES, check, progress, record
from mnist_course.exercises.tracking import FILE_NAME, progress_path, read_progress

WRONG_SOFTMAX = "def softmax(logits):\n    return logits.exp() / logits.exp().sum()"


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    """A fresh progress file path for this test, through the environment variable."""
    path = tmp_path / "student" / "progress.json"
    path.parent.mkdir()
    monkeypatch.setenv("MNIST_COURSE_PROGRESS", str(path))
    return path


def softmax_answer(source: str):
    namespace = dict(EXERCISES["2.1"].namespace())
    exec(source, namespace)
    return namespace["softmax"]


def test_checks_record_their_verdicts_and_progress_lists_every_lesson(progress_file, capsys):
    check("2.1", ...)
    assert not progress_file.exists()  # a blank run is not recorded
    check("2.1", softmax_answer(WRONG_SOFTMAX))
    check("1.3", 0.5)
    assert {key: entry["best"] for key, entry in read_progress().items()} == {"2.1": "wrong", "1.3": "wrong"}
    check("2.1", softmax_answer(EXERCISES["2.1"].solution))
    capsys.readouterr()
    states = progress()
    assert capsys.readouterr().out == ""  # shown once, as the cell's result, not also printed
    shown = repr(states) + "\n"
    assert IPython.lib.pretty.pretty(states) + "\n" == shown == str(states) + "\n"
    assert states["2.1"] == "correct" and states["1.3"] == "not yet" and states["6.2"] == "not answered"
    assert set(states) == set(EXERCISES)
    headings = [line for line in shown.splitlines() if line.startswith("Lesson")]
    lessons = ("1", "2", "3a", "3b", "4", "5", "6")
    assert [line.split(":")[0] for line in headings] == [f"Lesson {n}" for n in lessons]
    assert "Lesson 2: 1 of 4 correct" in headings and "Lesson 6: 0 of 4 correct" in headings
    assert f"  2.1 {EXERCISES['2.1'].title}: correct\n" in shown
    assert f"  1.3 {EXERCISES['1.3'].title}: not yet\n" in shown


def test_a_correct_answer_stays_correct_and_the_last_run_is_shown(progress_file, capsys):
    record("2.1", "correct")
    record("2.1", "wrong")
    record("2.1", "blank")
    assert read_progress()["2.1"] == {"best": "correct", "last": "wrong"}
    shown = repr(progress())
    assert progress()["2.1"] == "correct"
    assert "2.1 softmax for a batch of logits: correct (your last run said not yet)" in shown
    record("2.1", "correct")
    assert read_progress()["2.1"] == {"best": "correct", "last": "correct"}


def test_progress_is_kept_across_kernel_restarts(progress_file):
    record("4.3", "correct")
    record("5.1", "wrong")
    code = "from mnist_course.exercises import progress; print(dict(progress()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}).stdout
    states = eval(out.strip().splitlines()[-1])  # noqa: S307 (our own repr of a dict of strings)
    assert states["4.3"] == "correct" and states["5.1"] == "not yet" and states["1.1"] == "not answered"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"2.1": "correct", "1.1": {"best": "no"}}', ""])
def test_a_corrupt_file_reads_as_empty_and_never_breaks_a_check(progress_file, capsys, content):
    progress_file.write_text(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_progress() == {}
        check("1.3", 0.5)
    assert capsys.readouterr().out.startswith("not yet: ")
    assert json.loads(progress_file.read_text()) == {"1.3": {"best": "wrong", "last": "wrong"}}


def test_a_folder_that_cannot_be_written_never_breaks_a_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MNIST_COURSE_PROGRESS", str(tmp_path / "missing" / "folder" / "progress.json"))
    check("1.3", 0.5)
    assert capsys.readouterr().out.startswith("not yet: ")
    assert progress()["1.3"] == "not answered"


def test_writes_are_atomic_a_failed_write_keeps_the_old_file(progress_file, monkeypatch):
    record("1.1", "correct")
    before = progress_file.read_text()

    def broken_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    record("1.2", "wrong")
    assert progress_file.read_text() == before
    assert os.listdir(progress_file.parent) == [progress_file.name]  # no temporary file left behind


def test_the_default_file_is_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_COURSE_PROGRESS")
    monkeypatch.chdir(tmp_path)
    assert progress_path() == tmp_path / FILE_NAME
    record("3.1", "correct")
    assert json.loads((tmp_path / FILE_NAME).read_text())["3.1"]["best"] == "correct"


def test_the_package_offers_progress_at_its_top(tmp_path, monkeypatch, capsys):
    """Issue 19 names mnist_course.progress(): the same list, from the package's top."""
    import mnist_course
    from mnist_course.exercises import tracking

    monkeypatch.setenv("MNIST_COURSE_PROGRESS", str(tmp_path / "progress.json"))
    tracking.record("1.1", "correct")
    states = mnist_course.progress()
    assert states["1.1"] == "correct" and "Lesson 1: 1 of" in repr(states)
