"""`export.plan` as nginx configuration: one `map` and one `server {}` block.

The output goes inside `http {}` (`include /etc/nginx/snapfront.conf;`), once per `http {}`
(the map variable is global). It sets no `server_name`: add one, or keep it the default
server. Without `listen` nginx uses *:80. Workers must be able to read the roots.
Each mount is a prefix location whose nested regex locations are the mount's routes in order
(first match wins) and whose own answer is 404. Cache-Control comes from one server-level
`add_header … always` over a map of $status, evaluated when the header is sent: the class of
the location that answered, `no-store` (the error class) for every 4xx, and the volatile class
for redirects, as snapfront sends them.

Content-Type is snapfront's (media_types.py through export_types): the server block's
own `types {}` (it replaces the http-level mime.types for this server only; every URL of this
server is snapfront's) maps the last extension; a route serving names that the last extension
does not decide (InRelease, Contents-amd64, debian-archive-keyring.gpg) is preceded by a copy
per name rule, whose lookahead picks those names and whose empty `types {}` and
`default_type` give their type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .export_routes import DENY, FIRST, GUARDS, REDIRECT, SLASHES, MountRoutes, Route, header
from .export_types import DEFAULT, LAST_EXTENSION, OVERRIDES, in_path, media_of
from .model import CacheClass
from .resolve import Rules

_CLASS = "$snapfront_class_cc"


def _q(text: str) -> str:
    """A quoted nginx token: the config parser turns \\\\ into \\ and \\" into "."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(
    rules: Rules,
    mounts: tuple[MountRoutes, ...],
    cache: Mapping[CacheClass, str],
    listen: str | None,
) -> str:
    out = [f"# {line}".rstrip() for line in header(rules, "nginx")]
    out += [
        "# Include inside http {}: one map and one server block.",
        "",
        "map $status $snapfront_cc {",
        f"    ~^4 {_q(cache[CacheClass.ERROR])};",
        f"    301 {_q(cache[CacheClass.VOLATILE])};",
        f"    default {_CLASS};",
        "}",
        "",
        "server {",
    ]
    if listen:
        out.append(f"    listen {listen};")
    out += [
        "    absolute_redirect off;  # Location: /path, as snapfront sends it",
        "    merge_slashes off;  # a run of / is a 301 below: one URL, one cache key",
        "    server_tokens off;  # Server: nginx, no version",
        "    disable_symlinks on;  # nginx cannot tell a symlink that leaves its root: none",
        "    error_page 403 =404 @snapfront_not_found;  # a refused symlink is simply absent",
        "    autoindex off;",
        "    gzip off;  # never a Content-Encoding: APT would see a Hash Sum mismatch",
        "    gzip_static off;",
        "    add_header Cache-Control $snapfront_cc always;",
        f'    set {_CLASS} "";',
        "",
        "    # snapfront's media types, for this server only (they replace mime.types here).",
        *_types(),
        "",
        "    # The request path, checked in the order of rewrite_rules.paths.split_path.",
    ]
    for guard in GUARDS:
        op = "!~" if guard.negate else "~"
        var = "$request_uri" if guard.raw else "$uri"
        out.append(f"    if ({var} {op} {_q(guard.pattern)}) {{ return {guard.status}; }}")
    out.append(
        f"    if ($request_uri ~ {_q(SLASHES)}) {{ return 301 {_q('$1/$2$is_args$args')}; }}"
    )
    out += ["", "    location @snapfront_not_found { return 404; }"]
    for mount in mounts:
        url = mount.mount.url
        out.append("")
        out.append(f"    # {url}: {mount.description}")
        if url != "/":
            target = _q(url + "$is_args$args")
            out.append(f"    location = {_q(url[:-1])} {{ return 301 {target}; }}")
        out.append(f"    location {_q(url)} {{")
        for route in mount.routes:
            out += [f"        {line}" for line in _location(route, cache)]
        out += ["        return 404;", "    }"]
    if all(m.mount.url != "/" for m in mounts):
        out += ["", "    location / { return 404; }"]
    out.append("}")
    return "\n".join(out) + "\n"


def _types() -> list[str]:
    by_media: dict[str, list[str]] = {}
    for ext, media in sorted(LAST_EXTENSION.items()):
        by_media.setdefault(media, []).append(ext)
    lines = ["    types {"]
    lines += [f"        {_q(media)} {' '.join(exts)};" for media, exts in by_media.items()]
    return [*lines, "    }", f"    default_type {_q(DEFAULT)};"]


def _location(route: Route, cache: Mapping[CacheClass, str]) -> list[str]:
    head = f"location ~ {_q(route.pattern)} {{"
    if route.action == DENY:
        return [f"{head} return 404; }}"]
    if route.action == REDIRECT:
        return [f"{head} return 301 {_q(route.targets[0] + '$is_args$args')}; }}"]
    rules = OVERRIDES  # for names the last extension does not decide; first match wins
    if route.names:  # the names it serves are known: their type outright, or fewer rules
        media = {media_of(name) for name in route.names}
        if len(media) == 1:
            return _serve(route, cache, head, media.pop())
        rules = tuple(r for r in rules if any(re.search(r.pattern, n) for n in route.names))
    lines = []
    for rule in rules:
        pattern = "^" + in_path(rule) + route.pattern.removeprefix("^")
        lines += _serve(route, cache, f"location ~ {_q(pattern)} {{", rule.media)
    return [*lines, *_serve(route, cache, head)]


def _serve(
    route: Route, cache: Mapping[CacheClass, str], head: str, media: str | None = None
) -> list[str]:
    assert route.cache is not None
    body = [f"set {_CLASS} {_q(cache[route.cache])};"]
    if media is not None:
        body.append(f"types {{ }} default_type {_q(media)};")
    if route.action == FIRST:
        files = " ".join(_q(t) for t in route.targets)
        body += ["root /;", f"try_files {files} =404;"]
    else:
        body.append(f"alias {_q(route.targets[0])};")
    return [head, *(f"    {line}" for line in body), "}"]
