"""Digits as strokes: lists of ``(x, y)`` points, rendered as lesson 5's canvas draws them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

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

#: One hand-drawn-looking example of each digit, as strokes in a unit square (x to the right, y down).
EXAMPLE_STROKES: dict[int, list[list[Point]]] = {
    0: [[(0.5 + 0.3 * np.sin(t), 0.5 - 0.44 * np.cos(t)) for t in np.linspace(0, 2.1 * np.pi, 40)]],
    1: [[(0.36, 0.22), (0.52, 0.05), (0.5, 0.5), (0.48, 0.95)]],
    2: [[(0.2, 0.25), (0.3, 0.1), (0.5, 0.04), (0.7, 0.1), (0.78, 0.25), (0.72, 0.42), (0.5, 0.62),
         (0.2, 0.92), (0.82, 0.92)]],
    3: [[(0.2, 0.12), (0.45, 0.04), (0.7, 0.1), (0.75, 0.25), (0.62, 0.4), (0.42, 0.47), (0.62, 0.52),
         (0.78, 0.66), (0.75, 0.84), (0.55, 0.95), (0.3, 0.93), (0.18, 0.84)]],
    4: [[(0.58, 0.05), (0.15, 0.65), (0.85, 0.65)], [(0.62, 0.3), (0.62, 0.97)]],
    5: [[(0.76, 0.06), (0.32, 0.06), (0.27, 0.45), (0.5, 0.4), (0.7, 0.48), (0.78, 0.66), (0.72, 0.85),
         (0.5, 0.95), (0.22, 0.9)]],
    6: [[(0.7, 0.05), (0.45, 0.2), (0.28, 0.45), (0.23, 0.7), (0.3, 0.88), (0.5, 0.96), (0.7, 0.88),
         (0.76, 0.7), (0.66, 0.55), (0.48, 0.52), (0.3, 0.62)]],
    7: [[(0.18, 0.08), (0.82, 0.08), (0.55, 0.5), (0.4, 0.95)]],
    8: [[(0.5 + 0.22 * np.sin(2 * t), 0.5 - 0.45 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 50)]],
    9: [[(0.5 + 0.22 * np.cos(t), 0.3 - 0.24 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 30)]
        + [(0.7, 0.6), (0.66, 0.95)]],
}
EXAMPLE_STROKES = {digit: [[(float(x), float(y)) for x, y in stroke] for stroke in strokes]
                   for digit, strokes in EXAMPLE_STROKES.items()}


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
