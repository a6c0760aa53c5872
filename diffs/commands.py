"""`snapfront diff` and `snapfront history` (README: What changed); parsing is snapfront.cli_diff.

Each returns (exit status, text for stdout) or raises `Refused` (one line, exit 2): an
unknown serial or suite names the ones that exist. Parsed indexes are cached in the output's
state directory, as the pages' are, so a command after a build reads no index again.
"""

from __future__ import annotations

import json

from snapfront.base.config import Config
from snapfront.base.errors import Refused
from snapfront.basedir.inventory import read_archive
from snapfront.rewrite_rules import Mount, MountKind

from .cache import IndexCache
from .changes import (
    Comparison,
    codenames_of,
    compare_serials,
    compare_suites,
    label,
    serial_side,
    to_json,
)
from .compare import Delta, Kind

EXIT_DOWNGRADE = 1
"""`diff --fail-on-downgrade`: a package would go backwards."""
EXIT_ABSENT = 1
"""`history`: the package is in no serial."""


def diff(
    config: Config, mount: Mount, a: str, b: str, as_json: bool, fail_on_downgrade: bool
) -> tuple[int, str]:
    """What changes from A to B: two serials of a snapshots mount, two suites of a repository
    (B replacing A: its downgrades are the packages that would go backwards)."""
    cache = IndexCache(config.output)
    if mount.kind is MountKind.SNAPSHOTS:
        archive = read_archive(mount.root)
        known = sorted(archive.all_serials())
        _require(mount, "serial", (a, b), known)
        comparison = compare_serials(cache, mount, archive, a, b)
    else:
        known = list(read_archive(mount.root).codenames)
        _require(mount, "suite", (a, b), known)
        comparison = compare_suites(cache, mount, a, b)
    downgrades = comparison.counts.downgraded
    status = EXIT_DOWNGRADE if fail_on_downgrade and downgrades else 0
    if as_json:
        return status, json.dumps({"mount": mount.url, **to_json(comparison)}, indent=1) + "\n"
    return status, _diff_text(comparison)


def _require(mount: Mount, noun: str, wanted: tuple[str, ...], known: list[str]) -> None:
    for name in wanted:
        if name not in known:
            names = " ".join(known) or "none"
            raise Refused(f"{mount.url}: no {noun} {name} ({noun}s: {names})")


def _diff_text(comparison: Comparison) -> str:
    counts = comparison.counts
    lines = [f"{comparison.old} -> {comparison.new}: {counts.text}"]
    for scope in comparison.changed:
        lines.append(f"{label(scope.scope)}: {scope.delta.counts.text}")
        lines += delta_rows(scope.delta)
    for what in comparison.unreadable:
        lines.append(f"not compared (no readable Release or index): {what}")
    if counts.downgraded:
        n = counts.downgraded
        lines.append(f"warning: {n} package{'s' if n != 1 else ''} would go backwards")
    return "\n".join(lines) + "\n"


def delta_rows(delta: Delta) -> list[str]:
    """One line per changed package: `  upgraded    NAME  OLD -> NEW` (a downgrade in capitals),
    also what `snapfront suite merge` prints."""
    rows = []
    for kind in Kind:
        tag = "DOWNGRADED" if kind is Kind.DOWNGRADED else kind.value
        for change in delta.of(kind):
            if kind in (Kind.UPGRADED, Kind.DOWNGRADED):
                rows.append((tag, change.package, f"{change.old} -> {change.new}"))
            else:
                rows.append((tag, change.package, change.new or change.old or ""))
    width = max((len(package) for _, package, _ in rows), default=0)
    return [f"  {tag:<10}  {package:<{width}}  {what}" for tag, package, what in rows]


def history(config: Config, mount: Mount, package: str, as_json: bool) -> tuple[int, str]:
    """Per serial, the versions of PACKAGE (a binary or a source package) per codename,
    component and architecture; a serial without it shows none."""
    if mount.kind is not MountKind.SNAPSHOTS:
        raise Refused(f"{mount.url}: history needs a snapshots mount, not {mount.kind}")
    cache = IndexCache(config.output)
    archive = read_archive(mount.root)
    seen: dict[str, str | None] = {}  # index key -> the package's version in it
    found: list[dict[str, object]] = []
    for serial in sorted(archive.all_serials()):
        versions = []
        for codename, indexes in serial_side(cache, mount, archive, serial).items():
            for index in indexes or ():
                if index.key not in seen:
                    mapping = cache.versions(index, mount.root, mount.kind) or {}
                    seen[index.key] = mapping.get(package)
                if seen[index.key] is not None:
                    scope = index.scope
                    versions.append(
                        {"codename": codename, "component": scope.component,
                         "architecture": scope.architecture, "version": seen[index.key]}
                    )  # fmt: skip
        found.append({"serial": serial, "codenames": codenames_of(archive, serial),
                      "versions": versions})  # fmt: skip
    status = 0 if any(s["versions"] for s in found) else EXIT_ABSENT
    if as_json:
        document = {"mount": mount.url, "package": package, "serials": found}
        return status, json.dumps(document, indent=1) + "\n"
    return status, _history_text(package, found)


def _history_text(package: str, serials: list[dict]) -> str:
    rows = [("SERIAL", "CODENAME", "COMPONENT", "ARCH", "VERSION")]
    for serial in serials:
        for v in serial["versions"]:
            rows.append((serial["serial"], v["codename"], v["component"], v["architecture"],
                         v["version"]))  # fmt: skip
        if not serial["versions"]:
            rows.append((serial["serial"], "-", "-", "-", f"(no {package})"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + f"  {row[4]}\n"
        for row in rows
    )
