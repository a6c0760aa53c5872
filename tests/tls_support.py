"""A certificate authority made with the real openssl, leaf certificates it signs, and configs
with an HTTPS listener: what the TLS tests and bench/tls.py share."""

from __future__ import annotations

import hashlib
import shutil
import socket
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support import with_listen

SAN = "subjectAltName=IP:127.0.0.1,DNS:localhost"


def require(tool: str, package: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} not found: apt-get install {package}"
    return found


def openssl(*args: str, cwd: Path) -> None:
    require("openssl", "openssl")
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@dataclass(frozen=True)
class Leaf:
    cert: Path
    chain: Path  # the leaf, then the CA: as certbot's fullchain.pem
    key: Path

    def fingerprint(self) -> str:
        der = ssl.PEM_cert_to_DER_cert(self.cert.read_text())
        return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class Authority:
    directory: Path
    cert: Path
    key: Path

    def issue(self, name: str, days: int = 30, san: str = SAN) -> Leaf:
        """A leaf for 127.0.0.1 and localhost signed by this CA (`days` < 0: already expired)."""
        d = self.directory
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)  # fmt: skip
        (d / f"{name}.ext").write_text(f"{san}\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", self.cert.name, "-CAkey",
                self.key.name, "-CAcreateserial", "-days", str(days), "-sha256",
                "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=d)  # fmt: skip
        chain = d / f"{name}-fullchain.pem"
        chain.write_text((d / f"{name}.crt").read_text() + self.cert.read_text())
        return Leaf(d / f"{name}.crt", chain, d / f"{name}.key")


def make_authority(directory: Path) -> Authority:
    """A self-signed CA (`openssl req -x509`), its key beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.crt", "-days", "30", "-subj", "/CN=snapfront test CA", cwd=directory)  # fmt: skip
    return Authority(directory, directory / "ca.crt", directory / "ca.key")


def with_tls(config: Path, leaf: Leaf, dest: Path, tls_listen: str = "127.0.0.1:0") -> Path:
    """A copy of `config` on a free HTTP port with an HTTPS listener serving `leaf`."""
    with_listen(config, "127.0.0.1:0", dest)
    text = dest.read_text().replace(
        "[server]\n",
        f'[server]\ntls_listen = "{tls_listen}"\n'
        f'tls_certificate = "{leaf.chain}"\ntls_key = "{leaf.key}"\n',
        1,
    )
    dest.write_text(text)
    return dest


def served_fingerprint(url: str, ca: Path) -> str:
    """SHA-256 of the certificate the server at `url` presents now, over a verified handshake."""
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    context = ssl.create_default_context(cafile=str(ca))
    with (
        socket.create_connection((host, int(port)), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return hashlib.sha256(der).hexdigest()
