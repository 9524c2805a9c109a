"""A backfill's nights judged in a process of their own, a block ahead of its facts.

The regression judge (:mod:`.regression`) is Python over the history the stage reads once,
and a block's facts need only that block's verdicts: with a core to spare, a child process
judges block after block while this one computes each block's facts, instead of both
waiting on one core. The child runs the same code on the same history, carrying the judged
nights from block to block as one process does, so a verdict does not depend on where it was
computed. A stage of one block (a nightly run) is judged here: starting a process would cost
more than the judging.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import traceback
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection

from chimera_pipeline.lib.facts.alerts import Alert, History, measured_alerts
from chimera_pipeline.lib.facts.regression import Params

Measured = list[tuple[str, Alert]]  # a block's alerts of the measured series, by day

# below this, the child's start and its judging of the first block (whose nights it carries)
# take about as long as this process's first block: nothing is gained (docs/benchmarks.md)
AHEAD_MIN_BLOCKS = 3


def judge_blocks(history: History, blocks: Sequence[Sequence[str]], params: Params
                 ) -> Iterator[Measured]:
    """Each block's measured alerts, in order. The nights a block judged are carried to the
    next (``regression.judge``'s ``known``), as many as a baseline window reads."""
    known: dict = {}
    for block in blocks:
        found = list(measured_alerts(history, block, params, known))
        for day in sorted(known)[:-params.history]:
            del known[day]
        yield found


def judges_ahead(blocks: Sequence[Sequence[str]], ahead: bool) -> bool:
    """Whether :func:`judged_blocks` judges these blocks in a child process."""
    return ahead and len(blocks) >= AHEAD_MIN_BLOCKS


@contextlib.contextmanager
def judged_blocks(history: History, blocks: Sequence[Sequence[str]], params: Params,
                  ahead: bool) -> Iterator[Iterator[Measured]]:
    """:func:`judge_blocks`, by a child process when ``ahead`` and there are at least
    ``AHEAD_MIN_BLOCKS`` blocks. The child is stopped on the way out, whatever happened; an
    error in it, or its end before the last block, is raised here when the block it owed is
    asked for."""
    if not judges_ahead(blocks, ahead):
        yield judge_blocks(history, blocks, params)
        return
    # spawned, not forked: the caller may be a step process running threads
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_judge_in_child, args=(history, blocks, params, sending),
                            name="chimera-judge", daemon=True)
    child.start()
    sending.close()  # the child's end: its exit is then seen here as the end of the pipe
    # the history stays here only until the first block is judged (``start`` dropped the
    # child's arguments)
    judged = _first_here_then_received(history, blocks, params, receiving, child)
    del history
    try:
        yield judged
    finally:
        receiving.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _first_here_then_received(history: History, blocks: Sequence[Sequence[str]],
                              params: Params, pipe: Connection,
                              child: multiprocessing.process.BaseProcess
                              ) -> Iterator[Measured]:
    """The first block judged here, while the child starts (its interpreter and imports
    would otherwise hold up the first block's facts), then the child's."""
    yield from judge_blocks(history, blocks[:1], params)
    del history
    yield from _received(pipe, child, len(blocks) - 1)


def _judge_in_child(history: History, blocks: Sequence[Sequence[str]], params: Params,
                    pipe: Connection) -> None:
    """Judge every block (the first too: the nights it carries to the next) and send all
    but the first, which the parent judges itself."""
    try:
        for number, found in enumerate(judge_blocks(history, blocks, params)):
            if number:
                pipe.send(("block", found))
    except BaseException:  # sent whole: the parent raises it with the step's error
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()


def _received(pipe: Connection, child: multiprocessing.process.BaseProcess, blocks: int
              ) -> Iterator[Measured]:
    for _ in range(blocks):
        try:
            kind, payload = pipe.recv()
        except EOFError:
            child.join()
            raise RuntimeError(f"the process judging the nights ended (exit code "
                               f"{child.exitcode}) before it sent every block's verdicts") from None
        if kind == "error":
            raise RuntimeError(f"judging the nights failed in its process:\n{payload}")
        yield payload
