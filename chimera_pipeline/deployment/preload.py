"""Imported once by the multiprocess executor's forkserver (see ``cli._run_config``).

Loading the definitions imports every ``defs/`` module (dagster, duckdb, pandas, pyarrow,
matplotlib) and builds the job: over a second of CPU. Doing it once in the forkserver means
each step subprocess forks with the job already built (``cli.run.benchmark_job`` returns
the forkserver's copy instead of rebuilding the definitions in every step).
"""

from chimera_pipeline.cli.run import benchmark_job

benchmark_job()
