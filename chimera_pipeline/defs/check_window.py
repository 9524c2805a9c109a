"""The partition window a run covered, for asset checks (read from the run's tags)."""

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
EVERYTHING = ("0000-00-00", "9999-99-99")


def run_window(tags: dict) -> tuple[str, str]:
    if "dagster/partition" in tags:
        return tags["dagster/partition"], tags["dagster/partition"]
    if RANGE_START in tags:
        return tags[RANGE_START], tags[RANGE_END]
    return EVERYTHING
