"""Check the whole configuration before any work starts, and say in one line what to fix.

Settings are read lazily where they are used (a sensor reads its settle time, a check its
threshold), so a typo would otherwise surface minutes into a run, as a traceback inside a
step. ``validate`` reads every ``CHIMERA_*`` value once up front, checks that the data dir
can be written and that an existing warehouse really is a DuckDB file, and returns
warnings for ``CHIMERA_*`` names nobody reads (a misspelt setting silently does nothing).
"""

from __future__ import annotations

import difflib
import os
import zoneinfo

from chimera_pipeline.lib.settings import Settings, SettingsError, env_number, load_settings

KNOWN = {
    "CHIMERA_ARTIFACT_ROOT", "CHIMERA_DATA_DIR", "CHIMERA_SCAN_ROOTS", "CHIMERA_EXTENSIONS",
    "CHIMERA_PARTITION_START", "CHIMERA_MAX_PARSE_MB", "CHIMERA_STREAM_CSV_MB",
    "CHIMERA_PARSE_WORKERS",
    "CHIMERA_DUCKDB_MEMORY", "CHIMERA_GPU_SLOTS",
    "CHIMERA_FRESHNESS_DAYS", "CHIMERA_MAX_ERROR_RATE", "CHIMERA_GROUNDING_THRESHOLD",
    "CHIMERA_SCHEDULE_TIMEZONE", "CHIMERA_SENSOR_SETTLE_SECONDS", "CHIMERA_EMBEDDED_MODEL",
    "CHIMERA_LLM_BACKEND", "CHIMERA_LLM_MODEL", "CHIMERA_LLM_TIMEOUT", "CHIMERA_LLM_KEEP_ALIVE",
    "CHIMERA_LLM_NUM_GPU", "CHIMERA_LLM_NUM_CTX", "CHIMERA_LLM_MAX_CTX", "CHIMERA_LLM_MAX_TOKENS",
    "CHIMERA_LLM_RETRIES", "CHIMERA_LLM_SCHEMA_RETRIES", "CHIMERA_LLM_BACKOFF",
    "CHIMERA_LLM_LANGUAGE", "CHIMERA_LLM_TEMPERATURE", "CHIMERA_LLM_TOP_P", "CHIMERA_LLM_TOP_K",
    "CHIMERA_LLM_REPEAT_PENALTY", "CHIMERA_LLM_SEED",
    "CHIMERA_PROFILE", "CHIMERA_CELERY_BROKER", "CHIMERA_CELERY_BACKEND",
    "CHIMERA_CELERY_LOST_AFTER_S", "CHIMERA_CELERY_NO_WORKER_AFTER_S",
    # used by the test suite and fault injection, not by users
    "CHIMERA_REAL_CORPUS", "CHIMERA_REQUIRE_REAL_CORPUS", "CHIMERA_FAULT_PAUSE_IN_WRITE",
    "CHIMERA_STRESS_MULTIPROCESS_REPETITIONS",
}


def _check_data_dir(settings: Settings) -> None:
    where = settings.data_dir
    try:
        where.mkdir(parents=True, exist_ok=True)
        probe = where / ".chimera_write_probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise SettingsError(f"CHIMERA_DATA_DIR={where} is not a writable folder "
                            f"({exc.strerror or exc}); point it at one you can write") from None
    warehouse = settings.warehouse_path
    if warehouse.exists() and not warehouse.is_file():
        raise SettingsError(f"the warehouse path {warehouse} is not a file; move it away")
    if warehouse.is_file():
        # DuckDB's file header carries b"DUCK" at bytes 8-12. Reading it instead of opening
        # the database keeps duckdb out of a no-change run (its import alone is ~0.2 s)
        with warehouse.open("rb") as handle:
            header = handle.read(16)
        if header[8:12] != b"DUCK":
            raise SettingsError(f"the warehouse {warehouse} cannot be opened (it is not a "
                                "DuckDB database file); move it away and re-run to rebuild "
                                "it from the artifacts")


def validate(check_paths: bool = True) -> list[str]:
    """Raise SettingsError for the first bad value; return warnings for unknown names."""
    from chimera_pipeline import profile
    from chimera_pipeline.instance import pool_limits
    from chimera_pipeline.lib.llm.settings import llm_settings_from_env

    settings = load_settings()
    profile.validate()
    env_number("CHIMERA_CELERY_LOST_AFTER_S", 60.0, float, 1)
    env_number("CHIMERA_CELERY_NO_WORKER_AFTER_S", 300.0, float, 1)
    llm_settings_from_env()
    pool_limits()
    env_number("CHIMERA_MAX_PARSE_MB", 256.0, float, 1)
    env_number("CHIMERA_PARSE_WORKERS", 1, int, 1)
    env_number("CHIMERA_FRESHNESS_DAYS", 2, int, 0)
    env_number("CHIMERA_MAX_ERROR_RATE", 0.5, float, 0)
    env_number("CHIMERA_GROUNDING_THRESHOLD", 0.8, float, 0)
    env_number("CHIMERA_SENSOR_SETTLE_SECONDS", 60.0, float, 0)
    zone = os.environ.get("CHIMERA_SCHEDULE_TIMEZONE", "UTC")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"CHIMERA_SCHEDULE_TIMEZONE={zone!r} is not a time zone; use an "
                            "IANA name such as UTC or Europe/Berlin") from None
    if check_paths:
        _check_data_dir(settings)
    warnings = []
    for name in sorted(n for n in os.environ if n.startswith("CHIMERA_") and n not in KNOWN):
        close = difflib.get_close_matches(name, KNOWN, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        warnings.append(f"{name} is not a chimera setting and is ignored{hint}")
    return warnings
