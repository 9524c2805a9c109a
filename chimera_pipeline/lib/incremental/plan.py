"""What a ``chimera run`` must do: which days, with which scanned files, and the folder prints
to settle once they succeed. Dagster-free: it runs before Dagster is imported.

Two ways to find the stale days. After a complete run that nobody disturbed
(``tree_state.trusted``), only the folders whose print changed are rescanned and only their
days compared (:mod:`rescan`). Otherwise (first run, a failed run, explicit dates, --force,
the warehouse or cache written by someone else) the whole tree is scanned and every day
compared (:mod:`staleness`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from chimera_pipeline.lib.config import Settings
from chimera_pipeline.lib.incremental import tree_state
from chimera_pipeline.lib.incremental.days import select_days
from chimera_pipeline.lib.inventory.scan_cache import cache_path_for
from chimera_pipeline.lib.inventory.walk import FolderPrint


@dataclass
class Plan:
    days: list[dt.date]
    records: list = field(default_factory=list)  # the days' files, duplicate links tree-wide
    tree_files: int = 0
    prints: list[FolderPrint] | None = None  # the scanned tree's prints (None: not to settle)
    messages: list[str] = field(default_factory=list)
    considered: list[dt.date] = field(default_factory=list)  # the days compared
    unchanged: bool = False  # answered by the marker: the tree is as when last found up to date


def plan_run(settings: Settings, *, dates: list[dt.date], date_from: dt.date | None,
             date_to: dt.date | None, until: str, force: bool,
             tree: tree_state.TreePrint | None, changed: set[str] | None,
             saved_prints: Path, only: set[dt.date] | None = None) -> Plan:
    """The days to run up to ``until``. ``tree`` is this command's fingerprint walk (None for
    explicit dates, which never settle); ``changed``, when the marker can be trusted, the
    folders to rescan instead of the whole tree; ``only``, the days a caller asks about (a
    plan of some days cannot settle the tree)."""
    if changed is not None:
        plan = _changed_folders_only(settings, changed, until, saved_prints, only)
        if plan is not None:
            return plan
    return _whole_tree(settings, dates, date_from, date_to, until, force,
                       tree is not None and only is None, only)


def _from_start(settings: Settings, days: list[dt.date], plan: Plan) -> list[dt.date]:
    start = dt.date.fromisoformat(settings.partition_start)
    early = [d for d in days if d < start]
    if early:
        plan.messages.append(
            f"{len(early)} day(s) before CHIMERA_PARTITION_START={start} are skipped (earliest "
            f"{early[0]}); lower CHIMERA_PARTITION_START to include them")
    return [d for d in days if d >= start]


def _stale(settings: Settings, records, days: list[dt.date], until: str) -> set[str]:
    from chimera_pipeline.lib.incremental.staleness import stale_days

    return set(stale_days(records, settings.warehouse_path, [d.isoformat() for d in days],
                          until))


def _deleted(settings: Settings, tree_days: set[dt.date]) -> set[dt.date]:
    """Days the warehouse holds files for and the tree has none of any more."""
    from chimera_pipeline.lib.incremental.staleness import warehouse_days

    held = {dt.date.fromisoformat(d) for d in warehouse_days(settings.warehouse_path)}
    return held - tree_days


def _with_dependents(settings: Settings, stale: set[str], candidates: list[dt.date],
                     until: str) -> set[str]:
    """``stale`` and the later days whose alerts read a stale day (when the run goes as far
    as the facts): a night arriving late or changed is judged again with the nights after.
    Two hops: a changed night changes its series' tests on the nights after it, and a
    night's false-discovery control runs over every series' tests of that night, so another
    series' verdicts on the nights after those can change too."""
    from chimera_pipeline.lib.incremental.staleness import dependents
    from chimera_pipeline.lib.store import stages

    if not stale or stages.by_asset(until).rank < stages.FACTS.rank:
        return stale
    days, depth = [d.isoformat() for d in candidates], settings.regression_history + 3
    first = dependents(settings.warehouse_path, sorted(stale), days, depth)
    second = dependents(settings.warehouse_path, sorted(stale | first), days,
                        depth) if first else set()
    return stale | first | second


def _whole_tree(settings: Settings, dates, date_from, date_to, until: str, force: bool,
                settle: bool, only: set[dt.date] | None) -> Plan:
    from chimera_pipeline.lib.inventory.scan import scan_configured

    prints: list[FolderPrint] = []
    records = scan_configured(settings, prints)
    plan = Plan(days=[], tree_files=len(records), prints=prints if settle else None)
    explicit = bool(dates or date_from or date_to)
    found = {r.benchmark_date for r in records}
    if not explicit:  # days whose files are all gone: run, so their rows go too
        found |= _deleted(settings, found)
    days = _from_start(settings, select_days(found, dates, date_from, date_to), plan)
    if only is not None:
        days = [d for d in days if d in only]
    plan.considered = list(days)
    if days and not explicit and not force:
        todo = _with_dependents(settings, _stale(settings, records, days, until), days, until)
        if len(todo) < len(days):
            plan.messages.append(f"{len(days) - len(todo)} day(s) unchanged since their last "
                                 "run are skipped (--force runs them anyway)")
        days = [d for d in days if d.isoformat() in todo]
    wanted = {d.isoformat() for d in days}  # duplicate links were set over the whole tree
    plan.days, plan.records = days, [r for r in records if r.partition in wanted]
    return plan


def _changed_folders_only(settings: Settings, changed: set[str], until: str,
                          saved_prints: Path, only: set[dt.date] | None) -> Plan | None:
    from chimera_pipeline.lib.incremental.rescan import rescan

    cache = cache_path_for(settings)
    found = rescan(settings.artifact_root, settings.scan_roots, settings.extensions, cache,
                   saved_prints, changed, settings.scan_skip)
    if found is None:
        return None
    found.save_cache(cache)
    plan = Plan(days=[], tree_files=found.file_count,
                prints=found.prints if only is None else None)
    # a day whose last file went is touched and no longer in the tree: it runs, to go
    every_day = _from_start(settings, sorted(found.all_days() | found.touched_days()), plan)
    if only is not None:
        every_day = [d for d in every_day if d in only]
    plan.considered = list(every_day)
    touched_days = found.touched_days()
    touched = [d for d in every_day if d in touched_days]
    records = found.records_for({d.isoformat() for d in touched}) if touched else []
    todo = _stale(settings, records, touched, until) if touched else set()
    todo = _with_dependents(settings, todo, every_day, until)
    extra = {d for d in every_day if d.isoformat() in todo} - set(touched)
    if extra:  # days whose files did not change, judged again after an earlier one did
        records = records + found.records_for({d.isoformat() for d in extra})
    if len(todo) < len(every_day):
        plan.messages.append(f"{len(every_day) - len(todo)} day(s) unchanged since their last "
                             f"run are skipped (--force runs them anyway); {len(changed)} "
                             "changed folder(s) rescanned")
    plan.days = [d for d in every_day if d.isoformat() in todo]
    plan.records = [r for r in records if r.partition in todo]
    return plan
