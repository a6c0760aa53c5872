"""`snapfront snapshot drop-codename`: stop tracking a distribution, Tails' recipe.

The operator removes CODENAME from conf/distributions first (refused while it is there);
then `reprepro --delete clearvanished` (drops its package databases and live references),
`reprepro export` (re-exports and re-signs the distributions that remain), `_removereferences`
for every `s=CODENAME=SERIAL` referee (clearvanished never touches snapshots),
`deleteunreferenced`, and finally `dists/CODENAME/` and its files under `logs/` go. Every
step is idempotent: after a failure, running the command again finishes the job; after a
SIGKILL, its intent record (lifecycle.intent) has the next command finish it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable

from snapfront.base.errors import Failed, Refused
from snapfront.base.stamps import Stamp, stamp
from snapfront.basedir import tools
from snapfront.basedir.inventory import sign_with
from snapfront.rewrite_rules import Mount

from .intent import begin, clear, drop_data
from .outcome import Outcome
from .repo import Repo, file_bytes, first_line, human, plural, tree_files
from .signing import check_signers


def drop_codename(
    mount: Mount, codename: str, dry_run: bool, gnupghome: str | None = None
) -> Outcome:
    repo = Repo(mount.root, gnupghome)
    if codename in repo.configured():
        raise Refused(
            f"{codename} is still in {mount.root}/conf/distributions: remove its stanza first"
        )
    with repo.locked():
        vanished = _vanished(repo)
        others = sorted(set(vanished) - {codename})
        if others:
            raise Refused(
                f"clearvanished would also drop {', '.join(others)} (gone from "
                "conf/distributions too): drop-codename handles one codename at a time"
            )
        refs = repo.references()
        snapshots = sorted({r for held in refs.values() for r in held if _snapshot_of(r, codename)})
        dists = os.path.join(mount.root, "dists", codename)
        files = _own_files(repo, codename) + _log_files(mount.root, codename)
        going = {r for held in refs.values() for r in held if _belongs(r, codename)}
        pool = sorted(
            {key for key, held in refs.items() if held and held <= going}
            | set(repo.unreferenced("--ignore=undefinedtarget"))
        )
        if not (vanished or snapshots or files):  # dropped already (or never there): done
            return Outcome((f"nothing of {codename} is left in {mount.root}: dropped",))
        if dry_run:
            return _plan(repo, codename, snapshots, files, pool)
        check_signers(gnupghome, sign_with(mount.root), repo.configured())  # export re-signs
        live = _stats(_live_files(repo))
        sizes = {key: file_bytes([repo.path(key)]) for key in pool}
        freed = file_bytes(files)
        step = ""
        begin(repo.root, "drop-codename", data=drop_data(codename))  # kept until all is done
        try:
            step = "clearvanished"
            repo.reprepro("--delete", "clearvanished")
            step = "export"
            repo.reprepro("export")
            for referee in snapshots:
                step = f"_removereferences {referee}"
                repo.reprepro("_removereferences", referee)
            step = "deleteunreferenced"
            repo.reprepro("deleteunreferenced")
            step = f"removing {dists}"
            _remove(mount.root, dists, files)
        except (tools.ToolError, OSError) as exc:
            raise Failed(
                f"drop-codename {codename}: {step} failed ({first_line(exc)}); the steps before it "
                "are done and cannot be undone: run the command again to finish"
            ) from None
        clear(repo.root)
    gone = [key for key in pool if not os.path.lexists(repo.path(key))]
    freed += sum(sizes[key] for key in gone)
    reexported = [path for path, st in _stats(_live_files(repo)).items() if live.get(path) != st]
    lines = [f"dropped snapshot {r[2:]}" for r in snapshots]
    lines += [f"deleted {key}" for key in gone]
    lines.append(
        f"dropped {codename}: {plural(len(snapshots), 'snapshot')}, {plural(len(files), 'file')} "
        f"under dists/ and logs/, {plural(len(gone), 'pool file')}; "
        f"freed {freed} bytes ({human(freed)})"
    )
    changed = files + [repo.path(key) for key in gone] + reexported
    return Outcome(tuple(lines), tuple(changed))


def _vanished(repo: Repo) -> list[str]:
    """Codenames that have package databases but are no longer configured."""
    configured = set(repo.configured())
    names = {line.split("|", 1)[0] for line in repo.reprepro("_listdbidentifiers").splitlines()}
    return sorted(name for name in names if name and name not in configured)


def _snapshot_of(referee: str, codename: str) -> bool:
    return referee.startswith(f"s={codename}=")


def _belongs(referee: str, codename: str) -> bool:
    """`s=CODENAME=SERIAL` or a live target `CODENAME|component|architecture`."""
    return _snapshot_of(referee, codename) or referee.startswith(f"{codename}|")


def _log_files(root: str, codename: str) -> list[str]:
    """logs/CODENAME, logs/CODENAME.* (a `Log:` file and its rotations), with a slash
    codename also spelled with `_` or `-`."""
    logs = os.path.join(root, "logs")
    spellings = {codename, codename.replace("/", "_"), codename.replace("/", "-")}
    found = []
    for path in tree_files(logs):
        rel = os.path.relpath(path, logs)
        if any(rel == name or rel.startswith(name + ".") for name in spellings):
            found.append(path)
    return found


def _live_files(repo: Repo) -> list[str]:
    """The live dists/ files of the configured codenames (export rewrites them)."""
    files = []
    for name in repo.configured():
        top = os.path.join(repo.root, "dists", name)
        files += [f for f in tree_files(top) if "/snapshots/" not in f[len(top) :]]
    return files


def _stats(paths: Iterable[str]) -> dict[str, Stamp]:
    return {path: found for path in paths if (found := stamp(path)) is not None}


def _own_files(repo: Repo, codename: str) -> list[str]:
    """Files under dists/CODENAME/, except those of a nested codename (`jessie/updates` when
    dropping `jessie`)."""
    dists = os.path.join(repo.root, "dists")
    nested = [
        os.path.join(dists, other) + os.sep
        for other in repo.codenames()
        if other.startswith(codename + "/")
    ]
    top = os.path.join(dists, codename)
    return [f for f in tree_files(top) if not any(f.startswith(n) for n in nested)]


def _remove(root: str, dists: str, files: list[str]) -> None:
    """The codename's files, then the directories they leave empty up to dists/."""
    for path in files:
        if os.path.lexists(path):
            os.unlink(path)
    top = os.path.join(root, "dists")
    for parent, _dirs, _files in sorted(os.walk(dists), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            os.rmdir(parent)  # only when empty
    parent = os.path.dirname(dists)
    while parent != top and parent.startswith(top + os.sep):
        try:
            os.rmdir(parent)
        except OSError:
            break
        parent = os.path.dirname(parent)


def _plan(
    repo: Repo, codename: str, snapshots: list[str], files: list[str], pool: list[str]
) -> Outcome:
    lines = [f"would drop snapshot {r[2:]}" for r in snapshots]
    lines += [f"would remove {os.path.relpath(f, repo.root)}" for f in files]
    lines += [f"would delete {key} ({file_bytes([repo.path(key)])} bytes)" for key in pool]
    freed = file_bytes(files) + file_bytes(repo.path(key) for key in pool)
    lines.append(
        f"would drop {codename}: {plural(len(snapshots), 'snapshot')}, "
        f"{plural(len(files), 'file')} under dists/ and logs/, "
        f"{plural(len(pool), 'pool file')}; would free {freed} bytes ({human(freed)})"
    )
    return Outcome(tuple(lines))
