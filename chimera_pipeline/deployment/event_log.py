"""Dagster's SQLite event log, writing a batch of asset events in one transaction per file.

A run over a year of days records two events per asset and day (the materialization planned
when the run is created, the materialization when the step ends): 2,190 for a year's build to
the facts. Dagster's SQLite storage writes each event on its own: a new engine and connection
to the run's file, a commit, then the same again to the index file (about 12 ms an event
here, half a minute of a year's build). Dagster hands a step's events over as one batch when
``DAGSTER_EVENT_BATCH_SIZE`` is set (its own knob: the Postgres storage writes batches of
materializations in one statement, the SQLite one falls back to one event at a time); this
subclass writes such a batch's asset events with the very statements ``store_event`` runs for
each, in one transaction on the run's file and one on the index. Every other event (run
status, asset checks, logs) goes through ``store_event`` unchanged, in its order.

Same files, tables and rows as the default storage (the instance's ``history/runs`` folder),
so switching it on or off keeps every earlier run's events readable. Planned events stay one
per partition, so a failed run still marks its partitions failed in the UI. A batch the index
refuses is taken back out of the run's file before the error goes up: Dagster then stores the
batch again an event at a time, and each event must be there once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from itertools import groupby

from dagster import Field, StringSource
from dagster._core.errors import DagsterInvariantViolationError
from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._serdes import ConfigurableClassData

# events a step hands over per batch: a year's days per asset fit in one
EVENT_BATCH_SIZE = "1000"


def enable_event_batches() -> None:
    """Let Dagster hand asset events over in batches in this process and its children (a
    user's own setting wins)."""
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)


def _batchable(event: EventLogEntry) -> bool:
    """An asset event ``store_event`` writes to the run's file and mirrors to the index,
    with nothing else to do."""
    kind = event.dagster_event_type if event.is_dagster_event else None
    return kind in ASSET_EVENTS and kind not in ASSET_CHECK_EVENTS


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """:class:`SqliteEventLogStorage` with batches of asset events written together."""

    def __init__(self, base_dir: str | None = None,
                 inst_data: ConfigurableClassData | None = None) -> None:
        # without a folder, the instance's own is taken when it registers (below): an
        # instance opened from its folder need not be $DAGSTER_HOME's
        self._deferred_inst_data = inst_data
        if base_dir is not None:
            super().__init__(base_dir, inst_data=inst_data)

    def register_instance(self, instance) -> None:
        if not hasattr(self, "_base_dir"):  # where Dagster's default storage keeps them
            super().__init__(os.path.join(instance.root_directory, "history", "runs", ""),
                             inst_data=self._deferred_inst_data)
        super().register_instance(instance)

    @classmethod
    def config_type(cls) -> dict:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: Mapping[str, str]) -> BatchedSqliteEventLogStorage:
        """In ``base_dir`` when given, else under the instance's folder, where Dagster's
        default storage keeps the event logs (``<instance>/history/runs``)."""
        return cls(config_value.get("base_dir"), inst_data=inst_data)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        for together, part in groupby(events, key=lambda e: (_batchable(e), e.run_id)):
            group = list(part)
            if together[0] and len(group) > 1:
                self._store_asset_events(group)
            else:
                for event in group:
                    self.store_event(event)

    def _store_asset_events(self, events: list[EventLogEntry]) -> None:
        """``store_event``'s statements for each of ``events`` (asset events of one run),
        in one transaction on the run's file and one on the index."""
        statements = [self.prepare_insert_event(event) for event in events]
        run_id = events[0].run_id
        with self.run_connection(run_id) as conn:
            written = []
            for statement in statements:
                with db_result(conn, statement) as result:
                    written.append(result.inserted_primary_key[0])
        try:
            with self.index_transaction() as conn:
                for event, statement in zip(events, statements, strict=True):
                    with db_result(conn, statement) as result:
                        event_id = result.inserted_primary_key[0]
                    if event_id is None:
                        raise DagsterInvariantViolationError(
                            "Cannot store asset event tags for null event id.")
                    self._store_asset_event_tags(conn, [event], [event_id])
                    self._store_asset_event(conn, event, event_id)
        except BaseException:
            # Dagster stores a failed batch again one event at a time: the run's file must
            # not keep this attempt's rows, or each would be there twice
            with self.run_connection(run_id) as conn:
                conn.execute(SqlEventLogStorageTable.delete().where(
                    SqlEventLogStorageTable.c.id.in_(written)))
            raise
