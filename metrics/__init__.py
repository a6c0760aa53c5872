"""Prometheus metrics in prometheus_client's multiprocess mode (README: Health, failover and
metrics). `process` prepares the shared directory before anything forks; nothing else here
may be imported before that (prometheus_client picks its value class at import)."""
