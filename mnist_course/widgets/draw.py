"""Lesson 5's widgets: draw a digit with the mouse (or a finger), or upload photos.

The buttons call plain functions that also run without a browser (the tests use them).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import torch
from torch import nn

from ..handwriting.predict import all_probabilities
from ..handwriting.reading import predict_uploads, read_pictures, result_text
from . import in_colour
from .pictures import digit_png, probability_chart_png
from .strokes import CANVAS_SIZE, LINE_WIDTH, Point, Stroke, strokes_to_image


def _describe(result: dict, k: int) -> str:
    """``reading.result_text`` as HTML: an error in red, problems in orange, the guesses in bold.

    The colours are JupyterLab's own error and warning colours, readable in its light and dark themes.
    """
    text = html.escape(result_text(result))
    if "error" in result or result["problems"]:
        return in_colour(text, "error" if "error" in result else "warning")
    return f"Top {k}: <b>{text}</b>"


def _row(result: dict, k: int) -> str:
    """One upload as HTML: what the model saw (if the picture could be read), its name, :func:`_describe`."""
    data = base64.b64encode(digit_png(result["image"], scale=3)).decode("ascii") if "image" in result else ""
    picture = f"<img src='data:image/png;base64,{data}' width='84' height='84'> " if data else ""
    return f"<div>{picture}<b>{html.escape(result['name'])}</b>: {_describe(result, k)}</div>"


def _first_finger(pen: Callable[..., None]) -> Callable[[list[Point]], None]:
    """A touch callback (a list of ``(x, y)``, one per finger) that moves ``pen`` like the mouse."""
    return lambda touches: pen(*touches[0]) if touches else pen()


class DigitCanvas(widgets.HBox):
    """A canvas to draw a digit on, with Predict and Clear buttons (lesson 5).

    Args:
        model: a trained network (with its recipe).
        size: canvas side in pixels.
        line_width: pen width in pixels.
        k: how many guesses to list.
    """

    def __init__(self, model: nn.Module, size: int = CANVAS_SIZE, line_width: float = LINE_WIDTH,
                 k: int = 3) -> None:
        from ipycanvas import Canvas

        self.model, self.k, self.size, self.line_width = model, k, size, line_width
        self.canvas = Canvas(width=size, height=size, layout=widgets.Layout(
            width=f"{size}px", height=f"{size}px", border="1px solid gray"))
        self.predict_button = widgets.Button(description="Predict", button_style="primary", icon="magic")
        self.clear_button = widgets.Button(description="Clear", icon="eraser")
        self.seen = widgets.Image(format="png", layout=widgets.Layout(width="140px", height="140px"))
        self.chart = widgets.Image(format="png")
        self.message = widgets.HTML()
        self.predict_button.on_click(lambda _: self.predict())
        self.clear_button.on_click(lambda _: self.clear())
        for mouse, touch, pen in (("down", "start", self._start), ("move", "move", self._extend),
                                  ("up", "end", self._stop), ("out", "cancel", self._stop)):
            getattr(self.canvas, f"on_mouse_{mouse}")(pen)  # pen(x, y)
            getattr(self.canvas, f"on_touch_{touch}")(_first_finger(pen))
        self.clear()
        buttons = widgets.HBox([self.predict_button, self.clear_button])
        right = widgets.VBox([widgets.HTML("What the model sees:"), self.seen, self.chart])
        super().__init__([widgets.VBox([self.canvas, buttons, self.message]), right])

    def __repr__(self) -> str:
        return f"DigitCanvas(size={self.size}, line_width={self.line_width}, k={self.k})"

    def _start(self, x: float, y: float) -> None:
        self._drawing = True
        self.strokes.append([(x, y)])
        self.canvas.fill_circle(x, y, self.line_width / 2)

    def _extend(self, x: float, y: float) -> None:
        if not self._drawing:
            return
        x0, y0 = self.strokes[-1][-1]
        self.strokes[-1].append((x, y))
        self.canvas.stroke_line(x0, y0, x, y)

    def _stop(self, *_: float) -> None:
        self._drawing = False

    def add_stroke(self, points: Stroke) -> None:
        """Draw one stroke from code through ``points`` (``(x, y)`` in canvas pixels), as the mouse would."""
        for i, (x, y) in enumerate(points):
            (self._extend if i else self._start)(x, y)  # the first point puts the pen down
        self._stop()

    def clear(self) -> None:
        """Forget the strokes and blank the canvas and the results."""
        self.strokes: list[list[Point]] = []
        self._drawing = False
        canvas = self.canvas
        canvas.fill_style = "black"
        canvas.fill_rect(0, 0, self.size, self.size)
        canvas.stroke_style = canvas.fill_style = "white"
        canvas.line_width = self.line_width
        canvas.line_cap = canvas.line_join = "round"
        self.seen.value = digit_png(torch.zeros(1, 28, 28))  # black until the first prediction
        self.chart.value = b""
        self.chart.layout.display = "none"
        self.message.value = "Draw a digit, then press <b>Predict</b>."

    def predict(self) -> list[tuple[int, float]] | None:
        """Predict the drawn digit; show the model's input and probabilities.

        Returns:
            The ``k`` most likely ``(digit, probability)`` pairs, or ``None`` when nothing is drawn.
        """
        if not any(len(stroke) for stroke in self.strokes):
            self.message.value = in_colour("Nothing is drawn yet: draw a digit first.")
            return None
        drawing = strokes_to_image(self.strokes, self.size, self.line_width)
        result = read_pictures(self.model, [("your drawing", drawing)], self.k)[0]
        if "error" not in result:
            self.seen.value = digit_png(result["image"])
            self.chart.value = probability_chart_png(all_probabilities(self.model, result["image"]))
            self.chart.layout.display = None
        self.message.value = _describe(result, self.k)  # last: the pictures are there when it changes
        return result.get("guesses")


class DigitUpload(widgets.VBox):
    """A button to upload photos or scans of digits and see the model's guesses (lesson 5).

    The files are read in memory and the upload's ``value`` is emptied after use, so the photos
    are not stored in the notebook.

    Args:
        model: a trained network (with its recipe).
        k: how many guesses per file.
    """

    def __init__(self, model: nn.Module, k: int = 3) -> None:
        self.model, self.k = model, k
        self.upload = widgets.FileUpload(accept="image/*", multiple=True, description="Upload digits")
        self.results = widgets.HTML("")
        self.upload.observe(self._on_upload, names="value")
        super().__init__([self.upload, self.results])

    def __repr__(self) -> str:
        return f"DigitUpload(accept='image/*', multiple=True, k={self.k})"

    def _on_upload(self, change: dict) -> None:
        if change["new"]:
            self.show(change["new"])
            self.upload.value = ()  # forget the files: they are not kept in the notebook

    def show(self, files: Sequence[dict]) -> list[dict]:
        """Predict ``files`` (a ``FileUpload`` value) and show one row per file; return the results."""
        results = predict_uploads(self.model, files, self.k)
        self.results.value = "\n".join(_row(result, self.k) for result in results)
        return results
