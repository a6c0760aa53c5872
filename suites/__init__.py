"""The custom repository's life on a `repository` mount: its suites, the uploads into them,
merges, resets and tags, each built on reprepro and the lifecycle's basedir lock and intent
records."""
