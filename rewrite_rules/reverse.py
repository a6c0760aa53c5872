"""File → the URLs that serve it, and the order a cache must forget them in. Pure, no I/O.

The inverse of `resolve`, and checked against it: each candidate URL is proposed per mount
kind, then kept only if `resolve` maps it back onto the same file, so the two can never
disagree about the URL space. A purge needs every spelling a cache may have stored, so each
URL also comes as APT writes it (`+`, `~` and space percent-encoded, lower-case hex) and as
the generated pages link it (`quote`).

Order (`purge_order`): index files and other data first, then the Release family (and a
release manager's SHA256SUMS), pages last.
A cache then never holds a new InRelease whose Packages it has not yet been told to drop, and
a page or trace never points at a file the cache still answers with old bytes.
"""

from __future__ import annotations

import enum
import posixpath
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from .confine import relative
from .model import Mount, MountKind, Target
from .names import INDEX_JSON
from .resolve import (
    BY_HASH,
    CHANGES,
    CHANGES_JSON,
    CHECKSUMS,
    CHECKSUMS_SIGNATURES,
    DISTS,
    GENERATED_NAMES,
    INDEX_PAGE,
    KEYRING_NAME,
    POOL,
    RELEASE_FAMILY,
    SERIAL,
    SNAPSHOTS_DIR,
    TRACE_DIR,
    Rules,
    is_index_dir,
    mount_segments,
    resolve,
)

COMPRESSED_VARIANTS = (".br", ".gz")
"""Suffixes of the generator's precompressed pages: NAME.br is served at NAME's URL."""


class PurgeStage(enum.IntEnum):
    INDEX = 0  # data files other than the Release family: Packages, pool files, tarballs, keyring
    RELEASE = 1  # InRelease, Release, Release.gpg; a release manager's SHA256SUMS(.sig)
    PAGE = 2  # generated pages, feeds, JSON, traces, and directory URLs with or without "/"


def urls_for(rules: Rules, path: str) -> list[str]:
    """Every URL path (percent-encoded, as sent) that serves the file at `path`, or its page.

    `path` is absolute: under a mount's root, its keyring, or the output directory. A page's
    directory URL comes with and without its trailing "/" (the latter is the 301 to it). Only
    serials and codenames that `rules` knows are mapped: to purge a removed snapshot, pass
    rules that still know it (the purger keeps what it saw before the change).
    """
    return [url for url, _ in _urls_with_stage(rules, posixpath.normpath(path))]


def purge_order(rules: Rules, paths: Iterable[str]) -> list[tuple[str, ...]]:
    """The URLs of `paths` in purge stages: one tuple per PurgeStage, in its order."""
    stages: dict[PurgeStage, set[str]] = {stage: set() for stage in PurgeStage}
    for path in paths:
        for url, stage in _urls_with_stage(rules, posixpath.normpath(path)):
            stages[stage].add(url)
    return [tuple(sorted(urls)) for urls in stages.values()]


def never_rewritten(rules: Rules, path: str) -> bool:
    """True for pool/ and by-hash/ files: reprepro adds or removes them but never changes their
    bytes, so one that exists after a change is new, and its URL was an uncached 404 before."""
    for mount in rules.mounts:
        rel = relative(posixpath.normpath(path), mount.root)
        if rel is None or mount.kind is MountKind.FILES:
            continue
        area = rel[2:3] if mount.kind is MountKind.TAGGED else rel[:1]
        if area == (POOL,) or BY_HASH in rel:
            return True
    return False


def _urls_with_stage(rules: Rules, path: str) -> list[tuple[str, PurgeStage]]:
    found: dict[str, PurgeStage] = {}
    for segments, trailing, stage in _candidates(rules, path):
        url = _quote(segments, trailing, safe="+~@:,=")
        if _serves(rules, url, _uncompressed(rules, path)):
            for spelling in _spellings(segments, trailing):
                found.setdefault(spelling, stage)
            if trailing and segments:  # the same page without its "/": a cached 301
                for spelling in _spellings(segments, False):
                    found.setdefault(spelling, stage)
    return list(found.items())


Candidate = tuple[tuple[str, ...], bool, PurgeStage]


def _candidates(rules: Rules, path: str) -> Iterator[Candidate]:
    output = relative(path, rules.output)
    if output is not None:
        yield from _output_candidates(output)
    for mount in rules.mounts:
        prefix = mount_segments(mount)
        if mount.keyring and posixpath.normpath(mount.keyring) == path:
            yield (*prefix, KEYRING_NAME), False, PurgeStage.INDEX
        rel = relative(path, mount.root)
        if rel:
            for tail in _data_tails(rules, mount, rel):
                yield (*prefix, *tail), False, _data_stage(tail)


def _output_candidates(rel: tuple[str, ...]) -> Iterator[Candidate]:
    if not rel or any(seg.startswith(".") for seg in rel):
        return  # the generator's state directory and its temp files
    rel = (*rel[:-1], _variant_base(rel[-1]))
    yield rel, False, PurgeStage.PAGE
    if rel[-1] == INDEX_PAGE:
        yield rel[:-1], True, PurgeStage.PAGE
    if rel[-2:] == (CHANGES, INDEX_JSON):  # also served as /P/SERIAL/changes.json
        yield (*rel[:-2], CHANGES_JSON), False, PurgeStage.PAGE


def _variant_base(name: str) -> str:
    base, suffix = posixpath.splitext(name)
    return base if suffix in COMPRESSED_VARIANTS and base in GENERATED_NAMES else name


def _uncompressed(rules: Rules, path: str) -> str:
    """A precompressed page (OUTPUT/…/index.html.br) is served where the page itself is."""
    if relative(path, rules.output) is None:
        return path
    head, name = posixpath.split(path)
    return posixpath.join(head, _variant_base(name))


def _data_tails(rules: Rules, mount: Mount, rel: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """URL segments below the mount that may serve ROOT/rel (resolve has the last word)."""
    yield rel
    if mount.kind is not MountKind.SNAPSHOTS:
        return
    serials = sorted(rules.archive(mount).all_serials())
    if rel[0] == POOL:
        yield from ((serial, *rel) for serial in serials)
    elif rel[0] == DISTS:  # dists/CODENAME/snapshots/SERIAL/FILE → SERIAL/dists/CODENAME/FILE
        for i in range(2, len(rel) - 2):
            if rel[i] == SNAPSHOTS_DIR and SERIAL.match(rel[i + 1]):
                yield (rel[i + 1], DISTS, *rel[1:i], *rel[i + 2 :])


def _data_stage(tail: tuple[str, ...]) -> PurgeStage:
    if tail[-1] in RELEASE_FAMILY and not (len(tail) > 1 and is_index_dir(tail[-2])):
        return PurgeStage.RELEASE  # a distribution's; binary-amd64/Release is an index file
    if tail[-1] == CHECKSUMS or tail[-1] in CHECKSUMS_SIGNATURES:
        return PurgeStage.RELEASE  # like InRelease: never new sums over files still cached old
    if tail[-1] in GENERATED_NAMES or (len(tail) == 3 and tail[:2] == TRACE_DIR):
        return PurgeStage.PAGE  # a page or trace another tool wrote under the root
    return PurgeStage.INDEX


def _serves(rules: Rules, url: str, path: str) -> bool:
    found = resolve(rules, url)
    return isinstance(found, Target) and any(
        posixpath.normpath(posixpath.join(s.base, s.relpath)) == path for s in found.sources
    )


def _spellings(segments: tuple[str, ...], trailing: bool) -> list[str]:
    """The spellings caches key on: resolve's canonical form, the pages' links, APT's."""
    forms = [
        _quote(segments, trailing, safe="+~@:,="),
        _quote(segments, trailing, safe=""),
        _quote(segments, trailing, apt=True),
    ]
    return list(dict.fromkeys(forms))


def _quote(segments: tuple[str, ...], trailing: bool, safe: str = "", apt: bool = False) -> str:
    quoted = [_apt_quote(seg) if apt else quote(seg, safe=safe) for seg in segments]
    path = "/" + "/".join(quoted)
    return path + "/" if trailing and segments else path


def _apt_quote(segment: str) -> str:
    """apt's http method: QuoteString(path, "+~ "), which also encodes bytes outside 0x21-0x7e,
    as %xx in lower case (methods/http.cc; "+" for an old Amazon S3 bug)."""
    out = []
    for byte in segment.encode():
        char = chr(byte)
        bad = byte <= 0x20 or byte >= 0x7F or char in "+~%"
        out.append(f"%{byte:02x}" if bad else char)
    return "".join(out)
