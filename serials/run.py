"""`serials freeze`, `thaw` and `resolve`: read the files, ask the server, decide, then write.
Every question goes to the server before the first file is written, so a refusal or a failure
leaves DIR as it was."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from . import confirm, files, plan
from .remote import Remote


def freeze(directory: str, base: str, excepted: Collection[str], remote: Remote | None = None):
    """Each origin's file gets the serial its trace names now; the exceptions `latest`.
    Returns the `ORIGIN: VALUE` lines of what the files hold afterwards."""
    remote = remote or Remote(base)
    current = files.scan(directory)
    plan.check_except(current, excepted)
    newest = {origin: remote.newest(origin) for origin in plan.freeze_origins(current, excepted)}
    wanted = plan.freeze(current, newest, excepted)
    files.write(directory, wanted)
    return plan.as_lines(wanted)


def thaw(directory: str) -> str:
    wanted = plan.thaw(files.scan(directory))
    files.write(directory, wanted)
    return plan.as_lines(wanted)


def resolve(
    directory: str,
    base: str,
    as_json: bool,
    codenames: Sequence[str] = (),
    remote: Remote | None = None,
) -> str:
    """The serial each origin's build uses: `latest` looked up once, a frozen serial checked
    to exist (its Release under the origin's codename, `--codename`). Writes nothing."""
    remote = remote or Remote(base)
    frozen = plan.values(files.scan(directory), directory)
    named = confirm.parse_codenames(codenames, frozen)
    for origin, serial in plan.to_check(frozen).items():
        remote.check(origin, serial, *named.of(origin))
    newest = {origin: remote.newest(origin) for origin in plan.to_resolve(frozen)}
    resolved = plan.resolve(frozen, newest)
    return plan.as_json(resolved) if as_json else plan.as_lines(resolved)
