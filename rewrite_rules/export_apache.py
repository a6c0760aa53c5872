"""`export.plan` as Apache httpd 2.4 configuration, mod_rewrite rules in server context.

Without `listen` the output is a fragment of directives for inside an existing
`<VirtualHost>`; with `listen` it is a complete `<VirtualHost HOST:PORT>` (the `Listen`
directive stays in ports.conf). MODULES lists what it needs; on Debian only rewrite and headers
are not enabled by default (`a2enmod rewrite headers`): the output says so at its top, and an
`Error` directive per missing module stops `apache2ctl configtest` with that line instead of an
"Invalid command" further down. Routes become `RewriteRule`s in order, each
ending the rewriting ([L]); a route's class travels in the SNAPFRONT_CLASS environment
variable to the `Header always set Cache-Control` lines. Apache refuses symlinks with 403
(`Options None`), and redirects with an absolute Location.

Content-Type is snapfront's (media_types.py through export_types), forced with
`ForceType` by file name: octet-stream, then the last extension, then the name rules (later
sections win), so no mime.types, AddType or AddCharset of the host's configuration applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .export_routes import DENY, FIRST, GUARDS, REDIRECT, SLASHES, MountRoutes, Route, header
from .export_types import DEFAULT, LAST_EXTENSION, OVERRIDES, media_of
from .model import CacheClass
from .resolve import Rules

MODULES = ("rewrite", "headers", "mime", "env", "dir", "authz_core")
ENABLE = "a2enmod rewrite headers"  # the two of MODULES that stock Debian leaves disabled

_ENCODINGS = ".gz .tgz .Z .bz2 .xz .lz .lzma .br .zst"
_REQUEST_LINE = r"^\S+\s+"  # THE_REQUEST is "METHOD TARGET PROTOCOL", the target as sent


def _q(text: str) -> str:
    """A quoted argument; export.plan already refused paths holding a double quote."""
    return f'"{text}"'


def render(
    rules: Rules,
    mounts: tuple[MountRoutes, ...],
    cache: Mapping[CacheClass, str],
    listen: str | None,
) -> str:
    body = [
        *_module_checks(),
        "",
        "RewriteEngine On",
        "MergeSlashes Off",
        "AllowEncodedSlashes NoDecode",
        "AcceptPathInfo Off",
        "DirectorySlash On",
        "# Never a Content-Encoding: APT would see a Hash Sum mismatch.",
        "SetEnv no-gzip 1",
        "SetEnv no-brotli 1",
        f"RemoveEncoding {_ENCODINGS}",
        "",
        *_cache_headers(cache),
        "",
        *_directories(rules),
        "",
        *_types(),
        "",
        *_guards(),
        *_mount_rules(mounts),
    ]
    out = [f"# {line}".rstrip() for line in header(rules, "Apache httpd")]
    out.append(f"# Needs {', '.join(f'mod_{m}' for m in MODULES)}: on Debian, {ENABLE}")
    if not listen:
        out += ["# Directives for inside a <VirtualHost>.", "", *body]
    else:
        out += ["", f"<VirtualHost {listen}>", *(f"    {line}".rstrip() for line in body)]
        out.append("</VirtualHost>")
    return "\n".join(out) + "\n"


def _cache_headers(cache: Mapping[CacheClass, str]) -> list[str]:
    lines = [
        "# Cache-Control: the class of the route that answered, volatile for redirects,",
        "# the error class (no-store) for every 4xx.",
    ]
    for cls in CacheClass:
        if cls is not CacheClass.ERROR:
            cond = f"%{{REQUEST_STATUS}} -lt 400 && reqenv('SNAPFRONT_CLASS') == '{cls}'"
            lines.append(f"Header always set Cache-Control {_q(cache[cls])} {_q('expr=' + cond)}")
    for cls, cond in [
        (CacheClass.VOLATILE, "%{REQUEST_STATUS} -eq 301"),
        (CacheClass.ERROR, "%{REQUEST_STATUS} -ge 400 && %{REQUEST_STATUS} -lt 500"),
    ]:
        lines.append(f"Header always set Cache-Control {_q(cache[cls])} {_q('expr=' + cond)}")
    return lines


def _guards() -> list[str]:
    """The request path's refusals, then the 301 that merges a run of "/"."""
    lines = ["# The request path, in the order of split_path."]
    for guard in GUARDS:
        if guard.raw:
            lines.append(f"RewriteCond %{{THE_REQUEST}} {_q(_REQUEST_LINE + guard.pattern[1:])}")
            lines.append(f"RewriteRule ^ - [R={guard.status},L]")
        else:
            negate = "!" if guard.negate else ""
            lines.append(f"RewriteRule {_q(negate + guard.pattern)} - [R={guard.status},L]")
    lines.append("# A run of /: 301 to the path as sent with it made one (the query passes on).")
    lines.append(f"RewriteCond %{{THE_REQUEST}} {_q(_REQUEST_LINE + SLASHES[1:])}")
    lines.append(f"RewriteRule ^ {_q('%1/%2')} [R=301,NE,L]")
    return lines


def _mount_rules(mounts: tuple[MountRoutes, ...]) -> list[str]:
    """Each mount's routes, then a 404 for the rest of its prefix (and of "/" without one)."""
    lines = []
    for mount in mounts:
        url = mount.mount.url
        lines += ["", f"# {url}: {mount.description}"]
        if url != "/":
            lines.append(f"RewriteRule {_q('^' + mount.prefix[:-1] + '$')} {_q(url)} [R=301,L]")
        for route in mount.routes:
            lines += _rule(route)
        lines.append(f"RewriteRule {_q('^' + mount.prefix)} - [R=404,L]")
    if all(m.mount.url != "/" for m in mounts):
        lines.append("RewriteRule ^ - [R=404,L]")
    return lines


def _module_checks() -> list[str]:
    """Without a module, configtest stops here, naming the command that enables it."""
    lines = []
    for module in MODULES:
        enable = ENABLE if module in ENABLE.split() else f"a2enmod {module}"
        lines += [f"<IfModule !{module}_module>"]
        lines += [f'    Error "snapfront needs mod_{module}: {enable}, then reload apache2"']
        lines += ["</IfModule>"]
    return lines


def _types() -> list[str]:
    """snapfront's Content-Type for every file this host serves (later sections win)."""
    lines = ["# snapfront's media types (rewrite_rules/media_types.py), by file name."]
    lines += ['<Files "*">', f"    ForceType {_q(DEFAULT)}", "</Files>"]
    by_media: dict[str, list[str]] = {}
    for ext, media in sorted(LAST_EXTENSION.items()):
        by_media.setdefault(media, []).append(re.escape(ext))
    sections = [(f"(?i)\\.(?:{'|'.join(exts)})$", m) for m, exts in by_media.items()]
    sections += [(rule.pattern, rule.media) for rule in reversed(OVERRIDES)]
    for pattern, media in sections:
        lines += [f"<FilesMatch {_q(pattern)}>", f"    ForceType {_q(media)}", "</FilesMatch>"]
    return lines


def _directories(rules: Rules) -> list[str]:
    """Access to the roots, the output and the keyrings: only what the rewrites name is served."""
    lines = []
    static = [rules.static] if rules.static else []  # /-/static/: site/static/
    for path in dict.fromkeys([rules.output, *(m.root for m in rules.mounts), *static]):
        lines += [f"<Directory {_q(path)}>", "    Require all granted", "    Options None"]
        lines += ["    AllowOverride None", "</Directory>"]
    for keyring in sorted({m.keyring for m in rules.mounts if m.keyring}):
        folder, name = keyring.rsplit("/", 1)
        lines += [f"<Directory {_q(folder or '/')}>", f"    <Files {_q(name)}>"]
        lines += ["        Require all granted", f"        ForceType {_q(media_of(name))}"]
        lines += ["    </Files>", "</Directory>"]
    return lines


def _rule(route: Route) -> list[str]:
    pattern = _q(route.pattern)
    if route.action == DENY:
        return [f"RewriteRule {pattern} - [R=404,L]"]
    if route.action == REDIRECT:
        return [f"RewriteRule {pattern} {_q(route.targets[0])} [R=301,L]"]
    flags = f"[E=SNAPFRONT_CLASS:{route.cache},L]"
    lines = []
    if route.action == FIRST:
        for target in route.targets[:-1]:
            lines += [f"RewriteCond {_q(target)} -f", f"RewriteRule {pattern} {_q(target)} {flags}"]
    return [*lines, f"RewriteRule {pattern} {_q(route.targets[-1])} {flags}"]
