"""Removing the paper from a picture (lesson 5): steps 2, 4, 5 and 7 of ``preprocess.to_mnist``.

One brightness per pixel, light or dark paper judged from the border, the background estimated
by a morphological opening and taken away, the contrast stretched to 0..1.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from .images import ImageError, resized, standard_mode

#: Weakest difference between ink and background that is still a digit, not a blank page.
MIN_CONTRAST = 0.1
#: The background is estimated from shapes wider than this fraction of the picture's shorter side.
BACKGROUND_WINDOW = 0.3
#: ...and, from ``MIN_MEDIAN_SIDE`` pixels up, the ``BACKGROUND_RANK`` quantile over ``BACKGROUND_MEDIAN``.
BACKGROUND_MEDIAN, BACKGROUND_RANK, MIN_MEDIAN_SIDE = 0.6, 0.4, 56


def to_grayscale(image: Image.Image) -> np.ndarray:
    """One brightness per pixel, float32 ``(H, W)`` in 0..1, from a PIL image (``load_image``).

    A transparent background becomes white paper under dark ink, black under light ink (a white pen).
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
    """The median brightness (0..1) of the pixels along the border of float ``(H, W)`` ``gray``."""
    ring = max(1, round(0.03 * min(gray.shape)))
    border = np.concatenate([gray[:ring], gray[-ring:], gray[:, :ring], gray[:, -ring:]], axis=None)
    return float(np.median(border))


def background_level(gray: np.ndarray) -> float:
    """The background's brightness (0..1): the larger of the border's median and the whole picture's
    (a photo's vignetting or shadow can darken its border; its border may be painted paper)."""
    return max(border_level(gray), float(np.median(gray)))


def has_light_background(gray: np.ndarray) -> bool:
    """Whether the background (:func:`background_level`) is light: lighter than mid-gray, or, in a
    dim photo, nearer the brightest pixel than the darkest (dark ink on dim paper; chalk stays dark).
    """
    return background_level(gray) > min(0.5, (float(gray.min()) + float(gray.max())) / 2)


def invert_if_light_background(gray: np.ndarray) -> np.ndarray:
    """Make the digit light on dark, like MNIST: float32 ``1 - gray`` if the background is light."""
    return (1.0 - gray).astype(np.float32) if has_light_background(gray) else gray.astype(np.float32)


def estimate_background(image: np.ndarray, window: float = BACKGROUND_WINDOW) -> np.ndarray:
    """The background (paper, shadows, uneven light) of a light-on-dark picture, never above ``image``.

    On a copy at most 64 pixels wide, a morphological *opening* (moving minimum, then maximum) wipes
    out every shape narrower than ``window`` (pen strokes) and keeps the paper's slow changes. It
    also wipes out a narrow strip of shadow, so in a picture of at least :data:`MIN_MEDIAN_SIDE`
    pixels the larger of that and a moving 40th percentile over :data:`BACKGROUND_MEDIAN` of the
    picture is taken (ink covers under 60% of such a window; a shadow's edge stays sharp).

    Args:
        image: float ``(H, W)`` in 0..1, light ink on a dark background.
        window: the opening's side, as a fraction of the picture's shorter side.
    """
    small = resized(image, min(64, max(image.shape)))
    size = max(3, int(window * min(small.shape)) | 1)
    median_size = max(3, int(BACKGROUND_MEDIAN * min(small.shape)) | 1)
    pad = max(size, median_size)
    padded = np.pad(small, pad, mode="edge")  # the picture goes on beyond its edges
    opened = ndimage.grey_opening(padded, size=size)
    if min(image.shape) >= MIN_MEDIAN_SIDE:
        low = ndimage.percentile_filter(padded, 100 * BACKGROUND_RANK, size=median_size)
        opened = np.maximum(opened, low)
    smooth = ndimage.gaussian_filter(opened[pad:-pad, pad:-pad].clip(0, 1), 1, mode="nearest")
    return np.minimum(resized(smooth, shape=image.shape, resample=Image.Resampling.BILINEAR), image)


def remove_background(image: np.ndarray) -> np.ndarray:
    """``(image - background) / (1 - background)``, float32 in 0..1, for a light-on-dark ``image``.

    On an inverted photo this divides by the paper's brightness, evening out shadows; on a black
    background (MNIST, the canvas) it changes nothing.
    """
    background = estimate_background(image)
    return np.clip((image - background) / np.maximum(1 - background, 0.05), 0, 1).astype(np.float32)


def stretch_contrast(image: np.ndarray) -> np.ndarray:
    """Make the background 0 and the brightest ink 1, like MNIST (float32 ``(H, W)``, light on dark).

    The background is :func:`background_level`.

    Raises:
        ImageError: no digit stands out from the background (a blank image).
    """
    background, ink = background_level(image), float(image.max())
    if ink - background < MIN_CONTRAST:
        raise ImageError("the image looks blank: no digit stands out from the background. "
                         "Draw or photograph a darker (or thicker) digit.")
    return np.clip((image - background) / (ink - background), 0.0, 1.0).astype(np.float32)
