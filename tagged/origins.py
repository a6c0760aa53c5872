"""The manifest's origins as this host has them: each a `snapshots` mount named by its trace
name (`debian`, `debian-security`), read at the build's serial. Nothing is written here."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from snapfront.base.errors import Failed, Refused
from snapfront.basedir.inventory import codenames_with_serial, read_archive, sign_with
from snapfront.basedir.release import is_complete, snapshot_dir
from snapfront.rewrite_rules import Mount, MountKind

from .indexes import SuiteIndex, read_suite
from .manifest import Manifest


@dataclass(frozen=True)
class Origin:
    name: str
    mount: Mount
    serial: str
    suites: tuple[SuiteIndex, ...]
    sign_with: dict[str, str | None]  # codename → SignWith of the origin's conf/distributions

    @property
    def root(self) -> str:
        return self.mount.root

    def verify_release(self, codename: str) -> str:
        """reprepro's VerifyRelease for this origin's snapshot: with the mount's keyring gpgv
        has verified it already (`blindtrust`), else the key that signs the origin."""
        key = self.sign_with.get(codename) or ""
        hexadecimal = len(key) >= 16 and all(c in "0123456789abcdefABCDEF" for c in key)
        if self.mount.keyring is None and hexadecimal:
            return f"{key[-16:]}+"
        return "blindtrust"


def find_origins(manifest: Manifest, mounts: Sequence[Mount]) -> dict[str, Mount]:
    """Origin → its snapshots mount; Refused naming an origin no mount serves."""
    by_trace = {m.trace: m for m in mounts if m.kind is MountKind.SNAPSHOTS}
    unknown = sorted(set(manifest.origins) - set(by_trace))
    if unknown:
        known = ", ".join(sorted(by_trace)) or "none"
        raise Refused(
            f"origin {', '.join(unknown)} of the manifest is no snapshots mount's trace name "
            f"(the mounts': {known})"
        )
    return {name: by_trace[name] for name in manifest.origins}


def read_origin(name: str, mount: Mount, serial: str, manifest: Manifest) -> Origin:
    """The origin's suites at `serial`, holding only the manifest's entries; Failed when the
    snapshot is not there (garbage-collected, never taken) or its signature does not verify
    with the mount's keyring."""
    archive = read_archive(mount.root)
    codenames = codenames_with_serial(mount.root, archive.codenames, serial)
    if not codenames:
        raise Failed(f"{name}: {mount.url} has no snapshot {serial} (the manifest's serial)")
    wanted = frozenset(manifest.entries)
    suites = []
    for codename in codenames:
        directory = snapshot_dir(mount.root, codename, serial)
        if not is_complete(directory, mount.keyring):
            raise Failed(f"{name}: {directory}: its signature does not verify with {mount.keyring}")
        suites.append(read_suite(directory, codename, wanted))
    return Origin(name, mount, serial, tuple(suites), sign_with(mount.root))


def signing_key(origin: Origin, codename: str, given: str | None) -> str:
    """The key the tag's suite is signed with: `--sign-with`, else the origin's own."""
    key = given or origin.sign_with.get(codename)
    if not key:
        raise Refused(
            f"{origin.name}: {codename} has no SignWith in {os.path.join(origin.root, 'conf')}"
            ": name the key with --sign-with"
        )
    return key
