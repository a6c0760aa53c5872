"""The reprepro configuration that pulls one origin's part of a tag from its time-based
snapshot; pure. One update rule per codename and architecture (and one for sources), each
with exact `NAME = VERSION` filter lists: reprepro compares the version as a string and
allows one line per package in a list, so a package wanted at two versions gets a second list
(a list that does not match falls through to the next, then to `purge`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .manifest import Entry
from .plan import OriginPlan, SuitePlan

FILTERS = "filters"
"""conf/filters/: the lists (names relative to conf/, as reprepro reads them)."""


def conf_files(
    plan: OriginPlan,
    origin_root: str,
    sign_with: Mapping[str, str],
    verify: Mapping[str, str],
    fields: Mapping[str, Mapping[str, str]],
) -> dict[str, str]:
    """conf/distributions, conf/updates and the filter lists, relative to the basedir; by
    codename: `sign_with` the key, `verify` reprepro's VerifyRelease value, `fields` the
    snapshot's Origin and Label (APT pinning may name them)."""
    files: dict[str, str] = {}
    distributions, updates = [], []
    for index, suite in enumerate(plan.suites):
        rules = []
        for arch, entries in _groups(suite):
            name = f"s{index}-{arch}"
            lists = _lists(entries)
            for number, text in enumerate(lists):
                files[f"conf/{FILTERS}/{name}-{number}"] = text
            names = " ".join(f"{FILTERS}/{name}-{n}" for n in range(len(lists)))
            option = "FilterSrcList" if arch == "source" else "FilterList"
            updates.append(
                _stanza(
                    Name=name,
                    Method=f"file://{origin_root}",
                    Suite=f"{suite.codename}/snapshots/{plan.serial}",
                    Components=" ".join(_components(suite, arch)),
                    Architectures=arch,
                    VerifyRelease=verify[suite.codename],
                    **{option: f"purge {names}"},
                )
            )
            rules.append(name)
        kept = {k: v for k, v in fields.get(suite.codename, {}).items() if v}
        areas = [*suite.architectures, *(["source"] if suite.sources else [])]
        distributions.append(
            _stanza(
                Codename=suite.codename,
                **kept,
                Components=" ".join(suite.components),
                Architectures=" ".join(areas),
                SignWith=sign_with[suite.codename],
                Update=" ".join(rules),
            )
        )
    files["conf/distributions"] = "\n".join(distributions)
    files["conf/updates"] = "\n".join(updates)
    return files


def _groups(suite: SuitePlan) -> list[tuple[str, set[Entry]]]:
    groups: list[tuple[str, set[Entry]]] = []
    for arch in suite.architectures:
        entries: set[Entry] = set()
        for (_component, index_arch), found in suite.binaries.items():
            if index_arch == arch:
                entries |= found
        groups.append((arch, entries))
    if suite.sources:
        groups.append(("source", set().union(*suite.sources.values())))
    return groups


def _components(suite: SuitePlan, arch: str) -> list[str]:
    if arch == "source":
        return sorted(suite.sources)
    return sorted({c for c, a in suite.binaries if a == arch})


def _lists(entries: Iterable[Entry]) -> list[str]:
    """`NAME = VERSION` lines, a package's second version in a second list, and so on."""
    versions: dict[str, list[str]] = {}
    for entry in sorted(entries):
        found = versions.setdefault(entry.package, [])
        if entry.version not in found:
            found.append(entry.version)
    depth = max((len(v) for v in versions.values()), default=0)
    return [
        "".join(f"{name} = {v[n]}\n" for name, v in sorted(versions.items()) if n < len(v))
        for n in range(depth)
    ]


def _stanza(**fields: str) -> str:
    return "".join(f"{key}: {value}\n" for key, value in fields.items())
