"""What each output URL last rendered to, kept on disk: a rebuild of an unchanged tree
renders nothing (see build.Builder._write)."""

from __future__ import annotations

import functools
import hashlib
import json
import os

from snapfront import __version__
from snapfront.base.atomic import STATE_DIR, atomic_write

from .pages import Output
from .render import site_dir


class RenderMemo:
    """What each URL's output was when last written, by a digest stable across processes.

    The digest covers the value (its repr: frozen dataclasses of plain data) and a salt of
    snapfront's version and templates, so an upgrade or a template edit renders everything
    again. Stored in the output's state directory, written atomically like everything else.
    """

    def __init__(self, output: str) -> None:
        self.path = os.path.join(output, STATE_DIR, "rendered.json")
        self.salt = template_salt()
        self._shown: dict[str, tuple[str, tuple]] = {}
        self._dirty = False
        try:
            with open(self.path, encoding="utf-8") as fh:
                stored = json.load(fh)
            if stored.get("salt") == self.salt:
                self._shown = {url: (d, _tuples(s)) for url, (d, s) in stored["shown"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            pass

    def digest(self, output: Output) -> str:
        return hashlib.blake2b(repr(output).encode(), digest_size=16).hexdigest()

    def get(self, url: str) -> tuple[str, tuple] | None:
        return self._shown.get(url)

    def set(self, url: str, digest: str, stamps: tuple) -> None:
        self._shown[url] = (digest, stamps)
        self._dirty = True

    def save(self) -> None:
        if self._dirty:
            data = {"salt": self.salt, "shown": self._shown}
            atomic_write(self.path, json.dumps(data, sort_keys=True).encode())
            self._dirty = False


def _tuples(stamps: list) -> tuple:
    return tuple(tuple(s) if s is not None else None for s in stamps)


@functools.cache
def template_salt() -> str:
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    for path in sorted(p for p in site_dir().rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()
