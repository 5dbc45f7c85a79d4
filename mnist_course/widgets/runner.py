"""The dashboard's scheduler (lessons 3 and 4): one worker thread, the newest request wins.

Each request is a :class:`Run` with its own cancel event and one job on a single-thread
executor; the job waits out the debounce, then works only if its run is still the newest.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

CLOSED = "this dashboard is closed; build a new one to train again"


class Cancel(threading.Event):
    """A run's cancel event, remembering why it was set: ``"stopped"`` or ``"replaced"``."""

    reason: str | None = None

    def cancel(self, reason: str) -> None:
        """Set the event, saying why (the first reason is kept)."""
        if not self.is_set():
            self.reason = reason
            self.set()


@dataclass(eq=False)
class Run:
    """One request: its settings, cancel event and what became of it."""

    settings: Hashable
    immediate: bool  # Start or run_sync: no debounce
    requested: float = field(default_factory=time.perf_counter)
    cancel: Cancel = field(default_factory=Cancel)
    future: futures.Future | None = None  # the job: its result is the work's result (None if skipped)
    shown: threading.Event = field(default_factory=threading.Event)  # first point shown, or over
    latency: float | None = None  # seconds from the request to its first point

    def show_first_point(self) -> None:
        """Record that the run's first result is on screen (once)."""
        if self.latency is None:
            self.latency = time.perf_counter() - self.requested
        self.shown.set()


class Runner:
    """Run ``work(run, cached)`` for the newest request on one worker thread, caching the results.

    ``_lock`` guards ``_latest``, ``_closed`` and ``_cache``, which the caller's thread and the
    worker share.

    Args:
        work: trains (or shows the cached result) for one run.
        debounce: seconds a knob change waits for the next one before it trains.
        cache_size: results kept (least recently used dropped first).
        on_done: called (in the worker thread) with each run once it has ended or was skipped.
    """

    def __init__(self, work: Callable[[Run, Any], Any], debounce: float = 0.2, cache_size: int = 32,
                 on_done: Callable[[Run], None] | None = None) -> None:
        self._work, self.debounce, self._cache_size, self._on_done = work, debounce, cache_size, on_done
        self._executor = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="mnist-dashboard")
        self._lock = threading.Lock()
        self._latest: Run | None = None
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._closed = False
        _RUNNERS.add(self)

    @property
    def busy(self) -> bool:
        """True while a run trains or waits to (jobs run in order: the newest ends last)."""
        with self._lock:
            return self._latest is not None and not self._latest.future.done()

    @property
    def latest(self) -> Run | None:
        """The newest request."""
        with self._lock:
            return self._latest

    def request(self, settings: Hashable, immediate: bool = False) -> Run:
        """Ask for a run with ``settings``, replacing the one in progress (unless it has the same ones)."""
        with self._lock:
            if self._closed:
                raise RuntimeError(CLOSED)
            latest = self._latest
            if (immediate and latest is not None and latest.settings == settings
                    and not latest.cancel.is_set() and not latest.future.done()):
                return latest
            if latest is not None:
                latest.cancel.cancel("replaced")
            run = self._latest = Run(settings, immediate)
            run.future = self._executor.submit(self._job, run)
        run.future.add_done_callback(lambda _: self._ended(run))
        return run

    def _ended(self, run: Run) -> None:
        run.shown.set()  # wait_for_first_point: no point is coming any more
        if self._on_done is not None:
            self._on_done(run)

    def run_sync(self, settings: Hashable) -> Any:
        """Request a run without debounce and wait for its result (``None`` if it was replaced first)."""
        run = self.request(settings, immediate=True)
        try:
            return run.future.result()
        except BaseException:
            run.cancel.cancel("stopped")  # e.g. KeyboardInterrupt: do not leave it training
            raise

    def stop(self) -> bool:
        """Stop the newest run after its current batch (or before it starts); True if one was busy."""
        with self._lock:
            latest = self._latest
            busy = latest is not None and not latest.future.done()
            if busy:
                latest.cancel.cancel("stopped")
        return busy

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every run requested so far has ended; False if ``timeout`` passed first."""
        latest = self.latest
        return latest is None or not futures.wait([latest.future], timeout).not_done

    def close(self) -> None:
        """Stop, wait for the worker to end and drop the cache; later requests raise RuntimeError."""
        with self._lock:
            self._closed = True
            if self._latest is not None:
                self._latest.cancel.cancel("stopped")
            self._cache.clear()
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._latest = None

    def _job(self, run: Run) -> Any:
        """The worker's part of one request: debounce, skip if no longer newest, else work."""
        if not run.immediate:
            run.cancel.wait(max(0.0, run.requested + self.debounce - time.perf_counter()))
        with self._lock:
            if run.cancel.is_set() or self._closed:
                return None  # replaced or stopped before it started
            cached = self._cache.get(run.settings)
            if cached is not None:
                self._cache.move_to_end(run.settings)
        result = self._work(run, cached)
        if cached is None and not run.cancel.is_set():
            with self._lock:
                self._cache[run.settings] = result
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return result


_RUNNERS: weakref.WeakSet[Runner] = weakref.WeakSet()


def _stop_all_at_exit() -> None:
    """At interpreter exit, stop the runs in progress so the executor's join does not wait for them."""
    for runner in list(_RUNNERS):
        runner.stop()


if hasattr(threading, "_register_atexit"):  # runs before concurrent.futures joins its workers
    threading._register_atexit(_stop_all_at_exit)
