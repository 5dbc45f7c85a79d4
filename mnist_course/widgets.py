"""A live training dashboard: change a knob, watch the network learn (lessons 3 and 4).

Lesson 3 uses it for the architecture (hidden sizes, dropout, activation), lesson 4 for
the optimizer, learning rate and weight decay. No lesson teaches the widget wiring in
here; the training itself is :func:`mnist_course.training.fit`.

How it works:

* The controls are ipywidgets 8 widgets; sliders only report a value when released
  (``continuous_update=False``).
* A change (or **Start**) posts a *request*. A worker thread, started on demand and
  ended when idle, waits until no new request arrived for ``debounce`` seconds (a burst
  of changes starts one run), then trains with :func:`~mnist_course.training.fit` off the
  kernel's main thread, so the notebook stays responsive. A newer request or **Stop**
  sets fit's ``cancel`` event: training stops after the current batch.
* The curves are drawn on a :class:`matplotlib.figure.Figure` that the dashboard owns (no
  pyplot state is shared with the notebook) and sent as a PNG to an
  ``ipywidgets.Image``, several times per epoch; replacing the image does not flicker.
* Finished runs stay on the plot as faint curves, labelled with their settings, and
  their results are cached: asking for the same settings again answers instantly.
* :meth:`TrainingDashboard.run_sync` runs the same code path in the calling thread: the
  lessons' plain cells use it so that CI exercises the training under strict nbval.

Nothing trains while the dashboard is built or displayed.
"""

from __future__ import annotations

import contextlib
import html
import io
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any

import ipywidgets as widgets
import torch

from .env import available_devices, get_device, torch_threads
from .models import ACTIVATIONS, MLP, parse_hidden
from .training import History, Progress, fit

#: Every knob the dashboard can show, in display order.
CONTROL_NAMES = (
    "hidden", "dropout", "activation", "optimizer", "lr", "weight_decay",
    "epochs", "batch_size", "subset", "device",
)
#: Knobs shown under the lesson's own knobs unless ``common_controls`` says otherwise.
COMMON_CONTROLS = ("epochs", "batch_size", "subset", "device")
#: Optimizer choices: label shown -> value in :class:`Settings`.
OPTIMIZER_CHOICES = {"SGD": "sgd", "SGD + momentum": "sgd+momentum", "Adam": "adam", "AdamW": "adamw"}
#: The momentum of the "SGD + momentum" choice.
MOMENTUM = 0.9
#: Batch sizes offered by the batch size slider.
BATCH_SIZES = (16, 32, 64, 128, 256, 512)
#: The weight decay slider's leftmost position; it means "no weight decay".
WEIGHT_DECAY_OFF = 1e-6
#: Curve points per epoch (fit's ``callback_every``), so the first arrives early.
POINTS_PER_EPOCH = 10
#: Past runs kept on the plot as faint curves.
MAX_PAST_RUNS = 5
#: Results kept in the cache (least recently used are dropped first).
MAX_CACHED_RUNS = 32
#: Runs remembered in :attr:`TrainingDashboard.runs` (oldest are forgotten first).
MAX_RUN_LOG = 500

_LABELS = {
    "hidden": "hidden sizes", "dropout": "dropout", "activation": "activation",
    "optimizer": "optimizer", "lr": "learning rate", "weight_decay": "weight decay",
    "epochs": "epochs", "batch_size": "batch size", "subset": "train images", "device": "device",
}


@dataclass(frozen=True)
class Settings:
    """One complete choice of knobs: what a run trains with, and its cache key.

    Build it with :func:`make_settings`, which checks and normalises the values.
    """

    hidden: tuple[int, ...] = (128, 256)
    dropout: float = 0.0
    activation: str = "relu"
    optimizer: str = "sgd+momentum"
    lr: float = 0.05
    weight_decay: float = 0.0
    epochs: int = 5
    batch_size: int = 64
    subset: int = 10_000
    device: str = "cpu"

    def fit_kwargs(self) -> dict:
        """Return the keyword arguments of :func:`~mnist_course.training.fit` for these settings."""
        momentum = MOMENTUM if self.optimizer == "sgd+momentum" else 0.0
        return {
            "epochs": self.epochs, "optimizer": self.optimizer.split("+")[0], "lr": self.lr,
            "momentum": momentum, "weight_decay": self.weight_decay,
            "batch_size": self.batch_size, "subset": self.subset, "device": self.device,
        }

    def describe(self, names: Sequence[str]) -> str:
        """Return a short label naming the values of the knobs ``names``, e.g. ``"128-256 relu"``."""
        return " ".join(_describe_value(name, getattr(self, name)) for name in names)


def _describe_value(name: str, value: Any) -> str:
    if name == "hidden":
        return "-".join(str(h) for h in value) if value else "no hidden"
    if name == "optimizer":
        return {v: k for k, v in OPTIMIZER_CHOICES.items()}[value].replace(" + momentum", "+mom")
    if name == "lr":
        return f"lr {value:.3g}"
    if name == "weight_decay":
        return f"wd {value:.0e}" if value else "wd 0"
    if name == "dropout":
        return f"drop {value:g}"
    if name == "subset":
        return f"{value:,} imgs"
    if name == "batch_size":
        return f"batch {value}"
    if name == "epochs":
        return f"{value} ep"
    return str(value)


def _round(value: float, digits: int = 4) -> float:
    return float(f"{float(value):.{digits}g}")


def make_settings(values: dict, train_size: int, devices: Sequence[str] | None = None) -> Settings:
    """Check and normalise knob values into :class:`Settings`.

    Floats are rounded to 4 significant digits so that the same slider position always
    gives the same cache key.

    Args:
        values: knob name -> value; missing knobs take the :class:`Settings` defaults.
        train_size: images in the training split (``subset`` is capped there).
        devices: devices allowed (default: :func:`~mnist_course.env.available_devices`).

    Returns:
        The settings.

    Raises:
        ValueError: an unknown knob or a value out of range.
    """
    unknown = set(values) - set(CONTROL_NAMES)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {list(CONTROL_NAMES)}")
    merged = {**{f.name: getattr(Settings(), f.name) for f in fields(Settings)}, **values}
    settings = Settings(
        hidden=parse_hidden(merged["hidden"]),
        dropout=_round(merged["dropout"]),
        activation=str(merged["activation"]),
        optimizer=str(merged["optimizer"]),
        lr=_round(merged["lr"]),
        weight_decay=_round(merged["weight_decay"]),
        epochs=int(merged["epochs"]),
        batch_size=int(merged["batch_size"]),
        subset=min(int(merged["subset"]), train_size),
        device=_device_type(merged["device"]),
    )
    _check_settings(settings, devices if devices is not None else available_devices())
    return settings


def _device_type(device: str | torch.device) -> str:
    """``"cuda:0"`` -> ``"cuda"``; unknown names are kept so that the check can name them."""
    try:
        return torch.device(device).type
    except RuntimeError:
        return str(device)


def _check_settings(s: Settings, devices: Sequence[str]) -> None:
    problems = []
    if not 0.0 <= s.dropout < 1.0:
        problems.append(f"dropout must be in [0, 1), not {s.dropout}")
    if s.activation not in ACTIVATIONS:
        problems.append(f"activation must be one of {sorted(ACTIVATIONS)}, not {s.activation!r}")
    if s.optimizer not in OPTIMIZER_CHOICES.values():
        problems.append(f"optimizer must be one of {list(OPTIMIZER_CHOICES.values())}, not {s.optimizer!r}")
    if s.lr <= 0:
        problems.append(f"learning rate must be positive, not {s.lr}")
    if s.weight_decay < 0:
        problems.append(f"weight decay must be 0 or more, not {s.weight_decay}")
    if s.epochs < 1 or s.batch_size < 1 or s.subset < 1:
        problems.append("epochs, batch size and train images must be at least 1")
    if s.device not in devices:
        problems.append(f"device {s.device!r} is not available here; available: {list(devices)}")
    if problems:
        raise ValueError("; ".join(problems))


@dataclass
class RunRecord:
    """One run of the dashboard: its settings, curve points, outcome and timings.

    ``outcome`` is ``"running"``, ``"finished"``, ``"cached"`` (answered from the cache),
    ``"stopped"`` (Stop), ``"replaced"`` (a newer request cancelled it) or ``"failed"``.
    """

    settings: Settings
    requested: float  # time.perf_counter() of the change or click that asked for it
    color: str = "C0"
    outcome: str = "running"
    train_points: list[tuple[float, float, float]] = field(default_factory=list)  # (epochs, loss, acc)
    test_points: list[tuple[float, float, float]] = field(default_factory=list)
    history: History | None = None
    model: torch.nn.Module | None = None
    error: str | None = None
    traceback: str | None = None
    latency: float | None = None  # seconds from the request to the first curve point shown
    seconds: float = 0.0  # training time so far
    last_progress: tuple[int, int, float, float] | None = None  # epoch, batch, running loss, accuracy
    every: int = 1  # batches between curve points


class _Cancel(threading.Event):
    """fit's ``cancel`` event, remembering why it was set: ``"stopped"`` or ``"replaced"``."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def cancel(self, reason: str) -> None:
        """Set the event (once), saying why."""
        if not self.is_set():
            self.reason = reason
            self.set()


@dataclass(frozen=True)
class _Request:
    settings: Settings
    time: float
    immediate: bool


def _forked_rng(device: str) -> contextlib.AbstractContextManager:
    """Leave the notebook's random number generators as they were after a dashboard run."""
    cuda = [torch.cuda.current_device()] if device == "cuda" else []
    return torch.random.fork_rng(devices=cuda)


class CurvePlot:
    """Loss and accuracy curves on a matplotlib ``Figure`` owned by the dashboard.

    No pyplot: the figure never appears in the notebook by itself and shares no state
    with the notebook's plots. :meth:`render` returns PNG bytes for an ``ipywidgets.Image``.

    Args:
        size: figure size in inches.
        dpi: pixels per inch of the PNG.
        test_label: what the evaluated split is called in the legend.
    """

    def __init__(
        self, size: tuple[float, float] = (9.0, 3.2), dpi: int = 80, test_label: str = "test"
    ) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.test_label = test_label
        self.figure = Figure(figsize=size, dpi=dpi, layout="none")
        FigureCanvasAgg(self.figure)
        self.loss_ax, self.accuracy_ax = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.07, right=0.99, bottom=0.15, top=0.9, wspace=0.2)
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        for ax, title in ((self.loss_ax, "loss"), (self.accuracy_ax, "accuracy")):
            ax.set_title(title)
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.accuracy_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        self._hint = self.loss_ax.text(0.5, 0.5, "", transform=self.loss_ax.transAxes, ha="center")

    def render(self, runs: Sequence[tuple[RunRecord, str, bool]], epochs: int, message: str = "") -> bytes:
        """Draw the runs and return the figure as PNG bytes.

        The axes, ticks and titles are kept between calls; only the curves and legends
        are replaced, which keeps a render fast.

        Args:
            runs: ``(record, label, current)`` per run; past runs (``current=False``) are faint.
            epochs: the length of the x axis.
            message: a hint written on the empty loss axes when there is nothing to draw.
        """
        for ax in (self.loss_ax, self.accuracy_ax):
            for artist in [*ax.lines, *([ax.legend_] if ax.legend_ else [])]:
                artist.remove()
            ax.set_xlim(0, max(1, epochs) * 1.03)  # room for the last epoch's marker
        for record, label, current in runs:
            self._draw_run(record, label, current)
        self._finish_axes(any(r.train_points or r.test_points for r, _, _ in runs), message)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        return buffer.getvalue()

    def _draw_run(self, record: RunRecord, label: str, current: bool) -> None:
        style = {"color": record.color, "alpha": 1.0 if current else 0.35, "lw": 2.0 if current else 1.2}
        legend_set = False
        test_style, train_style = {"marker": "o", "ms": 4}, {"ls": "--"}
        if current:  # a dot where training is now (also shows a curve of one point)
            train_style.update(marker="o", ms=3, markevery=[-1])
        for points, extra in ((record.test_points, test_style), (record.train_points, train_style)):
            if not points:
                continue
            xs, losses, accuracies = zip(*points, strict=True)
            name = None if legend_set else label
            self.loss_ax.plot(xs, losses, **style, **extra)
            self.accuracy_ax.plot(xs, accuracies, label=name, **style, **extra)
            legend_set = True

    def _finish_axes(self, any_points: bool, message: str) -> None:
        from matplotlib.lines import Line2D

        self._hint.set_text("" if any_points else message)
        if not any_points:
            self.loss_ax.set_ylim(0, 2.5)
            self.accuracy_ax.set_ylim(0, 1)
            return
        for ax in (self.loss_ax, self.accuracy_ax):
            ax.relim()
            ax.autoscale(enable=True, axis="y")
        low, _ = self.accuracy_ax.get_ylim()
        self.accuracy_ax.set_ylim(max(0.0, low), 1.0)
        self.loss_ax.set_ylim(bottom=0)
        keys = [Line2D([], [], color="gray", marker="o", ms=4, label=self.test_label),
                Line2D([], [], color="gray", ls="--", label="train (while training)")]
        self.loss_ax.legend(handles=keys, loc="upper right", fontsize=8)
        self.accuracy_ax.legend(loc="lower right", fontsize=7)


class TrainingDashboard:
    """Sliders and buttons that train an MLP live, with curves updated during training.

    Example (lesson 3)::

        dashboard = TrainingDashboard(train, test, controls=("hidden", "dropout", "activation"))
        dashboard            # shows it; nothing trains until a knob moves or Start is pressed

        history = dashboard.run_sync(dropout=0.2, epochs=2)   # the same training, synchronously

    Args:
        train: ``(images, labels)`` of the training split, e.g. ``load_mnist("train")``.
        test: ``(images, labels)`` evaluated after every epoch (the test or validation
            split), or ``None``.
        controls: the knobs the lesson teaches, shown first; any of :data:`CONTROL_NAMES`.
        defaults: starting values of any knobs (see :class:`Settings`), e.g.
            ``{"hidden": (128, 256), "dropout": 0.5, "epochs": 3}``.
        device: the starting device (default: :func:`~mnist_course.env.get_device`); the
            device dropdown offers only :func:`~mnist_course.env.available_devices`.
        common_controls: knobs shown under the lesson's ones (default :data:`COMMON_CONTROLS`).
        seed: seeds the weights, shuffling and dropout of every run.
        debounce: seconds without a new change before a run starts.
        cpu_threads: PyTorch CPU threads of a run (``None``: PyTorch's default). One
            thread keeps small MLPs fast on shared or oversubscribed CPUs such as Binder's;
            the notebook's own thread count is not changed.
        live: start a run whenever a knob changes (otherwise only on Start).
        test_label: what to call the ``test`` split on screen, e.g. ``"validation"`` when
            a lesson keeps the test set for the very end (lesson 4).
    """

    def __init__(
        self,
        train: Sequence[torch.Tensor],
        test: Sequence[torch.Tensor] | None = None,
        controls: Sequence[str] = ("hidden", "dropout", "activation"),
        defaults: dict | None = None,
        device: str | torch.device | None = None,
        common_controls: Sequence[str] = COMMON_CONTROLS,
        seed: int = 0,
        debounce: float = 0.2,
        cpu_threads: int | None = 1,
        live: bool = True,
        test_label: str = "test",
    ) -> None:
        self._train = (train[0], train[1])
        self._test = (test[0], test[1]) if test is not None else None
        self.lesson_controls = tuple(controls)
        shown = tuple(dict.fromkeys([*controls, *common_controls]))
        unknown = set(shown) - set(CONTROL_NAMES)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; known: {list(CONTROL_NAMES)}")
        self.seed, self.debounce, self.cpu_threads, self.live = seed, debounce, cpu_threads, live
        self.test_label = test_label
        self.devices = available_devices()
        start = {"subset": min(10_000, self.train_size), "device": get_device(device).type}
        self._settings = make_settings({**start, **(defaults or {})}, self.train_size, self.devices)
        self.controls: dict[str, widgets.ValueWidget] = {
            name: _make_control(name, self._settings, self.train_size, self.devices) for name in shown
        }
        self._build_widgets()
        self._init_state()
        self._show_image(message="Change a setting or press Start to train.")
        _warm_up(self._settings.device)

    # ------------------------------------------------------------------ public API

    @property
    def train_size(self) -> int:
        """Number of images in the training split."""
        return len(self._train[1])

    @property
    def widget(self) -> widgets.VBox:
        """The ipywidgets box to display (the dashboard displays itself too)."""
        return self._box

    @property
    def settings(self) -> Settings:
        """The settings the controls show now (knobs without a control keep their defaults)."""
        values = {name: _read_control(name, control) for name, control in self.controls.items()}
        return make_settings({**_as_dict(self._settings), **values}, self.train_size, self.devices)

    @property
    def running(self) -> bool:
        """True while a run trains or waits to start."""
        with self._cond:
            return self._live or self._pending is not None

    @property
    def live_runs(self) -> int:
        """Number of fit() calls in progress right now: 0 or 1."""
        with self._cond:
            return self._fits_in_progress

    @property
    def runs(self) -> list[RunRecord]:
        """Every run served so far, oldest first (finished, cached, stopped, replaced, failed)."""
        return list(self._runs)

    @property
    def history(self) -> History | None:
        """The history of the latest run (``None`` before the first run)."""
        return self._runs[-1].history if self._runs else None

    @property
    def model(self) -> torch.nn.Module | None:
        """The model of the latest finished (or cached) run."""
        done = [r for r in self._runs if r.outcome in ("finished", "cached")]
        return done[-1].model if done else None

    @property
    def last_latency(self) -> float | None:
        """Seconds from the latest change (or Start) to its first curve point on screen."""
        timed = [r.latency for r in self._runs if r.latency is not None]
        return timed[-1] if timed else None

    @property
    def png(self) -> bytes:
        """The curves image shown now, as PNG bytes."""
        return bytes(self._image.value)

    @property
    def status(self) -> str:
        """The status line as plain text."""
        return _strip_tags(self._status.value)

    @property
    def accuracy_text(self) -> str:
        """The accuracy line as plain text."""
        return _strip_tags(self._accuracy.value)

    def start(self) -> None:
        """Train with the current settings now, like the Start button (no debounce)."""
        self._request_current(immediate=True)

    def stop(self) -> None:
        """Stop the run in progress after its current batch, and drop a waiting one."""
        if not self._cancel_all("stopped"):
            self._set_status("Nothing is running.")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no run trains or waits and the worker thread has ended.

        Returns:
            True if the dashboard is idle, False if ``timeout`` seconds passed first.
        """
        deadline = None if timeout is None else time.perf_counter() + timeout
        with self._cond:
            idle = self._cond.wait_for(lambda: self._thread is None and not self._live and
                                       self._pending is None, timeout)
            thread = self._last_thread
        if idle and thread is not None:
            thread.join(None if deadline is None else max(0.0, deadline - time.perf_counter()))
            idle = not thread.is_alive()
        return idle

    def wait_for_first_point(self, timeout: float | None = None) -> float | None:
        """Wait until the latest request shows its first curve point; return its latency.

        Returns:
            Seconds from the request to the first point, or ``None`` if ``timeout`` passed
            or the run ended without a point (stopped or failed first).
        """
        def done() -> bool:
            record = self._record_of(self._last_request)
            if record is None:  # not served yet, or dropped by Stop before it started
                return self._pending is None and not self._live and self._thread is None
            return record.latency is not None or record.outcome != "running"

        with self._cond:
            if self._cond.wait_for(done, timeout):
                record = self._record_of(self._last_request)
                return record.latency if record is not None else None
        return None

    def run_sync(self, **settings: Any) -> History:
        """Train in this thread with the current settings changed by ``settings``.

        The same code path as a run started from the controls (cache, curves, status);
        the plain cells of the lessons use it so CI exercises the dashboard's training.
        A run in progress is stopped first; the controls are set to ``settings``.

        Args:
            **settings: knob values, e.g. ``dropout=0.5, epochs=2`` (see :class:`Settings`).

        Returns:
            The :class:`~mnist_course.training.History` (from the cache for repeated settings).

        Raises:
            Exception: whatever training raised; the dashboard status shows it too.
        """
        chosen = make_settings({**_as_dict(self.settings), **settings}, self.train_size, self.devices)
        self._cancel_all("stopped")
        self.wait()
        self.set_values(**_as_dict(chosen))
        request = _Request(chosen, time.perf_counter(), immediate=True)
        with self._cond:
            self._last_request = request
        return self._serve(request, _Cancel(), reraise=True).history

    def set_values(self, **values: Any) -> None:
        """Set knobs without starting a run (controls that are not shown keep the value too)."""
        self._settings = make_settings({**_as_dict(self._settings), **values}, self.train_size, self.devices)
        with self._quiet():
            for name in values:
                if name in self.controls:
                    _write_control(name, self.controls[name], getattr(self._settings, name))

    def clear_cache(self) -> None:
        """Forget cached results, so that every request trains again."""
        self._cache.clear()

    def close(self) -> None:
        """Stop training, end the worker thread and close the widgets."""
        with self._cond:
            self._closing = True
        self._cancel_all("stopped")
        self.wait()
        self._box.close()
        for child in self._all_widgets():
            child.close()
        self._plot = None

    def __repr__(self) -> str:
        return f"TrainingDashboard(controls: {', '.join(self.controls)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = self._box._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = repr(self)  # stable across machines, for nbval
        return bundle

    # ------------------------------------------------------------------ building

    def _build_widgets(self) -> None:
        self._start_button = widgets.Button(description="Start", icon="play", button_style="success",
                                            tooltip="train with these settings")
        self._stop_button = widgets.Button(description="Stop", icon="stop", button_style="warning",
                                           disabled=True, tooltip="stop after the current batch")
        self._status = widgets.HTML("Ready: nothing has been trained yet.")
        self._accuracy = widgets.HTML(f"{self.test_label.capitalize()} accuracy: &ndash; (no run yet)")
        self._image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self._start_button.on_click(lambda _: self.start())
        self._stop_button.on_click(lambda _: self.stop())
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        lesson = [c for name, c in self.controls.items() if name in self.lesson_controls]
        common = [c for name, c in self.controls.items() if name not in self.lesson_controls]
        columns = widgets.HBox([widgets.VBox(lesson), widgets.VBox(common)])  # lesson's knobs on the left
        buttons = widgets.HBox([self._start_button, self._stop_button, self._status])
        self._box = widgets.VBox([columns, buttons, self._accuracy, self._image])
        classes = [(self._box, "dashboard"), (self._image, "dashboard-curves"),
                   (self._accuracy, "dashboard-accuracy"), (self._status, "dashboard-status"),
                   (self._start_button, "dashboard-start"), (self._stop_button, "dashboard-stop")]
        classes += [(control, f"control-{name}") for name, control in self.controls.items()]
        for widget, name in classes:  # stable hooks for the browser test
            widget.add_class(f"mnist-{name}")

    def _all_widgets(self) -> list[widgets.Widget]:
        return [*self.controls.values(), self._start_button, self._stop_button, self._status,
                self._accuracy, self._image]

    def _init_state(self) -> None:
        self._cond = threading.Condition()
        self._run_lock = threading.Lock()  # one training at a time, threaded or synchronous
        self._thread: threading.Thread | None = None
        self._last_thread: threading.Thread | None = None
        self._pending: _Request | None = None
        self._last_request: _Request | None = None
        self._live = False
        self._live_settings: Settings | None = None
        self._cancel = _Cancel()
        self._closing = False
        self._quiet_depth = 0
        self._fits_in_progress = 0
        self._runs: list[RunRecord] = []
        self._past: list[RunRecord] = []  # finished runs drawn faintly
        self._cache: OrderedDict[Settings, RunRecord] = OrderedDict()
        self._test_on_device: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self._plot: CurvePlot | None = None
        self._next_render = 0.0
        self._render_seconds = 0.0
        self._colors = 0

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    # ------------------------------------------------------------------ requests

    def _on_change(self, change: dict) -> None:
        if self._quiet_depth or not self.live:
            return
        self._request_current(immediate=False)

    def _request_current(self, immediate: bool) -> None:
        try:
            settings = self.settings
        except ValueError as exc:
            self._set_status(f"Cannot train with these settings: {html.escape(str(exc))}", error=True)
            return
        self._settings = settings
        self._request(settings, immediate)

    def _request(self, settings: Settings, immediate: bool) -> None:
        with self._cond:
            if self._closing:
                return
            if (immediate and self._live and self._pending is None and not self._cancel.is_set()
                    and self._live_settings == settings):
                return  # Start pressed again for the run already in progress
            changed = "Settings changed: starting a new run"
            self._set_status(f"{'Starting' if immediate else changed}&hellip;")
            self._pending = self._last_request = _Request(settings, time.perf_counter(), immediate)
            if self._live:
                self._cancel.cancel("replaced")
            if self._thread is None:
                self._thread = self._last_thread = threading.Thread(
                    target=self._worker, name="mnist-dashboard-worker", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _cancel_all(self, reason: str) -> bool:
        """Drop the waiting request and cancel the live run; return True if there was one."""
        with self._cond:
            busy = self._live or self._pending is not None
            self._pending = None
            if self._live:
                self._cancel.cancel(reason)
            self._cond.notify_all()
        return busy

    def _next_request(self) -> _Request | None:
        """Wait (lock held) until the pending request is quiet for ``debounce`` seconds."""
        while not self._closing and self._pending is not None:
            request = self._pending
            delay = 0.0 if request.immediate else request.time + self.debounce - time.perf_counter()
            if delay <= 0:
                self._pending = None
                return request
            self._cond.wait(delay)
        return None

    def _worker(self) -> None:
        """The worker thread: serve requests one after the other, end when none is left."""
        try:
            while self._serve_next():
                pass
        finally:
            with self._cond:
                self._thread, self._live, self._live_settings = None, False, None
                self._cond.notify_all()
            self._update_buttons()

    def _serve_next(self) -> bool:
        with self._cond:
            request = self._next_request()
            if request is None:
                return False
            self._live, self._live_settings, self._cancel = True, request.settings, _Cancel()
            cancel = self._cancel
        try:
            self._serve(request, cancel)  # reports its own errors in the status
        finally:
            with self._cond:
                self._live, self._live_settings = False, None
                self._cond.notify_all()
            self._update_buttons()
        return True

    def _record_of(self, request: _Request | None) -> RunRecord | None:
        for record in reversed(self._runs):
            if request is not None and record.requested == request.time:
                return record
        return None

    # ------------------------------------------------------------------ serving a request

    def _serve(self, request: _Request, cancel: _Cancel, reraise: bool = False) -> RunRecord:
        """Answer a request from the cache or by training: the one code path of every run.

        An error is shown in the status and kept as text in the run's record (not as an
        exception object, whose traceback would keep the run's tensors alive); ``reraise``
        raises it too (for :meth:`run_sync`).
        """
        with self._run_lock:
            record = RunRecord(request.settings, request.time, color=self._next_color())
            with self._cond:
                self._forget_old_runs()
                self._runs.append(record)
            self._update_buttons()
            cached = self._cache.get(request.settings)
            if cached is not None:
                self._cache.move_to_end(request.settings)
                self._answer_from_cache(record, cached)
                return record
            try:
                history = self._execute(record, cancel)
            except Exception as exc:  # shown in the dashboard, not lost in a dead thread
                self._fail(record, exc)
                if reraise:
                    raise
                return record
            self._conclude(record, history, cancel.reason)
            return record

    def _forget_old_runs(self) -> None:
        """Keep memory bounded: only finished runs keep their model; the log has a cap."""
        if self._runs and self._runs[-1].outcome not in ("finished", "cached"):
            self._runs[-1].model = None
        del self._runs[:-MAX_RUN_LOG]

    def _next_color(self) -> str:
        self._colors += 1
        return f"C{(self._colors - 1) % 10}"

    def _execute(self, record: RunRecord, cancel: _Cancel) -> History:
        settings = record.settings
        batches = max(1, settings.subset // settings.batch_size)
        record.every = max(1, batches // POINTS_PER_EPOCH)
        with torch_threads(self.cpu_threads), _forked_rng(settings.device):
            torch.manual_seed(self.seed)
            model = MLP(settings.hidden, settings.dropout, settings.activation)
            record.model = model
            with self._counting_fit():
                history = fit(model, self._train, self._test_for(settings.device), progress=False,
                              seed=self.seed, callback=partial(self._on_progress, record),
                              callback_every=record.every, cancel=cancel,
                              **settings.fit_kwargs())
        return history

    @contextlib.contextmanager
    def _counting_fit(self) -> Iterator[None]:
        with self._cond:
            self._fits_in_progress += 1
        try:
            yield
        finally:
            with self._cond:
                self._fits_in_progress -= 1

    def _test_for(self, device: str) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The test split as normalised floats on ``device``, converted once per device."""
        if self._test is None:
            return None
        if device not in self._test_on_device:
            from .data import to_float_images

            images, labels = self._test
            images = images.to(device)
            if images.dtype == torch.uint8:
                images = to_float_images(images)
            self._test_on_device[device] = (images, labels.to(device))
        return self._test_on_device[device]

    def _on_progress(self, record: RunRecord, progress: Progress) -> None:
        if not progress.end_of_epoch and progress.batches_per_epoch - progress.batch < record.every / 2:
            return  # too close to the end of the epoch: let the epoch's last point cover it
        record.train_points.append((progress.epochs_done, *_window_means(record, progress)))
        if progress.end_of_epoch and self._test is not None:
            record.test_points.append((float(progress.epoch), progress.test_loss, progress.test_accuracy))
        record.seconds = progress.seconds
        self._show_progress(record, progress)
        now = time.perf_counter()
        if record.latency is None or now >= self._next_render:
            self._show_image(current=record)
            if record.latency is None:
                with self._cond:
                    record.latency = time.perf_counter() - record.requested
                    self._cond.notify_all()

    def _answer_from_cache(self, record: RunRecord, cached: RunRecord) -> None:
        record.train_points, record.test_points = cached.train_points, cached.test_points
        record.history, record.model, record.seconds = cached.history, cached.model, cached.seconds
        record.color = cached.color
        self._remember(record)
        self._show_image(current=record)
        with self._cond:
            record.outcome = "cached"
            record.latency = time.perf_counter() - record.requested
            self._cond.notify_all()
        self._show_accuracy(record)
        self._set_status("Same settings as an earlier run: answered from the cache, no training.")

    def _conclude(self, record: RunRecord, history: History, cancel_reason: str | None) -> None:
        record.history = history
        if history.cancelled:
            outcome = cancel_reason or "stopped"
        else:
            outcome = "finished"
            self._cache[record.settings] = record
            while len(self._cache) > MAX_CACHED_RUNS:
                self._cache.popitem(last=False)
            self._remember(record)
        if outcome != "replaced":
            self._show_image(current=record)
            self._show_accuracy(record)
            self._set_status(self._summary(record, outcome))
        with self._cond:
            record.outcome = outcome
            self._cond.notify_all()

    def _fail(self, record: RunRecord, exc: Exception) -> None:
        record.error = f"{type(exc).__name__}: {exc}"
        record.traceback = traceback.format_exc()
        self._set_status(f"Training failed: {html.escape(record.error)}. "
                         "Change a setting or press Start to try again.", error=True)
        with self._cond:
            record.outcome = "failed"
            self._cond.notify_all()

    def _remember(self, record: RunRecord) -> None:
        self._past = [r for r in self._past if r.settings != record.settings][-(MAX_PAST_RUNS - 1):]
        self._past.append(record)

    # ------------------------------------------------------------------ display

    def _label(self, record: RunRecord, current: Settings) -> str:
        differing = [n for n in self.controls if n not in self.lesson_controls
                     and getattr(record.settings, n) != getattr(current, n)]
        label = record.settings.describe([*self.lesson_controls, *differing])
        if record.test_points:
            label += f": {record.test_points[-1][2]:.1%}"
        return label

    def _show_image(self, current: RunRecord | None = None, message: str = "") -> None:
        """Render the curves (current run bold, finished runs faint) into the Image widget."""
        started = time.perf_counter()
        if self._plot is None:
            self._plot = CurvePlot(test_label=self.test_label)
        now = current.settings if current is not None else self._settings
        runs = [(r, self._label(r, now), False) for r in self._past if r is not current]
        if current is not None:
            runs.append((current, "now: " + self._label(current, now), True))
        epochs = max([r.settings.epochs for r, _, _ in runs] or [now.epochs])
        self._image.value = self._plot.render(runs, epochs, message)
        self._render_seconds = time.perf_counter() - started
        # at most about one render per 0.25 s, and never more than a third of the time
        self._next_render = time.perf_counter() + max(0.25, 2 * self._render_seconds)

    def _show_progress(self, record: RunRecord, p: Progress) -> None:
        s = record.settings
        where = "" if p.end_of_epoch else f" &middot; batch {p.batch}/{p.batches_per_epoch}"
        self._set_status(f"Training: epoch {p.epoch}/{s.epochs}{where} &middot; "
                         f"{p.samples_per_second:,.0f} images/s &middot; {s.device} &middot; "
                         f"{p.seconds:.1f} s")
        if p.end_of_epoch:
            self._show_accuracy(record)
        elif not record.test_points:
            self._accuracy.value = (f"Train accuracy so far: <b>{p.train_accuracy:.1%}</b> "
                                    f"(epoch {p.epoch}; {self.test_label} accuracy after each epoch)")

    def _show_accuracy(self, record: RunRecord) -> None:
        if record.test_points:
            epoch, _, accuracy = record.test_points[-1]
            train_accuracy = record.train_points[-1][2]
            name = self.test_label.capitalize()
            self._accuracy.value = (f"{name} accuracy: <b>{accuracy:.1%}</b> after epoch {int(epoch)} "
                                    f"(train {train_accuracy:.1%})")
        elif record.train_points:
            self._accuracy.value = f"Train accuracy: <b>{record.train_points[-1][2]:.1%}</b>"

    def _summary(self, record: RunRecord, outcome: str) -> str:
        s, seconds = record.settings, record.seconds
        done = record.train_points[-1][0] if record.train_points else 0.0
        if outcome == "stopped":
            return f"Stopped after {done:.1f} of {s.epochs} epochs ({seconds:.1f} s on {s.device})."
        speed = done * s.subset / seconds if seconds else 0.0
        return (f"Finished {s.epochs} epoch{'s' * (s.epochs != 1)} in {seconds:.1f} s on {s.device} "
                f"({speed:,.0f} images/s).")

    def _set_status(self, text: str, error: bool = False) -> None:
        self._status.value = f'<span style="color:#b00020">{text}</span>' if error else text

    def _update_buttons(self) -> None:
        with self._cond:
            busy = self._live
        self._stop_button.disabled = not busy


def _window_means(record: RunRecord, p: Progress) -> tuple[float, float]:
    """Turn fit's running means over the epoch into means over the batches since the last point.

    The curve then shows how the network does now, without a jump at each new epoch.
    """
    previous, record.last_progress = record.last_progress, (p.epoch, p.batch, p.train_loss, p.train_accuracy)
    if previous is None or previous[0] != p.epoch or p.batch <= previous[1]:
        return p.train_loss, p.train_accuracy
    _, done, loss, accuracy = previous
    new = p.batch - done
    window_loss = (p.train_loss * p.batch - loss * done) / new
    return window_loss, (p.train_accuracy * p.batch - accuracy * done) / new


def _warm_up(device: str) -> None:
    """Do the slow first-time set-up a run needs, once per process (no training).

    PyTorch imports ``torch._dynamo`` (seconds on a slow CPU) the first time any optimizer
    is created, fit imports tqdm, and a GPU needs its context. Paying that while the
    dashboard is built keeps the first slider move fast.
    """
    import tqdm.auto  # noqa: F401  (fit imports it)

    from .training import make_optimizer

    make_optimizer("sgd", [torch.zeros(1, requires_grad=True)], lr=0.1)
    if device != "cpu":
        ones = torch.ones(64, 64, device=device)
        (ones @ ones).sum().item()


def _as_dict(settings: Settings) -> dict:
    return {f.name: getattr(settings, f.name) for f in fields(settings)}


def _strip_tags(text: str) -> str:
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", text))


# ---------------------------------------------------------------------- controls


def _make_control(
    name: str, settings: Settings, train_size: int, devices: Sequence[str]
) -> widgets.ValueWidget:
    """Create the widget of one knob, showing its value in ``settings``."""
    style = {"description_width": "110px"}
    layout = widgets.Layout(width="350px")
    common = {"description": _LABELS[name], "style": style, "layout": layout}
    slider = {**common, "continuous_update": False}
    value = getattr(settings, name)
    if name == "hidden":
        return widgets.Text(value=", ".join(map(str, value)), placeholder="e.g. 500, 256 (empty: none)",
                            **slider)
    if name == "dropout":
        return widgets.FloatSlider(value=value, min=0.0, max=0.9, step=0.05, readout_format=".2f", **slider)
    if name == "activation":
        return widgets.Dropdown(options=sorted(ACTIVATIONS), value=value, **common)
    if name == "optimizer":
        return widgets.Dropdown(options=list(OPTIMIZER_CHOICES.items()), value=value, **common)
    if name == "lr":
        return widgets.FloatLogSlider(value=value, base=10, min=-4, max=0, step=0.1, readout_format=".2g",
                                      **slider)
    if name == "weight_decay":
        return widgets.FloatLogSlider(value=max(value, WEIGHT_DECAY_OFF), base=10, min=-6, max=-1, step=0.25,
                                      readout_format=".0e", tooltip="leftmost (1e-06) = no weight decay",
                                      **slider)
    if name == "epochs":
        return widgets.IntSlider(value=value, min=1, max=max(30, value), **slider)
    if name == "batch_size":
        return widgets.SelectionSlider(options=sorted({*BATCH_SIZES, value}), value=value, **slider)
    if name == "subset":
        step = 500 if train_size >= 5000 else 100
        return widgets.IntSlider(value=value, min=min(step, train_size), max=train_size, step=step, **slider)
    return widgets.Dropdown(options=list(devices), value=value, **common)


def _read_control(name: str, control: widgets.ValueWidget) -> Any:
    value = control.value
    if name == "weight_decay" and value <= WEIGHT_DECAY_OFF * 1.001:
        return 0.0
    return value


def _write_control(name: str, control: widgets.ValueWidget, value: Any) -> None:
    """Show ``value`` on a control, extending its options or range when needed."""
    if name == "hidden":
        value = ", ".join(map(str, value))
    elif name == "weight_decay":
        value = max(value, WEIGHT_DECAY_OFF)
    elif name == "batch_size" and value not in control.options:
        control.options = sorted({*control.options, value})
    elif name == "epochs" and value > control.max:
        control.max = value
    control.value = value


# ---------------------------------------------------------------------- benchmark


def measure_latency(
    dashboard: TrainingDashboard,
    control: str = "dropout",
    values: Sequence[Any] = (0.1, 0.2, 0.3),
    timeout: float = 60.0,
) -> list[float]:
    """Time "slider released -> first curve point shown", once per value.

    Setting a control's ``value`` from Python fires the same handler as releasing the
    slider in the browser. The cache is cleared first, so every value really trains.

    Args:
        dashboard: a dashboard that shows ``control``.
        control: the knob to move.
        values: the values to move it to, one after the other.
        timeout: seconds to wait for each first point.

    Returns:
        The latencies in seconds (debounce included).

    Raises:
        TimeoutError: no point arrived within ``timeout``.
    """
    latencies = []
    for value in values:
        dashboard.clear_cache()
        dashboard.controls[control].value = value
        latency = dashboard.wait_for_first_point(timeout)
        dashboard.stop()
        dashboard.wait(timeout)
        if latency is None:
            raise TimeoutError(f"no curve point within {timeout} s after setting {control}={value!r}")
        latencies.append(latency)
    return latencies


def slider_latency(
    train: Sequence[torch.Tensor],
    test: Sequence[torch.Tensor] | None,
    repeats: int = 5,
    **dashboard_options: Any,
) -> list[float]:
    """Build a lesson-3 dashboard and measure :func:`measure_latency` ``repeats`` times.

    For the benchmark (``python -m mnist_course.bench``): the number to keep under
    about one second on a CPU is the median.

    Args:
        train: the training split.
        test: the test split.
        repeats: how many slider moves to time.
        **dashboard_options: passed to the dashboard, e.g. ``defaults={"subset": 10000}``.

    Returns:
        One latency per slider move, in seconds.
    """
    dashboard = TrainingDashboard(train, test, **dashboard_options)
    try:
        values = [round(0.05 * (i + 1), 2) for i in range(repeats)]
        return measure_latency(dashboard, "dropout", values)
    finally:
        dashboard.close()


__all__ = [
    "CONTROL_NAMES", "COMMON_CONTROLS", "OPTIMIZER_CHOICES", "CurvePlot", "RunRecord", "Settings",
    "TrainingDashboard", "make_settings", "measure_latency", "parse_hidden", "slider_latency",
]
