"""Regenerate requirements/ci.txt: exact pins for every Python the README promises.

    python tools/lock_requirements.py          # needs `pip install uv` and the package index

For each Python version, uv resolves pyproject.toml's dependencies with the dev extras for
Linux x86_64, preferring the versions already pinned (so the stored notebook outputs stay
as they are). The results are merged into one constraints file: a package pinned to the
same version everywhere gets one line, otherwise one line per Python with an environment
marker (``; python_version == "3.10"``), which pip understands in a constraints file.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements" / "ci.txt"
HEADER = """\
# Exact versions for CI and `make lab` / `make test`, one resolution per Python the README
# promises (3.10 to 3.13, Linux x86_64; other platforms: see the README). The stored notebook
# outputs were made with Python 3.11. Regenerate with: python tools/lock_requirements.py
"""
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)")


def normalise(name: str) -> str:
    """Return the canonical form of a package name (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_for(python: str, previous: dict[str, str]) -> dict[str, str]:
    """Resolve the dependencies for one Python version, preferring ``previous`` pins."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lock.txt"
        out.write_text("".join(f"{name}=={version}\n" for name, version in previous.items()))
        subprocess.run(
            ["uv", "pip", "compile", str(REPO / "pyproject.toml"), "--extra", "dev", "--quiet",
             "--python-version", python, "--python-platform", "x86_64-manylinux_2_28",
             "--no-header", "--no-annotate", "-o", str(out)],
            check=True,
        )
        return read_pins(out.read_text())


def read_pins(text: str, python: str | None = None) -> dict[str, str]:
    """Read ``name==version`` lines (those whose marker names ``python``, if given)."""
    pins = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if not match:
            continue
        marker = line.partition(";")[2]
        if python is not None and marker and f'"{python}"' not in marker:
            continue
        pins[normalise(match[1])] = match[2]
    pins.pop("setuptools", None)  # a build tool, not a dependency
    return pins


def marker(pythons: list[str]) -> str:
    """Return the environment marker that selects exactly ``pythons`` among :data:`PYTHONS`."""
    start = PYTHONS.index(pythons[0])
    if list(PYTHONS[start:]) == pythons:
        return f'python_version >= "{pythons[0]}"' if start else "python_version >= '3'"
    if list(PYTHONS[: len(pythons)]) == pythons:
        return f'python_version < "{PYTHONS[len(pythons)]}"'
    return " or ".join(f'python_version == "{python}"' for python in pythons)


def merge(per_python: dict[str, dict[str, str]]) -> str:
    """Write one constraints file from the pins of every Python version."""
    versions: dict[str, dict[str, str]] = defaultdict(dict)
    for python, pins in per_python.items():
        for name, version in pins.items():
            versions[name][python] = version
    lines = []
    for name in sorted(versions):
        by_python = versions[name]
        if len(by_python) == len(per_python) and len(set(by_python.values())) == 1:
            lines.append(f"{name}=={next(iter(by_python.values()))}")
            continue
        pythons_of: dict[str, list[str]] = defaultdict(list)
        for python, version in sorted(by_python.items()):
            pythons_of[version].append(python)
        for version, pythons in pythons_of.items():
            lines.append(f"{name}=={version} ; {marker(pythons)}")
    return HEADER + "\n".join(lines) + "\n"


def main() -> int:
    old = LOCK.read_text() if LOCK.exists() else ""
    per_python = {python: pins_for(python, read_pins(old, python)) for python in PYTHONS}
    LOCK.write_text(merge(per_python))
    print(f"wrote {LOCK.relative_to(REPO)} for Python {', '.join(PYTHONS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
