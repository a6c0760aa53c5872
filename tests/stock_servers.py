"""nginx and apache2 as Debian installs them, in a private copy: the stock /etc/nginx and
/etc/apache2 with only what an administrator changes (the port, the pid and log paths, the
snapfront file dropped in conf.d/ or sites-enabled/, the modules `a2enmod` enables), so the
`snapfront rules` output is tested against the configuration it meets on a real host.

The masters run as root (here) and the workers as www-data, as installed: they serve a
world-readable copy of the sample host (tests/test_apache_export.py's `host_copy`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.test_nginx_differential import free_port, wait_for_port

NGINX, APACHE = "/usr/sbin/nginx", "/usr/sbin/apache2"
APACHE_CTL = "/usr/sbin/apache2ctl"


@dataclass(frozen=True)
class Stock:
    """A running stock server: snapfront's rules on `port`, the stock default site on
    `default_port` (its document root is `docroot`)."""

    port: int
    default_port: int


def require(*tools: str) -> None:
    for tool in tools:
        if not os.path.exists(tool):
            package = "nginx" if "nginx" in tool else "apache2"
            raise AssertionError(f"{tool} not found: apt-get install {package}")


@contextlib.contextmanager
def _stopped_at_exit(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        proc.send_signal(signal.SIGTERM)  # the workers or children go with the master
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------ nginx


def nginx_prefix(directory: Path, rules: str, docroot: Path, default_port: int) -> Path:
    """/etc/nginx copied to DIRECTORY/etc; `rules` dropped in conf.d/ (included in http {})."""
    etc = directory / "etc"
    shutil.copytree("/etc/nginx", etc)  # sites-enabled/default: its target's content
    conf = (etc / "nginx.conf").read_text()
    conf = conf.replace("/etc/nginx/", f"{etc}/").replace("/run/nginx.pid", f"{directory}/pid")
    conf = conf.replace("/var/log/nginx/", f"{directory}/")
    (etc / "nginx.conf").write_text(conf)
    site = (etc / "sites-enabled/default").read_text()
    site = re.sub(r"(?m)^\s*listen \[::\]:80 default_server;\n", "", site)
    site = site.replace("listen 80 ", f"listen 127.0.0.1:{default_port} ")
    (etc / "sites-enabled/default").write_text(site.replace("/var/www/html", str(docroot)))
    temp = "".join(f"{k}_temp_path {directory}/{k};\n" for k in ("client_body", "proxy"))
    temp += "".join(f"{k}_temp_path {directory}/{k};\n" for k in ("fastcgi", "uwsgi", "scgi"))
    (etc / "conf.d/temp-paths.conf").write_text(temp)  # not /var/lib/nginx
    (etc / "conf.d/snapfront.conf").write_text(rules)
    return etc / "nginx.conf"


@contextlib.contextmanager
def stock_nginx(directory: Path, rules: str, port: int, docroot: Path) -> Iterator[Stock]:
    """nginx with Debian's nginx.conf and `rules` (which listen on PORT); always stopped."""
    require(NGINX)
    default_port = free_port()
    conf = nginx_prefix(directory, rules, docroot, default_port)
    base = [NGINX, "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(conf)]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([*base, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    with _stopped_at_exit(proc):
        for waited in (port, default_port):
            wait_for_port(waited, proc, directory / "error.log")
        yield Stock(port, default_port)


# ------------------------------------------------------------------ apache2


def apache_confdir(
    directory: Path, rules: str, port: int, docroot: Path, default_port: int, enable: bool
) -> Path:
    """/etc/apache2 copied to DIRECTORY/apache2 with a private envvars, `rules` enabled as a
    site and, when `enable`, the modules its `a2enmod` line names (symlinked as a2enmod does)."""
    confdir = directory / "apache2"
    shutil.copytree("/etc/apache2", confdir, symlinks=True)  # mods-enabled links are relative
    for sub in ("run", "lock", "log"):
        (directory / sub).mkdir()
    with open(confdir / "envvars", "a") as envvars:
        envvars.write(
            f"export APACHE_PID_FILE={directory}/run/apache2.pid\n"
            f"export APACHE_RUN_DIR={directory}/run\nexport APACHE_LOCK_DIR={directory}/lock\n"
            f"export APACHE_LOG_DIR={directory}/log\n"
        )
    ports = (confdir / "ports.conf").read_text()
    listen = f"Listen 127.0.0.1:{port}\nListen 127.0.0.1:{default_port}\n"
    (confdir / "ports.conf").write_text(ports.replace("Listen 80\n", listen))
    default = confdir / "sites-available/000-default.conf"
    text = default.read_text().replace("*:80", f"127.0.0.1:{default_port}")
    default.write_text(text.replace("/var/www/html", str(docroot)))
    main = (confdir / "apache2.conf").read_text()  # stock grants /var/www/ alone
    (confdir / "apache2.conf").write_text(
        main.replace("<Directory /var/www/>", f"<Directory {docroot}/>")
    )
    (confdir / "sites-available/snapfront.conf").write_text(rules)
    (confdir / "sites-enabled/snapfront.conf").symlink_to("../sites-available/snapfront.conf")
    if enable:
        for module in a2enmod_line(rules):
            for kind in ("load", "conf"):
                if (confdir / f"mods-available/{module}.{kind}").exists():
                    link = confdir / f"mods-enabled/{module}.{kind}"
                    if not link.exists():
                        link.symlink_to(f"../mods-available/{module}.{kind}")
    return confdir


def a2enmod_line(rules: str) -> list[str]:
    """The modules that the output's own header says to enable."""
    found = re.search(r"(?m)^#.*\ba2enmod ((?:[a-z_]+ ?)+)$", rules)
    assert found, "the Apache output names no a2enmod command"
    return found.group(1).split()


def configtest(confdir: Path) -> subprocess.CompletedProcess[str]:
    """`apache2ctl configtest` on the copy, as an administrator runs it."""
    require(APACHE, APACHE_CTL)
    env = {**os.environ, "APACHE_CONFDIR": str(confdir)}
    return subprocess.run([APACHE_CTL, "configtest"], capture_output=True, text=True, env=env)


@contextlib.contextmanager
def stock_apache(directory: Path, rules: str, port: int, docroot: Path) -> Iterator[Stock]:
    """apache2 with Debian's apache2.conf, the modules the output names, `rules` as a site."""
    default_port = free_port()
    confdir = apache_confdir(directory, rules, port, docroot, default_port, enable=True)
    check = configtest(confdir)
    assert check.returncode == 0, check.stderr
    env = {**os.environ, "APACHE_CONFDIR": str(confdir)}
    script = f'. "{confdir}/envvars" && exec {APACHE} -d "{confdir}" -DFOREGROUND'
    proc = subprocess.Popen(["sh", "-c", script], env=env, stderr=subprocess.DEVNULL)
    with _stopped_at_exit(proc):
        for waited in (port, default_port):
            wait_for_port(waited, proc, directory / "log/error.log")
        yield Stock(port, default_port)
