"""Every lesson is a jupytext pair whose notebook is fully executed and in sync."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
#: The lessons (``02_name.py``, or a part: ``03a_name.py``), then the optional appendices
#: (``A1_name.py``): all tested alike.
SCRIPTS_DIR = LESSONS / "scripts"
SCRIPTS = sorted([*SCRIPTS_DIR.glob("[0-9][0-9]_*.py"), *SCRIPTS_DIR.glob("[0-9][0-9][a-z]_*.py")]) \
    + sorted(SCRIPTS_DIR.glob("A[0-9]_*.py"))


def notebook_of(script: Path) -> Path:
    """The notebook a script in lessons/scripts/ is paired with (lessons/NN_name.ipynb)."""
    return LESSONS / script.with_suffix(".ipynb").name


def _sources(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_lessons_exist_in_order():
    names = [p.stem for p in SCRIPTS]
    assert names == sorted(names)
    assert "A1_fast_batches_and_threads" in names, "the appendix must be tested like the lessons"
    unknown = set(SCRIPTS_DIR.glob("*.py")) - set(SCRIPTS)
    assert not unknown, f"scripts named neither NN_name.py, NNx_name.py nor AN_name.py: {unknown}"
    for script in SCRIPTS:
        assert notebook_of(script).exists(), f"{script.name} has no paired notebook"
    for notebook in LESSONS.glob("*.ipynb"):
        assert (SCRIPTS_DIR / notebook.with_suffix(".py").name).exists(), f"{notebook.name} has no script"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_and_notebook_have_the_same_cells(script):
    from_script = jupytext.read(script)
    from_notebook = jupytext.read(notebook_of(script))
    rebuild = f"make lessons LESSON=lessons/scripts/{script.name}"
    message = f"{script.name} and its notebook differ: {rebuild}"
    assert _sources(from_script) == _sources(from_notebook), message


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_was_executed_top_to_bottom_cleanly(script):
    cells = json.loads(notebook_of(script).read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, "some code cells were never executed: nbval would skip them"
    assert counts == list(range(1, len(code) + 1)), "not executed top to bottom in a fresh kernel"
    for cell in code:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"stored error in: {''.join(cell['source'])[:80]}"
            assert output.get("name") != "stderr", f"stored stderr in: {''.join(cell['source'])[:80]}"


def _code_cells(script):
    return [cell for cell in jupytext.read(script).cells if cell.cell_type == "code" and cell.source.strip()]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_uncompared_cells_are_tagged_in_their_metadata(script):
    """COURSE.md rule: a cell whose output nbval ignores says so in its metadata, not in a comment.

    ``volatile`` marks cells whose output changes from run to run (trained numbers, timings,
    devices, paths); such a cell must not be compared.
    """
    for cell in _code_cells(script):
        first = cell.source.strip().splitlines()[0]
        assert "NBVAL" not in cell.source.upper(), f"use the cell tag, not a comment: {first[:70]}"
        tags = cell.metadata.get("tags", [])
        if "volatile" in tags:
            assert "nbval-ignore-output" in tags, f"{script.name}: volatile but compared: {first[:70]}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_no_test_machinery_in_the_students_view(script):
    """Issue 18 / COURSE.md section 5: no ``assert``, no printed ``check:``, no "(check: ...)" aside.

    The claims behind the prose live in ``tests/claims/``, run against the executed lesson.
    """
    for cell in jupytext.read(script).cells:
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        if cell.cell_type == "code":
            has_assert = re.search(r"^\s*assert\b", cell.source, re.M)
            assert not has_assert, f"{script.name}: assert in: {first[:70]}"
            assert "check:" not in cell.source, f"{script.name}: a printed check in: {first[:70]}"
        else:
            assert "(check:" not in cell.source, f"{script.name}: a (check: ...) aside in: {first[:70]}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_lesson_has_its_claims_file(script):
    """The prose's claims of each lesson and appendix are checked in tests/claims/."""
    stem = script.stem
    name = f"test_appendix_{stem[:2].lower()}.py" if stem.startswith("A") else \
        f"test_lesson{stem[:3].lstrip('0').rstrip('_')}.py"
    claims = Path(__file__).parent / "claims" / name
    assert claims.exists(), f"no tests/claims/{name} for {script.name}"
    has_exercises = any("exercise" in cell.metadata.get("tags", []) for cell in jupytext.read(script).cells)
    assert has_exercises == ("solutions_refused(lesson)" in claims.read_text()), \
        f"tests/claims/{name} must check the lesson's solutions (issue 18) exactly when it has exercises"


@pytest.mark.parametrize("script", [s for s in SCRIPTS if not s.stem.startswith("A")], ids=lambda p: p.stem)
def test_a_lesson_is_one_sitting_with_exercises_where_the_idea_is(script):
    """Issue 18: at most 60 cells and 2,500 words, the time at the top, 4 exercises, a predict-first."""
    cells = jupytext.read(script).cells
    prose = [c.source for c in cells if c.cell_type == "markdown"]
    words = sum(len(re.sub(r"[#*`>|\-]", " ", text).split()) for text in prose)
    assert len(cells) <= 60 and words <= 2500, f"{script.name}: {len(cells)} cells, {words} words"
    assert re.search(r"about \d+ minutes", " ".join(prose[:3]), re.I), f"{script.name}: no time at the top"
    code = [c for c in cells if c.cell_type == "code"]
    assert sum("exercise" in c.metadata.get("tags", []) for c in code) >= 4, script.name
    assert any("compare_guess(" in c.source or "guess_feedback(" in c.source for c in code), \
        f"{script.name}: no predict-first cell"


def test_sanitizer_keeps_the_number_of_axes():
    cfg = (LESSONS / "sanitize.cfg").read_text()
    assert "Axes>" in cfg and r"(\d+) Axes" in cfg


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_stored_figures_are_opaque_so_the_dark_theme_shows_them(script):
    """A transparent figure's black text and axes vanish on JupyterLab's dark background."""
    import base64
    import io

    from PIL import Image

    cells = json.loads(notebook_of(script).read_text())["cells"]
    pictures = [output["data"]["image/png"] for cell in cells if cell["cell_type"] == "code"
                for output in cell["outputs"] if "image/png" in output.get("data", {})]
    for picture in pictures:
        image = Image.open(io.BytesIO(base64.b64decode(picture))).convert("RGBA")
        assert image.getextrema()[3][0] == 255, f"{script.name}: a figure has transparent pixels"
        corners = [image.getpixel(xy) for xy in ((0, 0), (image.width - 1, 0), (0, image.height - 1))]
        assert all(min(pixel[:3]) > 200 for pixel in corners), f"{script.name}: a figure's background is dark"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_pairing_comes_from_the_folder_config(script):
    """lessons/jupytext.toml pairs lessons/NN.ipynb with lessons/scripts/NN.py; a file's own
    `formats` would pair it with something else (a notebook inside scripts/)."""
    assert "formats" not in jupytext.read(script).metadata.get("jupytext", {}), script.name
    assert "formats" not in jupytext.read(notebook_of(script)).metadata.get("jupytext", {}), script.name
