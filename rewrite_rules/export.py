"""The URL map as nginx or Apache configuration: `snapfront rules`. Pure, no I/O.

Both outputs are rendered from one route table built here from the same rule data as
`resolve` (constants, mount kinds, each archive's codenames and serials), so a stock web
server answers like snapfront: same file, same status, same Cache-Control. Routes are PCREs
over the decoded path, first match wins, grouped by mount (longest URL first); guards mirror
`paths.split_path` and run before any route.

Serials and codenames are enumerated as known now: the output must be regenerated (and the
web server reloaded) whenever a snapshot serial or a codename is added or removed.

Known differences from snapfront (both servers refuse, only the status differs, or a
symlink is refused even when it stays inside its root) are listed in the output's header.

This module plans: the routes of each mount kind, the front page's and the static assets'.
The values it plans with (Route, MountRoutes, GUARDS, the actions, the header) are in
rewrite_rules.export_routes, and are re-exported here for callers of `plan`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .export_apache import render as render_apache
from .export_nginx import render as render_nginx
from .export_routes import DENY, FILE, FIRST, GUARDS, REDIRECT, Guard, MountRoutes, Route, header
from .front import FRONT_NAMES, front_mount, generates_front
from .model import CacheClass, Mount, MountKind
from .names import INDEX_JSON
from .resolve import (
    BY_HASH,
    CHANGES,
    CHANGES_JSON,
    CHECKSUMS,
    DISTS,
    GENERATED_NAMES,
    INDEX_PAGE,
    KEYRING_NAME,
    LOCK_NAMES,
    POOL,
    RELEASE_FAMILY,
    REPREPRO_INTERNALS,
    SERIAL,
    SNAPSHOTS_DIR,
    TAGGED_AREAS,
    TEMPORARY_SUFFIXES,
    TRACE_DIR,
    Rules,
    mount_segments,
)
from .static import (
    ASSET_DIR,
    FINGERPRINT_CACHE,
    FINGERPRINTED,
    STATIC_CACHE,
    STATIC_URL,
    static_mount,
)

__all__ = [  # export_routes' names too: tests and callers of `plan` take them from here
    "DENY", "FILE", "FIRST", "GUARDS", "REDIRECT", "ExportError", "Guard", "MountRoutes",
    "Route", "export_apache", "export_nginx", "header", "plan",
]  # fmt: skip

SIGNED = CacheClass.SIGNED_METADATA

_UNSAFE = re.compile(r'[$%"\\\x00-\x1f\x7f]')


class ExportError(ValueError):
    """A path that the web server's configuration syntax cannot express safely."""


def plan(rules: Rules) -> tuple[MountRoutes, ...]:
    """Every mount's routes, longest mount URL first, as `resolve` would decide them."""
    for path in _paths(rules):
        if _UNSAFE.search(path):
            raise ExportError(f"cannot write {path!r} into a web server configuration")
    found = [*_static(rules), *(_Planner(rules, m).mount_routes() for m in rules.mounts)]
    if generates_front(rules):  # last: the shortest URL, after every mount
        found.append(_front_routes(rules))
    return tuple(found)


def _front_routes(rules: Rules) -> MountRoutes:
    """`/`, `/index.html`, `/index.json`: snapfront's generated front page (rewrite_rules.front);
    anything else no mount serves stays 404."""
    planner = _Planner(rules, front_mount(rules))
    names = f"^/({_alt(FRONT_NAMES)})$"
    output = rules.output.rstrip("/")
    files = Route(names, FIRST, (f"{output}/$1",), CacheClass.VOLATILE)
    description = "snapfront's front page (no mount is at /): every mount, from the output"
    return MountRoutes(planner.mount, "/", (planner.page("/"), files), description)


def _static(rules: Rules) -> tuple[MountRoutes, ...]:
    """/-/static/NAME → site/static/NAME, and a fingerprinted NAME → its copy in the output
    (rewrite_rules.static), before any mount's routes."""
    if not rules.static:
        return ()
    prefix = re.escape(STATIC_URL)
    shape = FINGERPRINTED.pattern.removeprefix("^").removesuffix("$")
    copy = f"{rules.output.rstrip('/')}/{ASSET_DIR}/$1"
    copies = Route(f"^{prefix}({shape})$", FILE, (copy,), FINGERPRINT_CACHE)
    route = Route(f"^{prefix}([^/]+)$", FILE, (f"{rules.static.rstrip('/')}/$1",), STATIC_CACHE)
    description = "snapfront's static assets (site/static; fingerprinted copies in the output)"
    return (MountRoutes(static_mount(rules), prefix, (copies, route), description),)


def _paths(rules: Rules) -> Iterable[str]:
    yield from (rules.output, rules.static)
    for mount in rules.mounts:
        yield from (mount.url, mount.root, mount.keyring or "")
        yield from rules.archive(mount).codenames


def _alt(names: Iterable[str]) -> str:
    return "(?:" + "|".join(re.escape(n) for n in sorted(names)) + ")"


def _lit(path: str | tuple[str, ...]) -> str:
    parts = path.split("/") if isinstance(path, str) else path
    return "/".join(re.escape(p) for p in parts)


class _Planner:
    def __init__(self, rules: Rules, mount: Mount) -> None:
        self.rules, self.mount = rules, mount
        self.prefix = "/" + "".join(re.escape(s) + "/" for s in mount_segments(mount))
        self.root = mount.root.rstrip("/")

    def mount_routes(self) -> MountRoutes:
        p, kind = self.prefix, self.mount.kind
        routes = [self.page(p)]
        if self.mount.keyring:
            routes.append(
                Route(
                    f"^{p}{re.escape(KEYRING_NAME)}$",
                    FILE,
                    (self.mount.keyring,),
                    CacheClass.SIGNED_METADATA,
                    (self.mount.keyring.rsplit("/", 1)[-1],),
                )
            )
        temporary = "|".join([f"[^/]*{_alt(TEMPORARY_SUFFIXES)}", _alt(LOCK_NAMES)])
        routes.append(Route(f"^{p}(?:.*/)?(?:{temporary})(?:/|$)", DENY))
        if kind is MountKind.REPOSITORY:
            routes.append(Route(f"^{p}{_alt(REPREPRO_INTERNALS)}(?:/|$)", DENY))
        routes.append(self.generated())
        by_kind = {
            MountKind.SNAPSHOTS: self.snapshots,
            MountKind.REPOSITORY: self.repository,
            MountKind.TAGGED: self.tagged,
            MountKind.FILES: self.files,
        }
        routes += by_kind[kind]()
        return MountRoutes(self.mount, p, tuple(routes))

    def page(self, pattern: str) -> Route:
        """A directory URL: the page the generator wrote at OUTPUT/<url path>/index.html."""
        target = self.rules.output.rstrip("/") + "$1" + INDEX_PAGE
        return Route(f"^({pattern})$", FIRST, (target,), CacheClass.VOLATILE, (INDEX_PAGE,))

    def generated(self) -> Route:
        """index.html, index.json, feed.atom: the generator's, else the root's (files, repos)"""
        output = self.rules.output.rstrip("/") + "$1$2"
        names = tuple(sorted(GENERATED_NAMES))
        pattern = f"^({self.prefix})((?:.*/)?{_alt(names)})$"
        if self.mount.kind in (MountKind.FILES, MountKind.REPOSITORY):
            targets: tuple[str, ...] = (output, f"{self.root}/$2")
            return Route(pattern, FIRST, targets, CacheClass.VOLATILE, names)
        return Route(pattern, FILE, (output,), CacheClass.VOLATILE, names)

    def data(self, pattern: str, rel: str, cache: CacheClass, names: tuple[str, ...] = ()) -> Route:
        return Route(pattern, FILE, (f"{self.root}/{rel}",), cache, names)

    def trace(self) -> Route:
        """Generated trace first, one that another tool wrote under the root second."""
        generated = f"{self.rules.output.rstrip('/')}{self.mount.url}{'/'.join(TRACE_DIR)}/$1"
        fallback = f"{self.root}/{'/'.join(TRACE_DIR)}/$1"
        pattern = f"^{self.prefix}{_lit(TRACE_DIR)}/([^/]+)$"
        return Route(pattern, FIRST, (generated, fallback), CacheClass.VOLATILE)

    def snapshots(self) -> list[Route]:
        p, pool, dists = self.prefix, re.escape(POOL), re.escape(DISTS)
        archive = self.rules.archive(self.mount)
        known = {s for s in archive.all_serials() if SERIAL.match(s)}
        routes = [self.page(f"{p}{pool}/(?:.*/)?"), self.page(f"{p}{_lit(TRACE_DIR)}/")]
        if known:
            any_serial = _alt(known)
            shared = f"{self.mount.url}{POOL}/$1"  # one pool, rendered once
            changes = f"{self.rules.output.rstrip('/')}{self.mount.url}$1/{CHANGES}/{INDEX_JSON}"
            routes += [
                self.page(f"{p}{any_serial}/(?:{dists}/|{re.escape(CHANGES)}/)?"),
                Route(f"^{p}{any_serial}/{pool}/(.*/)?$", REDIRECT, (shared,)),
                Route(  # /P/SERIAL/changes.json: the changes page's index.json
                    f"^{p}({_alt(known)})/{re.escape(CHANGES_JSON)}$",
                    FILE,
                    (changes,),
                    CacheClass.VOLATILE,
                    (INDEX_JSON,),
                ),
            ]
        # Longest codename first: "jessie/updates" claims its URLs before "jessie" could.
        for codename in sorted(archive.codenames, key=lambda c: (-c.count("/"), c)):
            serials = {s for s in archive.serials.get(codename, ()) if SERIAL.match(s)}
            if serials:
                routes += self.serial_routes(codename, serials)
            routes.append(Route(f"^{p}[^/]+/{dists}/{_lit(codename)}(?:/|$)", DENY))
        if self.mount.live:  # after the snapshots spelt as on disk, which it would refuse
            routes += self.live(archive.codenames)
        routes += [self.trace(), self.data(f"^{p}({pool}(?:/.*)?)$", "$1", CacheClass.IMMUTABLE)]
        if known:
            routes.append(
                self.data(f"^{p}{_alt(known)}/{pool}/(.+)$", f"{POOL}/$1", CacheClass.IMMUTABLE)
            )
        return routes

    def serial_routes(self, codename: str, serials: set[str]) -> list[Route]:
        """/P/SERIAL/dists/CODENAME/F and, spelt as it lies on disk, /P/dists/CODENAME/
        snapshots/SERIAL/F → dists/CODENAME/snapshots/SERIAL/F, in the same class; a directory
        of the latter is a 301 to the former's page."""
        p, name, dists = self.prefix, _lit(codename), re.escape(DISTS)
        serial, rel = _alt(serials), f"{DISTS}/{codename}/{SNAPSHOTS_DIR}/$1/$2"
        on_disk = f"{dists}/{name}/{re.escape(SNAPSHOTS_DIR)}"
        page = f"{self.mount.url}$1/{DISTS}/{codename}/$2"
        routes = [
            self.page(f"{p}{serial}/{dists}/{name}/(?:.*/)?"),
            Route(f"^{p}{on_disk}/({serial})/(.*/)?$", REDIRECT, (page,)),
        ]
        for spelling in (f"({serial})/{dists}/{name}", f"{on_disk}/({serial})"):
            release = self.data(f"^{p}{spelling}/({_alt(RELEASE_FAMILY)})$", rel, SIGNED)
            routes += [release, self.data(f"^{p}{spelling}/(.+)$", rel, CacheClass.IMMUTABLE)]
        return routes

    def live(self, codenames: Iterable[str]) -> list[Route]:
        """/P/dists/CODENAME/… → dists/CODENAME/…, never a codename's snapshots/ through it.
        (Timestamp URLs, /P/TIME/…, are not exported: their floor moves with each snapshot.)"""
        p, dists = self.prefix, re.escape(DISTS)
        routes = [self.page(f"{p}{dists}/"), self.data(f"^{p}({dists})$", "$1", SIGNED, (DISTS,))]
        for codename in sorted(codenames, key=lambda c: (-c.count("/"), c)):
            top = f"{dists}/{_lit(codename)}"
            by_hash = f"{top}/(?:.*/)?{re.escape(BY_HASH)}(?:/.*)?"
            routes += [
                Route(f"^{p}{top}/{re.escape(SNAPSHOTS_DIR)}(?:/|$)", DENY),
                self.page(f"{p}{top}/(?:.*/)?"),
                self.data(f"^{p}({by_hash})$", "$1", CacheClass.IMMUTABLE),
                self.data(f"^{p}({top}(?:/.*)?)$", "$1", SIGNED),
            ]
        return routes

    def repository(self) -> list[Route]:
        p = self.prefix
        immutable = f"(?:{re.escape(POOL)}|(?:.*/)?{re.escape(BY_HASH)})"
        return [  # reprepro's internals were refused before the generated names
            self.page(f"{p}.+/"),
            self.trace(),
            self.data(f"^{p}({immutable}(?:/.*)?)$", "$1", CacheClass.IMMUTABLE),
            self.data(f"^{p}({re.escape(DISTS)}(?:/.*)?)$", "$1", CacheClass.SIGNED_METADATA),
            self.data(f"^{p}(.+)$", "$1", CacheClass.FILES),
        ]

    def tagged(self) -> list[Route]:
        p, areas = self.prefix, _alt(TAGGED_AREAS)
        return [
            self.page(f"{p}[^/]+/(?:[^/]+/)?"),
            self.page(f"{p}[^/]+/[^/]+/{areas}/(?:.*/)?"),
            self.data(f"^{p}([^/]+/[^/]+/{areas}(?:/.*)?)$", "$1", CacheClass.IMMUTABLE),
        ]

    def files(self) -> list[Route]:
        p = self.prefix
        return [
            self.checksums(),
            self.page(f"{p}.+/"),
            self.data(f"^{p}(.+)$", "$1", CacheClass.FILES),
        ]

    def checksums(self) -> Route:
        """A directory's SHA256SUMS: the root's (the release manager's) first, else generated."""
        theirs = f"{self.root}/$1{CHECKSUMS}"
        generated = f"{self.rules.output.rstrip('/')}{self.mount.url}$1{CHECKSUMS}"
        pattern = f"^{self.prefix}((?:.*/)?){re.escape(CHECKSUMS)}$"
        return Route(pattern, FIRST, (theirs, generated), CacheClass.VOLATILE)


def export_nginx(rules: Rules, cache: Mapping[CacheClass, str], listen: str | None = None) -> str:
    return render_nginx(rules, plan(rules), cache, listen)


def export_apache(rules: Rules, cache: Mapping[CacheClass, str], listen: str | None = None) -> str:
    return render_apache(rules, plan(rules), cache, listen)
