"""The snapshot lifecycle of a snapshots mount: take, list, bump Valid-Until, re-sign, expire
(gc) and stop tracking a codename, built on reprepro and gpg (basedir.tools), never
re-implementing what reprepro does. Decisions (next serial, what expires, what a bump edits)
are pure functions; the commands around them lock, act, verify and roll back."""
