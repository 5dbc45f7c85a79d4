"""The training dashboard without a browser: controls, threads, cancelling, errors, cache.

Widgets are driven from Python exactly as the browser drives them: setting a control's
``value`` fires the same handler as releasing a slider, and ``button.click()`` the same
as a click. Small data (2,000 training and 500 test images of the offline MNIST copy)
keeps every run well under a second. No test asserts a duration.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import torch
from ipywidgets import FloatLogSlider

import mnist_course.widgets as widgets_module
from mnist_course.env import available_devices
from mnist_course.models import MLP
from mnist_course.widgets import (
    COMMON_CONTROLS,
    OPTIMIZER_CHOICES,
    Settings,
    TrainingDashboard,
    make_settings,
    measure_latency,
    parse_hidden,
)

Split = tuple[torch.Tensor, torch.Tensor]
TIMEOUT = 120.0  # generous: the CPU is shared; no test asserts a duration


@pytest.fixture(scope="module")
def mnist(train_split, test_split) -> tuple[Split, Split]:
    """Small train and test splits of the real MNIST (conftest: the offline copy in CI)."""
    train, test = train_split, test_split
    return (train.images[:2000], train.labels[:2000]), (test.images[:500], test.labels[:500])


@pytest.fixture
def make_dashboard(mnist) -> Iterator:
    """Build dashboards on the small data; close them all (ending their threads) afterwards."""
    built: list[TrainingDashboard] = []

    def make(**options) -> TrainingDashboard:
        options.setdefault("defaults", {})
        options["defaults"] = {"epochs": 2, "device": "cpu", **options["defaults"]}
        dashboard = TrainingDashboard(*mnist, **options)
        built.append(dashboard)
        return dashboard

    yield make
    for dashboard in built:
        dashboard.close()


class FitSpy:
    """Wraps fit: counts calls and the most calls ever running at the same time."""

    def __init__(self, real) -> None:
        self.real, self.calls, self.active, self.most_active = real, 0, 0, 0
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.calls += 1
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            return self.real(*args, **kwargs)
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture
def fit_spy(monkeypatch) -> FitSpy:
    spy = FitSpy(widgets_module.fit)
    monkeypatch.setattr(widgets_module, "fit", spy)
    return spy


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mnist-dashboard-worker"]


def long_run(dashboard: TrainingDashboard) -> None:
    """Start a run long enough to be interrupted, and wait for its first curve point."""
    dashboard.set_values(epochs=30)
    dashboard._start_button.click()
    assert dashboard.wait_for_first_point(TIMEOUT) is not None


# ---------------------------------------------------------------------- settings


def test_parse_hidden_reads_text_and_lists():
    assert parse_hidden("128, 256") == (128, 256)
    assert parse_hidden("500-256") == (500, 256)
    assert parse_hidden("") == ()
    assert parse_hidden([250, 200]) == (250, 200)
    for bad in ("12a", "0", "1.5", "5000"):
        with pytest.raises(ValueError):
            parse_hidden(bad)


def test_make_settings_normalises_and_checks():
    settings = make_settings({"lr": 0.031622776601683794, "dropout": 0.30000000000000004,
                              "subset": 99_999, "device": "cpu"}, train_size=2000, devices=["cpu"])
    assert settings.lr == 0.03162 and settings.dropout == 0.3 and settings.subset == 2000
    assert hash(settings) == hash(make_settings({"lr": 0.03162, "dropout": 0.3, "subset": 2000},
                                                train_size=2000, devices=["cpu"]))
    with pytest.raises(ValueError, match="not available"):
        make_settings({"device": "tpu"}, train_size=10, devices=["cpu"])
    with pytest.raises(ValueError, match="unknown settings"):
        make_settings({"colour": 1}, train_size=10, devices=["cpu"])


def test_optimizer_choices_map_to_fit_arguments():
    sgd_momentum = Settings(optimizer="sgd+momentum").fit_kwargs()
    assert sgd_momentum["optimizer"] == "sgd" and sgd_momentum["momentum"] == 0.9
    assert Settings(optimizer="sgd").fit_kwargs()["momentum"] == 0.0
    assert Settings(optimizer="adamw").fit_kwargs()["optimizer"] == "adamw"
    assert set(OPTIMIZER_CHOICES.values()) == {"sgd", "sgd+momentum", "adam", "adamw"}


# ---------------------------------------------------------------------- building


def test_building_and_displaying_trains_nothing(make_dashboard, fit_spy):
    dashboard = make_dashboard()
    bundle = dashboard._repr_mimebundle_()
    assert bundle["text/plain"] == repr(dashboard)  # stable text for nbval
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert fit_spy.calls == 0 and dashboard.runs == [] and not dashboard.running
    assert dashboard.png.startswith(b"\x89PNG")  # empty axes are shown
    assert worker_threads() == []


def test_controls_match_the_lesson_and_the_machine(make_dashboard):
    dashboard = make_dashboard(controls=("optimizer", "lr", "weight_decay"))
    assert tuple(dashboard.controls) == ("optimizer", "lr", "weight_decay", *COMMON_CONTROLS)
    assert isinstance(dashboard.controls["lr"], FloatLogSlider)
    assert isinstance(dashboard.controls["weight_decay"], FloatLogSlider)
    assert list(dashboard.controls["device"].options) == available_devices()
    assert [v for _, v in dashboard.controls["optimizer"].options] == list(OPTIMIZER_CHOICES.values())
    for control in dashboard.controls.values():
        if hasattr(control, "continuous_update"):
            assert control.continuous_update is False
    assert dashboard.settings.weight_decay == 0.0  # the leftmost position means "off"
    dashboard.controls["weight_decay"].value = 1e-4
    assert dashboard.settings.weight_decay == pytest.approx(1e-4)
    dashboard.stop()


def test_unknown_control_is_refused(mnist):
    with pytest.raises(ValueError, match="unknown controls"):
        TrainingDashboard(*mnist, controls=("hidden", "momentum"))


# ---------------------------------------------------------------------- runs


def test_start_button_trains_in_a_thread_and_shows_history(make_dashboard):
    dashboard = make_dashboard()
    first_image = dashboard.png
    dashboard._start_button.click()
    assert dashboard.running
    assert dashboard.wait(TIMEOUT)
    record = dashboard.runs[-1]
    assert record.outcome == "finished" and record.latency is not None
    assert len(dashboard.history) == 2 and not dashboard.history.cancelled
    assert dashboard.history.test_accuracy[-1] > 0.5
    assert dashboard.status.startswith("Finished 2 epochs")
    assert dashboard.accuracy_text.startswith("Test accuracy:")
    assert dashboard.png != first_image
    assert len(record.train_points) > len(record.test_points) == 2  # several points per epoch
    assert isinstance(dashboard.model, MLP)
    assert dashboard._stop_button.disabled


def test_a_change_cancels_the_run_and_starts_a_new_one(make_dashboard):
    dashboard = make_dashboard(debounce=0.05)
    long_run(dashboard)
    dashboard.controls["dropout"].value = 0.25
    assert dashboard.wait_for_first_point(TIMEOUT) is not None
    first, latest = dashboard.runs[0], dashboard.runs[-1]
    assert first.outcome == "replaced" and first.history.cancelled
    assert latest.settings.dropout == 0.25 and latest.outcome == "running"
    dashboard.stop()
    assert dashboard.wait(TIMEOUT)


def test_fifty_rapid_changes_leave_one_live_run_and_no_threads(make_dashboard, fit_spy):
    dashboard = make_dashboard(debounce=1.0)  # the burst below takes far less than 1 s
    dashboard.run_sync()  # warm everything up before counting threads
    threads_before = set(threading.enumerate())
    long_run(dashboard)
    calls_before = fit_spy.calls
    values = [round(0.01 * (i % 90), 2) for i in range(1, 51)]
    for value in values:
        dashboard.controls["dropout"].value = value
    assert dashboard.wait_for_first_point(TIMEOUT) is not None
    assert fit_spy.calls == calls_before + 1  # the whole burst started one run
    assert dashboard.live_runs == 1 and len(worker_threads()) == 1
    assert dashboard.runs[-1].settings.dropout == values[-1]
    dashboard.stop()
    assert dashboard.wait(TIMEOUT)
    assert fit_spy.most_active == 1
    assert dashboard.live_runs == 0
    assert set(threading.enumerate()) - threads_before == set()


def test_stop_stops_within_a_batch_or_two(make_dashboard, monkeypatch):
    steps = {"count": 0}

    class CountingMLP(MLP):
        def forward(self, x):
            if self.training:
                steps["count"] += 1
            return super().forward(x)

    monkeypatch.setattr(widgets_module, "MLP", CountingMLP)
    dashboard = make_dashboard()
    long_run(dashboard)
    dashboard._stop_button.click()
    at_stop = steps["count"]
    assert dashboard.wait(TIMEOUT)
    assert steps["count"] - at_stop <= 2
    record = dashboard.runs[-1]
    assert record.outcome == "stopped" and record.history.cancelled and len(record.history) < 30
    assert dashboard.status.startswith("Stopped after")
    assert dashboard._stop_button.disabled and not dashboard._start_button.disabled


def test_an_error_in_training_is_shown_and_the_dashboard_goes_on(make_dashboard, monkeypatch):
    def broken_fit(*args, **kwargs):
        raise RuntimeError("boom")

    dashboard = make_dashboard()
    with monkeypatch.context() as patch:
        patch.setattr(widgets_module, "fit", broken_fit)
        dashboard._start_button.click()
        assert dashboard.wait(TIMEOUT)
        assert dashboard.runs[-1].outcome == "failed"
        assert "RuntimeError: boom" in dashboard.status
        assert worker_threads() == [] and not dashboard.running
        with pytest.raises(RuntimeError, match="boom"):
            dashboard.run_sync()
    dashboard._start_button.click()  # the controls still work
    assert dashboard.wait(TIMEOUT)
    assert dashboard.runs[-1].outcome == "finished"


def test_a_real_training_error_is_shown(make_dashboard):
    dashboard = make_dashboard(defaults={"subset": 500})
    dashboard.controls["batch_size"].value = 512  # 500 images cannot fill one batch
    assert dashboard.wait(TIMEOUT)
    assert dashboard.runs[-1].outcome == "failed"
    assert "ValueError" in dashboard.status and "batch_size 512" in dashboard.status


def test_invalid_hidden_sizes_are_reported_without_a_run(make_dashboard, fit_spy):
    dashboard = make_dashboard()
    dashboard.controls["hidden"].value = "12a, 3"
    assert "Cannot train" in dashboard.status and "hidden sizes" in dashboard.status
    assert dashboard.wait(TIMEOUT) and fit_spy.calls == 0


def test_repeated_settings_are_answered_from_the_cache(make_dashboard, fit_spy):
    dashboard = make_dashboard(debounce=0.05)
    history = dashboard.run_sync(dropout=0.1)
    assert dashboard.run_sync(dropout=0.1) is history
    assert fit_spy.calls == 1 and dashboard.runs[-1].outcome == "cached"
    dashboard.controls["dropout"].value = 0.2  # a new setting trains...
    assert dashboard.wait(TIMEOUT) and fit_spy.calls == 2
    dashboard.controls["dropout"].value = 0.1  # ...going back to an old one does not
    assert dashboard.wait(TIMEOUT) and fit_spy.calls == 2
    assert dashboard.runs[-1].outcome == "cached" and dashboard.history is history
    assert "cache" in dashboard.status
    dashboard.clear_cache()
    dashboard.run_sync(dropout=0.1)
    assert fit_spy.calls == 3


def test_run_sync_takes_the_same_path_as_the_threaded_run(make_dashboard):
    dashboard = make_dashboard()
    dashboard.set_values(hidden=(32,), dropout=0.2, activation="tanh")
    dashboard.start()
    assert dashboard.wait(TIMEOUT)
    threaded = dashboard.history
    dashboard.clear_cache()
    synchronous = dashboard.run_sync()
    assert synchronous is not threaded
    assert synchronous.settings == threaded.settings
    assert synchronous.test_accuracy == pytest.approx(threaded.test_accuracy, abs=1e-6)
    assert dashboard.controls["hidden"].value == "32"


def test_run_sync_sets_the_controls_and_keeps_the_notebook_rng(make_dashboard):
    dashboard = make_dashboard()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    history = dashboard.run_sync(hidden=[64], dropout=0.5, epochs=1)
    assert torch.equal(torch.rand(3), expected)
    assert len(history) == 1 and history.settings["hidden"] == [64]
    assert dashboard.controls["dropout"].value == 0.5 and dashboard.controls["epochs"].value == 1
    assert not dashboard.running  # setting the controls did not start a run


def test_finished_runs_stay_on_the_plot(make_dashboard):
    dashboard = make_dashboard(debounce=0.05)
    for dropout in (0.0, 0.3, 0.6):
        dashboard.run_sync(dropout=dropout)
    assert [r.settings.dropout for r in dashboard._past] == [0.0, 0.3, 0.6]
    labels = [dashboard._label(r, dashboard.settings) for r in dashboard._past]
    assert labels[0].startswith("128-256 drop 0 relu: ")


def test_measure_latency_reports_one_number_per_move(make_dashboard):
    dashboard = make_dashboard(debounce=0.05)
    latencies = measure_latency(dashboard, "dropout", (0.1, 0.2))
    assert len(latencies) == 2 and all(latency > 0 for latency in latencies)
    assert dashboard.last_latency == latencies[-1]
    assert worker_threads() == []


def test_close_ends_everything(make_dashboard):
    dashboard = make_dashboard()
    long_run(dashboard)
    dashboard.close()
    assert worker_threads() == [] and not dashboard.running
    dashboard.controls["dropout"].value = 0.4  # ignored after close
    assert dashboard.wait(1.0) and dashboard.runs[-1].outcome == "stopped"


def test_start_during_a_run_with_the_same_settings_changes_nothing(make_dashboard, fit_spy):
    dashboard = make_dashboard()
    long_run(dashboard)
    dashboard._start_button.click()
    assert fit_spy.calls == 1 and dashboard.runs[-1].outcome == "running"
    dashboard.stop()
    assert dashboard.wait(TIMEOUT)


def test_stop_before_the_debounce_ends_drops_the_request(make_dashboard, fit_spy):
    dashboard = make_dashboard(debounce=30.0)
    dashboard.controls["dropout"].value = 0.3
    assert dashboard.running
    dashboard._stop_button.click()
    assert dashboard.wait_for_first_point(TIMEOUT) is None
    assert dashboard.wait(TIMEOUT) and fit_spy.calls == 0 and dashboard.runs == []


def test_only_finished_runs_keep_their_model(make_dashboard):
    dashboard = make_dashboard()
    long_run(dashboard)
    dashboard.stop()
    assert dashboard.wait(TIMEOUT)
    stopped = dashboard.runs[-1]
    assert stopped.outcome == "stopped" and stopped.model is not None  # the latest run keeps it
    dashboard.run_sync(epochs=1)
    assert stopped.model is None and dashboard.model is dashboard.runs[-1].model is not None


def test_error_messages_are_shown_as_text(make_dashboard, monkeypatch):
    def broken_fit(*args, **kwargs):
        raise ValueError("<b>not bold</b>")

    monkeypatch.setattr(widgets_module, "fit", broken_fit)
    dashboard = make_dashboard()
    with pytest.raises(ValueError):
        dashboard.run_sync()
    assert "<b>not bold</b>" in dashboard.status  # escaped in the HTML, so shown literally


def test_the_evaluated_split_can_be_called_validation(make_dashboard):
    dashboard = make_dashboard(test_label="validation")
    assert dashboard.accuracy_text.startswith("Validation accuracy:")
    dashboard.run_sync(epochs=1)
    assert dashboard.accuracy_text.startswith("Validation accuracy:")
