"""The Debian package: built in a fresh trixie root, checked by lintian, installed with
`apt-get install ./snapfront_*.deb` into a second fresh trixie root (dependencies from Debian);
there the demo is fetched with real apt-get from outside, the unit passes `systemd-analyze
verify`, and the unit's ExecStart, run by hand as the user snapfront, notifies READY=1 once it
answers and STOPPING=1 on SIGTERM."""

from __future__ import annotations

import argparse
import io
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snapfront.cli import make_parser
from tests import debroot
from tests.rootdemo import run_demo
from tests.support import fetch

SUITE = "trixie"
BUILD_DEPENDS = (
    "dpkg-dev debhelper dh-python pybuild-plugin-pyproject python3-all python3-hatchling"
)
UNIT = "/usr/lib/systemd/system/snapfront.service"
INSTALL_LOG = "/tmp/snapfront-install.log"
CHECKOUT = Path(__file__).resolve().parent.parent
DIST_PACKAGES = "/usr/lib/python3/dist-packages/"
debroot_test = pytest.mark.debroot


@dataclass
class Built:
    deb: Path
    lintian: str


@pytest.fixture(scope="module")
def built(debian_bases: debroot.Bases, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """dpkg-buildpackage -us -uc -b in a fresh trixie root with the Build-Depends and
    build-essential (which dpkg requires of every build)."""
    out = tmp_path_factory.mktemp("deb")
    root = debian_bases.fresh(SUITE, out / "build-root")
    try:
        root.copy_checkout("/src")
        with root.mounted():
            root.run(f"apt-get update -q && apt-get install -y -q --no-install-recommends "
                     f"{BUILD_DEPENDS} lintian")  # fmt: skip
            # trixie's dpkg adds build-essential:native to every build: installing it (gcc,
            # g++, libc6-dev; nothing here compiles) lets the issue's exact command run, no -d
            started = time.monotonic()
            root.run("apt-get install -y -q --no-install-recommends build-essential")
            print(f"build-essential: {time.monotonic() - started:.1f} s")
            assert root.run("cd /src && dpkg-checkbuilddeps 2>&1; echo rc=$?").strip() == "rc=0"
            root.run("cd /src && dpkg-buildpackage -us -uc -b")
            lintian = root.run("lintian --pedantic --display-info /snapfront_*_all.deb 2>&1")
        (deb,) = root.path.glob("snapfront_*_all.deb")
        return Built(Path(shutil.copy(deb, out)), lintian)
    finally:
        root.remove()


@debroot_test
def test_lintian_has_no_errors_or_warnings(built: Built) -> None:
    findings = [line for line in built.lintian.splitlines() if re.match(r"^[EWIPX]: ", line)]
    print("lintian:", *findings, sep="\n  ")
    assert not [f for f in findings if f.startswith(("E:", "W:"))], built.lintian


@debroot_test
def test_package_contents(built: Built) -> None:
    names = subprocess.run(["dpkg-deb", "-c", built.deb], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    for path in [
        "./usr/bin/snapfront",
        "./usr/lib/python3/dist-packages/snapfront/site/templates/page.html",
        "./usr/lib/python3/dist-packages/snapfront/site/static/snapfront.css",
        "./usr/lib/systemd/system/snapfront.service",
        "./usr/lib/sysusers.d/snapfront.conf",
        "./usr/lib/tmpfiles.d/snapfront.conf",
        "./etc/snapfront/snapfront.toml",
        "./usr/share/man/man1/snapfront.1.gz",
    ]:
        assert f" {path}" in names, path
    control = subprocess.run(["dpkg-deb", "--ctrl-tarfile", built.deb], capture_output=True,
                             check=True).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(control)) as tar:
        conffiles = tar.extractfile("./conffiles").read().decode()  # type: ignore[union-attr]
    assert "/etc/snapfront/snapfront.toml" in conffiles.split()
    depends = subprocess.run(["dpkg-deb", "-f", built.deb, "Depends"], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    for versioned in ("python3-aiohttp (>= 3.10)", "python3-watchdog (>= 6)",
                      "python3-markdown-it (>= 3)", "python3-brotli (>= 1.1)"):  # fmt: skip
        assert versioned in depends, depends  # bookworm's older ones are refused


@pytest.fixture(scope="module")
def installed(
    built: Built, debian_bases: debroot.Bases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[debroot.Root]:
    """A second fresh trixie root with `apt-get install -y ./snapfront_*.deb` (apt's defaults:
    Recommends too; its output in INSTALL_LOG), mounted."""
    root = debian_bases.fresh(SUITE, tmp_path_factory.mktemp("installed") / "root")
    try:
        shutil.copy(built.deb, root.path / "tmp")
        with root.mounted():
            root.run("apt-get update -q && cd /tmp && "
                     f"apt-get install -y ./snapfront_*.deb > {INSTALL_LOG}")  # fmt: skip
            # for systemd-analyze verify: it runs `man snapfront(1)` for Documentation=
            root.run("apt-get install -y -q --no-install-recommends man-db")
            yield root
    finally:
        root.remove()


def weigh(apt_output: str) -> tuple[int, float]:
    """(packages newly installed, MB of disk) from `apt-get install`'s summary lines."""
    count = re.search(r"(\d+) newly installed", apt_output)
    size = re.search(r"After this operation, ([\d.,]+) ([kMG])B of additional disk", apt_output)
    assert count and size, apt_output
    scale = {"k": 1e-3, "M": 1.0, "G": 1e3}[size.group(2)]
    return int(count.group(1)), float(size.group(1).replace(",", "")) * scale


@pytest.mark.pure
def test_weigh_reads_apt_summary() -> None:
    summary = (
        "0 upgraded, 103 newly installed, 0 to remove and 0 not upgraded.\n"
        "Need to get 33.7 MB/34.0 MB of archives.\n"
        "After this operation, 125 MB of additional disk space will be used.\n"
    )
    assert weigh(summary) == (103, 125.0)
    assert weigh(summary.replace("125 MB", "1,234 kB")) == (103, 1.234)


@debroot_test
def test_the_package_is_lean(installed: debroot.Root) -> None:
    """The demo's tools are in Depends or Essential: nothing pulls dpkg-dev and a compiler (a
    Recommends on dpkg-dev did: 165 packages, 468 MB). CI's log shows what it weighs."""
    packages, megabytes = weigh((installed.path / INSTALL_LOG.lstrip("/")).read_text())
    print(f"apt-get install ./snapfront_*.deb in a {SUITE} minbase root: {packages} packages, "
          f"{megabytes:g} MB")  # fmt: skip
    listed = installed.run("dpkg-query -W -f='${Package} ${Status}\\n'")
    present = {line.split()[0] for line in listed.splitlines() if line.endswith(" installed")}
    assert not present & {"dpkg-dev", "build-essential", "gcc", "g++"}, sorted(present)
    assert "gpg-agent" in present  # every signing command needs it
    assert packages < 130 and megabytes < 200, (packages, megabytes)


@debroot_test
def test_installed_user_dirs_and_python(installed: debroot.Root) -> None:
    assert installed.run("id -un snapfront; id -gn snapfront").split() == ["snapfront"] * 2
    home = installed.run("getent passwd snapfront | cut -d: -f6,7").strip()
    assert home == "/var/lib/snapfront:/usr/sbin/nologin"
    assert installed.run("stat -c %U:%G /var/lib/snapfront").strip() == "snapfront:snapfront"
    assert installed.run("snapfront --version").strip() == "snapfront 0.1.0"
    assert (
        installed.run("python3 -c 'import sys; print(sys.version_info[:2])'").strip() == "(3, 13)"
    )
    # what the package is meant to run on: Debian's libraries, nothing from PyPI
    assert installed.run("python3 -c 'import aiohttp; print(aiohttp.__file__)'").startswith(
        "/usr/lib/python3/dist-packages/"
    )


@debroot_test
def test_one_top_level_name_in_dist_packages(installed: debroot.Root) -> None:
    """Only `snapfront` (and its .dist-info) at the top of dist-packages: no `server`,
    `metrics`, … beside it for another project's package of that name to meet."""
    listed = installed.run("dpkg -L snapfront").splitlines()
    inside = [path.removeprefix(DIST_PACKAGES) for path in listed if path.startswith(DIST_PACKAGES)]
    tops = sorted({path.split("/")[0] for path in inside})
    print(f"dpkg -L snapfront, at the top of {DIST_PACKAGES}:", *tops, sep="\n  ")
    assert [top for top in tops if not top.endswith((".dist-info", ".egg-info"))] == ["snapfront"]
    assert "snapfront/server/protocol.py" in inside and "snapfront/metrics/process.py" in inside
    # and in its Python, with a stranger `metrics` first on sys.path, serve's imports hold
    installed.run("mkdir -p /tmp/stranger/metrics && echo 'raise ImportError' > "
                  "/tmp/stranger/metrics/__init__.py")  # fmt: skip
    installed.run("cd /tmp/stranger && PYTHONPATH=/tmp/stranger python3 -c "
                  "'import snapfront.server.run, snapfront.metrics.process'")  # fmt: skip


@debroot_test
def test_demo_from_the_package(installed: debroot.Root) -> None:
    """The demo with the package's Depends alone; its APT lines as printed (they need curl)."""
    installed.run("apt-get install -y -q --no-install-recommends curl")
    run_demo(installed, "snapfront demo")


MANIFEST = """origin_references:
  debian: {reference: 'SERIAL'}
packages:
  binary:
  - {arch: all, package: hello, version: 1.0-1}
  source:
  - {package: hello, version: 1.0-1}
"""


@debroot_test
def test_the_operations_on_debian_13(installed: debroot.Root) -> None:
    """`tagged`, `suite` and `rules --format rsyncd` from the package, with Debian 13's reprepro,
    gpg and python3-yaml, on the sample host built inside the root."""
    serial = installed.run(
        "python3 -c 'from pathlib import Path; from snapfront import sample; "
        'print(sample.build_sample_host(Path("/root/ops")).serials[0])\''
    ).split()[-1]
    (installed.path / "root/ops/manifest.yaml").write_text(MANIFEST.replace("SERIAL", serial))
    ops = "cd /root/ops && GNUPGHOME=$PWD/gnupg snapfront"
    conf = "--config snapfront.toml"
    made = installed.run(f"{ops} tagged create {conf} /tagged/ 1.0 manifest.yaml 2>&1")
    assert "published /tagged/1.0/" in made, made
    checked = installed.run(f"{ops} tagged verify {conf} /tagged/ 1.0 manifest.yaml 2>&1")
    assert "ok" in checked and "no Valid-Until" in checked, checked
    listed = installed.run(f"{ops} suite list {conf} /apt/")
    assert re.search(r"^bookworm-mediawiki\s+other\s+1\s", listed, re.M), listed
    modules = installed.run(f"{ops} rules {conf} --format rsyncd")
    assert "[debian]" in modules and "[apt]" in modules and "read only = yes" in modules, modules


@debroot_test
def test_systemd_analyze_verify(installed: debroot.Root) -> None:
    out = installed.run(f"systemd-analyze verify {UNIT} 2>&1")
    assert "snapfront" not in out, out  # anything said about our unit is a problem
    security = installed.run(f"systemd-analyze security --offline=yes {UNIT} 2>&1 || true")
    print(security)
    score = re.search(r"Overall exposure level for snapfront\.service: (\d+\.\d+) (\w+)", security)
    assert score and float(score.group(1)) <= 2.5, security


@pytest.mark.pure
def test_man_page_covers_every_command_and_option() -> None:
    """snapfront.1 is hand-written: it must name each subcommand and option of --help."""
    page = (CHECKOUT / "debian/snapfront.1").read_text().replace("\\-", "-")

    def check(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in parser._actions:
            for flag in action.option_strings:
                assert flag in page, (path, flag)
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    assert f".B {name}" in page, (*path, name)  # snapshot take, serials freeze …
                    check(sub, (*path, name))

    check(make_parser(), ())
    assert "--version" in page


@debroot_test
def test_root_builds_as_snapfront_and_the_service_user_can_rebuild(
    installed: debroot.Root,
) -> None:
    """The issue's case on the package: `snapfront build` as root left root-owned pages in
    /var/lib/snapfront that the service could no longer replace. Now root builds as snapfront."""
    installed.run("mkdir -p /srv/releases/1.0 && echo hello > /srv/releases/1.0/hello.txt")
    installed.run("touch /srv/releases/1.0/new.txt && snapfront build")  # default --config
    assert installed.run("find /var/lib/snapfront ! -user snapfront").strip() == ""
    installed.run("rm /srv/releases/1.0/new.txt")  # the page of 1.0/ root's build made changes
    rebuilt = installed.run("setpriv --reuid=snapfront --regid=snapfront --init-groups "
                            "snapfront build")  # fmt: skip
    assert "files written: 0," not in rebuilt, rebuilt


@pytest.mark.pure
def test_man_page_synopsis_names_every_command() -> None:
    """`man snapfront` opens on the SYNOPSIS: one `.B snapfront COMMAND` line per command."""
    page = (CHECKOUT / "debian/snapfront.1").read_text().replace("\\-", "-")
    synopsis = page.split(".SH SYNOPSIS\n", 1)[1].split("\n.SH ", 1)[0]
    shown = re.findall(r"(?m)^\.B snapfront (\S+)$", synopsis)
    (commands,) = [a for a in make_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert sorted(shown) == sorted(commands.choices), synopsis


def exec_start() -> list[str]:
    unit = (CHECKOUT / "debian/snapfront.service").read_text()
    (line,) = re.findall(r"(?m)^ExecStart=(.*)$", unit)
    return shlex.split(line)


@debroot_test
def test_execstart_as_snapfront_notifies_ready_and_stopping(installed: debroot.Root) -> None:
    """The unit's own command line and config, as the unit's user, with a test-owned
    NOTIFY_SOCKET inside the root: READY=1 only once a request succeeds, STOPPING=1 on TERM."""
    port = debroot.free_port()
    installed.run("mkdir -p /srv/releases/1.0 && echo hello > /srv/releases/1.0/hello.txt")
    config = installed.path / "etc/snapfront/snapfront.toml"
    config.write_text(re.sub(r'(?m)^listen = "[^"]*"', f'listen = "127.0.0.1:{port}"',
                             config.read_text()))  # fmt: skip
    installed.run("setpriv --reuid=snapfront --regid=snapfront --init-groups "
                  "snapfront check-config --config /etc/snapfront/snapfront.toml")  # fmt: skip
    sockdir = installed.path / "run/snapfront-test"
    sockdir.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(sockdir / "notify.sock"))
        (sockdir / "notify.sock").chmod(0o666)  # the user snapfront sends to it
        notify.settimeout(120)
        command = shlex.join(["setpriv", "--reuid=snapfront", "--regid=snapfront",
                              "--init-groups", *exec_start()])  # fmt: skip
        proc = installed.popen(f"exec {command}", NOTIFY_SOCKET="/run/snapfront-test/notify.sock")
        try:
            assert notify.recv(4096) == b"READY=1"
            reply = fetch(f"http://127.0.0.1:{port}/releases/1.0/hello.txt")
            assert (reply.status, reply.body) == (200, b"hello\n")
            assert fetch(f"http://127.0.0.1:{port}/releases/").status == 200  # the built page
            owner = installed.run("stat -c %U /var/lib/snapfront/releases/index.html").strip()
            assert owner == "snapfront"
            proc.send_signal(signal.SIGTERM)
            assert notify.recv(4096) == b"STOPPING=1"
            assert proc.wait(timeout=60) == 0
        finally:
            status = debroot.stop(proc)
            assert proc.stdout is not None
            print(proc.stdout.read())
        assert status == 0


def readme_certbot_block() -> tuple[str, str]:
    """README, TLS, certbot: (its first line, which makes /etc/snapfront/tls, the deploy hook)."""
    readme = (CHECKOUT / "README.md").read_text()
    section = readme[readme.index("### certbot") :]
    block = section[section.index("```sh\n") + 6 : section.index("\n```\n")]
    hook = block[block.index("<<'EOF'\n") + 8 : block.index("\nEOF\n") + 1]
    return block.splitlines()[0], hook


@debroot_test
def test_the_unit_user_reads_the_pair_the_readme_deploy_hook_copies(
    installed: debroot.Root, tmp_path: Path
) -> None:
    """As certbot leaves them (live/ and archive/ root's alone, privkey.pem 0600) the unit's
    user cannot read the pair: one line, exit 2. The README's deploy hook, run as certbot runs
    it, copies the pair to /etc/snapfront/tls/; then check-config as that user loads it."""
    from tests.tls_support import make_authority

    leaf = make_authority(tmp_path / "ca").issue("releases.example.org")
    lineage = "/etc/letsencrypt/live/releases.example.org"
    archive = installed.path / "etc/letsencrypt/archive/releases.example.org"
    archive.mkdir(parents=True)
    shutil.copy(leaf.chain, archive / "fullchain1.pem")
    shutil.copy(leaf.key, archive / "privkey1.pem")
    live = installed.path / lineage.lstrip("/")
    live.mkdir(parents=True)
    for name in ("fullchain", "privkey"):
        (live / f"{name}.pem").symlink_to(f"../../archive/releases.example.org/{name}1.pem")
    installed.run("chmod 0700 /etc/letsencrypt/live /etc/letsencrypt/archive && "
                  "chmod 0600 /etc/letsencrypt/archive/releases.example.org/privkey1.pem")  # fmt: skip
    installed.run("mkdir -p /srv/releases")
    config = installed.path / "etc/snapfront/tls-test.toml"
    check = ("setpriv --reuid=snapfront --regid=snapfront --init-groups "
             "snapfront check-config --config /etc/snapfront/tls-test.toml")  # fmt: skip

    def pair_in(directory: str) -> None:
        config.write_text(
            '[server]\nlisten = "127.0.0.1:8080"\noutput = "/var/lib/snapfront"\n'
            f'tls_listen = "127.0.0.1:8443"\ntls_certificate = "{directory}/fullchain.pem"\n'
            f'tls_key = "{directory}/privkey.pem"\n\n'
            '[[mount]]\nurl = "/releases/"\nkind = "files"\nroot = "/srv/releases"\n'
        )

    pair_in(lineage)
    refused = installed.run(f"{check} 2>&1 || echo exit=$?")
    assert refused.splitlines() == [
        f"snapfront: /etc/snapfront/tls-test.toml: server.tls_certificate: cannot read "
        f"{lineage}/fullchain.pem: Permission denied",
        "exit=2",
    ]
    first_line, hook = readme_certbot_block()
    installed.run(first_line)
    hooks = installed.path / "etc/letsencrypt/renewal-hooks/deploy"
    hooks.mkdir(parents=True)
    (hooks / "snapfront").write_text(hook)
    (hooks / "snapfront").chmod(0o755)
    # Its last line, `systemctl reload snapfront`, cannot work in a chroot (no systemd as PID 1):
    # the copy is what is tested here, the reload by tests/test_tls.py (SIGHUP).
    ran = installed.run("/etc/letsencrypt/renewal-hooks/deploy/snapfront 2>&1 || echo exit=$?",
                        RENEWED_LINEAGE=lineage)  # fmt: skip
    assert "not been booted with systemd" in ran and ran.endswith("exit=1\n"), ran
    modes = installed.run("stat -c '%n %U:%G %a' /etc/snapfront/tls /etc/snapfront/tls/*")
    assert modes.splitlines() == [
        "/etc/snapfront/tls root:snapfront 750",
        "/etc/snapfront/tls/fullchain.pem root:snapfront 640",
        "/etc/snapfront/tls/privkey.pem root:snapfront 640",
    ]
    pair_in("/etc/snapfront/tls")
    lines = installed.run(check).splitlines()
    assert lines[1].startswith(
        "tls_listen 127.0.0.1:8443, certificate /etc/snapfront/tls/fullchain.pem (valid until "
    ), lines
