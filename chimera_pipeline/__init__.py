"""chimera_pipeline: benchmark artifact folders -> DuckDB warehouse -> facts -> reports."""
