"""debian/control asks Debian for at least what pyproject.toml asks PyPI for, so the .deb
installs on trixie and is refused on bookworm, whose aiohttp, watchdog, markdown-it and
brotli are older (versions: `apt-cache policy`, below). Compared with dpkg's own rules."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from debian.deb822 import Deb822, PkgRelation

pytestmark = pytest.mark.live


CHECKOUT = Path(__file__).resolve().parent.parent
DEBIAN_NAME = {
    "aiohttp": "python3-aiohttp",
    "python-debian": "python3-debian",
    "jinja2": "python3-jinja2",
    "watchdog": "python3-watchdog",
    "brotli": "python3-brotli",
    "markdown-it-py": "python3-markdown-it",
    "prometheus-client": "python3-prometheus-client",
    "pyyaml": "python3-yaml",
    "uvloop": "python3-uvloop",
}
BOOKWORM = {"python3-aiohttp": "3.8.4-1", "python3-watchdog": "2.2.1-1",
            "python3-markdown-it": "2.1.0-5", "python3-brotli": "1.0.9-2+b6"}  # fmt: skip
TRIXIE = {"python3-aiohttp": "3.11.16-1", "python3-watchdog": "6.0.0-1",
          "python3-markdown-it": "3.0.0-3", "python3-brotli": "1.1.0-2+b7",
          "python3-debian": "1.0.1", "python3-jinja2": "3.1.6-1",
          "python3-prometheus-client": "0.21.1+ds1-1"}  # fmt: skip


def _dpkg(version: str, op: str, bound: str) -> bool:
    dpkg = shutil.which("dpkg")
    assert dpkg, "dpkg is missing: apt-get install dpkg"
    return subprocess.run([dpkg, "--compare-versions", version, op, bound]).returncode == 0


def _ge(version: str, minimum: str) -> bool:
    return _dpkg(version, "ge", minimum)


def _depends() -> dict[str, dict[str, str]]:
    """Each package's version bounds: {">=": "3.10", "<<": "4"}; {} when unversioned."""
    with open(CHECKOUT / "debian" / "control", encoding="utf-8") as fh:
        binary = next(p for p in Deb822.iter_paragraphs(fh) if "Package" in p)
    found: dict[str, dict[str, str]] = {}
    for alternatives in PkgRelation.parse_relations(binary["Depends"]):
        for rel in alternatives:
            bounds = found.setdefault(rel["name"], {})
            if rel.get("version"):
                op, version = rel["version"]
                bounds[op] = version
    return found


def _requirements() -> dict[str, tuple[str, str | None]]:
    """pyproject.toml's dependencies: the Debian package → (minimum, upper bound or None)."""
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]
    found = {}
    for requirement in project["dependencies"]:
        name, minimum, below = re.fullmatch(
            r"([\w.-]+)>=([\w.]+)(?:,<([\w.]+))?", requirement
        ).groups()
        found[DEBIAN_NAME[name]] = (minimum, below)
    return found


def test_every_python_dependency_is_versioned_as_pyproject_requires() -> None:
    depends = _depends()
    for package, (minimum, below) in _requirements().items():
        bounds = depends.get(package, {})
        assert ">=" in bounds, f"debian/control: {package} without (>= {minimum})"
        assert _ge(bounds[">="], minimum), (package, bounds[">="], minimum)
        # an upper bound (aiohttp's major version) the same on both sides
        assert bounds.get("<<") == below, f"debian/control: {package} (<< {below}) ≠ {bounds}"
    assert set(DEBIAN_NAME.values()) <= set(depends)


def test_trixie_satisfies_and_bookworm_is_refused() -> None:
    depends = _depends()
    for package, version in TRIXIE.items():
        bounds = depends[package]
        assert _ge(version, bounds[">="]), f"trixie's {package} {version} refused"
        if "<<" in bounds:
            assert _dpkg(version, "lt", bounds["<<"]), f"trixie's {package} {version} refused"
    for package, version in BOOKWORM.items():
        assert not _ge(version, depends[package][">="]), f"bookworm's {package} {version} accepted"


def test_aiohttp_is_held_below_its_next_major_version() -> None:
    """server/protocol.py uses aiohttp internals that its next major version changes."""
    assert _requirements()["python3-aiohttp"][1] == "4"
    assert not _dpkg("4.0.0-1", "lt", _depends()["python3-aiohttp"]["<<"])
