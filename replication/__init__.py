"""A passive host pulls its mounts from the active's rsync modules (`snapfront replicate`):
metadata last, deletions last, uploads to the wrong host kept in quarantine."""
