"""The networks of the course: softmax regression (lesson 2), multi-layer perceptrons (lesson 3)
and a small CNN (lesson 6), here so that later lessons, the dashboard and checkpoints rebuild them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
#: Upper bounds for an MLP, so a typo in the dashboard or a crafted checkpoint cannot
#: allocate gigabytes: the widest layer, the most hidden layers, the most parameters.
MAX_WIDTH = 4096
MAX_DEPTH = 8
MAX_PARAMETERS = 20_000_000
#: The most channels a convolution of :class:`SmallCNN` may have.
MAX_CHANNELS = 256


def mlp_parameters(hidden: Sequence[int]) -> int:
    """How many weights and biases a 784-...-10 MLP with these hidden sizes has."""
    widths = [28 * 28, *hidden, 10]
    return sum(w_in * w_out + w_out for w_in, w_out in zip(widths[:-1], widths[1:], strict=True))


def check_hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    """Check hidden layer sizes against the bounds, before anything is allocated; return them as ints.

    Raises:
        ValueError: a size is not a whole number from 1 to :data:`MAX_WIDTH`, there are more than
            :data:`MAX_DEPTH` layers, or more than :data:`MAX_PARAMETERS` parameters.
    """
    values = [] if isinstance(hidden, str) else list(hidden)
    try:
        sizes = tuple(int(h) for h in values)
        whole = not isinstance(hidden, str) and all(s == h for s, h in zip(sizes, values, strict=True))
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise ValueError(f"hidden sizes must be whole numbers like (128, 256), not {hidden!r}")
    if any(size < 1 or size > MAX_WIDTH for size in sizes):
        raise ValueError(f"hidden sizes must be between 1 and {MAX_WIDTH} (positive), not {list(sizes)}")
    if len(sizes) > MAX_DEPTH:
        raise ValueError(f"at most {MAX_DEPTH} hidden layers, not {len(sizes)}: use fewer sizes")
    if (count := mlp_parameters(sizes)) > MAX_PARAMETERS:
        raise ValueError(f"hidden sizes {list(sizes)} make {count:,} parameters, more than the "
                         f"{MAX_PARAMETERS:,} this course allows (they would need gigabytes of memory to "
                         "train): use smaller layers")
    return sizes


class SoftmaxRegression(nn.Module):
    """One linear layer from 784 pixels to 10 logits (lesson 2); input ``(N, 1, 28, 28)`` or ``(N, 784)``."""

    def __init__(self) -> None:
        super().__init__()
        self.config: dict = {}
        self.linear = nn.Linear(28 * 28, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.reshape(len(x), -1))


class MLP(nn.Module):
    """A multi-layer perceptron, Linear -> activation -> Dropout per hidden layer (lesson 3).

    Args:
        hidden: hidden layer sizes, e.g. ``(500, 256)`` for 784-500-256-10; empty: softmax regression.
        dropout: probability of zeroing each hidden unit while training, in [0, 1).
        activation: ``"relu"``, ``"sigmoid"`` or ``"tanh"``.
    """

    def __init__(self, hidden: Sequence[int] = (128, 256), dropout: float = 0.0,
                 activation: str = "relu") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, not {activation!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {dropout}")
        hidden = check_hidden(hidden)  # before a single weight is allocated
        self.config = {"hidden": list(hidden), "dropout": float(dropout), "activation": activation}
        layers: list[nn.Module] = [nn.Flatten()]
        width = 28 * 28
        for size in hidden:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, 10))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.reshape(len(x), -1))


class SmallCNN(nn.Module):
    """Two Conv -> ReLU -> MaxPool blocks, Dropout, Linear (lesson 6); input ``(N, [1,] 28, 28)``.

    ``SmallCNN()``: conv 1->32 5x5, pool 2, conv 32->64 5x5, pool 2, 64 * 4 * 4 = 1024 features -> 10.

    Args:
        channels: output channels of the two convolutions, each 1 to :data:`MAX_CHANNELS`.
        kernel_size: 3, 5 or 7 (no padding: 28 -> 28 - k + 1, then pooled by 2).
        dropout: probability of zeroing each feature before the last layer, in [0, 1).
    """

    def __init__(self, channels: Sequence[int] = (32, 64), kernel_size: int = 5,
                 dropout: float = 0.25) -> None:
        super().__init__()
        sizes = [] if isinstance(channels, str) else list(channels)
        if len(sizes) != 2 or not all(type(c) is int and 1 <= c <= MAX_CHANNELS for c in sizes):
            raise ValueError(f"channels must be two whole numbers from 1 to {MAX_CHANNELS}, not {channels!r}")
        if kernel_size not in (3, 5, 7):
            raise ValueError(f"kernel_size must be 3, 5 or 7, not {kernel_size!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {dropout}")
        self.config = {"channels": sizes, "kernel_size": int(kernel_size), "dropout": float(dropout)}
        side = ((28 - kernel_size + 1) // 2 - kernel_size + 1) // 2  # 4 for 5x5 kernels
        self.features = nn.Sequential(
            nn.Conv2d(1, sizes[0], kernel_size), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 12, 12)
            nn.Conv2d(sizes[0], sizes[1], kernel_size), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, 4, 4)
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                        nn.Linear(sizes[1] * side * side, 10))  # (N, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x.reshape(len(x), 1, 28, 28)))


def parse_hidden(value: str | Sequence[int]) -> tuple[int, ...]:
    """Hidden layer sizes from text like ``"128, 256"`` (commas, spaces or dashes) or a list of ints.

    Raises:
        ValueError: a size is not a whole number, or the sizes break a bound of :func:`check_hidden`.
    """
    parts = value.replace(",", " ").replace("-", " ").split() if isinstance(value, str) else list(value)
    try:
        sizes = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(f"hidden sizes must be whole numbers like '128, 256', not {value!r}") from None
    return check_hidden(sizes)


MODEL_CLASSES = {"SoftmaxRegression": SoftmaxRegression, "MLP": MLP, "SmallCNN": SmallCNN}


def build_model(name: str, config: dict) -> nn.Module:
    """A freshly initialised model from its class name (``MODEL_CLASSES``) and ``config`` (checkpoints)."""
    if name not in MODEL_CLASSES:
        raise ValueError(f"unknown model class {name!r}; known: {sorted(MODEL_CLASSES)}")
    return MODEL_CLASSES[name](**config)


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
