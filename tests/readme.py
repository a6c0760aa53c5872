"""The README's shell examples, as tests run them: the "Try it" section's first command and the
blocks after it, and every other block that talks to the demo (it reads `snapfront-demo/url`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
TRY_IT = "## Try it"
DEMO_URL = "snapfront-demo/url"
FENCE = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
MARK = "::readme block "


@dataclass(frozen=True)
class Examples:
    first: str  # the first line of the first block: the command that starts the demo
    blocks: tuple[str, ...]  # then, in the README's order, to run in one shell


def examples(text: str | None = None) -> Examples:
    text = README.read_text() if text is None else text
    start = text.index(TRY_IT)
    end = text.index("\n## ", start + len(TRY_IT))
    found = [(m.start(), m.group(1)) for m in FENCE.finditer(text)]
    try_it = [block for at, block in found if start < at < end]
    others = [block for at, block in found if not start < at < end and DEMO_URL in block]
    return Examples(try_it[0].splitlines()[0], tuple(try_it[1:] + others))


def script(blocks: tuple[str, ...]) -> str:
    """One shell script: each block as printed, after a line that marks where its output
    starts (split it with `outputs`)."""
    return "".join(f"echo '{MARK}{i}'\n{block}" for i, block in enumerate(blocks))


def outputs(output: str) -> list[str]:
    """The output of `script`, one string per block."""
    parts = re.split(rf"^{MARK}\d+\n", output, flags=re.M)
    return parts[1:]
