"""Tails' own scripts against snapfront: `auto/scripts/apt-snapshots-serials` (get-latest,
freeze, thaw, prepare-build, cat-json) and `bin/apt-snapshots-expiry`, as Tails' repository
holds them (tests/data/tails/README.md: origin, commit, sha256, checked before every run),
in a temporary Tails checkout, unmodified but for the host: in `BASE_URL` (http, its trailing
slash kept) and in the expiry script's hard-coded https URL, which stays https (its `curl`
trusts the test CA through `CURL_CA_BUNDLE`). The same runs against a files-only nginx laid
out as Tails' host is (tests/tails_host.py) show what the scripts expect of the host they
were written for; snapfront must answer them alike."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snapfront.serials.remote import Remote
from tests.tails_host import Served, TailsHost

pytestmark = pytest.mark.live


DATA = Path(__file__).parent / "data" / "tails"
SERIALS = "auto/scripts/apt-snapshots-serials"
EXPIRY = "bin/apt-snapshots-expiry"
TAILS_HOST = "time-based.snapshots.deb.tails.boum.org"
CONFIG = "config/APT_snapshots.d"
VAGRANT = "vagrant/definitions/tails-builder/config/APT_snapshots.d"
TOOLS = {"wget": "wget", "ruby": "ruby", "curl": "curl", "git": "git", "sed": "sed"}
KINDS = ("snapfront", "nginx")


@pytest.fixture(scope="module")
def scripts() -> dict[str, bytes]:
    """Each script's bytes, once its sha256 is the one tests/data/tails/SHA256SUMS names."""
    for tool, package in TOOLS.items():
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: apt-get install {package}")
    found = {}
    for line in (DATA / "SHA256SUMS").read_text().splitlines():
        digest, path = line.split()
        file = DATA / "upstream" / path
        if not file.is_file():
            pytest.fail(
                f"{file} missing: scripts/setup --test copies Tails' scripts there from "
                "/var/cache/snapfront-ci/tails/COMMIT/ or downloads them (tests/data/tails/README.md)"
            )
        data = file.read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{file} is not Tails' {path}"
        found[path] = data
    return found


def substitute(path: Path, old: str, new: str) -> None:
    """`sed -i s|OLD|NEW|` on a copy; exactly one line may change, and it must."""
    before = path.read_text().splitlines()
    subprocess.run(["sed", "-i", f"s|{old}|{new}|", str(path)], check=True)
    after = path.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1] == changed[0][0].replace(old, new), changed


def checkout(
    root: Path, scripts: dict[str, bytes], served: Served, **serials: dict[str, str]
) -> Path:
    """A Tails checkout as its scripts expect it: a git work tree with the scripts (pointed at
    `served`), and each of `config` and `vagrant` (keywords) as APT_snapshots.d/ORIGIN/serial
    files."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for path, data in scripts.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        (root / path).chmod(0o755)
    substitute(root / SERIALS, f"BASE_URL=http://{TAILS_HOST}/", f"BASE_URL={served.http}")
    assert served.https.startswith("https://")  # only the host differs
    substitute(root / EXPIRY, f"https://{TAILS_HOST}/", served.https)
    for key, directory in (("config", CONFIG), ("vagrant", VAGRANT)):
        (root / directory).mkdir(parents=True)
        (root / directory / ".placeholder").write_text("")  # as in Tails' repository
        for origin, value in serials.get(key, {}).items():
            (root / directory / origin).mkdir()
            (root / directory / origin / "serial").write_text(value + "\n")
    return root


def run(
    root: Path, script: str, *args: str, ca: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run SCRIPT from the checkout's top, as Tails' build does; no proxy, C collation; with
    `ca`, curl trusts that CA (and only it)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["LC_ALL"] = "C.UTF-8"
    if ca is not None:
        env["CURL_CA_BUNDLE"] = str(ca)
    command = [f"./{script}", *args]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60)


def serial_files(root: Path, directory: str = CONFIG) -> dict[str, str]:
    return {p.parent.name: p.read_text() for p in sorted((root / directory).glob("*/serial"))}


def origin_blocks(stdout: str) -> dict[str, tuple[str, str]]:
    """freeze's and thaw's `Origin O:\\n  old: A\\n  new: B\\n` blocks (in find's order)."""
    blocks = re.findall(r"Origin (\S+):\n  old: (.*)\n  new: (.*)\n", stdout)
    assert "".join(f"Origin {o}:\n  old: {a}\n  new: {b}\n" for o, a, b in blocks) == stdout
    return {origin: (old, new) for origin, old, new in blocks}


LATEST = {"debian": "latest", "debian-security": "latest", "torproject": "latest"}


@pytest.mark.parametrize("kind", KINDS)
def test_get_latest_names_each_origins_trace_serial(
    kind: str, scripts, tails_host: TailsHost, tails_servers: dict[str, Served], tmp_path: Path
) -> None:
    url = tails_servers[kind].http
    root = checkout(tmp_path / "tails", scripts, tails_servers[kind], config=LATEST)
    latest = run(root, SERIALS, "get-latest")
    assert (latest.returncode, latest.stderr) == (0, "")
    printed = sorted(latest.stdout.splitlines())
    assert printed == sorted(f"{o}: {tails_host.newest(o)}" for o in LATEST)
    assert printed == sorted(f"{o}: {Remote(url).newest(o)}" for o in LATEST)  # the trace's


@pytest.mark.parametrize("kind", KINDS)
def test_freeze_cat_json_and_thaw(
    kind: str, scripts, tails_host: TailsHost, tails_servers: dict[str, Served], tmp_path: Path
) -> None:
    root = checkout(tmp_path / "tails", scripts, tails_servers[kind], config=LATEST)
    frozen = run(root, SERIALS, "freeze")
    assert frozen.returncode == 0, frozen.stderr
    assert frozen.stderr == f"\nAll files ({CONFIG}/*/serial) have been updated with new serials\n"
    newest = {o: tails_host.newest(o) for o in ("debian", "torproject")}
    assert origin_blocks(frozen.stdout) == {  # debian-security: Tails' freeze exception
        "debian": ("latest", newest["debian"]),
        "debian-security": ("latest", "latest"),
        "torproject": ("latest", newest["torproject"]),
    }
    files = {"debian-security": "latest\n"} | {o: f"{s}\n" for o, s in newest.items()}
    assert serial_files(root) == files

    as_json = run(root, SERIALS, "cat-json")
    assert (as_json.returncode, as_json.stderr) == (0, "")
    assert json.loads(as_json.stdout) == {o: v.strip() for o, v in files.items()}

    thawed = run(root, SERIALS, "thaw")
    assert (thawed.returncode, thawed.stderr) == (0, "")
    assert origin_blocks(thawed.stdout) == {o: (v.strip(), "latest") for o, v in files.items()}
    assert serial_files(root) == dict.fromkeys(files, "latest\n")


@pytest.mark.parametrize("kind", KINDS)
def test_prepare_build_pins_latest_as_snapfront_serials_resolve_does(
    kind: str, scripts, tails_host: TailsHost, tails_servers: dict[str, Served], tmp_path: Path
) -> None:
    old = tails_host.archives["debian"].serials[0]
    config = {"debian": old, "debian-security": "latest", "torproject": "latest"}
    root = checkout(tmp_path / "tails", scripts, tails_servers[kind], config=config)
    prepared = run(root, SERIALS, "prepare-build")
    assert (prepared.returncode, prepared.stderr) == (0, "")
    pinned = {
        "debian": old,  # frozen: kept
        "debian-security": tails_host.newest("debian-security"),
        "torproject": tails_host.newest("torproject"),
    }
    assert serial_files(root, "tmp/APT_snapshots.d") == {o: f"{s}\n" for o, s in pinned.items()}
    assert serial_files(root) == {o: f"{v}\n" for o, v in config.items()}  # config untouched
    as_json = run(root, SERIALS, "cat-json", "tmp/APT_snapshots.d")
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, pinned)

    ours = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "serials", "resolve", str(root / CONFIG), "--from", tails_servers[kind].http, "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (ours.returncode, json.loads(ours.stdout or "null")) == (0, pinned), ours.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_the_expiry_report_names_each_frozen_snapshot_and_its_date(
    kind: str, scripts, tails_host: TailsHost, tails_servers: dict[str, Served], tmp_path: Path
) -> None:
    """Both APT_snapshots.d of a checkout; `tails` (ValidFor 10d) expires within the month,
    the builder's debian-security is frozen (a slash codename, `buster/updates`)."""
    debian_old, debian_new = tails_host.archives["debian"].serials
    torproject, tails = tails_host.newest("torproject"), tails_host.newest("tails")
    security = tails_host.archives["debian-security"].serials[0]
    config = {"debian": debian_new, "debian-security": "latest", "torproject": torproject}
    vagrant = {"debian": debian_old, "debian-security": security, "tails": tails}
    served = tails_servers[kind]
    root = checkout(tmp_path / "tails", scripts, served, config=config, vagrant=vagrant)
    report = run(root, EXPIRY, ca=served.ca)

    def ok(origin: str, serial: str) -> str:
        until = tails_host.valid_until(origin, serial) if serial != "latest" else "never"
        return f"OK:   archive '{origin}' uses snapshot '{serial}' which expires on: {until}\n"

    assert report.stdout == (
        f"{CONFIG}:\n{ok('debian', debian_new)}{ok('debian-security', 'latest')}"
        f"{ok('torproject', torproject)}---\n"
        f"{VAGRANT}:\n{ok('debian', debian_old)}{ok('debian-security', security)}---\n"
    )
    soon = tails_host.valid_until("tails", tails)
    assert report.stderr == (
        f"FAIL: archive 'tails' uses snapshot '{tails}' which expires on: {soon}, "
        "which is within one month!\n"
    )
    assert report.returncode == 1

    (root / VAGRANT / "tails" / "serial").write_text("2000010101\n")  # never taken
    missing = run(root, EXPIRY, ca=served.ca)
    assert (missing.returncode, missing.stderr) == (1, "")
    assert missing.stdout.endswith(
        f"{ok('debian-security', security)}FAIL: archive 'tails' has no snapshot '2000010101'!\n---\n"
    )
