"""Handing freed memory back to the operating system between the heavy phases of a step.

A step's peak RSS is what it holds at its fullest moment plus what it freed earlier but the
allocators kept: CPython's heap (glibc malloc) keeps freed pages of a block of facts, and
Arrow's pool its freed buffers, until something asks. The facts step builds a year's facts a
block at a time and then loads them; without this, the load's memory came on top of every
earlier block's leftovers (peak about 1 GB where the step's own need is about 0.7 GB).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Iterator

import pyarrow as pa


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def give_back_memory(generation: int = 2) -> None:
    """Collect garbage (``generation``: the oldest one examined; the default, every object
    alive), then return the freed pages of Arrow's pool and of the C heap."""
    gc.collect(generation)
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Cyclic garbage collection off for a phase that builds many objects it keeps: each of
    the collector's passes walks every container still alive, so a block of facts (hundreds
    of thousands of dicts and dataclasses, none in a cycle) was walked again and again for
    nothing. The phase's cycles, if any, are collected by the next ``give_back_memory``: with
    no pass made since the pause began, all the phase allocated is in the youngest
    generation, so ``give_back_memory(1)`` finds them without walking the process's older
    objects (a step's Dagster definitions and modules) again each time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
