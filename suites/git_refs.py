"""A Git repository's branches and tags (`git ls-remote`: a path or a URL, no checkout)."""

from __future__ import annotations

from snapfront.basedir import tools


def parse_refs(text: str) -> tuple[list[str], list[str]]:
    """`git ls-remote --heads --tags` → (branches, tags); peeled `^{}` lines dropped. Pure."""
    branches, tags = [], []
    for line in text.splitlines():
        _sha, _, ref = line.partition("\t")
        if ref.startswith("refs/heads/"):
            branches.append(ref.removeprefix("refs/heads/"))
        elif ref.startswith("refs/tags/") and not ref.endswith("^{}"):
            tags.append(ref.removeprefix("refs/tags/"))
    return sorted(set(branches)), sorted(set(tags))


def read_refs(repository: str) -> tuple[list[str], list[str]]:
    out = tools.run(["git", "ls-remote", "--heads", "--tags", repository], timeout=120).stdout
    return parse_refs(out)
