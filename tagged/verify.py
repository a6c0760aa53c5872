"""Check a tag (built aside, or published) against its manifest: every problem a rebuild
would hit, as one line each. Used by `tagged create` before it publishes and by `tagged
verify` after."""

from __future__ import annotations

import os
from collections.abc import Mapping

from snapfront.basedir.release import is_complete

from .manifest import Entry, Manifest
from .tag_read import TagOrigin, origins_of, read_origin_of_tag


def verify_tag(
    tag_dir: str,
    manifest: Manifest,
    expected: Mapping[str, frozenset[Entry]] | None = None,
    keyring: str | None = None,
    allow_missing: bool = False,
) -> list[str]:
    """Problems: an unsigned suite (or one `keyring` does not verify), a Valid-Until, a pool
    file missing or of another size, an entry not in the manifest, a manifest entry in no
    origin (unless `allow_missing`), and, given `expected` (origin → entries), an origin
    missing something it should hold."""
    problems: list[str] = []
    placed: set[Entry] = set()
    names = origins_of(tag_dir)
    if not names:
        return [f"{tag_dir}: no ORIGIN directory"]
    for name in names:
        try:
            origin = read_origin_of_tag(tag_dir, name)
        except (OSError, ValueError, KeyError) as exc:
            problems.append(f"{name}: unreadable: {exc}")
            continue
        problems += [f"{name}: {p}" for p in _suite_problems(origin, keyring)]
        held = origin.entries
        placed |= held
        extra = sorted(held - set(manifest.entries), key=str)
        problems += [f"{name}: {e.describe()} is not in the manifest" for e in extra]
        if expected is not None:
            lacking = sorted(expected.get(name, frozenset()) - held, key=str)
            problems += [f"{name}: lacks {e.describe()}" for e in lacking]
    if expected is not None:
        problems += [f"{o}: no directory" for o in sorted(set(expected) - set(names))]
    if not allow_missing:
        missing = [e for e in manifest.entries if e not in placed]
        problems += [f"{e.describe()}: in no origin of the tag" for e in missing]
    return problems


def _suite_problems(origin: TagOrigin, keyring: str | None) -> list[str]:
    problems = []
    for suite in origin.suites:
        directory = os.path.join(origin.basedir, "dists", suite.codename)
        if suite.valid_until is not None:
            problems.append(f"{suite.codename}: its Release has a Valid-Until")
        if not is_complete(directory, keyring):
            problems.append(f"{suite.codename}: its Release is not signed (or not verified)")
        for entry, files in sorted(suite.files.items(), key=lambda item: str(item[0])):
            for item in files:
                path = os.path.join(origin.basedir, item.path)
                try:
                    size = os.stat(path).st_size
                except OSError:
                    problems.append(f"{entry.describe()}: {item.path} is missing")
                    continue
                if size != item.size:
                    said = f"{item.path}: {size} bytes, not {item.size}"
                    problems.append(f"{entry.describe()}: {said}")
    return problems
