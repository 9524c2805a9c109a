"""The partition window a run covered, for asset checks (read from the run's tags)."""

PARTITION_TAG = "dagster/partition"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
EVERYTHING = ("0000-00-00", "9999-99-99", None)
# the days of its range a planned run works on, when it skips some (``work_keys``)
DAYS_TAG = "chimera/days"
# "true": compute every day's facts and narrative, also those whose inputs did not change
# (``chimera run --force``; ``lib/facts/inputs.py``, ``lib/llm/inputs.py``)
RECOMPUTE_TAG = "chimera/recompute"


def run_window(tags: dict) -> tuple[str, str, list[str] | None]:
    """The run's first and last day, and the days of that range it worked on when it skipped
    some (``chimera/days``; None: every day of the range). A check judges those days only:
    a skipped day was checked by the run that made it."""
    from chimera_pipeline.lib.incremental.days import decode_days

    days = sorted(decode_days(tags[DAYS_TAG])) if tags.get(DAYS_TAG) else None
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG], tags[PARTITION_TAG], days
    if RANGE_START in tags:
        return tags[RANGE_START], tags[RANGE_END], days
    return EVERYTHING
