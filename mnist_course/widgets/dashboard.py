"""A live training dashboard: turn a knob, watch the network learn (lessons 3 and 4).

Its parts: the knobs (:mod:`.knobs`), the worker (:mod:`.runner`), ``fit`` and the plot (:mod:`.curves`).
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import torch

from ..env import available_devices, get_device, seeded, torch_threads
from ..models import MLP
from ..training import History, Progress, Report, StopWhen, fit, make_optimizer
from . import in_colour, knobs
from .curves import LivePlot, Record, accuracy_text, progress_text, summary
from .runner import Run, Runner

POINTS_PER_EPOCH = 10  # curve points per epoch (fit's callback_every)


class TrainingDashboard:
    """Sliders and buttons that train an MLP live, with curves updated during training (lessons 3, 4).

    Args:
        train: ``(images, labels)`` of the training split, e.g. ``load_mnist("train")``.
        test: ``(images, labels)`` evaluated after every epoch, or ``None``.
        controls: the knobs the lesson teaches, shown before :data:`~.knobs.COMMON_CONTROLS`.
        defaults: starting values of any knobs, e.g. ``{"dropout": 0.5, "epochs": 3}``.
        device: the starting device (default: :func:`~mnist_course.env.get_device`).
        seed: seeds the weights, shuffling and dropout of every run.
        debounce: seconds without a new change before a run starts.
        cpu_threads: PyTorch CPU threads of a run (``None``: unchanged; restored afterwards).
        test_label: what to call the ``test`` split on screen, e.g. ``"validation"`` (lesson 4).

    Attributes:
        widget: the ipywidgets box to display (displaying the dashboard shows it too).
        controls: the knobs' widgets, by knob name.
    """

    def __init__(self, train: Sequence[torch.Tensor], test: Sequence[torch.Tensor] | None = None,
                 controls: Sequence[str] = ("hidden", "dropout", "activation"), defaults: dict | None = None,
                 device: str | torch.device | None = None, seed: int = 0, debounce: float = 0.2,
                 cpu_threads: int | None = 1, test_label: str = "test") -> None:
        self._train, self._test = (train[0], train[1]), (test[0], test[1]) if test is not None else None
        self._lesson = tuple(controls)
        shown = tuple(dict.fromkeys([*controls, *knobs.COMMON_CONTROLS]))
        if unknown := sorted(set(shown) - set(knobs.KNOBS)):
            raise ValueError(f"unknown controls {unknown}; known: {list(knobs.KNOBS)}")
        self._ctx = knobs.Context(len(self._train[1]), tuple(available_devices()))
        start = {"device": get_device(device).type, **(defaults or {})}
        self._settings = knobs.make_settings(start, self._ctx)
        self.seed, self.cpu_threads = seed, cpu_threads
        self._test_label = test_label if test is not None else None
        self.controls = {n: knobs.make_control(n, getattr(self._settings, n), self._ctx) for n in shown}
        self._build_widgets(test_label)
        self._plot: LivePlot | None = LivePlot(self._lesson, shown, self._test_label)
        self._runner = Runner(self._work, debounce, on_done=lambda _: setattr(self._stop, "disabled",
                                                                              not self._runner.busy))
        self._next_render = 0.0
        self._show(None, "Change a setting or press Start to train.")
        make_optimizer("sgd", [torch.zeros(1, requires_grad=True)], lr=0.1)  # warm-up: imports torch._dynamo

    def start(self) -> None:
        """Train with the settings the controls show, now (like the Start button)."""
        self._request(immediate=True)

    def stop(self) -> None:
        """Stop the run in progress after its current batch, and drop a waiting one."""
        if not self._runner.stop():
            self._set_status("Nothing is running.")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until nothing trains or waits to; False if ``timeout`` seconds passed first."""
        return self._runner.wait(timeout)

    def wait_for_first_point(self, timeout: float | None = None) -> float | None:
        """Seconds from the latest change to its first curve point (``None``: timeout, or no point came)."""
        run = self._runner.latest
        return run.latency if run is not None and run.shown.wait(timeout) else None

    def run_sync(self, **settings: Any) -> History:
        """Train in this cell as Start does, with ``settings`` changed; return the History.

        The controls keep their values: the next Start trains what they show (the lesson's
        settings), not what this call chose.

        Raises:
            ValueError: a value no control can show.
            RuntimeError: the dashboard is closed.
        """
        record = self._runner.run_sync(knobs.make_settings(settings, self._ctx, base=self._settings))
        if record is None:
            raise RuntimeError("the run was stopped or replaced before it started")
        return record.history

    def set_values(self, **values: Any) -> None:
        """Set knobs without starting a run (knobs without a control keep the value too)."""
        self._settings = knobs.make_settings(values, self._ctx, base=self._settings)
        for name, control in self.controls.items():
            control.unobserve(self._on_change, names="value")  # showing a value is no change to train
            knobs.show(name, control, getattr(self._settings, name), self._ctx)
            control.observe(self._on_change, names="value")

    def close(self) -> None:
        """Stop training, end the worker, close every widget and free the runs and the figure."""
        self._runner.close()
        for widget in self._all_widgets:  # with their layouts and styles: widgets too, kept alive otherwise
            widget.unobserve_all()
            for part in [getattr(widget, "layout", None), getattr(widget, "style", None), widget]:
                if part is not None:
                    part.close()
        self._all_widgets, self._plot = [], None  # the figure, the past runs and their points

    def __repr__(self) -> str:
        return f"TrainingDashboard(controls: {', '.join(self.controls)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = repr(self)  # stable across machines, for nbval
        return bundle

    def _build_widgets(self, test_label: str) -> None:
        self._start = widgets.Button(description="Start", icon="play", button_style="success")
        self._stop = widgets.Button(description="Stop", icon="stop", button_style="warning", disabled=True)
        self._status = widgets.HTML("Ready: nothing has been trained yet.")
        self._accuracy = widgets.HTML(f"{test_label.capitalize()} accuracy: &ndash; (no run yet)")
        self._curves = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self._start.on_click(lambda _: self.start())
        self._stop.on_click(lambda _: self.stop())
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        columns = [widgets.VBox([c for n, c in self.controls.items() if (n in self._lesson) == side])
                   for side in (True, False)]  # the lesson's knobs on the left
        row, buttons = widgets.HBox(columns), widgets.HBox([self._start, self._stop, self._status])
        self.widget = widgets.VBox([row, buttons, self._accuracy, self._curves])
        self.widget.add_class("mnist-dashboard")  # stable hooks for the browser test
        for name in ("start", "stop", "status", "accuracy", "curves"):
            getattr(self, f"_{name}").add_class(f"mnist-dashboard-{name}")
        self._all_widgets = [*self.controls.values(), *columns, row, buttons, self.widget, self._start,
                             self._stop, self._status, self._accuracy, self._curves]

    def _on_change(self, change: dict) -> None:
        self._request(immediate=False)

    def _request(self, immediate: bool) -> None:
        try:
            values = {name: control.value for name, control in self.controls.items()}
            self._settings = knobs.make_settings(values, self._ctx, base=self._settings)
        except ValueError as exc:
            self._set_status(f"Cannot train with these settings: {html.escape(str(exc))}", error=True)
            return
        self._set_status("Starting&hellip;" if immediate else "Settings changed: starting a new run&hellip;")
        self._runner.request(self._settings, immediate)
        self._stop.disabled = False

    def _work(self, run: Run, cached: Record | None) -> Record:
        """Show the cached record for ``run``'s settings, or train a new one."""
        record = cached or Record(run.settings)
        self._plot.take(record)
        if cached is None:
            try:
                record.history = self._fit(run, record)
            except Exception as exc:  # shown in the dashboard, not lost in the worker thread
                self._set_status(f"Training failed: {html.escape(f'{type(exc).__name__}: {exc}')}. "
                                 "Change a setting or press Start to try again.", error=True)
                raise
            record.outcome = "stopped" if record.history.cancelled else "finished"
        if run.cancel.reason != "replaced":
            self._show(record)
            run.show_first_point()
            self._set_status("Same settings as an earlier run: answered from the cache, no training."
                             if cached else summary(record))
        self._plot.keep(record)
        return record

    def _fit(self, run: Run, record: Record) -> History:
        s = run.settings
        every = max(1, s.subset // s.batch_size // POINTS_PER_EPOCH)
        with torch_threads(self.cpu_threads), seeded(self.seed, s.device):
            model = MLP(hidden=s.hidden, dropout=s.dropout, activation=s.activation)

            def on_progress(p: Progress) -> None:
                if not record.add_point(p, every, self._test is not None):
                    return
                self._set_status(progress_text(p, s))
                if run.latency is None or p.end_of_epoch or time.perf_counter() >= self._next_render:
                    self._show(record)
                    run.show_first_point()

            return fit(model, self._train, self._test, seed=self.seed, progress=False,
                       callbacks=[Report(on_progress, every), StopWhen(run.cancel)], **knobs.fit_kwargs(s))

    def _show(self, current: Record | None, message: str = "") -> None:
        """Send the curves (and the accuracy line) to the page; the next at least 0.25 s later."""
        if self._plot is None:
            return  # closed
        started, now = time.perf_counter(), self._settings if current is None else current.settings
        self._curves.value = self._plot.render(current, now, message)
        if current is not None and current.points.epoch:
            self._accuracy.value = accuracy_text(current, self._test_label)
        self._next_render = time.perf_counter() + max(0.25, 2 * (time.perf_counter() - started))

    def _set_status(self, text: str, error: bool = False) -> None:
        self._status.value = in_colour(text) if error else text
