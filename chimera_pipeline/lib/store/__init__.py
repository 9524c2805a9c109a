"""The DuckDB warehouse: its contract (tables, stage names), partitioned reads and writes,
and the queries behind the asset checks."""
