"""What changed between two states of an archive (issue 12): pure comparison, index reading,
a cache of parsed indexes, the changes of a serial, and the `diff` / `history` commands.

- compare   two package → version maps → added, removed, upgraded, downgraded (Debian order)
- indexes   a Release's Packages/Sources files (found through its SHA256 list) → those maps
- cache     parsed maps and deltas kept by the SHA256 the Release lists, in output/.snapfront/
- changes   a snapshot serial against the previous one, or any two serials or suites
- commands  `snapfront diff` and `snapfront history` (argument parsing: snapfront.cli_diff)
"""
