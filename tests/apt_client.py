"""Real apt-get with a private root: its own sources, lists and cache, no host config."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APT_TIMEOUT = 120

WORDINGS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "missing key": (
        ("apt 2.6 (gpgv)", re.compile(r"NO_PUBKEY [0-9A-F]+")),
        ("apt 3 (sqv)", re.compile(r"Missing key [0-9A-F]+, which is needed to verify signature")),
    ),
    "expired": (("apt 2.6 and 3", re.compile(r"is expired \(invalid since [^)]*\)")),),
    "hash sum mismatch": (("apt 2.6 and 3", re.compile(r"Hash Sum mismatch")),),
}
"""What apt prints for each of these, in the wording of each apt the tests meet: Debian 12's
apt 2.6 checks signatures with gpgv, Debian 13's apt 3.0 with sqv, and words a missing key
differently."""


@dataclass
class AptResult:
    returncode: int
    output: str

    def problems(self) -> list[str]:
        """Lines APT prints when something is wrong: warnings, errors, failed fetches."""
        return [
            line
            for line in self.output.splitlines()
            if line.startswith(("W:", "E:", "Err:", "Ign:")) or "Hash Sum mismatch" in line
        ]

    def saw(self, what: str) -> str:
        """The words for `what` (a WORDINGS key) in apt's output, printed with the apt they
        are from; AssertionError with the whole output when no apt's wording is there."""
        for apt, pattern in WORDINGS[what]:
            if match := pattern.search(self.output):
                print(f"apt said {what!r} in the words of {apt}: {match[0]!r}")
                return match[0]
        raise AssertionError(f"apt did not say {what!r} in any wording known:\n{self.output}")

    def lines(self, prefix: str) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith(prefix)]


class AptRoot:
    """One APT client: `deb` lines in, `update`, `download` and `source` out, like a user."""

    def __init__(
        self,
        root: Path,
        sources: list[str],
        settings: Mapping[str, object] | None = None,
        installs: bool = False,
    ) -> None:
        """`settings`: more apt.conf options (`Acquire::https::CaInfo` …), over the defaults.
        `installs`: `apt-get install` unpacks into the empty system ROOT/target (dpkg --root,
        its own database there), never into this machine's."""
        self.root = root
        for sub in ("lists/partial", "cache/archives/partial", "parts", "prefs", "sources.d"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        status = root / "status"
        if installs:
            self.target = root / "target"
            for sub in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log"):
                (self.target / sub).mkdir(parents=True, exist_ok=True)
            status = self.target / "var/lib/dpkg/status"
        status.write_text("")
        (root / "sources.list").write_text("".join(line + "\n" for line in sources))
        arch = subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
        ).stdout.strip()
        conf: dict[str, object] = {
            "Dir::State": root,
            "Dir::State::Lists": root / "lists",
            "Dir::State::status": status,
            "Dir::Cache": root / "cache",
            "Dir::Etc::SourceList": root / "sources.list",
            "Dir::Etc::SourceParts": root / "sources.d",
            "Dir::Etc::Parts": root / "parts",
            "Dir::Etc::Preferences": root / "preferences",
            "Dir::Etc::PreferencesParts": root / "prefs",
            "APT::Architecture": arch,
            "APT::Architectures": arch,
            "APT::Sandbox::User": "root",
            "Acquire::Languages": "none",
            "Acquire::http::Proxy": "DIRECT",
            "Acquire::Retries": "0",
            "Debug::NoLocking": "1",
            **(settings or {}),
        }
        text = "".join(f'{k} "{v}";\n' for k, v in conf.items())
        if installs:
            for option in (f"--root={self.target}", f"--log={self.target}/var/log/dpkg.log"):
                text += f'DPkg::Options:: "{option}";\n'
        (root / "apt.conf").write_text(text)

    def run(self, *args: str, cwd: Path | None = None) -> AptResult:
        env = {**os.environ, "APT_CONFIG": str(self.root / "apt.conf"), "LC_ALL": "C.UTF-8"}
        result = subprocess.run(
            ["apt-get", "-q", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd or self.root,
            timeout=APT_TIMEOUT,
        )
        return AptResult(result.returncode, result.stdout + result.stderr)

    def cache(self, *args: str) -> str:
        env = {**os.environ, "APT_CONFIG": str(self.root / "apt.conf"), "LC_ALL": "C.UTF-8"}
        return subprocess.run(
            ["apt-cache", *args], capture_output=True, text=True, env=env, check=True, timeout=60
        ).stdout

    def candidate(self, package: str) -> str:
        for line in self.cache("policy", package).splitlines():
            if line.strip().startswith("Candidate:"):
                return line.split(":", 1)[1].strip()
        return ""
