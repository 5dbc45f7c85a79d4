"""The student's own copy of the lessons: ``work/``, made from ``lessons/`` and never overwritten.

``make lab``, ``python -m mnist_course lab`` (the conda route) and Binder's ``postBuild`` all go
through :func:`prepare`: each shipped notebook is copied into the student folder the first time,
and a copy the student changed is never replaced. When the course ships a newer version of a
lesson the student has worked in, the new version is put beside it, as
``03b_training_with_batches (new version).ipynb``. The student folder is git-ignored, so a save never
changes a tracked file and ``git pull`` never conflicts with a student's answers.

The student's JupyterLab runs with ``work/`` as its root (no ``scripts/``, no jupytext pairing:
``lessons/jupytext.toml`` applies to ``lessons/`` only) and with the course's Jupyter settings in
``jupyter-config/`` (see :func:`lab_environment`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COURSE_DIR = REPO / "lessons"  #: The shipped lessons, tracked by git; instructors edit them.
STUDENT_DIR = REPO / "work"  #: The student's copies (git-ignored): what the student's JupyterLab shows.
CONFIG_DIR = REPO / "jupyter-config"  #: The course's Jupyter settings (on JUPYTER_CONFIG_PATH).
FIRST_LESSON = "01_inspect_the_dataset.ipynb"
MANIFEST = ".course-versions.json"  #: Which shipped version each copy was made from (hidden).
NEW_VERSION = "{stem} (new version).ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def digest(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_manifest(student: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads((student / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def _write_manifest(student: Path, manifest: dict[str, dict[str, str]]) -> None:
    temp = student / (MANIFEST + ".part")
    temp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    temp.replace(student / MANIFEST)


def _update(lesson: Path, student: Path, state: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """Bring one lesson's copy up to date without losing work; return its new state and a message.

    Args:
        lesson: the shipped notebook.
        student: the student folder.
        state: what the manifest says about this lesson: ``copied`` (the shipped version the
            student's copy was made from) and ``offered`` (the last version put beside it).

    Returns:
        The lesson's new state, and a line for the student (``None`` when nothing happened).
    """
    target, shipped = student / lesson.name, digest(lesson)
    if not target.exists():
        shutil.copyfile(lesson, target)
        return {"copied": shipped}, f"copied {lesson.name}"
    if state.get("copied") == shipped:
        return state, None
    mine = digest(target)
    if mine in (state.get("copied"), shipped):  # no work in it, or already the new version
        if mine != shipped:
            shutil.copyfile(lesson, target)
            return {"copied": shipped}, f"updated {lesson.name} (you had not changed it)"
        return {"copied": shipped}, None
    if state.get("offered") == shipped:
        return state, None
    offer = student / NEW_VERSION.format(stem=lesson.stem)
    if offer.exists() and digest(offer) != state.get("offered"):
        return state, (f"the course has a new version of {lesson.name}; {offer.name} is yours now (you "
                       f"changed it), so it was kept: rename it and run this again to get the new one")
    shutil.copyfile(lesson, offer)
    return {**state, "offered": shipped}, (f"the course has a new version of {lesson.name}: your copy is "
                                           f"kept, the new one is beside it as {offer.name!r}")


def prepare(course: Path = COURSE_DIR, student: Path = STUDENT_DIR) -> list[str]:
    """Make or refresh the student folder from the shipped lessons; never overwrite a student's work.

    Args:
        course: the folder of shipped notebooks (``lessons/``).
        student: the student's folder (``work/``), created if missing.

    Returns:
        One line per lesson that was copied, updated or offered in a new version.
    """
    student.mkdir(parents=True, exist_ok=True)
    manifest, messages = _read_manifest(student), []
    for lesson in sorted(course.glob("*.ipynb")):
        manifest[lesson.name], message = _update(lesson, student, manifest.get(lesson.name, {}))
        messages += [message] if message else []
    _write_manifest(student, manifest)
    return messages


def keep_widget_text(model: dict, **_: object) -> None:
    """Save widget outputs as their text only: a reopened notebook shows no "model not found".

    A widget's output names a model that lives in the kernel; once the kernel is gone, JupyterLab
    cannot draw it and shows an error instead. Its plain-text form (``[Hint] [Solution] buttons
    for exercise 2.1 ...``) reads well without a kernel; running the cell brings the widget back.
    This is the course server's ``ContentsManager.pre_save_hook`` (``jupyter-config/``).

    Args:
        model: the contents model being saved; a notebook's outputs are changed in place.
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    for cell in model["content"].get("cells", []):
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)


def lab_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``environ`` (default: this process's) with the course's Jupyter settings first.

    ``JUPYTER_CONFIG_PATH`` gains ``jupyter-config/`` (news prompt off, widgets saved as text,
    ``checkpoints/`` and ``runs/`` out of the file browser); ``OMP_WAIT_POLICY`` defaults to
    PASSIVE (see the README's troubleshooting).
    """
    env = dict(os.environ if environ is None else environ)
    paths = [str(CONFIG_DIR)] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def lab_command(student: Path = STUDENT_DIR, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Return the command that opens JupyterLab on the student folder, at lesson 1."""
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={student}",
            str(student / FIRST_LESSON), *extra]


def main(argv: list[str] | None = None) -> int:
    """``python -m mnist_course lab [--prepare-only] [JUPYTERLAB OPTIONS]``; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mnist_course lab", description=(
        f"Copy the lessons you do not have yet into {STUDENT_DIR} (yours: never overwritten), "
        "then open JupyterLab there. Other options go to JupyterLab."))
    parser.add_argument("--prepare-only", action="store_true",
                        help="make the folder, do not start JupyterLab")
    args, extra = parser.parse_known_args(argv)
    if not COURSE_DIR.is_dir():
        print(f"error: no lessons at {COURSE_DIR}: run this in a clone of the course, installed with "
              "pip install -e", file=sys.stderr)
        return 1
    for line in prepare():
        print(line, flush=True)
    print(f"your lessons: {STUDENT_DIR} (saving there never changes the course)", flush=True)
    if args.prepare_only:
        return 0
    command, env = lab_command(extra=extra), lab_environment()
    if os.name == "posix":
        os.execve(command[0], command, env)  # Ctrl+C reaches JupyterLab alone, as with `jupyter lab`
    return subprocess.call(command, env=env)
