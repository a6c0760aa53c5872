"""Fresh Debian roots for the install, package and systemd tests: debootstrap, chroot, mounts.

A root is `debootstrap --variant=minbase --include=ca-certificates SUITE` from Debian's archive,
made once per test session and copied (`cp -a`) for every test that needs one. Between runs the
fresh root may be kept as a tarball under $SNAPFRONT_ROOT_CACHE (default
/var/cache/snapfront-ci; empty = no cache), one per suite and UTC day: a day-old root is
rebuilt, so the cache never hides a change in the archive for long, and a run with an empty
cache does exactly what a cached one does after the debootstrap. A root with extra packages
(Debian 12's trafficserver, for a host whose release has none) is that root plus `apt-get
install`, cached the same way (`bookworm-minbase+trafficserver-DAY.tar`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
CHECKOUT = Path(__file__).resolve().parent.parent
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# command -> Debian package, for the failure message when one is missing (never a skip)
TOOLS = {"debootstrap": "debootstrap", "chroot": "coreutils", "mount": "mount", "git": "git"}
TOOLS |= {"umount": "mount", "tar": "tar", "apt-get": "apt", "dpkg": "dpkg"}
APT_CONF = 'Acquire::Retries "3";\n'  # the archive over the Internet: retry a dropped fetch
POLICY_RC = "#!/bin/sh\n# tests/debroot.py: no service starts inside a test root\nexit 101\n"


def require_tools() -> None:
    assert os.geteuid() == 0, "the Debian root tests need root (debootstrap, chroot, mount)"
    missing = {tool: pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None}
    packages = " ".join(dict.fromkeys(missing.values()))
    assert not missing, f"{', '.join(missing)} not found: apt-get install {packages}"


def cache_dir() -> Path | None:
    value = os.environ.get("SNAPFRONT_ROOT_CACHE", "/var/cache/snapfront-ci")
    return Path(value) if value else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: Sequence[str | Path], timeout: float = 900, **kw) -> subprocess.CompletedProcess:
    cmd = [str(arg) for arg in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if proc.returncode != 0:
        raise AssertionError(
            f"{shlex.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-3000:]}"
        )
    return proc


class Bases:
    """One fresh root per suite for the session, from the cache or debootstrap; and, made from
    it once and cached the same way, one per suite and list of extra packages."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.made: dict[str, Path] = {}
        self.timings: dict[str, tuple[float, str]] = {}
        """Name → (seconds to have its fresh root, "cached", "debootstrap" or "apt-get"):
        printed at the end of the run (tests/conftest.py), so CI's log shows what each root
        cost. The name is the suite, with "+PACKAGE" for each extra package."""

    def base(self, suite: str, packages: Sequence[str] = ()) -> Path:
        name = "+".join([suite, *packages])
        if name in self.made:
            return self.made[name]
        require_tools()
        start = time.monotonic()
        path = self.workdir / f"base-{name}"
        cache = cache_dir()
        day = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
        kind = f"{suite}-minbase" + "".join(f"+{pkg}" for pkg in packages)
        tarball = cache / f"{kind}-{day}.tar" if cache else None
        how = "cached"
        if tarball and tarball.exists():
            path.mkdir(parents=True)
            _run(["tar", "-xpf", tarball, "--numeric-owner", "-C", path])
        else:
            plain = None
            if packages:  # made from the plain root, which is timed on its own
                before = time.monotonic()
                plain = self.base(suite)
                start += time.monotonic() - before
            how = self._make(suite, plain, packages, path)
            if tarball:
                _store(path, tarball, f"{kind}-*.tar")
        self.timings[name] = (time.monotonic() - start, how)
        self.made[name] = path
        return path

    @staticmethod
    def _make(suite: str, plain: Path | None, packages: Sequence[str], path: Path) -> str:
        """debootstrap, or a copy of the `plain` base with `packages` installed; which it was."""
        if plain is None:
            path.mkdir(parents=True)
            _run(["debootstrap", "--variant=minbase", "--include=ca-certificates", suite, path,
                  MIRROR])  # fmt: skip
            return "debootstrap"
        _run(["cp", "-a", plain, path])
        root = Root(path)
        root.prepare()
        with root.mounted():
            root.run(f"apt-get update -q && apt-get install -y -q --no-install-recommends "
                     f"{shlex.join(packages)} && apt-get clean")  # fmt: skip
        return "apt-get"

    def fresh(self, suite: str, dest: Path, packages: Sequence[str] = ()) -> Root:
        """A copy of the suite's fresh root (with `packages` installed) at `dest`, prepared for
        tests (see Root.prepare)."""
        _run(["cp", "-a", self.base(suite, packages), dest])
        root = Root(dest)
        root.prepare()
        return root

    def close(self) -> None:
        for path in self.made.values():
            remove(path)

    def summary(self) -> list[str]:
        """One line per root made this session: `trixie: 212.4 s (debootstrap)`."""
        return [f"{name}: {sec:.1f} s ({how})" for name, (sec, how) in self.timings.items()]


def _store(path: Path, tarball: Path, pattern: str) -> None:
    """Tar the root into the cache, replacing older days' tarballs (`pattern`)."""
    tarball.parent.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".partial")
    _run(["tar", "-cpf", partial, "--numeric-owner", "-C", path, "."])
    partial.rename(tarball)  # a killed run never leaves half a tarball
    for old in tarball.parent.glob(pattern):
        if old != tarball:
            old.unlink()


def remove(path: Path) -> None:
    """rm -r a root, refusing while anything is still mounted below it (it would be emptied)."""
    inside = [m for m in _mounts() if m == str(path) or m.startswith(f"{path}/")]
    assert not inside, f"still mounted, not removing {path}: {inside}"
    shutil.rmtree(path, ignore_errors=True)


def _mounts() -> list[str]:
    with open("/proc/self/mounts") as mounts:
        return [line.split()[1].replace("\\040", " ") for line in mounts]


@dataclass
class Root:
    """A Debian tree to chroot into. Commands run with a clean environment, as root or a user."""

    path: Path

    def prepare(self) -> None:
        policy = self.path / "usr/sbin/policy-rc.d"
        policy.write_text(POLICY_RC)
        policy.chmod(0o755)
        (self.path / "etc/apt/apt.conf.d/90snapfront-tests").write_text(APT_CONF)
        resolv = self.path / "etc/resolv.conf"
        resolv.unlink(missing_ok=True)
        shutil.copyfile("/etc/resolv.conf", resolv)
        # The network as the host sees it: a machine behind a TLS-inspecting proxy trusts a
        # local CA (none on a stock host); pip inside (PyPI) must trust what the host trusts.
        local = sorted(Path("/usr/local/share/ca-certificates").glob("**/*.crt"))
        for cert in local:
            shutil.copy(cert, self.path / "usr/local/share/ca-certificates" / cert.name)
        if local:
            self.run("update-ca-certificates >/dev/null")

    def command(self, script: str, env: dict[str, str] | None = None) -> list[str]:
        base = {"PATH": PATH, "HOME": "/root", "LC_ALL": "C.UTF-8"}
        base |= {"DEBIAN_FRONTEND": "noninteractive", **(env or {})}
        variables = [f"{k}={v}" for k, v in base.items()]
        return ["chroot", str(self.path), "/usr/bin/env", "-i", *variables, "/bin/sh", "-c",
                f"set -e; {script}"]  # fmt: skip

    def run(self, script: str, timeout: float = 900, **env: str) -> str:
        """Run `script` with /bin/sh inside; its stdout, or AssertionError with the output."""
        return _run(self.command(script, env), timeout=timeout).stdout

    def popen(self, script: str, **env: str) -> subprocess.Popen[str]:
        """Start `script` inside (exec it to signal the program itself), stdout piped."""
        return subprocess.Popen(
            self.command(script, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def copy_checkout(self, dest: str = "/src") -> Path:
        """This checkout as git sees it (tracked and new files, nothing ignored: no .venv)."""
        target = self.path / dest.lstrip("/")
        names = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                     cwd=CHECKOUT).stdout.split("\0")  # fmt: skip
        for name in filter(None, names):
            source = CHECKOUT / name
            if source.is_file() or source.is_symlink():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name, follow_symlinks=False)
        return target

    @contextlib.contextmanager
    def mounted(self, binds: Mapping[Path, str] | None = None) -> Iterator[Root]:
        """/proc, /dev and /dev/pts inside, and each host directory of `binds` at its path
        inside; on the way out every process still running in the root is killed (gpg-agent,
        a demo) and everything is unmounted, whatever happened."""
        mounts = [
            (["-t", "proc"], "proc", "proc"),
            (["--bind"], "/dev", "dev"),
            (["--bind"], "/dev/pts", "dev/pts"),
        ]
        mounts += [(["--bind"], str(host), inside) for host, inside in (binds or {}).items()]
        done: list[Path] = []
        try:
            for kind, source, target in mounts:
                point = self.path / target.lstrip("/")
                point.mkdir(parents=True, exist_ok=True)
                _run(["mount", *kind, source, point])
                done.append(point)
            yield self
        finally:
            self.kill_inside()
            for point in reversed(done):
                if subprocess.run(["umount", point], capture_output=True).returncode != 0:
                    time.sleep(0.5)
                    subprocess.run(["umount", "-l", point], check=False)

    def kill_inside(self) -> None:
        """SIGKILL every process whose root directory is this root (it was started by a test)."""
        real = os.path.realpath(self.path)
        for _ in range(3):
            found = []
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    with contextlib.suppress(OSError):
                        if os.readlink(entry / "root") == real:
                            found.append(int(entry.name))
            for pid in found:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if not found:
                return
            time.sleep(0.3)

    def remove(self) -> None:
        remove(self.path)


def stop(proc: subprocess.Popen[str], timeout: float = 20) -> int:
    """SIGTERM, then SIGKILL after `timeout`; the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
