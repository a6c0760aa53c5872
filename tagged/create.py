"""`snapfront tagged create MOUNT TAG MANIFEST`: check, plan, build aside, verify, rename.

Everything that can be refused is refused before anything is written: the tag's name, a tag
that exists, the manifest, its origins and serials, entries found in no origin (unless
`--allow-missing` says why). Then, under the tagged mount's lock and each origin's (no
`snapshot gc` removes a serial being read), with the intent record written, each origin is
built in `ROOT/.TAG.partial-PID/ORIGIN`, the whole is verified and renamed to `ROOT/TAG`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass

from snapfront.base.errors import Failed, Refused
from snapfront.basedir import tools
from snapfront.lifecycle import basedir_lock
from snapfront.lifecycle.intent import recorded
from snapfront.lifecycle.outcome import Outcome
from snapfront.lifecycle.repo import first_line, human, plural, tree_files
from snapfront.rewrite_rules import Mount

from . import recover
from .build import build_origin, planned_conf
from .manifest import Binary, Entry, Manifest, load
from .origins import Origin, find_origins, read_origin
from .plan import Plan, decide
from .tag_read import pool_bytes
from .verify import verify_tag


class NotPublished(Failed):
    """Failed, with the lines that say why (each missing entry, each problem)."""

    def __init__(self, message: str, lines: list[str]) -> None:
        super().__init__(message)
        self.lines = lines


@dataclass(frozen=True)
class CreateOptions:
    dry_run: bool = False
    allow_missing: str | None = None  # why entries found nowhere may be left out
    sign_with: str | None = None
    gnupghome: str | None = None


def check_tag_name(tag: str) -> None:
    if not tag or "/" in tag or tag.startswith(".") or tag.endswith(".new") or tag == "-":
        raise Refused(f"{tag!r} is no tag name (one path segment, not hidden)")


def create(
    mount: Mount, mounts: tuple[Mount, ...], tag: str, manifest_path: str, options: CreateOptions
) -> Outcome:
    check_tag_name(tag)
    final = os.path.join(mount.root, tag)
    if os.path.lexists(final):
        raise Refused(f"{mount.url}{tag}/ exists ({final}): a tag is never replaced")
    manifest = load(manifest_path)
    origin_mounts = find_origins(manifest, mounts)
    if options.dry_run:
        if note := recover.pending_note(mount.root, mount.url):
            print(note)
        origins, plan = _planned(manifest, origin_mounts, options)
        return Outcome((*_plan_lines(plan, origins, options), f"dry run: {final} not created"))
    with recover.resolved_first(mount.root, mount.url) as said, contextlib.ExitStack() as locks:
        for name in sorted({m.root for m in origin_mounts.values()}):
            locks.enter_context(basedir_lock.hold(name))
        origins, plan = _planned(manifest, origin_mounts, options)
        if os.path.lexists(final):
            raise Refused(f"{mount.url}{tag}/ exists ({final}): a tag is never replaced")
        lines = [*said, *_plan_lines(plan, origins, options)]
        aside = os.path.join(mount.root, recover.PARTIAL.format(tag=tag, pid=os.getpid()))
        state = recover.state_dir(mount.root)
        with recorded(state, recover.OPERATION, data=recover.record_data(tag, aside)):
            try:
                lines += _build(aside, manifest, plan, origins, mount, options)
                os.rename(aside, final)
            except BaseException:
                shutil.rmtree(aside, ignore_errors=True)
                raise
    lines.append(f"published {mount.url}{tag}/ ({final})")
    return Outcome(tuple(lines), tuple(tree_files(final)))


def _planned(
    manifest: Manifest, mounts: dict[str, Mount], options: CreateOptions
) -> tuple[dict[str, Origin], Plan]:
    origins = {
        name: read_origin(name, mount, manifest.origins[name], manifest)
        for name, mount in mounts.items()
    }
    plan = decide(manifest, {name: origin.suites for name, origin in origins.items()})
    missing = [_missing_line(e) for e in plan.missing]
    if missing and not options.allow_missing:
        raise NotPublished(
            f"{plural(len(missing), 'manifest entry')} found in no origin: nothing published "
            "(--allow-missing REASON publishes without them)",
            missing,
        )
    if not plan.origins:
        raise NotPublished("no entry of the manifest is in any origin: nothing published", [])
    for item in plan.origins:  # Refused now, not half-way, when a key is missing
        planned_conf(origins[item.origin], item, options.sign_with)
    return origins, plan


def _plan_lines(plan: Plan, origins: dict[str, Origin], options: CreateOptions) -> list[str]:
    lines = []
    for item in plan.origins:
        binaries = sum(isinstance(e, Binary) for e in item.entries)
        count = f"{plural(len(item.entries), 'package')} ({binaries} binary, "
        count += f"{len(item.entries) - binaries} source)"
        suites = "; ".join(s.describe() for s in item.suites)
        lines.append(f"{item.origin} {item.serial}: {count}; suites: {suites}")
    for origin in plan.empty:
        lines.append(
            f"warning: {origin} {origins[origin].serial}: no package of the manifest: no "
            "tagged snapshot for it (an APT source a rebuild must not list)"
        )
    lines += [_missing_line(entry) for entry in plan.missing]
    if plan.missing and options.allow_missing:
        lines.append(f"published without them: {options.allow_missing}")
    return lines


def _missing_line(entry: Entry) -> str:
    return f"missing: {entry.describe()}: in no origin at the manifest's serial"


def _build(
    aside: str,
    manifest: Manifest,
    plan: Plan,
    origins: dict[str, Origin],
    mount: Mount,
    options: CreateOptions,
) -> list[str]:
    lines = []
    for item in plan.origins:
        basedir = os.path.join(aside, item.origin)
        conf = planned_conf(origins[item.origin], item, options.sign_with)
        try:
            build_origin(basedir, conf, options.gnupghome)
        except tools.ToolError as exc:
            raise Failed(f"{item.origin}: reprepro update: {first_line(exc)}") from None
        size = pool_bytes(basedir)
        lines.append(f"{item.origin}: imported, {size} bytes ({human(size)})")
    expected = {item.origin: item.entries for item in plan.origins}
    problems = verify_tag(aside, manifest, expected, mount.keyring, bool(options.allow_missing))
    if problems:
        raise NotPublished(f"the built tag does not verify: {problems[0]}", problems)
    return lines
