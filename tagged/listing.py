"""`snapfront tagged list` and `tagged verify`: read what a tagged mount holds."""

from __future__ import annotations

import json
import os

from snapfront.base.errors import Failed, Refused
from snapfront.lifecycle.outcome import Outcome
from snapfront.lifecycle.repo import human
from snapfront.rewrite_rules import Mount

from .create import NotPublished, check_tag_name
from .manifest import load
from .origins import find_origins, read_origin
from .plan import decide
from .tag_read import origins_of, pool_bytes, read_origin_of_tag
from .verify import verify_tag


def list_tags(mount: Mount, as_json: bool) -> Outcome:
    """Each tag with its origins: serial, package count, pool size."""
    tags = []
    for tag in origins_of(mount.root):  # the root's visible directories
        rows = []
        for name in origins_of(os.path.join(mount.root, tag)):
            origin = read_origin_of_tag(os.path.join(mount.root, tag), name)
            size = pool_bytes(origin.basedir)
            rows.append(
                {"origin": name, "serials": list(origin.serials),
                 "codenames": [s.codename for s in origin.suites],
                 "packages": len(origin.entries), "bytes": size}
            )  # fmt: skip
        tags.append({"tag": tag, "origins": rows})
    if as_json:
        return Outcome((json.dumps({"mount": mount.url, "tags": tags}, indent=1),))
    lines = []
    for item in tags:
        for row in item["origins"]:
            serials = ",".join(row["serials"]) or "-"
            lines.append(
                f"{item['tag']}\t{row['origin']}\t{serials}\t{row['packages']} packages\t"
                f"{human(row['bytes'])}\t{' '.join(row['codenames'])}"
            )
    return Outcome(tuple(lines))


def verify(mount: Mount, mounts: tuple[Mount, ...], tag: str, manifest_path: str) -> Outcome:
    """Re-check a published tag; where the origins' serials are still on disk, each entry
    must be in every origin that has it, as create put it."""
    check_tag_name(tag)
    directory = os.path.join(mount.root, tag)
    if not os.path.isdir(directory):
        raise Refused(f"{mount.url}{tag}/: no such tag ({directory})")
    manifest = load(manifest_path)
    expected, notes = {}, []
    for name, origin_mount in find_origins(manifest, mounts).items():
        try:
            origin = read_origin(name, origin_mount, manifest.origins[name], manifest)
        except Failed as exc:
            notes.append(f"note: {exc}: where else it is found is not re-checked")
            continue
        for item in decide(manifest, {name: origin.suites}).origins:
            expected[item.origin] = item.entries
    problems = verify_tag(directory, manifest, expected, mount.keyring)
    if problems:
        said = f"{mount.url}{tag}/ does not match the manifest: {problems[0]}"
        raise NotPublished(said, [*notes, *problems])
    count = len(manifest.entries)
    said = f"{mount.url}{tag}/: ok, {count} manifest entries, signed, no Valid-Until"
    return Outcome((*notes, said))
