"""The shared base every layer above uses: the config, atomic writes, file stamps, confinement
of reads to a root, durations and sizes, and where site/ lives."""
