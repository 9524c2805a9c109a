"""Comparing selections of the warehouse (days, models, tools, engines, hardware) by the
regression method's statistics: what ``chimera compare`` and the report's "since the
previous day" table read (docs/comparing-runs.md). Dagster-free; reads only."""

from chimera_pipeline.lib.compare.core import Comparison, Row, Unmatched, compare
from chimera_pipeline.lib.compare.render import (
    FORMATS,
    chart,
    markdown,
    previous_day_markdown,
    render,
)
from chimera_pipeline.lib.compare.selection import (
    DIMS,
    Selection,
    SelectionError,
    parse_selection,
    shortcut,
    with_common,
)

__all__ = ["DIMS", "FORMATS", "Comparison", "Row", "Selection", "SelectionError", "Unmatched",
           "chart", "compare", "markdown", "parse_selection", "previous_day_markdown",
           "render", "shortcut", "with_common"]
