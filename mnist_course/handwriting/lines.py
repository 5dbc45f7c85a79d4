"""Removing ruled or squared paper lines, level or slightly tilted (lesson 5): step 6 of ``to_mnist``.

A photographed sheet is seldom level and may not fill the picture, so lines are looked for along
the tilt that makes them sharpest (:func:`line_tilts`) and need to cross most of the picture.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .images import resized

#: A ruled line is lit over at least this fraction of its length (the sheet may be narrower
#: than the photo) and at most ``LINE_THICKNESS`` of the picture thick.
LINE_LENGTH, LINE_THICKNESS = 0.6, 0.03
#: A line is at least this much brighter (0..1) than the rows around it.
LINE_CONTRAST = 0.04
#: Ruled paper has several lines: fewer than this in one direction must each cross at least
#: ``SINGLE_LINE_LENGTH`` of the picture (a margin; a tall 1 in thin pen is not a ruled line).
MIN_LINES, SINGLE_LINE_LENGTH = 2, 0.9
#: On a line, a pixel this share of the way from the line's brightness to the brightest ink is ink lying
#: along the line (a tiny digit's stroke on a rule): it stays.
INK_ON_LINE = 0.5
#: When looking for the tilt, each row is judged in this many pieces.
TILT_PIECES = 8
#: Tilts tried, in degrees (a sheet photographed a little askew).
TILTS = np.arange(-8.0, 8.01, 0.5)
#: Pictures smaller than this (pixels, shorter side) are not photos of paper: no lines there.
MIN_SIDE = 56


def _sheared_rows(shape: tuple[int, int], degrees: float) -> np.ndarray:
    """For each pixel, the row it comes from when lines tilted by ``degrees`` are made level (wrapping)."""
    h, w = shape
    return (np.arange(h)[:, None] + np.round(np.arange(w) * np.tan(np.radians(degrees))).astype(int)) % h


def _line_profile(image: np.ndarray, length: float = LINE_LENGTH) -> np.ndarray:
    """Per row, the brightness that ``length`` of it (or of its neighbours: a line may step by a
    pixel) reaches, as a percentile.
    """
    near = ndimage.maximum_filter1d(image, 3, axis=0, mode="constant")
    return np.percentile(near, 100 * (1 - length), axis=1)


def line_tilts(image: np.ndarray, count: int = 3) -> list[float]:
    """The ``count`` tilts of :data:`TILTS` (degrees) along which the rows are sharpest lines, best first.

    Each sheared row's brightness is the median of its :data:`TILT_PIECES` pieces' means (a digit
    covers few pieces); level lines put their brightness in one or two rows, maximising the sum of
    squares. A long thick stroke may come first: it is tried, and left, as no thin lines show up.
    """
    step = max(1, int(np.ceil(max(image.shape) / 200)))
    small = resized(ndimage.maximum_filter(image, step), min(200, max(image.shape)))  # keeps 1-pixel lines
    pieces = small[:, : small.shape[1] - small.shape[1] % TILT_PIECES]

    def score(tilt: float) -> tuple[float, float]:
        sheared = np.take_along_axis(pieces, _sheared_rows(pieces.shape, tilt), axis=0)  # tilted lines level
        profile = np.median(sheared.reshape(len(sheared), TILT_PIECES, -1).mean(axis=2), axis=1)
        return float((np.clip(profile - np.median(profile), 0, None) ** 2).sum()), -abs(tilt)

    return [float(t) for t in sorted(TILTS, key=score, reverse=True)[:count]]


def _remove_rows(image: np.ndarray) -> bool:
    """Replace thin bright bands of rows (in place) by the darker of their neighbours, keeping ink much
    brighter than the band; return whether there were any.
    """
    h = len(image)
    profile, whole = _line_profile(image), _line_profile(image, SINGLE_LINE_LENGTH)
    baseline, top = float(np.median(profile)), float(image.max())
    threshold = baseline + max(LINE_CONTRAST, 0.1 * (top - baseline))
    thickness = max(1, round(LINE_THICKNESS * h)) + 2  # + the rows beside
    runs = ndimage.find_objects(ndimage.label(profile > threshold)[0])  # runs of bright rows, as slices
    bands = [(run.start, run.stop) for (run,) in runs if run.stop - run.start <= thickness]
    if len(bands) < MIN_LINES:  # a single line must cross (nearly) the whole picture
        bands = [(a, b) for a, b in bands if whole[a:b].max() > threshold]
    for start, stop in bands:
        start, stop = max(start - 1, 0), min(stop + 1, h)  # the line's soft edges too
        band, line = image[start:stop], float(profile[start:stop].max())  # the line's brightness
        beside = np.minimum(image[max(start - 1, 0)], image[min(stop, h - 1)])  # above, below
        image[start:stop] = np.where(band > line + INK_ON_LINE * (top - line), band, beside)
    return len(bands) > 0


def remove_lines(image: np.ndarray) -> np.ndarray:
    """Take away the thin straight lines of ruled or squared paper, even slightly tilted.

    For each direction the lines' tilt is found (:func:`line_tilts`) and the picture sheared so they
    are level rows; once lines are found in one direction, the other is also tried square to them (a
    long slanted stroke can hide the columns of squared paper from the tilt search). A band is a line
    when :data:`LINE_LENGTH` of it is brighter than usual, it is at most :data:`LINE_THICKNESS` thick,
    and there are :data:`MIN_LINES` of them (or it crosses :data:`SINGLE_LINE_LENGTH`): a digit is not
    that long, thin, nor repeated. The band takes the darker of the rows beside it, so a stroke
    crossing the line survives, except where it is much brighter than the line (:data:`INK_ON_LINE`):
    a tiny digit's stroke lying along a rule stays.

    Args:
        image: float ``(H, W)`` in 0..1, light ink on black.

    Returns:
        float32 ``(H, W)``, a copy (unchanged when smaller than :data:`MIN_SIDE`).
    """
    result = image.astype(np.float32)
    if min(result.shape) < MIN_SIDE:
        return result
    found: list[float] = []  # the tilt of the lines taken away in the first direction
    for pixels in (result, result.T):  # the rows of ``pixels`` are the lines of one direction
        for tilt in dict.fromkeys([*line_tilts(pixels), *(-t for t in found)]):  # squares: across those
            rows = _sheared_rows(pixels.shape, tilt)
            sheared = np.take_along_axis(pixels, rows, axis=0)  # the tilted lines made level
            if _remove_rows(sheared):
                np.put_along_axis(pixels, rows, sheared, axis=0)  # and put back
                found.append(tilt)
                break
    return result
