"""The README's first command on stock Debian 12 and 13, as root in a fresh minbase root with
the checkout in root's private home (/root, 0700): `scripts/setup`, then `snapfront demo`;
its printed APT lines and the README's examples run inside as printed, with the root's own
apt-get (downloads as `_apt`), curl and jq."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import debroot, readme
from tests.rootdemo import APT_TROUBLE, follow_apt_lines, start_demo

pytestmark = pytest.mark.debroot
CHECKOUT = "/root/snapfront"


@pytest.mark.parametrize("suite", ["bookworm", "trixie"])
def test_setup_and_demo_on_stock_debian(
    suite: str, debian_bases: debroot.Bases, tmp_path: Path
) -> None:
    examples = readme.examples()
    setup, demo = (part.strip() for part in examples.first.split("#")[0].split("&&"))
    assert (setup, demo) == ("scripts/setup", "snapfront demo"), examples.first
    root = debian_bases.fresh(suite, tmp_path / "root")
    try:
        root.copy_checkout(CHECKOUT)
        with root.mounted():
            assert root.run("stat -c %a /root").strip() == "700"
            root.run(f"cd {CHECKOUT} && {setup}", timeout=1200)
            # on the PATH the README uses, from the venv, and nothing in the system Python
            assert root.run("command -v snapfront").strip() == "/usr/local/bin/snapfront"
            link = root.run("readlink /usr/local/bin/snapfront").strip()
            assert link == f"{CHECKOUT}/.venv/bin/snapfront"
            probe = "/usr/bin/python3 -c 'import snapfront' 2>/dev/null && echo yes || echo no"
            assert root.run(probe).strip() == "no"
            proc, printed = start_demo(root, demo, CHECKOUT)
            try:
                follow_apt_lines(root, printed)
                ran = root.run(f"cd {CHECKOUT}\n{readme.script(examples.blocks)}", timeout=300)
            finally:
                assert debroot.stop(proc) == 0
        check_examples(readme.outputs(ran), printed)
    finally:
        root.remove()


def check_examples(outputs: list[str], printed: str) -> None:
    """Each block exited 0 (the script runs under `set -e`); what each printed is plausible."""
    print(*outputs, sep="\n----\n")
    url = re.search(r"^URL: (http://\S+) ", printed, re.M)
    assert url, printed
    base = url.group(1)
    assert len(outputs) == 3, outputs
    fetched, apt, changes = outputs
    assert "HTTP/1.1 200 OK" in fetched and re.search(r"(?m)^100$", fetched), fetched
    assert f"{base}/debian/" in apt and not [w for w in APT_TROUBLE if w in apt], apt
    assert re.search(rf"(?m)^\s+500 {re.escape(base)}/debian/\d{{10}} bookworm/main", apt), apt
    assert '"added": 1' in changes and '"upgraded": 2' in changes, changes
