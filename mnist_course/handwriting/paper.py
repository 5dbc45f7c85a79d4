"""Finding the sheet of paper in a photo of a sheet on a darker table (lesson 5): step 3 of ``to_mnist``.

Later steps judge the paper from the picture's border, which in such a photo is the table, so
:func:`mask_outside_paper` paints everything outside the sheet in the paper's own brightness, and
turns a turned sheet (and the digit on it) upright.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.spatial import ConvexHull

from .images import resized

#: The sheet is looked for on a copy at most this many pixels wide, in pictures at least
#: ``MIN_SIDE`` pixels on their shorter side (an MNIST digit or a small drawing has no sheet).
PAPER_SIZE, MIN_SIDE = 96, 56
#: A sheet covers at least this fraction of the picture (and not all of it)...
MIN_PAPER, MAX_PAPER = 0.2, 0.97
#: ...is lighter than the table around it by at least this fraction of its brightness (in any light)...
MIN_PAPER_CONTRAST = 0.35
#: ...is light over at least this fraction of its area (the ink is a small part of it)...
MIN_LIGHT = 0.8
#: ...fills at least this fraction of its convex hull (a rectangle at any angle, in perspective),
#: and covers the picture's centre and the middle of its own extent (this fraction of its bounding
#: box's width and height, around the box's centre): a sheet in portrait or landscape, turned or
#: not (an A4 sheet turned 45 degrees covers the middle 41%). The table reaches two opposite edges
#: of the picture: a shadow over one corner is not a table.
MIN_SOLID, MIDDLE = 0.7, 0.35
#: A sheet turned more than this many degrees is turned upright: a digit turned less is read as it is,
#: and the lines step finds lines tilted up to 8 degrees.
MIN_TURN = 10.0


def _otsu(values: np.ndarray) -> float:
    """The threshold that best splits ``values`` (0..1) into a dark and a light group (Otsu)."""
    counts, edges = np.histogram(values, bins=64, range=(0, 1))
    centres = (edges[:-1] + edges[1:]) / 2
    weight, mass = np.cumsum(counts), np.cumsum(counts * centres)  # below each threshold
    with np.errstate(divide="ignore", invalid="ignore"):  # the between-class variance
        between = (mass[-1] * weight - weight[-1] * mass) ** 2 / (weight * (weight[-1] - weight))
    return float(edges[1:][np.nanargmax(np.nan_to_num(between[:-1], nan=-1.0))])


def _middle(extent: slice) -> slice:
    """The middle :data:`MIDDLE` of a range of rows or columns (a slice)."""
    margin = round((extent.stop - extent.start) * (1 - MIDDLE) / 2)
    return slice(extent.start + margin, extent.stop - margin)


def find_paper(gray: np.ndarray) -> np.ndarray | None:
    """Find a light sheet of paper on a darker table: bool ``(H, W)``, True on the sheet, or None.

    On a copy at most :data:`PAPER_SIZE` pixels wide the ink is closed over (moving maximum, then
    minimum), light is split from dark (Otsu) and the dark region touching the border (the table)
    is flood-filled; what it does not reach is the sheet. It counts only if large, light and solid
    (None for a plain scan or a drawing), covers the centre of the picture and of its own extent,
    and the table reaches two opposite edges of the picture; a margin along its edge is left out.

    Args:
        gray: float ``(H, W)`` in 0..1 (0 = black).
    """
    if min(gray.shape) < MIN_SIDE:
        return None
    small = resized(gray, min(PAPER_SIZE, max(gray.shape)))
    closed = ndimage.grey_closing(small, size=5, mode="nearest")  # the ink closed over: paper and table only
    light = closed > _otsu(closed)
    sheet = ndimage.binary_fill_holes(light)  # what the dark region touching the border (the table) leaves
    if not MIN_PAPER <= sheet.mean() <= MAX_PAPER or sheet.all():
        return None
    table = ~sheet
    hull = ConvexHull(np.argwhere(sheet)).volume  # in 2-D, the area
    across = table[[0, -1]].any(axis=1).all() or table[:, [0, -1]].any(axis=0).all()  # opposite edges
    middle = sheet[tuple(_middle(side) for side in ndimage.find_objects(sheet.astype(np.uint8))[0])]
    if (closed[table].mean() > (1 - MIN_PAPER_CONTRAST) * closed[sheet].mean()
            or light[sheet].mean() < MIN_LIGHT or sheet.sum() < MIN_SOLID * hull
            or not sheet[len(sheet) // 2, sheet.shape[1] // 2] or not middle.all() or not across):
        return None  # not a sheet on a table
    inner = ndimage.minimum_filter(sheet.astype(np.float32), 5, mode="nearest")  # the edge goes
    return resized(inner, shape=gray.shape, resample=Image.Resampling.BILINEAR) > 0.5


def sheet_turn(sheet: np.ndarray) -> float:
    """How many degrees (-45..45, counter-clockwise) the sheet in bool ``(H, W)`` ``sheet`` is turned:
    the turn of the smallest rectangle around it, one of whose sides lies along its convex hull.
    """
    edge = np.argwhere(sheet & ~ndimage.binary_erosion(sheet))[:, ::-1]  # (x, y) of the sheet's edge
    corners = edge[ConvexHull(edge).vertices]
    sides = np.roll(corners, -1, axis=0) - corners

    def area(angle: float) -> float:  # of the upright rectangle around the hull turned by -angle
        turned = corners @ np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        return float(np.ptp(turned[:, 0]) * np.ptp(turned[:, 1]))

    angle = min(np.arctan2(sides[:, 1], sides[:, 0]), key=area)
    return float((np.degrees(-angle) + 45) % 90 - 45)


def _spread(values: np.ndarray, known: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Average ``values`` where ``known`` over about ``cells`` blocks across (shrink, then enlarge),
    and how much known area each pixel drew on (0..1).
    """

    def blur(a: np.ndarray) -> np.ndarray:
        return resized(resized(a, cells), shape=a.shape, resample=Image.Resampling.BILINEAR)

    weight = blur(known)
    return blur(np.where(known, values, 0)) / np.maximum(weight, 1e-6), weight


def mask_outside_paper(gray: np.ndarray) -> np.ndarray:
    """Paint the table around a sheet of paper in the paper's brightness, so the next steps judge
    the paper (light or dark, the crop) from the sheet; float32 ``(H, W)``.

    Each pixel outside the sheet takes the brightness of the paper nearest to it (a blur of the
    sheet alone, so shadows carry on smoothly); ``gray`` unchanged when :func:`find_paper` finds none.
    A sheet turned more than :data:`MIN_TURN` degrees (:func:`sheet_turn`) is turned back upright, with
    the digit on it, and the picture cut to it: float32 ``(H', W')``.
    """
    sheet = find_paper(gray)
    if sheet is None or not sheet.any():
        return gray.astype(np.float32)
    fill = np.full(gray.shape, np.median(gray[sheet]), np.float32)
    for cells in (4, 12):  # far from the sheet: a wide blur; near it: a narrow one
        near, weight = _spread(gray, sheet, cells)
        fill = np.where(weight > 0.1, near, fill)
    painted, turn = np.where(sheet, gray, fill).astype(np.float32), sheet_turn(sheet)
    if abs(turn) < MIN_TURN:
        return painted
    upright = ndimage.rotate(painted, -turn, reshape=False, order=1, mode="nearest")
    box = ndimage.find_objects(ndimage.rotate(sheet.astype(np.uint8), -turn, reshape=False, order=0))[0]
    return upright[box]
