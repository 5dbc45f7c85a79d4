"""Every lesson notebook (the optional appendices too) under strict nbval: wall time and peak memory.

Each notebook runs in its own ``python -m pytest --nbval NOTEBOOK`` process (pytest and
kernel start-up included). Its kernel is the ``ipykernel`` process below pytest; the
resident memory of the kernel and everything it starts is summed with ``psutil`` every
``poll`` seconds, and the largest sum is the peak (a peak shorter than ``poll`` can be missed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from .config import REPO_ROOT


def tree_rss_bytes(process: psutil.Process) -> int:
    """Return the resident memory of ``process`` plus all its descendants (0 once it has ended)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # ended between listing and reading
            pass
    return total


def kernels_below(process: psutil.Process) -> list[psutil.Process]:
    """Return the ``ipykernel`` processes below ``process`` (the notebook kernels pytest started)."""
    kernels = []
    try:
        children = process.children(recursive=True)
    except psutil.Error:
        return []
    for child in children:
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                kernels.append(child)
        except psutil.Error:
            pass
    return kernels


def kill_tree(process: psutil.Process) -> None:
    """Kill ``process`` and everything below it."""
    try:
        members = [*process.children(recursive=True), process]
    except psutil.Error:
        return
    for member in members:
        try:
            member.kill()
        except psutil.Error:
            pass


def run_notebook_under_nbval(notebook: Path, cwd: Path = REPO_ROOT, timeout: float = 600.0,
                             poll: float = 0.05, env: dict[str, str] | None = None) -> dict:
    """Run ``pytest --nbval NOTEBOOK`` in a subprocess and watch its kernel's memory.

    Args:
        notebook: the ``.ipynb`` to check.
        cwd: where pytest runs (the repository root, for its configuration).
        timeout: seconds before pytest and its kernel are killed.
        poll: seconds between memory readings.
        env: environment of pytest and its kernel (default: this process's).

    Returns:
        ``{"notebook", "seconds", "passed", "returncode", "timed_out", "peak_rss_bytes", "summary"}``;
        ``peak_rss_bytes`` is ``None`` if no kernel was seen.
    """
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", str(notebook), "-q",
               "-p", "no:cacheprovider"]
    peak: int | None = None
    with tempfile.TemporaryFile(mode="w+") as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, text=True,
                                   env=env)
        watched = psutil.Process(process.pid)
        timed_out = False
        while process.poll() is None:
            for kernel in kernels_below(watched):
                rss = tree_rss_bytes(kernel)
                if rss:
                    peak = max(peak or 0, rss)
            if time.perf_counter() - start > timeout:
                timed_out = True
                kill_tree(watched)
                break
            time.sleep(poll)
        process.wait()
        seconds = time.perf_counter() - start
        output.seek(0)
        lines = [line.strip() for line in output.read().splitlines() if line.strip()]
    return {"notebook": notebook.name, "seconds": seconds, "passed": process.returncode == 0,
            "returncode": process.returncode, "timed_out": timed_out, "peak_rss_bytes": peak,
            "summary": lines[-1] if lines else ""}


def lesson_notebooks(lessons_dir: Path = REPO_ROOT / "lessons") -> list[Path]:
    """Return the notebooks to run: the lessons (``01_*.ipynb``...), then the appendices (``A1_*``)."""
    return sorted(lessons_dir.glob("*.ipynb")) if lessons_dir.is_dir() else []


def lesson_runs(lessons_dir: Path = REPO_ROOT / "lessons", timeout: float = 600.0,
                log: Callable[[str], None] = print, threads: int | None = None) -> dict:
    """Run every ``lessons/*.ipynb`` (lessons and appendices) under strict nbval, one pytest process each.

    Args:
        lessons_dir: the folder of notebooks (pytest runs in its parent).
        timeout: seconds allowed to each notebook.
        log: where one line per notebook goes.
        threads: ``OMP_NUM_THREADS`` of pytest and the kernels (``None``: unchanged), which
            is the thread count PyTorch starts with there.

    Returns:
        ``{"skipped", "status", "notebooks", "total_seconds", ...}``.
    """
    env = None if threads is None else {**os.environ, "OMP_NUM_THREADS": str(threads)}
    notebooks = lesson_notebooks(lessons_dir)
    if not notebooks:
        return {"skipped": False, "status": f"no notebooks in {lessons_dir}", "notebooks": [],
                "total_seconds": None}
    results = []
    for notebook in notebooks:
        result = run_notebook_under_nbval(notebook, cwd=lessons_dir.parent, timeout=timeout, env=env)
        peak = result["peak_rss_bytes"]
        log(f"  {result['notebook']:<40} {result['seconds']:6.1f} s  peak RSS "
            f"{'n/a' if peak is None else f'{peak / 1e6:,.0f} MB'}  {result['summary']}")
        results.append(result)
    return {"skipped": False, "status": "measured", "notebooks": results,
            "total_seconds": sum(r["seconds"] for r in results),
            "all_passed": all(r["passed"] for r in results),
            "omp_num_threads": threads if threads is not None else os.environ.get("OMP_NUM_THREADS"),
            "how": "one `python -m pytest --nbval NOTEBOOK` process per notebook (includes pytest and "
                   "kernel start-up); peak RSS = largest sum of RSS over the ipykernel process tree (psutil)"}

