"""Imported once by the multiprocess executor's forkserver (see ``cli._run_config``).

Loading the definitions imports every ``defs/`` module (dagster, duckdb, pandas, pyarrow,
matplotlib): about a second of CPU. Doing it once in the forkserver means each step
subprocess forks with all of it already in memory.
"""

from chimera_pipeline.definitions import defs

defs()
