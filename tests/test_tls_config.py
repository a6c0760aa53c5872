"""The HTTPS keys when they cannot serve (issue 17): one line naming the config, the key and the
file, exit 2, nothing built or served, from check-config and serve alike. An expired
certificate is a warning: HTTP and HTTPS are served all the same."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import running_server
from tests.test_config import GOOD_MOUNT, run
from tests.test_config_errors import _expect_one_line
from tests.tls_support import Authority, Leaf, make_authority, openssl

pytestmark = pytest.mark.live


COMMANDS = ["check-config", "serve"]


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return make_authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def leaves(authority: Authority) -> dict[str, Path]:
    """Good and bad files for tls_certificate and tls_key."""
    good, other = authority.issue("good"), authority.issue("other")
    d = authority.directory
    (d / "garbage.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n")
    openssl("genpkey", "-algorithm", "RSA", "-aes256", "-pass", "pass:secret",
            "-out", "encrypted.key", cwd=d)  # fmt: skip
    return {
        "chain": good.chain,
        "key": good.key,
        "other key": other.key,
        "garbage": d / "garbage.pem",
        "encrypted": d / "encrypted.key",
        "directory": d,
        "missing": d / "nope.pem",
    }


def server(cert: Path | None, key: Path | None, listen: str | None = "127.0.0.1:0") -> str:
    text = '[server]\noutput = "out"\nlisten = "127.0.0.1:0"\n'
    if listen is not None:
        text += f'tls_listen = "{listen}"\n'
    if cert is not None:
        text += f'tls_certificate = "{cert}"\n'
    if key is not None:
        text += f'tls_key = "{key}"\n'
    return text + GOOD_MOUNT


CASES = [
    ("missing", "key", "server.tls_certificate: cannot read {cert}: No such file or directory"),
    ("chain", "directory", "server.tls_key: cannot read {key}: Is a directory"),
    ("garbage", "key", "server.tls_certificate: {cert} holds no PEM certificate"),
    ("key", "key", "server.tls_certificate: {cert} holds no PEM certificate"),
    ("chain", "garbage", "server.tls_key: {key} holds no PEM private key"),
    ("chain", "chain", "server.tls_key: {key} holds no PEM private key"),
    ("chain", "other key", "server.tls_key: {key} is not the key of the certificate in {cert}"),
    ("chain", "encrypted", "server.tls_key: {key} is encrypted: snapfront has no passphrase"),
]


@pytest.mark.parametrize(("cert", "key", "expected"), CASES)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_certificate_or_key_that_cannot_serve(
    tmp_path: Path, leaves: dict[str, Path], cert: str, key: str, expected: str, command: str
) -> None:
    text = server(leaves[cert], leaves[key])
    result = run(tmp_path, text, command)
    _expect_one_line(
        result, tmp_path / "snapfront.toml", expected.format(cert=leaves[cert], key=leaves[key])
    )
    assert not (tmp_path / "out").exists(), "nothing built for a listener that cannot serve"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (server(None, None), "server.tls_certificate: required with server.tls_listen"),
        (server(Path("/c.pem"), None), "server.tls_key: required with server.tls_listen"),
        (server(Path("/c.pem"), Path("/k.pem"), None),
         "server.tls_certificate: set without server.tls_listen"),
        (server(Path("/c.pem"), Path("/k.pem"), "localhost"), "server.tls_listen: must be HOST:PORT"),
        (server(Path("/c.pem"), Path("/k.pem"), "0.0.0.0:8080").replace("127.0.0.1:0", "127.0.0.1:8080"),
         "server.tls_listen: the same port as server.listen"),
        ('[server]\noutput = "out"\ntls_lisen = "127.0.0.1:8443"\n' + GOOD_MOUNT,
         "server.tls_lisen: unknown key (did you mean tls_listen?)"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", [*COMMANDS, "build"])
def test_the_tls_keys_go_together(tmp_path: Path, text: str, expected: str, command: str) -> None:
    result = run(tmp_path, text, command)
    _expect_one_line(result, tmp_path / "snapfront.toml", expected)
    assert not (tmp_path / "out").exists()


def test_other_commands_need_not_read_the_key(tmp_path: Path, leaves: dict[str, Path]) -> None:
    """A cron `snapfront build` (or `snapshot take`) as a user who cannot read privkey.pem."""
    result = run(tmp_path, server(leaves["missing"], leaves["missing"]), "build")
    assert result.returncode == 0, result.stderr


def test_check_config_prints_the_tls_listener(tmp_path: Path, leaves: dict[str, Path]) -> None:
    result = run(tmp_path, server(leaves["chain"], leaves["key"], "127.0.0.1:8443"))
    assert result.returncode == 0, result.stderr
    line = result.stdout.splitlines()[1]
    assert line.startswith(
        f"tls_listen 127.0.0.1:8443, certificate {leaves['chain']} (valid until "
    )


@pytest.fixture(scope="module")
def expired(authority: Authority) -> Leaf:
    return authority.issue("expired", days=-1)  # notAfter a day ago


def test_an_expired_certificate_is_a_warning(tmp_path: Path, expired: Leaf) -> None:
    result = run(tmp_path, server(expired.chain, expired.key))
    assert result.returncode == 0, result.stderr
    warning = f"snapfront: {tmp_path / 'snapfront.toml'}: warning: server.tls_certificate: "
    expected = warning + f"{expired.chain}: certificate has expired; served all the same: renew it"
    assert expected in result.stderr.splitlines()
    assert "(not in force)" in result.stdout


def test_serve_with_an_expired_certificate_serves_both(
    tmp_path: Path, authority: Authority, expired: Leaf
) -> None:
    (tmp_path / "root").mkdir()
    config = tmp_path / "snapfront.toml"
    config.write_text(server(expired.chain, expired.key))
    with running_server(config, tls=True) as running:
        assert running.tls_url is not None
        assert "certificate has expired" in running.log.read_text()
        for url in (running.url, running.tls_url):  # -k: curl would refuse it, rightly
            got = subprocess.run(
                ["curl", "-sSk", "-o", "/dev/null", "-w", "%{http_code}", url],
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            assert got.stdout == "200", (url, got.stderr)
