"""Stand-in process for a kernel forked from the kernel template (see :mod:`cxlib.kernel_fork`).

Jupyter starts this small script (standard library only, so it starts in milliseconds) as
if it were the kernel. It asks the template process to fork a kernel for the given
connection file, hands over its own stdin, stdout and stderr, then stays alive exactly as
long as the kernel does: signals it receives (an interrupt, a polite stop) are passed on,
and when it is killed its end of the socket closes and the kernel stops too.

Run as ``python kernel_shim.py CONNECTION_FILE SOCKET``; not imported.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1)


def main(argv: list[str]) -> int:
    """Ask for a kernel, pass signals on to it, and return when it has ended."""
    connection_file, address = argv
    request = {"connection_file": connection_file, "cwd": os.getcwd(), "env": dict(os.environ)}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        try:
            conn.connect(address)
            socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
            line = b""
            while not line.endswith(b"\n"):
                chunk = conn.recv(64)
                if not chunk:
                    raise ConnectionError("the kernel template closed the connection")
                line += chunk
        except OSError as exc:
            print(f"cx: no kernel from the template at {address}: {exc}", file=sys.stderr)
            return 1
        pid = int(line)

        def forward(signum, _frame):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

        for signum in _FORWARDED:
            signal.signal(signum, forward)
        while True:  # the kernel holds the other end: EOF means it has ended
            try:
                if not conn.recv(4096):
                    return 0
            except InterruptedError:
                continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
