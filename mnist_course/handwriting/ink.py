"""Keeping the digit's ink, dropping specks and stray marks far from it (lesson 5): step 8 of ``to_mnist``.

Before the crop: a speck or a leftover piece of a ruled line far from the digit would widen it,
and a tiny digit in a big photo would end up a dot in a mostly empty 20x20 box.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .thickness import INK_THRESHOLD

#: Shapes are found on a copy at most this many pixels wide (a moving maximum keeps thin lines).
INK_SIZE = 128
#: A shape with less ink than this fraction of the largest one is a speck, wherever it is...
SPECK_SHARE = 0.03
#: ...and one farther than this (times the largest shape's size) is a stray mark, unless it
#: has at least ``FAR_SHARE`` of the largest one's ink (then it is part of the digit).
NEAR, FAR_SHARE = 0.3, 0.5
#: A shape at least as long as the digit and this thin (short side / long side) is a piece of
#: a ruled line or of the sheet's edge, not part of the digit.
THIN = 0.15
#: The digit is the largest shape away from the picture's edge, if it has this share of the
#: largest shape's ink (a strip along the edge of a sheet is not the digit).
MAIN_SHARE = 0.05


def label_shapes(ink: np.ndarray) -> np.ndarray:
    """Number the 8-connected shapes of a boolean mask: int ``(H, W)``, 0 = no ink.

    Every ink pixel starts with its own number and takes the largest number among its
    neighbours until nothing changes (numpy only, so keep the mask small).
    """
    labels = np.where(ink, np.arange(1, ink.size + 1).reshape(ink.shape), 0)
    while True:
        padded = np.pad(labels, 1)
        h, w = labels.shape
        grown = np.max([padded[r : r + h, c : c + w] for r in range(3) for c in range(3)], axis=0)
        grown = np.where(ink, grown, 0)
        if np.array_equal(grown, labels):
            return labels
        labels = grown


def keep_main_ink(image: np.ndarray) -> np.ndarray:
    """Keep the digit: the largest shape of ink and the sizeable shapes near it.

    Args:
        image: float ``(H, W)`` in 0..1, light ink on black (the ``"stretched"`` step).

    Returns:
        float32 ``(H, W)``, a copy with specks (under :data:`SPECK_SHARE` of the largest shape's
        ink), marks far from the largest shape and long thin lines beside it set to 0.
    """
    h, w = image.shape
    step = max(1, int(np.ceil(max(h, w) / INK_SIZE)))
    ink = image > INK_THRESHOLD
    if step > 1:  # a moving maximum, then every step-th pixel: thin strokes stay joined
        grown = Image.fromarray(ink.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(step | 1))
        ink = np.asarray(grown)[step // 2 :: step, step // 2 :: step] > 0
    labels = label_shapes(ink)
    numbers, sizes = np.unique(labels[labels > 0], return_counts=True)
    if len(numbers) <= 1:
        return image.astype(np.float32)
    inner = np.isin(numbers, np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])),
                    invert=True)  # shapes that do not touch the picture's edge (a digit seldom does)
    main = np.argmax(np.where(inner, sizes, 0))
    largest = numbers[main if inner.any() and sizes[main] >= MAIN_SHARE * sizes.max() else np.argmax(sizes)]
    main_size = sizes[numbers == largest][0]
    rows, cols = np.nonzero(labels == largest)
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    reach = NEAR * max(bottom - top + 1, right - left + 1)
    keep = np.zeros(len(numbers) + 1, bool)  # indexed by position in ``numbers`` + 1; 0 = background
    for index, (number, size) in enumerate(zip(numbers, sizes, strict=True)):
        r, c = np.nonzero(labels == number)
        gap = max(top - r.max(), r.min() - bottom, left - c.max(), c.min() - right, 0)
        sides = sorted((r.max() - r.min() + 1, c.max() - c.min() + 1))
        if number != largest and sides[1] >= 2 * reach / NEAR and sides[0] <= THIN * sides[1]:
            continue  # a line, not a stroke
        big = size >= FAR_SHARE * main_size and inner[index]  # another part of the digit, far off
        keep[index + 1] = size >= SPECK_SHARE * main_size and (gap <= reach or big)
    kept_small = keep[np.searchsorted(numbers, labels) + 1] & (labels > 0)
    dropped = _full_size((labels > 0) & ~kept_small, step, (h, w))
    if not dropped.any():
        return image.astype(np.float32)
    kept = _full_size(kept_small, step, (h, w))
    return np.where(dropped & ~kept, 0, image).astype(np.float32)


def _full_size(small: np.ndarray, step: int, shape: tuple[int, int]) -> np.ndarray:
    """Enlarge a mask made by sampling every ``step``-th pixel back to ``shape``, widened a little."""
    big = np.repeat(np.repeat(small, step, axis=0), step, axis=1)[: shape[0], : shape[1]]
    big = np.pad(big, ((0, shape[0] - big.shape[0]), (0, shape[1] - big.shape[1])), mode="edge")
    return np.asarray(Image.fromarray(big.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(3))) > 0
