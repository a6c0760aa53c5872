"""A suite's packages as reprepro lists them, as one map: package → version.

Binary packages by name (the highest version over components and architectures), source
packages as `src:NAME`. The same map is what suites.history records and what the guards of a
merge compare (diffs.compare, as `snapfront diff` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from snapfront.diffs.compare import highest

SOURCE_PREFIX = "src:"
LIST_FORMAT = "${$type}\\t${package}\\t${version}\\n"
"""reprepro --list-format: one line per package, type (deb, udeb, dsc), name, version."""

Packages = dict[str, str]
Reprepro = Callable[..., str]


def parse_listing(text: str) -> Packages:
    """`reprepro --list-format LIST_FORMAT listmatched SUITE '*'` → the map. Pure."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        kind, name, version = parts
        key = SOURCE_PREFIX + name if kind == "dsc" else name
        found.setdefault(key, []).append(version)
    return {key: highest(versions) for key, versions in sorted(found.items())}


def package_name(key: str) -> str:
    """The name reprepro's `copy` and `remove` take (a source's binaries share it or not)."""
    return key.removeprefix(SOURCE_PREFIX)


def read_suite(reprepro: Reprepro, suite: str) -> Packages:
    """What `suite` holds now (reprepro: the caller's runner, e.g. lifecycle.repo.Repo)."""
    return parse_listing(reprepro("--list-format", LIST_FORMAT, "listmatched", suite, "*"))


def read_suites(reprepro: Reprepro, suites: Iterable[str]) -> dict[str, Packages]:
    return {suite: read_suite(reprepro, suite) for suite in suites}
