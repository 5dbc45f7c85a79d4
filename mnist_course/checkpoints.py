"""Saving and loading trained models safely (lesson 4 saves the best epoch; lesson 5 loads it).

A checkpoint holds only tensors and plain data (weights, model class and settings, metrics and the
*recipe*: the normalisation and preprocessing its inputs need), so ``torch.load(weights_only=True)``
runs no code from it. Everything read is checked, and the model is built on the ``meta`` device
until its settings fit the stored tensors, so a damaged file cannot make it allocate gigabytes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch
from torch import nn

from .data import DEFAULT_RECIPE
from .data.atomic import atomic_write, why_not_written
from .models import MODEL_CLASSES, build_model, parse_hidden
from .recipe import Recipe

FORMAT = "mnist_course.checkpoint/2"  # /2 added the recipe; /1 files (normalisation only) still load
READABLE_FORMATS = ("mnist_course.checkpoint/1", FORMAT)
_PLAIN = (bool, int, float, str, type(None))


class CheckpointError(ValueError):
    """A checkpoint file is missing, damaged or was not written by :func:`save_checkpoint`."""


class CheckpointWriteError(CheckpointError, OSError):
    """A checkpoint could not be written where asked: a full disk, an unwritable folder, a folder's name."""


def _plain(values: dict | None, what: str = "metric") -> dict:
    """``values`` as plain Python data (0-d numpy or torch numbers become Python numbers), or TypeError."""
    plain = {}
    for key, value in dict(values or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"{what} names must be text, not {key!r}")
        if type(value) not in _PLAIN and getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
            value = value.item()  # numpy.float64(0.97) or torch.tensor(0.97) -> 0.97
        if type(value) not in _PLAIN:  # exact types: a numpy.float64 *is* a float, but would not load
            raise TypeError(f"{what} {key!r} must be a plain number, text, True/False or None, not "
                            f"{type(value).__name__} {value!r}; convert it, e.g. with float(...)")
        plain[key] = value
    return plain


def _checked_recipe(recipe, where: str) -> dict:
    """``recipe`` read and checked by :class:`Recipe`, as a plain dict; or CheckpointError."""
    try:
        return Recipe.from_dict(recipe).to_dict()
    except ValueError as exc:
        raise CheckpointError(f"{where}: {exc}") from None


def _check_finite(state_dict: dict, where: str) -> None:
    for name, tensor in state_dict.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"{where}: the weights {name!r} contain NaN or infinite numbers "
                                  "(training diverged?); train again with a lower learning rate.")


def check_writable(path: str | os.PathLike) -> Path:
    """Make sure a checkpoint can be written to ``path``, before training: create the folder, then
    create and remove a temporary file in it.

    Raises:
        CheckpointWriteError: ``path`` is a folder, or the folder can not be created or written.
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointWriteError(f"{path} is a folder; give a file name, e.g. {path / 'model.pt'}")
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise CheckpointWriteError(f"can not write a checkpoint to {path}: {blocking} is a file, "
                                   "not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part").close()
    except OSError as exc:
        raise CheckpointWriteError(f"can not write a checkpoint to {path}: {exc.strerror or exc}. "
                                   "Choose another place (--out).") from exc
    return path


def save_checkpoint(path: str | os.PathLike, model: nn.Module, metrics: dict | None = None) -> Path:
    """Save ``model``'s weights, settings, recipe and ``metrics`` to ``path``, atomically; return the path.

    Written with :func:`~mnist_course.data.atomic.atomic_write`: an interrupted save never leaves
    half a checkpoint, and two programs saving to one path both succeed.

    Args:
        path: file to write, e.g. ``checkpoints/best.pt`` (folders are created).
        model: an ``MLP``, ``SmallCNN`` or ``SoftmaxRegression``; its ``recipe`` (default
            :data:`DEFAULT_RECIPE`) is saved with it.
        metrics: plain values to keep with it, e.g. ``{"test_accuracy": 0.97}``.

    Raises:
        TypeError: the model is not a course model, or a metric is not a plain value.
        CheckpointError: NaN or infinite weights, or an invalid recipe.
        CheckpointWriteError: ``path`` can not be written (a full disk...); also an ``OSError``.
    """
    name = type(model).__name__
    if name not in MODEL_CLASSES:
        raise TypeError(f"only {sorted(MODEL_CLASSES)} models can be saved, not {name}")
    path = Path(path)
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    _check_finite(state_dict, f"not saving {path}")
    recipe = _checked_recipe(getattr(model, "recipe", DEFAULT_RECIPE), f"not saving {path}")
    payload = {"format": FORMAT, "model_class": name, "config": dict(model.config),
               "state_dict": state_dict, "metrics": _plain(metrics), "recipe": recipe}
    check_writable(path)
    try:
        return atomic_write(path, lambda file: torch.save(payload, file))
    except (OSError, RuntimeError) as exc:
        error = exc if isinstance(exc, OSError) else exc.__context__  # torch wraps the file's OSError
        if not isinstance(error, OSError):
            raise
        why = why_not_written(error)
        raise CheckpointWriteError(f"could not write the checkpoint {path}: {why}") from exc


def _read(path: Path) -> dict:
    """Read and check the file's top level: a dict of our format with the keys we need."""
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}. Train and save one first (lesson 4, or "
                              "`python -m mnist_course train`).")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, random bytes, a pickled whole model...
        raise CheckpointError(f"{path} is not a readable mnist_course checkpoint ({type(exc).__name__}). "
                              "It may be truncated, or a file saved some other way (for example a whole "
                              "pickled model, which is refused because loading it could run code).") from exc
    if not isinstance(payload, dict) or payload.get("format") not in READABLE_FORMATS:
        raise CheckpointError(f"{path} was not written by mnist_course.save_checkpoint "
                              f"(expected format {FORMAT!r}).")
    payload.setdefault("metrics", {})
    for key, kind in (("model_class", str), ("config", dict), ("state_dict", dict), ("metrics", dict)):
        if not isinstance(payload.get(key), kind):
            raise CheckpointError(f"{path} is damaged: {key!r} is missing or not a {kind.__name__}. "
                                  "Save the model again with save_checkpoint.")
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in payload["state_dict"].items()):
        raise CheckpointError(f"{path} is damaged: its state_dict must map names to tensors.")
    return payload


def _build(payload: dict, where: str) -> nn.Module:
    """The file's model, built on the meta device, given the stored tensors if names, shapes, dtypes fit."""
    config, stored = payload["config"], payload["state_dict"]
    try:
        if "hidden" in config:  # bounded sizes, and no more layers than stored tensors
            if len(parse_hidden(config["hidden"])) >= len(stored):
                raise ValueError(f"{len(config['hidden'])} hidden layers, but only {len(stored)} tensors")
        with torch.device("meta"):
            model = build_model(payload["model_class"], config)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: its model settings are invalid: {exc}") from exc
    expected = {k: f"{tuple(v.shape)} {str(v.dtype)[6:]}" for k, v in model.state_dict().items()}
    found = {k: f"{tuple(v.shape)} {str(v.dtype)[6:]}" for k, v in stored.items()}  # "(8, 784) float32"
    if expected != found:
        wrong = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
        details = ", ".join(f"{k}: expected {expected.get(k)}, found {found.get(k)}" for k in wrong[:3])
        raise CheckpointError(f"{where} holds weights that do not fit its model {payload['model_class']} "
                              f"{config}: {details}")
    _check_finite(stored, where)
    model.load_state_dict(stored, assign=True)
    return model


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Load a checkpoint written by :func:`save_checkpoint`, without unpickling code.

    Returns:
        ``(model, info)``: the model in eval mode on ``device`` with its ``recipe`` set, and a dict
        with ``model_class``, ``config``, ``metrics``, ``recipe`` and ``normalization`` (the
        recipe's mean and std, for older code). Files from before recipes get
        :data:`DEFAULT_RECIPE` with their stored normalisation.

    Raises:
        CheckpointError: the file is missing, truncated, not a checkpoint, or holds settings,
            numbers or weights that are invalid or do not fit together.
    """
    path = Path(path)
    payload = _read(path)
    recipe = payload.get("recipe")
    if recipe is None:  # format /1: only the normalisation was stored
        old = payload.get("normalization", {})
        recipe = {**DEFAULT_RECIPE, **old} if isinstance(old, dict) else old
    recipe = _checked_recipe(recipe, str(path))
    model = _build(payload, str(path))
    model.recipe = recipe
    model.to(device).eval()
    info = {"model_class": payload["model_class"], "config": payload["config"],
            "metrics": payload["metrics"], "recipe": recipe,
            "normalization": {"mean": recipe["mean"], "std": recipe["std"]}}
    return model, info
