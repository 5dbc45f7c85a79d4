"""Turning any picture of a digit into an MNIST-style 28x28 input (lesson 5).

MNIST's digits were made in a particular way (LeCun et al.): light ink on a black
background, cropped to the ink, scaled so that the longest side is 20 pixels (keeping the
aspect ratio, with antialiasing), then placed in 28x28 with the centre of mass of the ink
at the centre. :func:`to_mnist` does the same, one small function per step, so lesson 5
can show each (:func:`preprocess_steps`):

1. :func:`~mnist_course.images.load_image`: read a file, bytes, PIL image or array.
2. :func:`to_grayscale`: one brightness per pixel; a transparent background is filled.
3. :func:`~mnist_course.paper.mask_outside_paper`: a table around the sheet takes the paper's colour.
4. :func:`invert_if_light_background`: dark ink on light paper becomes light on dark.
5. :func:`remove_background`: shadows and uneven light are estimated and taken away.
6. :func:`~mnist_course.lines.remove_lines`: ruled or squared paper lines, even tilted, are taken away.
7. :func:`stretch_contrast`: the background becomes 0 and the ink reaches 1.
8. :func:`~mnist_course.ink.keep_main_ink`: specks and marks far from the digit are dropped.
9. :func:`crop_to_ink`: cut away the empty border (``Image.getbbox``).
10. :func:`~mnist_course.thickness.thicken_strokes`: widen a thin pen line (``MaxFilter``).
11. :func:`fit_in_20x20`: scale the longest side to 20 pixels (``ImageOps.contain``).
12. :func:`center_by_mass`: place it in 28x28 with its centre of mass at the centre.

With ``to_mnist(image, deskew=True)`` a last step :func:`~mnist_course.deskew.deskew`
straightens slanted digits. :func:`~mnist_course.guard.digit_problems` says when a picture
does not look like one digit. :func:`naive_preprocess` is what the source tutorials did.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageOps

from .background import invert_if_light_background, remove_background, stretch_contrast, to_grayscale
from .images import ImageError, ImageLike, load_image
from .ink import keep_main_ink
from .lines import remove_lines
from .paper import mask_outside_paper
from .thickness import INK_THRESHOLD, thicken_strokes

#: Where MNIST puts the centre of mass of its digits (row, column), in pixels.
MNIST_CENTER = (14.0, 14.0)


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(image, dtype=np.float32))  # mode "F"


def crop_to_ink(image: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """Cut the image down to the smallest rectangle holding all the ink (``Image.getbbox``).

    Args:
        image: float ``(H, W)`` in 0..1, light digit on black.
        threshold: pixels brighter than this count as ink.

    Returns:
        float32 ``(h, w)``, the rectangle around the ink.

    Raises:
        ImageError: no pixel is brighter than ``threshold`` (a blank image).
    """
    box = Image.fromarray((image > threshold).astype(np.uint8)).getbbox()
    if box is None:
        raise ImageError("the image looks blank: no pixel is bright enough to be ink. "
                         "Draw or photograph a darker (or thicker) digit.")
    left, top, right, bottom = box
    return image[top:bottom, left:right].astype(np.float32)


def fit_in_20x20(image: np.ndarray, size: int = 20) -> np.ndarray:
    """Scale the digit so its longest side is ``size`` pixels, keeping its proportions.

    ``ImageOps.contain`` with Lanczos filtering (antialiasing); the result is rescaled so
    its brightest pixel is 1.

    Args:
        image: float ``(h, w)`` in 0..1, cropped to the ink.
        size: the longest side after scaling (MNIST uses 20).

    Returns:
        float32 ``(size, w')`` or ``(h', size)`` in 0..1.
    """
    try:
        fitted = ImageOps.contain(_pil(image), (size, size), Image.Resampling.LANCZOS)
    except ValueError:  # Pillow < 13 refuses a side that rounds to 0 pixels
        fitted = None
    if fitted is None or min(fitted.size) == 0:  # a hair-thin line: keep at least one pixel
        long_side = max(image.shape)
        height, width = (max(1, round(side * size / long_side)) for side in image.shape)
        fitted = _pil(image).resize((width, height), Image.Resampling.LANCZOS)
    result = np.clip(np.asarray(fitted, dtype=np.float32), 0.0, 1.0)
    peak = float(result.max())
    return result / peak if peak > 0 else result


def center_of_mass(image: np.ndarray | torch.Tensor) -> tuple[float, float]:
    """Return the brightness-weighted mean (row, column) of an ``(H, W)`` or ``(1, H, W)`` image."""
    pixels = np.asarray(image.detach().cpu() if isinstance(image, torch.Tensor) else image, dtype=np.float64)
    pixels = pixels.reshape(pixels.shape[-2:])
    total = pixels.sum()
    if total <= 0:
        raise ImageError("the image is black everywhere: it has no centre of mass.")
    rows = np.arange(pixels.shape[0]) @ pixels.sum(axis=1) / total
    cols = np.arange(pixels.shape[1]) @ pixels.sum(axis=0) / total
    return float(rows), float(cols)


def center_by_mass(image: np.ndarray, size: int = 28) -> np.ndarray:
    """Place the digit in a ``size`` x ``size`` black image with its centre of mass at the centre.

    The shift is rounded to whole pixels and limited so the digit stays inside.

    Args:
        image: float ``(h, w)`` in 0..1, at most ``size`` pixels each way.
        size: the side of the result (MNIST: 28, centre of mass at (14, 14)).

    Returns:
        float32 ``(size, size)`` in 0..1.
    """
    h, w = image.shape
    if h > size or w > size:
        raise ImageError(f"the digit is {h} x {w} pixels, too big for a {size} x {size} image.")
    row, col = center_of_mass(image)
    top = int(np.clip(round(size / 28 * MNIST_CENTER[0] - row), 0, size - h))
    left = int(np.clip(round(size / 28 * MNIST_CENTER[1] - col), 0, size - w))
    result = np.zeros((size, size), dtype=np.float32)
    result[top : top + h, left : left + w] = image
    return result


def preprocess_steps(image: ImageLike, deskew: bool = False) -> dict[str, np.ndarray]:
    """Run every step of :func:`to_mnist` and keep each intermediate image (lesson 5).

    Args:
        image: anything :func:`~mnist_course.images.load_image` accepts.
        deskew: also straighten a slanted digit (:func:`~mnist_course.deskew.deskew`).

    Returns:
        An ordered dict from step name to image: ``"loaded"`` (uint8, as loaded), then
        float32 2-D arrays in 0..1: ``"grayscale"``, ``"paper found"``, ``"inverted"``,
        ``"background removed"``, ``"lines removed"``, ``"stretched"``, ``"specks removed"``,
        ``"cropped"``, ``"thickened"``, ``"20x20"``, ``"28x28"`` (and ``"deskewed"``).

    Raises:
        ImageError: the image cannot be used; the message says why.
    """
    loaded = load_image(image)
    steps: dict[str, np.ndarray] = {"loaded": np.asarray(loaded)}
    steps["grayscale"] = to_grayscale(loaded)
    steps["paper found"] = mask_outside_paper(steps["grayscale"])
    steps["inverted"] = invert_if_light_background(steps["paper found"])
    steps["background removed"] = remove_background(steps["inverted"])
    steps["lines removed"] = remove_lines(steps["background removed"])
    steps["stretched"] = stretch_contrast(steps["lines removed"])
    steps["specks removed"] = keep_main_ink(steps["stretched"])
    steps["cropped"] = crop_to_ink(steps["specks removed"])
    steps["thickened"] = thicken_strokes(steps["cropped"])
    steps["20x20"] = fit_in_20x20(steps["thickened"])
    steps["28x28"] = center_by_mass(steps["20x20"])
    if deskew:
        from .deskew import deskew as straighten

        steps["deskewed"] = straighten(steps["28x28"])
    return steps


def to_mnist(image: ImageLike, deskew: bool = False) -> torch.Tensor:
    """Turn a picture of one digit into an MNIST-style input, the way MNIST was made.

    Applying it to an MNIST image changes it very little. A model's ``recipe`` (see
    :mod:`mnist_course.predict`) holds the keyword arguments its inputs need.

    Args:
        image: a PIL image, numpy array, torch tensor, file path or the bytes of an image
            file (see :func:`~mnist_course.images.load_image`).
        deskew: straighten a slanted digit by its image moments (off by default; use it
            only with a model trained on deskewed digits).

    Returns:
        float32 tensor ``(1, 28, 28)`` in 0..1, not normalised (like ``ToTensor()``).

    Raises:
        ImageError: (a ``ValueError``) the image cannot be used; the message says why.
    """
    steps = preprocess_steps(image, deskew=deskew)
    return torch.from_numpy(steps["deskewed" if deskew else "28x28"].copy()).unsqueeze(0)


def naive_preprocess(image: ImageLike) -> torch.Tensor:
    """The source tutorials' pipeline: ``convert('L')``, ``Resize((28, 28))``, ``ToTensor()``.

    Kept to show in lesson 5 why it fails: it neither inverts, crops, keeps the
    proportions nor centres, and ``convert('L')`` drops transparency.

    Args:
        image: anything :func:`~mnist_course.images.load_image` accepts.

    Returns:
        float32 tensor ``(1, 28, 28)`` in 0..1.
    """
    from torchvision import transforms

    naive = transforms.Compose([transforms.Resize((28, 28)), transforms.ToTensor()])
    return naive(load_image(image).convert("L"))
