"""Kernels forked from the template: real kernels, isolated, and stopped like any other."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from cxlib import kernel_fork
from cxlib.kernels import PromptKernelClient, WarmKernels

pytestmark = pytest.mark.skipif(os.name != "posix", reason="forking kernels is POSIX-only")

IMPORTS = "import pandas\n"


@pytest.fixture(scope="module")
def template():
    tmpl = kernel_fork.KernelTemplate(IMPORTS)
    assert tmpl.ready(), "the template did not start"
    yield tmpl
    tmpl.close()


def run(kc, code: str, timeout: float = 30) -> tuple[str, list[str]]:
    """Execute ``code``; return the reply status and everything printed."""
    printed: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            printed.append(msg["content"]["ename"])

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    return reply["content"]["status"], printed


@pytest.fixture
def kernel(template, tmp_path, monkeypatch):
    monkeypatch.setenv("CX_TEST_MARKER", "set after the template started")
    km = template.kernel_manager()
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    yield km, kc
    kc.stop_channels()
    if km.has_kernel:
        km.shutdown_kernel(now=True)


def kernel_pid(kc) -> int:
    status, printed = run(kc, "import os; print(os.getpid())")
    assert status == "ok"
    return int("".join(printed))


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.05)
    return False


def test_forked_kernel_has_the_imports_its_own_folder_and_environment(kernel, tmp_path):
    km, kc = kernel
    code = (
        "import os, sys\n"
        "print('pandas' in sys.modules, os.getcwd(), os.environ.get('CX_TEST_MARKER'))\n"
    )
    status, printed = run(kc, code)
    assert status == "ok"
    assert "".join(printed).split(" ", 2) == [
        "True",
        str(tmp_path),
        "set after the template started\n",
    ]
    assert km.kernel_name == "cx-forked-python3"


def test_imports_are_frozen_out_of_the_kernels_garbage_collection(kernel):
    _, kc = kernel
    status, printed = run(kc, "import gc; print(gc.isenabled(), gc.get_freeze_count())")
    assert status == "ok"
    enabled, frozen = "".join(printed).split()
    assert enabled == "True"  # the kernel collects its own garbage as usual
    assert int(frozen) > 10_000  # pandas alone leaves tens of thousands of objects


def test_each_kernel_is_its_own_process_with_its_own_random_state(template, kernel):
    _, kc = kernel
    first_pid = kernel_pid(kc)
    _, first = run(kc, "import random; print(random.random())")
    km2 = template.kernel_manager()
    km2.start_kernel()
    kc2 = km2.client()
    kc2.start_channels()
    try:
        kc2.wait_for_ready(timeout=30)
        assert kernel_pid(kc2) != first_pid
        _, second = run(kc2, "import random; print(random.random())")
        assert first != second
        run(kc2, "x = 1")
        status, printed = run(kc, "print(x)")  # nothing leaks from one kernel to another
        assert status == "error" and printed == ["NameError"]
    finally:
        kc2.stop_channels()
        km2.shutdown_kernel(now=True)


def test_interrupt_stops_a_running_cell(kernel):
    km, kc = kernel
    kc.execute("import time; time.sleep(60)")
    time.sleep(0.5)
    started = time.monotonic()
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=20)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert time.monotonic() - started < 10
    # And the kernel lives on. ipykernel aborts requests that reach it while it is still
    # clearing the interrupted one, so allow it a moment.
    for _ in range(20):
        after = run(kc, "print(1 + 1)")
        if after[0] != "aborted":
            break
        time.sleep(0.1)
    assert after == ("ok", ["2\n"])


def test_shutdown_ends_the_kernel_process(kernel):
    km, kc = kernel
    pid = kernel_pid(kc)
    km.shutdown_kernel(now=False)
    assert gone(pid)


def test_killing_the_stand_in_process_ends_the_kernel(kernel):
    km, kc = kernel
    pid = kernel_pid(kc)
    km.provisioner.process.send_signal(signal.SIGKILL)  # what a hard kill of the kernel does
    assert gone(pid)


def test_closing_the_template_stops_it_and_removes_its_folder(tmp_path):
    tmpl = kernel_fork.KernelTemplate(IMPORTS)
    assert tmpl.ready()
    km = tmpl.kernel_manager()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=30)
        assert run(kc, "print('forked')") == ("ok", ["forked\n"])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    folder = Path(tmpl.address).parent
    tmpl.close()
    assert not tmpl.ready(timeout=0.1)
    assert tmpl._proc.returncode is not None
    assert not folder.exists()


def test_warm_kernels_fall_back_to_ordinary_kernels_without_a_template(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_FORK_KERNELS", "0")
    assert taken_kernel_name(tmp_path) == "python3"


def test_warm_kernels_fork_from_the_shared_template(tmp_path):
    kernels = WarmKernels(tmp_path, warmup=IMPORTS)
    try:
        km = kernels.take()
        assert km is not None and km.kernel_name == "cx-forked-python3"
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=30)
        assert run(kc, "import sys; print('pandas' in sys.modules)") == ("ok", ["True\n"])
        kc.stop_channels()
        kernels.release(km)
    finally:
        kernels.close()
    assert kernel_fork.shared_template(IMPORTS) is kernel_fork.shared_template(IMPORTS)


@pytest.mark.parametrize("fork", ["1", "0"])
def test_warm_kernels_clients_check_readiness_and_notice_a_dead_kernel(
    tmp_path, monkeypatch, fork
):
    monkeypatch.setenv("CX_FORK_KERNELS", fork)
    kernels = WarmKernels(tmp_path, warmup="")
    try:
        km = kernels.take()
        kc = km.client()  # what papermill gets from the kernel manager
        assert isinstance(kc, PromptKernelClient)
        kc.start_channels()
        kc.wait_for_ready(timeout=30)
        assert run(kc, "print(6 * 7)") == ("ok", ["42\n"])
        km.shutdown_kernel(now=True)
        with pytest.raises(RuntimeError, match="died"):
            kc.wait_for_ready(timeout=30)
        kc.stop_channels()
    finally:
        kernels.close()


def test_warm_kernels_fall_back_when_the_template_has_died(tmp_path, monkeypatch):
    dead = kernel_fork.KernelTemplate(IMPORTS)
    dead._proc.kill()
    dead._proc.wait()
    monkeypatch.setattr("cxlib.kernels.shared_template", lambda imports: dead)
    try:
        assert taken_kernel_name(tmp_path) == "python3"
    finally:
        dead.close()


def taken_kernel_name(folder) -> str:
    """The kernel spec of the kernel WarmKernels hands out (None if it gave none)."""
    kernels = WarmKernels(folder, warmup="x = 1\n")
    try:
        km = kernels.take()
        name = km.kernel_name if km is not None else None
        kernels.release(km)
    finally:
        kernels.close()
    return name
