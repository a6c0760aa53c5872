"""Health and freshness: pure readiness decisions (model), the I/O that gathers their facts
(facts), and the watcher's status file that serving processes read (watcher_file)."""
