"""The install routes agree: pyproject.toml, environment.yml, binder/ and the CI lock."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"pytorch-cpu": "torch", "pytorch": "torch"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _conda_packages(path: Path) -> set[str]:
    spec = yaml.safe_load(path.read_text())
    names = {_name(dep) for dep in spec["dependencies"] if isinstance(dep, str)}
    return {CONDA_NAMES.get(n, n) for n in names} - {"python", "pip"}


def test_conda_and_binder_list_the_same_packages_as_pyproject():
    users = {_name(dep) for dep in _pyproject()["project"]["dependencies"]}
    assert _conda_packages(REPO / "environment.yml") == users
    assert _conda_packages(REPO / "binder" / "environment.yml") == users


PROMISED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def _lock_pins(python: str) -> dict[str, str]:
    """The exact pins requirements/ci.txt gives on ``python``; each package at most once."""
    pins: dict[str, str] = {}
    for line in (REPO / "requirements" / "ci.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate({"python_version": python}):
            continue
        name, _, version = requirement.strip().partition("==")
        assert version, f"requirements/ci.txt: {line!r} is not an exact pin"
        assert _name(name) not in pins, f"requirements/ci.txt pins {name} twice for Python {python}"
        pins[_name(name)] = version
    return pins


@pytest.mark.parametrize("python", PROMISED_PYTHONS)
def test_ci_lock_pins_every_dependency_exactly_on_every_promised_python(python):
    pins = _lock_pins(python)
    project = _pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    missing = {_name(dep) for dep in wanted} - set(pins)
    assert not missing, f"requirements/ci.txt does not pin {missing} for Python {python}"
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"


def test_stored_outputs_python_keeps_its_pins():
    """The outputs were made on 3.11 with matplotlib 3.11.2 and numpy 2.4.6: those stay."""
    pins = _lock_pins("3.11")
    assert pins["matplotlib"] == "3.11.2" and pins["numpy"] == "2.4.6"
    assert _lock_pins("3.10")["matplotlib"] != "3.11.2"  # 3.11.2 needs Python 3.11


def test_python_version_agrees():
    assert _pyproject()["project"]["requires-python"] == ">=3.10"
    for path in (REPO / "environment.yml", REPO / "binder" / "environment.yml"):
        assert "python=3.11" in yaml.safe_load(path.read_text())["dependencies"]


def test_binder_downloads_mnist_at_build_time():
    post_build = (REPO / "binder" / "postBuild").read_text()
    assert "python -m mnist_course data" in post_build
    assert (REPO / "binder" / "postBuild").stat().st_mode & 0o111


def test_readme_promises_the_commands_ci_runs():
    readme = (REPO / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()
    assert "pytest --nbval lessons" in (REPO / "Makefile").read_text()
