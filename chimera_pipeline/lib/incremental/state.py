"""The incremental state of one ``chimera run``: the marker of the last complete run, the folder
prints waiting to be settled, and the scan cache's state right after this run's scan.

The command walks the tree once (:meth:`IncrementalState.fingerprint`), stops when the marker
says nothing changed, or plans the stale days (:mod:`.plan`), stages the prints of the tree it
is about to load, and, once every run succeeded, settles them (:meth:`finish`): the next run
is then a walk. A failed run forgets the marker, so the next one compares every day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from chimera_pipeline.lib.config import Settings
from chimera_pipeline.lib.incremental import tree_state
from chimera_pipeline.lib.incremental.plan import Plan, plan_run
from chimera_pipeline.lib.inventory.scan_cache import cache_path_for
from chimera_pipeline.lib.store import stages


class IncrementalState:
    """Owns the marker, the pending prints and the cache state; ``cmd_run`` only asks."""

    def __init__(self, settings: Settings, until: str) -> None:
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
                                      salt=s.partition_start, marker=self.marker)

    def unchanged(self, tree: tree_state.TreePrint) -> bool:
        """The marker says this exact tree is done up to the requested stage, and nobody
        wrote the warehouse since."""
        return tree_state.unchanged(self.marker, tree.digest, self.rank,
                                    self.settings.warehouse_path)

    def plan(self, *, dates: list[dt.date], date_from: dt.date | None,
             date_to: dt.date | None, force: bool,
             tree: tree_state.TreePrint | None) -> Plan:
        """The days to run; the changed folders only when the marker can be trusted."""
        trusted = tree is not None and not force and tree.changed is not None and (
            tree_state.trusted(self.marker, self.settings.partition_start, self.rank,
                               self.settings.warehouse_path, self.cache))
        return plan_run(self.settings, dates=dates, date_from=date_from, date_to=date_to,
                        until=self.until, force=force, tree=tree,
                        changed=tree.changed if trusted else None,
                        saved_prints=tree_state.prints_path(self.marker))

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
        elif not ok:
            tree_state.forget(self.marker)

    def discard(self) -> None:
        """Remove staged prints that were not settled (the command ends either way)."""
        if self._pending is not None:
            self._pending.unlink(missing_ok=True)
