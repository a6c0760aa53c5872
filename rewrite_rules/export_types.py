"""snapfront's Content-Type table (media_types.py beside it, the only copy) in the terms a web
server can express: a table by *last* extension, plus the few name rules it cannot tell.

`media_type` decides by whole name, then name ending, then the longest known extension
(any suffix starting at a dot), then "text if the name has no dot or a text prefix", else
octet-stream. nginx's `types {}` sees only the last extension; Apache's mod_mime looks at
every extension. Both get the same answer from: LAST_EXTENSION, then OVERRIDES (first match
wins; PCREs over a file's base name), then DEFAULT. `media_of` is that decision in Python, so
a test can hold it against `media_type` for every name the table knows. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from . import media_types as table

DEFAULT = table.DEFAULT


@dataclass(frozen=True)
class TypeRule:
    """Names matching `pattern` (a PCRE over the base name) are sent as `media`."""

    pattern: str
    media: str


def _keys(names: Iterable[str]) -> str:
    return "(?:" + "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))) + ")"


def _last_extension() -> dict[str, str]:
    """Extension (lowercase, no dot) → type, for names whose last extension decides."""
    return {ext[1:]: media for ext, media in table.EXTENSIONS.items() if ext.count(".") == 1}


LAST_EXTENSION = _last_extension()


def _overrides() -> tuple[TypeRule, ...]:
    rules: list[TypeRule] = []
    for media in dict.fromkeys(table.WHOLE_NAMES.values()):
        names = [n for n, m in table.WHOLE_NAMES.items() if m == media]
        rules.append(TypeRule(f"^{_keys(names)}$", media))
    for media in dict.fromkeys(table.NAME_ENDINGS.values()):
        endings = [e for e, m in table.NAME_ENDINGS.items() if m == media]
        rules.append(TypeRule(f"(?i:{_keys(endings)})$", media))
    # A compound extension (.tar.gz) the last one alone would get wrong: longest first.
    compound = [e for e in table.EXTENSIONS if e.count(".") > 1]
    for ext in sorted(compound, key=lambda e: (-len(e), e)):
        media = table.EXTENSIONS[ext]
        if LAST_EXTENSION.get(ext.rsplit(".", 1)[1]) != media:
            rules.append(TypeRule(f"(?i:{re.escape(ext)})$", media))
    # Text when no extension is known and the name has no dot or a text prefix.
    known = _keys(e[1:] for e in table.EXTENSIONS)
    prefixes = _keys(table.TEXT_PREFIXES)
    rules.append(TypeRule(f"^(?:[^./]*|{prefixes}(?![^/]*\\.(?i:{known})$)[^/]*)$", table.TEXT))
    return tuple(r for r in rules if not _redundant(r, rules))


def _redundant(rule: TypeRule, rules: list[TypeRule]) -> bool:
    """A whole-name rule that the other rules already decide alike (InRelease: no dot, text)."""
    names = [n for n, m in table.WHOLE_NAMES.items() if m == rule.media]
    if rule.pattern != f"^{_keys(names)}$":
        return False
    others = [r for r in rules if r is not rule]
    return all(_decide(others, n) == rule.media for n in names)


def _decide(rules: Iterable[TypeRule], name: str) -> str:
    for rule in rules:
        if re.search(rule.pattern, name):
            return rule.media
    _, dot, ext = name.rpartition(".")
    return LAST_EXTENSION.get(ext.lower(), DEFAULT) if dot else DEFAULT


OVERRIDES = _overrides()


def media_of(name: str) -> str:
    """The type a web server configured from this module sends for base name NAME."""
    return _decide(OVERRIDES, name)


def in_path(rule: TypeRule) -> str:
    """RULE as a lookahead over a whole URL path (its patterns never cross a "/")."""
    if rule.pattern.startswith("^"):
        return f"(?=.*/{rule.pattern[1:]})"
    return f"(?=.*{rule.pattern})"
