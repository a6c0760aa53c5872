"""sd_notify(3) in a few lines of stdlib: tell systemd (`Type=notify`) when serving starts
and stops, so `systemctl start` returns only once requests are answered.

No library: the protocol is one datagram to the AF_UNIX socket named by `$NOTIFY_SOCKET` (a
leading `@` is the abstract namespace). Without that variable, as outside systemd, nothing
happens; a failure to send is never fatal, since serving matters more than the report."""

from __future__ import annotations

import os
import socket


def notify(state: str) -> bool:
    """Send `state` ("READY=1", "STOPPING=1") to systemd; True if a datagram went out."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        address = "\0" + address[1:]
    elif not address.startswith("/"):
        return False  # unset, or a kind snapfront does not speak (vsock:)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError:
        return False
    return True
