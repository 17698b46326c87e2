"""Kernels forked from a template process that has already imported the kit's stack.

A fresh Jupyter kernel costs about 3 CPU-seconds before it runs anything: the kernel's
own start-up and importing pandas, scipy, seaborn, statsmodels and cxlib. A run pays that
for every step, and a batch for every step of every client. Here one *template* process
per runner imports all of it once and then, for each kernel asked of it, forks a child
that becomes the kernel: a new process with its own memory (steps still never share a
kernel), ready in a fraction of a second.

Jupyter starts :mod:`cxlib.kernel_shim` in place of the kernel (a kernel spec written to a
temporary folder, see :meth:`KernelTemplate.kernel_manager`); the shim asks the template
over a Unix socket for a kernel and lives exactly as long as it, so interrupts, shutdown
and kills work as for any kernel. Forking is POSIX-only; elsewhere, or when the template
cannot start, callers fall back to ordinary kernels.

Run as ``python -m cxlib.kernel_fork SOCKET`` (the template; imports come on stdin).
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

__all__ = ["KernelTemplate", "shared_template"]

log = logging.getLogger(__name__)

_SPEC_NAME = "cx-forked-python3"
_READY = b"cx-kernel-template-ready\n"


class KernelTemplate:
    """A process that forks ready-imported kernels on request.

    Parameters
    ----------
    imports : str
        Python code run once in the template before any kernel is forked (imports only).
    log_path : Path, optional
        File that receives the template's own stderr.
    """

    def __init__(self, imports: str, log_path: Path | None = None):
        self._dir = Path(tempfile.mkdtemp(prefix="cx-kernels-"))
        self.address = str(self._dir / "template.sock")
        err = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "cxlib.kernel_fork", self.address],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                cwd=str(self._dir),
                start_new_session=True,  # a terminal's Ctrl-C is for the runner, not for it
            )
        finally:
            if log_path:
                err.close()
        self._proc.stdin.write(imports.encode() + b"\0")
        self._proc.stdin.flush()  # stdin stays open: its end tells the template to stop
        self._ready, self._started = threading.Event(), False
        threading.Thread(target=self._wait_ready, daemon=True).start()
        self._write_spec()

    def _wait_ready(self) -> None:
        self._started = self._proc.stdout.readline() == _READY  # b"" if it died first
        self._ready.set()

    def _write_spec(self) -> None:
        spec = self._dir / "kernels" / _SPEC_NAME
        spec.mkdir(parents=True)
        shim = Path(__file__).with_name("kernel_shim.py")
        kernel = {
            # Standard library only: -I -S skip site-packages and start in a few ms.
            "argv": [sys.executable, "-I", "-S", str(shim), "{connection_file}", self.address],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "interrupt_mode": "signal",
        }
        (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")

    def ready(self, timeout: float = 120.0) -> bool:
        """Wait until the template has imported everything; False if it died or timed out."""
        return self._ready.wait(timeout) and self._started and self._proc.poll() is None

    def kernel_manager(self):
        """Return a KernelManager whose kernel will be forked from this template."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        specs = KernelSpecManager(kernel_dirs=[str(self._dir / "kernels")])
        return KernelManager(kernel_name=_SPEC_NAME, kernel_spec_manager=specs)

    def close(self) -> None:
        """Stop the template and remove its folder.

        Shut its kernels down first: one still running is orphaned, and ipykernel stops an
        orphaned kernel within about a second.
        """
        if self._proc.poll() is None:
            if not self._ready.is_set():  # still importing: nothing to wait for
                self._proc.kill()
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()
        for path in sorted(self._dir.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        self._dir.rmdir()


_shared: dict[str, KernelTemplate] = {}
_lock = threading.Lock()


def shared_template(imports: str) -> KernelTemplate | None:
    """Return this process's template for ``imports``, started on first use.

    A batch worker keeps its template across clients, so the imports are paid once per
    worker. Returns None where forking is unavailable or the template failed to start.
    """
    if os.name != "posix" or os.environ.get("CX_FORK_KERNELS", "1") == "0":
        return None
    with _lock:
        template = _shared.get(imports)
        if template is not None and template._proc.poll() is None:
            return template
        try:
            template = KernelTemplate(imports)
        except OSError as exc:
            log.warning("could not start the kernel template: %s", exc)
            return None
        if not _shared:
            atexit.register(_close_all)
        _shared[imports] = template
        return template


def _close_all() -> None:
    for template in _shared.values():
        try:
            template.close()
        except OSError:
            pass
    _shared.clear()


# --------------------------------------------------------------------------- template side


def _serve(address: str) -> None:
    """Import, then fork one kernel per request until stdin closes."""
    gc.disable()  # no collections while importing: they leave holes in pages kernels share
    # As ipykernel does at start-up, before matplotlib is imported and reads it.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    imports = b""
    while not imports.endswith(b"\0"):
        chunk = os.read(0, 65536)
        if not chunk:
            return
        imports += chunk
    for line in imports[:-1].decode().splitlines():
        try:
            exec(compile(line, "<kernel imports>", "exec"), {})
        except Exception as exc:  # the playbook's own import reports it properly
            print(f"kernel template: {line!r} failed: {exc!r}", file=sys.stderr)
    import ipykernel.kernelapp  # noqa: F401  (the kernel's own start-up, paid once)

    # Kernels share the template's memory until they write to it. A garbage collection in a
    # kernel touches every object it tracks, copying each page the imports filled; frozen
    # objects are never examined, so those pages stay shared (see the gc.freeze docs).
    gc.collect()
    gc.freeze()

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(64)
    signal.signal(signal.SIGCHLD, _reap)  # waited for, so their CPU time counts as ours
    os.write(1, _READY)
    while True:
        readable, _, _ = select.select([server, 0], [], [])
        if 0 in readable and not os.read(0, 4096):
            os._exit(0)  # the runner has gone: stop, skipping a slow interpreter teardown
        if server in readable:
            conn, _ = server.accept()
            try:
                _fork_kernel(server, conn)
            except OSError as exc:
                print(f"kernel template: could not fork a kernel: {exc!r}", file=sys.stderr)
            conn.close()


def _reap(_signum, _frame) -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _fork_kernel(server: socket.socket, conn: socket.socket) -> None:
    data, fds = b"", []
    while not data.endswith(b"\n"):
        chunk, more, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        if not chunk:
            raise ConnectionError("request cut short")
        data, fds = data + chunk, fds + more
    request = json.loads(data)
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return
    try:  # the kernel
        server.close()
        _become_kernel(conn, request, fds)
    finally:
        os._exit(1)


def _become_kernel(conn: socket.socket, request: dict, fds: list[int]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a kernel waits for its subprocesses
    gc.enable()
    os.setsid()
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # Where an ordinary kernel's sys.path starts: no template folder.
    sys.path[:] = [p for p in sys.path if p not in ("", os.path.dirname(conn.getsockname()))]
    _reseed()

    def watch():  # the shim's end closes when Jupyter stops or kills it: stop with it
        try:
            while conn.recv(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True, name="cx-shim-watch").start()
    conn.sendall(f"{os.getpid()}\n".encode())
    from ipykernel.kernelapp import IPKernelApp

    argv = ["-f", request["connection_file"]]
    if os.environ.get("JPY_PARENT_PID"):  # read at import, before this kernel's environment
        argv.append(f"--IPKernelApp.parent_handle={int(os.environ['JPY_PARENT_PID'])}")
    sys.argv = [sys.executable, "-m", "ipykernel_launcher", *argv]
    IPKernelApp.launch_instance(argv=argv)
    os._exit(0)


def _reseed() -> None:
    """Give each kernel its own unseeded random state, as a fresh process would have."""
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(int.from_bytes(os.urandom(4), "little"))


if __name__ == "__main__":
    _serve(sys.argv[1])
