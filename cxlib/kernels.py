"""Fresh kernels, started and warmed while the previous playbook runs.

Every playbook gets a new kernel of its own (steps share results through files, never
through a kernel's memory). What a kernel costs before it does any work (start-up, then
importing pandas, seaborn, statsmodels and cxlib: about 3 s) is paid in the background while
the previous step executes, so a run pays it once instead of once per step. Where the
platform allows, kernels are forked from a template that has paid the imports once for the
whole process (:mod:`cxlib.kernel_fork`), which also spares the CPU time in batch runs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from queue import Empty

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.utils import run_sync

from cxlib.kernel_fork import shared_template

__all__ = ["TEMPLATE_IMPORTS", "WARM_IMPORTS", "PromptKernelClient", "WarmKernels"]

log = logging.getLogger(__name__)

#: Imported in each fresh kernel before it is handed to a playbook. Imports only: no state
#: a playbook could come to depend on.
WARM_IMPORTS = (
    "import numpy, pandas, scipy.stats, matplotlib.pyplot, seaborn, statsmodels.api\n"
    "import cxlib.context, cxlib.report, cxlib.plots, cxlib.narrative, cxlib.stats\n"
)


#: Imported once by the kernel template that forked kernels start from
#: (:mod:`cxlib.kernel_fork`): everything the playbooks import, since the template pays it
#: once per runner process rather than once per kernel. Imports only, as above.
TEMPLATE_IMPORTS = WARM_IMPORTS + (
    "import scipy.optimize, pyarrow.parquet, ftfy, vaderSentiment.vaderSentiment\n"
    "import sklearn.cluster, sklearn.decomposition, sklearn.feature_extraction.text\n"
    "import sklearn.linear_model, sklearn.metrics, sklearn.preprocessing\n"
    "from cxlib import mission, plots_mission, personas, personas_profile, plots_personas\n"
    "from cxlib import journey, journey_pain, plots_journey, narrative_journey\n"
    "from cxlib import voc, narrative_voc, plots_voc\n"
    "from cxlib import governance, governance_calendar, governance_contacts\n"
    "from cxlib import governance_results, governance_roadmap, plots_governance\n"
    "from cxlib import narrative_governance, baseline, narrative_kpi, plots_kpi\n"
    "from cxlib import narrative_remeasure, remeasure_run\n"
)


class PromptKernelClient(BlockingKernelClient):
    """A kernel client whose readiness check does not end with a fixed wait.

    jupyter_client's ``wait_for_ready`` ends by draining IOPub until the channel has been
    quiet for 0.2 s. papermill makes a new client for every notebook, so a run paid that
    idle pause once per step (1.4 s of a seven-step run, and in a batch on every client).
    The check here is the same (a ``kernel_info`` reply on the shell channel and a message
    on IOPub proving it is connected) but drains only what has already arrived: an IOPub
    message left over belongs to an earlier request, and nbclient ignores messages whose
    parent is not the request it is waiting on.
    """

    async def _async_prompt_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self._async_get_shell_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self._async_get_iopub_msg(timeout=0.2)
                except Empty:  # IOPub not connected yet: ask again
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:
            try:
                await self._async_get_iopub_msg(timeout=0)
            except Empty:
                break

    wait_for_ready = run_sync(_async_prompt_wait_for_ready)


class WarmKernels:
    """Keep warmed kernels ready for the next playbooks.

    Parameters
    ----------
    cwd : Path
        Working directory of the kernels (the playbooks' folder, as when opened by hand).
    kernel_name : str, default "python3"
        Jupyter kernel to start.
    warmup : str, default :data:`WARM_IMPORTS`
        Code run in each kernel before use; a failure there is ignored, so the playbook's
        own import reports it in the normal way.
    log_path : Path, optional
        File that receives the kernels' own stdout and stderr.
    env : mapping, optional
        Variables added to the kernels' environment.
    spares : int, default 1
        Kernels :meth:`prepare` keeps warming at most at once (one per step that may run
        at the same time).

    Notes
    -----
    The default kernel is forked from this process's kernel template
    (:func:`cxlib.kernel_fork.shared_template`, which imports :data:`TEMPLATE_IMPORTS` once),
    so a kernel is ready in well under a second; an ordinary kernel is started when no
    template is available. Each kernel manager handed out carries the kernel's process id
    as ``cx_pid`` (None if the warm-up could not report it).
    """

    def __init__(
        self,
        cwd: Path,
        kernel_name: str = "python3",
        warmup: str = WARM_IMPORTS,
        log_path: Path | None = None,
        env: Mapping[str, str] | None = None,
        spares: int = 1,
    ):
        self._cwd, self._name, self._warmup = Path(cwd), kernel_name, warmup
        self._extra_env = dict(env or {})
        self._spares = max(1, spares)
        # Kernels' own stderr (start-up notices, crashes) goes to the run's log, not the
        # consultant's terminal; cell outputs travel separately and are unaffected.
        self._log = open(log_path, "ab") if log_path else None  # noqa: SIM115
        # Starts and shutdowns overlap: two threads per kernel that may be in flight.
        self._pool = ThreadPoolExecutor(
            max_workers=2 * self._spares, thread_name_prefix="cx-kernel"
        )
        self._lock = threading.Lock()
        self._ready: deque[Future] = deque()
        # The default kernel is forked from a template that has imported the stack already.
        self._template = None
        if kernel_name == "python3":
            self._template = shared_template(
                TEMPLATE_IMPORTS if warmup == WARM_IMPORTS else warmup
            )

    def _env(self) -> dict[str, str]:
        # MPLBACKEND=Agg in the runner's environment would silently drop every chart.
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        return {**env, **self._extra_env}

    def _start(self):
        from jupyter_client.manager import KernelManager

        template = self._template
        if template is not None and template.ready():
            km = template.kernel_manager()
        else:
            km = KernelManager(kernel_name=self._name)
        km.client_factory = PromptKernelClient  # papermill's client too: km.client()
        streams = {"stdout": self._log, "stderr": self._log} if self._log else {}
        km.start_kernel(cwd=str(self._cwd), env=self._env(), **streams)
        kc = km.client()
        printed: list[str] = []

        def keep_stdout(msg: dict) -> None:
            if msg["msg_type"] == "stream" and msg["content"].get("name") == "stdout":
                printed.append(msg["content"]["text"])

        try:
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            code = "print(__import__('os').getpid())\n" + self._warmup  # pid first: always
            reply = kc.execute_interactive(code, timeout=120, output_hook=keep_stdout)
            if reply["content"].get("status") != "ok":
                log.debug("warm-up imports failed; the playbook will report it")
        finally:
            kc.stop_channels()
        first = "".join(printed).split()[:1]
        km.cx_pid = int(first[0]) if first and first[0].isdigit() else None
        return km

    def prepare(self) -> None:
        """Start warming another kernel in the background, unless ``spares`` already are."""
        with self._lock:
            if len(self._ready) < self._spares:
                self._ready.append(self._pool.submit(self._start))

    def take(self):
        """Return a warmed kernel manager, or None when none could be started."""
        with self._lock:
            if not self._ready:
                self._ready.append(self._pool.submit(self._start))
            future = self._ready.popleft()
        try:
            return future.result()
        except Exception as exc:  # the caller falls back to a kernel of papermill's own
            log.warning("could not pre-start a kernel: %s", exc)
            return None

    def release(self, km) -> None:
        """Shut a used kernel down in the background."""
        if km is not None:
            self._pool.submit(km.shutdown_kernel, now=True)

    def close(self) -> None:
        """Shut down any kernel still warming, and wait for shutdowns to finish."""
        with self._lock:
            pending, self._ready = list(self._ready), deque()
        for future in pending:
            try:
                future.result().shutdown_kernel(now=True)
            except Exception:  # already failed to start: nothing to stop
                pass
        self._pool.shutdown(wait=True)
        if self._log:
            self._log.close()
