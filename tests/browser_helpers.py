"""Helpers for the browser tests: a private JupyterLab server and Playwright steps.

The server runs from this repository's virtual environment on a free localhost port with
a random token, and with its own settings, runtime, config and workspace folders, so the
tests neither read nor change the user's Jupyter state. Its settings turn off autosave
(opening a lesson must never rewrite it), the news and update checks (no network), and
notebook windowing (every cell's output stays in the page, where the test can find it).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "artifacts" / "browser"
REQUIRE_BROWSER_ENV = "MNIST_COURSE_REQUIRE_BROWSER"

#: JupyterLab user settings the server starts with: plugin id -> settings.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_lab_settings(folder: Path) -> None:
    """Write :data:`LAB_SETTINGS` as JupyterLab user settings files into ``folder``."""
    for plugin, settings in LAB_SETTINGS.items():
        package, name = plugin.rsplit(":", 1)
        path = folder / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


class JupyterLabServer:
    """A JupyterLab server for one test session; :meth:`stop` always cleans it up.

    Args:
        home: an empty folder for the server's private settings, runtime and config.
        root: the folder the server shows (the repository).
        env: extra environment variables for the server and its kernels.
    """

    def __init__(self, home: Path, root: Path = REPO, env: dict[str, str] | None = None) -> None:
        self.home, self.root = home, root
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.log_path = home / "jupyterlab.log"
        self.env = {**os.environ, **(env or {}), **self._private_dirs()}
        self.process: subprocess.Popen | None = None

    def _private_dirs(self) -> dict[str, str]:
        dirs = {"JUPYTERLAB_SETTINGS_DIR": "settings", "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
                "JUPYTER_CONFIG_DIR": "config", "JUPYTER_RUNTIME_DIR": "runtime",
                "JUPYTER_DATA_DIR": "data", "IPYTHONDIR": "ipython"}
        for name in dirs.values():
            (self.home / name).mkdir(parents=True, exist_ok=True)
        write_lab_settings(self.home / "settings")
        return {key: str(self.home / name) for key, name in dirs.items()}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Return the JupyterLab URL that opens only ``path`` (relative to the root).

        ``reset`` starts from an empty workspace, so notebooks opened by an earlier test
        are not reopened (and run) by this one.
        """
        return f"{self.base_url}/lab/tree/{path}?token={self.token}&reset"

    def start(self, timeout: float = 90.0) -> None:
        """Start the server and wait until its REST API answers."""
        command = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # CI containers run as root
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=self.root, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log()}")
            if self._api("GET", "/api/status") is not None:
                return
            time.sleep(0.3)
        raise TimeoutError(f"JupyterLab did not answer within {timeout} s:\n{self.log()}")

    def _api(self, method: str, path: str) -> object | None:
        request = urllib.request.Request(f"{self.base_url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                body = response.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None
        return json.loads(body) if body else {}

    def shut_down_kernels(self) -> None:
        """Ask the server to shut down every kernel it started."""
        for kernel in self._api("GET", "/api/kernels") or []:
            self._api("DELETE", f"/api/kernels/{kernel['id']}")

    def stop(self) -> None:
        """Shut down the kernels, then the server (SIGTERM, SIGKILL after 20 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.shut_down_kernels()
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue

    def log(self) -> str:
        """The last 4,000 characters of the server's log."""
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    """Write a notebook of ``(cell_type, source)`` cells, with the venv's python3 kernel."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    makers = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    notebook.cells = [makers[kind](source) for kind, source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


# ---------------------------------------------------------------------- Playwright steps

_NOTEBOOK_STATE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    if (!panel || !panel.content || !panel.sessionContext) return null;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.filter(c => c.model.type === 'code');
    const errors = [];
    for (const cell of cells) {
        for (const output of cell.model.outputs.toJSON()) {
            if (output.output_type === 'error') errors.push(output.ename + ': ' + output.evalue);
        }
    }
    return {
        kernel: kernel ? kernel.status : 'none',
        cells: cells.length,
        done: cells.filter(c => c.model.executionCount !== null).length,
        errors: errors,
    };
}"""


def open_notebook(page, server: JupyterLabServer, path: str, timeout: float = 120.0) -> None:
    """Open ``path`` in JupyterLab and wait until its kernel is ready."""
    page.goto(server.url(path))
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
        timeout=timeout * 1000)


def run_all_cells(page, timeout: float = 300.0) -> dict:
    """Run every cell of the open notebook and wait until all ran and the kernel is idle.

    Raises:
        AssertionError: a cell raised; the message names the errors.
    """
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = page.evaluate(_NOTEBOOK_STATE) or {}
        assert not state.get("errors"), f"a notebook cell failed: {state['errors']}"
        if state.get("cells") and state["done"] == state["cells"] and state["kernel"] == "idle":
            return state
        page.wait_for_timeout(500)
    raise TimeoutError(f"the notebook did not finish within {timeout} s: {state}")


def drag_slider(page, slider, fraction: float) -> None:
    """Drag a noUiSlider handle (ipywidgets 8 sliders) by ``fraction`` of the track's width.

    A real mouse press, move and release: the widget reports the value on release.
    """
    track = slider.locator(".noUi-target").first
    handle = slider.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    box, track_box = handle.bounding_box(), track.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + fraction * track_box["width"], y, steps=8)
    page.mouse.up()


def draw_stroke(page, canvas, points: list[tuple[float, float]]) -> None:
    """Draw through ``points`` (fractions of the canvas's width and height) with the mouse."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()

    def at(point: tuple[float, float]) -> tuple[float, float]:
        return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point), steps=6)
    page.mouse.up()


def wait_until(condition: Callable[[], bool], timeout: float, page, what: str) -> None:
    """Poll ``condition`` every 250 ms (letting the page run) until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(250)
    raise TimeoutError(f"waited {timeout} s for {what}")


def skip_or_fail(message: str) -> None:
    """Skip, except in CI (MNIST_COURSE_REQUIRE_BROWSER=1), where what is missing fails the test."""
    import pytest

    if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(f"{message}, and {REQUIRE_BROWSER_ENV}=1 requires every browser test to run")
    pytest.skip(message)
