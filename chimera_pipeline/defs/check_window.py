"""The partition window a run covered, for asset checks (read from the run's tags)."""

PARTITION_TAG = "dagster/partition"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
EVERYTHING = ("0000-00-00", "9999-99-99")
# the days of its range a planned run works on, when it skips some (``work_keys``)
DAYS_TAG = "chimera/days"


def run_window(tags: dict) -> tuple[str, str]:
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG], tags[PARTITION_TAG]
    if RANGE_START in tags:
        return tags[RANGE_START], tags[RANGE_END]
    return EVERYTHING
