"""The install routes agree: pyproject.toml, environment.yml, binder/ and the CI lock."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

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


def test_ci_lock_pins_every_dependency_exactly():
    pins = {}
    for line in (REPO / "requirements" / "ci.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_name(name)] = version
    project = _pyproject()["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    missing = {_name(dep) for dep in wanted} - set(pins)
    assert not missing, f"requirements/ci.txt does not pin {missing}"
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"


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
