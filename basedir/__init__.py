"""What reprepro wrote into a basedir, read (never written) by generator, server and health alike:
a Release family's facts, whether a snapshot is complete and signed, the newest such serial."""
