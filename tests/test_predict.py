"""Tests for mnist_course.handwriting.predict and the lesson-5 widgets in mnist_course.widgets.draw."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mnist_course.checkpoints import CheckpointError, save_checkpoint
from mnist_course.cli.commands import predict_files
from mnist_course.data import DEFAULT_RECIPE, MNIST_MEAN, MNIST_STD
from mnist_course.handwriting.images import ImageError
from mnist_course.handwriting.predict import (
    all_probabilities,
    format_guesses,
    format_probability,
    predict,
    prepare_images,
)
from mnist_course.handwriting.preprocess import naive_preprocess, to_mnist
from mnist_course.handwriting.reading import predict_uploads
from mnist_course.models import MLP, SoftmaxRegression
from mnist_course.widgets.draw import DigitCanvas, DigitUpload
from mnist_course.widgets.pictures import probability_chart_png
from mnist_course.widgets.strokes import EXAMPLE_STROKES, predict_strokes, scale_strokes, strokes_to_image

SAMPLES = Path(__file__).resolve().parents[1] / "mnist_course" / "samples"
OFFLINE_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-offline"


@pytest.fixture
def model() -> torch.nn.Module:
    """A small untrained MLP with fixed weights."""
    torch.manual_seed(0)
    return MLP(hidden=(16,)).eval()


def digit_image(digit: int = 7) -> Image.Image:
    """A mouse-style drawing of ``digit``, black on white."""
    return strokes_to_image(scale_strokes(EXAMPLE_STROKES[digit]), ink=0, background=255)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def check_guesses(guesses, k):
    assert len(guesses) == k
    digits = [d for d, _ in guesses]
    probabilities = [p for _, p in guesses]
    assert all(isinstance(d, int) and 0 <= d <= 9 for d in digits)
    assert len(set(digits)) == k
    assert all(isinstance(p, float) and 0 <= p <= 1 for p in probabilities)
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) <= 1 + 1e-6


# ----------------------------------------------------------------------------- predict


@pytest.mark.parametrize("k", [1, 3, 10])
def test_predict_returns_k_sorted_guesses_per_image(model, k):
    result = predict(model, digit_image(), k=k)
    assert len(result) == 1  # one image in: still a list with one entry
    check_guesses(result[0], k)
    if k == 10:
        assert sum(p for _, p in result[0]) == pytest.approx(1.0, abs=1e-5)


def test_single_list_and_tensor_inputs_agree(model):
    images = [digit_image(d) for d in (1, 4, 7)]
    one_by_one = [predict(model, image)[0] for image in images]
    as_list = predict(model, images)
    batch = torch.stack([to_mnist(image) for image in images])  # (3, 1, 28, 28)
    as_tensor = predict(model, batch)
    single_tensor = predict(model, batch[1])  # (1, 28, 28)
    assert len(as_list) == len(as_tensor) == 3
    for a, b, c in zip(one_by_one, as_list, as_tensor, strict=True):
        assert [d for d, _ in a] == [d for d, _ in b] == [d for d, _ in c]
        assert [p for _, p in a] == pytest.approx([p for _, p in c], abs=1e-6)
    assert [d for d, _ in single_tensor[0]] == [d for d, _ in as_tensor[1]]


def test_predict_accepts_paths_bytes_and_arrays(model, tmp_path):
    image = digit_image(3)
    path = tmp_path / "three.png"
    image.save(path)
    expected = predict(model, image)
    for source in (path, str(path), png_bytes(image), np.asarray(image)):
        assert predict(model, source) == expected
    assert predict(model, [path, png_bytes(image)]) == expected * 2


def test_predict_normalises_with_the_models_recipe(model):
    image = to_mnist(digit_image(2))
    assert DEFAULT_RECIPE == {"mean": MNIST_MEAN, "std": MNIST_STD, "preprocess": {}}
    for mean, std in ((MNIST_MEAN, MNIST_STD), (0.5, 0.5)):
        model.recipe = {"mean": mean, "std": std, "preprocess": {}}
        logits = model(((image - mean) / std).unsqueeze(0))
        expected = torch.softmax(logits, 1)[0].topk(3)
        result = predict(model, image)[0]
        assert [d for d, _ in result] == expected.indices.tolist()
        assert [p for _, p in result] == pytest.approx(expected.values.tolist(), abs=1e-6)


def test_predict_uses_eval_mode_and_restores_the_mode():
    torch.manual_seed(0)
    model = MLP(hidden=(64,), dropout=0.5).train()
    image = to_mnist(digit_image(5))
    first, second = predict(model, image, k=10), predict(model, image, k=10)
    assert first == second  # dropout off: the same answer every time
    assert model.training  # put back in training mode


def test_predict_runs_without_tracking_gradients(model):
    calls = []
    model.register_forward_hook(lambda module, args, output: calls.append(torch.is_inference_mode_enabled()))
    predict(model, digit_image())
    assert calls == [True]


@pytest.mark.parametrize(
    "bad, message",
    [
        ([], "empty"),
        (torch.zeros(0, 1, 28, 28), "empty"),
        (torch.full((2, 1, 28, 28), -0.42), "normalise"),
        (torch.full((1, 1, 28, 28), float("nan")), "NaN"),
        ([Image.new("L", (28, 28), 255)], "image 0"),
        ("missing.png", "no file"),
    ],
)
def test_predict_rejects_bad_input(model, bad, message):
    with pytest.raises(ValueError, match=message):
        predict(model, bad)


@pytest.mark.parametrize("k", [0, 11, -1])
def test_predict_rejects_bad_k(model, k):
    with pytest.raises(ValueError, match="k must be"):
        predict(model, digit_image(), k=k)


def test_prepare_images_shapes():
    assert prepare_images(digit_image()).shape == (1, 1, 28, 28)
    assert prepare_images([digit_image(), digit_image(1)]).shape == (2, 1, 28, 28)
    assert prepare_images(torch.rand(5, 1, 28, 28)).shape == (5, 1, 28, 28)


def test_format_guesses():
    assert format_guesses([(7, 0.931), (1, 0.04)]) == "7 (93.1%), 1 (4.0%)"


def test_probabilities_are_never_rounded_to_certainty():
    """Issue 19: every prediction read "100.0%" and "0.0%", as if the model were certain."""
    assert [format_probability(p) for p in (1.0, 0.99996, 0.9995, 0.9994, 0.5, 0.0005, 0.0004, 0.0)] == [
        ">99.9%", ">99.9%", ">99.9%", "99.9%", "50.0%", "0.1%", "<0.1%", "<0.1%"]
    assert format_guesses([(1, 0.99998), (7, 0.00002)]) == "1 (>99.9%), 7 (<0.1%)"


@pytest.fixture
def certain_model() -> torch.nn.Module:
    """An MLP that answers 7 for every picture with a probability of about 1 - 9e-13."""
    torch.manual_seed(0)
    model = MLP(hidden=(16,)).eval()
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
        last.bias[7] = 30.0
    return model


def test_every_display_writes_probabilities_honestly(certain_model, tmp_path, capsys):
    """Issue 19: the canvas, the upload box and the command line never show 100.0% or 0.0%."""
    from mnist_course.cli.parser import main

    expected = r"7 \(>99\.9%\), \d \(<0\.1%\), \d \(<0\.1%\)"  # the nine others tie
    canvas = DigitCanvas(certain_model)
    for stroke in scale_strokes(EXAMPLE_STROKES[7]):
        canvas.add_stroke(stroke)
    canvas.predict()
    upload = DigitUpload(certain_model)
    upload.upload.value = upload_value(("seven.png", png_bytes(digit_image(7))))
    checkpoint = save_checkpoint(tmp_path / "certain.pt", certain_model)
    assert main(["predict", str(SAMPLES / "7_mouse_paper.png"), "--checkpoint", str(checkpoint)]) == 0
    printed = capsys.readouterr().out
    for text in (html.unescape(canvas.message.value), html.unescape(upload.results.value), printed):
        assert re.search(expected, text) and "100.0%" not in text and "0.0%" not in text, text


# ----------------------------------------------------------------------------- predict_files


def save_with_recipe(path, model, recipe):
    """A checkpoint carrying ``recipe`` (stored both ways: before and after checkpoints kept recipes)."""
    checkpoint = save_checkpoint(path, model)
    payload = torch.load(checkpoint, weights_only=True)
    payload["recipe"] = recipe
    payload["normalization"] = {"mean": recipe["mean"], "std": recipe["std"]}
    torch.save(payload, checkpoint)
    return checkpoint


def test_predict_files_uses_the_checkpoints_recipe(model, tmp_path):
    recipe = {"mean": 0.5, "std": 0.25, "preprocess": {}}
    checkpoint = save_with_recipe(tmp_path / "best.pt", model, recipe)
    paths = [SAMPLES / "3_dkg_paper.png", SAMPLES / "7_mouse_paper.png"]
    lines = predict_files(checkpoint, paths, k=3)
    assert len(lines) == 2
    default = predict(model, paths[0])[0]
    model.recipe = recipe
    for path, line in zip(paths, lines, strict=True):
        assert re.fullmatch(rf"{re.escape(str(path))}: (\d \(\d+\.\d%\)(, )?){{3}}", line), line
        assert line == f"{path}: {format_guesses(predict(model, path)[0])}"
    assert lines[0] != f"{paths[0]}: {format_guesses(default)}"


def test_predict_files_errors(model, tmp_path):
    checkpoint = save_checkpoint(tmp_path / "best.pt", model)
    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("hello")
    with pytest.raises(CheckpointError):
        predict_files(tmp_path / "missing.pt", [SAMPLES / "3_dkg_paper.png"])
    with pytest.raises(ValueError, match="notes.txt"):
        predict_files(checkpoint, [SAMPLES / "3_dkg_paper.png", not_an_image])
    with pytest.raises(ValueError, match="no image files"):
        predict_files(checkpoint, [])
    lines = predict_files(checkpoint, [not_an_image, SAMPLES / "3_dkg_paper.png"], keep_going=True)
    assert lines[0].startswith(f"{not_an_image}: error: ") and "not an image" in lines[0]
    assert lines[1].startswith(str(SAMPLES / "3_dkg_paper.png") + ": ")


# ----------------------------------------------------------------------------- shipped samples


@pytest.fixture(scope="module")
def trained() -> torch.nn.Module:
    """A softmax regression trained for a few seconds on 2,000 MNIST images."""
    from mnist_course.data import load_mnist
    from mnist_course.training import fit

    folder = os.environ.get("MNIST_COURSE_DATA") or (str(OFFLINE_MNIST) if OFFLINE_MNIST.is_dir() else "")
    if not folder:
        pytest.skip("no offline MNIST: set MNIST_COURSE_DATA")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_COURSE_DATA", folder)
        train = load_mnist("train")
    torch.manual_seed(0)
    model = SoftmaxRegression()
    fit(model, train, epochs=3, lr=0.1, subset=2000, progress=False)
    return model.eval()


def test_mnist_style_beats_the_naive_pipeline_on_the_shipped_samples(trained):
    labels = json.loads((SAMPLES / "labels.json").read_text())
    names = sorted(labels)
    truth = [labels[name] for name in names]
    mnist_style = [g[0][0] for g in predict(trained, [SAMPLES / name for name in names], k=1)]
    naive_images = torch.stack([naive_preprocess(SAMPLES / name) for name in names])  # (N, 1, 28, 28)
    naive = [g[0][0] for g in predict(trained, naive_images, k=1)]
    mnist_accuracy = np.mean(np.array(mnist_style) == truth)
    naive_accuracy = np.mean(np.array(naive) == truth)
    assert mnist_accuracy >= 0.6
    assert mnist_accuracy >= naive_accuracy + 0.3


def test_a_trained_model_reads_the_example_strokes(trained):
    correct = [predict_strokes(trained, scale_strokes(EXAMPLE_STROKES[d]))[1][0][0] == d for d in range(10)]
    assert sum(correct) >= 6


# ----------------------------------------------------------------------------- draw.py


def test_strokes_to_image_draws_thick_round_lines():
    image = strokes_to_image([[(40, 140), (240, 140)]], size=280, line_width=20)
    pixels = np.asarray(image)
    assert image.mode == "L" and image.size == (280, 280)
    assert pixels[140, 140] == 255 and pixels[0, 0] == 0
    assert (pixels[:, 140] > 128).sum() == pytest.approx(20, abs=2)  # the pen's width
    assert pixels[140, 35] > 128  # round cap beyond the end point
    dot = np.asarray(strokes_to_image([[(100, 100)]], line_width=10))
    assert dot[100, 100] == 255 and (dot > 128).sum() == pytest.approx(np.pi * 25, rel=0.2)
    wide = strokes_to_image([[(10, 10), (50, 50)]], size=(80, 60), ink=0, background=255)
    assert np.asarray(wide).shape == (60, 80) and np.asarray(wide)[0, 79] == 255


def test_predict_strokes_returns_the_input_and_guesses(model):
    image, guesses = predict_strokes(model, scale_strokes(EXAMPLE_STROKES[4]))
    assert image.shape == (1, 28, 28)
    check_guesses(guesses, 3)
    with pytest.raises(ValueError, match="Nothing is drawn"):
        predict_strokes(model, [])
    with pytest.raises(ValueError, match="Nothing is drawn"):
        predict_strokes(model, [[]])


def test_all_probabilities_and_chart(model):
    probabilities = all_probabilities(model, to_mnist(digit_image()))  # the model's own recipe
    assert len(probabilities) == 10 and sum(probabilities) == pytest.approx(1, abs=1e-5)
    png = probability_chart_png(probabilities)
    assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).size[0] > 100


def test_digit_canvas_draws_predicts_and_clears_without_a_browser(model):
    canvas = DigitCanvas(model)
    assert repr(canvas) == "DigitCanvas(size=280, line_width=22, k=3)"
    assert canvas._repr_mimebundle_()["text/plain"] == repr(canvas)
    assert canvas.predict() is None and "draw a digit first" in canvas.message.value
    for stroke in scale_strokes(EXAMPLE_STROKES[4]):
        canvas.add_stroke(stroke)
    assert len(canvas.strokes) == 2
    guesses = canvas.predict()
    check_guesses(guesses, 3)
    assert bytes(canvas.seen.value).startswith(b"\x89PNG")
    assert bytes(canvas.chart.value).startswith(b"\x89PNG")
    assert f"{guesses[0][0]} (" in canvas.message.value
    canvas.clear()
    assert canvas.strokes == [] and canvas.chart.layout.display == "none"
    assert np.asarray(Image.open(io.BytesIO(bytes(canvas.seen.value))))[..., :3].max() == 0  # black again


def test_digit_canvas_follows_the_mouse_and_touch(model):
    canvas = DigitCanvas(model)
    canvas._extend(10, 10)  # moving without pressing draws nothing
    assert canvas.strokes == []
    canvas._start(50, 50)
    canvas._extend(60, 80)
    canvas._stop(60, 80)
    canvas._extend(70, 90)  # released: ignored
    assert canvas.strokes == [[(50, 50), (60, 80)]]
    # touch events arrive as lists of (x, y)
    canvas.canvas._touch_start_callbacks([(100, 100)])
    canvas.canvas._touch_move_callbacks([(120, 150)])
    canvas.canvas._touch_end_callbacks([])
    assert canvas.strokes[-1] == [(100, 100), (120, 150)]
    # the mouse events as the browser sends them, through the registered callbacks
    canvas.canvas._mouse_down_callbacks(10, 20)
    canvas.canvas._mouse_move_callbacks(30, 40)
    canvas.canvas._mouse_out_callbacks(30, 40)
    canvas.canvas._mouse_move_callbacks(50, 60)  # left the canvas: ignored
    canvas.canvas._mouse_down_callbacks(70, 80)
    canvas.canvas._mouse_up_callbacks(70, 80)
    assert canvas.strokes[-2:] == [[(10, 20), (30, 40)], [(70, 80)]]


def upload_value(*files: tuple[str, bytes]) -> tuple[dict, ...]:
    """What FileUpload.value looks like after the browser sends ``files``."""
    when = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    return tuple(
        {"name": name, "type": "image/png", "size": len(data), "content": memoryview(data),
         "last_modified": when}
        for name, data in files
    )


def test_predict_uploads_reads_files_in_memory(model):
    files = upload_value(("seven.png", png_bytes(digit_image(7))), ("notes.txt", b"hello"))
    results = predict_uploads(model, files)
    assert [r["name"] for r in results] == ["seven.png", "notes.txt"]
    assert results[0]["image"].shape == (1, 28, 28)
    check_guesses(results[0]["guesses"], 3)
    assert "not an image" in results[1]["error"]


def test_digit_upload_shows_results_and_forgets_the_files(model):
    widget = DigitUpload(model)
    assert repr(widget) == "DigitUpload(accept='image/*', multiple=True, k=3)"
    assert widget.upload.accept == "image/*" and widget.upload.multiple
    widget.upload.value = upload_value(("a.png", png_bytes(digit_image(1))), ("b.png", b"\x89PNG broken"))
    assert widget.upload.value == ()  # cleared: the photos are not kept in the notebook
    rows = widget.results.value.split("\n")
    assert len(rows) == 2
    assert "a.png" in rows[0] and "%" in rows[0] and "data:image/png;base64," in rows[0]
    assert "b.png" in rows[1] and "not an image" in rows[1]


# ----------------------------------------------------------------------------- issue 10


def test_a_stack_of_mnist_images_is_that_many_images(trained, test_split):
    for n in (1, 2, 3, 4):
        images = test_split.images[:n]  # uint8 (n, 28, 28): already MNIST-style
        result = predict(trained, images, k=1)
        assert len(result) == n
        expected = trained((images.unsqueeze(1).float() / 255 - MNIST_MEAN) / MNIST_STD).argmax(1)
        assert [g[0][0] for g in result] == expected.tolist()
    assert len(predict(trained, test_split.images[:3].numpy())) == 3  # numpy alike
    assert len(predict(trained, test_split.images[:3].unsqueeze(1))) == 3  # (N, 1, 28, 28) uint8
    assert len(predict(trained, test_split.images[:2].float() / 255)) == 2  # float (N, 28, 28) in 0..1


def test_colour_pictures_are_channels_last_and_channels_first_is_explained(model):
    colour = np.asarray(digit_image(4).convert("RGB"))  # (280, 280, 3)
    assert len(predict(model, colour)) == 1
    with pytest.raises(ImageError, match=r"channels first.*transpose\(1, 2, 0\)"):
        predict(model, np.ascontiguousarray(colour.transpose(2, 0, 1)))  # (3, 280, 280)


def test_prepared_images_slightly_above_one_are_clipped(model):
    image = to_mnist(digit_image(3))
    assert predict(model, image * 1.02, k=10) == predict(model, (image * 1.02).clamp(0, 1), k=10)
    with pytest.raises(ValueError, match="0..1"):
        predict(model, image * 1.5)


@pytest.mark.parametrize("error", [NotImplementedError("corrupt DDS"), OSError("no"), RuntimeError("bug")])
def test_one_bad_upload_does_not_lose_the_others(model, monkeypatch, error):
    from PIL import ImageFile

    real_load = ImageFile.ImageFile.load

    def load(self):
        if self.format == "BMP":
            raise error
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    buffer = io.BytesIO()
    digit_image(2).save(buffer, format="BMP")
    files = upload_value(("one.png", png_bytes(digit_image(1))), ("bad.bmp", buffer.getvalue()),
                         ("seven.png", png_bytes(digit_image(7))))
    results = predict_uploads(model, files)
    assert [("guesses" in r, "error" in r) for r in results] == [(True, False), (False, True), (True, False)]
    assert type(error).__name__ in results[1]["error"]
    missing = predict_uploads(model, [{"name": "empty.png"}, {"name": "x.png", "content": None}])
    assert all("no 'content'" in r["error"] for r in missing)


def test_file_names_are_escaped_in_the_upload_html(model):
    widget = DigitUpload(model)
    evil = "<img src=x onerror=alert(1)>.png"
    widget.show(upload_value((evil, png_bytes(digit_image(1))), (evil, b"not an image")))
    assert "<img src=x" not in widget.results.value
    assert widget.results.value.count("&lt;img src=x onerror=alert(1)&gt;.png") == 2


def test_uploads_do_not_leak_widgets(model):
    import ipywidgets

    widget = DigitUpload(model)
    files = upload_value(("a.png", png_bytes(digit_image(1))), ("b.png", png_bytes(digit_image(2))),
                         ("c.png", b"broken"))
    widget.upload.value = files
    count = len(ipywidgets.widgets.widget._instances)
    for _ in range(3):
        widget.upload.value = files
    assert len(ipywidgets.widgets.widget._instances) == count


def test_predict_files_and_uploads_say_when_a_picture_is_not_one_digit(model, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import photos

    checkpoint = save_checkpoint(tmp_path / "best.pt", model)
    noise, two = tmp_path / "noise.png", tmp_path / "two.png"
    photos.noise().save(noise)
    photos.two_digits().save(two)
    lines = predict_files(checkpoint, [noise, two, SAMPLES / "3_dkg_paper.png"])
    assert lines[0].startswith(f"{noise}: this does not look like a single digit (")
    assert "separate" in lines[1] and "%" not in lines[1].split("(")[0]
    assert re.search(r": \d \(\d+\.\d%\)", lines[2])
    canvas = DigitCanvas(model)
    canvas.add_stroke([(40, 140), (100, 140)])
    canvas.add_stroke([(200, 140), (260, 140)])
    assert canvas.predict() is None or "does not look like a single digit" in canvas.message.value


# ----------------------------------------------------------------------------- issue 20


def test_a_strip_picture_is_handled_and_does_not_sink_the_others(model, tmp_path):
    strip = png_bytes(Image.new("L", (1000, 4), 200))
    files = upload_value(("one.png", png_bytes(digit_image(1))), ("strip.png", strip),
                         ("seven.png", png_bytes(digit_image(7))))
    results = predict_uploads(model, files)
    assert [r["name"] for r in results] == ["one.png", "strip.png", "seven.png"]
    assert "guesses" in results[0] and "guesses" in results[2]
    assert "guesses" not in results[1] or results[1]["problems"]  # no confident answer for a strip
    if "error" in results[1]:
        assert "Error" not in results[1]["error"]  # a sentence, not a Python exception's name
    widget = DigitUpload(model)
    widget.upload.value = files
    assert len(widget.results.value.split("\n")) == 3


def test_any_failure_reading_one_picture_becomes_its_error_line(model, tmp_path, monkeypatch):
    from mnist_course.cli.parser import main
    from mnist_course.handwriting import background

    real = background.estimate_background

    def fails_on_wide(image, *args, **kwargs):
        if image.shape[1] > 2 * image.shape[0]:
            raise RuntimeError("a bug in a cleaning step")
        return real(image, *args, **kwargs)

    monkeypatch.setattr(background, "estimate_background", fails_on_wide)
    checkpoint = save_checkpoint(tmp_path / "best.pt", model)
    wide = tmp_path / "wide.png"
    digit_image(4).resize((600, 200)).save(wide)
    good = SAMPLES / "3_dkg_paper.png"
    lines = predict_files(checkpoint, [good, wide, good], keep_going=True)
    assert lines[0].startswith(f"{good}: ") and lines[2] == lines[0]
    assert lines[1].startswith(f"{wide}: error: ") and "a bug in a cleaning step" in lines[1]
    assert main(["predict", "--checkpoint", str(checkpoint), str(good), str(wide)]) == 1
