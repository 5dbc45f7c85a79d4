"""Turning any picture of a digit into an MNIST-style 28x28 input.

Lesson 5 teaches why this matters: a model trained on MNIST only knows digits that look
like MNIST's, and MNIST's were made in a particular way (LeCun et al.): light ink on a
black background, cropped to the ink, scaled so that the longest side is 20 pixels
(keeping the aspect ratio, with antialiasing), then placed in a 28x28 image so that the
centre of mass of the ink is at the centre. :func:`to_mnist` does the same to your own
pictures, one step after the other, and each step is a function of its own so the
lesson can show them:

1. :func:`load_image`: read a PIL image, numpy array, tensor, file path or raw bytes.
2. :func:`to_grayscale`: one brightness per pixel; a transparent background is filled.
3. :func:`invert_if_light_background`: dark ink on light paper becomes light on dark.
4. :func:`stretch_contrast`: the background becomes exactly 0 and the ink reaches 1.
5. :func:`crop_to_ink`: cut away the empty border.
6. :func:`thicken_strokes`: make a thin pen line about as thick as MNIST's (MNIST's own
   digits are already thick enough and are left alone).
7. :func:`fit_in_20x20`: scale the longest side to 20 pixels.
8. :func:`center_by_mass`: place it in 28x28 with its centre of mass at the centre.

:func:`naive_preprocess` is what the source tutorials did (``convert('L')`` +
``Resize((28, 28))`` + ``ToTensor``), kept so the lesson can show why it fails.

Bad input raises :class:`ImageError` (a ``ValueError``) with a message that says what is
wrong. Nothing is ever written to disk: uploads are read from memory.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest upload or file read, in bytes (a phone photo is 2-8 MB).
MAX_BYTES = 10 * 1024 * 1024
#: Largest image, in pixels (width x height); anything bigger is refused before decoding.
MAX_PIXELS = 50_000_000
#: Images are shrunk to at most this many pixels on their longest side when loaded:
#: the digit ends up 20 pixels tall, so more detail is wasted memory.
WORKING_SIZE = 1024
#: Pixels at least this bright (0..1, after inverting and stretching) count as ink.
INK_THRESHOLD = 0.2
#: Weakest difference between ink and background that is still a digit, not a blank page.
MIN_CONTRAST = 0.1
#: Strokes thinner than this fraction of the digit's height (or width) are thickened...
MIN_STROKE = 0.08
#: ...to this fraction, about as thick as MNIST's pen strokes.
TARGET_STROKE = 0.12
#: Crops larger than this (pixels, longest side) are shrunk before thickening.
THICKEN_SIZE = 256
#: Where MNIST puts the centre of mass of its digits (row, column), in pixels.
MNIST_CENTER = (14.0, 14.0)

ImageLike = Any  # PIL image, numpy array, torch tensor, str or Path, bytes

#: The own-digit test images shipped with the course (made by ``tools/make_samples.py``).
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"


class ImageError(ValueError):
    """The image cannot be turned into an MNIST-style digit; the message says why."""


# ----------------------------------------------------------------------------- loading


def _open_bytes(data: bytes | bytearray | memoryview, name: str = "the upload") -> Image.Image:
    """Decode image bytes in memory, refusing huge files and decompression bombs."""
    data = bytes(data)
    if len(data) == 0:
        raise ImageError(f"{name} is empty (0 bytes): there is no image in it.")
    if len(data) > MAX_BYTES:
        raise ImageError(
            f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB. "
            "Crop the photo to the digit or save it smaller first."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            _check_pixel_count(image.size, name)
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            f"{name} claims to be a gigantic image (a 'decompression bomb'); it was refused. "
            "Use a normal photo or scan."
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(
            f"{name} is not an image that can be read (PNG, JPEG, GIF, BMP, WebP... expected)."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{name} looks damaged or truncated and cannot be decoded ({exc}).") from exc
    return image


def _check_pixel_count(size: tuple[int, ...], name: str) -> None:
    pixels = 1
    for side in size:
        pixels *= int(side)
    if pixels > MAX_PIXELS:
        shape = " x ".join(str(int(s)) for s in size)
        raise ImageError(
            f"{name} is {shape} pixels, more than the {MAX_PIXELS:,} allowed. "
            "A digit needs far fewer: shrink or crop the image first."
        )


def _read_path(path: str | os.PathLike) -> Image.Image:
    text = str(path)
    if text.startswith(("http://", "https://")):
        raise ImageError(f"{text} is a web address; download the image and pass the file instead.")
    path = Path(path).expanduser()
    if not path.exists():
        raise ImageError(f"there is no file {path}. Check the name and the folder.")
    if not path.is_file():
        raise ImageError(f"{path} is a folder, not an image file.")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ImageError(
            f"{path} is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB. "
            "Crop the photo to the digit or save it smaller first."
        )
    return _open_bytes(path.read_bytes(), name="the file")


def _array_to_unit(array: np.ndarray) -> np.ndarray:
    """Return ``array`` as float32 in 0..1, judging the scale from its dtype and values."""
    if array.dtype == bool:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        if low < 0:
            raise ImageError(f"pixel values must not be negative; this array goes down to {low}.")
        if array.dtype == np.uint16 or high > 255:
            if high > 65535:
                raise ImageError(f"pixel values must be 0..255 (or 0..65535); this array reaches {high}.")
            return (array / 65535.0).astype(np.float32)
        return (array / 255.0).astype(np.float32)
    if np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
        if not np.isfinite(array).all():
            raise ImageError("the image contains NaN or infinite values; every pixel must be a number.")
        low, high = float(array.min()), float(array.max())
        if low < 0 or high > 255:
            raise ImageError(
                f"pixel values must be in 0..1 (or 0..255); this array spans {low:.3g}..{high:.3g}. "
                "If it was normalised (mean/std), undo that first: pixels * std + mean."
            )
        return array if high <= 1.0 else array / 255.0
    raise ImageError(f"an image array must hold numbers, not {array.dtype}.")


def _from_array(array: np.ndarray) -> Image.Image:
    """Convert an array (H, W), (H, W, C) or (C, H, W) to an 8-bit PIL image."""
    if array.size == 0:
        raise ImageError(f"the image array is empty (shape {array.shape}): it has no pixels.")
    if array.ndim == 3 and array.shape[-1] not in (1, 2, 3, 4) and array.shape[0] in (1, 2, 3, 4):
        array = np.moveaxis(array, 0, -1)  # (C, H, W) as PyTorch stores images
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (2, 3, 4)):
        raise ImageError(
            f"an image array must be (height, width) or (height, width, channels) with "
            f"1-4 channels; got shape {array.shape}."
        )
    _check_pixel_count(array.shape[:2], "the image array")
    pixels = np.round(_array_to_unit(array) * 255).astype(np.uint8)
    return Image.fromarray(pixels)  # (H, W): "L"; 2, 3, 4 channels: "LA", "RGB", "RGBA"


def _standard_mode(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to L, LA, RGB or RGBA (8 bits per channel)."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _from_array(np.asarray(image))
    if image.mode == "1":
        return image.convert("L")
    if image.mode == "P" and "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode in ("PA", "La"):
        return image.convert("RGBA")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV...


def load_image(image: ImageLike) -> Image.Image:
    """Read an image from whatever the student has, checking that it is usable.

    Large pictures are shrunk (with antialiasing) to at most :data:`WORKING_SIZE` pixels
    on their longest side, and photos are turned upright using their EXIF orientation.

    Args:
        image: a PIL image; a numpy array or torch tensor of shape (H, W), (H, W, C)
            or (C, H, W) with 1-4 channels, values 0..255 (integers) or 0..1 (floats);
            a file path (``str`` or ``Path``); or the raw bytes of an image file
            (``bytes``, ``bytearray`` or ``memoryview``, e.g. from a ``FileUpload``).

    Returns:
        A PIL image in mode ``"L"``, ``"LA"``, ``"RGB"`` or ``"RGBA"``.

    Raises:
        ImageError: (a ``ValueError``) the input is not an image, is empty, too large,
            damaged, or holds NaNs; the message says which.
    """
    if isinstance(image, Image.Image):
        _check_pixel_count(image.size, "the image")
        if image.width == 0 or image.height == 0:
            raise ImageError(f"the image is {image.width} x {image.height} pixels: it has no pixels.")
        loaded = image
    elif isinstance(image, (bytes, bytearray, memoryview)):
        loaded = _open_bytes(image)
    elif isinstance(image, (str, os.PathLike)):
        loaded = _read_path(image)
    elif isinstance(image, torch.Tensor):
        loaded = _from_array(image.detach().cpu().numpy())
    elif isinstance(image, np.ndarray):
        loaded = _from_array(image)
    else:
        raise ImageError(
            f"cannot read a digit from a {type(image).__name__}; pass a PIL image, a numpy "
            "array, a file path or the bytes of an image file."
        )
    if loaded.width == 0 or loaded.height == 0:
        raise ImageError(f"the image is {loaded.width} x {loaded.height} pixels: it has no pixels.")
    if not isinstance(image, (np.ndarray, torch.Tensor)):
        loaded = ImageOps.exif_transpose(loaded)
    loaded = _standard_mode(loaded)
    if max(loaded.size) > WORKING_SIZE:
        loaded = loaded.copy()
        loaded.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.LANCZOS)
    return loaded


# ----------------------------------------------------------------------------- the steps


def to_grayscale(image: Image.Image) -> np.ndarray:
    """Turn an image into one brightness per pixel, filling in a transparent background.

    Transparent pixels carry no colour of their own, so they are laid over a
    background first: white when the visible ink is dark (the usual case, like paper),
    black when the visible ink is light (a white pen on a transparent canvas).

    Args:
        image: a PIL image from :func:`load_image`.

    Returns:
        float32 ``(H, W)`` in 0..1 (0 = black, 1 = white).
    """
    image = _standard_mode(image)
    has_alpha = image.mode in ("LA", "RGBA")
    gray = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    if not has_alpha:
        return gray
    alpha = np.asarray(image.getchannel("A"), dtype=np.float32) / 255.0
    if alpha.sum() == 0:
        raise ImageError("the image is completely transparent: there is no digit in it.")
    ink_brightness = float((gray * alpha).sum() / alpha.sum())
    background = 0.0 if ink_brightness > 0.5 else 1.0
    return gray * alpha + background * (1.0 - alpha)


def border_level(gray: np.ndarray) -> float:
    """Estimate the background brightness as the median of the pixels along the border.

    Args:
        gray: float ``(H, W)`` in 0..1.

    Returns:
        The median border brightness, 0..1.
    """
    h, w = gray.shape
    ring = max(1, round(0.03 * min(h, w)))
    border = np.concatenate(
        [gray[:ring].ravel(), gray[-ring:].ravel(), gray[:, :ring].ravel(), gray[:, -ring:].ravel()]
    )
    return float(np.median(border))


def has_light_background(gray: np.ndarray) -> bool:
    """Say whether the background (the border of the image) is lighter than mid-gray.

    Args:
        gray: float ``(H, W)`` in 0..1.

    Returns:
        ``True`` for dark ink on light paper, ``False`` for light ink on a dark background.
    """
    return border_level(gray) > 0.5


def invert_if_light_background(gray: np.ndarray) -> np.ndarray:
    """Make the digit light on a dark background, like MNIST, inverting if needed.

    Args:
        gray: float ``(H, W)`` in 0..1.

    Returns:
        float32 ``(H, W)``: ``1 - gray`` when the background is light, else ``gray``.
    """
    return (1.0 - gray).astype(np.float32) if has_light_background(gray) else gray.astype(np.float32)


def stretch_contrast(image: np.ndarray) -> np.ndarray:
    """Make the background exactly 0 and the brightest ink 1, like MNIST.

    Photographed paper is never pure white, so after inverting its background is dark
    gray rather than black; this step subtracts it and rescales.

    Args:
        image: float ``(H, W)`` in 0..1, light digit on a dark background.

    Returns:
        float32 ``(H, W)`` in 0..1.

    Raises:
        ImageError: there is (almost) no difference between ink and background: the
            image is blank.
    """
    background = border_level(image)
    ink = float(image.max())
    if ink - background < MIN_CONTRAST:
        raise ImageError(
            "the image looks blank: no digit stands out from the background. "
            "Draw or photograph a darker (or thicker) digit."
        )
    return np.clip((image - background) / (ink - background), 0.0, 1.0).astype(np.float32)


def crop_to_ink(image: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """Cut the image down to the smallest rectangle holding all the ink.

    Args:
        image: float ``(H, W)`` in 0..1, light digit on black.
        threshold: pixels brighter than this count as ink.

    Returns:
        float32 ``(h, w)``, the rectangle around the ink.

    Raises:
        ImageError: no pixel is brighter than ``threshold`` (a blank image).
    """
    ink = image > threshold
    if not ink.any():
        raise ImageError(
            "the image looks blank: no pixel is bright enough to be ink. "
            "Draw or photograph a darker (or thicker) digit."
        )
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)


def stroke_width(image: np.ndarray, threshold: float = INK_THRESHOLD) -> float:
    """Estimate the pen's width in pixels: twice the ink's area divided by its outline.

    A stroke ``w`` pixels wide and ``L`` long has area ``w * L`` and an outline of
    about ``2 * L`` pixels, so ``2 * area / outline`` is about ``w``.

    Args:
        image: float ``(H, W)`` in 0..1, light digit on black.
        threshold: pixels brighter than this count as ink.

    Returns:
        The estimated width in pixels (0 for a blank image).
    """
    ink = image > threshold
    padded = np.pad(ink, 1)
    inside = (padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1]
              & padded[1:-1, :-2] & padded[1:-1, 2:])
    outline = int((ink & ~inside).sum())
    return 2.0 * int(ink.sum()) / outline if outline else 0.0


def _dilate(image: np.ndarray, size: int) -> np.ndarray:
    """Grayscale dilation (a moving maximum) with a ``size`` x ``size`` square, growing the image."""
    if size <= 1:
        return image
    grown = np.pad(image, size - 1)  # room for the ink to grow by size // 2 on each side
    for axis in (0, 1):
        grown = np.lib.stride_tricks.sliding_window_view(grown, size, axis=axis).max(axis=-1)
    return np.ascontiguousarray(grown, dtype=np.float32)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    resized = Image.fromarray(image.astype(np.float32)).resize((width, height), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def thicken_strokes(
    image: np.ndarray, min_stroke: float = MIN_STROKE, target: float = TARGET_STROKE
) -> np.ndarray:
    """Thicken thin pen strokes to about MNIST's thickness, relative to the digit's size.

    MNIST digits were written with a thick pen: their strokes are about an eighth of
    the digit's height. A ballpoint line on a photo, or a thin mouse line, would shrink
    to a faint 1-pixel trace in 20x20. Strokes thinner than ``min_stroke`` times the
    digit's longest side are widened (a moving maximum) to ``target`` times it;
    thicker ones, MNIST's included, are left as they are. Very large crops are shrunk
    to :data:`THICKEN_SIZE` first (after widening just enough to survive the shrinking).

    Args:
        image: float ``(h, w)`` in 0..1, cropped to the ink.
        min_stroke: thinner strokes than this fraction are thickened.
        target: the stroke width to reach, as a fraction of the longest side.

    Returns:
        float32 in 0..1: ``image`` itself, or a thickened (slightly larger) copy.
    """
    if stroke_width(image) >= min_stroke * max(image.shape):
        return image.astype(np.float32)
    longest = max(image.shape)
    if longest > THICKEN_SIZE:
        image = _dilate(image, int(np.ceil(longest / THICKEN_SIZE)) | 1)
        scale = THICKEN_SIZE / max(image.shape)
        image = _resize(image, max(1, round(image.shape[0] * scale)), max(1, round(image.shape[1] * scale)))
        image = image / max(float(image.max()), 1e-6)
    missing = target * max(image.shape) - stroke_width(image)
    return _dilate(image, int(round(missing)) | 1) if missing > 1 else image.astype(np.float32)


def fit_in_20x20(image: np.ndarray, size: int = 20) -> np.ndarray:
    """Scale the digit so its longest side is ``size`` pixels, keeping its proportions.

    Shrinking uses Lanczos filtering (antialiasing), so thin strokes become gray
    rather than disappearing; the result is rescaled so its brightest pixel is 1.

    Args:
        image: float ``(h, w)`` in 0..1, cropped to the ink.
        size: the longest side after scaling (MNIST uses 20).

    Returns:
        float32 ``(size, w')`` or ``(h', size)`` in 0..1.
    """
    h, w = image.shape
    scale = size / max(h, w)
    result = _resize(image, max(1, round(h * scale)), max(1, round(w * scale)))
    peak = float(result.max())
    return result / peak if peak > 0 else result


def center_of_mass(image: np.ndarray | torch.Tensor) -> tuple[float, float]:
    """Return the brightness-weighted mean (row, column) of an image.

    Args:
        image: ``(H, W)`` or ``(1, H, W)``, non-negative.

    Returns:
        ``(row, column)`` in pixels, ``(0, 0)`` being the centre of the top-left pixel.
    """
    pixels = np.asarray(image.detach().cpu() if isinstance(image, torch.Tensor) else image, dtype=np.float64)
    pixels = pixels.reshape(pixels.shape[-2:])
    total = pixels.sum()
    if total <= 0:
        raise ImageError("the image is black everywhere: it has no centre of mass.")
    rows = np.arange(pixels.shape[0]) @ pixels.sum(axis=1) / total
    cols = np.arange(pixels.shape[1]) @ pixels.sum(axis=0) / total
    return float(rows), float(cols)


def center_by_mass(image: np.ndarray, size: int = 28) -> np.ndarray:
    """Place the digit in a ``size`` x ``size`` black image with its centre of mass at the centre.

    The shift is rounded to whole pixels (no blurring) and limited so that the digit
    always stays entirely inside the image.

    Args:
        image: float ``(h, w)`` in 0..1, at most ``size`` pixels each way (the output
            of :func:`fit_in_20x20`).
        size: the side of the result (MNIST: 28, centre of mass at (14, 14)).

    Returns:
        float32 ``(size, size)`` in 0..1.
    """
    h, w = image.shape
    if h > size or w > size:
        raise ImageError(f"the digit is {h} x {w} pixels, too big for a {size} x {size} image.")
    row, col = center_of_mass(image)
    target = size / 28 * MNIST_CENTER[0], size / 28 * MNIST_CENTER[1]
    top = int(np.clip(round(target[0] - row), 0, size - h))
    left = int(np.clip(round(target[1] - col), 0, size - w))
    result = np.zeros((size, size), dtype=np.float32)
    result[top : top + h, left : left + w] = image
    return result


# ----------------------------------------------------------------------------- pipelines


def preprocess_steps(image: ImageLike) -> dict[str, np.ndarray]:
    """Run every step of :func:`to_mnist` and keep each intermediate image (lesson 5).

    Args:
        image: anything :func:`load_image` accepts.

    Returns:
        An ordered dict from step name to image: ``"loaded"`` (uint8 ``(H, W, C)`` or
        ``(H, W)`` as loaded), then float32 2-D arrays in 0..1 for ``"grayscale"``,
        ``"inverted"``, ``"stretched"``, ``"cropped"``, ``"thickened"``, ``"20x20"`` and
        ``"28x28"``.

    Raises:
        ImageError: the image cannot be used; the message says why.
    """
    loaded = load_image(image)
    steps: dict[str, np.ndarray] = {"loaded": np.asarray(loaded)}
    steps["grayscale"] = to_grayscale(loaded)
    steps["inverted"] = invert_if_light_background(steps["grayscale"])
    steps["stretched"] = stretch_contrast(steps["inverted"])
    steps["cropped"] = crop_to_ink(steps["stretched"])
    steps["thickened"] = thicken_strokes(steps["cropped"])
    steps["20x20"] = fit_in_20x20(steps["thickened"])
    steps["28x28"] = center_by_mass(steps["20x20"])
    return steps


def to_mnist(image: ImageLike) -> torch.Tensor:
    """Turn a picture of one digit into an MNIST-style input, the way MNIST was made.

    Light ink on black, cropped to the ink, longest side scaled to 20 pixels, centred
    by centre of mass in 28x28 (see the module docstring and lesson 5). Applying it to
    an MNIST image changes it very little.

    Args:
        image: a PIL image, numpy array, torch tensor, file path or the bytes of an
            image file (see :func:`load_image`).

    Returns:
        float32 tensor ``(1, 28, 28)`` in 0..1, not normalised (like ``ToTensor()``).

    Raises:
        ImageError: (a ``ValueError``) the image cannot be used; the message says why.
    """
    return torch.from_numpy(preprocess_steps(image)["28x28"].copy()).unsqueeze(0)


def naive_preprocess(image: ImageLike) -> torch.Tensor:
    """The source tutorials' pipeline: ``convert('L')``, ``Resize((28, 28))``, ``ToTensor()``.

    Kept to show in lesson 5 why it fails on real pictures: it neither inverts dark
    ink on light paper, nor crops, nor keeps the proportions, nor centres the digit, and
    ``convert('L')`` drops transparency.

    Args:
        image: anything :func:`load_image` accepts.

    Returns:
        float32 tensor ``(1, 28, 28)`` in 0..1.
    """
    from torchvision import transforms

    naive = transforms.Compose([transforms.Resize((28, 28)), transforms.ToTensor()])
    return naive(load_image(image).convert("L"))


def load_samples(folder: str | os.PathLike = SAMPLES_DIR) -> tuple[list[Path], torch.Tensor]:
    """List the shipped own-digit images and their true digits (lesson 5).

    Args:
        folder: a folder with PNG files and a ``labels.json`` mapping file name to digit.

    Returns:
        ``(paths, labels)``: the image files sorted by name, and int64 labels ``(N,)``.
    """
    import json

    folder = Path(folder)
    labels = json.loads((folder / "labels.json").read_text())
    names = sorted(labels)
    return [folder / name for name in names], torch.tensor([int(labels[name]) for name in names])


def show_pictures(pictures: list, titles: list[str] | None = None, ncols: int = 8, fig=None):
    """Show pictures of any size and kind (paths, PIL images, arrays) in a grid.

    Transparent pixels show the white figure behind them.

    Args:
        pictures: anything :func:`load_image` accepts.
        titles: one title per picture.
        ncols: pictures per row.
        fig: a matplotlib figure to draw into (default: a new one).

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    ncols = max(1, min(ncols, len(pictures)))
    nrows = (len(pictures) + ncols - 1) // ncols
    if fig is None:
        fig = plt.figure(figsize=(1.5 * ncols, 1.7 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(pictures):
            ax.axis("off")
            continue
        picture = load_image(pictures[i])
        if picture.mode == "LA":
            picture = picture.convert("RGBA")  # matplotlib cannot show gray + alpha
        ax.imshow(np.asarray(picture), cmap="gray", vmin=0, vmax=255)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    return fig


def show_steps(steps: dict[str, np.ndarray], fig=None):
    """Draw the images of :func:`preprocess_steps` side by side, titled by step.

    Args:
        steps: the dict returned by :func:`preprocess_steps`.
        fig: a matplotlib figure to draw into (default: a new one).

    Returns:
        The figure.
    """
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(1.7 * len(steps), 2.2))
    axes = fig.subplots(1, len(steps), squeeze=False)[0]
    for ax, (name, pixels) in zip(axes, steps.items(), strict=True):
        if pixels.ndim == 3 and pixels.shape[-1] == 2:  # gray + alpha: show as RGBA
            pixels = np.asarray(Image.fromarray(pixels).convert("RGBA"))
        vmax = 255 if pixels.dtype == np.uint8 else 1
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{name}\n{pixels.shape[1]}x{pixels.shape[0]}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
