"""A backfill's nights judged in a process of their own, a block ahead of its facts.

The regression judge (:mod:`.regression`) is Python over the history the stage reads once,
and a block's facts need only that block's verdicts: with a core to spare, a child process
judges the blocks after the first while this one judges the first and then computes each
block's facts, instead of both waiting on one core. A night's verdict does not depend on the
days judged with it (``regression.judge``), so the child's blocks get the verdicts this
process would give them. A stage of one block (a nightly run) is judged here: starting a
process would cost more than the judging.

The history and the blocks go to the child in a file, not as the process's arguments: those
are written into a pipe the child reads as it starts, and ``Process.start`` holds that pipe's
read end until its write ends, so a child that died before reading them all (killed for
memory as it loads them) would leave the write, and the stage, waiting forever.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from chimera_pipeline.lib.facts.alerts import Alert, History, measured_alerts
from chimera_pipeline.lib.facts.regression import Params

Measured = list[tuple[str, Alert]]  # a block's alerts of the measured series, by day

# one block is judged here: starting a process would cost more than judging it (two gain
# already: bench/results/2026-12-05f_2cpu_facts_stage_ahead.json)
AHEAD_MIN_BLOCKS = 2
STOP_WAIT_S = 5.0  # a child asked to stop that has not, after this, is killed


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


@dataclass
class Judged:
    """What :func:`judged_blocks` gives: each block's measured alerts, in order, and whether
    a child process judges them."""

    blocks: Iterator[Measured]
    in_child: bool


def judges_ahead(history: History, blocks: Sequence[Sequence[str]], ahead: bool) -> bool:
    """Whether :func:`judged_blocks` starts a child process for these blocks."""
    return ahead and bool(history) and len(blocks) >= AHEAD_MIN_BLOCKS


@contextlib.contextmanager
def judged_blocks(history: History, blocks: Sequence[Sequence[str]], params: Params,
                  ahead: bool, folder: Path) -> Iterator[Judged]:
    """:func:`judge_blocks`, the blocks after the first by a child process when
    :func:`judges_ahead` (the history written to a file in ``folder`` for it). The child is
    stopped on the way out, whatever happened; an error in it, or its end before the last
    block, is raised here when the block it owed is asked for."""
    if not judges_ahead(history, blocks, ahead):
        yield Judged(judge_blocks(history, blocks, params), in_child=False)
        return
    saved = folder / "history.pickle"
    child = None
    # spawned, not forked: the caller may be a step process running threads
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    try:
        with saved.open("wb") as handle:
            pickle.dump((dict(history), list(blocks[1:])), handle,
                        protocol=pickle.HIGHEST_PROTOCOL)
        child = context.Process(target=_judge_in_child, name="chimera-judge", daemon=True,
                                args=(str(saved), params, sending))
        child.start()
        sending.close()  # the child's end: its exit is then seen here as the end of the pipe
        # judged here while the child starts; the history is then dropped (the child reads
        # its own copy)
        first = list(judge_blocks(history, blocks[:1], params))
        del history
        yield Judged(_then_received(first, receiving, child, len(blocks) - 1), in_child=True)
    finally:
        sending.close()
        receiving.close()
        if child is not None and child.pid is not None:
            _stop(child)
        saved.unlink(missing_ok=True)


def _stop(child: multiprocessing.process.BaseProcess) -> None:
    """Ask the child to stop (it may be mid-block when the stage failed), then kill it if it
    has not stopped: the stage must not wait on it."""
    if child.is_alive():
        child.terminate()
    child.join(STOP_WAIT_S)
    if child.is_alive():
        child.kill()
        child.join()


def _then_received(first: list[Measured], pipe: Connection,
                   child: multiprocessing.process.BaseProcess, blocks: int
                   ) -> Iterator[Measured]:
    yield from first
    first.clear()
    for _ in range(blocks):
        try:
            kind, payload = pipe.recv()
        except (EOFError, OSError):  # OSError: it ended in the middle of a block's message
            child.join(STOP_WAIT_S)
            raise RuntimeError(f"the process judging the nights ended (exit code "
                               f"{child.exitcode}) before it sent every block's verdicts") from None
        if kind == "error":
            raise RuntimeError(f"judging the nights failed in its process:\n{payload}")
        yield payload


def _judge_in_child(saved: str, params: Params, pipe: Connection) -> None:
    """Judge the saved blocks (all but the stage's first) on the saved history; send each."""
    try:
        with open(saved, "rb") as handle:
            history, blocks = pickle.load(handle)
        for found in judge_blocks(history, blocks, params):
            pipe.send(("block", found))
    except BaseException:  # sent whole: the parent raises it with the step's error
        with contextlib.suppress(OSError):  # the parent stopped early: nobody to tell
            pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
