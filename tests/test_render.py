"""generator.render: hand-built pages through the real templates, checked as parsed HTML/XML."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from snapfront.diffs.compare import compare
from snapfront.generator.assets import assets
from snapfront.generator.model import (
    Distribution,
    Feed,
    FeedEntry,
    Link,
    Page,
    Row,
    SerialRow,
    Stanza,
    Suite,
    SuiteEvent,
    SuiteGroup,
    SuiteHistory,
    SuiteRow,
    Validity,
)
from snapfront.generator.render import (
    demote_headings,
    environment,
    iso,
    page_json,
    render_feed,
    render_page,
    site_dir,
    size,
    utc,
)

pytestmark = pytest.mark.pure


HOST = "https://releases.example.org"
T0 = 1718323200  # 2024-06-14 00:00:00 UTC
DAY = 86400
EVIL = "<script>alert(1)</script>.tar.gz"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
LONG = "debian-live-12.5.0-amd64-gnome+nonfree_with-firmware_and_a_very_long_suffix.hybrid.iso"
SHA_B = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def crumbs(url: str) -> tuple[Link, ...]:
    parts = [p for p in url.strip("/").split("/") if p]
    below = [Link(part, "/" + "/".join(parts[: i + 1]) + "/") for i, part in enumerate(parts)]
    return (Link("/", "/"), *below)


def files_page() -> Page:
    """A release tree: directories, tarballs with .sig/.asc, a hostile name, a README header."""
    url = "/releases/mediawiki/"
    tarball = "mediawiki-1.42.1.tar.gz"
    older = "mediawiki-1.41.4.tar.gz"
    rows = (
        Row("1.42/", "1.42/", True, mtime=T0 - 3 * DAY),
        Row("1.41/", "1.41/", True, mtime=T0 - 90 * DAY),
        Row(
            tarball, tarball, False, 98_765_432, T0 - 3 * DAY, SHA, (Link("sig", tarball + ".sig"),)
        ),
        Row(
            older,
            older,
            False,
            97_012_345,
            T0 - 90 * DAY,
            SHA_B,
            (Link("sig", older + ".sig"), Link("asc", older + ".asc")),
        ),
        Row(EVIL, quote(EVIL), False, 1234, T0 - 5 * DAY, SHA),
        Row("SHA256SUMS", "SHA256SUMS", False, 2764, T0 - 3 * DAY, SHA_B),
        Row("README.md", "README.md", False, 812, T0 - 400 * DAY, SHA),
        Row(LONG, LONG, False, 3_301_234_567, T0 - 400 * DAY, SHA_B),
    )
    return Page(
        url=url,
        title=f"Index of {url}",
        breadcrumbs=crumbs(url),
        rows=rows,
        header_html=(
            "<h2>MediaWiki releases</h2>\n<p>Every tarball is signed by a release manager; "
            "verify with <code>gpg --verify FILE.sig</code>.</p>\n"
            "<pre><code>gpg --keyserver keyserver.ubuntu.com --recv-keys "
            "441276E9CCD15F44F6D97D18C119E1A64D70938E\n</code></pre>\n"
        ),
        feed=Link("Atom feed", url + "feed.atom"),
        keyring=Link("keyring.gpg", "/releases/keyring.gpg"),
    )


def serial_rows() -> tuple[SerialRow, ...]:
    return (
        SerialRow(
            "2024061402",
            "2024061402/",
            T0,
            ("bookworm", "trixie"),
            T0 + 7 * DAY,
            Validity.VALID,
            True,
            newest=True,
        ),
        SerialRow(
            "2024061301", "2024061301/", T0 - DAY, ("bookworm",), T0 + DAY, Validity.EXPIRING, True
        ),
        SerialRow(
            "2024060101",
            "2024060101/",
            T0 - 13 * DAY,
            ("bookworm", "trixie"),
            T0 - 6 * DAY,
            Validity.EXPIRED,
            False,
        ),
    )


def front_page() -> Page:
    """The snapshots mount's front page: three serials, valid, expiring, expired."""
    url = "/snapshots/debian/"
    return Page(
        url=url,
        title=f"Index of {url}",
        breadcrumbs=crumbs(url),
        serials=serial_rows(),
        rows=(Row("pool/", "pool/", True), Row("project/trace/", "project/trace/", True)),
        keyring=Link("keyring.gpg", url + "keyring.gpg"),
        note="One directory per snapshot serial (YYYYMMDDNN); the pool is shared.",
    )


def suite(codename: str, validity: Validity, until: int | None, sources: bool) -> Suite:
    base = f"{HOST}/snapshots/debian/2024061402/"
    dist = Distribution(
        codename=codename,
        suite="stable" if codename == "bookworm" else "testing",
        origin="Example",
        label="Example snapshots",
        architectures=("amd64", "arm64", "i386"),
        components=("main", "contrib", "non-free-firmware"),
        date=T0,
        valid_until=until,
        signed=True,
        has_sources=sources,
    )
    stanza = Stanza(
        ("deb", "deb-src") if sources else ("deb",),
        base,
        (codename,),
        dist.components,
        "/etc/apt/keyrings/snapshots-debian.gpg",
        f"{HOST}/snapshots/debian/keyring.gpg",
    )
    return Suite(dist, validity, stanza, f"dists/{codename}/")


def serial_page() -> Page:
    url = "/snapshots/debian/2024061402/"
    return Page(
        url=url,
        title=f"Index of {url}",
        breadcrumbs=crumbs(url),
        suites=(
            suite("bookworm", Validity.VALID, T0 + 7 * DAY, True),
            suite("trixie", Validity.EXPIRING, T0 + DAY, False),
        ),
        rows=(Row("dists/", "dists/", True), Row("pool/", "../pool/", True)),
        keyring=Link("keyring.gpg", "/snapshots/debian/keyring.gpg"),
    )


def feed() -> Feed:
    site = f"{HOST}/releases/mediawiki/"
    names = ("mediawiki-1.42.1.tar.gz", "mediawiki-1.41.4.tar.gz", "a&b <c>.tar.gz")
    entries = tuple(
        FeedEntry(name, site + quote(name), T0 - i * DAY, 1000 * (i + 1), SHA)
        for i, name in enumerate(names)
    )
    return Feed("/releases/mediawiki/feed.atom", "mediawiki releases", site, entries)


def repository_page() -> Page:
    """A repository mount's top page: its suites by kind (generator.suite_pages)."""
    url = "/tails/"
    main = (SuiteRow("devel", "/tails/dists/devel/", "devel", "accepted", T0, "merge", "merge"),
            SuiteRow("stable", "/tails/dists/stable/", "stable", "accepted", None, None))  # fmt: skip
    release = (SuiteRow("6.0", "/tails/dists/6.0/", "6.0", "read-only", T0 - DAY, "tag", "tag"),)
    groups = (SuiteGroup("main", "Main branches", main),
              SuiteGroup("release", "Releases (read-only)", release))  # fmt: skip
    devel = replace(suite("devel", Validity.UNLIMITED, None, False), kind="main")
    rows = (Row("dists/", "dists/", True), Row("pool/", "pool/", True))
    return Page(url, f"Index of {url}", crumbs(url), rows=rows, suites=(devel,),
                suite_groups=groups)  # fmt: skip


def suite_history_page() -> Page:
    """A repository suite's dists/SUITE/ page: its kind and recent history, newest first."""
    url = "/tails/dists/devel/"
    merged = compare({"b": "3.0-1", "c": "1.0-1"}, {"a": "1.0-1", "b": "2.0-1", "c": "1.1-1"})
    events = (SuiteEvent("merge", "merge", T0, "from stable", merged),
              SuiteEvent("removal", "removed outside snapfront", T0 - DAY, "",
                         compare({"d": "1.0-1"}, {})))  # fmt: skip
    devel = replace(suite("devel", Validity.UNLIMITED, None, False), kind="main")
    return Page(url, f"Index of {url}", crumbs(url), rows=(Row("main/", "main/", True),),
                suites=(devel,), history=SuiteHistory("devel", "main", events, older=2))  # fmt: skip


PAGES = {"files": files_page, "front": front_page, "serial": serial_page,
         "repository": repository_page, "suite-history": suite_history_page}  # fmt: skip


# --- a small DOM over html.parser -----------------------------------------------------------

VOID = {"meta", "link", "br", "img", "hr", "input", "wbr", "source", "col"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def all(self, tag: str, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and (cls is None or cls in child.classes()):
                    found.append(child)
                found.extend(child.all(tag, cls))
        return found

    def one(self, tag: str, cls: str | None = None) -> Node:
        (found,) = self.all(tag, cls)
        return found


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert tag not in VOID, tag
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def listing_rows(root: Node) -> list[Node]:
    """The rows of the page's entries (not the "../" row)."""
    return [
        tr for tr in root.one("table", "listing").one("tbody").all("tr") if "up" not in tr.classes()
    ]


# --- tests -------------------------------------------------------------------------------


def test_filters() -> None:
    assert size(0) == "0 B"
    assert size(812) == "812 B"
    assert size(1024) == "1.0 KiB"
    assert size(2764) == "2.7 KiB"
    assert size(98_765_432) == "94.2 MiB"
    assert size(1024**2 - 1) == "1.0 MiB"  # never "1024.0 KiB"
    assert size(3 * 1024**3 + 1024**3 // 2) == "3.5 GiB"
    assert size(None) == ""
    assert utc(T0 + 3723) == "2024-06-14 01:02 UTC"
    assert utc(T0 + 3723, False) == "2024-06-14 01:02"
    assert iso(T0 + 3723) == "2024-06-14T01:02:03Z"
    assert environment().filters["size"] is size


def test_site_dir_holds_the_templates() -> None:
    root = site_dir()
    for name in ("templates/base.html", "templates/page.html", "templates/feed.atom"):
        assert (root / name).is_file(), name
    assert (root / "static" / "snapfront.css").is_file()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_are_well_formed_and_deterministic(name: str) -> None:
    page = PAGES[name]()
    html = render_page(page)
    assert html == render_page(PAGES[name]())
    root = dom(html)
    assert root.one("title").text() == page.title
    assert root.one("header", "top").one("h1").text() == page.title
    crumbs_nav = root.one("nav", "crumbs")
    assert [a.attrs["href"] for a in crumbs_nav.all("a")] == [c.href for c in page.breadcrumbs]
    assert crumbs_nav.all("a")[-1].attrs.get("aria-current") == "page"
    # Nothing fetched but the fingerprinted stylesheet (and a listing's deferred script) from
    # /-/static/, cached for good: no inline copy, no favicon, no image.
    assert not root.all("style")
    for tag in ("img", "iframe", "object", "embed"):
        assert not root.all(tag), tag
    (sheet,) = [link for link in root.all("link") if link.attrs["rel"] == "stylesheet"]
    assert sheet.attrs["href"] == assets()["snapfront.css"].url
    scripts = [script.attrs for script in root.one("head").all("script")]
    listing = {"defer": None, "src": assets()["listing.js"].url}
    assert scripts == ([listing] if page.rows else []) and len(root.all("script")) == len(scripts)
    assert [link.attrs["href"] for link in root.all("link") if link.attrs["rel"] == "icon"] == [
        "data:,"
    ]
    assert len(root.all("h1")) == 1
    assert "@import" not in html and "url(" not in html


def test_listing_rows_sizes_and_signatures() -> None:
    page = files_page()
    root = dom(render_page(page))
    rows = listing_rows(root)
    names = [row.one("td", "name").all("a")[0].text() for row in rows]
    assert names == [r.name for r in page.rows]  # the given order, directories with "/"
    tarball = rows[2]
    assert tarball.one("data").text() == "94.2 MiB"
    assert tarball.one("data").attrs["value"] == "98765432"
    assert tarball.one("data").attrs["title"] == "98765432 bytes"
    assert tarball.one("td", "size").text() == "94.2 MiB"  # one size, the exact one in a title
    sigs = [a.attrs["href"] for a in tarball.all("a", "sig")]
    assert sigs == ["mediawiki-1.42.1.tar.gz.sig"]
    assert [a.text() for a in rows[3].all("a", "sig")] == ["sig", "asc"]
    assert not rows[4].all("a", "sig")
    sums = rows[5]
    assert sums.one("data").text() == "2.7 KiB" and sums.one("data").attrs["title"] == "2764 bytes"
    assert sums.one("time").text() == "2024-06-11 00:00"
    assert sums.one("time").attrs["datetime"] == "2024-06-11T00:00:00Z"
    code = tarball.one("code", "hash")
    assert code.text() == SHA and SHA in (code.attrs["title"] or "")
    assert rows[0].one("td", "size").text() == ""  # a directory has no size


def test_parent_row_except_at_the_top() -> None:
    first = dom(render_page(files_page())).one("table", "listing").one("tbody").all("tr")[0]
    assert first.classes() == {"up"} and first.one("a").attrs["href"] == "/releases/"
    # ../ leads to the nearest ancestor with a page (breadcrumbs without one have no href)
    *above, last = files_page().breadcrumbs
    unlinked = replace(files_page(), breadcrumbs=(above[0], Link(above[1].label, ""), last))
    first = dom(render_page(unlinked)).one("table", "listing").one("tbody").all("tr")[0]
    assert first.one("a").attrs["href"] == "/"
    top = replace(files_page(), url="/", title="Index of /", breadcrumbs=crumbs("/"))
    assert not [tr for tr in dom(render_page(top)).all("tr") if "up" in tr.classes()]


def test_readme_headings_come_one_level_down() -> None:
    assert demote_headings("<h1>T</h1><H2 id=x>a</H2><h6>z</h6><hr><header>") == (
        "<h2>T</h2><h3 id=x>a</h3><h6>z</h6><hr><header>"
    )


def test_header_feed_and_keyring_links() -> None:
    page = files_page()
    root = dom(render_page(page))
    readme = root.one("section", "readme")
    assert readme.one("h2").text() == "MediaWiki releases"
    (alternate,) = [
        link
        for link in root.one("head").all("link")
        if link.attrs.get("type") == "application/atom+xml"
    ]
    assert alternate.attrs["rel"] == "alternate"
    assert alternate.attrs["href"] == "/releases/mediawiki/feed.atom"
    assert root.one("a", "feed").attrs["href"] == "/releases/mediawiki/feed.atom"
    assert root.one("a", "keyring").attrs["href"] == "/releases/keyring.gpg"


def test_hostile_file_name_is_escaped() -> None:
    html = render_page(files_page())
    assert html.count("<script") == 1  # the page's own listing script, and no other
    assert html.count("</script>") == 1 and "alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.tar.gz" in html
    row = listing_rows(dom(html))[4]
    link = row.one("td", "name").one("a")
    assert link.text() == EVIL
    assert link.attrs["href"] == quote(EVIL)


def test_serials_with_their_states_as_text() -> None:
    page = front_page()
    root = dom(render_page(page))
    rows = root.one("table", "serials").one("tbody").all("tr")
    assert [r.one("td", "serial").one("a").text() for r in rows] == [
        "2024061402",
        "2024061301",
        "2024060101",
    ]
    # The newest complete serial (here the first) is marked, in words.
    assert [r.one("td", "serial").text().split()[1:] for r in rows] == [["newest"], [], []]
    states = [[s.text() for s in r.all("span", "state")] for r in rows]
    assert states == [["valid"], ["expiring"], ["expired", "incomplete"]]
    assert [r.all("span", "state")[0].classes() for r in rows] == [
        {"state", "valid"},
        {"state", "expiring"},
        {"state", "expired"},
    ]
    assert rows[0].one("td", "codenames").text() == "bookworm, trixie"
    assert rows[0].one("td", "until").text() == "2024-06-21 00:00"
    assert rows[0].one("td", "date").one("time").attrs["datetime"] == "2024-06-14T00:00:00Z"
    assert root.one("p", "note").text() == page.note
    # A page of directories only leaves out the empty columns.
    heads = [th.text() for th in root.one("table", "listing").all("th")]
    assert heads == ["Name"]


def test_a_partial_serial_above_the_newest_complete_one() -> None:
    """A take in progress: the newest serial is marked incomplete, the mark stays below."""
    old = serial_rows()
    taking = replace(old[0], serial="2024061501", href="2024061501/", complete=False, newest=False)
    page = replace(front_page(), serials=(taking, *old))
    rows = dom(render_page(page)).one("table", "serials").one("tbody").all("tr")
    marks = [r.one("td", "serial").text().split()[1:] for r in rows]
    assert marks == [[], ["newest"], [], []]
    assert [s.text() for s in rows[0].all("span", "state")] == ["valid", "incomplete"]
    serials = json.loads(page_json(page))["serials"]
    assert [(s["complete"], s["newest"]) for s in serials] == [
        (False, False), (True, True), (True, False), (False, False),
    ]  # fmt: skip


def test_a_repository_page_lists_its_suites_by_kind() -> None:
    root = dom(render_page(repository_page()))
    section = next(s for s in root.all("section") if s.attrs.get("aria-labelledby") == "suite-list")
    assert [h.text() for h in section.all("h3")] == ["Main branches", "Releases (read-only)"]
    tables = section.all("table", "suite-list")
    names = [[tr.one("td", "name").one("a").attrs["href"] for tr in t.one("tbody").all("tr")]
             for t in tables]  # fmt: skip
    assert names == [["/tails/dists/devel/", "/tails/dists/stable/"], ["/tails/dists/6.0/"]]
    devel = tables[0].one("tbody").all("tr")[0]
    assert devel.one("td", "date").text() == "2024-06-14 00:00 merge"
    assert tables[1].one("td", "uploads").text() == "read-only"
    facts = root.one("article", "suite").one("dl", "facts")
    assert [dt.text() for dt in facts.all("dt")][:2] == ["Codename", "Kind"]
    assert facts.all("dd")[1].text() == "main"


def test_a_suite_page_shows_its_history_newest_first() -> None:
    page = suite_history_page()
    root = dom(render_page(page))
    section = next(s for s in root.all("section") if s.attrs.get("aria-labelledby") == "history")
    assert section.one("h2").text() == "History of devel (main)"
    heads = [h.text() for h in section.all("h3")]
    assert heads == ["merge from stable · 2024-06-14 00:00 UTC +1 \u22120 \u21911 \u21931",
                     "removed outside snapfront · 2024-06-13 00:00 UTC +0 \u22121 \u21910 \u21930"]  # fmt: skip
    first = section.all("table", "changes-table")[0]
    rows = [[td.text() for td in tr.all("td")] for tr in first.one("tbody").all("tr")]
    assert rows == [["a", "added", "", "1.0-1"], ["c", "upgraded", "1.0-1", "1.1-1"],
                    ["b", "downgraded", "3.0-1", "2.0-1"]]  # fmt: skip
    assert "2 older changes not shown." in section.text()
    told = json.loads(page_json(page))["history"]
    assert (told["suite"], told["kind"], told["older"]) == ("devel", "main", 2)
    assert [e["event"] for e in told["events"]] == ["merge", "removal"]
    assert told["events"][1]["changes"]["removed"] == [{"package": "d", "version": "1.0-1"}]
    empty = replace(page, history=SuiteHistory("devel", "main", ()))
    assert "No change recorded yet" in dom(render_page(empty)).text()


def test_suites_with_stanzas_verbatim() -> None:
    page = serial_page()
    root = dom(render_page(page))
    articles = root.all("article", "suite")
    assert len(articles) == 2
    for article, expected in zip(articles, page.suites, strict=True):
        dist = expected.distribution
        assert article.one("h3").text() == dist.codename
        assert article.one("h3").one("a").attrs["href"] == expected.href
        facts = dict(
            zip(
                [dt.text() for dt in article.all("dt")],
                [dd.text() for dd in article.all("dd")],
                strict=True,
            )
        )
        assert facts["Codename"] == dist.codename
        assert facts["Suite"] == dist.suite
        assert facts["Origin"] == "Example" and facts["Label"] == "Example snapshots"
        assert facts["Architectures"] == "amd64 arm64 i386"
        assert facts["Components"] == "main contrib non-free-firmware"
        assert facts["Date"] == "2024-06-14 00:00 UTC"
        assert expected.validity.value in facts["Valid-Until"]
        assert article.one("pre", "stanza").text() == expected.stanza.text
        assert article.one("pre", "command").text() == (
            f"curl -fsSLo /etc/apt/keyrings/snapshots-debian.gpg {HOST}/snapshots/debian/keyring.gpg"
        )
    assert "Types: deb deb-src\n" in articles[0].one("pre", "stanza").text()
    assert articles[1].all("dd")[0].text() == "trixie"
    assert "expiring" in articles[1].text()


def test_no_keyring_hint_without_keyring_url() -> None:
    page = serial_page()
    bare = Suite(
        page.suites[0].distribution,
        Validity.UNLIMITED,
        Stanza(("deb",), f"{HOST}/debian/", ("bookworm",), ("main",), None, None),
        "dists/bookworm/",
    )
    root = dom(
        render_page(Page("/debian/", "Index of /debian/", crumbs("/debian/"), suites=(bare,)))
    )
    article = root.one("article", "suite")
    assert not article.all("pre", "command")
    assert "Signed-By" not in article.one("pre", "stanza").text()
    assert article.one("span", "state").text() == "no Valid-Until"
    assert not root.all("table")  # no rows, no serials: no tables at all


URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_external_references(name: str) -> None:
    page = PAGES[name]()
    given = {s.stanza.uri for s in page.suites} | {s.stanza.keyring_url for s in page.suites}
    given |= set(URL.findall(page.header_html or ""))
    for found in URL.findall(render_page(page)):
        assert found in given, found


def test_feed_is_atom_with_entries_in_order() -> None:
    value = feed()
    text = render_feed(value)
    stylesheet = '<?xml-stylesheet type="text/xsl" href="/-/static/feed.xsl"?>'  # browsers
    assert text.startswith(f'<?xml version="1.0" encoding="utf-8"?>\n{stylesheet}\n<feed')
    assert text == render_feed(feed())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(text.encode())
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.findtext("a:title", namespaces=ns) == "mediawiki releases"
    assert root.findtext("a:id", namespaces=ns) == f"{HOST}/releases/mediawiki/feed.atom"
    assert root.findtext("a:updated", namespaces=ns) == "2024-06-14T00:00:00Z"
    assert root.find("a:author/a:name", ns) is not None
    links = {link.get("rel"): link.get("href") for link in root.findall("a:link", ns)}
    assert links == {"self": f"{HOST}/releases/mediawiki/feed.atom", "alternate": value.site}
    entries = root.findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == [
        e.title for e in value.entries
    ]
    first = entries[0]
    assert first.findtext("a:id", namespaces=ns) == value.entries[0].href
    assert first.findtext("a:updated", namespaces=ns) == "2024-06-14T00:00:00Z"
    (enclosure,) = [x for x in first.findall("a:link", ns) if x.get("rel") == "enclosure"]
    assert enclosure.get("length") == "1000"
    assert SHA in (first.findtext("a:summary", namespaces=ns) or "")


def test_empty_feed_is_still_valid() -> None:
    text = render_feed(Feed("/r/x/feed.atom", "x releases", f"{HOST}/r/x/", ()))
    root = ET.fromstring(text.encode())
    assert root.findtext("{http://www.w3.org/2005/Atom}updated") == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_json_round_trips(name: str) -> None:
    page = PAGES[name]()
    text = page_json(page)
    assert text == page_json(PAGES[name]())
    data = json.loads(text)
    assert json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n" == text
    assert set(data) == {
        "url", "title", "note", "keep", "feed", "keyring", "entries", "serials", "suites",
        "snapshot_conf", "repositories", "checksums", "suite_groups", "history",
    }  # fmt: skip
    assert data["url"] == page.url and data["title"] == page.title
    assert [e["href"] for e in data["entries"]] == [r.href for r in page.rows]
    assert [e["type"] for e in data["entries"]] == [
        "directory" if r.is_dir else "file" for r in page.rows
    ]
    assert [s["serial"] for s in data["serials"]] == [s.serial for s in page.serials]
    assert [s["stanza"]["text"] for s in data["suites"]] == [s.stanza.text for s in page.suites]


def test_page_json_fields() -> None:
    data = json.loads(page_json(files_page()))
    assert data["entries"][0] == {
        "name": "1.42",
        "href": "1.42/",
        "type": "directory",
        "size": None,
        "mtime": T0 - 3 * DAY,
        "sha256": None,
        "signatures": [],
    }
    tarball = data["entries"][2]
    assert tarball["size"] == 98_765_432 and tarball["sha256"] == SHA
    assert tarball["signatures"] == [{"label": "sig", "href": "mediawiki-1.42.1.tar.gz.sig"}]
    assert data["entries"][4]["name"] == EVIL
    assert data["feed"] == {"label": "Atom feed", "href": "/releases/mediawiki/feed.atom"}
    front = json.loads(page_json(front_page()))
    assert [s["validity"] for s in front["serials"]] == ["valid", "expiring", "expired"]
    assert front["serials"][2]["complete"] is False
    serial = json.loads(page_json(serial_page()))
    assert serial["suites"][0]["architectures"] == ["amd64", "arm64", "i386"]
    assert serial["suites"][1]["stanza"]["types"] == ["deb"]
