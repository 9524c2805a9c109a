"""The small commands: ``sample``, ``dates``, ``query`` and ``ui``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from chimera_pipeline.lib.config import PROJECT_ROOT, Settings


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    from chimera_pipeline.lib.sample import write_corpus

    out = Path(args.out) if args.out else settings.artifact_root
    written = write_corpus(out, files=args.files, seed=args.seed)
    print(f"chimera: wrote {len(written)} files under {out}")
    return 0


def cmd_dates(args: argparse.Namespace, settings: Settings) -> int:
    from collections import Counter

    from chimera_pipeline.lib.inventory.scan import scan_configured

    records = scan_configured(settings)
    counts = Counter((r.partition, r.date_source) for r in records)
    for (day, source), n in sorted(counts.items()):
        print(f"{day}  {n:6d} file(s)  dated by {source}")
    return 0


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    """Run one read-only SQL statement on the warehouse and print the rows as CSV. It reads
    the warehouse and nothing else (no COPY TO, no read_csv of another file, no ATTACH)
    unless ``--files`` opts in."""
    import csv

    from chimera_pipeline.lib.store.warehouse import WarehouseBusy, connect_read_only

    try:
        con = connect_read_only(settings.warehouse_path, files=args.files)
    except (WarehouseBusy, FileNotFoundError) as exc:
        print(f"chimera: {exc}", file=sys.stderr)
        return 3
    try:
        cursor = con.execute(args.sql)
        writer = csv.writer(sys.stdout)
        writer.writerow([d[0] for d in cursor.description or []])
        writer.writerows(cursor.fetchall())
    except Exception as exc:  # noqa: BLE001 - a user's SQL error is one line, not a traceback
        print(f"chimera: query failed: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
        return 2
    finally:
        con.close()
    return 0


def ui_command(args: argparse.Namespace) -> list[str]:
    """``dg dev`` on the project's workspace; binds to ``--host`` (127.0.0.1 by default)."""
    dg = Path(sys.executable).with_name("dg")
    return [str(dg), "dev", "--workspace", str(PROJECT_ROOT / "workspace.yaml"),
            "--host", args.host, "--port", str(args.port)]


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    """Start ``dg dev`` (webserver + daemon) on the project's workspace, bound to loopback."""
    from chimera_pipeline.deployment.instance import prepare_dagster_home

    prepare_dagster_home(settings)
    command = ui_command(args)
    print(f"chimera: Dagster UI on http://{args.host}:{args.port} "
          f"(DAGSTER_HOME={os.environ['DAGSTER_HOME']})", flush=True)
    os.chdir(PROJECT_ROOT)
    os.execv(command[0], command)
    return 0  # not reached


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sample = sub.add_parser("sample", help="write the deterministic sample artifact corpus")
    sample.add_argument("--out", help="target folder (default: CHIMERA_ARTIFACT_ROOT)")
    sample.add_argument("--files", type=int, default=None, help="corpus size (default: sample)")
    sample.add_argument("--seed", type=int, default=7, help="random seed")
    sample.set_defaults(func=cmd_sample)
    dates = sub.add_parser("dates", help="list the benchmark days found under the root")
    dates.set_defaults(func=cmd_dates)
    query = sub.add_parser("query", help="run read-only SQL on the warehouse (CSV output)")
    query.add_argument("sql", help="one SQL statement, e.g. "
                       "\"SELECT model, avg(decode_tps) FROM llm_runs GROUP BY model\"")
    query.add_argument("--files", action="store_true",
                       help="let the SQL read and write other files (COPY TO, read_csv, "
                       "ATTACH): off by default, the query reads the warehouse only")
    query.set_defaults(func=cmd_query)
    ui = sub.add_parser("ui", help="start the Dagster UI (dg dev) on 127.0.0.1")
    ui.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    ui.set_defaults(func=cmd_ui)
