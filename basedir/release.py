"""Read what reprepro wrote: a Release family's facts, and whether a snapshot is complete.

reprepro writes a snapshot's index files first and Release, InRelease, Release.gpg last, so a
serial directory exists for a while without its signature: nothing here ever names such a
snapshot. Data roots are only read; a malformed file is logged and skipped, never raised.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import glob
import logging
import os
from collections.abc import Iterator

from debian.deb822 import Release

from snapfront.base.confined import read_file
from snapfront.base.stamps import Stamp, stamp
from snapfront.rewrite_rules.complete import complete_serials as taken
from snapfront.rewrite_rules.model import Archive, MountKind
from snapfront.rewrite_rules.names import INRELEASE, RELEASE, RELEASE_GPG

from . import tools
from .model import Distribution

log = logging.getLogger(__name__)

CHECKSUM_FIELDS = ("SHA256", "SHA1", "MD5Sum", "SHA512")
RELEASE_LIMIT = 16 * 1024 * 1024
"""Bytes of a Release file we parse at most; Debian's and Ubuntu's InRelease are under 300 KB."""
_CACHE_LIMIT = 10_000

# (keyring, its stamp, the signed files, their stamps) -> verified; rebuilds never re-run gpgv
_verified: dict[tuple[str, Stamp, tuple[str, ...], tuple[Stamp, ...]], bool] = {}


class GpgvMissing(RuntimeError):
    """gpgv is needed to check signatures against a mount's keyring; names the Debian package."""


def read_distribution(
    directory: str, root: str | None = None, kind: MountKind | None = None
) -> Distribution | None:
    """The Release facts of `directory`; None while it has no Release file or one is malformed.

    Read through snapfront.base.confined: a regular file resolving inside `root` (default: the
    directory itself) where `kind`'s rule serves, so a Release that is a symlink to
    conf/distributions or a FIFO is treated as missing, never parsed onto a page.
    """
    path = os.path.join(directory, INRELEASE)
    if not os.path.isfile(path):
        path = os.path.join(directory, RELEASE)
    data = read_file(root or directory, path, kind, RELEASE_LIMIT)
    if data is None:
        return None  # a half-written (or just removed) snapshot, or nothing we may read
    try:
        return _distribution(directory, Release(data))  # Release() unwraps a clearsigned file
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeError, OverflowError) as exc:
        log.warning("%s: malformed Release file: %s", path, exc)
        return None


def _distribution(directory: str, release: Release) -> Distribution:
    codename = release.get("Codename", "").strip() or release.get("Suite", "").strip()
    if not codename:
        raise ValueError("neither Codename nor Suite")
    components = tuple(release.get("Components", "").split())
    architectures = release.get("Architectures", "").split()
    return Distribution(
        codename=codename,
        suite=release.get("Suite", "").strip() or codename,
        origin=release.get("Origin", "").strip(),
        label=release.get("Label", "").strip(),
        architectures=tuple(arch for arch in architectures if arch != "source"),
        components=components,
        date=_epoch(release.get("Date")),
        valid_until=_epoch(release.get("Valid-Until")),
        signed=_signature_files(directory) is not None,
        has_sources=_lists_sources(release) or _sources_on_disk(directory, components),
    )


def _epoch(value: str | None) -> int | None:
    """Release dates (`Sun, 22 Nov 2026 03:11:45 UTC`) as epoch seconds; naive means UTC."""
    if value is None or not value.strip():
        return None
    when = email.utils.parsedate_to_datetime(value.strip())  # ValueError when unparsable
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp())


def _lists_sources(release: Release) -> bool:
    for field in CHECKSUM_FIELDS:
        entries = release.get(field) or []
        if not isinstance(entries, list):  # python-debian gives a dict for a one-line value
            raise ValueError(f"{field} is not a checksum list")
        for entry in entries:
            name = entry.get("name", "")
            if name.startswith("source/Sources") or "/source/Sources" in name:
                return True
    return False


def _sources_on_disk(directory: str, components: tuple[str, ...]) -> bool:
    patterns = [glob.escape(component) for component in components] or ["*"]
    return any(glob.glob(os.path.join(directory, p, "source", "Sources*")) for p in patterns)


def _signature_files(directory: str) -> tuple[str, ...] | None:
    """What gpgv checks: (InRelease,), else (Release.gpg, Release); None when unsigned."""
    inrelease = os.path.join(directory, INRELEASE)
    if os.path.isfile(inrelease):
        return (inrelease,)
    release, detached = os.path.join(directory, RELEASE), os.path.join(directory, RELEASE_GPG)
    if os.path.isfile(release) and os.path.isfile(detached):
        return (detached, release)
    return None


def is_signed(directory: str) -> bool:
    """Its signed Release family is there (InRelease, or Release and Release.gpg): reprepro
    renames those last, so before this a snapshot is still being written, or was left
    half-written by a killed reprepro, and is no snapshot yet."""
    return _signature_files(directory) is not None


def is_complete(directory: str, keyring: str | None) -> bool:
    """Signed Release family present and, given a keyring, verified by gpgv (cached by stat)."""
    files = _signature_files(directory)
    if files is None:
        return False
    return keyring is None or _verify(files, keyring)


def _verify(files: tuple[str, ...], keyring: str) -> bool:
    keyring = os.path.abspath(keyring)  # gpgv looks a bare name up in ~/.gnupg
    ring, stats = stamp(keyring), tuple(stamp(f) for f in files)
    if ring is None:
        log.warning("%s: keyring missing: no signature verifies", keyring)
        return False
    if None in stats:
        return False  # removed while we looked
    key = (keyring, ring, files, stats)
    if key not in _verified:
        if len(_verified) >= _CACHE_LIMIT:
            _verified.clear()
        _verified[key] = _gpgv(files, keyring)
    return _verified[key]


def _gpgv(files: tuple[str, ...], keyring: str) -> bool:
    try:
        verified, reason = tools.gpgv(files, keyring)
    except tools.MissingTool as exc:
        raise GpgvMissing(
            f"gpgv not found (needed to verify signatures with {keyring}): apt-get install gpgv"
        ) from exc
    if not verified:
        log.warning("%s: does not verify with %s: %s", files[0], keyring, reason)
    return verified


def snapshot_dir(root: str, codename: str, serial: str) -> str:
    return os.path.join(root, "dists", codename, "snapshots", serial)


def complete_serials(root: str, archive: Archive, keyring: str | None) -> Iterator[str]:
    """The serials that count as taken (rewrite_rules.complete), newest first, lazily: each
    snapshot is checked with is_complete only when the rule gets to it."""
    return taken(archive.serials, lambda c, s: is_complete(snapshot_dir(root, c, s), keyring))


def newest_complete_serial(
    root: str, archive: Archive, keyring: str | None
) -> tuple[str, int] | None:
    """The newest serial that counts as taken, and its newest signature mtime.

    A serial that some codename still lacks, or has half-written, is passed over, so a trace
    file never names a snapshot that APT would find missing or unsigned.
    """
    for serial in complete_serials(root, archive, keyring):
        holders = sorted(c for c, serials in archive.serials.items() if serial in serials)
        mtimes = [_signature_mtime(snapshot_dir(root, codename, serial)) for codename in holders]
        if all(m is not None for m in mtimes):
            return serial, max(m for m in mtimes if m is not None)
    return None


def _signature_mtime(directory: str) -> int | None:
    """Whole seconds, like Last-Modified: InRelease's mtime, else Release.gpg's."""
    for name in (INRELEASE, RELEASE_GPG):
        try:
            return os.stat(os.path.join(directory, name)).st_mtime_ns // 1_000_000_000
        except OSError:
            continue
    return None
