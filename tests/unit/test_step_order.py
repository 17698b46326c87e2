"""Steps run after the steps they need, side by side where allowed, and stop cleanly."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from cxlib.run import STEPS
from cxlib.step_order import blocking_steps, execute_steps


@dataclass(frozen=True)
class FakeStep:
    key: str
    needs: tuple[str, ...] = ()


class Recorder:
    """An ``execute`` that notes what ran when, and how many ran at once."""

    def __init__(self, seconds: float = 0.05, fail: str = ""):
        self.seconds, self.fail = seconds, fail
        self.events: list[tuple[str, str]] = []
        self.threads: set[int] = set()
        self.active = self.most_active = 0
        self._lock = threading.Lock()

    def __call__(self, step: FakeStep) -> None:
        with self._lock:
            self.events.append(("start", step.key))
            self.threads.add(threading.get_ident())
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        time.sleep(self.seconds)
        with self._lock:
            self.active -= 1
            self.events.append(("end", step.key))
        if step.key == self.fail:
            raise ValueError(f"{step.key} broke")

    def position(self, kind: str, key: str) -> int:
        return self.events.index((kind, key))


DEMO_SHAPE = [
    FakeStep("mission"),
    FakeStep("personas"),
    FakeStep("journey", ("personas",)),
    FakeStep("voc", ("personas",)),
    FakeStep("governance", ("journey", "voc")),
    FakeStep("baseline", ("personas", "governance")),
    FakeStep("remeasure", ("personas", "governance")),
]


def test_one_at_a_time_runs_in_order_in_the_calling_thread():
    execute = Recorder(seconds=0)
    execute_steps(DEMO_SHAPE, execute, parallel=1)
    assert [k for kind, k in execute.events if kind == "start"] == [s.key for s in DEMO_SHAPE]
    assert execute.threads == {threading.get_ident()}
    assert execute.most_active == 1


def test_two_at_a_time_keeps_every_need_and_pairs_independent_steps():
    execute = Recorder()
    started, finished = [], []
    execute_steps(
        DEMO_SHAPE,
        execute,
        parallel=2,
        started=lambda s: started.append(s.key),
        finished=lambda s, exc: finished.append((s.key, exc)),
    )
    for step in DEMO_SHAPE:
        for need in step.needs:
            assert execute.position("end", need) < execute.position("start", step.key)
    assert execute.most_active == 2
    # mission runs beside personas, voc beside journey, remeasure beside baseline
    for a, b in [("mission", "personas"), ("journey", "voc"), ("baseline", "remeasure")]:
        assert execute.position("start", b) < execute.position("end", a)
    assert started == [s.key for s in DEMO_SHAPE]  # ready steps start in engagement order
    assert sorted(finished) == sorted((s.key, None) for s in DEMO_SHAPE)


def test_a_failure_lets_running_steps_finish_starts_nothing_more_and_is_raised():
    execute = Recorder(fail="voc")
    finished = {}
    with pytest.raises(ValueError, match="voc broke"):
        execute_steps(
            DEMO_SHAPE,
            execute,
            parallel=2,
            finished=lambda s, exc: finished.setdefault(s.key, exc),
        )
    ran = {k for kind, k in execute.events if kind == "end"}
    assert ran == {"mission", "personas", "journey", "voc"}  # journey ran beside voc
    assert isinstance(finished["voc"], ValueError) and finished["journey"] is None


def test_one_at_a_time_failure_is_raised_after_finished_is_told():
    execute = Recorder(seconds=0, fail="personas")
    finished = []
    with pytest.raises(ValueError):
        execute_steps(DEMO_SHAPE, execute, finished=lambda s, exc: finished.append(s.key))
    assert finished == ["mission", "personas"]


def test_an_interrupt_stops_the_running_steps_before_it_is_raised():
    release = threading.Event()
    ended = []

    def execute(step):
        assert release.wait(10), "stop() was never called"
        ended.append(step.key)

    def started(step):
        if step.key == "personas":  # Ctrl-C while mission runs in its thread
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute_steps(DEMO_SHAPE, execute, parallel=2, started=started, stop=release.set)
    assert ended == ["mission"]  # it returned before execute_steps did


def test_needs_outside_the_run_do_not_block():
    chosen = [DEMO_SHAPE[0], DEMO_SHAPE[3], DEMO_SHAPE[5]]  # mission, voc, baseline
    assert blocking_steps(chosen) == {"mission": set(), "voc": set(), "baseline": set()}


def test_the_kits_steps_need_only_earlier_steps():
    keys = [s.key for s in STEPS]
    for position, step in enumerate(STEPS):
        assert set(step.needs) <= set(keys[:position]), step.key
    assert [(s.key, s.needs) for s in STEPS] == [(s.key, s.needs) for s in DEMO_SHAPE]
