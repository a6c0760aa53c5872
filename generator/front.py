"""The host's front door: every mount reachable from `/`, and the URL map's say on links.

The page at `/` carries a Repositories section (each mount, its kind, keyring and newest
complete serial, the one its trace names): on the page of the mount at `/` when there is one,
else on a page snapfront generates itself (served by rewrite_rules.front). Breadcrumbs are
built from the URL alone (pages.breadcrumbs); a parent URL that the URL map does not answer
(/P/project/, the `jessie` of `jessie/updates`) becomes plain text here, so no breadcrumb is
a dead link.
"""

from __future__ import annotations

from dataclasses import replace

from snapfront.basedir.release import newest_complete_serial
from snapfront.rewrite_rules import Miss, Rules, resolve
from snapfront.rewrite_rules.front import FRONT_URL
from snapfront.rewrite_rules.resolve import KEYRING_NAME

from .model import Link, Page, Repository
from .pages import Output, page

FRONT_NOTE = "The repositories and release trees this host serves."


def repositories(rules: Rules) -> tuple[Repository, ...]:
    """Every mount, by URL; a snapshots mount's newest complete serial (the trace's)."""
    found = []
    for mount in sorted(rules.mounts, key=lambda m: m.url):
        traced = newest_complete_serial(mount.root, rules.archive(mount), mount.keyring)
        newest = traced[0] if traced else None
        found.append(
            Repository(
                mount.url,
                mount.kind.value,
                Link(KEYRING_NAME, mount.url + KEYRING_NAME) if mount.keyring else None,
                Link(newest, f"{mount.url}{newest}/") if newest else None,
            )
        )
    return tuple(found)


def front_page(rules: Rules) -> Page:
    """`/` when no mount is there: the Repositories section alone."""
    return page(FRONT_URL, repositories=repositories(rules), note=FRONT_NOTE)


class Linker:
    """Finishes each output before it is written: unlinks breadcrumbs that lead nowhere and
    puts the Repositories section on the page at `/`. One per build (it remembers answers)."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._answers: dict[str, bool] = {}
        self._repositories: tuple[Repository, ...] | None = None

    def finish(self, output: Output) -> Output:
        if not isinstance(output, Page):
            return output
        *parents, last = output.breadcrumbs
        crumbs = tuple(c if self.answers(c.href) else Link(c.label, "") for c in parents)
        fields: dict[str, object] = {"breadcrumbs": (*crumbs, last)}
        if output.url == FRONT_URL and not output.repositories:
            if self._repositories is None:
                self._repositories = repositories(self.rules)
            fields["repositories"] = self._repositories
        return replace(output, **fields)

    def answers(self, url: str) -> bool:
        """Whether the URL map answers `url` with something (a page or a redirect)."""
        if url not in self._answers:
            self._answers[url] = not isinstance(resolve(self.rules, url), Miss)
        return self._answers[url]
