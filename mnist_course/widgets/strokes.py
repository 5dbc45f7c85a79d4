"""Digits as strokes: lists of ``(x, y)`` points, rendered as lesson 5's canvas draws them."""

from __future__ import annotations

import json
from collections.abc import Sequence

import torch
from PIL import Image, ImageDraw
from torch import nn

from ..data import SAMPLES_DIR
from ..handwriting.predict import predict
from ..handwriting.preprocess import to_mnist
from ..recipe import Recipe

#: Side of the drawing canvas in pixels (ten times MNIST's 28).
CANVAS_SIZE = 280
#: Pen width in canvas pixels: a digit drawn across most of the canvas then has strokes
#: about as thick, relative to its size, as MNIST's.
LINE_WIDTH = 22

Point = tuple[float, float]
Stroke = Sequence[Point]

#: One hand-drawn-looking example of each digit, as strokes in a unit square (x to the right, y down),
#: from ``samples/example_strokes.json`` (0, 8 and 9 are points on curves: 0 an ellipse, x = 0.5 + 0.3 sin t,
#: y = 0.5 - 0.44 cos t; 8 a figure eight, x = 0.5 + 0.22 sin 2t, y = 0.5 - 0.45 cos t; 9 a circle of
#: radius 0.22-0.24 around (0.5, 0.3) and a tail). ``tools/make_samples.py`` draws the samples from them.
EXAMPLE_STROKES: dict[int, list[list[Point]]] = {
    int(digit): [[tuple(point) for point in stroke] for stroke in strokes]
    for digit, strokes in json.loads((SAMPLES_DIR / "example_strokes.json").read_text()).items()}


def scale_strokes(strokes: Sequence[Stroke], size: float = CANVAS_SIZE,
                  margin: float = 0.15) -> list[list[Point]]:
    """Map strokes from the unit square onto a ``size`` pixel canvas, leaving a ``margin`` fraction."""
    span = size * (1 - 2 * margin)
    return [[(size * margin + x * span, size * margin + y * span) for x, y in stroke] for stroke in strokes]


def strokes_to_image(strokes: Sequence[Stroke], size: int | tuple[int, int] = CANVAS_SIZE,
                     line_width: float = LINE_WIDTH, ink: int = 255, background: int = 0) -> Image.Image:
    """Render strokes as thick round antialiased lines, as the canvas shows them; a mode ``"L"`` image.

    Args:
        strokes: lists of ``(x, y)`` points in canvas pixels; a stroke of one point is a dot.
        size: canvas side, or ``(width, height)``.
        line_width: pen width in pixels.
        ink: pen brightness 0..255.
        background: paper brightness 0..255.
    """
    width, height = (size, size) if isinstance(size, int) else size
    big = Image.new("L", (2 * width, 2 * height), background)
    pen = ImageDraw.Draw(big)
    radius = line_width  # half the width, at twice the size
    for stroke in strokes:
        points = [(2 * float(x), 2 * float(y)) for x, y in stroke]
        if len(points) > 1:
            pen.line(points, fill=ink, width=round(2 * line_width), joint="curve")
        for x, y in points:  # round caps and joints
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ink)
    return big.resize((width, height), Image.Resampling.BOX)


def predict_strokes(model: nn.Module, strokes: Sequence[Stroke], k: int = 3, size: int = CANVAS_SIZE,
                    line_width: float = LINE_WIDTH) -> tuple[torch.Tensor, list[tuple[int, float]]]:
    """Predict the digit drawn by ``strokes`` (in canvas pixels), as the canvas does without the guard.

    Returns:
        ``(image, guesses)``: the ``(1, 28, 28)`` input and its ``k`` best ``(digit, probability)``.

    Raises:
        ValueError: nothing was drawn.
    """
    if not any(len(stroke) for stroke in strokes):
        raise ValueError("Nothing is drawn yet: draw a digit first.")
    image = to_mnist(strokes_to_image(strokes, size, line_width), **Recipe.of(model).preprocess)
    return image, predict(model, image, k=k)[0]
