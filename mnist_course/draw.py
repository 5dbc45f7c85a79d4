"""Draw a digit with the mouse (or a finger) and upload photos: lesson 5's widgets.

The widgets only wire buttons to plain functions, and those functions can be called
without a browser, which is how the tests and the lesson's CI run use them:

* :func:`strokes_to_image` renders strokes (lists of ``(x, y)`` points) the way the
  canvas shows them: thick round lines, like a marker.
* :func:`predict_strokes` turns strokes into the model's top guesses.
* :func:`predict_uploads` reads the files of a ``FileUpload`` in memory (nothing is
  written to disk) and predicts each one.
* :func:`digit_canvas` and :func:`upload_digits` build the widgets; displaying them
  runs nothing. Drawing and predicting happen only when the student clicks.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

from .data import MNIST_MEAN, MNIST_STD
from .predict import format_guesses, predict
from .preprocess import to_mnist

#: Side of the drawing canvas in pixels (ten times MNIST's 28).
CANVAS_SIZE = 280
#: Pen width in canvas pixels: a digit drawn across most of the canvas then has strokes
#: about as thick, relative to its size, as MNIST's.
LINE_WIDTH = 22

Point = tuple[float, float]
Stroke = Sequence[Point]

#: One hand-drawn-looking example of each digit, as strokes in a unit square
#: (x to the right, y down). Used by the tests, the shipped samples and the lesson.
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
EXAMPLE_STROKES = {
    digit: [[(float(x), float(y)) for x, y in stroke] for stroke in strokes]
    for digit, strokes in EXAMPLE_STROKES.items()
}


def scale_strokes(
    strokes: Sequence[Stroke], size: float = CANVAS_SIZE, margin: float = 0.15
) -> list[list[Point]]:
    """Map strokes from the unit square onto a canvas, leaving a margin.

    Args:
        strokes: strokes with coordinates in 0..1, e.g. ``EXAMPLE_STROKES[7]``.
        size: the canvas side in pixels.
        margin: the fraction of the canvas left empty on each side.

    Returns:
        The strokes in canvas pixels.
    """
    span = size * (1 - 2 * margin)
    return [[(size * margin + x * span, size * margin + y * span) for x, y in stroke] for stroke in strokes]


def strokes_to_image(
    strokes: Sequence[Stroke],
    size: int | tuple[int, int] = CANVAS_SIZE,
    line_width: float = LINE_WIDTH,
    ink: int = 255,
    background: int = 0,
) -> Image.Image:
    """Render strokes as thick round lines, the way the drawing canvas shows them.

    Drawn at twice the size and shrunk, so the edges are smooth (antialiased).

    Args:
        strokes: each stroke a list of ``(x, y)`` points in canvas pixels; a stroke of
            one point is a dot.
        size: canvas side, or ``(width, height)``.
        line_width: pen width in pixels.
        ink: pen brightness 0..255 (255: white pen, like the canvas).
        background: paper brightness 0..255.

    Returns:
        A grayscale (mode ``"L"``) PIL image.
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


def predict_strokes(
    model: nn.Module,
    strokes: Sequence[Stroke],
    k: int = 3,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
    size: int = CANVAS_SIZE,
    line_width: float = LINE_WIDTH,
) -> tuple[torch.Tensor, list[tuple[int, float]]]:
    """Predict the digit drawn by ``strokes``: what the canvas's Predict button does.

    Args:
        model: a trained network.
        strokes: lists of ``(x, y)`` points in canvas pixels.
        k: how many guesses to return.
        mean: the normalisation mean the model was trained with.
        std: the normalisation standard deviation.
        size: the canvas side in pixels.
        line_width: pen width in pixels.

    Returns:
        ``(image, guesses)``: the ``(1, 28, 28)`` input the model saw, and its ``k``
        most likely ``(digit, probability)`` pairs, most likely first.

    Raises:
        ValueError: nothing was drawn.
    """
    if not any(len(stroke) for stroke in strokes):
        raise ValueError("Nothing is drawn yet: draw a digit first.")
    image = to_mnist(strokes_to_image(strokes, size, line_width))
    return image, predict(model, image, k=k, mean=mean, std=std)[0]


def all_probabilities(model: nn.Module, image: torch.Tensor, mean: float = MNIST_MEAN,
                      std: float = MNIST_STD) -> list[float]:
    """Return the model's probability for each digit 0..9 for one prepared image.

    Args:
        model: a trained network.
        image: ``(1, 28, 28)`` in 0..1, from :func:`~mnist_course.preprocess.to_mnist`.
        mean: the normalisation mean.
        std: the normalisation standard deviation.

    Returns:
        Ten probabilities, for digits 0 to 9.
    """
    ranked = predict(model, image, k=10, mean=mean, std=std)[0]
    return [p for _, p in sorted(ranked)]


def input_png(image: torch.Tensor, scale: int = 5) -> bytes:
    """Enlarge a ``(1, 28, 28)`` image (sharp pixels) and encode it as PNG bytes.

    Args:
        image: values in 0..1.
        scale: pixels per MNIST pixel.

    Returns:
        The PNG file's bytes, for an ``ipywidgets.Image``.
    """
    pixels = (image.detach().cpu().reshape(28, 28).clamp(0, 1) * 255).round().byte().numpy()
    big = Image.fromarray(pixels).resize((28 * scale, 28 * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    big.save(buffer, format="PNG")
    return buffer.getvalue()


def probability_chart_png(probabilities: Sequence[float], width: float = 3.2, height: float = 1.8) -> bytes:
    """Draw a bar chart of the ten probabilities and encode it as PNG bytes.

    Uses a standalone matplotlib ``Figure`` (no pyplot), so nothing appears in the
    notebook by itself and no figure is left open.

    Args:
        probabilities: ten numbers for digits 0..9.
        width: figure width in inches.
        height: figure height in inches.

    Returns:
        The PNG file's bytes.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=80, layout="constrained")
    ax = fig.subplots()
    best = int(np.argmax(probabilities))
    colors = ["tab:orange" if d == best else "tab:blue" for d in range(10)]
    ax.bar(range(10), probabilities, color=colors)
    ax.set_xticks(range(10))
    ax.set_ylim(0, 1)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


@functools.cache
def _blank_input() -> bytes:
    """A black 28x28 square, shown until the first prediction."""
    return input_png(torch.zeros(1, 28, 28))


class DigitCanvas(widgets.HBox):
    """A canvas to draw a digit on, with Predict and Clear buttons (lesson 5).

    Draw with the mouse or a finger (white pen on black, like MNIST); Predict shows
    the 28x28 image the model sees and a bar chart of its ten probabilities. Building
    and displaying it runs nothing; the strokes are kept in :attr:`strokes`, and
    :meth:`add_stroke` and :meth:`predict` let code drive it without a browser.

    Args:
        model: a trained network.
        mean: the normalisation mean it was trained with.
        std: the normalisation standard deviation.
        size: canvas side in pixels.
        line_width: pen width in pixels.
        k: how many guesses to list.
    """

    def __init__(
        self,
        model: nn.Module,
        mean: float = MNIST_MEAN,
        std: float = MNIST_STD,
        size: int = CANVAS_SIZE,
        line_width: float = LINE_WIDTH,
        k: int = 3,
    ) -> None:
        from ipycanvas import Canvas

        self.model, self.mean, self.std, self.k = model, mean, std, k
        self.size, self.line_width = size, line_width
        self.strokes: list[list[Point]] = []
        self._drawing = False
        self.canvas = Canvas(width=size, height=size, layout=widgets.Layout(
            width=f"{size}px", height=f"{size}px", border="1px solid gray"))
        self.predict_button = widgets.Button(description="Predict", button_style="primary", icon="magic")
        self.clear_button = widgets.Button(description="Clear", icon="eraser")
        self.seen = widgets.Image(value=_blank_input(), format="png",
                                  layout=widgets.Layout(width="140px", height="140px"))
        self.chart = widgets.Image(format="png", layout=widgets.Layout(display="none"))
        self.message = widgets.HTML("Draw a digit, then press <b>Predict</b>.")
        self.predict_button.on_click(lambda _: self.predict())
        self.clear_button.on_click(lambda _: self.clear())
        self.canvas.on_mouse_down(self._start)
        self.canvas.on_mouse_move(self._extend)
        self.canvas.on_mouse_up(self._stop)
        self.canvas.on_mouse_out(self._stop)
        self.canvas.on_touch_start(lambda touches: self._start(*touches[0]))
        self.canvas.on_touch_move(lambda touches: self._extend(*touches[0]))
        self.canvas.on_touch_end(lambda touches: self._stop())
        self.canvas.on_touch_cancel(lambda touches: self._stop())
        self._paper()
        buttons = widgets.HBox([self.predict_button, self.clear_button])
        right = widgets.VBox([widgets.HTML("What the model sees:"), self.seen, self.chart])
        super().__init__([widgets.VBox([self.canvas, buttons, self.message]), right])

    def __repr__(self) -> str:
        return f"DigitCanvas(size={self.size}, line_width={self.line_width}, k={self.k})"

    def _paper(self) -> None:
        self.canvas.fill_style = "black"
        self.canvas.fill_rect(0, 0, self.size, self.size)
        self.canvas.stroke_style = "white"
        self.canvas.fill_style = "white"
        self.canvas.line_width = self.line_width
        self.canvas.line_cap = "round"
        self.canvas.line_join = "round"

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
        """Draw one stroke from code, as if the mouse had moved through ``points``.

        Args:
            points: ``(x, y)`` positions in canvas pixels.
        """
        points = list(points)
        if not points:
            return
        self._start(*points[0])
        for x, y in points[1:]:
            self._extend(x, y)
        self._stop()

    def clear(self) -> None:
        """Forget the strokes and blank the canvas and the results."""
        self.strokes = []
        self._drawing = False
        self._paper()
        self.seen.value = _blank_input()
        self.chart.value = b""
        self.chart.layout.display = "none"
        self.message.value = "Draw a digit, then press <b>Predict</b>."

    def predict(self) -> list[tuple[int, float]] | None:
        """Predict the drawn digit and show the model's input and probabilities.

        Returns:
            The ``k`` most likely ``(digit, probability)`` pairs, or ``None`` when
            nothing is drawn (the message then says so).
        """
        try:
            image, guesses = predict_strokes(self.model, self.strokes, self.k, self.mean, self.std,
                                             self.size, self.line_width)
        except ValueError as exc:
            self.message.value = f"<span style='color:#b00'>{exc}</span>"
            return None
        self.seen.value = input_png(image)
        self.chart.value = probability_chart_png(all_probabilities(self.model, image, self.mean, self.std))
        self.chart.layout.display = None
        self.message.value = f"Top {self.k}: <b>{format_guesses(guesses)}</b>"
        return guesses


def digit_canvas(
    model: nn.Module, mean: float = MNIST_MEAN, std: float = MNIST_STD, k: int = 3
) -> DigitCanvas:
    """Build the drawing canvas for ``model`` (display it as a cell's last line).

    Args:
        model: a trained network.
        mean: the normalisation mean it was trained with.
        std: the normalisation standard deviation.
        k: how many guesses to list.

    Returns:
        A :class:`DigitCanvas` widget.
    """
    return DigitCanvas(model, mean, std, k=k)


def predict_uploads(
    model: nn.Module,
    files: Sequence[dict],
    k: int = 3,
    mean: float = MNIST_MEAN,
    std: float = MNIST_STD,
) -> list[dict]:
    """Predict each uploaded file, reading it from memory only.

    Args:
        model: a trained network.
        files: the ``value`` of an ``ipywidgets.FileUpload``: dicts with ``"name"`` and
            ``"content"`` (the file's bytes).
        k: how many guesses per file.
        mean: the normalisation mean.
        std: the normalisation standard deviation.

    Returns:
        One dict per file with ``"name"``, and either ``"image"`` (the ``(1, 28, 28)``
        input) and ``"guesses"``, or ``"error"`` (a message saying why it failed).
    """
    results = []
    for file in files:
        name = str(file.get("name", "upload"))
        try:
            image = to_mnist(file["content"])
        except (ValueError, KeyError) as exc:
            results.append({"name": name, "error": str(exc)})
            continue
        results.append({"name": name, "image": image, "guesses": predict(model, image, k, mean, std)[0]})
    return results


class DigitUpload(widgets.VBox):
    """A button to upload photos or scans of digits and see the model's guesses (lesson 5).

    Files are read in memory, never saved to disk, and the upload's ``value`` is
    emptied after use, so the photos are not stored in the notebook.

    Args:
        model: a trained network.
        mean: the normalisation mean it was trained with.
        std: the normalisation standard deviation.
        k: how many guesses per file.
    """

    def __init__(
        self, model: nn.Module, mean: float = MNIST_MEAN, std: float = MNIST_STD, k: int = 3
    ) -> None:
        self.model, self.mean, self.std, self.k = model, mean, std, k
        self.upload = widgets.FileUpload(accept="image/*", multiple=True, description="Upload digits")
        self.results = widgets.VBox([])
        self.upload.observe(self._on_upload, names="value")
        super().__init__([self.upload, self.results])

    def __repr__(self) -> str:
        return f"DigitUpload(accept='image/*', multiple=True, k={self.k})"

    def _on_upload(self, change: dict) -> None:
        if change["new"]:
            self.show(change["new"])
            self.upload.value = ()  # forget the files: they are not kept in the notebook

    def show(self, files: Sequence[dict]) -> list[dict]:
        """Predict ``files`` (a ``FileUpload`` value) and show one row per file.

        Args:
            files: dicts with ``"name"`` and ``"content"``.

        Returns:
            What :func:`predict_uploads` returned.
        """
        results = predict_uploads(self.model, files, self.k, self.mean, self.std)
        rows = []
        for result in results:
            if "error" in result:
                text = f"<b>{result['name']}</b>: <span style='color:#b00'>{result['error']}</span>"
                rows.append(widgets.HTML(text))
                continue
            seen = widgets.Image(value=input_png(result["image"], scale=3), format="png")
            text = widgets.HTML(f"<b>{result['name']}</b>: {format_guesses(result['guesses'])}")
            rows.append(widgets.HBox([seen, text]))
        self.results.children = rows
        return results


def upload_digits(
    model: nn.Module, mean: float = MNIST_MEAN, std: float = MNIST_STD, k: int = 3
) -> DigitUpload:
    """Build the upload widget for ``model`` (display it as a cell's last line).

    Args:
        model: a trained network.
        mean: the normalisation mean it was trained with.
        std: the normalisation standard deviation.
        k: how many guesses per file.

    Returns:
        A :class:`DigitUpload` widget.
    """
    return DigitUpload(model, mean, std, k)
