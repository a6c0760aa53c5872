"""debian/control asks Debian for at least what pyproject.toml asks PyPI for, so the .deb
installs on trixie and is refused on bookworm, whose aiohttp, watchdog, markdown-it and
brotli are older (versions: ../shared/OPERATIONS.md). Compared with dpkg's own rules."""

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
}
BOOKWORM = {"python3-aiohttp": "3.8.4-1", "python3-watchdog": "2.2.1-1",
            "python3-markdown-it": "2.1.0-5", "python3-brotli": "1.0.9-2+b6"}  # fmt: skip
TRIXIE = {"python3-aiohttp": "3.11.16-1", "python3-watchdog": "6.0.0-1",
          "python3-markdown-it": "3.0.0-3", "python3-brotli": "1.1.0-2+b7",
          "python3-debian": "1.0.1", "python3-jinja2": "3.1.6-1",
          "python3-prometheus-client": "0.21.1+ds1-1"}  # fmt: skip


def _ge(version: str, minimum: str) -> bool:
    dpkg = shutil.which("dpkg")
    assert dpkg, "dpkg is missing: apt-get install dpkg"
    return subprocess.run([dpkg, "--compare-versions", version, "ge", minimum]).returncode == 0


def _depends() -> dict[str, str | None]:
    with open(CHECKOUT / "debian" / "control", encoding="utf-8") as fh:
        binary = next(p for p in Deb822.iter_paragraphs(fh) if "Package" in p)
    found: dict[str, str | None] = {}
    for alternatives in PkgRelation.parse_relations(binary["Depends"]):
        for rel in alternatives:
            version = rel.get("version")
            found[rel["name"]] = version[1] if version and version[0] == ">=" else None
    return found


def test_every_python_dependency_is_versioned_as_pyproject_requires() -> None:
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]
    depends = _depends()
    for requirement in project["dependencies"]:
        name, minimum = re.fullmatch(r"([\w.-]+)>=([\w.]+)", requirement).groups()
        package = DEBIAN_NAME[name]
        assert depends.get(package), f"debian/control: {package} without (>= {minimum})"
        assert _ge(depends[package], minimum), (package, depends[package], minimum)
    assert set(DEBIAN_NAME.values()) <= set(depends)


def test_trixie_satisfies_and_bookworm_is_refused() -> None:
    depends = _depends()
    for package, version in TRIXIE.items():
        assert _ge(version, depends[package]), f"trixie's {package} {version} refused"
    for package, version in BOOKWORM.items():
        assert not _ge(version, depends[package]), f"bookworm's {package} {version} accepted"
