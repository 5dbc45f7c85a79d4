"""The training dashboard without a browser: controls, runs, the plot, errors and memory.

Widgets are driven from Python as the browser drives them: setting a control's ``value``
fires the same handler as releasing a slider, ``button.click()`` the same as a click. The
parts are found by the CSS classes the browser test uses. Small data (2,000 training and
500 test images of the offline MNIST copy) keeps runs short. No test asserts a duration.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import os
from collections.abc import Iterator

import pytest
import torch
from traitlets import TraitError

import mnist_course.widgets.dashboard as dashboard_module
from mnist_course.env import available_devices
from mnist_course.learning_curves import PALETTE, plot_history
from mnist_course.models import MLP, mlp_parameters
from mnist_course.training import History
from mnist_course.widgets import knobs
from mnist_course.widgets.curves import MAX_PAST_RUNS, PAST_ALPHA
from mnist_course.widgets.dashboard import TrainingDashboard

Split = tuple[torch.Tensor, torch.Tensor]
TIMEOUT = 120.0  # generous: the CPU is shared


@pytest.fixture(scope="module")
def mnist(train_split, test_split) -> tuple[Split, Split]:
    train, test = train_split, test_split
    return (train.images[:2000], train.labels[:2000]), (test.images[:500], test.labels[:500])


@pytest.fixture
def make_dashboard(mnist) -> Iterator:
    built: list[TrainingDashboard] = []

    def make(**options) -> TrainingDashboard:
        options["defaults"] = {"epochs": 2, "device": "cpu", **options.get("defaults", {})}
        built.append(TrainingDashboard(*mnist, **options))
        return built[-1]

    yield make
    for dashboard in built:
        dashboard.close()


class Spy:
    """Wraps a callable and counts its calls."""

    def __init__(self, real) -> None:
        self.real, self.calls = real, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


@pytest.fixture
def fit_spy(monkeypatch) -> Spy:
    spy = Spy(dashboard_module.fit)
    monkeypatch.setattr(dashboard_module, "fit", spy)
    return spy


def part(dashboard: TrainingDashboard, name: str):
    """The widget with CSS class ``mnist-dashboard-<name>`` inside ``dashboard.widget``."""
    todo = [dashboard.widget]
    while todo:
        widget = todo.pop()
        if f"mnist-dashboard-{name}" in widget._dom_classes:
            return widget
        todo += list(getattr(widget, "children", ()))
    raise LookupError(name)


def status(dashboard) -> str:
    return part(dashboard, "status").value


def legend_texts(dashboard) -> list[str]:
    return [t.get_text() for t in dashboard._plot.figure.legends[0].get_texts()]


def long_run(dashboard: TrainingDashboard) -> None:
    """Start a run long enough to be interrupted, and wait for its first curve point."""
    dashboard.set_values(epochs=30)
    part(dashboard, "start").click()
    assert dashboard.wait_for_first_point(TIMEOUT) is not None


# ---------------------------------------------------------------------- knobs


def test_settings_come_from_the_knob_table():
    ctx = knobs.Context(2000, ("cpu",))
    settings = knobs.make_settings({"hidden": "500, 256", "subset": 99_999}, ctx)
    assert settings.hidden == (500, 256) and settings.subset == 2000
    assert [f for f in vars(settings)] == list(knobs.KNOBS)
    assert knobs.fit_kwargs(knobs.make_settings({"optimizer": "sgd+momentum"}, ctx))["momentum"] == 0.9
    assert knobs.fit_kwargs(knobs.make_settings({"optimizer": "adamw"}, ctx))["optimizer"] == "adamw"
    for bad, match in (({"device": "tpu"}, "device"), ({"colour": 1}, "unknown settings"),
                       ({"lr": math.nan}, "learning rate must be a finite number"),
                       ({"weight_decay": float("nan")}, "weight decay"), ({"dropout": "x"}, "dropout"),
                       ({"hidden": "4096,4096,4096"}, "36,818,954"),
                       ({"hidden": "1024,1024,1024"}, "trains at most 2,000,000"),
                       ({"optimizer": "rmsprop"}, "optimizer")):
        with pytest.raises(ValueError, match=match):
            knobs.make_settings(bad, ctx)
    assert mlp_parameters((128, 256)) == sum(p.numel() for p in MLP((128, 256)).parameters())


def test_numbers_are_written_the_same_on_the_slider_and_in_the_legend():
    assert knobs.KNOBS["lr"].describe(0.005) == "lr 0.005"
    assert knobs.KNOBS["weight_decay"].describe(1e-2) == "wd 1e-2"
    assert knobs.KNOBS["weight_decay"].describe(2.5e-4) == "wd 2.5e-4"
    ctx = knobs.Context(60_000, ("cpu",))
    for name, value in (("lr", 0.005), ("weight_decay", 1e-2), ("dropout", 0.3), ("batch_size", 128)):
        control = knobs.make_control(name, value, ctx)
        assert knobs.KNOBS[name].describe(value).endswith(control.label)  # the slider's readout


# ---------------------------------------------------------------------- building


def test_building_and_displaying_trains_nothing(make_dashboard, fit_spy):
    dashboard = make_dashboard()
    bundle = dashboard._repr_mimebundle_()
    assert bundle["text/plain"] == repr(dashboard)  # stable text for nbval
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert fit_spy.calls == 0 and dashboard.wait(0.0)
    assert bytes(part(dashboard, "curves").value).startswith(b"\x89PNG")  # empty axes are shown
    assert part(dashboard, "stop").disabled


def test_controls_match_the_lesson_and_the_machine(make_dashboard):
    dashboard = make_dashboard(controls=("optimizer", "lr", "weight_decay"))
    assert tuple(dashboard.controls) == ("optimizer", "lr", "weight_decay", *knobs.COMMON_CONTROLS)
    assert list(dashboard.controls["device"].options) == available_devices()
    for control in dashboard.controls.values():
        assert getattr(control, "continuous_update", False) is False
    assert dashboard.controls["weight_decay"].label == "0"  # leftmost: no weight decay
    with pytest.raises(ValueError, match="unknown controls"):
        make_dashboard(controls=("hidden", "momentum"))


# ---------------------------------------------------------------------- runs


def test_start_trains_in_the_worker_and_shows_the_curves(make_dashboard):
    dashboard = make_dashboard()
    first_image = part(dashboard, "curves").value
    part(dashboard, "start").click()
    assert not part(dashboard, "stop").disabled
    assert dashboard.wait(TIMEOUT)
    record = dashboard._runner.latest.future.result()
    assert record.outcome == "finished" and len(record.history) == 2
    assert record.history.test_accuracy[-1] > 0.5
    assert len(record.points.epoch) > 2 * 2  # several points per epoch
    assert status(dashboard).startswith("Finished 2 epochs")
    assert "Test accuracy: <b>" in part(dashboard, "accuracy").value
    assert part(dashboard, "curves").value != first_image and part(dashboard, "stop").disabled


def test_a_change_stops_the_run_which_stays_on_the_plot(make_dashboard):
    dashboard = make_dashboard(debounce=0.05)
    long_run(dashboard)
    first = dashboard._runner.latest
    dashboard.controls["dropout"].value = 0.25
    assert dashboard.wait_for_first_point(TIMEOUT) is not None
    assert first.future.result().history.cancelled and first.cancel.reason == "replaced"
    dashboard.stop()
    assert dashboard.wait(TIMEOUT)
    dashboard.run_sync(dropout=0.5, epochs=1)
    labels = legend_texts(dashboard)
    assert any("drop 0 " in t and "30 ep" in t and t.endswith("(stopped)") for t in labels), labels
    assert any("drop 0.25" in t and t.endswith("(stopped)") for t in labels), labels
    assert labels[-1].startswith("now: 128-256 drop 0.5 relu")


def test_fifty_rapid_changes_start_one_run(make_dashboard, fit_spy):
    dashboard = make_dashboard(debounce=2.0)  # the burst below takes far less than 2 s
    values = [round(0.05 * (i % 18 + 1), 2) for i in range(50)]
    for value in values:
        dashboard.controls["dropout"].value = value
    assert dashboard.wait(TIMEOUT)
    assert fit_spy.calls == 1 and dashboard._runner.latest.settings.dropout == values[-1]


def test_stop_stops_within_a_batch_or_two(make_dashboard, monkeypatch):
    steps = {"count": 0}

    class CountingMLP(MLP):
        def forward(self, x):
            steps["count"] += self.training
            return super().forward(x)

    monkeypatch.setattr(dashboard_module, "MLP", CountingMLP)
    dashboard = make_dashboard()
    long_run(dashboard)
    part(dashboard, "stop").click()
    at_stop = steps["count"]
    assert dashboard.wait(TIMEOUT)
    assert steps["count"] - at_stop <= 2
    assert status(dashboard).startswith("Stopped after") and part(dashboard, "stop").disabled


def test_stop_before_the_debounce_ends_drops_the_request(make_dashboard, fit_spy):
    dashboard = make_dashboard(debounce=30.0)
    dashboard.controls["dropout"].value = 0.3
    dashboard.stop()
    assert dashboard.wait_for_first_point(TIMEOUT) is None
    assert dashboard.wait(TIMEOUT) and fit_spy.calls == 0


def test_errors_are_shown_escaped_and_the_dashboard_goes_on(make_dashboard, monkeypatch):
    def broken_fit(*args, **kwargs):
        raise RuntimeError("<b>boom</b>")

    dashboard = make_dashboard()
    with monkeypatch.context() as patch:
        patch.setattr(dashboard_module, "fit", broken_fit)
        part(dashboard, "start").click()
        assert dashboard.wait(TIMEOUT)
        assert "RuntimeError: &lt;b&gt;boom&lt;/b&gt;" in status(dashboard)
        assert "var(--jp-error-color1" in dashboard._status.value  # readable in the dark theme too
        with pytest.raises(RuntimeError, match="boom"):
            dashboard.run_sync()
    assert len(dashboard.run_sync()) == 2  # still works


def test_a_real_training_error_is_shown(make_dashboard):
    dashboard = make_dashboard(defaults={"subset": 500})
    dashboard.controls["batch_size"].value = 512  # 500 images cannot fill one batch
    assert dashboard.wait(TIMEOUT)
    assert "Training failed: ValueError" in status(dashboard)


def test_repeated_settings_are_answered_from_the_cache(make_dashboard, fit_spy):
    dashboard = make_dashboard(debounce=0.05)
    history = dashboard.run_sync(dropout=0.1)
    assert dashboard.run_sync(dropout=0.1) is history and fit_spy.calls == 1
    dashboard.controls["dropout"].value = 0.2  # a new setting trains...
    assert dashboard.wait(TIMEOUT) and fit_spy.calls == 2
    dashboard.controls["dropout"].value = 0.1  # ...going back to an old one does not
    assert dashboard.wait(TIMEOUT) and fit_spy.calls == 2 and "cache" in status(dashboard)


def test_run_sync_keeps_the_controls_and_the_notebook_rng(make_dashboard, fit_spy):
    """Issue 19: after Run All, lesson 4's dashboard showed run_sync's 2 epochs, and Start trained 2,
    while the lesson's text says runs last 5 (issue 9 had made run_sync set the controls)."""
    dashboard = make_dashboard(defaults={"epochs": 3, "subset": 500})
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    history = dashboard.run_sync(hidden=[64], dropout=0.5, epochs=1)
    assert torch.equal(torch.rand(3), expected)
    assert len(history) == 1 and history.settings["hidden"] == [64]
    assert dashboard.controls["epochs"].value == 3 and dashboard.controls["dropout"].value == 0.0
    assert dashboard.controls["hidden"].value == "128-256"
    assert dashboard.wait(0.0) and fit_spy.calls == 1  # run_sync started nothing else
    part(dashboard, "start").click()  # Start trains what the controls show
    assert dashboard.wait(TIMEOUT) and fit_spy.calls == 2
    assert len(dashboard._runner.latest.future.result().history) == 3


def test_run_sync_wins_over_stale_hidden_text(make_dashboard, fit_spy):
    """Issue 10 item 9: run_sync failed on invalid text left in the hidden-sizes box."""
    dashboard = make_dashboard()
    dashboard.controls["hidden"].value = "12a, 3"
    assert "Cannot train with these settings" in status(dashboard) and fit_spy.calls == 0
    history = dashboard.run_sync(epochs=1)
    assert len(history) == 1 and history.settings["hidden"] == [128, 256]  # the last valid sizes
    assert dashboard.controls["hidden"].value == "12a, 3"  # the student's text stays (issue 19)
    assert dashboard.run_sync(hidden=(32,), epochs=1).settings["hidden"] == [32]


def test_a_stopped_run_fills_the_x_axis(make_dashboard):
    """Issue 19: a stopped 30-epoch run kept 30 epochs on the x axis, its curves in the left 7%."""
    dashboard = make_dashboard()
    long_run(dashboard)
    assert dashboard._plot.axes[0].get_xlim()[1] >= 30  # while it trains: the planned epochs
    dashboard.stop()
    assert dashboard.wait(TIMEOUT)
    record = dashboard._runner.latest.future.result()
    assert record.outcome == "stopped"
    trained = math.ceil(record.points.epoch[-1])
    assert trained < 30
    for ax in dashboard._plot.axes:
        assert ax.get_xlim()[1] == pytest.approx(trained * 1.03)


def test_a_nan_never_reaches_the_controls(make_dashboard):
    """Issue 10 item 9: a NaN learning rate or weight decay passed and stuck in the controls."""
    dashboard = make_dashboard(controls=("optimizer", "lr", "weight_decay"))
    for name in ("lr", "weight_decay"):
        before = dashboard.controls[name].value
        with pytest.raises(TraitError):
            dashboard.controls[name].value = math.nan
        assert dashboard.controls[name].value == before
        with pytest.raises(ValueError, match="must be a finite number"):
            dashboard.run_sync(**{name: math.nan})
        assert dashboard.controls[name].value == before
    assert dashboard.wait(0.0)


def test_a_huge_network_is_refused_without_allocating(make_dashboard, fit_spy, monkeypatch):
    """Issue 10 item 14: typing "4096,4096,4096" cost +530 MB."""
    built = Spy(MLP)
    monkeypatch.setattr(dashboard_module, "MLP", built)
    dashboard = make_dashboard()
    dashboard.controls["hidden"].value = "4096,4096,4096"
    assert "Cannot train with these settings" in status(dashboard) and "36,818,954" in status(dashboard)
    assert dashboard.wait(TIMEOUT) and built.calls == 0 and fit_spy.calls == 0
    with pytest.raises(ValueError, match="36,818,954 parameters"):
        dashboard.run_sync(hidden=(4096, 4096, 4096))


def test_closed_dashboards_refuse_to_train(make_dashboard, fit_spy):
    dashboard = make_dashboard()
    long_run(dashboard)
    dashboard.close()
    assert dashboard.wait(0.0)
    with pytest.raises(RuntimeError, match="closed"):
        dashboard.run_sync()
    with pytest.raises(RuntimeError, match="closed"):
        dashboard.start()
    assert fit_spy.calls == 1


def test_the_evaluated_split_can_be_called_validation(make_dashboard):
    dashboard = make_dashboard(test_label="validation")
    assert part(dashboard, "accuracy").value.startswith("Validation accuracy:")
    dashboard.run_sync(epochs=1)
    assert part(dashboard, "accuracy").value.startswith("Validation accuracy:")
    assert "validation" in legend_texts(dashboard)


# ---------------------------------------------------------------------- the plot


def test_past_runs_are_distinct_visible_and_the_legend_stays_below(make_dashboard):
    """Issue 9: a grey run, faint runs nearly invisible, a legend growing over the curves."""
    dashboard = make_dashboard(defaults={"epochs": 1, "subset": 500})
    for dropout in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        dashboard.run_sync(dropout=dropout)
    figure = dashboard._plot.figure
    loss_ax = figure.axes[0]
    runs = [line for line in loss_ax.lines if line.get_linestyle() == "-"]
    assert len(runs) == MAX_PAST_RUNS + 1
    colours = [line.get_color() for line in runs]
    assert len(set(colours)) == len(colours) and set(colours) <= set(PALETTE)
    assert all(line.get_alpha() >= 0.45 for line in runs) and PAST_ALPHA >= 0.45
    legend = figure.legends[0]
    renderer = figure.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    for ax in figure.axes:
        assert not box.overlaps(ax.get_window_extent(renderer))
    assert len(legend.get_texts()) == 2 + MAX_PAST_RUNS + 1  # the style keys and the runs
    assert all(t.get_text() in ("train", "test") or "drop" in t.get_text() for t in legend.get_texts())


def test_plot_history_ticks_whole_epochs_and_skips_missing_test_points():
    history = History(epoch=[0.5, 1, 1.5, 2], train_loss=[1.0, 0.8, 0.6, 0.5],
                      train_accuracy=[0.5, 0.7, 0.8, 0.85], test_loss=[math.nan, 0.7, math.nan, 0.6],
                      test_accuracy=[math.nan, 0.75, math.nan, 0.8], seconds=[1, 2, 3, 4])
    loss_ax, accuracy_ax = plot_history([history, history], names=["a", "b"])
    loss_ax.figure.canvas.draw()
    assert all(float(t).is_integer() for t in loss_ax.get_xticks())
    test_line = [line for line in loss_ax.lines if line.get_linestyle() == "--"][0]
    assert list(test_line.get_xdata()) == [1, 2]
    assert loss_ax.lines[0].get_markevery() == [1, 3]  # markers at the end of each epoch
    import matplotlib.pyplot as plt

    plt.close(loss_ax.figure)


# ---------------------------------------------------------------------- memory


def _rss_mb() -> float:
    """Resident memory in MB, after a garbage collection and handing freed heap back to the OS.

    Without ``malloc_trim``, glibc may keep freed blocks (the 31 MB float copies fit makes of
    the test images) in its heap, and the number would measure fragmentation, not leaks.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_closed_dashboards_are_freed(train_split, test_split):
    """Issue 10 item 2: each closed dashboard kept about 45 MB (cache, models, test floats)."""
    train = (train_split.images[:2000], train_split.labels[:2000])
    test = (test_split.images, test_split.labels)  # the full 10,000: a leaked float copy is 31 MB

    def cycle(keep: list) -> None:
        dashboard = TrainingDashboard(train, test, defaults={"subset": 500, "epochs": 1}, device="cpu")
        dashboard.run_sync(dropout=0.1)
        dashboard.run_sync(dropout=0.2)
        dashboard.close()
        keep.append(dashboard)  # even a closed dashboard the notebook still holds is small

    warm: list = []
    cycle(warm)
    cycle(warm)
    gc.collect()
    start = _rss_mb()
    kept: list = []
    for _ in range(10):
        cycle(kept)
    gc.collect()
    grown = _rss_mb() - start
    print(f"10 closed dashboards: RSS {grown:+.1f} MB")
    assert grown < 20, f"10 closed dashboards kept {grown:.0f} MB"


def test_a_dashboard_after_the_lessons_figure_setup_warns_nothing(make_dashboard, recwarn):
    """Lessons call setup_figures() (constrained layout on) first: the dashboard's fixed
    margins must not make matplotlib warn into the stored notebook's stderr."""
    import matplotlib as mpl

    from mnist_course.env import setup_figures

    with mpl.rc_context():
        setup_figures()
        make_dashboard()
    assert not [w for w in recwarn if "layout engine" in str(w.message)]
