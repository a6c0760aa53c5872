"""One import name: the wheel installs `snapfront` and nothing beside it, and directories named
like its subpackages placed first on sys.path (another project's `metrics`, `server` …) change
nothing, whether snapfront runs from the installed wheel or from the checkout. The .deb's
dist-packages: tests/test_package.py."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from snapfront import __version__
from snapfront.sample import SampleHost
from tests.support import fetch, running_server, with_listen

pytestmark = pytest.mark.live

CHECKOUT = Path(__file__).resolve().parent.parent
SHADOWED = ("base", "basedir", "diffs", "generator", "health", "lifecycle", "metrics",
            "rewrite_rules", "serials", "server")  # fmt: skip
"""The subpackages' own names, which the wheel and the .deb used to install at the top."""


def _sources() -> dict[str, str]:
    """pyproject.toml's map: repository directory → its place in the wheel (snapfront/…)."""
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
    return project["tool"]["hatch"]["build"]["targets"]["wheel"]["sources"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel --no-deps` of this checkout (hatchling from the venv: no network)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", out, CHECKOUT], check=True, timeout=300)  # fmt: skip
    (built,) = out.glob("snapfront-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed with `pip install --target` (its dependencies are the venv's)."""
    target = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    target, wheel], check=True, timeout=300)  # fmt: skip
    return target


@pytest.fixture(scope="module")
def shadows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of packages named like snapfront's subpackages, each failing when imported."""
    place = tmp_path_factory.mktemp("shadows")
    for name in SHADOWED:
        (place / name).mkdir()
        (place / name / "__init__.py").write_text(
            f'raise ImportError("the shadow {name} was imported, not snapfront.{name}")\n'
        )
    return place


def _modules(wheel: Path) -> list[str]:
    """Every module the wheel holds, as an import name."""
    names = zipfile.ZipFile(wheel).namelist()
    paths = [n.removesuffix(".py").removesuffix("/__init__") for n in names if n.endswith(".py")]
    return sorted(path.replace("/", ".") for path in paths)


def test_the_wheel_holds_one_top_level_name(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = sorted({name.split("/")[0] for name in names})
    print(f"{wheel.name}, its top level:", *tops, sep="\n  ")
    assert tops == ["snapfront", f"snapfront-{__version__}.dist-info"]
    for directory, inside in _sources().items():  # each directory whole, where the map puts it
        files = {p.relative_to(CHECKOUT / directory).as_posix()
                 for p in (CHECKOUT / directory).rglob("*.py") if "__pycache__" not in p.parts}  # fmt: skip
        wheeled = {n.removeprefix(f"{inside}/") for n in names if n.startswith(f"{inside}/")}
        assert files <= wheeled, (directory, sorted(files - wheeled))
    assert {f"snapfront.{name}" for name in SHADOWED} <= set(_modules(wheel))


@pytest.mark.parametrize("origin", ["wheel", "checkout"])
def test_shadow_packages_first_on_sys_path_change_nothing(
    origin: str,
    request: pytest.FixtureRequest,
    wheel: Path,
    shadows: Path,
    sample_host: SampleHost,
) -> None:
    """PYTHONPATH = the shadows, then snapfront (the installed wheel, or the checkout), run in
    the shadows' directory (`python -m` puts it first too): every module of snapfront imports,
    and check-config, build and serve work as ever."""
    where = request.getfixturevalue("installed") if origin == "wheel" else CHECKOUT
    env = ("env", "-C", str(shadows), f"PYTHONPATH={shadows}:{where}")
    python = (*env, sys.executable)
    imported = subprocess.run(
        [*python, "-c", "import importlib, sys, snapfront\n"
         "for name in sys.argv[1:]: importlib.import_module(name)\n"
         "print(snapfront.__file__)", *_modules(wheel)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert imported.stdout.strip() == str(where / "snapfront" / "__init__.py")

    config = with_listen(sample_host.config, "127.0.0.1:0", sample_host.dir / f"{origin}.toml")
    config.write_text(config.read_text().replace('output = "output"', f'output = "{origin}-out"'))
    for command in ("check-config", "build"):
        ran = subprocess.run([*python, "-m", "snapfront.cli", command, "--config", config],
                             capture_output=True, text=True, timeout=300)  # fmt: skip
        assert ran.returncode == 0, (command, ran.stderr[-3000:])
    serial = sample_host.serials[-1]
    with running_server(config, prefix=env) as running:
        for path, status in [(f"debian/{serial}/dists/bookworm/InRelease", 200),
                             ("mediawiki/", 200), ("-/ready", 200)]:  # fmt: skip
            assert fetch(running.url + path).status == status, (path, running.log.read_text())
    assert "Traceback" not in running.log.read_text(), running.log.read_text()
