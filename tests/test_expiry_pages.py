"""Expiry on the pages: days left and the expiring/expired marks on a snapshots mount's front
page, the `snapshot bump` command on a serial page, and a rebuild within the day writing
nothing (the render memo sees the same values)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.base.config import load
from snapfront.basedir.days import days_left
from snapfront.generator.build import Builder
from snapfront.generator.model import (
    DAY,
    EXPIRING_WITHIN,
    Validity,
    expiring_within,
    next_midnight,
    validity,
)
from snapfront.generator.render import days, page_json, render_page
from snapfront.lifecycle.listing import list_snapshots
from tests.test_render import T0, dom, front_page, serial_page

pytestmark = pytest.mark.live


def test_validity_marks_follow_the_threshold() -> None:
    assert validity(T0 + 8 * DAY, T0) is Validity.VALID
    assert validity(T0 + 7 * DAY, T0) is Validity.EXPIRING  # the default: 7 days
    assert validity(T0 + 8 * DAY, T0, 14 * DAY) is Validity.EXPIRING
    assert validity(T0, T0) is Validity.EXPIRED
    assert validity(None, T0) is Validity.UNLIMITED


def test_the_watcher_rescans_just_after_midnight_utc() -> None:
    """Days left move at 00:00 UTC: the next midnight is when both replicas re-render."""
    for now in (T0, T0 // DAY * DAY, T0 // DAY * DAY - 1):
        midnight = next_midnight(now)
        assert midnight % DAY == 0 and now < midnight <= now + DAY


def test_threshold_is_min_valid_for_but_never_under_seven_days() -> None:
    assert expiring_within(86400.0) == EXPIRING_WITHIN == 7 * DAY  # [health]'s default, 1 d
    assert expiring_within(30 * DAY) == 30 * DAY


def test_days_left_moves_once_a_day() -> None:
    until = T0 + 3 * DAY + 5  # T0 is 00:00 UTC: the difference of UTC dates, whatever the hour
    nows = (0, 5, 6, DAY - 1, DAY, DAY + 6, 3 * DAY + 6)
    assert [days_left(until, T0 + s) for s in nows] == [3, 3, 3, 3, 2, 2, 0]
    assert days_left(until, until) == 0 and days_left(until, T0 + 4 * DAY) == -1
    assert days_left(None, T0) is None
    assert [days(n) for n in (None, -1, 0, 1, 12)] == [
        "", "", "expires today", "1 day left", "12 days left",
    ]  # fmt: skip


def test_front_page_shows_days_left_and_the_marks() -> None:
    page = front_page()
    rows = tuple(replace(r, days_left=d) for r, d in zip(page.serials, (7, 1, -6), strict=True))
    root = dom(render_page(replace(page, serials=rows)))
    cells = [r.one("td", "until") for r in root.one("table", "serials").one("tbody").all("tr")]
    assert [c.all("small", "left")[0].text() if c.all("small", "left") else "" for c in cells] == [
        "7 days left", "1 day left", "",
    ]  # fmt: skip
    data = json.loads(page_json(replace(page, serials=rows)))
    assert [(s["validity"], s["days_left"]) for s in data["serials"]] == [
        ("valid", 7), ("expiring", 1), ("expired", -6),
    ]  # fmt: skip


def test_serial_page_says_how_to_keep_it() -> None:
    command = "snapfront snapshot bump /snapshots/debian/ 2024061402 --days N"
    root = dom(render_page(replace(serial_page(), keep=command)))
    (section,) = root.all("section", "keep")
    assert section.one("pre", "command").text() == command
    assert json.loads(page_json(replace(serial_page(), keep=command)))["keep"] == command
    assert not dom(render_page(serial_page())).all("section", "keep")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleHost:
    return sample.build_sample_host(tmp_path_factory.mktemp("expiry") / "host")


def front_serials(host: sample.SampleHost) -> dict[str, tuple[str, int]]:
    data = json.loads((host.output / "debian" / "index.json").read_text())
    return {s["serial"]: (s["validity"], s["days_left"]) for s in data["serials"]}


def test_built_pages_mark_expiry_and_rebuild_within_the_day_writes_nothing(
    host: sample.SampleHost, tmp_path: Path
) -> None:
    config = load(str(host.config))
    old, new = host.serials
    builder = Builder(config)
    builder.full()
    data = json.loads((host.output / "debian" / "index.json").read_text())
    until = min(s["valid_until"] for s in data["serials"])  # ValidFor 365d
    assert front_serials(host) == {old: ("valid", 365), new: ("valid", 365)}  # by UTC date
    serial_html = (host.output / "debian" / old / "index.html").read_text()
    assert f"snapfront snapshot bump /debian/ {old} --days N" in serial_html

    expiry_day = until // DAY * DAY  # 00:00 UTC of the day Valid-Until falls on
    builder.full(now=expiry_day - 3 * DAY + 60)
    assert front_serials(host)[old] == ("expiring", 3)
    again = Builder(config).full(now=expiry_day - 2 * DAY - 60)  # later the same UTC day
    assert again.written == 0, again
    builder.full(now=until + 1)  # counted from 00:00 UTC: on its last day, "expires today"
    assert front_serials(host)[old] == ("expiring", 0)
    assert "expires today" in (host.output / "debian" / "index.html").read_text()
    builder.full(now=expiry_day + DAY)
    assert front_serials(host)[old] == ("expired", -1)

    with_health = tmp_path / "health.toml"
    with_health.write_text(host.config.read_text().replace(
        "[server]\n", '[health]\nmin_valid_for = "30d"\n\n[server]\n'
    ).replace('output = "output"', f'output = "{host.output}"').replace(
        'root = "', f'root = "{host.dir}/'
    ).replace('keyring = "', f'keyring = "{host.dir}/'))  # fmt: skip
    Builder(load(str(with_health))).full(now=expiry_day - 20 * DAY + 60)
    assert front_serials(host)[old] == ("expiring", 20)


def test_the_archive_page_and_snapshot_list_count_the_same_days(host: sample.SampleHost) -> None:
    """The page said "365 days left" where `snapshot list` said "364 d" for the same serial:
    both count by UTC date (basedir.days), whatever the hour."""
    config = load(str(host.config))
    (mount,) = [m for m in config.mounts if m.url == "/debian/"]
    old = host.serials[0]
    Builder(config).full()
    data = json.loads((host.output / "debian" / "index.json").read_text())
    until = next(row["valid_until"] for row in data["serials"] if row["serial"] == old)
    # a minute after the snapshot was taken (ValidFor 365d), three days before at a later
    # hour, and the last second
    for now in (until - 365 * DAY + 60, until - 3 * DAY + 60, until - 1):
        Builder(config).full(now=now)
        page = front_serials(host)[old][1]
        rows = json.loads(list_snapshots(mount, True, now=now).lines[0])["serials"]
        (row,) = [r for r in rows if r["serial"] == old]
        text = list_snapshots(mount, False, now=now).lines
        (line,) = [x for x in text if x.startswith(old)]
        assert row["days_left"] == page, (now, row, page)
        assert f"  {page} d " in line, line
    assert page == 0
