"""`snapfront serials freeze|thaw|resolve` against any host with Tails' URL layout: the same
files and output from snapfront and from a files-only nginx laid out as Tails' host is
(tests/tails_host.py), which answers no directory page, only files. A frozen serial is
confirmed by its Release under the origin's codename (`--codename`, default `stable`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import fetch
from tests.tails_host import TailsHost
from tests.test_serials_live import contents, make_dir, serials

pytestmark = pytest.mark.live


HOSTS = ("snapfront", "nginx")
ORIGINS = ("debian", "debian-security", "torproject", "tails")


def fresh(root: Path) -> Path:
    return make_dir(root, **{o.replace("-", "_"): "latest" for o in ORIGINS})


def build_run(url: str, directory: Path) -> list[tuple[str, dict[str, bytes]]]:
    """What a release manager and a build do in turn; each step's stdout and the files after."""
    steps = [
        ("freeze", str(directory), "--from", url, "--except", "debian-security"),
        ("resolve", str(directory), "--from", url, "--codename", "torproject=buster"),
        ("resolve", str(directory), "--from", url, "--codename", "torproject=buster", "--json"),
        ("thaw", str(directory)),
        ("resolve", str(directory), "--from", url),
    ]
    seen = []
    for step in steps:
        result = serials(*step)
        assert (result.returncode, result.stderr) == (0, ""), (step, result.stderr)
        seen.append((result.stdout, contents(directory)))
    return seen


def test_freeze_resolve_thaw_give_the_same_files_and_output_from_both_hosts(
    tails_host: TailsHost, tails_hosts: dict[str, str], tmp_path: Path
) -> None:
    nginx = tails_hosts["nginx"]
    newest = {origin: tails_host.newest(origin) for origin in ORIGINS}
    for origin in ("debian", "torproject"):  # nginx has no page for a serial: files only
        page = f"{nginx}{origin}/{newest[origin]}/"
        assert fetch(page).status in (403, 404)
        assert fetch(page + "pool/").status in (403, 404)

    runs = {kind: build_run(tails_hosts[kind], fresh(tmp_path / kind)) for kind in HOSTS}
    assert runs["snapfront"] == runs["nginx"]
    frozen = {o: "latest" if o == "debian-security" else newest[o] for o in ORIGINS}
    lines = "".join(f"{o}: {frozen[o]}\n" for o in sorted(ORIGINS))
    resolved = "".join(f"{o}: {newest[o]}\n" for o in sorted(ORIGINS))
    files = {o: f"{frozen[o]}\n".encode() for o in ORIGINS}
    assert runs["nginx"][0] == (lines, files)  # freeze
    assert runs["nginx"][1] == (resolved, files)  # resolve: the frozen ones confirmed
    as_json = "{" + ", ".join(f'"{o}": "{newest[o]}"' for o in sorted(ORIGINS)) + "}\n"
    assert runs["nginx"][2][0] == as_json
    thawed = dict.fromkeys(ORIGINS, b"latest\n")
    assert runs["nginx"][3] == ("".join(f"{o}: latest\n" for o in sorted(ORIGINS)), thawed)
    assert runs["nginx"][4] == (resolved, thawed)


@pytest.mark.parametrize("kind", HOSTS)
def test_an_old_serial_under_a_slash_codename_is_confirmed(
    kind: str, tails_host: TailsHost, tails_hosts: dict[str, str], tmp_path: Path
) -> None:
    old = tails_host.archives["debian-security"].serials[0]
    directory = make_dir(tmp_path / "d", debian_security=old, debian="latest")
    result = serials("resolve", str(directory), "--from", tails_hosts[kind],
                     "--codename", "debian-security=buster/updates")  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"debian: {tails_host.newest('debian')}\ndebian-security: {old}\n"


def refusal(url: str, directory: Path, *codenames: str) -> str:
    before = contents(directory)
    named = [arg for name in codenames for arg in ("--codename", name)]
    result = serials("resolve", str(directory), "--from", url, *named)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert contents(directory) == before
    return result.stderr


def test_a_missing_serial_and_a_wrong_codename_are_told_apart(
    tails_host: TailsHost, tails_hosts: dict[str, str], tmp_path: Path
) -> None:
    snapfront, nginx = tails_hosts["snapfront"], tails_hosts["nginx"]
    missing = make_dir(tmp_path / "missing", debian="2000010101")
    old, new = tails_host.archives["debian"].serials
    assert refusal(snapfront, missing) == (  # snapfront's 404 lists the serials
        f"snapfront: debian: serial 2000010101 does not exist on {snapfront}debian/; "
        f"serials that do: {old}, {new}\n"
    )
    assert refusal(nginx, missing) == (  # a plain 404; the newest serial's Release answers
        f"snapfront: debian: serial 2000010101 not found "
        f"({nginx}debian/2000010101/dists/stable/Release: 404 Not Found)\n"
    )

    wrong = make_dir(tmp_path / "wrong", debian=new)
    assert refusal(snapfront, wrong, "debian=bookworm") == (
        f"snapfront: debian: no codename bookworm on {snapfront}debian/ (codenames there: "
        "stable); name debian's with --codename debian=CODENAME\n"
    )
    assert refusal(nginx, wrong, "debian=bookworm") == (
        f"snapfront: debian: no codename bookworm on {nginx}debian/ (nor has the newest serial, "
        f"{nginx}debian/{new}/dists/bookworm/Release: 404 Not Found); "
        "name debian's with --codename debian=CODENAME\n"
    )


def test_without_a_codename_snapfront_names_its_own_nginx_cannot(
    tails_host: TailsHost, tails_hosts: dict[str, str], tmp_path: Path
) -> None:
    """torproject has no `stable`: snapfront's 404 lists `buster`, which is asked next; a
    files-only host lists nothing, so resolve says which option names it."""
    serial = tails_host.newest("torproject")
    directory = make_dir(tmp_path / "d", torproject=serial)
    found = serials("resolve", str(directory), "--from", tails_hosts["snapfront"])
    assert (found.returncode, found.stdout) == (0, f"torproject: {serial}\n"), found.stderr
    nginx = tails_hosts["nginx"]
    assert refusal(nginx, directory) == (
        f"snapfront: torproject: no codename stable on {nginx}torproject/ (nor has the newest "
        f"serial, {nginx}torproject/{serial}/dists/stable/Release: 404 Not Found); "
        "name torproject's with --codename torproject=CODENAME\n"
    )
    assert refusal(nginx, directory, "torproject=buster/updates/..") == (
        "snapfront: --codename: not CODENAME or ORIGIN=CODENAME: torproject=buster/updates/..\n"
    )
    assert refusal(nginx, directory, "tor=buster") == (
        "snapfront: --codename: no origin directory tor (origins: torproject)\n"
    )
