"""Removing the paper from a picture (lesson 5): steps 2, 4, 5 and 7 of ``preprocess.to_mnist``.

One brightness per pixel, light or dark paper judged from the border, the background estimated
by a morphological opening and taken away, the contrast stretched to 0..1.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .images import ImageError, standard_mode

#: Weakest difference between ink and background that is still a digit, not a blank page.
MIN_CONTRAST = 0.1
#: The background is estimated from shapes wider than this fraction of the picture's shorter side.
BACKGROUND_WINDOW = 0.3
#: ...and, from ``MIN_MEDIAN_SIDE`` pixels up, the ``BACKGROUND_RANK`` quantile over ``BACKGROUND_MEDIAN``.
BACKGROUND_MEDIAN, BACKGROUND_RANK, MIN_MEDIAN_SIDE = 0.6, 0.4, 56


def _pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(image, dtype=np.float32))  # mode "F"


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
    border = np.concatenate([gray[:ring].ravel(), gray[-ring:].ravel(), gray[:, :ring].ravel(),
                             gray[:, -ring:].ravel()])
    return float(np.median(border))


def has_light_background(gray: np.ndarray) -> bool:
    """Whether the background is lighter than mid-gray: the border's median, or the whole
    picture's (a photo's vignetting or shadow can darken its border).
    """
    return max(border_level(gray), float(np.median(gray))) > 0.5


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
    h, w = image.shape
    block = max(1, int(np.ceil(max(h, w) / 64)))
    bh, bw = min(block, h), min(block, w)  # a strip (1000 x 4) keeps its 4 rows
    small = image[: h - h % bh, : w - w % bw]
    blocks = small.reshape(small.shape[0] // bh, bh, small.shape[1] // bw, bw)
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
    """``(image - background) / (1 - background)``, float32 in 0..1, for a light-on-dark ``image``.

    On an inverted photo this divides by the paper's brightness, evening out shadows; on a black
    background (MNIST, the canvas) it changes nothing.
    """
    background = estimate_background(image)
    return np.clip((image - background) / np.maximum(1 - background, 0.05), 0, 1).astype(np.float32)


def stretch_contrast(image: np.ndarray) -> np.ndarray:
    """Make the background 0 and the brightest ink 1, like MNIST (float32 ``(H, W)``, light on dark).

    The background is the larger of the border's and the whole picture's median (a photo's border
    may be painted paper, a little darker than the sheet).

    Raises:
        ImageError: no digit stands out from the background (a blank image).
    """
    background, ink = max(border_level(image), float(np.median(image))), float(image.max())
    if ink - background < MIN_CONTRAST:
        raise ImageError("the image looks blank: no digit stands out from the background. "
                         "Draw or photograph a darker (or thicker) digit.")
    return np.clip((image - background) / (ink - background), 0.0, 1.0).astype(np.float32)
