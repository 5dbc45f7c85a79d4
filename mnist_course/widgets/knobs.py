"""The dashboard's knobs (lessons 3 and 4), each described once in :data:`KNOBS`.

The controls, the :class:`Settings` a run trains with and the curves' labels all come from it.
Values are checked where they are used (``MLP``, ``make_optimizer``); here only what a control
cannot show is refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, make_dataclass
from typing import Any, NamedTuple

import ipywidgets as widgets

from ..env import parse_device
from ..models import ACTIVATIONS, mlp_parameters, parse_hidden

#: Knobs shown under the lesson's own knobs unless the dashboard is told otherwise.
COMMON_CONTROLS = ("epochs", "batch_size", "subset", "device")
#: Optimizer choices: label shown -> value in :class:`Settings`.
OPTIMIZER_CHOICES = {"SGD": "sgd", "SGD + momentum": "sgd+momentum", "Adam": "adam", "AdamW": "adamw"}
#: The momentum of the "SGD + momentum" choice.
MOMENTUM = 0.9
#: The most weights and biases a dashboard network may have: bigger ones are not live on a
#: slow CPU (784-1024-1024-10 has 1.9 million; "4096, 4096, 4096" would have 37 million).
MAX_PARAMETERS = 2_000_000


class Context(NamedTuple):
    """What some knobs depend on: the training split's size and this machine's devices."""

    train_size: int
    devices: tuple[str, ...]


def _number(what: str) -> Callable[[Any, Context], float]:
    def parse(value: Any, ctx: Context) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f"{what} must be a finite number, not {value!r}")
        return number
    return parse


def _one_of(what: str, choices: Callable[[Context], Sequence[str]]) -> Callable[[Any, Context], str]:
    def parse(value: Any, ctx: Context) -> str:
        if value not in choices(ctx):
            raise ValueError(f"{what} must be one of {list(choices(ctx))}, not {value!r}")
        return value
    return parse


def _hidden(value: Any, ctx: Context) -> tuple[int, ...]:
    sizes = parse_hidden(value)
    count = mlp_parameters(sizes)
    if count > MAX_PARAMETERS:
        raise ValueError(f"784-{'-'.join(map(str, (*sizes, 10)))} has {count:,} weights; the dashboard "
                         f"trains at most {MAX_PARAMETERS:,} to stay live: use fewer or smaller layers")
    return sizes


def _device(value: Any, ctx: Context) -> str:
    kind = parse_device(value).partition(":")[0]  # "cuda:0" -> "cuda"
    return _one_of("device", lambda c: c.devices)(kind, ctx)


def _scientific(value: float) -> str:
    """``1e-2``, ``2.5e-4``, ``0``: as short as the value allows, no padded exponent."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def _log_steps(low: int, high: int, mantissas: Sequence[int]) -> list[float]:
    """``1e-4, 2e-4, 5e-4, ..., 1`` for ``_log_steps(-4, 0, (1, 2, 5))``."""
    return [float(f"{m}e{e}") for e in range(low, high) for m in mantissas] + [float(f"1e{high}")]


#: A knob's control: its widget class, and the traits it needs to show a value (knob, value, context).
Control = tuple[type, Callable[["Knob", Any, Context], dict]]


def _steps(values: Sequence[Any]) -> Control:
    """A slider over fixed values (and the value shown), each labelled with the knob's ``text``."""
    return widgets.SelectionSlider, lambda knob, value, ctx: {
        "options": [(knob.text(v), v) for v in sorted({*values, value})], "continuous_update": False}


def _integers(low: int, high: int | None, step: int = 1) -> Control:
    """An integer slider from ``low`` to ``high`` (``None``: the training images), widened to the value."""
    return widgets.IntSlider, lambda knob, value, ctx: {
        "min": min(low, value), "max": max(value, ctx.train_size if high is None else high), "step": step,
        "readout_format": ",d", "continuous_update": False}


def _dropdown(options: Callable[[Context], Sequence]) -> Control:
    return widgets.Dropdown, lambda knob, value, ctx: {"options": list(options(ctx))}


_TEXT_BOX: Control = (widgets.Text, lambda knob, value, ctx: {
    "placeholder": "e.g. 500-256 (empty: no hidden layer)", "continuous_update": False})


@dataclass(frozen=True)
class Knob:
    """One knob: its control's label, default, widget, text and how a value is read."""

    label: str
    default: Any
    control: Control  # its widget class and value-dependent traits
    parse: Callable[[Any, Context], Any]  # a value from a control or run_sync -> the setting
    text: Callable[[Any], str] = str  # the value as its control and the legend write it
    legend: str = "{}"  # the legend's wording around the text, e.g. "lr {}"

    def describe(self, value: Any) -> str:
        """The value as the curves' legend names it, e.g. ``"lr 0.005"``."""
        return self.legend.format(self.text(value))


#: Every knob the dashboard can show, in display order.
KNOBS: dict[str, Knob] = {
    "hidden": Knob("hidden sizes", (128, 256), _TEXT_BOX, _hidden,
                   text=lambda v: "-".join(map(str, v)) if v else "no hidden"),
    "dropout": Knob("dropout", 0.0, _steps([round(0.05 * i, 2) for i in range(19)]), _number("dropout"),
                    text="{:g}".format, legend="drop {}"),
    "activation": Knob("activation", "relu", _dropdown(lambda c: sorted(ACTIVATIONS)),
                       _one_of("activation", lambda c: sorted(ACTIVATIONS))),
    "optimizer": Knob("optimizer", "sgd+momentum", _dropdown(lambda c: list(OPTIMIZER_CHOICES.items())),
                      _one_of("optimizer", lambda c: list(OPTIMIZER_CHOICES.values())),
                      text={v: k for k, v in OPTIMIZER_CHOICES.items()}.__getitem__),  # the dropdown's label
    "lr": Knob("learning rate", 0.05, _steps(_log_steps(-4, 0, (1, 2, 5))), _number("learning rate"),
               text="{:g}".format, legend="lr {}"),
    "weight_decay": Knob("weight decay", 0.0, _steps([0.0, *_log_steps(-6, -1, (1, 3))]),
                         _number("weight decay"), text=_scientific, legend="wd {}"),
    "epochs": Knob("epochs", 5, _integers(1, 30), lambda v, c: int(v), legend="{} ep"),
    "batch_size": Knob("batch size", 64, _steps([16, 32, 64, 128, 256, 512]), lambda v, c: int(v),
                       legend="batch {}"),
    "subset": Knob("train images", 10_000, _integers(500, None, 500), lambda v, c: min(int(v), c.train_size),
                   text="{:,}".format, legend="{} imgs"),
    "device": Knob("device", "cpu", _dropdown(lambda c: c.devices), _device),
}

#: One complete choice of knobs: what a run trains with, and its cache key (frozen, hashable).
Settings = make_dataclass("Settings", [(n, Any, field(default=k.default)) for n, k in KNOBS.items()],
                          frozen=True)
Settings.__doc__ = "One value per knob of :data:`KNOBS`; build it with :func:`make_settings`."


def make_settings(values: dict, ctx: Context, base: Any = None) -> Any:
    """Read knob values into :class:`Settings`; missing knobs keep ``base`` (or the defaults).

    Raises:
        ValueError: an unknown knob, or a value no control can show (NaN, unknown choice...).
    """
    unknown = set(values) - set(KNOBS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {list(KNOBS)}")
    merged = {**{n: k.default for n, k in KNOBS.items()}, **(asdict(base) if base else {}), **values}
    return Settings(**{n: KNOBS[n].parse(merged[n], ctx) for n in KNOBS})


def fit_kwargs(settings: Any) -> dict:
    """The keyword arguments of :func:`~mnist_course.training.fit` for ``settings``."""
    return {"epochs": settings.epochs, "optimizer": settings.optimizer.split("+")[0], "lr": settings.lr,
            "momentum": MOMENTUM if settings.optimizer == "sgd+momentum" else 0.0,
            "weight_decay": settings.weight_decay, "batch_size": settings.batch_size,
            "subset": settings.subset, "device": settings.device}


def describe(settings: Any, names: Sequence[str]) -> str:
    """A short label naming the values of the knobs ``names``, e.g. ``"128-256 drop 0.5"``."""
    return " ".join(KNOBS[n].describe(getattr(settings, n)) for n in names)


def make_control(name: str, value: Any, ctx: Context) -> widgets.ValueWidget:
    """The widget of knob ``name``, showing ``value``."""
    knob = KNOBS[name]
    kind, traits = knob.control
    control = kind(**traits(knob, value, ctx), description=knob.label, style={"description_width": "110px"},
                   layout=widgets.Layout(width="350px"))
    control.add_class(f"mnist-control-{name}")  # a stable hook for the browser test
    show(name, control, value, ctx)  # the value after: given to the constructor, a SelectionSlider's label
    return control                   # stays "" (ipywidgets 8.1)


def show(name: str, control: widgets.ValueWidget, value: Any, ctx: Context) -> None:
    """Show ``value`` on ``control``, adding it to the control's choices or range if needed."""
    knob = KNOBS[name]
    kind, traits = knob.control
    shown = knob.text(value) if kind is widgets.Text else value
    for trait, setting in {**traits(knob, value, ctx), "value": shown}.items():  # the value last
        setattr(control, trait, setting)
