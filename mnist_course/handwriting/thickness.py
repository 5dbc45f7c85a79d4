"""Thin pen strokes made as thick as MNIST's, and the shrink to 20x20 they must survive (lesson 5's
``to_mnist``, steps 10 and 11)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from .images import resized

#: Pixels at least this bright (0..1, after inverting and stretching) count as ink.
INK_THRESHOLD = 0.2
#: Strokes thinner than this fraction of the digit's longest side are thickened...
MIN_STROKE = 0.08
#: ...to this fraction, about as thick as MNIST's pen strokes.
TARGET_STROKE = 0.12
#: Crops larger than this (pixels, longest side) are shrunk before thickening.
THICKEN_SIZE = 256


def stroke_width(image: np.ndarray, threshold: float = INK_THRESHOLD) -> float:
    """The pen's width in pixels of a float ``(H, W)`` light-on-black image: 2 x ink area / outline."""
    ink = image > threshold
    outline = int((ink & ~ndimage.binary_erosion(ink)).sum())  # ink with a neighbour (of 4) that is not
    return 2.0 * int(ink.sum()) / outline if outline else 0.0


def dilate(image: np.ndarray, size: int) -> np.ndarray:
    """Grayscale dilation with a ``size`` x ``size`` square (a moving maximum), growing the image."""
    return ndimage.grey_dilation(np.pad(image.astype(np.float32), size // 2), size=size | 1, mode="nearest")


def thicken_strokes(image: np.ndarray, min_stroke: float = MIN_STROKE, target: float = TARGET_STROKE):
    """Widen strokes thinner than ``min_stroke`` times the longest side to ``target`` times it.

    Args:
        image: float ``(h, w)`` in 0..1, cropped to the ink.
        min_stroke: thinner strokes than this fraction are thickened.
        target: the stroke width to reach, as a fraction of the longest side.

    Returns:
        float32 in 0..1: ``image`` itself, or a thickened (slightly larger) copy.
    """
    if stroke_width(image) >= min_stroke * max(image.shape):
        return image.astype(np.float32)
    if max(image.shape) > THICKEN_SIZE:  # widen just enough to survive shrinking, then shrink
        image = fit_in_20x20(dilate(image, int(np.ceil(max(image.shape) / THICKEN_SIZE)) | 1), THICKEN_SIZE)
    missing = target * max(image.shape) - stroke_width(image)
    return dilate(image, int(round(missing)) | 1) if missing > 1 else image.astype(np.float32)


def fit_in_20x20(image: np.ndarray, size: int = 20) -> np.ndarray:
    """Scale a cropped digit so its longest side is ``size`` pixels, keeping its proportions.

    The sizes ``ImageOps.contain`` would choose (but a hair-thin line keeps at least one pixel),
    Lanczos filtering (antialiasing), then rescaled so the brightest pixel is 1: float32
    ``(size, w')`` or ``(h', size)`` in 0..1. :func:`thicken_strokes` shrinks large crops with it too.
    """
    result = np.clip(resized(image, size, resample=Image.Resampling.LANCZOS), 0.0, 1.0)
    peak = float(result.max())
    return result / peak if peak > 0 else result
