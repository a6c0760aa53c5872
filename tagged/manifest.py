"""A build manifest, as Tails' `generate-build-manifest` writes it: the serial each origin's
time-based snapshots had for the build, and the binary and source packages it used.

Every scalar is read as a string (YAML's base loader): a version `1.10` written unquoted must
not become the float 1.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from snapfront.base.errors import Refused

SERIAL_DIGITS = 10


@dataclass(frozen=True, order=True)
class Binary:
    package: str
    version: str
    arch: str

    def describe(self) -> str:
        return f"{self.package} {self.version} ({self.arch})"


@dataclass(frozen=True, order=True)
class Source:
    package: str
    version: str

    def describe(self) -> str:
        return f"{self.package} {self.version} (source)"


Entry = Binary | Source


@dataclass(frozen=True)
class Manifest:
    origins: dict[str, str]  # origin (a snapshots mount's trace name) → serial
    binaries: tuple[Binary, ...]
    sources: tuple[Source, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        return (*self.binaries, *self.sources)


def load(path: str) -> Manifest:
    """The manifest in `path`; Refused (one line naming the file) when it is not one."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise Refused(f"{path}: {exc.strerror}") from None
    try:
        return parse(text)
    except ValueError as exc:
        raise Refused(f"{path}: not a build manifest: {exc}") from None


def parse(text: str) -> Manifest:
    """ValueError saying what is wrong."""
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    top = _mapping(data, "the document")
    origins = {
        str(name): _serial(name, ref)
        for name, ref in _mapping(top.get("origin_references"), "origin_references").items()
    }
    packages = _mapping(top.get("packages"), "packages")
    binaries = [_binary(item) for item in _list(packages.get("binary"), "packages.binary")]
    sources = [_source(item) for item in _list(packages.get("source"), "packages.source")]
    if not origins:
        raise ValueError("origin_references names no origin")
    return Manifest(origins, tuple(sorted(set(binaries))), tuple(sorted(set(sources))))


def _serial(name: str, ref: Any) -> str:
    serial = _mapping(ref, f"origin_references.{name}").get("reference", "")
    if not (isinstance(serial, str) and len(serial) == SERIAL_DIGITS and serial.isdigit()):
        raise ValueError(f"origin_references.{name}.reference: {serial!r} is not YYYYMMDDNN")
    return serial


def _binary(item: Any) -> Binary:
    fields = _fields(item, "packages.binary", ("package", "version", "arch"))
    return Binary(*fields)


def _source(item: Any) -> Source:
    return Source(*_fields(item, "packages.source", ("package", "version")))


def _fields(item: Any, where: str, names: tuple[str, ...]) -> list[str]:
    found = _mapping(item, where)
    values = [found.get(name) for name in names]
    bad = [n for n, v in zip(names, values, strict=True) if not isinstance(v, str) or not v]
    if bad or any(" " in v for v in values if isinstance(v, str)):
        raise ValueError(f"{where}: {item!r}: needs {', '.join(names)}, each one word")
    return [str(v) for v in values]


def _mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{where} is not a mapping")
    return value


def _list(value: Any, where: str) -> list:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where} is not a list")
    return value
