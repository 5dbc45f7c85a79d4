"""Turning any picture of a digit into an MNIST-style 28x28 input (lesson 5).

MNIST's digits (LeCun et al.) are light ink on black, cropped to the ink, scaled so the longest
side is 20 pixels (antialiased), and placed in 28x28 with the ink's centre of mass at the centre.
:func:`to_mnist` does the same, one small function per step, so lesson 5 can show each
(:func:`preprocess_steps`):

1. ``images.load_image``: read a file, bytes, PIL image or array.
2. ``background.to_grayscale``: one brightness per pixel; a transparent background is filled.
3. ``paper.mask_outside_paper``: a table around the sheet takes the paper's colour; a turned sheet is
   set upright.
4. ``background.invert_if_light_background``: dark ink on light paper becomes light on dark.
5. ``background.remove_background``: shadows and uneven light are taken away.
6. ``lines.remove_lines``: ruled or squared lines, even tilted, are taken away.
7. ``background.stretch_contrast``: the background becomes 0 and the ink reaches 1.
8. ``ink.keep_main_ink``: specks and marks far from the digit are dropped.
9. :func:`crop_to_ink`: cut away the empty border (``ndimage.find_objects``).
10. ``thickness.thicken_strokes``: widen a thin pen line (a moving maximum, ``ndimage.grey_dilation``).
11. ``thickness.fit_in_20x20``: scale the longest side to 20 pixels (Lanczos, like ``ImageOps.contain``).
12. :func:`center_by_mass`: place it in 28x28 with its centre of mass at the centre.

``deskew=True`` adds ``deskew.deskew`` (slanted digits straightened). ``guard.digit_problems``
says when a picture does not look like one digit. :func:`naive_preprocess` is what the source
tutorials did.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from ..data.deskew import deskew as straighten
from .background import invert_if_light_background, remove_background, stretch_contrast, to_grayscale
from .images import ImageError, ImageLike, load_image
from .ink import keep_main_ink
from .lines import remove_lines
from .paper import mask_outside_paper
from .thickness import INK_THRESHOLD, fit_in_20x20, thicken_strokes

#: Where MNIST puts the centre of mass of its digits (row, column), in pixels.
MNIST_CENTER = (14.0, 14.0)


def crop_to_ink(image: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """Cut float ``(H, W)`` ``image`` (light on black) down to the rectangle of pixels above ``threshold``.

    Raises:
        ImageError: no pixel is brighter than ``threshold`` (a blank image).
    """
    box = ndimage.find_objects((image > threshold).astype(np.uint8))  # [(rows, columns)], or [] if none
    if not box:
        raise ImageError("the image looks blank: no pixel is bright enough to be ink. "
                         "Draw or photograph a darker (or thicker) digit.")
    return image[box[0]].astype(np.float32)


def center_of_mass(image: np.ndarray | torch.Tensor) -> tuple[float, float]:
    """The brightness-weighted mean (row, column) of an ``(H, W)`` or ``(1, H, W)`` image."""
    pixels = np.asarray(image.detach().cpu() if isinstance(image, torch.Tensor) else image, dtype=np.float64)
    pixels = pixels.reshape(pixels.shape[-2:])
    if pixels.sum() <= 0:
        raise ImageError("the image is black everywhere: it has no centre of mass.")
    return tuple(map(float, ndimage.center_of_mass(pixels)))


def center_by_mass(image: np.ndarray, size: int = 28) -> np.ndarray:
    """Place a digit of at most ``size`` x ``size`` in a black float32 ``(size, size)`` image,
    its centre of mass at the centre (MNIST: (14, 14) of 28), shifted by whole pixels and kept inside.
    """
    h, w = image.shape
    if h > size or w > size:
        raise ImageError(f"the digit is {h} x {w} pixels, too big for a {size} x {size} image.")
    corner = np.round(np.multiply(size / 28, MNIST_CENTER) - center_of_mass(image))  # top, left
    top, left = np.clip(corner, 0, (size - h, size - w)).astype(int)
    return np.pad(image, ((top, size - h - top), (left, size - w - left))).astype(np.float32)  # black around


#: The steps of :func:`to_mnist` after loading, in order: (name, function of the previous image).
STEPS = (("grayscale", to_grayscale), ("paper found", mask_outside_paper),
         ("inverted", invert_if_light_background), ("background removed", remove_background),
         ("lines removed", remove_lines), ("stretched", stretch_contrast), ("specks removed", keep_main_ink),
         ("cropped", crop_to_ink), ("thickened", thicken_strokes), ("20x20", fit_in_20x20),
         ("28x28", center_by_mass))


def preprocess_steps(image: ImageLike, deskew: bool = False) -> dict[str, np.ndarray]:
    """Run every step of :func:`to_mnist` and keep each intermediate image (lesson 5).

    Returns:
        An ordered dict from step name to image: ``"loaded"`` (uint8, as loaded), then float32
        2-D arrays in 0..1: ``"grayscale"``, ``"paper found"``, ``"inverted"``,
        ``"background removed"``, ``"lines removed"``, ``"stretched"``, ``"specks removed"``,
        ``"cropped"``, ``"thickened"``, ``"20x20"``, ``"28x28"`` (and ``"deskewed"``).

    Raises:
        ImageError: the image cannot be used; the message says why.
    """
    picture = load_image(image)
    steps: dict[str, np.ndarray] = {"loaded": np.asarray(picture)}
    for name, step in (*STEPS, *([("deskewed", straighten)] if deskew else [])):
        picture = steps[name] = step(picture)  # each step works on the one before
    return steps


def to_mnist(image: ImageLike, deskew: bool = False) -> torch.Tensor:
    """Turn a picture of one digit into an MNIST-style input, the way MNIST was made (lesson 5).

    Args:
        image: a PIL image, numpy array, tensor, file path or image file bytes (``load_image``).
        deskew: straighten a slanted digit (only for a model trained on deskewed digits; a
            model's ``recipe["preprocess"]`` holds what its inputs need).

    Returns:
        float32 tensor ``(1, 28, 28)`` in 0..1, not normalised (like ``ToTensor()``).

    Raises:
        ImageError: (a ``ValueError``) the image cannot be used; the message says why.
    """
    steps = preprocess_steps(image, deskew=deskew)
    return torch.from_numpy(steps["deskewed" if deskew else "28x28"].copy()).unsqueeze(0)


def naive_preprocess(image: ImageLike) -> torch.Tensor:
    """The source tutorials' pipeline: ``convert('L')``, ``Resize((28, 28))``, ``ToTensor()``.

    Lesson 5's ``naive_pipeline`` (a test keeps them the same) and what ``benchmarks.hardset`` calls
    "naive": it neither inverts, crops, keeps the proportions nor centres, and ``convert('L')``
    drops transparency.
    """
    from torchvision import transforms

    naive = transforms.Compose([transforms.Resize((28, 28)), transforms.ToTensor()])
    return naive(load_image(image).convert("L"))
