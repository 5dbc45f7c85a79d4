"""Reading a picture of a digit safely (lesson 5): files, uploads, PIL images, arrays and tensors.

Sizes are checked before decoding, and pictures are shrunk to :data:`WORKING_SIZE` and made 8-bit.
Integers are 0..255 (0..65535 for 16-bit data); floats are 0..1 (clipped) or else 0..255.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps

MAX_BYTES = 10 * 1024 * 1024  #: Largest upload or file read, in bytes (a phone photo is 2-8 MB).
MAX_DECODED_BYTES = 160_000_000  #: Most memory a decoded picture may take (:func:`check_size`): 40 MP RGB.
WORKING_SIZE = 1024  #: Longest side pictures are shrunk to when loaded (the digit ends up 20 px tall).
FLOAT_TOLERANCE = 0.05  #: Floats from ``-FLOAT_TOLERANCE`` to ``1 + FLOAT_TOLERANCE`` are 0..1, clipped.

ImageLike = Any  # PIL image, numpy array, torch tensor, str or Path, bytes

_HIGH_DEPTH = ("I", "F", "I;16", "I;16B", "I;16L", "I;16N")


class ImageError(ValueError):
    """The picture cannot be turned into an MNIST-style digit; the message says why."""


def check_size(size: tuple[int, ...], mode: str, name: str = "the image", nbytes: int = 0) -> None:
    """Raise :class:`ImageError` if the picture would take more than :data:`MAX_DECODED_BYTES` of memory.

    The memory a picture takes once decoded and shrunk is its pixels x the bytes Pillow stores per
    pixel (1 for L, P and 1; 2 for 16-bit; 4 for RGB, LA, RGBA, CMYK, 32-bit and float), twice that
    for LA and RGBA, which Pillow copies (alpha premultiplied) to shrink them.

    Args:
        size: ``(width, height)`` (or any sides), as decoded (after ``draft`` for a JPEG).
        mode: the PIL mode, which says how many bytes each pixel takes.
        name: what to call the picture in the message.
        nbytes: the memory it takes, when known (an array's ``nbytes``), instead of what ``mode`` says.
    """
    stored = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    copies = 2 if mode in ("LA", "RGBA") else 1
    needed = nbytes or math.prod(int(side) for side in size) * stored * copies
    if needed > MAX_DECODED_BYTES:
        shape = " x ".join(str(int(s)) for s in size)
        raise ImageError(f"{name} is {shape} pixels ({needed / 1e6:.0f} MB decoded), more than "
                         f"the {MAX_DECODED_BYTES / 1e6:.0f} MB allowed. A digit needs far fewer pixels: "
                         "shrink or crop it first.")


def _check_bytes(size: int, name: str) -> None:
    if size == 0:
        raise ImageError(f"{name} is empty (0 bytes): there is no image in it.")
    if size > MAX_BYTES:
        raise ImageError(f"{name} is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB. "
                         "Crop the photo to the digit or save it smaller first.")


def _open_bytes(data: bytes | bytearray | memoryview, name: str = "the upload") -> Image.Image:
    """Decode image bytes in memory at a reduced size; every decoder error becomes an ImageError."""
    data = bytes(data)
    _check_bytes(len(data), name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.draft(image.mode, (WORKING_SIZE, WORKING_SIZE))  # JPEG: decode at 1/2, 1/4 or 1/8
            check_size(image.size, image.mode, name)  # the size it will be decoded at
            return _shrink(image)  # decodes it (the first thing it reads is the pixels)
    except (ImageError, MemoryError):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{name} claims to be a gigantic image (a 'decompression bomb'); it was "
                         "refused. Use a normal photo or scan.") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageError(f"{name} is not an image that can be read (PNG, JPEG, GIF, BMP, WebP... "
                         "expected).") from exc
    except Exception as exc:  # noqa: BLE001  any decoder failure: OSError, struct.error, NotImplementedError...
        raise ImageError(f"{name} looks damaged or truncated and cannot be decoded "
                         f"({type(exc).__name__}: {exc}).") from exc


def _read_path(path: str | os.PathLike) -> Image.Image:
    if str(path).startswith(("http://", "https://")):
        raise ImageError(f"{path} is a web address; download the image and pass the file instead.")
    path = Path(path).expanduser()
    if not path.exists():
        raise ImageError(f"there is no file {path}. Check the name and the folder.")
    if not path.is_file():
        raise ImageError(f"{path} is a folder, not an image file.")
    _check_bytes(path.stat().st_size, str(path))
    return _open_bytes(path.read_bytes(), name="the file")


def _resized(image: Image.Image) -> Image.Image:
    """``image``, or a copy shrunk to :data:`WORKING_SIZE` (longest side) in its own mode, antialiased."""
    if max(image.size) <= WORKING_SIZE:
        return image
    size = tuple(max(1, round(side * (WORKING_SIZE / max(image.size)))) for side in image.size)
    resample = Image.Resampling.NEAREST if image.mode in ("1", "P", "PA") else Image.Resampling.LANCZOS
    return image.resize(size, resample)


def _shrink(image: Image.Image) -> Image.Image:
    """Shrink to :data:`WORKING_SIZE`, then turn upright by the EXIF orientation (no full-size copy).

    16-bit, 32-bit and float pictures become mode L, their range checked before resampling (whose
    overshoot is then clipped).
    """
    scale = None
    if image.mode in _HIGH_DEPTH:
        low, high = image.getextrema()
        scale = _unit_scale(float(low), float(high), image.mode != "F", image.mode.startswith("I;16"))
    small = ImageOps.exif_transpose(_resized(image))  # a copy, turned if the EXIF says so
    return small if scale is None else _to_8bit(np.asarray(small), scale)


def _unit_scale(low: float, high: float, integer: bool, sixteen_bit: bool) -> float:
    """What to divide values by to reach 0..1, following the module's rule."""
    if integer:
        if low < 0:
            raise ImageError(f"pixel values must not be negative; this image goes down to {low:g}.")
        if high > 65535:
            raise ImageError(f"pixel values must be 0..255 (or 0..65535); this image reaches {high:g}.")
        return 65535.0 if sixteen_bit or high > 255 else 255.0
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ImageError("the image contains NaN or infinite values; every pixel must be a number.")
    if low < -FLOAT_TOLERANCE or high > 255:
        raise ImageError(f"pixel values must be in 0..1 (or 0..255); this image spans {low:.3g}..{high:.3g}. "
                         "If it was normalised (mean/std), undo that first: pixels * std + mean.")
    return 1.0 if high <= 1 + FLOAT_TOLERANCE else 255.0


def _to_8bit(pixels: np.ndarray, scale: float) -> Image.Image:
    unit = np.clip(pixels.astype(np.float32) / np.float32(scale), 0.0, 1.0)
    return Image.fromarray(np.round(unit * 255).astype(np.uint8))


def resized(image: np.ndarray, longest: int = 0, shape: tuple[int, int] = (0, 0),
            resample: Image.Resampling = Image.Resampling.BOX) -> np.ndarray:
    """A float32 copy of ``(H, W)`` ``image`` whose longest side is ``longest`` pixels (or of ``shape``):
    the one way the cleaning steps work on a small copy (box filter: each pixel the mean of those it covers).
    """
    if longest:  # the sizes ``ImageOps.contain`` chooses, but a hair-thin line keeps one pixel
        shape = tuple(max(1, round(side / max(image.shape) * longest)) for side in image.shape)
    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32))  # mode "F"
    return np.asarray(picture.resize(shape[::-1], resample), dtype=np.float32)


def _from_array(array: np.ndarray) -> Image.Image:
    """Convert one ``(H, W)`` or channels-last ``(H, W, C)`` array to a PIL image."""
    if array.size == 0:
        raise ImageError(f"the image array is empty (shape {array.shape}): it has no pixels.")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (2, 3, 4)):
        hint = (" It looks like channels first (C, H, W), as PyTorch stores images: pass "
                "array.transpose(1, 2, 0) (a tensor: tensor.permute(1, 2, 0))."
                if array.ndim == 3 and array.shape[0] in (1, 3, 4) else "")
        raise ImageError(f"a picture array must be (height, width) or (height, width, channels) with "
                         f"1-4 channels last; got shape {array.shape}.{hint} A batch of N MNIST-size "
                         "images is (N, 28, 28), passed to predict().")
    if not (array.dtype == bool or np.issubdtype(array.dtype, np.number)):
        raise ImageError(f"an image array must hold numbers, not {array.dtype}.")
    check_size(array.shape[:2], "L", "the image array", nbytes=array.nbytes)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    if array.dtype == np.uint8:
        return _shrink(Image.fromarray(np.ascontiguousarray(array)))
    integer = bool(np.issubdtype(array.dtype, np.integer))
    scale = _unit_scale(float(array.min()), float(array.max()), integer, array.dtype == np.uint16)
    if array.ndim == 2:  # shrink first (as a float32 picture, mode F, like any other), then make it 8-bit
        return _to_8bit(np.asarray(_resized(Image.fromarray(array.astype(np.float32)))), scale)
    return _shrink(_to_8bit(array, scale))  # colour arrays: LA, RGB or RGBA


def standard_mode(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to ``"L"``, ``"LA"``, ``"RGB"`` or ``"RGBA"`` (8 bits per channel)."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode in _HIGH_DEPTH:  # 16-bit, 32-bit integer or float: shrink, then make it mode L
        return _shrink(image)
    if image.mode == "La":  # grey with premultiplied alpha: PIL turns it only into LA
        return image.convert("LA")
    transparent = (image.mode == "P" and "transparency" in image.info) or image.mode == "PA"
    return image.convert("L" if image.mode == "1" else "RGBA" if transparent else "RGB")  # RGB: P, CMYK...


def load_image(image: ImageLike) -> Image.Image:
    """Read one picture from whatever the student has, checking that it is usable (lesson 5).

    Args:
        image: a PIL image, an array or tensor ``(H, W)`` or ``(H, W, C)`` (1-4 channels last),
            a file path, or the bytes of an image file (e.g. from a ``FileUpload``).

    Returns:
        A PIL image in mode L, LA, RGB or RGBA, at most :data:`WORKING_SIZE` on its longest side,
        turned upright by its EXIF orientation.

    Raises:
        ImageError: not an image, empty, too large, damaged, NaNs, or an ambiguous shape.
    """
    if isinstance(image, Image.Image):
        check_size(image.size, image.mode)
        loaded = _shrink(image)
    elif isinstance(image, (bytes, bytearray, memoryview)):
        loaded = _open_bytes(image)
    elif isinstance(image, (str, os.PathLike)):
        loaded = _read_path(image)
    elif isinstance(image, (torch.Tensor, np.ndarray)):
        loaded = _from_array(image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else image)
    else:
        raise ImageError(f"cannot read a digit from a {type(image).__name__}; pass a PIL image, a numpy "
                         "array, a file path or the bytes of an image file.")
    if loaded.width == 0 or loaded.height == 0:
        raise ImageError(f"the image is {loaded.width} x {loaded.height} pixels: it has no pixels.")
    return standard_mode(loaded)
