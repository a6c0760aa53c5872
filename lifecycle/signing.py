"""Sign a Release as dak and aptly do, and check the result before anything is replaced.

InRelease is `gpg --clearsign`, Release.gpg `gpg --armor --detach-sign`, both with SHA256
digests (APT refuses SHA1, MD5 and RIPEMD-160) and `--local-user` for each key `SignWith:`
names. Then both are verified with gpgv, and the signed text of InRelease must equal the new
Release byte for byte. Every problem is a `Refused`: nothing has been replaced yet.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from snapfront.base.errors import Refused
from snapfront.basedir import tools

DIGEST = ("--personal-digest-preferences", "SHA256", "--digest-algo", "SHA256")
DEFAULT_KEY = ("default", "yes")
"""SignWith values meaning gpg's default key (reprepro: `yes` or `default`)."""


@dataclass(frozen=True)
class Signed:
    release: bytes
    inrelease: bytes
    detached: bytes  # Release.gpg, armored


def signing_keys(sign_with: str | None, where: str) -> tuple[str, ...]:
    """The --local-user values for a SignWith field; () for gpg's default key.

    Refused when the distribution is not signed at all or signs through a hook (`! script`):
    snapfront cannot produce what that hook would."""
    if sign_with is None or not sign_with.strip():
        raise Refused(f"{where}: conf/distributions has no SignWith: it is not signed")
    value = sign_with.strip()
    if value.startswith("!"):
        raise Refused(f"{where}: SignWith runs a hook ({value}): sign it with that hook")
    return gpg_keys(value) or ()


def gpg_keys(sign_with: str | None) -> tuple[str, ...] | None:
    """The keys gpg signs with for a SignWith field (() = its default key); None when gpg
    does not sign: no SignWith, or a hook that signs by itself."""
    value = (sign_with or "").strip()
    if not value or value.startswith("!"):
        return None
    if value.lower() in DEFAULT_KEY:
        return ()
    return tuple(value.replace(",", " ").split())


def check_keys(gnupghome: str | None, keys: tuple[str, ...], where: str) -> None:
    """Refused unless every key (or, for (), some key) has its secret part in GNUPGHOME,
    naming the GNUPGHOME looked in and how to name another: the one helper every command
    that signs asks before it changes anything."""
    home = gnupghome or os.environ.get("GNUPGHOME") or os.path.expanduser("~/.gnupg")
    for key in keys or ("",):
        try:
            found = tools.gpg(
                gnupghome, "--with-colons", "--list-secret-keys", *([key] if key else [])
            )
        except tools.ToolError:
            found = ""
        if not any(line.startswith("sec:") for line in found.splitlines()):
            named = f"secret key {key}" if key else "a secret key"
            raise Refused(
                f"{where}: no {named} in GNUPGHOME {home}: name the directory that holds it "
                "with --gnupghome DIR (or GNUPGHOME)"
            )


def check_signers(
    gnupghome: str | None, sign_with: Mapping[str, str | None], codenames: Iterable[str]
) -> None:
    """check_keys for each of `codenames` that reprepro signs with gpg (`sign_with`: their
    SignWith fields), before reprepro runs: a missing key is refused with nothing changed."""
    for codename in codenames:
        keys = gpg_keys(sign_with.get(codename))
        if keys is not None:
            check_keys(gnupghome, keys, codename)


def sign(gnupghome: str | None, keys: tuple[str, ...], release: bytes, work: str) -> Signed:
    """Clearsign and detach-sign `release` (files in the private directory `work`)."""
    source = os.path.join(work, "Release")
    with open(source, "wb") as fh:
        fh.write(release)
    users = [arg for key in keys for arg in ("--local-user", key)]
    outputs = {}
    for name, mode in (
        ("InRelease", ["--clearsign"]),
        ("Release.gpg", ["--armor", "--detach-sign"]),
    ):
        target = os.path.join(work, name)
        try:
            tools.gpg(gnupghome, *DIGEST, *users, *mode, "--output", target, source)
        except tools.ToolError as exc:
            raise Refused(f"signing failed: {exc.stderr.strip() or exc}") from None
        with open(target, "rb") as fh:
            outputs[name] = fh.read()
    return Signed(release, outputs["InRelease"], outputs["Release.gpg"])


def public_keyring(gnupghome: str | None, keys: tuple[str, ...], work: str) -> str:
    """The signing keys' public part exported to a keyring file, for gpgv."""
    ring = os.path.join(work, "signing-keys.gpg")
    tools.gpg(gnupghome, "--yes", "--output", ring, "--export", *keys)
    return ring


def verify(signed: Signed, keyring: str, work: str, where: str) -> None:
    """Both signatures verify with `keyring`, and InRelease signs exactly the new Release."""
    files = {}
    for name, data in (("Release", signed.release), ("InRelease", signed.inrelease)):
        files[name] = os.path.join(work, name)
        with open(files[name], "wb") as fh:
            fh.write(data)
    files["Release.gpg"] = os.path.join(work, "Release.gpg")
    with open(files["Release.gpg"], "wb") as fh:
        fh.write(signed.detached)
    body = os.path.join(work, "InRelease.body")
    ok, reason = tools.gpgv([files["InRelease"]], keyring, output=body)
    if not ok:
        raise Refused(f"{where}: the new InRelease does not verify with {keyring}: {reason}")
    with open(body, "rb") as fh:
        if fh.read() != signed.release:
            raise Refused(f"{where}: the new InRelease does not sign the new Release as it is")
    ok, reason = tools.gpgv([files["Release.gpg"], files["Release"]], keyring)
    if not ok:
        raise Refused(f"{where}: the new Release.gpg does not verify with {keyring}: {reason}")
