"""Build a realistic sample APT host with the real Debian tools.

`snapfront demo` and the test-suite need an archive that APT itself would accept: real
signatures, real reprepro snapshots, real .deb/.dsc files. Hand-written indexes would only
test our own assumptions, so reprepro writes them and gpg signs (the packages and tarballs:
snapfront.sample_files). Nothing may prompt: gpg runs in batch mode with loopback pinentry and
a key without passphrase. Every tool it runs is in the Debian package's Depends or Essential.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from snapfront.basedir import tools
from snapfront.basedir.tools import MissingTool, ToolError
from snapfront.sample_files import MAINTAINER, make_deb, make_source, make_tarball
from snapfront.suites import history

__all__ = ["MAINTAINER", "MissingTool", "SampleHost", "ToolError", "build_sample_host",
           "make_deb", "make_source", "make_tarball", "require_tools"]  # fmt: skip
"""MissingTool and ToolError are basedir.tools' own: callers catch them from here too, as
they take the package makers (snapfront.sample_files)."""

TOOLS = ("reprepro", "gpg", "gpg-agent", "gpgconf", "dpkg-deb", "tar", "gzip")
RELEASES = {"1.9": ["1.9.0"], "1.10": ["1.10.0"], "1.41": ["1.41.0", "1.41.1"]}
KEY_PARAMS = (  # gpg --generate-key --batch parameters: no passphrase, so nothing prompts
    "%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nExpire-Date: 0\n"
    "Name-Real: snapfront demo archive key\nName-Email: demo@example.invalid\n%commit\n"
)


def require_tools() -> None:
    """Fail early, naming the Debian packages, rather than half-way through a build."""
    tools.require(*TOOLS)


def _run(args: list[str | Path], cwd: Path | None = None, stdin: str = "", **env: str) -> str:
    """Run a command with closed stdin (it cannot prompt); raise ToolError with its stderr."""
    return tools.run(args, cwd=cwd, stdin=stdin, env=env).stdout


def _gpg(gnupghome: Path, *args: str | Path, stdin: str = "") -> str:
    return tools.gpg(gnupghome, *args, stdin=stdin)


def make_key(gnupghome: Path) -> str:
    """Create a throwaway, passphrase-less ed25519 signing key; return its fingerprint."""
    socket = _run(["gpgconf", "--list-dirs", "agent-extra-socket"], GNUPGHOME=str(gnupghome))
    if len(socket.strip().encode()) > 107:  # sun_path; gpg itself only says "No agent running"
        raise ToolError(f"path too long for gpg-agent's socket: {socket.strip()}")
    gnupghome.mkdir(mode=0o700, parents=True, exist_ok=True)
    gnupghome.chmod(0o700)
    status = _gpg(gnupghome, "--status-fd", "1", "--generate-key", stdin=KEY_PARAMS)
    created = [line.split()[3] for line in status.splitlines() if "KEY_CREATED" in line]
    return created[0]


def sign_file(gnupghome: Path, fingerprint: str, path: Path, armor: bool = False) -> Path:
    """Detached signature next to PATH: binary NAME.sig, or armored NAME.asc."""
    sig = path.with_name(path.name + (".asc" if armor else ".sig"))
    flags = ["--armor"] if armor else []
    _gpg(gnupghome, "--local-user", fingerprint, *flags, "--output", sig, "--detach-sign", path)
    return sig


def stop_agent(gnupghome: Path) -> None:
    """Kill the gpg-agent of GNUPGHOME so no daemon outlives the build (gpg restarts it)."""
    home = str(gnupghome)
    _run(["gpgconf", "--kill", "all"], GNUPGHOME=home)
    socket = Path(_run(["gpgconf", "--list-dirs", "agent-socket"], GNUPGHOME=home).strip())
    for _ in range(200):  # --kill can return before the agent has exited; its socket goes last
        if not socket.exists():
            return
        time.sleep(0.01)


def reprepro(basedir: Path, gnupghome: Path, *args: str) -> None:
    """Run reprepro on BASEDIR, signing with the key in GNUPGHOME; raise ToolError on failure."""
    tools.reprepro(basedir, *args, gnupghome=gnupghome)


def write_distributions(basedir: Path, dists: list[dict[str, str]]) -> None:
    """Write BASEDIR/conf/distributions, one stanza per dict (keys are reprepro field names)."""
    (basedir / "conf").mkdir(parents=True, exist_ok=True)
    stanzas = ["".join(f"{key}: {value}\n" for key, value in dist.items()) for dist in dists]
    (basedir / "conf" / "distributions").write_text("\n".join(stanzas))


@dataclass(frozen=True)
class SampleHost:
    """Where build_sample_host put things; all paths are absolute."""

    dir: Path
    config: Path
    keyring: Path
    gnupghome: Path
    fingerprint: str
    serials: tuple[str, str]
    snapshots_root: Path
    repository_root: Path
    tagged_root: Path
    files_root: Path
    output: Path


@dataclass
class _Archive:
    """One reprepro basedir being filled; packages are built once per build in WORK."""

    host: SampleHost
    basedir: Path
    work: Path
    codenames: tuple[str, ...] = ()

    def configure(self, label: str, *codenames: str) -> None:
        base = {"Origin": "snapfront demo", "Label": label, "Components": "main"}
        base |= {"Architectures": "amd64 source", "Description": f"{label} (sample)"}
        base |= {"SignWith": self.host.fingerprint, "ValidFor": "365d"}
        write_distributions(self.basedir, [{"Codename": c, **base} for c in codenames])
        self.codenames = codenames

    def add(self, codename: str, name: str, version: str, source: bool = False) -> None:
        pkgdir = self.work / f"{name}_{version}"
        pkgdir.mkdir(exist_ok=True)
        deb = next(pkgdir.glob("*.deb"), None) or make_deb(pkgdir, name, version)
        self.run("includedeb", codename, str(deb))
        if source:  # Section/Priority come from the .dsc's Package-List
            dsc = next(pkgdir.glob("*.dsc"), None) or make_source(pkgdir, name, version)
            self.run("includedsc", codename, str(dsc))

    def snapshot(self, serial: str) -> None:
        for codename in self.codenames:
            self.run("gensnapshot", codename, serial)

    def run(self, *args: str) -> None:
        reprepro(self.basedir, self.host.gnupghome, *args)


def _build_archives(host: SampleHost, work: Path) -> None:
    """Snapshots (two serials per codename, differing), the repository and the tag 5.0."""
    snapshots = _Archive(host, host.snapshots_root, work)
    snapshots.configure("Debian snapshots", "bookworm", "jessie/updates")
    old, new = host.serials
    snapshots.add("bookworm", "hello", "1.0-1", source=True)
    snapshots.add("jessie/updates", "hello", "0.9+deb8u1", source=True)  # "+": %2b in APT URLs
    snapshots.snapshot(old)
    snapshots.add("bookworm", "hello", "1.1~rc1-1", source=True)  # replaces 1.0-1; "~": %7e
    snapshots.add("jessie/updates", "hello-tools", "0.9+deb8u2")
    snapshots.snapshot(new)
    repository = _Archive(host, host.repository_root, work)
    repository.configure("MediaWiki", "bookworm-mediawiki")
    repository.add("bookworm-mediawiki", "mediawiki-tools", "1.0-1")
    # Its suite's page shows a history: the package came without `snapfront suite`, and is
    # recorded as the next suite command would find it (suites.history).
    came = {"mediawiki-tools": "1.0-1"}
    history.record(host.repository_root, "bookworm-mediawiki", "outside", {}, came, time.time())
    tagged = _Archive(host, host.tagged_root / "5.0" / "debian", work)
    tagged.configure("Debian 5.0", "bookworm")
    tagged.add("bookworm", "hello", "1.0-1")


def _release_files(version: str) -> dict[str, str]:
    """A few KB of deterministic, poorly compressible text standing in for a release."""
    lines = (hashlib.sha256(f"{version}/{i}".encode()).hexdigest() for i in range(64))
    notes = "".join(f"* Change {n}\n" for n in lines)
    return {"README": f"MediaWiki {version} (sample)\n", f"RELEASE-NOTES-{version}": notes}


def _build_files(host: SampleHost) -> None:
    """Release tarballs with binary detached signatures; the newest also armored."""
    for branch, versions in RELEASES.items():
        folder = host.files_root / "mediawiki" / branch
        folder.mkdir(parents=True)
        for version in versions:
            tarball = make_tarball(folder, f"mediawiki-{version}", _release_files(version))
            sign_file(host.gnupghome, host.fingerprint, tarball)
    latest = host.files_root / "mediawiki" / "1.41" / "mediawiki-1.41.1.tar.gz"
    sign_file(host.gnupghome, host.fingerprint, latest, armor=True)
    readme = "# Sample releases\n\nSigned with the key in `keyring.gpg` (`gpgv --keyring`).\n"
    (host.files_root / "README.md").write_text(readme)


def _write_config(host: SampleHost, listen: str) -> None:
    """snapfront.toml; roots are relative, resolved against the config file's directory."""
    text = f'[server]\nlisten = {json.dumps(listen)}\noutput = "output"\n'
    for url, kind, root, keyring in [
        ("/debian/", "snapshots", "snapshots/debian", True),
        ("/apt/", "repository", "repos/apt", True),
        ("/tagged/", "tagged", "tagged", True),
        ("/", "files", "releases", False),
    ]:
        text += f'\n[[mount]]\nurl = "{url}"\nkind = "{kind}"\nroot = "{root}"\n'
        text += 'keyring = "keyring.gpg"\n' if keyring else ""
    host.config.write_text(text)


def build_sample_host(directory: Path, listen: str = "127.0.0.1:8080") -> SampleHost:
    """Build the sample host in DIRECTORY, which must be new or empty: builds never mix."""
    require_tools()
    root = directory.absolute()
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty: build the sample host in a new directory")
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    gnupghome = root / "gnupg"
    try:
        host = SampleHost(
            dir=root,
            config=root / "snapfront.toml",
            keyring=root / "keyring.gpg",
            gnupghome=gnupghome,
            fingerprint=make_key(gnupghome),
            serials=(f"{today}01", f"{today}02"),
            snapshots_root=root / "snapshots" / "debian",
            repository_root=root / "repos" / "apt",
            tagged_root=root / "tagged",
            files_root=root / "releases",
            output=root / "output",
        )
        with tempfile.TemporaryDirectory(prefix="snapfront-sample-") as tmp:
            _build_archives(host, Path(tmp))
        _build_files(host)
        _gpg(gnupghome, "--output", host.keyring, "--export", host.fingerprint)
        _write_config(host, listen)
        host.output.mkdir()
    finally:
        stop_agent(gnupghome)
    return host
