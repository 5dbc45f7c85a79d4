"""Does this picture look like one digit? The guard against confident nonsense (lesson 5).

A model trained on MNIST answers something for any input, even a photo of a table, so lesson 5's
widgets and the CLI show "this does not look like a single digit (why)" when
:func:`digit_problems` finds too much ink, a solid area, specks, several shapes or ink along the edge.
"""

from __future__ import annotations

import numpy as np
import torch

from .images import ImageLike, resized
from .ink import label_shapes

#: The picture is judged at this size (longest side, pixels).
GUARD_SIZE = 64
#: Pixels brighter than this (0..1, after stretching) count as ink.
GUARD_THRESHOLD = 0.35
#: More ink than this fraction of the picture is not a pen stroke (MNIST: at most 0.30)...
MAX_INK = 0.35
#: ...nor ink filling more than this fraction of its (squarish) bounding box (MNIST: at most 0.67).
MAX_FILL = 0.8
#: More than this fraction of the ink in specks of under ``SPECK`` pixels is noise.
MAX_SPECKLED, SPECK = 0.3, 4
#: A second shape at least this fraction of the largest one's size, this far away, is another object.
SECOND_SHAPE, FAR = 0.35, 0.25
#: Ink along more than this fraction of the picture's border is an edge, not a digit.
MAX_BORDER = 0.3
#: The digit's shape is judged around the ink the cleaning keeps, with this margin (times its size).
MARGIN = 0.25


def around_ink(image: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The part of ``image`` around the ink of ``kept`` (the same picture after ``keep_main_ink``), with
    a margin of :data:`MARGIN`, made as bright as ``kept``'s ink: a small or faint digit in a big
    photo, judged up close (a bright speck the cleaning removed no longer dims a thin pen's line)."""
    brightest = float(kept.max())
    if brightest == 0:
        return image
    ink = np.argwhere(kept > GUARD_THRESHOLD * brightest)
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0) + 1
    pad = round(MARGIN * max(bottom - top, right - left))
    part = image[max(top - pad, 0) : bottom + pad, max(left - pad, 0) : right + pad]
    return np.clip(part / brightest, 0.0, 1.0)


def ink_mask(image: np.ndarray) -> np.ndarray:
    """Where ``image`` has ink, at :data:`GUARD_SIZE`. Shrinking, a cell is ink where any pixel it covers
    is: a thin pen's line stays one line instead of breaking into dashes and specks."""
    if max(image.shape) <= GUARD_SIZE:
        return resized(image, GUARD_SIZE) > GUARD_THRESHOLD
    return resized((image > GUARD_THRESHOLD).astype(np.float32), GUARD_SIZE) > 0


def digit_problems(image: np.ndarray, kept: np.ndarray | None = None) -> list[str]:
    """Short reasons why a cleaned picture does not look like one digit; empty when it does.

    Ink over the picture or along its edge is judged on the whole picture; a solid area, specks
    and separate shapes around the ink the cleaning keeps (:func:`around_ink`), when given.

    Args:
        image: float ``(H, W)`` in 0..1, light ink on black, the whole picture (the
            ``"stretched"`` step of ``preprocess_steps``, or an MNIST image / 255).
        kept: the same picture after ``keep_main_ink`` (the ``"specks removed"`` step).

    Returns:
        e.g. ``["the ink covers 62% of the picture"]``.
    """
    whole = resized(image, GUARD_SIZE) > GUARD_THRESHOLD
    ink = ink_mask(image if kept is None else around_ink(image, kept))
    total = int(ink.sum())
    if total == 0:
        return ["there is almost no ink"]
    problems = []
    if whole.mean() > MAX_INK:
        problems.append(f"the ink covers {whole.mean():.0%} of the picture")
    height, width = np.ptp(np.argwhere(ink), axis=0) + 1  # the ink's bounding box
    if min(height, width) > 0.5 * max(height, width) and total > MAX_FILL * height * width:
        fill = total / (height * width)
        problems.append(f"the ink fills {fill:.0%} of its outline: a solid area, not pen strokes")
    labels, count = label_shapes(ink)  # the 8-connected shapes, numbered in reading order
    # each shape's pixels as (n, 2) arrays, largest first (ties: the shape reached first)
    shapes = sorted((np.argwhere(labels == n) for n in range(1, count + 1)), key=len, reverse=True)
    specks = sum(len(s) for s in shapes if len(s) < SPECK)
    if specks > MAX_SPECKLED * total:
        problems.append(f"{specks / total:.0%} of the ink is tiny specks (noise)")
    big = [s for s in shapes if len(s) >= max(SPECK, SECOND_SHAPE * len(shapes[0]))]
    centre = shapes[0].mean(axis=0)
    far = [s for s in big[1:] if np.abs(s - centre).min(axis=0).max() > FAR * max(ink.shape)
           or np.linalg.norm(s.mean(axis=0) - centre) > FAR * 2 * max(ink.shape)]
    if far:
        problems.append(f"there are {len(far) + 1} separate large shapes")
    border = np.concatenate([whole[0], whole[-1], whole[1:-1, 0], whole[1:-1, -1]])
    if border.mean() > MAX_BORDER:
        problems.append(f"the ink runs along {border.mean():.0%} of the picture's edge")
    return problems


def check_digit(image: ImageLike, **preprocess: object) -> tuple[torch.Tensor, list[str]]:
    """Preprocess a picture and say whether it looks like one digit.

    Args:
        image: anything ``preprocess.to_mnist`` accepts.
        **preprocess: keyword arguments for ``to_mnist`` (a model's ``recipe["preprocess"]``).

    Returns:
        ``(input, problems)``: the ``(1, 28, 28)`` input, and :func:`digit_problems`'s list (the
        ``"stretched"`` step, judged around the ink of ``"specks removed"``).

    Raises:
        ImageError: the picture cannot be read at all (the message says why).
    """
    from .preprocess import preprocess_steps

    steps = preprocess_steps(image, **preprocess)
    final = steps["deskewed" if preprocess.get("deskew") else "28x28"]
    problems = digit_problems(steps["stretched"], steps["specks removed"])
    return torch.from_numpy(final.copy()).unsqueeze(0), problems
