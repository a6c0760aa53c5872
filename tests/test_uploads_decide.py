"""The pure decisions about uploads in incoming/ (suites.incoming) and where their changes show
(generator.plan): complete or waiting, reprepro's answer, what is left behind or taken aside."""

from __future__ import annotations

import hashlib

import pytest

from snapfront.generator.plan import Change, Part, PartKind, affected
from snapfront.rewrite_rules import Mount, MountKind
from snapfront.suites.incoming import (
    STALE_SECONDS,
    BadChanges,
    Seen,
    State,
    answer,
    aside_name,
    changes_names,
    decide,
    leftovers,
    parse_changes,
    to_hash,
)

pytestmark = pytest.mark.pure

DEB, DSC = b"a .deb's bytes", b"a .dsc's bytes"


def changes_text(suite: str = "devel", files: dict[str, bytes] | None = None) -> bytes:
    files = files if files is not None else {"p_1.0_all.deb": DEB, "p_1.0.dsc": DSC}
    lines = "".join(
        f" {hashlib.sha256(data).hexdigest()} {len(data)} {name}\n" for name, data in files.items()
    )
    return (
        f"Format: 1.8\nSource: p\nVersion: 1.0\nDistribution: {suite}\nChecksums-Sha256:\n{lines}"
    ).encode()


def seen(data: bytes, mtime: float = 100.0, hashed: bool = True) -> Seen:
    return Seen(len(data), mtime, hashlib.sha256(data).hexdigest() if hashed else None)


UPLOAD = parse_changes("p_1.0_amd64.changes", changes_text())


def test_a_changes_file_is_read_and_its_signature_noticed() -> None:
    assert (UPLOAD.suite, UPLOAD.source, UPLOAD.version, UPLOAD.signed) == (
        "devel",
        "p",
        "1.0",
        False,
    )
    assert UPLOAD.names() == ("p_1.0_amd64.changes", "p_1.0_all.deb", "p_1.0.dsc")
    signed = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + changes_text()
    signed += b"\n-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n"
    assert parse_changes("s.changes", signed).signed


@pytest.mark.parametrize("data", [
    changes_text()[:40],  # half-copied
    changes_text(files={}),  # lists nothing
    changes_text(files={"../escape.deb": DEB}),
    b"\xff\xfe not text",
])  # fmt: skip
def test_what_is_not_a_usable_changes_file(data: bytes) -> None:
    with pytest.raises(BadChanges):
        parse_changes("x.changes", data)


def test_complete_only_with_every_file_there_and_matching() -> None:
    everything = {"p_1.0_amd64.changes": seen(b"c"), "p_1.0_all.deb": seen(DEB),
                  "p_1.0.dsc": seen(DSC)}  # fmt: skip
    assert decide(UPLOAD, everything, 200.0).state is State.READY
    no_deb = {k: v for k, v in everything.items() if k != "p_1.0_all.deb"}
    assert decide(UPLOAD, no_deb, 200.0) == decide(UPLOAD, no_deb, 200.0)
    assert decide(UPLOAD, no_deb, 200.0).missing == ("p_1.0_all.deb",)
    assert decide(UPLOAD, no_deb, 200.0).state is State.WAITING
    half = everything | {"p_1.0_all.deb": seen(DEB[:5], hashed=False)}  # still being copied
    assert to_hash(UPLOAD, half) == ["p_1.0.dsc"]  # a short file is not even hashed
    assert decide(UPLOAD, half, 200.0).state is State.WAITING
    wrong = everything | {"p_1.0_all.deb": Seen(len(DEB), 100.0, "0" * 64)}
    assert decide(UPLOAD, wrong, 200.0).missing == ("p_1.0_all.deb",)


def test_waiting_too_long_is_stale() -> None:
    files = {"p_1.0_amd64.changes": seen(b"c", mtime=100.0)}
    assert decide(UPLOAD, files, 100.0 + STALE_SECONDS).state is State.WAITING
    late = decide(UPLOAD, files, 101.0 + STALE_SECONDS)
    assert late.state is State.STALE and "p_1.0_all.deb" in late.reason()


def test_oldest_changes_first() -> None:
    files = {"b.changes": Seen(1, 5.0), "a.changes": Seen(1, 9.0), "c.deb": Seen(1, 1.0),
             ".hidden.changes": Seen(1, 1.0)}  # fmt: skip
    assert changes_names(files) == ["b.changes", "a.changes"]


@pytest.mark.parametrize(("status", "output", "accepted", "reason"), [
    (0, "Exporting indices...\n", True, ""),
    (243, "No distribution found for 'x.changes'!\nThere have been errors!\n", False,
     "No distribution found for 'x.changes'!"),
    (0, "Skipping x.changes because all packages are skipped!\n", False,
     "Skipping x.changes because all packages are skipped! (that version is in the suite already)"),
    (255, "", False, "reprepro exited 255"),
])  # fmt: skip
def test_reprepros_answer(status: int, output: str, accepted: bool, reason: str) -> None:
    said = answer(status, output)
    assert (said.accepted, said.reason) == (accepted, reason)


def test_leftovers_spare_files_another_upload_lists() -> None:
    other = parse_changes("q.changes", changes_text(files={"p_1.0.dsc": DSC}))
    present = ["p_1.0_amd64.changes", "p_1.0.dsc", "unrelated.deb"]
    assert leftovers(UPLOAD, present, [UPLOAD, other]) == ["p_1.0_amd64.changes"]
    assert leftovers(UPLOAD, present, [UPLOAD]) == ["p_1.0_amd64.changes", "p_1.0.dsc"]


def test_aside_names_sort_by_time_and_never_collide() -> None:
    first = aside_name("p_1.0_amd64.changes", 0.0, [])
    assert first == "19700101T000000Z-p_1.0_amd64"
    assert aside_name("p_1.0_amd64.changes", 0.0, [first]) == f"{first}.2"


def test_a_rejection_taken_aside_rebuilds_the_repository_top_page_only() -> None:
    mount = Mount("/apt/", MountKind.REPOSITORY, "/srv/apt", "apt")
    top = Part(PartKind.PAGE, "", "/apt/")
    change = Change("incoming/rejected/20240101T000000Z-p/reason.json", False, True)
    assert affected(mount, (), change) == {top}
    assert affected(mount, (), Change("incoming/p_1.0_all.deb", False, True)) == frozenset()
