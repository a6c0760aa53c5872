"""snapfront: HTTP front end and static-site generator for APT snapshot and release hosts."""

__version__ = "0.1.0"
