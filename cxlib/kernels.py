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
import time
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
    """Keep one warmed kernel ready for the next playbook.

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

    Notes
    -----
    The default kernel is forked from this process's kernel template
    (:func:`cxlib.kernel_fork.shared_template`, which imports :data:`TEMPLATE_IMPORTS` once),
    so a kernel is ready in well under a second; an ordinary kernel is started when no
    template is available.
    """

    def __init__(
        self,
        cwd: Path,
        kernel_name: str = "python3",
        warmup: str = WARM_IMPORTS,
        log_path: Path | None = None,
    ):
        self._cwd, self._name, self._warmup = Path(cwd), kernel_name, warmup
        # Kernels' own stderr (start-up notices, crashes) goes to the run's log, not the
        # consultant's terminal; cell outputs travel separately and are unaffected.
        self._log = open(log_path, "ab") if log_path else None  # noqa: SIM115
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cx-kernel")
        self._next: Future | None = None
        # The default kernel is forked from a template that has imported the stack already.
        self._template = None
        if kernel_name == "python3":
            self._template = shared_template(
                TEMPLATE_IMPORTS if warmup == WARM_IMPORTS else warmup
            )

    def _env(self) -> dict[str, str]:
        # MPLBACKEND=Agg in the runner's environment would silently drop every chart.
        return {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}

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
        try:
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive(self._warmup, timeout=120, output_hook=lambda m: None)
            if reply["content"].get("status") != "ok":
                log.debug("warm-up imports failed; the playbook will report it")
        finally:
            kc.stop_channels()
        return km

    def prepare(self) -> None:
        """Start warming the next kernel in the background."""
        if self._next is None:
            self._next = self._pool.submit(self._start)

    def take(self):
        """Return a warmed kernel manager, or None when none could be started."""
        self.prepare()
        future, self._next = self._next, None
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
        if self._next is not None:
            future, self._next = self._next, None
            try:
                future.result().shutdown_kernel(now=True)
            except Exception:  # already failed to start: nothing to stop
                pass
        self._pool.shutdown(wait=True)
        if self._log:
            self._log.close()
