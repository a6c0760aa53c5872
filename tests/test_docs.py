"""Everything the repository refers a reader to is in the repository: no file names notes kept
elsewhere, every link in README.md and docs/ leads to a file and heading that exist, and every
`(README: Section)` or `(docs/urls.md: section)` pointer in the code names a real section.
Pure: reads the checkout's files, as git lists them (tracked and new, nothing ignored)."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.live

CHECKOUT = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve().relative_to(CHECKOUT).as_posix()
OUTSIDE = re.compile(
    r"\b(?:DESIGN|OPERATIONS|LIFECYCLE|TIMETRAVEL|FACTS|STYLE)(?:\.md\b|:|'s\b)"
    r"|\.\./shared\b|/work/shared\b"
)
"""Developer notes that live outside the repository, by file name or cited as `DESIGN: X`."""
LINK = re.compile(r"\]\(([^)\s]+)\)")
POINTER = re.compile(r"\((?:[^()]*?; )?(README|docs/[a-z]+\.md): ([^);\n]+)")
HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.M)


@cache
def files() -> tuple[str, ...]:
    git = shutil.which("git")
    assert git, "git is missing: apt-get install git"
    listed = subprocess.run(
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=CHECKOUT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    return tuple(name for name in listed.split("\0") if name and (CHECKOUT / name).is_file())


def text(name: str) -> str:
    return (CHECKOUT / name).read_bytes().decode("utf-8", "replace")


def headings(name: str) -> list[str]:
    """A Markdown file's headings as plain text (no backticks), outside code blocks."""
    prose = re.sub(r"^```.*?^```", "", text(name), flags=re.S | re.M)
    return [title.replace("`", "") for title in HEADING.findall(prose)]


def anchor(title: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def test_no_file_refers_to_notes_outside_the_repository() -> None:
    found = [
        f"{name}:{number}: {line.strip()}"
        for name in files()
        if name != THIS
        for number, line in enumerate(text(name).splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not found, "say it in docs/ or the README instead:\n" + "\n".join(found)


def test_every_link_in_the_readme_and_docs_leads_to_a_file_and_heading() -> None:
    pages = ["README.md", *(n for n in files() if n.startswith("docs/") and n.endswith(".md"))]
    assert len(pages) > 3, pages  # README.md and docs/architecture.md, urls.md, operations.md
    broken = []
    for page in pages:
        for target in LINK.findall(text(page)):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, fragment = target.partition("#")
            linked = (CHECKOUT / page).parent / path if path else CHECKOUT / page
            name = linked.resolve().relative_to(CHECKOUT).as_posix()
            if not linked.exists():
                broken.append(f"{page}: {target}: no file {name}")
            elif fragment and fragment not in {anchor(h) for h in headings(name)}:
                broken.append(f"{page}: {target}: no heading #{fragment} in {name}")
    assert not broken, "\n".join(broken)


def test_every_section_pointer_in_the_code_names_a_section() -> None:
    """`(README: TLS, certbot)` holds when a heading of README.md starts that text or that text
    starts a heading, whatever the case: a renamed section fails here, not in a reader's hands."""
    pointers = 0
    wrong = []
    for name in (n for n in files() if n != THIS):
        for number, line in enumerate(text(name).splitlines(), 1):
            for cited, section in POINTER.findall(line):
                pointers += 1
                target = "README.md" if cited == "README" else cited
                said = section.strip().rstrip(".,").lower()
                titles = [t.lower() for t in headings(target)] if target in files() else []
                if not any(t.startswith(said) or said.startswith(t) for t in titles):
                    wrong.append(f"{name}:{number}: {cited}: {section.strip()}")
    assert pointers > 20, pointers  # the pattern still finds them
    assert not wrong, "no such section:\n" + "\n".join(wrong)
