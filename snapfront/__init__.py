"""snapfront: HTTP front end and static-site generator for APT snapshot and release hosts.

snapfront is the only top-level import name. Its subpackages (`snapfront.rewrite_rules`,
`snapfront.server`, `snapfront.generator`, …) live in the repository as top-level directories
beside this one; the wheel maps them under `snapfront/` (pyproject.toml,
`[tool.hatch.build.targets.wheel.sources]`). Run from a checkout, the lines below let the
package find them there, so the tests run on edited code with no install step. A directory
named like one of them elsewhere on `sys.path` is never looked at: only `__path__` is.
"""

from pathlib import Path as _Path

__version__ = "0.1.0"

_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "rewrite_rules").is_dir():
    __path__.append(str(_checkout))
del _Path, _checkout
