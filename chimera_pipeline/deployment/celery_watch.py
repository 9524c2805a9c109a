"""dagster-celery, plus what it lacks: noticing that a step's worker is gone.

dagster-celery's orchestrator polls each step's Celery result once a second and waits for it
forever. If the worker running the step dies (SIGKILL, OOM, a GPU node lost), or nobody
listens on the step's queue, the result never arrives and the run hangs. ``WatchedResult``
wraps each step's result: while the step runs it pings the worker that took it (Celery's
``task_track_started`` records which); while it waits it asks whether any worker listens on
its queue. After ``CHIMERA_CELERY_LOST_AFTER_S`` without a reply, or
``CHIMERA_CELERY_NO_WORKER_AFTER_S`` with no listener, the step ends with a failure event
that names the worker and the fix — or, when the step has a retry policy, a retry event, so
the step runs again as soon as a worker for its queue is back.

It lives outside ``defs/`` on purpose: Dagster imports every module under ``defs/``, and this
one needs the ``scaleout`` extra, which a local install does not have.
"""

from __future__ import annotations

import sys
import time
import warnings

from dagster._serdes import serialize_value
from dagster._utils.error import serializable_error_info_from_exc_info
from dagster_celery.core_execution_loop import core_celery_execution_loop
from dagster_celery.executor import CeleryExecutor, _submit_task

from chimera_pipeline.lib.config import load_settings


class WorkerLost(RuntimeError):
    """The step's Celery worker stopped answering, or no worker listens on its queue."""


class WatchedResult:
    """A Celery ``AsyncResult`` that becomes ready with a failure when its worker is gone."""

    def __init__(self, result, app, plan_context, step, queue: str, known_state) -> None:
        self.result, self.app, self.queue = result, app, queue
        self.known_state = known_state
        self.plan_context, self.step = plan_context, step
        settings = load_settings()
        self.lost_after = settings.celery_lost_after_s
        self.no_worker_after = settings.celery_no_worker_after_s
        self.check_every = min(5.0, self.lost_after / 3)
        self.last_seen = self.submitted = self.last_check = time.monotonic()
        self.lost: str | None = None

    def ready(self) -> bool:
        if self.lost or self.result.ready():
            return True
        now = time.monotonic()
        if now - self.last_check >= self.check_every:
            self.last_check = now
            self._check(now)
        return self.lost is not None

    def _check(self, now: float) -> None:
        worker = (self.result.info or {}).get("hostname") if self.result.state == "STARTED" \
            else None
        if worker:
            if self.app.control.ping(destination=[worker], timeout=1.0):
                self.last_seen = now
            elif now - self.last_seen >= self.lost_after:
                self.lost = (f"Celery worker {worker} stopped answering while it ran step "
                             f"{self.step.key} (no reply for {now - self.last_seen:.0f}s); "
                             "it has died or lost the broker. Start a worker for queue "
                             f"{self.queue!r} and re-execute the run from failure")
            return
        if now - self.submitted < self.no_worker_after:
            return
        listening = self.app.control.inspect(timeout=1.0).active_queues() or {}
        if not any(q.get("name") == self.queue for qs in listening.values() for q in qs):
            self.lost = (f"no Celery worker listens on queue {self.queue!r}, so step "
                         f"{self.step.key} waited {now - self.submitted:.0f}s; start one with "
                         f"`chimera worker --queue {self.queue}`")
        else:
            self.submitted = now  # a listener exists: the step is queued behind others

    def get(self):
        if not self.lost:
            return self.result.get()
        self.result.revoke()
        try:
            raise WorkerLost(self.lost)
        except WorkerLost:
            error = serializable_error_info_from_exc_info(sys.exc_info())
        context = self.plan_context.for_step(self.step)
        event = self.plan_context.executor.log_failure_or_retry_event_after_error(
            context, error, self.known_state)
        return [serialize_value(event)]

    def revoke(self) -> None:
        self.result.revoke()


class WatchedCeleryExecutor(CeleryExecutor):
    """``CeleryExecutor`` whose step results notice a dead worker or an unserved queue."""

    def execute(self, plan_context, execution_plan):
        def submit(app, context, step, queue, priority, known_state):
            with warnings.catch_warnings():
                # dagster-celery re-registers its one task for every step it submits
                warnings.filterwarnings("ignore", message="Task name 'execute_plan'")
                result = _submit_task(app, context, step, queue, priority, known_state)
            return WatchedResult(result, app, context, step, queue, known_state)

        return core_celery_execution_loop(plan_context, execution_plan, step_execution_fn=submit)
