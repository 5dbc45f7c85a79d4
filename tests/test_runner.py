"""The dashboard's scheduler on its own: no widgets, no training, a fake ``work``.

``work`` records what it was asked and blocks on events the test controls, so every
test synchronises on events, never on sleeps; no test asserts a duration.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from mnist_course.widgets import runner as runner_module
from mnist_course.widgets.runner import Run, Runner

TIMEOUT = 60.0


class FakeWork:
    """Records each call; a call blocks until ``release`` is set (or its run is cancelled)."""

    def __init__(self, block: bool = False) -> None:
        self.calls: list[tuple[object, object]] = []
        self.active = self.most_active = 0
        self.started, self.release = threading.Event(), threading.Event()
        self.block = block
        self.lock = threading.Lock()

    def __call__(self, run: Run, cached):
        with self.lock:
            self.calls.append((run.settings, cached))
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        self.started.set()
        try:
            if self.block:
                while not (self.release.is_set() or run.cancel.wait(0.01)):
                    pass
            run.show_first_point()
            return f"result of {run.settings}"
        finally:
            with self.lock:
                self.active -= 1


@pytest.fixture
def make_runner():
    built = []

    def make(work, **options) -> Runner:
        built.append(Runner(work, **options))
        return built[-1]

    yield make
    for runner in built:
        runner.close()


def test_a_request_runs_once_in_the_worker_and_is_cached(make_runner):
    work = FakeWork()
    runner = make_runner(work, debounce=0.0)
    assert runner.run_sync("a") == "result of a"
    assert runner.run_sync("a") == "result of a"  # answered from the cache
    assert work.calls == [("a", None), ("a", "result of a")]
    assert runner.wait(TIMEOUT) and not runner.busy


def test_a_burst_of_changes_trains_only_the_last(make_runner):
    work = FakeWork()
    runner = make_runner(work, debounce=5.0)  # the burst takes far less than 5 s
    runs = [runner.request(i) for i in range(50)]
    assert runner.wait(TIMEOUT)
    assert [settings for settings, _ in work.calls] == [49]
    assert all(r.cancel.reason == "replaced" for r in runs[:-1])
    assert [r.future.result() for r in runs[:-1]] == [None] * 49  # skipped without working


def test_a_new_request_cancels_the_run_in_progress(make_runner):
    work = FakeWork(block=True)
    runner = make_runner(work, debounce=0.0)
    first = runner.request("slow", immediate=True)
    assert work.started.wait(TIMEOUT)
    second = runner.request("next")
    assert first.cancel.is_set() and first.cancel.reason == "replaced"
    work.release.set()
    assert runner.wait(TIMEOUT)
    assert [s for s, _ in work.calls] == ["slow", "next"] and work.most_active == 1
    assert second.latency is not None and second.shown.is_set()
    assert runner.run_sync("slow") == "result of slow"  # the cancelled run was not cached
    assert len(work.calls) == 3


def test_stop_cancels_the_run_and_a_waiting_request(make_runner):
    work = FakeWork(block=True)
    runner = make_runner(work, debounce=30.0)
    waiting = runner.request("a")
    assert runner.busy and runner.stop()
    assert runner.wait(TIMEOUT) and work.calls == [] and waiting.cancel.reason == "stopped"
    assert waiting.shown.is_set() and waiting.latency is None  # wait_for_first_point: no point came
    running = runner.request("b", immediate=True)
    assert work.started.wait(TIMEOUT)
    assert runner.stop() and runner.wait(TIMEOUT)
    assert running.cancel.reason == "stopped" and not runner.stop()


def test_start_again_with_the_same_settings_keeps_the_run(make_runner):
    work = FakeWork(block=True)
    runner = make_runner(work, debounce=0.0)
    run = runner.request("a", immediate=True)
    assert work.started.wait(TIMEOUT)
    assert runner.request("a", immediate=True) is run and not run.cancel.is_set()
    work.release.set()
    assert runner.wait(TIMEOUT) and len(work.calls) == 1


def test_an_error_reaches_run_sync_and_the_runner_goes_on(make_runner):
    def broken(run, cached):
        raise ValueError("boom")

    runner = make_runner(broken, debounce=0.0)
    with pytest.raises(ValueError, match="boom"):
        runner.run_sync("a")
    runner._work = FakeWork()
    assert runner.run_sync("a") == "result of a"


def test_the_cache_drops_the_least_recently_used(make_runner):
    work = FakeWork()
    runner = make_runner(work, debounce=0.0, cache_size=2)
    for settings in ("a", "b", "a", "c", "a", "b"):
        runner.run_sync(settings)
    # "a" stayed (used again), "b" was dropped when "c" came, so "b" trained twice
    assert [s for s, cached in work.calls if cached is None] == ["a", "b", "c", "b"]


def test_a_request_arriving_while_the_worker_finishes_is_never_stranded(make_runner, monkeypatch):
    """Issue 10 item 17: the old scheduler lost a change that came while its thread was ending."""
    real_job = Runner._job
    ending = threading.Event()

    def slow_ending_job(self, run):
        result = real_job(self, run)
        ending.set()
        time.sleep(0.05)  # the window the old worker thread spent exiting
        return result

    monkeypatch.setattr(Runner, "_job", slow_ending_job)
    work = FakeWork()
    runner = make_runner(work, debounce=0.0)
    runner.request("first", immediate=True)
    assert ending.wait(TIMEOUT)
    last = runner.request("second")  # arrives inside the window
    assert runner.wait(TIMEOUT) and last.future.result() == "result of second"
    assert [s for s, _ in work.calls] == ["first", "second"]


def test_many_rapid_requests_from_threads_always_run_the_last(make_runner):
    work = FakeWork()
    runner = make_runner(work, debounce=0.001)
    rng = random.Random(0)
    for round_ in range(20):
        def burst(round_: int, offset: int) -> None:
            for i in range(10):
                runner.request((round_, offset, i), immediate=rng.random() < 0.3)

        threads = [threading.Thread(target=burst, args=(round_, k)) for k in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        last = runner.request((round_, "last"))
        assert runner.wait(TIMEOUT), f"round {round_}: wait() did not return"
        assert last.future.result() == f"result of {(round_, 'last')}"
        assert work.calls[-1][0] == (round_, "last")
    assert work.most_active == 1


def test_close_stops_everything_and_refuses_new_requests(make_runner):
    work = FakeWork(block=True)
    runner = make_runner(work, debounce=0.0)
    run = runner.request("a", immediate=True)
    assert work.started.wait(TIMEOUT)
    runner.close()
    assert run.cancel.reason == "stopped" and run.future.done()
    assert not [t for t in threading.enumerate() if t.name.startswith("mnist-dashboard")]
    with pytest.raises(RuntimeError, match="closed"):
        runner.request("b")
    assert runner.wait(1.0)


def test_runs_in_progress_are_stopped_at_interpreter_exit(make_runner):
    work = FakeWork(block=True)
    runner = make_runner(work, debounce=0.0)
    run = runner.request("a", immediate=True)
    assert work.started.wait(TIMEOUT)
    runner_module._stop_all_at_exit()  # what threading runs before joining the worker
    assert runner.wait(TIMEOUT) and run.cancel.reason == "stopped"
