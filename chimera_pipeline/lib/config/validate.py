"""Check the whole configuration before any work starts, and say in one line what to fix.

A bad value would otherwise surface minutes into a run, as a traceback inside a step.
``validate`` builds the settings once (every variable is parsed and checked by the registry),
checks that the data dir can be written and that an existing warehouse really is a DuckDB
file, and returns warnings for ``CHIMERA_*`` names nobody reads (a misspelt setting silently
does nothing).
"""

from __future__ import annotations

import difflib
import os

from chimera_pipeline.lib.config.settings import (
    Settings,
    SettingsError,
    load_settings,
    variable_names,
)


def check_data_dir(settings: Settings) -> None:
    """The data dir can be written, and a warehouse already there is a DuckDB file."""
    where = settings.data_dir
    try:
        where.mkdir(parents=True, exist_ok=True)
        # one probe per process: two commands started at once must not unlink each other's
        probe = where / f".chimera_write_probe.{os.getpid()}"
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
        # the database keeps duckdb (a costly import) out of a no-change run
        with warehouse.open("rb") as handle:
            header = handle.read(16)
        if header[8:12] != b"DUCK":
            raise SettingsError(f"the warehouse {warehouse} cannot be opened (it is not a "
                                "DuckDB database file); move it away and re-run to rebuild "
                                "it from the artifacts")


def unknown_names(environ: dict[str, str] | os._Environ) -> list[str]:
    """A warning for each ``CHIMERA_*`` variable the registry does not declare."""
    known = [n for n in variable_names() if n.startswith("CHIMERA_")]
    warnings = []
    for name in sorted(n for n in environ if n.startswith("CHIMERA_") and n not in known):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        warnings.append(f"{name} is not a chimera setting and is ignored{hint}")
    return warnings


def validate(check_paths: bool = True) -> list[str]:
    """Raise SettingsError for the first bad value; return warnings for unknown names."""
    settings = load_settings()
    if check_paths:
        check_data_dir(settings)
    return unknown_names(os.environ)
