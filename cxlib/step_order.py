"""Run an engagement's steps in an order their results allow, some side by side.

Each playbook declares the steps whose results it reads (``Step.needs`` in
:mod:`cxlib.run`). A step starts once every needed step *that is part of this run* has
finished; a needed step left out of the run (``cx run --step voc``) is read from the last
promoted report, as before. With ``parallel=2`` the demo's seven steps run as
mission + personas, then journey + voc, then governance, then baseline + remeasure.

Every run records which results each step read and wrote (see
:data:`cxlib.context.RESULTS_LOG_ENV`), and the end-to-end tests check those records
against the declared needs, so a step can never read a result that another step of the
same run is still producing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

__all__ = ["blocking_steps", "execute_steps"]


class _Step(Protocol):
    key: str
    needs: tuple[str, ...]


def blocking_steps(steps: Sequence[_Step]) -> dict[str, set[str]]:
    """For each step, the steps of this run that must finish before it starts.

    Only direct needs count: a needed step left out of the run is read from the last
    promoted report, which no step of this run changes.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> steps = [S(key="a", needs=()), S(key="b", needs=("a",)), S(key="c", needs=("b",))]
    >>> blocking_steps([steps[0], steps[2]])
    {'a': set(), 'c': set()}
    >>> blocking_steps(steps)["c"]
    {'b'}
    """
    chosen = {s.key for s in steps}
    return {s.key: {n for n in s.needs if n in chosen} for s in steps}


def execute_steps(
    steps: Sequence[_Step],
    execute: Callable[[_Step], None],
    *,
    parallel: int = 1,
    started: Callable[[_Step], None] | None = None,
    finished: Callable[[_Step, BaseException | None], None] | None = None,
    stop: Callable[[], None] | None = None,
) -> None:
    """Execute every step once, each after the steps it needs, up to ``parallel`` at once.

    Parameters
    ----------
    steps : sequence
        The steps, in engagement order (the order they start in when several are ready).
    execute : callable
        Runs one step; raises on failure.
    parallel : int, default 1
        Steps that may run at the same time. With 1, steps run one after another in the
        calling thread, in the given order.
    started, finished : callable, optional
        Called in the calling thread as each step starts, and as it ends (with the
        exception it raised, or None).
    stop : callable, optional
        Called when the caller is interrupted (Ctrl-C) while steps run in other threads;
        it must make the running ``execute`` calls return (by stopping their kernels).

    Raises
    ------
    BaseException
        The first step failure, once the steps already running have ended; no further
        step starts after a failure.
    """
    if parallel <= 1:
        for step in steps:
            if started:
                started(step)
            try:
                execute(step)
            except BaseException as exc:
                if finished:
                    finished(step, exc)
                raise
            if finished:
                finished(step, None)
        return

    waiting_on = blocking_steps(steps)
    pending = list(steps)
    done: set[str] = set()
    running: dict[Future, _Step] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="cx-step") as pool:
        try:
            while pending or running:
                if failure is None:
                    for step in [s for s in pending if waiting_on[s.key] <= done]:
                        if len(running) >= parallel:
                            break
                        pending.remove(step)
                        if started:
                            started(step)
                        running[pool.submit(execute, step)] = step
                if not running:  # nothing can start: the rest wait on a failed step
                    break
                ended, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in [f for f in running if f in ended]:
                    step = running.pop(future)
                    exc = future.exception()
                    if finished:
                        finished(step, exc)
                    if exc is None:
                        done.add(step.key)
                    elif failure is None:
                        failure = exc
        except BaseException:  # Ctrl-C in this thread: end the steps running elsewhere
            if stop and running:
                stop()  # leaving the pool waits for them
            raise
    if failure is not None:
        raise failure
