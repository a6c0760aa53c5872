"""The custom repository's suites: one per Git branch and release tag (`snapfront suite …`).

A capability above the lifecycle: it reuses its basedir lock and intent record, and reprepro
does every change (`copy`, `removematched`, `restorematched`, `gensnapshot`); snapfront
decides what to change, guards it and keeps each suite's history.
"""
