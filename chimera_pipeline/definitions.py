"""Code location entry point: every definition under ``defs/`` (dg's layout)."""

from pathlib import Path

import dagster as dg

from chimera_pipeline.deployment.event_log import enable_event_batches

# a run launched by the daemon or the UI executes in a process that loads this module: its
# steps hand their asset events to the instance's storage in batches too
enable_event_batches()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
