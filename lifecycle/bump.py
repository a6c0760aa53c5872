"""`snapfront snapshot bump` and `resign`: new Valid-Until and Date, or only new signatures,
for existing snapshots (the CLI in snapfront.cli_snapshot calls these two functions).

For each codename of each serial: edit Release as text (lifecycle.release_text), sign it with
the key(s) `SignWith:` names for that distribution (lifecycle.signing), verify; only when every
snapshot of the command is ready are the files replaced, all temps first (lifecycle.replace).
Release files of the components, index files and the pool are never touched.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from snapfront.base.errors import Refused
from snapfront.basedir import tools
from snapfront.basedir.inventory import read_archive, sign_with
from snapfront.basedir.release import snapshot_dir
from snapfront.rewrite_rules import Mount, MountKind
from snapfront.rewrite_rules.names import INRELEASE, RELEASE, RELEASE_GPG, SERIAL

from . import signing
from .intent import files_data, recorded
from .outcome import Outcome
from .release_text import bumped, field_value
from .replace import Replacement, replace_all, temp_path
from .repo import Repo

Edit = Callable[[bytes], bytes]
ORDER = (RELEASE, RELEASE_GPG, INRELEASE)
"""Rename order in each directory: the detached pair first, then InRelease, which APT reads."""


@dataclass(frozen=True)
class Target:
    serial: str
    codename: str
    directory: str

    @property
    def name(self) -> str:
        return f"{self.serial} {self.codename}"


def bump(mount: Mount, serials: Sequence[str], days: int, gnupghome: str | None) -> Outcome:
    """Valid-Until = now + `days` days and Date = now (never earlier than it was), re-signed."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise Refused(f"--days must be a positive integer, not {days!r}")
    now = int(time.time())

    def describe(target: Target, release: bytes) -> str:
        return f"{target.name}: Valid-Until {field_value(release, 'Valid-Until')}"

    targets = _targets(mount, serials)
    return _sign_all(
        mount, targets, gnupghome, lambda release: bumped(release, now, days), describe, "bump"
    )


def resign(mount: Mount, serials: Sequence[str] | None, gnupghome: str | None) -> Outcome:
    """New InRelease and Release.gpg for each snapshot (every serial when `serials` is None),
    Release byte for byte as it was: after a key rotation (`SignWith:` names the new key)."""
    if serials is None:
        serials = sorted(read_archive(_snapshots(mount).root).all_serials())
        if not serials:
            return Outcome((f"{mount.url}: no snapshots to re-sign",), ())

    def describe(target: Target, release: bytes) -> str:
        return f"{target.name}: re-signed"

    targets = _targets(mount, serials)
    return _sign_all(mount, targets, gnupghome, lambda release: release, describe, "resign")


def _snapshots(mount: Mount) -> Mount:
    if mount.kind is not MountKind.SNAPSHOTS:
        raise Refused(f"{mount.url} is a {mount.kind} mount, not a snapshots mount")
    return mount


def _targets(mount: Mount, serials: Sequence[str]) -> list[Target]:
    """Every (serial, codename) snapshot on disk; Refused naming the first unknown serial."""
    root = _snapshots(mount).root
    archive = read_archive(root)
    if not serials:
        raise Refused("no serial given")
    targets = []
    for serial in dict.fromkeys(serials):
        codenames = [c for c in archive.codenames if serial in archive.serials.get(c, ())]
        if not SERIAL.match(serial) or not codenames:
            known = ", ".join(sorted(archive.all_serials())) or "none"
            raise Refused(f"unknown serial {serial} in {mount.url} (serials: {known})")
        targets += [Target(serial, c, snapshot_dir(root, c, serial)) for c in sorted(codenames)]
    return targets


def _sign_all(
    mount: Mount,
    targets: list[Target],
    gnupghome: str | None,
    edit: Edit,
    describe: Callable[[Target, bytes], str],
    operation: str,
) -> Outcome:
    """Edit, sign and verify every target, then replace all their files at once, under the
    basedir lock and its intent record (lifecycle.intent): after a SIGKILL the next command
    finishes the renames when every new file was written, else removes the new files."""
    keys_of = sign_with(mount.root)
    replacements: list[Replacement] = []
    lines = []
    try:
        tools.require("gpg", "gpgv")
        with tempfile.TemporaryDirectory(prefix="snapfront-sign-") as work:
            for index, target in enumerate(targets):
                folder = os.path.join(work, str(index))
                os.mkdir(folder)
                release = _prepare(target, keys_of, gnupghome, edit, mount.keyring, folder)
                replacements += _replacements(target, release)
                lines.append(describe(target, release.release))
    except (tools.MissingTool, tools.ToolError) as exc:
        raise Refused(str(exc)) from None
    serials = sorted({target.serial for target in targets})
    planned = [(r.path, temp_path(r.path), r.data) for r in replacements]
    record = files_data(mount.root, planned)
    with Repo(mount.root).locked(), recorded(mount.root, operation, serials, record):
        changed = replace_all(replacements)
    return Outcome(tuple(lines), changed)


def _prepare(
    target: Target,
    keys_of: dict[str, str | None],
    gnupghome: str | None,
    edit: Edit,
    keyring: str | None,
    work: str,
) -> signing.Signed:
    if target.codename not in keys_of:
        raise Refused(f"{target.name}: {target.codename} is not in conf/distributions")
    keys = signing.signing_keys(keys_of[target.codename], target.name)
    try:
        with open(os.path.join(target.directory, "Release"), "rb") as fh:
            old = fh.read()
    except OSError as exc:
        raise Refused(f"{target.name}: cannot read its Release: {exc.strerror}") from None
    try:
        new = edit(old)
    except ValueError as exc:
        raise Refused(f"{target.name}: {exc}") from None
    signing.check_keys(gnupghome, keys, target.name)
    signed = signing.sign(gnupghome, keys, new, work)
    ring = keyring or signing.public_keyring(gnupghome, keys, work)
    signing.verify(signed, ring, work, target.name)
    return signed


def _replacements(target: Target, signed: signing.Signed) -> list[Replacement]:
    data = {
        RELEASE: signed.release,
        RELEASE_GPG: signed.detached,
        INRELEASE: signed.inrelease,
    }
    found = []
    for name in ORDER:
        path = os.path.join(target.directory, name)
        if name == RELEASE and _same(path, signed.release):
            continue  # resign: Release stays byte for byte, its mtime too
        found.append(Replacement(path, data[name]))
    return found


def _same(path: str, data: bytes) -> bool:
    with open(path, "rb") as fh:
        return fh.read() == data
