"""Shared resources: the DuckDB warehouse, at ``$CHIMERA_DATA_DIR/warehouse.duckdb``."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from chimera_pipeline.lib.config import load_settings


@dg.definitions
def resources() -> dg.Definitions:
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return dg.Definitions(
        resources={"warehouse": DuckDBResource(
            database=str(settings.warehouse_path),
            # DuckDB's default is 80 % of RAM; a year-long backfill must stay bounded
            connection_config={"memory_limit": settings.duckdb_memory},
        )}
    )
