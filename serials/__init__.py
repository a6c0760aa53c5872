"""Tails' build-side serial files, `config/APT_snapshots.d/ORIGIN/serial`, against a snapshot host.

- `files`: read and write the serial files (one line: a serial `YYYYMMDDNN` or `latest`).
- `plan`: what freeze, thaw and resolve write or print, decided without I/O.
- `confirm`: how a frozen serial is confirmed on any host (its Release under the origin's
  codename) and what a 404 says, decided without I/O.
- `remote`: the HTTP client that reads `URL/ORIGIN/project/trace/ORIGIN` and asks whether a
  serial exists (stdlib only: it runs on build machines).
- `run`: the three commands, put together; `snapfront serials …` is a thin CLI over it.

They stop with Refused (exit 2) or Failed (exit 1) of `snapfront.base.errors`, as all commands do.
"""
