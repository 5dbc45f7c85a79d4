"""Helpers for checking what a student writes by hand against PyTorch's own function (lesson 6).

A convolution (exercise 6.2) or max pooling (6.3) written with loops must give PyTorch's numbers
without calling PyTorch's function: :func:`call_spying` runs the answer and says whether it did.
:func:`pooled` and :func:`row_groups` give the right answer and a wrong one a student may write.
"""

from __future__ import annotations

from unittest import mock

import torch
import torch.nn.functional as F

from . import call


def call_spying(answer, *args: object, name: str, function: str) -> tuple[object, bool]:
    """Call the student's function ``name`` with ``args``; also say whether it used PyTorch's
    ``function`` (e.g. ``"conv2d"``, through ``torch.nn.functional``, ``torch`` or a layer).

    Returns:
        ``(what the answer returned, whether it called function)``; errors as :func:`call` reports them.
    """
    used = []

    def spy(real):
        def spied(*a, **k):
            used.append(True)
            return real(*a, **k)
        return spied

    with mock.patch.object(F, function, spy(getattr(F, function))), \
            mock.patch.object(torch, function, spy(getattr(torch, function))):
        return call(answer, *args, name=name), bool(used)


def pooled(feature_map: torch.Tensor, pool=F.max_pool2d, **options) -> torch.Tensor:
    """``pool`` (max or average, 2x2 unless ``options`` say otherwise) of a 2-D map, as a 2-D map."""
    return pool(feature_map[None, None], **{"kernel_size": 2, **options})[0, 0]


def row_groups(feature_map: torch.Tensor) -> torch.Tensor | None:
    """The largest of every 4 neighbours along a row (a wrong reshape), or None if it does not fit."""
    rows, cols = feature_map.shape[0] // 2, feature_map.shape[1] // 2
    if feature_map.shape != (2 * rows, 2 * cols):
        return None
    return feature_map.reshape(rows, cols, 4).amax(-1)
