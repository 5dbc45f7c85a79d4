"""Removing the paper from a picture of a digit: background, shadows, ruled lines (lesson 5).

Steps 2, 4, 5 and 7 of :func:`~mnist_course.preprocess.to_mnist`: one brightness per pixel, light
or dark paper judged from the picture's border (:mod:`mnist_course.paper` first paints a table
around the sheet in the paper's colour), the background estimated by a morphological opening and
taken away, and the contrast stretched to 0..1. Ruled lines: :mod:`mnist_course.lines`.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .images import ImageError, standard_mode

#: Pixels at least this bright (0..1) count as ink when looking for lines.
INK_THRESHOLD = 0.2
#: Weakest difference between ink and background that is still a digit, not a blank page.
MIN_CONTRAST = 0.1
#: The background is estimated from shapes wider than this fraction of the picture's shorter side.
BACKGROUND_WINDOW = 0.3
#: ...and, in a picture at least ``MIN_MEDIAN_SIDE`` pixels on its shorter side, as the level
#: that ``BACKGROUND_RANK`` of the pixels in a window of ``BACKGROUND_MEDIAN`` of it stay under.
BACKGROUND_MEDIAN, BACKGROUND_RANK, MIN_MEDIAN_SIDE = 0.6, 0.4, 56


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(image, dtype=np.float32))  # mode "F"


def to_grayscale(image: Image.Image) -> np.ndarray:
    """Turn an image into one brightness per pixel, filling in a transparent background.

    Transparent pixels are laid over white paper when the visible ink is dark (the usual
    case), over black when it is light (a white pen on a transparent canvas).

    Args:
        image: a PIL image from :func:`~mnist_course.images.load_image`.

    Returns:
        float32 ``(H, W)`` in 0..1 (0 = black, 1 = white).
    """
    image = standard_mode(image)
    gray = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    if image.mode not in ("LA", "RGBA"):
        return gray
    alpha = np.asarray(image.getchannel("A"), dtype=np.float32) / 255.0
    if alpha.sum() == 0:
        raise ImageError("the image is completely transparent: there is no digit in it.")
    background = 0.0 if float((gray * alpha).sum() / alpha.sum()) > 0.5 else 1.0
    return gray * alpha + background * (1.0 - alpha)


def border_level(gray: np.ndarray) -> float:
    """Estimate the background brightness as the median of the pixels along the border.

    Args:
        gray: float ``(H, W)`` in 0..1.

    Returns:
        The median border brightness, 0..1.
    """
    ring = max(1, round(0.03 * min(gray.shape)))
    border = np.concatenate([gray[:ring].ravel(), gray[-ring:].ravel(), gray[:, :ring].ravel(),
                             gray[:, -ring:].ravel()])
    return float(np.median(border))


def has_light_background(gray: np.ndarray) -> bool:
    """Say whether the background is lighter than mid-gray: the border of the image, or the
    picture as a whole (its median: the ink is a small part of it) when vignetting or a
    shadow darkens the border of a photo of paper."""
    return max(border_level(gray), float(np.median(gray))) > 0.5


def invert_if_light_background(gray: np.ndarray) -> np.ndarray:
    """Make the digit light on a dark background, like MNIST, inverting if needed.

    Args:
        gray: float ``(H, W)`` in 0..1.

    Returns:
        float32 ``(H, W)``: ``1 - gray`` when the background is light, else ``gray``.
    """
    return (1.0 - gray).astype(np.float32) if has_light_background(gray) else gray.astype(np.float32)


def estimate_background(image: np.ndarray, window: float = BACKGROUND_WINDOW) -> np.ndarray:
    """Estimate the background (paper, shadows, uneven light) of a light-on-dark picture.

    On a copy at most 64 pixels wide (each pixel the median of its block), a morphological
    *opening* (a moving minimum, then a moving maximum) wipes out every shape narrower than
    the window, the pen strokes included, and keeps what is wider: the paper's slowly
    changing brightness. But it also wipes out a narrow strip of shadow, so in a picture at
    least :data:`MIN_MEDIAN_SIDE` pixels on a side the background is the larger of that and a
    moving *rank filter* (the 40th percentile, nearly a median) over :data:`BACKGROUND_MEDIAN`
    of the picture: the ink covers less than 60% of such a window, and a shadow's edge stays
    sharp. Then it is blurred and enlarged back.

    Args:
        image: float ``(H, W)`` in 0..1, light ink on a dark background.
        window: the opening's side, as a fraction of the picture's shorter side.

    Returns:
        float32 ``(H, W)``, the estimated background (never above ``image``).
    """
    h, w = image.shape
    block = max(1, int(np.ceil(max(h, w) / 64)))
    small = image[: h - h % block or h, : w - w % block or w]
    blocks = small.reshape(small.shape[0] // block, block, small.shape[1] // block, block)
    small = np.median(blocks, axis=(1, 3))
    size = max(3, int(window * min(small.shape)) | 1)
    median_size = max(3, int(BACKGROUND_MEDIAN * min(small.shape)) | 1)
    pad = max(size, median_size)
    padded = _pil(np.pad(small, pad, mode="edge"))  # the picture goes on beyond its edges
    opened = np.asarray(padded.filter(ImageFilter.MinFilter(size)).filter(ImageFilter.MaxFilter(size)))
    if min(h, w) >= MIN_MEDIAN_SIDE:
        low = ImageFilter.RankFilter(median_size, int(BACKGROUND_RANK * median_size**2))
        opened = np.maximum(opened, np.asarray(padded.filter(low)))
    smooth = Image.fromarray(opened[pad:-pad, pad:-pad].clip(0, 1) * 255).convert("L")
    smooth = smooth.filter(ImageFilter.GaussianBlur(1)).resize((w, h), Image.Resampling.BILINEAR)
    return np.minimum(np.asarray(smooth, dtype=np.float32) / 255, image)


def remove_background(image: np.ndarray) -> np.ndarray:
    """Take away the estimated background: ``(image - background) / (1 - background)``.

    On an inverted photo this is dividing by the paper's brightness, which evens out
    shadows and uneven light; on a black background (MNIST, the canvas) it changes nothing.

    Args:
        image: float ``(H, W)`` in 0..1, light ink on a dark background.

    Returns:
        float32 ``(H, W)`` in 0..1.
    """
    background = estimate_background(image)
    return np.clip((image - background) / np.maximum(1 - background, 0.05), 0, 1).astype(np.float32)


def stretch_contrast(image: np.ndarray) -> np.ndarray:
    """Make the background exactly 0 and the brightest ink 1, like MNIST.

    The background level is the larger of the border's median (:func:`border_level`) and the
    whole picture's median (the ink covers less than half of it; the border of a photo may
    be painted paper, a little darker than the sheet).

    Args:
        image: float ``(H, W)`` in 0..1, light digit on a dark background.

    Returns:
        float32 ``(H, W)`` in 0..1.

    Raises:
        ImageError: no digit stands out from the background: the image is blank.
    """
    background, ink = max(border_level(image), float(np.median(image))), float(image.max())
    if ink - background < MIN_CONTRAST:
        raise ImageError("the image looks blank: no digit stands out from the background. "
                         "Draw or photograph a darker (or thicker) digit.")
    return np.clip((image - background) / (ink - background), 0.0, 1.0).astype(np.float32)
