"""What needs a run: one answer for ``chimera run``, the ``new_artifacts`` sensor and the
nightly schedule.

A day needs a run when the files the tree holds for it are not what its inventory holds, or
when no single run took that inventory to the stage asked for (:mod:`.staleness`). Answering
that for the whole tree costs a scan; the marker written the last time every day was found up
to date (:mod:`.tree_state`) makes the usual answer, nothing, cost one walk. Whoever finds
every day up to date settles the marker -- the CLI after its runs succeed, the sensor on a
tick that finds nothing to do -- so the sensor's first tick after ``chimera run``, and
``chimera run`` after the sensor's runs, start nothing. A run launched from the UI writes the
warehouse, which invalidates the marker: the next caller compares, and finds those days done.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chimera_pipeline.lib.config import Settings
from chimera_pipeline.lib.incremental import tree_state
from chimera_pipeline.lib.incremental.days import encode_days, merged_ranges
from chimera_pipeline.lib.incremental.plan import Plan, plan_run
from chimera_pipeline.lib.inventory.scan_cache import cache_path_for
from chimera_pipeline.lib.store import stages

UP_TO_DATE = "nothing changed since every day was last found up to date"


@dataclass(frozen=True)
class Block:
    """Days that go into one run, and a key that names their content: the same days holding
    the same files always get the same key (a sensor never launches the same work twice),
    and any added, removed or edited file gives a new one. The run's range is
    ``first..last``; ``days`` are those it works on (the others are skipped)."""

    first: dt.date
    last: dt.date
    key: str
    files: int
    days: tuple[dt.date, ...] = ()

    @property
    def label(self) -> str:
        label = _label(self.first, self.last)
        if self.gaps:
            label += f" ({len(self.days)} of its days)"
        return label

    @property
    def gaps(self) -> bool:
        """Whether the range holds days the run skips."""
        return bool(self.days) and len(self.days) < (self.last - self.first).days + 1

    @property
    def days_tag(self) -> str | None:
        """The ``chimera/days`` tag's value when the run skips days of its range."""
        return encode_days(self.days) if self.gaps else None


def _label(first: dt.date, last: dt.date) -> str:
    return first.isoformat() if first == last else f"{first}..{last}"


class Planner:
    """The days that need a run up to ``until`` (default: the whole graph), and the marker
    that makes the next no-change answer a walk. Owns the marker, the pending prints and the
    scan cache's state; callers only ask and say how their runs went."""

    def __init__(self, settings: Settings, until: str = stages.ASSETS[-1]) -> None:
        self.settings = settings
        self.cache = cache_path_for(settings)
        self.marker = self.cache.with_suffix(".settled.json")
        self.rank = stages.by_asset(until).rank
        self.until = until
        self._pending: Path | None = None
        self._cache_state: list | None = None

    def fingerprint(self) -> tree_state.TreePrint:
        """One streamed walk: the tree's digest and its changed folders since the marker."""
        s = self.settings
        return tree_state.fingerprint(s.artifact_root, s.scan_roots, s.extensions,
                                      salt=s.partition_start, marker=self.marker,
                                      skip=s.scan_skip)

    def unchanged(self, tree: tree_state.TreePrint) -> bool:
        """The marker says this exact tree is done up to the requested stage, and nobody
        wrote the warehouse since."""
        return tree_state.unchanged(self.marker, tree.digest, self.rank,
                                    self.settings.warehouse_path)

    def warehouse_state(self) -> list:
        """Size and mtime of the warehouse and its WAL: any run's write changes them."""
        return tree_state.warehouse_state(self.settings.warehouse_path)

    def stale(self, tree: tree_state.TreePrint | None = None, *, force: bool = False,
              only: Iterable[dt.date] | None = None) -> Plan:
        """The days whose files or runs are not what the warehouse holds (every day with
        ``force``); only among ``only`` when given. An unchanged tree answers from the marker
        (``Plan.unchanged``) after one walk; otherwise the changed folders are rescanned when
        the marker can be trusted, the whole tree when not."""
        tree = tree or self.fingerprint()
        if not force and self.unchanged(tree):
            return Plan(days=[], unchanged=True, messages=[UP_TO_DATE],
                        tree_files=tree.files)
        trusted = not force and tree.changed is not None and tree_state.trusted(
            self.marker, self.settings.partition_start, self.rank,
            self.settings.warehouse_path, self.cache)
        return plan_run(self.settings, dates=[], date_from=None, date_to=None,
                        until=self.until, force=force, tree=tree,
                        changed=tree.changed if trusted else None,
                        saved_prints=tree_state.prints_path(self.marker),
                        only=None if only is None else set(only))

    def explicit(self, dates: list[dt.date], date_from: dt.date | None,
                 date_to: dt.date | None) -> Plan:
        """Exactly the days asked for, stale or not (never settles: the rest of the tree
        was not compared)."""
        return plan_run(self.settings, dates=dates, date_from=date_from, date_to=date_to,
                        until=self.until, force=True, tree=None, changed=None,
                        saved_prints=tree_state.prints_path(self.marker))

    def blocks(self, plan: Plan, days: Iterable[dt.date] | None = None,
               per_day: bool = False) -> list[Block]:
        """``plan``'s days (or the subset ``days``) as runs: stale days at most
        ``CHIMERA_RUN_MERGE_GAP_DAYS`` apart share one run (one run's fixed cost, the
        days between skipped), or one run per day; each keyed by the files it holds and
        the stage it runs to."""
        chosen = sorted(set(plan.days if days is None else days))
        groups = [[d] for d in chosen] if per_day else merged_ranges(
            chosen, self.settings.run_merge_gap_days)
        by_day: dict[str, list[tuple[str, str]]] = {}
        for record in plan.records:
            state = record.sha256 if record.scan_status == "pending" else record.scan_status
            by_day.setdefault(record.partition, []).append((record.path, state or ""))
        blocks = []
        for group in groups:
            files = sorted(item for day in group for item in by_day.get(day.isoformat(), ()))
            first, last = group[0], group[-1]
            digest = hashlib.sha1(repr((self.until, group, files)).encode(),
                                  usedforsecurity=False).hexdigest()[:12]
            blocks.append(Block(first, last, f"{_label(first, last)}:{digest}", len(files),
                                tuple(group)))
        return blocks

    def stage(self, plan: Plan) -> None:
        """Keep the prints of the tree the runs will load on disk (not in memory through the
        runs) with the cache's state now, to be settled when they succeed."""
        if plan.prints is not None:
            self._pending = tree_state.stage_prints(self.marker, plan.prints)
            self._cache_state = tree_state.cache_state(self.cache)

    def finish(self, ok: bool) -> None:
        """Every day up to date: settle the staged prints; a failure: forget the marker."""
        if ok and self._pending is not None:
            tree_state.settle(self.marker, self._pending, self.settings.partition_start,
                              self.rank, self.settings.warehouse_path, self.cache,
                              self._cache_state)
            self._pending = None
        elif not ok:
            tree_state.forget(self.marker)

    def settle(self, plan: Plan) -> bool:
        """``plan`` found nothing to run: record that this tree is up to date, so the next
        caller's answer is a walk. False when the plan cannot vouch for the whole tree."""
        if plan.days or plan.prints is None:
            return False
        self.stage(plan)
        try:
            self.finish(ok=True)
        finally:
            self.discard()
        return True

    def discard(self) -> None:
        """Remove staged prints that were not settled (the command ends either way)."""
        if self._pending is not None:
            self._pending.unlink(missing_ok=True)
            self._pending = None
