"""`snapfront snapshot take`: one new serial for every codename of conf/distributions.

Under the basedir lock: pick the serial (lifecycle.serials), `reprepro gensnapshot CODENAME
SERIAL` per codename, then check what reprepro wrote — InRelease and Release.gpg verify with
gpgv against the mount's keyring (when set), every index file Release lists has its SHA256 —
before anyone is told the serial. A signing key missing from GNUPGHOME is refused before
reprepro runs (lifecycle.signing.check_keys, worded as for bump). Any later failure removes
the directories it created and the `s=CODENAME=SERIAL` references (`reprepro
unreferencesnapshot`), and says why in one line. The intent record (lifecycle.intent) names
the serial and those directories from before the first gensnapshot until the serial is
verified: meanwhile nothing lists or serves it, and after a SIGKILL the next command rolls it
back the same way (lifecycle.recover).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil

from debian.deb822 import Release

from snapfront.base.errors import Failed, Refused
from snapfront.basedir import tools
from snapfront.basedir.inventory import sign_with
from snapfront.rewrite_rules import Mount

from .intent import Unresolved, recorded, take_data
from .outcome import Outcome
from .repo import Repo, first_line, tree_files
from .serials import check_serial, next_serial, refuse_existing
from .signing import check_signers

COMPRESSED = (".gz", ".xz", ".bz2", ".lzma", ".zst")


def take(
    mount: Mount,
    serial: str | None = None,
    gnupghome: str | None = None,
    today: dt.date | None = None,
) -> Outcome:
    repo = Repo(mount.root, gnupghome)
    codenames = repo.configured()
    if not codenames:
        raise Refused(f"{mount.root}/conf/distributions names no codename")
    if serial is not None:
        check_serial(serial)
    check_signers(gnupghome, sign_with(mount.root), codenames)  # refused, nothing changed
    with repo.locked():
        existing = repo.serials()
        if serial is None:
            on_disk = set().union(*existing.values())
            serial = next_serial(today or dt.datetime.now(dt.UTC).date(), on_disk)
        else:
            refuse_existing(serial, existing)
        # (codename, the topmost directory its gensnapshot may create): all take may remove
        created = [(c, _first_missing(repo.snapshot_dir(c, serial))) for c in codenames]
        with recorded(repo.root, "take", (serial,), take_data(repo.root, created)):
            _snapshot(repo, serial, codenames, created, mount.keyring)
    changed = [f for codename in codenames for f in tree_files(repo.snapshot_dir(codename, serial))]
    return Outcome((serial,), tuple(changed))


def _snapshot(
    repo: Repo,
    serial: str,
    codenames: tuple[str, ...],
    created: list[tuple[str, str]],
    keyring: str | None,
) -> None:
    """gensnapshot every codename and verify each; on failure roll back (Failed), and leave
    the intent record when even that failed (Unresolved)."""
    try:
        for codename in codenames:
            repo.reprepro("gensnapshot", codename, serial)
        for codename in codenames:
            problem = verify(repo.snapshot_dir(codename, serial), keyring)
            if problem:
                raise Failed(f"{codename} {serial}: {problem}")
    except (tools.ToolError, Failed, OSError) as exc:
        undone, complete = roll_back(repo, serial, created)
        failed = Failed if complete else Unresolved
        raise failed(f"take {serial} failed: {first_line(exc)}; {undone}") from None
    except BaseException:
        roll_back(repo, serial, created)
        raise


def _first_missing(path: str) -> str:
    """The topmost directory of `path` that does not exist yet: all that take may remove."""
    top = path
    while not os.path.lexists(os.path.dirname(top)):
        top = os.path.dirname(top)
    return top


def roll_back(repo: Repo, serial: str, created: list[tuple[str, str]]) -> tuple[str, bool]:
    """Remove the snapshot directories and references take made (or may have made: it is
    also how an interrupted take is undone); what happened, and whether all of it did."""
    failures = []
    for codename, top in created:
        try:
            if os.path.lexists(top):
                shutil.rmtree(top)
        except OSError as exc:
            failures.append(f"rm {top}: {exc.strerror}")
        try:
            repo.reprepro("unreferencesnapshot", codename, serial)
        except tools.ToolError as exc:
            failures.append(f"unreferencesnapshot {codename} {serial}: {first_line(exc)}")
    if failures:
        return "rollback incomplete: " + "; ".join(failures), False
    return "removed its directories and references", True


def verify(directory: str, keyring: str | None) -> str | None:
    """None when the snapshot in `directory` is whole and signed; else what is wrong."""
    release_path = os.path.join(directory, "Release")
    if not os.path.isfile(release_path):
        return "no Release file"
    if keyring:
        inrelease = os.path.join(directory, "InRelease")
        detached = os.path.join(directory, "Release.gpg")
        for files in ((inrelease,), (detached, release_path)):
            if not os.path.isfile(files[0]):
                return f"no {os.path.basename(files[0])}"
            ok, reason = tools.gpgv(files, keyring)
            if not ok:
                return f"{os.path.basename(files[0])} does not verify with {keyring}: {reason}"
    with open(release_path, encoding="utf-8") as fh:
        entries = Release(fh).get("SHA256") or []
    if not entries:
        return "Release lists no SHA256"
    listed = {entry["name"] for entry in entries}
    for entry in entries:
        problem = _check_index(directory, entry, listed)
        if problem:
            return problem
    return None


def _check_index(directory: str, entry: dict, listed: set[str]) -> str | None:
    name = entry["name"]
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        # reprepro lists an uncompressed index it did not write (Sources beside Sources.gz)
        if any(name + ext in listed and os.path.isfile(path + ext) for ext in COMPRESSED):
            return None
        return f"{name} is listed in Release but missing"
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != entry["sha256"] or os.path.getsize(path) != int(entry["size"]):
        return f"{name} does not match its SHA256 in Release"
    return None
