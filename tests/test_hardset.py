"""The shipped hard set (mnist_course/hardset/) and its loader, mnist_course.data.evalsets (issue 11)."""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import torch

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from mnist_course.data.evalsets import COLUMNS, HARDSET_DIR, EvalSetError, load_hardset
from mnist_course.handwriting.images import load_image

KINDS = {
    "photo",
    "lined",
    "grid",
    "marker",
    "thinpen",
    "slant",
    "european",
    "open_closed",
    "tiny",
    "mouse",
    "finger",
}


@pytest.fixture(scope="module")
def hardset():
    return load_hardset()


@pytest.fixture(scope="module")
def rows():
    with open(HARDSET_DIR / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_enough_pictures_of_every_digit_and_kind(hardset):
    paths, labels, kinds = hardset
    assert len(paths) == len(labels) == len(kinds) >= 200
    per_digit = Counter(labels)
    assert set(per_digit) == set(range(10))
    assert min(per_digit.values()) >= 15, per_digit
    assert set(kinds) == KINDS
    assert min(Counter(kinds).values()) >= 15


def test_every_picture_is_readable_small_and_a_photo_or_drawing(hardset):
    paths, _, kinds = hardset
    for path, kind in zip(paths, kinds, strict=True):
        image = load_image(path)
        assert 64 <= min(image.size) and max(image.size) <= 400, (path.name, image.size)
        assert path.stat().st_size < 100_000, path.name
        assert path.suffix == (".jpg" if kind in ("photo", "tiny") else path.suffix)
    assert sum(p.stat().st_size for p in HARDSET_DIR.iterdir()) < 5_000_000


def test_label_file_matches_the_folder(rows):
    assert tuple(rows[0]) == COLUMNS
    names = [row["file"] for row in rows]
    assert len(names) == len(set(names))
    pictures = {p.name for p in HARDSET_DIR.iterdir() if p.suffix in (".png", ".jpg")}
    assert set(names) == pictures
    for row in rows:  # the file name repeats the kind and the digit, so a mix-up shows
        assert re.fullmatch(rf"{row['kind']}_\d\d_{row['label']}\.(png|jpg)", row["file"]), row
        assert row["source"] in ("font", "strokes")
        assert row["style"]


def test_the_confusions_of_issue_11_are_in_the_set(rows):
    styles = {(int(r["label"]), r["style"].split("/")[-1]) for r in rows}
    for wanted in [
        (1, "flag"),
        (1, "flag_foot"),
        (7, "crossed"),
        (4, "open"),
        (4, "closed"),
        (9, "closed"),
        (9, "open"),
        (0, "overlap"),
        (8, "small_top"),
    ]:
        assert wanted in styles, wanted
    assert {int(r["label"]) for r in rows if r["kind"] == "european"} == {1, 7}
    assert {int(r["label"]) for r in rows if r["kind"] == "open_closed"} == {4, 9}
    assert len({r["style"] for r in rows if r["source"] == "font"}) >= 15  # many hands, not one font


def test_readme_table_matches_the_labels(rows):
    readme = (HARDSET_DIR / "README.md").read_text()
    for kind, count in Counter(r["kind"] for r in rows).items():
        assert f"| {kind} | {count} |" in readme, kind
    assert f"**{len(rows)}**" in readme


def test_kinds_filter(hardset):
    paths, labels, kinds = load_hardset(kinds="mouse")
    assert len(paths) == Counter(hardset[2])["mouse"] and set(kinds) == {"mouse"}
    assert all(p.name.startswith("mouse_") for p in paths)
    assert (
        len(load_hardset(kinds=["photo", "tiny"])[0])
        == Counter(hardset[2])["photo"] + Counter(hardset[2])["tiny"]
    )
    with pytest.raises(EvalSetError, match="unknown kind"):
        load_hardset(kinds="napkin")


def test_the_package_ships_the_folder():
    config = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["mnist_course"]
    for suffix in ("png", "jpg", "csv", "md"):
        assert f"hardset/*.{suffix}" in patterns


# ----------------------------------------------------------------------------- the validator


def _small_set(folder: Path, lines: list[str], copy: tuple[str, ...] = ("mouse_00_0.png", "finger_01_1.png")):
    folder.mkdir()
    for name in copy:
        shutil.copy(HARDSET_DIR / name, folder / name)
    (folder / "labels.csv").write_text("\n".join([",".join(COLUMNS), *lines]) + "\n")
    return folder


GOOD = ["mouse_00_0.png,0,mouse,strokes,oval", "finger_01_1.png,1,finger,strokes,flag"]


def test_a_consistent_small_set_loads(tmp_path):
    paths, labels, kinds = load_hardset(_small_set(tmp_path / "ok", GOOD))
    assert [p.name for p in paths] == ["mouse_00_0.png", "finger_01_1.png"]
    assert labels == [0, 1] and kinds == ["mouse", "finger"]


@pytest.mark.parametrize(
    ("lines", "copy", "message"),
    [
        (GOOD[:1], ("mouse_00_0.png", "finger_01_1.png"), "have no row"),
        ([*GOOD, "gone.png,2,mouse,strokes,x"], ("mouse_00_0.png", "finger_01_1.png"), "missing"),
        ([GOOD[0], GOOD[0]], ("mouse_00_0.png",), "listed twice"),
        (["mouse_00_0.png,12,mouse,strokes,oval"], ("mouse_00_0.png",), "not a digit"),
        (["mouse_00_0.png,seven,mouse,strokes,oval"], ("mouse_00_0.png",), "not a digit"),
        (["mouse_00_0.png,0,,strokes,oval"], ("mouse_00_0.png",), "no kind"),
        (["../mouse_00_0.png,0,mouse,strokes,oval"], ("mouse_00_0.png",), "plain file name"),
    ],
)
def test_an_inconsistent_label_file_is_refused(tmp_path, lines, copy, message):
    with pytest.raises(EvalSetError, match=message):
        load_hardset(_small_set(tmp_path / "bad", lines, copy))


def test_a_missing_or_misshapen_label_file_is_refused(tmp_path):
    with pytest.raises(EvalSetError, match="no label file"):
        load_hardset(tmp_path)
    (tmp_path / "labels.csv").write_text("name,digit\nx.png,1\n")
    with pytest.raises(EvalSetError, match="columns"):
        load_hardset(tmp_path)
    assert issubclass(EvalSetError, ValueError)


def _lesson5_naive_pipeline():
    """Lesson 5's ``naive`` transform and ``naive_pipeline`` function, taken from its script."""
    import ast

    from PIL import Image
    from torchvision import transforms

    script = Path(__file__).resolve().parents[1] / "lessons" / "scripts" / "05_predict_your_own_digits.py"
    tree = ast.parse(script.read_text())
    wanted = [node for node in tree.body
              if (isinstance(node, ast.FunctionDef) and node.name == "naive_pipeline")
              or (isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["naive"])]
    assert len(wanted) == 2, "lesson 5 no longer defines naive and naive_pipeline"
    namespace = {"transforms": transforms, "Image": Image}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), str(script), "exec"), namespace)
    return namespace["naive_pipeline"]


def test_the_naive_pipeline_is_the_one_lesson_5_shows():
    from mnist_course.data import SAMPLES_DIR
    from mnist_course.handwriting.preprocess import naive_preprocess

    lesson = _lesson5_naive_pipeline()
    paths = sorted(SAMPLES_DIR.glob("*.png")) + load_hardset()[0]
    different = [path.name for path in paths if not torch.equal(lesson(path), naive_preprocess(path))]
    assert not different, different
