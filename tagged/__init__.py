"""Tagged snapshots: the partial, immutable snapshots a build manifest names, built with
reprepro from the time-based snapshots (`snapfront tagged create|verify|list`)."""
