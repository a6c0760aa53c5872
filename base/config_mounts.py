"""The [[mount]] tables of snapfront.toml (docs/urls.md: mount kinds): each one's url, kind,
root, trace, keyring and live, checked one key at a time so an error names `mount[N].KEY`.

A mixin of config._Parser: it borrows the parser's `fail`, `table`, `string` and `abspath`,
so these errors read exactly like every other config error."""

from __future__ import annotations

import os
import re
from typing import Any

from snapfront.rewrite_rules import Mount, MountKind
from snapfront.rewrite_rules.paths import RESERVED_PREFIX

_TRACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_KEYS = {"url", "kind", "root", "trace", "keyring", "live"}


class MountTables:
    """Parses `[[mount]]`; the host class supplies the primitive checks."""

    def fail(self, key: str, problem: str) -> Exception:
        raise NotImplementedError

    def table(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        raise NotImplementedError

    def string(self, value: Any, key: str) -> str:
        raise NotImplementedError

    def abspath(self, value: Any, key: str) -> str:
        raise NotImplementedError

    def mounts(self, value: Any) -> tuple[Mount, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("mount", "at least one [[mount]] is required")
        mounts: list[Mount] = []
        for index, item in enumerate(value):
            mount = self.mount(item, f"mount[{index}]")
            for other_index, other in enumerate(mounts):
                if other.url == mount.url:
                    raise self.fail(f"mount[{index}].url", f"duplicate of mount[{other_index}]")
            mounts.append(mount)
        return tuple(mounts)

    def mount(self, value: Any, key: str) -> Mount:
        item = self.table(value, key, _KEYS)
        for required in ("url", "kind", "root"):
            if required not in item:
                raise self.fail(f"{key}.{required}", "required")
        url = self.string(item["url"], f"{key}.url")
        inner = url.strip("/")
        if (
            not url.startswith("/")
            or not url.endswith("/")
            or "//" in url
            or any(seg.startswith(".") for seg in inner.split("/") if inner)
        ):
            problem = f'must start and end with "/" (like "/debian/"), got {url!r}'
            raise self.fail(f"{key}.url", problem)
        if (url + "/").startswith(RESERVED_PREFIX):
            problem = f"{RESERVED_PREFIX} is reserved for snapfront's own endpoints, got {url!r}"
            raise self.fail(f"{key}.url", problem)
        try:
            kind = MountKind(item["kind"])
        except ValueError:
            kinds = " | ".join(k.value for k in MountKind)
            problem = f"must be one of {kinds}, got {item['kind']!r}"
            raise self.fail(f"{key}.kind", problem) from None
        root = self.abspath(item["root"], f"{key}.root")
        if not os.path.isdir(root):
            raise self.fail(f"{key}.root", f"no such directory: {root}")
        trace = item.get("trace", inner.rsplit("/", 1)[-1] if inner else "archive")
        if not isinstance(trace, str) or not _TRACE_NAME.match(trace):
            given = "got" if "trace" in item else "required: the URL's last segment is no name:"
            raise self.fail(f"{key}.trace", f"must be a file name like 'debian', {given} {trace!r}")
        keyring = None
        if "keyring" in item:
            keyring = os.path.realpath(self.abspath(item["keyring"], f"{key}.keyring"))
            if not os.path.isfile(keyring):
                raise self.fail(f"{key}.keyring", f"no such file: {keyring}")
        live = item.get("live", True)
        if not isinstance(live, bool):
            raise self.fail(f"{key}.live", f"must be true or false, got {live!r}")
        if "live" in item and kind is not MountKind.SNAPSHOTS:
            raise self.fail(f"{key}.live", f"only a snapshots mount has a live archive, not {kind}")
        return Mount(url, kind, os.path.realpath(root), trace, keyring, live)
