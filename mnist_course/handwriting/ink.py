"""Keeping the digit's ink, dropping specks and stray marks far from it (lesson 5): step 8 of ``to_mnist``.

Before the crop: a speck or a leftover piece of a ruled line far from the digit would widen it,
and a tiny digit in a big photo would end up a dot in a mostly empty 20x20 box. The shapes are
found on the whole picture (``scipy.ndimage.label``).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .thickness import INK_THRESHOLD

#: A shape with less ink than this fraction of the largest one is a speck, wherever it is...
SPECK_SHARE = 0.03
#: ...and one farther than this (times the largest shape's size) is a stray mark, unless it
#: has at least ``FAR_SHARE`` of the largest one's ink (then it is part of the digit).
NEAR, FAR_SHARE = 0.3, 0.5
#: A shape this thin (short side / long side) and twice as long as the digit, or lying along the
#: picture's edge, is a piece of a ruled line or of the sheet's edge, not part of the digit.
THIN = 0.15
#: The digit is the largest shape away from the picture's edge, if it has this share of the
#: largest shape's ink (a strip along the edge of a sheet is not the digit).
MAIN_SHARE = 0.05


def label_shapes(ink: np.ndarray) -> tuple[np.ndarray, int]:
    """Number the 8-connected shapes of a boolean mask: int ``(H, W)`` (0 = no ink), and how many."""
    return ndimage.label(ink, structure=np.ones((3, 3), bool))


def keep_main_ink(image: np.ndarray) -> np.ndarray:
    """Keep the digit: the largest shape of ink and the sizeable shapes near it.

    Args:
        image: float ``(H, W)`` in 0..1, light ink on black (the ``"stretched"`` step).

    Returns:
        float32 ``(H, W)``, a copy with specks (under :data:`SPECK_SHARE` of the largest shape's
        ink), marks far from the largest shape, long thin lines beside it and thin strips along the
        picture's edge (a sliver of table) set to 0, with their soft edges.
    """
    labels, count = label_shapes(image > INK_THRESHOLD)
    if count <= 1:
        return image.astype(np.float32)
    sizes = np.bincount(labels.ravel())[1:]
    boxes = ndimage.find_objects(labels)  # shape i's rows and columns, as slices
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    inner = ~np.isin(np.arange(1, count + 1), edge)  # shapes that do not touch the picture's edge
    main = np.argmax(np.where(inner, sizes, 0))  # (a digit seldom does)
    largest = main if inner.any() and sizes[main] >= MAIN_SHARE * sizes.max() else np.argmax(sizes)
    rows, cols = boxes[largest]
    reach = NEAR * max(rows.stop - rows.start, cols.stop - cols.start)
    keep = np.zeros(count + 1, bool)  # indexed by label; 0 = background
    for index, (r, c) in enumerate(boxes):
        gap = max(rows.start - r.stop, r.start - rows.stop, cols.start - c.stop, c.start - cols.stop, -1) + 1
        short, long = sorted((r.stop - r.start, c.stop - c.start))
        tall = r.stop - r.start == long  # then its long sides face the left and right edges
        beside = (c.start, image.shape[1] - c.stop) if tall else (r.start, image.shape[0] - r.stop)
        if index != largest and (long >= 2 * reach / NEAR or 0 in beside) and short <= THIN * long:
            continue  # a line or the sheet's edge, not a stroke
        big = sizes[index] >= FAR_SHARE * sizes[largest] and inner[index]  # a part of the digit, far off
        keep[index + 1] = sizes[index] >= SPECK_SHARE * sizes[largest] and (gap <= reach or big)
    dropped = ndimage.maximum_filter((labels > 0) & ~keep[labels], 3)  # with their soft edges...
    return np.where(dropped & ~ndimage.maximum_filter(keep[labels], 3), 0, image).astype(np.float32)
